package planhatemu

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// serveLocal answers one request in process (no network), so the request
// can run inside a synctest bubble.
func serveLocal(h http.Handler, method, target, token, body string) *httptest.ResponseRecorder {
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, target, nil)
	} else {
		req = httptest.NewRequest(method, target, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestRateWindowResets runs a full 60 s window in fake time: the quota
// comes back exactly when the fixed window ends, not before.
func TestRateWindowResets(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := New(WithToken("t"), WithRateLimit(2, time.Minute), WithSwitches(Switches{RetryAfter: true}))
		h := srv.MainHandler()
		get := func() (int, string) {
			rec := serveLocal(h, "GET", "/companies", "t", "")
			return rec.Code, rec.Header().Get("Retry-After")
		}
		var got []int
		for range 3 {
			code, _ := get()
			got = append(got, code)
		}
		time.Sleep(59 * time.Second)
		code, retry := get()
		got = append(got, code)
		if retry != "1" {
			t.Errorf("Retry-After one second before the reset = %q, want 1", retry)
		}
		time.Sleep(time.Second)
		code, _ = get()
		got = append(got, code)
		if diff := cmp.Diff([]int{200, 200, 429, 429, 200}, got); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
	})
}

// TestLatencyInFakeTime checks SetLatency delays answers by the set time
// and that a cancelled request stops waiting.
func TestLatencyInFakeTime(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := New(WithToken("t"), WithRateLimit(0, 0))
		srv.SetLatency(5 * time.Second)
		start := time.Now()
		if rec := serveLocal(srv.MainHandler(), "GET", "/companies", "t", ""); rec.Code != 200 {
			t.Fatalf("status %d", rec.Code)
		}
		if d := time.Since(start); d != 5*time.Second {
			t.Errorf("answer took %v, want 5s", d)
		}
	})
}

func TestActivityAutoCreatesEndusers(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	cid := srv.Insert("companies", map[string]any{"name": "Acme", "externalId": "acme"})
	known := srv.Insert("endusers", map[string]any{"email": "known@acme.example", "companyId": cid, "externalId": "u-known"})
	track := func(path string, body any) {
		t.Helper()
		mustStatus(t, send(t, "POST", srv.AnalyticsURL+path, body, nil), 200)
	}
	track("/analytics/"+srv.Tenant, map[string]any{"email": "KNOWN@acme.example", "action": "Logged in"})
	track("/analytics/"+srv.Tenant, map[string]any{"email": "new@acme.example", "name": "New User", "companyExternalId": "acme", "action": "Signed up"})
	track("/analytics/"+srv.Tenant, map[string]any{"email": "stray@nowhere.example", "action": "x"})
	track("/analytics/bulk/"+srv.Tenant, []any{map[string]any{"id": "u-bulk", "cId": "acme", "action": "a"}, map[string]any{"id": "u-known", "action": "b"}})
	type row struct {
		Enduser bool
		Created bool
	}
	var got []row
	for _, a := range srv.Activities() {
		got = append(got, row{a.EnduserID != "", a.Created})
	}
	if diff := cmp.Diff([]row{{true, false}, {true, true}, {false, false}, {true, true}, {true, false}}, got); diff != "" {
		t.Errorf("attribution (-want +got):\n%s", diff)
	}
	if a := srv.Activities()[0]; a.EnduserID != known {
		t.Errorf("known user attributed to %s, want %s", a.EnduserID, known)
	}
	eu, ok := srv.Object("endusers", "extid-u-bulk")
	if !ok || eu["companyId"] != cid {
		t.Errorf("bulk auto-created enduser = %v", eu)
	}
	if n := srv.Count("endusers"); n != 3 {
		t.Errorf("endusers = %d, want 3", n)
	}
}
