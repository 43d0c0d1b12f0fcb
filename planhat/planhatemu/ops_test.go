package planhatemu

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeClock is a settable clock for the rate window.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	srv := startServer(t, WithRateLimit(3, time.Minute), WithClock(clock.now))
	type step struct {
		status    int
		remaining string
	}
	var got []step
	for i := 0; i < 5; i++ {
		r := call(t, srv, "GET", srv.URL+"/companies", nil)
		if r.header.Get("X-Rate-Limit-Limit") != "3" {
			t.Fatalf("X-Rate-Limit-Limit = %q", r.header.Get("X-Rate-Limit-Limit"))
		}
		got = append(got, step{r.status, r.header.Get("X-Rate-Limit-Remaining")})
		if r.status == 429 {
			if string(r.body) != "Too many requests" || r.header.Get("Retry-After") != "" {
				t.Errorf("429 body %q Retry-After %q", r.body, r.header.Get("Retry-After"))
			}
		}
	}
	want := []step{{200, "2"}, {200, "1"}, {200, "0"}, {429, "0"}, {429, "0"}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(step{})); diff != "" {
		t.Errorf("window (-want +got):\n%s", diff)
	}
	// Unauthenticated requests get 401 and do not use the quota, but carry
	// the headers.
	r := send(t, "GET", srv.URL+"/companies", nil, nil)
	mustStatus(t, r, 401)
	if r.header.Get("X-Rate-Limit-Remaining") != "0" {
		t.Errorf("401 lacks rate headers")
	}
	// The analytics host is exempt.
	mustStatus(t, send(t, "POST", srv.AnalyticsURL+"/analytics/"+srv.Tenant, map[string]any{"email": "a@b.example"}, nil), 200)

	srv.SetSwitches(func(s *Switches) { s.RetryAfter = true })
	clock.advance(15 * time.Second)
	r = call(t, srv, "GET", srv.URL+"/companies", nil)
	mustStatus(t, r, 429)
	if r.header.Get("Retry-After") != "45" {
		t.Errorf("Retry-After = %q, want 45", r.header.Get("Retry-After"))
	}
	clock.advance(45 * time.Second)
	r = call(t, srv, "GET", srv.URL+"/companies", nil)
	mustStatus(t, r, 200)
	if r.header.Get("X-Rate-Limit-Remaining") != "2" {
		t.Errorf("new window remaining = %q, want 2", r.header.Get("X-Rate-Limit-Remaining"))
	}
	if st := srv.Stats(); st.RateLimited != 3 {
		t.Errorf("RateLimited = %d, want 3", st.RateLimited)
	}
}

func TestPerSecondAndInFlightLimits(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	srv := startServer(t, WithRateLimit(0, 0), WithClock(clock.now), WithSwitches(Switches{PerSecondLimit: 2}))
	var statuses []int
	for i := 0; i < 3; i++ {
		statuses = append(statuses, call(t, srv, "GET", srv.URL+"/companies", nil).status)
	}
	clock.advance(time.Second)
	statuses = append(statuses, call(t, srv, "GET", srv.URL+"/companies", nil).status)
	if diff := cmp.Diff([]int{200, 200, 429, 200}, statuses); diff != "" {
		t.Errorf("per-second (-want +got):\n%s", diff)
	}

	srv2 := newTestServer(t, WithSwitches(Switches{MaxInFlight: 1}))
	srv2.SetLatency(time.Second) // ample time to send the second request under load
	first := make(chan int)
	go func() { first <- call(t, srv2, "GET", srv2.URL+"/companies", nil).status }()
	// Wait until the first request is in flight, then send a second.
	for srv2.inFlight.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	second := call(t, srv2, "GET", srv2.URL+"/companies", nil).status
	if got := []int{<-first, second}; !cmp.Equal(got, []int{200, 429}) {
		t.Errorf("parallel statuses = %v, want [200 429]", got)
	}
	mustStatus(t, call(t, srv2, "GET", srv2.URL+"/companies", nil), 200)
}

func TestFaults(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	srv.FailNext(2, 429)
	mustStatus(t, call(t, srv, "GET", srv.URL+"/companies", nil), 429)
	mustStatus(t, send(t, "POST", srv.AnalyticsURL+"/analytics/"+srv.Tenant, map[string]any{"email": "x@y.example"}, nil), 429)
	mustStatus(t, call(t, srv, "GET", srv.URL+"/companies", nil), 200)

	srv.FailNext(1, 503)
	r := call(t, srv, "PUT", srv.URL+"/companies", []any{map[string]any{"name": "A"}})
	mustStatus(t, r, 503)
	if srv.Count("companies") != 0 {
		t.Errorf("a failed request stored data")
	}
	srv.DropNextConnections(1)
	req, _ := http.NewRequest("GET", srv.URL+"/companies", nil)
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	// A fresh connection: Go's transport silently retries idempotent
	// requests whose reused connection dies, which would hide the fault.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if res, err := fresh.Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("dropped connection answered %d", res.StatusCode)
	}
	mustStatus(t, call(t, srv, "GET", srv.URL+"/companies", nil), 200)

	srv.SetLatency(30 * time.Millisecond)
	start := time.Now()
	mustStatus(t, call(t, srv, "GET", srv.URL+"/companies", nil), 200)
	if time.Since(start) < 30*time.Millisecond {
		t.Errorf("latency not applied")
	}
	srv.SetLatency(0)
	st := srv.Stats()
	if st.RateLimited != 2 || st.ByStatus[503] != 1 || st.ByStatus[0] != 1 {
		t.Errorf("stats after faults = %+v", st)
	}
}

func TestAccounting(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, WithRequestLog(3, 8))
	id := createCompany(t, srv, map[string]any{"name": "Acme Corporation"})
	call(t, srv, "GET", srv.URL+"/companies/"+id, nil)
	call(t, srv, "GET", srv.URL+"/companies/extid-x", nil)
	call(t, srv, "PUT", srv.URL+"/companies", []any{})
	call(t, srv, "GET", srv.URL+"/companies?limit=1", nil)
	send(t, "GET", srv.URL+"/bogus", nil, nil)
	send(t, "POST", srv.AnalyticsURL+"/analytics/bulk/"+srv.Tenant, []any{}, nil)
	st := srv.Stats()
	want := Stats{
		Total: 7,
		ByRoute: map[string]int{"POST /companies": 1, "GET /companies/{id}": 2, "PUT /companies": 1, "GET /companies": 1,
			"GET (unmatched)": 1, "POST /analytics/bulk/{tenant}": 1},
		ByMethod:    map[string]int{"GET": 4, "POST": 2, "PUT": 1},
		ByStatus:    map[int]int{200: 5, 404: 1, 401: 1},
		RateLimited: 0,
	}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	reqs := srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("request log keeps %d, want the last 3", len(reqs))
	}
	if reqs[0].Route != "GET /companies" || reqs[0].Query != "limit=1" || reqs[2].Route != "POST /analytics/bulk/{tenant}" {
		t.Errorf("log order/route: %+v", reqs)
	}
	all := srv.Requests()
	for _, r := range all {
		if r.Header.Get("Authorization") != "" {
			t.Errorf("request log kept the Authorization header")
		}
	}
	srv.ResetStats()
	if st := srv.Stats(); st.Total != 0 || len(srv.Requests()) != 0 {
		t.Errorf("ResetStats left %+v", st)
	}
	srv2 := newTestServer(t, WithRequestLog(10, 8))
	createCompany(t, srv2, map[string]any{"name": "Acme Corporation"})
	r := srv2.Requests()[0]
	if string(r.Body) != `{"name":` || r.BodySize != int64(len(`{"name":"Acme Corporation"}`)) {
		t.Errorf("bounded body = %q size %d", r.Body, r.BodySize)
	}
}

func TestAnalyticsHost(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, WithMaxBodyBytes(32<<20, 2048))
	base := srv.AnalyticsURL
	tests := []struct {
		name, path string
		body       any
		headers    map[string]string
		want       int
	}{
		{"single", "/analytics/" + srv.Tenant, map[string]any{"email": "a@x.example", "action": "Logged in", "companyExternalId": "c1"}, nil, 200},
		{"single without identity is ignored but 200", "/analytics/" + srv.Tenant, map[string]any{"action": "x"}, nil, 200},
		{"bulk", "/analytics/bulk/" + srv.Tenant, []any{map[string]any{"id": "u1", "cId": "c1", "action": "a", "count": 3}, map[string]any{"email": "b@x.example"}}, nil, 200},
		{"bulk needs array", "/analytics/bulk/" + srv.Tenant, map[string]any{"email": "b@x.example"}, nil, 400},
		{"single needs object", "/analytics/" + srv.Tenant, []any{}, nil, 400},
		{"unknown tenant", "/analytics/00000000-0000-0000-0000-000000000000", map[string]any{"email": "a@x.example"}, nil, 404},
		{"oversized", "/analytics/bulk/" + srv.Tenant, "[" + strings.Repeat(`{"email":"a@x.example"},`, 200) + `{}]`, nil, 413},
		{"malformed", "/analytics/" + srv.Tenant, `{"email":`, nil, 400},
		{"segment", "/dock/segment", map[string]any{"type": "track", "userId": "u1", "event": "Signed up"}, map[string]string{"Authorization": basic(srv.Tenant, "")}, 200},
		{"segment without auth", "/dock/segment", map[string]any{"type": "track", "userId": "u1"}, nil, 401},
		{"segment wrong tenant", "/dock/segment", map[string]any{"type": "track"}, map[string]string{"Authorization": basic("nope", "")}, 401},
		{"GET is not a route", "/analytics/" + srv.Tenant, nil, nil, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := "POST"
			if tc.body == nil {
				method = "GET"
			}
			r := send(t, method, base+tc.path, tc.body, tc.headers)
			mustStatus(t, r, tc.want)
			if r.header.Get("X-Rate-Limit-Limit") != "" {
				t.Errorf("analytics host sent rate headers")
			}
		})
	}
	acts := srv.Activities()
	var summary []string
	for _, a := range acts {
		summary = append(summary, fmt.Sprintf("%s:%v", a.Kind, a.Ignored))
	}
	if diff := cmp.Diff([]string{"single:false", "single:true", "bulk:false", "bulk:false", "segment:false"}, summary); diff != "" {
		t.Errorf("activities (-want +got):\n%s", diff)
	}
	// Analytics paths are not routes of the main host.
	mustStatus(t, call(t, srv, "POST", srv.URL+"/analytics/"+srv.Tenant, map[string]any{"email": "a@x.example"}), 404)
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	cid := srv.Insert("companies", map[string]any{"name": "Acme", "externalId": "acme"})
	srv.Insert("assets", map[string]any{"name": "Box", "externalId": "box", "companyId": cid})
	items := []any{
		map[string]any{"dimensionId": "activeusers", "value": 5, "externalId": "acme", "date": "2024-01-02"},
		map[string]any{"dimensionId": "activeusers", "value": 7, "externalId": "acme", "date": "2024-01-05T10:00:00Z"},
		map[string]any{"dimensionId": "load", "value": 0.5, "externalId": "box", "model": "Asset", "date": "2024-01-03"},
		map[string]any{"value": 1, "externalId": "acme"},
		map[string]any{"dimensionId": "bad id", "value": 1, "externalId": "acme"},
		map[string]any{"dimensionId": "x", "value": "many", "externalId": "acme"},
		map[string]any{"dimensionId": "x", "value": 1},
		map[string]any{"dimensionId": "x", "value": 1, "externalId": "acme", "model": "Planet"},
		map[string]any{"dimensionId": "x", "value": 1, "externalId": "acme", "date": "yesterday"},
	}
	r := send(t, "POST", srv.AnalyticsURL+"/dimensiondata/"+srv.Tenant, items, nil)
	mustStatus(t, r, 200)
	got := r.object(t)
	if fmt.Sprint(got["processed"]) != "3" {
		t.Errorf("processed = %v", got["processed"])
	}
	var msgs []string
	for _, e := range got["errors"].([]any) {
		msgs = append(msgs, e.(map[string]any)["error"].(string))
	}
	wantMsgs := []string{"dimensionId must be specified", "dimensionId must not contain spaces or special characters", "value must be a number",
		"externalId must be specified", `model "Planet" must be one of Company, EndUser, Asset, Project`, `date "yesterday" must be an ISO date`}
	if diff := cmp.Diff(wantMsgs, msgs); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	// A single object works too; the legacy main-host form as well.
	mustStatus(t, send(t, "POST", srv.AnalyticsURL+"/dimensiondata/"+srv.Tenant, map[string]any{"dimensionId": "solo", "value": 1, "externalId": "acme", "date": "2024-02-01"}, nil), 200)
	mustStatus(t, send(t, "POST", srv.URL+"/"+srv.Tenant+"/dimensiondata", map[string]any{"dimensionId": "legacy", "value": 1, "companyExternalId": "acme", "date": "2024-02-01"}, nil), 200)

	day := func(s string) string { tm, _ := time.Parse("2006-01-02", s); return fmt.Sprint(tm.Unix() / 86400) }
	reads := []struct {
		query string
		want  int
	}{
		{"", 5},
		{"?cid=" + cid, 5},
		{"?cId=extid-acme&dimid=activeusers", 2},
		{"?dimid=load", 1},
		{"?from=" + day("2024-01-03") + "&to=" + day("2024-01-05"), 2},
		{"?limit=2&offset=1", 2},
		{"?cid=ffffffffffffffffffffffff", 0},
	}
	for _, tc := range reads {
		r := call(t, srv, "GET", srv.URL+"/dimensiondata"+tc.query, nil)
		mustStatus(t, r, 200)
		if n := len(r.array(t)); n != tc.want {
			t.Errorf("GET /dimensiondata%s: %d points, want %d", tc.query, n, tc.want)
		}
	}
	mustStatus(t, call(t, srv, "GET", srv.URL+"/dimensiondata?from=monday", nil), 400)
	first := call(t, srv, "GET", srv.URL+"/dimensiondata?dimid=load", nil).array(t)[0].(map[string]any)
	if first["companyId"] != cid || first["companyName"] != "Acme" || first["model"] != "Asset" || first["parentId"] == nil {
		t.Errorf("asset metric = %v", first)
	}
	if len(srv.Metrics()) != 5 {
		t.Errorf("Metrics() = %d", len(srv.Metrics()))
	}
	srv.SetSwitches(func(s *Switches) { s.MetricsRequireAuth = true })
	mustStatus(t, send(t, "POST", srv.AnalyticsURL+"/dimensiondata/"+srv.Tenant, []any{}, nil), 401)
	mustStatus(t, send(t, "POST", srv.AnalyticsURL+"/dimensiondata/"+srv.Tenant, []any{}, map[string]string{"Authorization": "Bearer " + srv.Token}), 200)
}

func TestCalls(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	body := map[string]any{"nr": "+4670123456", "externalUserId": "max123", "start": "2016-10-17T14:00:00.000Z", "end": "2016-10-17T14:02:00.000Z", "waiting": 10}
	r := call(t, srv, "POST", srv.URL+"/calls", body)
	mustStatus(t, r, 200)
	id := r.object(t)["_id"].(string)
	mustStatus(t, send(t, "POST", srv.URL+"/"+srv.Tenant+"/calls", body, nil), 200)
	mustStatus(t, send(t, "POST", srv.URL+"/199627f7-0d65-52cd-89b9-45b5ff561bem/calls", body, nil), 404)
	mustStatus(t, call(t, srv, "PUT", srv.URL+"/calls/"+id, map[string]any{"waiting": 12}), 200)
	if n := len(call(t, srv, "GET", srv.URL+"/calls", nil).array(t)); n != 2 {
		t.Errorf("calls = %d", n)
	}
	mustStatus(t, call(t, srv, "DELETE", srv.URL+"/calls/"+id, nil), 200)
}

func TestStandaloneHandler(t *testing.T) {
	t.Parallel()
	emu := New(WithToken("tok"), WithSeed(2), WithRateLimit(5, time.Minute))
	hs := httptest.NewServer(emu.Handler())
	defer hs.Close()
	auth := map[string]string{"Authorization": "Bearer tok"}
	mustStatus(t, send(t, "GET", hs.URL+"/companies", nil, auth), 200)
	mustStatus(t, send(t, "POST", hs.URL+"/analytics/"+emu.Tenant, map[string]any{"email": "a@x.example"}, nil), 200)
	mustStatus(t, send(t, "POST", hs.URL+"/dimensiondata/"+emu.Tenant, map[string]any{"dimensionId": "d", "value": 1, "externalId": "seed-company-1"}, nil), 200)
	mustStatus(t, send(t, "GET", hs.URL+"/dimensiondata", nil, auth), 200)
	r := send(t, "GET", hs.URL+"/_emulator/stats", nil, nil)
	mustStatus(t, r, 200)
	st := r.object(t)
	if fmt.Sprint(st["total"]) != "4" || st["byRoute"].(map[string]any)["POST /analytics/{tenant}"] == nil {
		t.Errorf("stats = %s", r.body)
	}
	for i := 0; i < 4; i++ {
		send(t, "GET", hs.URL+"/companies", nil, auth)
	}
	mustStatus(t, send(t, "GET", hs.URL+"/companies", nil, auth), 429)
	mustStatus(t, call(t, emu, "PUT", hs.URL+"/companies", []any{map[string]any{"name": "X"}}), 429)
	mustStatus(t, send(t, "POST", hs.URL+"/_emulator/reset", nil, nil), 200)
	if emu.Stats().Total != 0 || emu.Count("companies") != 2 {
		t.Errorf("reset: total %d companies %d", emu.Stats().Total, emu.Count("companies"))
	}
	mustStatus(t, send(t, "GET", hs.URL+"/companies", nil, auth), 200)
	// The two-listener server has no control routes.
	srv := newTestServer(t)
	mustStatus(t, call(t, srv, "GET", srv.URL+"/_emulator/stats", nil), 404)
}

func TestSeedIsDeterministic(t *testing.T) {
	t.Parallel()
	a, b := New(WithSeed(20)), New(WithSeed(20))
	for _, m := range []string{"users", "companies", "endusers", "conversations", "assets"} {
		if diff := cmp.Diff(a.Objects(m), b.Objects(m)); diff != "" {
			t.Errorf("%s differ between two seeds of 20:\n%s", m, diff)
		}
	}
	// Odd-numbered companies get two assets, even-numbered ones one.
	if got := []int{a.Count("companies"), a.Count("endusers"), a.Count("conversations"), a.Count("users"), a.Count("assets")}; !cmp.Equal(got, []int{20, 60, 40, 3, 30}) {
		t.Errorf("seed counts = %v", got)
	}
	srv := newTestServer(t, WithSeed(3))
	c := srv.Objects("companies")[0]
	r := call(t, srv, "GET", srv.URL+"/endusers?companyId="+c["_id"].(string), nil)
	if len(r.array(t)) != 3 {
		t.Errorf("seeded company has %d endusers", len(r.array(t)))
	}
	mustStatus(t, call(t, srv, "GET", srv.URL+"/companies/extid-seed-company-3", nil), 200)
	assets := call(t, srv, "GET", srv.URL+"/assets?companyId="+c["_id"].(string), nil).array(t)
	if len(assets) != 2 {
		t.Fatalf("seeded company 1 has %d assets, want 2", len(assets))
	}
	asset := call(t, srv, "GET", srv.URL+"/assets/extid-seed-asset-2", nil).object(t)
	custom, _ := asset["custom"].(map[string]any)
	if asset["companyId"] != c["_id"] || asset["companyName"] != c["name"] || asset["name"] == "" || custom["Serial"] != "SN-000002" || custom["Tier"] == nil {
		t.Errorf("seeded asset = %v", asset)
	}
}

func TestSwitchNames(t *testing.T) {
	t.Parallel()
	var s Switches
	for _, n := range SwitchNames() {
		if err := s.Set(n); err != nil {
			t.Errorf("Set(%q): %v", n, err)
		}
	}
	if !s.RetryAfter || !s.ConversationEnduserIDs {
		t.Errorf("switches not set: %+v", s)
	}
	if err := s.Set("retry-after=false"); err != nil || s.RetryAfter {
		t.Errorf("retry-after=false: %v %v", err, s.RetryAfter)
	}
	for _, bad := range []string{"nope", "retry-after=maybe"} {
		if err := s.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
}

func TestConcurrentClients(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Go(func() {
			for i := 0; i < 20; i++ {
				items := []any{map[string]any{"name": fmt.Sprint(w, "-", i), "externalId": fmt.Sprint("w", w, "-", i%5)}}
				r := call(t, srv, "PUT", srv.URL+"/companies", items)
				if r.status != 200 {
					t.Errorf("bulk status %d: %s", r.status, r.body)
				}
				call(t, srv, "GET", srv.URL+"/companies?sort=-name&limit=5", nil)
			}
		})
	}
	wg.Wait()
	if n := srv.Count("companies"); n != 40 {
		t.Errorf("companies = %d, want 40 (8 workers x 5 externalIds)", n)
	}
	if st := srv.Stats(); st.ByRoute["PUT /companies"] != 160 {
		t.Errorf("PUT count = %d", st.ByRoute["PUT /companies"])
	}
}

func TestUpdateSwitches(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	srv := newTestServer(t, WithClock(clock.now))
	id := createCompany(t, srv, map[string]any{"name": "A", "custom": map[string]any{"x": 1, "y": 2}})
	updatedAt := func() any { o, _ := srv.Object("companies", id); return o["updatedAt"] }
	first := updatedAt()
	clock.advance(time.Minute)
	call(t, srv, "PUT", srv.URL+"/companies/"+id, map[string]any{"name": "A"})
	if updatedAt() != first {
		t.Errorf("no-op update moved updatedAt by default")
	}
	srv.SetSwitches(func(s *Switches) { s.TouchUpdatedAtOnNoop = true })
	call(t, srv, "PUT", srv.URL+"/companies/"+id, map[string]any{"name": "A"})
	if updatedAt() == first {
		t.Errorf("TouchUpdatedAtOnNoop did not move updatedAt")
	}
	srv.SetSwitches(func(s *Switches) { s.ReplaceCustomOnUpdate = true })
	got := call(t, srv, "PUT", srv.URL+"/companies/"+id, map[string]any{"custom": map[string]any{"z": 3}}).object(t)
	if diff := cmp.Diff(map[string]any{"z": json.Number("3")}, got["custom"]); diff != "" {
		t.Errorf("ReplaceCustomOnUpdate (-want +got):\n%s", diff)
	}
}

func TestOversizeStatusSwitch(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, WithMaxBodyBytes(64, 64), WithSwitches(Switches{OversizeStatus: http.StatusBadRequest}))
	big := `[{"name":"` + strings.Repeat("x", 100) + `"}]`
	mustStatus(t, call(t, srv, "PUT", srv.URL+"/companies", big), 400)
	mustStatus(t, send(t, "POST", srv.AnalyticsURL+"/analytics/bulk/"+srv.Tenant, big, nil), 400)
	// Chunked bodies (no Content-Length) are cut off while reading.
	r := call(t, srv, "PUT", srv.URL+"/companies", io.MultiReader(strings.NewReader(big)))
	if r.status != 400 || srv.Count("companies") != 0 {
		t.Errorf("chunked oversize: status %d, companies %d", r.status, srv.Count("companies"))
	}
}

func TestLegacyRoutes(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	cid := srv.Insert("companies", map[string]any{"name": "Acme", "externalId": "acme"})
	other := srv.Insert("companies", map[string]any{"name": "Other"})
	base := srv.URL + "/companies/" + cid + "/licenses"
	r := call(t, srv, "POST", base, map[string]any{"_currency": "EUR", "fromDate": "2024-01-01", "mrr": 100})
	mustStatus(t, r, 200)
	lid := r.object(t)["_id"].(string)
	if r.object(t)["companyId"] != cid {
		t.Errorf("license companyId = %v", r.object(t)["companyId"])
	}
	srv.Insert("licenses", map[string]any{"_currency": "EUR", "companyId": other, "mrr": 1})
	if n := len(call(t, srv, "GET", base, nil).array(t)); n != 1 {
		t.Errorf("nested list = %d licenses, want 1", n)
	}
	mustStatus(t, call(t, srv, "GET", srv.URL+"/companies/extid-acme/licenses/"+lid, nil), 200)
	mustStatus(t, call(t, srv, "PUT", base+"/"+lid, map[string]any{"mrr": 120}), 200)
	mustStatus(t, call(t, srv, "GET", srv.URL+"/companies/"+other+"/licenses/"+lid, nil), 404)
	mustStatus(t, call(t, srv, "DELETE", base+"/"+lid, nil), 200)
	if st := srv.Stats(); st.ByRoute["GET /companies/{companyId}/licenses/{id}"] != 2 || st.ByRoute["POST /companies/{companyId}/licenses"] != 1 {
		t.Errorf("routes = %v", st.ByRoute)
	}

	csvBody := "cId,id,name,email,weight,action,date,count\nacme,u1,Ann,ann@acme.example,1,Logged in,2024-01-01,3\n,,,,,,\n"
	if r := send(t, "PUT", srv.AnalyticsURL+"/analytics/stream/csv/"+srv.Tenant, csvBody, map[string]string{"Content-Type": "text/csv"}); r.status != 200 {
		t.Fatalf("csv status %d", r.status)
	}
	acts := srv.Activities()
	if len(acts) != 2 || acts[0].Kind != "csv" || acts[0].Event["action"] != "Logged in" || !acts[0].Created || !acts[1].Ignored {
		t.Errorf("csv activities = %+v", acts)
	}
}

// TestUnverifiedLimitSwitches covers the switches for two behaviours the spec leaves open:
// whether the quota headers are still sent (the window holds either way) and churn's real
// maximum page size.
func TestUnverifiedLimitSwitches(t *testing.T) {
	t.Parallel()
	t.Run("no-rate-limit-headers", func(t *testing.T) {
		t.Parallel()
		clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		srv := startServer(t, WithRateLimit(2, time.Minute), WithClock(clock.now))
		var sw Switches
		if err := sw.Set("no-rate-limit-headers"); err != nil {
			t.Fatal(err)
		}
		srv.SetSwitches(func(s *Switches) { *s = sw })
		var statuses []int
		for range 3 {
			r := call(t, srv, "GET", srv.URL+"/companies", nil)
			statuses = append(statuses, r.status)
			for _, h := range []string{"X-Rate-Limit-Limit", "X-Rate-Limit-Remaining"} {
				if v := r.header.Get(h); v != "" {
					t.Errorf("%s = %q with the headers switched off", h, v)
				}
			}
		}
		if diff := cmp.Diff([]int{200, 200, 429}, statuses); diff != "" {
			t.Errorf("the window must still hold (-want +got):\n%s", diff)
		}
		srv.SetSwitches(func(s *Switches) { s.NoRateLimitHeaders = false })
		clock.advance(time.Minute)
		if r := call(t, srv, "GET", srv.URL+"/companies", nil); r.header.Get("X-Rate-Limit-Remaining") != "1" {
			t.Errorf("headers back on: Remaining = %q, want 1", r.header.Get("X-Rate-Limit-Remaining"))
		}
	})
	t.Run("MaxLimits", func(t *testing.T) {
		t.Parallel()
		srv := newTestServer(t)
		co := srv.Insert("companies", map[string]any{"name": "Acme"})
		for i := range 1500 {
			srv.Insert("churn", map[string]any{"companyId": co, "comment": fmt.Sprint(i)})
		}
		count := func() int {
			r := call(t, srv, "GET", srv.URL+"/churn?limit=2000", nil)
			mustStatus(t, r, 200)
			var list []any
			if err := json.Unmarshal(r.body, &list); err != nil {
				t.Fatal(err)
			}
			return len(list)
		}
		if n := count(); n != 1000 {
			t.Errorf("default churn page = %d, want the spec's 1000", n)
		}
		srv.SetSwitches(func(s *Switches) { s.MaxLimits = map[string]int{"churn": 2000} })
		if n := count(); n != 1500 {
			t.Errorf("churn page with MaxLimits 2000 = %d, want all 1500", n)
		}
	})
}
