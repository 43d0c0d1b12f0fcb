package faults_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/planbridge/planbridge/internal/faults"
)

// serve mounts a Set as the emulators do.
func serve(t *testing.T) (*faults.Set, string) {
	t.Helper()
	set := &faults.Set{}
	mux := http.NewServeMux()
	mux.Handle("/_emulator/faults", set)
	mux.HandleFunc("/_emulator/faults/{id}", func(w http.ResponseWriter, r *http.Request) { set.ServeOne(w, r, r.PathValue("id")) })
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return set, hs.URL + "/_emulator/faults"
}

func do(t *testing.T, method, url, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

func TestPostRefusesBadFaults(t *testing.T) {
	t.Parallel()
	set, url := serve(t)
	tests := []struct {
		name, contentType, body string
		status                  int
		wantInError             string
	}{
		{"not JSON", "application/json", `{"status":`, 400, "malformed fault JSON"},
		{"unknown field", "application/json", `{"status":429,"cuont":3}`, 400, `unknown field "cuont"`},
		{"two objects", "application/json", `{"status":429} {"drop":true}`, 400, "nothing after it"},
		{"form body", "application/x-www-form-urlencoded", `status=429`, 415, "Content-Type: application/json"},
		{"negative count", "", `{"status":429,"count":-1}`, 400, "count -1 is negative"},
		{"negative latency", "", `{"latency":"-1s"}`, 400, "must not be negative"},
		{"latency not a duration", "", `{"latency":5}`, 400, `duration string such as "250ms"`},
		{"latency too long", "", `{"latency":"11m"}`, 400, "over the 10m0s limit"},
		{"empty", "", `{}`, 400, "nothing to inject"},
		{"two effects", "", `{"status":503,"drop":true}`, 400, "only one of"},
		{"success status", "", `{"status":200}`, 400, "not an error status"},
		{"redirect as status", "", `{"status":302}`, 400, `use "redirect" for 3xx`},
		{"retryAfter alone", "", `{"retryAfter":"5s","drop":true}`, 400, `"retryAfter" goes with "status"`},
		{"relative redirect", "", `{"redirect":"/elsewhere"}`, 400, "not an absolute http(s) URL"},
		{"odd redirect status", "", `{"redirect":"http://127.0.0.1:9/x","redirectStatus":304}`, 400, "give 301, 302, 303, 307 or 308"},
		{"path without slash", "", `{"status":500,"paths":["companies"]}`, 400, `path "companies" must start with /`},
		{"huge body", "", `{"paths":["/` + strings.Repeat("a", faults.MaxBody) + `"],"status":500}`, 413, "over 16384 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := do(t, http.MethodPost, url, tt.contentType, tt.body)
			var got struct{ Error string }
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("answer is not JSON: %v: %s", err, body)
			}
			if status != tt.status || !strings.Contains(got.Error, tt.wantInError) {
				t.Errorf("POST %s: %d %q, want %d and an error containing %q", tt.body, status, got.Error, tt.status, tt.wantInError)
			}
		})
	}
	if rules := set.List(); len(rules) != 0 {
		t.Errorf("refused faults were kept: %+v", rules)
	}
}

func TestControlAPI(t *testing.T) {
	t.Parallel()
	set, url := serve(t)
	status, body := do(t, http.MethodPost, url, "application/json", `{"status":429,"count":2,"retryAfter":"5s","paths":["/companies"]}`)
	if status != http.StatusCreated {
		t.Fatalf("POST: %d %s", status, body)
	}
	if status, body := do(t, http.MethodPost, url, "", `{"latency":"20ms"}`); status != http.StatusCreated {
		t.Fatalf("POST latency: %d %s", status, body)
	}

	if _, ok := set.Take("/companiesx"); !ok {
		t.Fatal("the latency rule (every path) did not apply to /companiesx")
	}
	got, _ := set.Take("/companies/abc")
	want := faults.Fault{Status: 429, RetryAfter: 5 * time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Take(/companies/abc) (-want +got):\n%s", diff)
	}
	if s := got.RetryAfterSeconds(); s != 5 {
		t.Errorf("RetryAfterSeconds = %d, want 5", s)
	}

	status, body = do(t, http.MethodGet, url, "", "")
	var list struct{ Faults []json.RawMessage }
	if err := json.Unmarshal([]byte(body), &list); err != nil || status != 200 {
		t.Fatalf("GET: %d %v %s", status, err, body)
	}
	wantList := []string{
		`{"id":1,"paths":["/companies"],"count":2,"status":429,"retryAfter":"5s","remaining":1,"hits":1}`,
		`{"id":2,"latency":"20ms","hits":1}`,
	}
	var gotList []string
	for _, f := range list.Faults {
		gotList = append(gotList, string(f))
	}
	if diff := cmp.Diff(wantList, gotList); diff != "" {
		t.Errorf("GET /_emulator/faults (-want +got):\n%s", diff)
	}

	// The last count of rule 1 removes it; then only the latency rule is left.
	if f, _ := set.Take("/companies"); f.Status != 429 {
		t.Errorf("second /companies request: %+v, want the 429", f)
	}
	if f, _ := set.Take("/companies"); f.Status != 0 || f.Latency != 20*time.Millisecond {
		t.Errorf("third /companies request: %+v, want only the latency", f)
	}
	if status, body := do(t, http.MethodGet, url+"/1", "", ""); status != 404 {
		t.Errorf("GET used-up rule 1: %d %s, want 404", status, body)
	}
	if status, body := do(t, http.MethodGet, url+"/x", "", ""); status != 400 {
		t.Errorf("GET rule x: %d %s, want 400", status, body)
	}
	if status, body := do(t, http.MethodPut, url, "", "{}"); status != 405 {
		t.Errorf("PUT: %d %s, want 405", status, body)
	}

	if status, body := do(t, http.MethodPost, url, "", `{"redirect":"http://127.0.0.1:9/x","count":1}`); status != 201 {
		t.Fatalf("POST redirect: %d %s", status, body)
	}
	if status, body := do(t, http.MethodDelete, url+"/2", "", ""); status != 200 {
		t.Errorf("DELETE rule 2: %d %s", status, body)
	}
	if f, _ := set.Take("/anything"); f.Redirect != "http://127.0.0.1:9/x" || f.RedirectStatus != http.StatusFound {
		t.Errorf("redirect rule: %+v, want 302 to http://127.0.0.1:9/x", f)
	}

	if status, body := do(t, http.MethodPost, url, "", `{"drop":true}`); status != 201 {
		t.Fatalf("POST drop: %d %s", status, body)
	}
	status, body = do(t, http.MethodDelete, url, "", "")
	if status != 200 || strings.TrimSpace(body) != `{"cleared":1}` {
		t.Errorf("DELETE: %d %s, want 200 {\"cleared\":1}", status, body)
	}
	if f, ok := set.Take("/companies"); ok {
		t.Errorf("after DELETE a fault still applies: %+v", f)
	}
}
