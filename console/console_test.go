package console_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/console"
	"github.com/planbridge/planbridge/httpapi"
	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/store"
	"github.com/planbridge/planbridge/store/sqlitestore"
)

const (
	adminKey     = "pbk_console_test_admin_key_0123456789"
	planhatToken = "ph-secret-token-never-shown-4f2a"
	planfixToken = "pf-secret-token-never-shown-9b1c"
	hookSecret   = "hook-secret-never-shown-77aa"
)

// fixture is a console over a real SQLite store, served with the
// server's own middleware (API keys, body limits) like planbridge serve.
type fixture struct {
	st   store.Store
	srv  *httptest.Server
	hist *console.History
	now  time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := openStore(t)
	f := &fixture{st: st, now: time.Now()}
	f.hist = console.NewHistory(nil)
	c, err := console.New(console.Options{Store: st, AdminKeys: []string{adminKey}, History: f.hist, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	h, err := httpapi.New(httpapi.Config{APIKeys: httpapi.ParseAPIKeys(adminKey), Doors: []httpapi.Door{c.Door(), httpapi.AdminDoor(st, httpapi.AdminOptions{})}})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	f.seed(t)
	return f
}

// openStore opens a SQLite store in the test's directory.
func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "planbridge.db"), sqlitestore.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// seed stores a Planhat destination and a Planfix installation with
// secrets, a dead letter, an available item behind a retrying head, and
// one completed item.
func (f *fixture) seed(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().Add(-time.Minute)
	err := f.st.Write(ctx, func(tx store.Tx) error {
		if err := tx.PutDestination(ctx, store.Destination{ID: "dest-a", APIURL: "https://api.planhat.com", Token: planhatToken, Tenant: "tenant-secret", UpdatedAt: now}); err != nil {
			return err
		}
		if err := tx.PutHandoffInstallation(ctx, store.HandoffInstallation{ID: "inst-a", Endpoint: "https://acme.planfix.com/webchat/api", PlanfixToken: planfixToken,
			ProviderID: "prov", WebhookURL: "https://bot.example/hook", WebhookSecret: hookSecret, UpdatedAt: now}); err != nil {
			return err
		}
		for _, it := range []store.NewItem{
			{Kind: "planhat.conversation", Dest: "dest-a", Key: "conv-dead", Payload: []byte(`{"conversation":"conv-dead","note":"payload-marker-1"}`), MaxAttempts: 1},
			{Kind: "planhat.conversation", Dest: "dest-a", Key: "conv-2", Payload: []byte(`{"conversation":"conv-2","n":1}`)},
			{Kind: "planhat.conversation", Dest: "dest-a", Key: "conv-2", Payload: []byte(`{"conversation":"conv-2","n":2}`)},
		} {
			if _, err := tx.Enqueue(ctx, it, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Item 1 dies (one attempt), item 2 fails once and waits: item 3 waits behind it.
	items, err := f.st.ClaimItems(ctx, store.Claim{Dest: "dest-a", Kind: "planhat.conversation", Limit: 10, Owner: "t", Now: now, Until: now.Add(time.Minute)})
	if err != nil || len(items) != 2 {
		t.Fatalf("claimed %d items, %v; want 2", len(items), err)
	}
	_, err = f.st.Finish(ctx, "t", now, []store.Outcome{
		{ID: items[0].ID, State: store.StateDead, Error: "Planhat answered 400: invalid companyId"},
		{ID: items[1].ID, State: store.StateAvailable, RunAt: now.Add(time.Hour), Error: "Planhat answered 503: try later"},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.hist.Record(outbox.Delivery{Dest: "dest-a", Kind: "planhat.conversation", Verdicts: map[outbox.Verdict]int{outbox.Delivered: 5, outbox.Fail: 1}})
}

// browser is an HTTP client that keeps cookies and does not follow redirects.
func (f *fixture) browser(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var hiddenToken = regexp.MustCompile(`name="(token|csrf)" value="([^"]+)"`)

func field(t *testing.T, page, name string) string {
	t.Helper()
	for _, m := range hiddenToken.FindAllStringSubmatch(page, -1) {
		if m[1] == name {
			return m[2]
		}
	}
	t.Fatalf("no %s field in the page:\n%s", name, page)
	return ""
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func post(t *testing.T, c *http.Client, u string, form url.Values, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// login logs c in and returns the CSRF token of its session.
func (f *fixture) login(t *testing.T, c *http.Client) string {
	t.Helper()
	_, page := get(t, c, f.srv.URL+"/console/login")
	resp, body := post(t, c, f.srv.URL+"/console/login", url.Values{"token": {field(t, page, "token")}, "key": {adminKey}, "next": {"/console"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	_, page = get(t, c, f.srv.URL+"/console")
	return field(t, page, "csrf")
}

func TestLoginSetsAStrictHttpOnlyCookie(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.browser(t)
	_, page := get(t, c, f.srv.URL+"/console/login")
	resp, _ := post(t, c, f.srv.URL+"/console/login", url.Values{"token": {field(t, page, "token")}, "key": {adminKey}, "next": {"/console/outbox?state=dead"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/outbox?state=dead" {
		t.Fatalf("login answered %d to %q; want 303 to the page asked for", resp.StatusCode, resp.Header.Get("Location"))
	}
	var ck *http.Cookie
	for _, k := range resp.Cookies() {
		if k.Name == console.SessionCookie {
			ck = k
		}
	}
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/console" {
		t.Fatalf("session cookie %+v; want HttpOnly, SameSite=Strict, Path=/console", ck)
	}
	if strings.Contains(ck.Value, adminKey) {
		t.Fatal("the cookie carries the admin key")
	}
}

func TestRepeatedFailedLoginsAreSlowedDown(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.browser(t)
	var last int
	for range 6 {
		_, page := get(t, c, f.srv.URL+"/console/login")
		resp, _ := post(t, c, f.srv.URL+"/console/login", url.Values{"token": {field(t, page, "token")}, "key": {"guess"}})
		last = resp.StatusCode
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("the sixth wrong key in a minute: %d, want 429", last)
	}
	// Even the right key waits out the window.
	_, page := get(t, c, f.srv.URL+"/console/login")
	resp, body := post(t, c, f.srv.URL+"/console/login", url.Values{"token": {field(t, page, "token")}, "key": {adminKey}})
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "wait a minute") {
		t.Errorf("the right key during the lock-out: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

func TestLoginRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name       string
		form       func(token string) url.Values
		header     []string
		wantStatus int
		wantText   string
	}{
		{"wrong key", func(tok string) url.Values { return url.Values{"token": {tok}, "key": {"nope"}} }, nil, http.StatusUnauthorized, "not one of this server"},
		{"empty key", func(tok string) url.Values { return url.Values{"token": {tok}, "key": {""}} }, nil, http.StatusUnauthorized, "not one of this server"},
		{"no form token", func(string) url.Values { return url.Values{"key": {adminKey}} }, nil, http.StatusForbidden, "did not come from this console"},
		{"forged form token", func(string) url.Values { return url.Values{"token": {"forged"}, "key": {adminKey}} }, nil, http.StatusForbidden, "did not come from this console"},
		{"cross-site origin", func(tok string) url.Values { return url.Values{"token": {tok}, "key": {adminKey}} }, []string{"Origin", "https://evil.example"}, http.StatusForbidden, "did not come from this console"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := f.browser(t)
			_, page := get(t, c, f.srv.URL+"/console/login")
			resp, body := post(t, c, f.srv.URL+"/console/login", tc.form(field(t, page, "token")), tc.header...)
			if resp.StatusCode != tc.wantStatus || !strings.Contains(body, tc.wantText) {
				t.Fatalf("got %d, want %d with %q:\n%s", resp.StatusCode, tc.wantStatus, tc.wantText, body)
			}
			for _, k := range resp.Cookies() {
				if k.Name == console.SessionCookie && k.Value != "" {
					t.Fatal("a refused login set a session cookie")
				}
			}
		})
	}
}

// consolePages are every page, for the checks that hold on all of them.
var consolePages = []string{"/console", "/console/outbox", "/console/outbox?state=dead&kind=planhat.conversation", "/console/outbox/1", "/console/handoffs", "/console/handoffs?state=open"}

func TestNoPageWithoutLogin(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.browser(t)
	for _, p := range consolePages {
		resp, body := get(t, c, f.srv.URL+p)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/login?next=") {
			t.Errorf("%s without a session: %d %q", p, resp.StatusCode, resp.Header.Get("Location"))
		}
		if strings.Contains(body, "payload-marker-1") || strings.Contains(body, "dest-a") {
			t.Errorf("%s leaked data before login", p)
		}
	}
	// A tampered or foreign cookie is no session either.
	u, _ := url.Parse(f.srv.URL + "/console")
	for _, v := range []string{"x", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.bad", strings.Repeat("a", 500)} {
		c.Jar.SetCookies(u, []*http.Cookie{{Name: console.SessionCookie, Value: v, Path: "/console"}})
		if resp, _ := get(t, c, f.srv.URL+"/console"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("cookie %q: %d, want a redirect to the login", v, resp.StatusCode)
		}
	}
}

func TestNoJSONWithoutTheKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, p := range []string{"/v1/admin/overview", "/v1/admin/handoffs", "/v1/admin/outbox", "/v1/admin/outbox/items"} {
		for _, auth := range []string{"", "Bearer wrong", "Bearer " + adminKey + "x"} {
			req, _ := http.NewRequest(http.MethodGet, f.srv.URL+p, nil)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s with %q: %d, want 401", p, auth, resp.StatusCode)
			}
		}
	}
	// A console cookie is not an API key.
	c := f.browser(t)
	f.login(t, c)
	if resp, _ := get(t, c, f.srv.URL+"/v1/admin/overview"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the JSON with only the console cookie: %d, want 401", resp.StatusCode)
	}
}

func TestFormsWithoutTheCSRFTokenAreRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.browser(t)
	csrf := f.login(t, c)
	other := f.browser(t)
	otherCSRF := f.login(t, other)
	tests := []struct {
		name   string
		form   url.Values
		header []string
		status int
	}{
		{"no token", url.Values{"scope": {"ids"}, "id": {"1"}}, nil, http.StatusForbidden},
		{"forged token", url.Values{"scope": {"ids"}, "id": {"1"}, "csrf": {"forged"}}, nil, http.StatusForbidden},
		{"another session's token", url.Values{"scope": {"ids"}, "id": {"1"}, "csrf": {otherCSRF}}, nil, http.StatusForbidden},
		{"right token from another site", url.Values{"scope": {"ids"}, "id": {"1"}, "csrf": {csrf}}, []string{"Origin", "https://evil.example"}, http.StatusForbidden},
		{"right token, wrong content type", url.Values{"scope": {"ids"}, "id": {"1"}, "csrf": {csrf}}, []string{"Content-Type", "application/json"}, http.StatusBadRequest},
	}
	for _, tc := range tests {
		for _, path := range []string{"/console/outbox/retry", "/console/outbox/discard"} {
			resp, body := post(t, c, f.srv.URL+path, tc.form, tc.header...)
			if resp.StatusCode != tc.status || !strings.Contains(body, "nothing was changed") && !strings.Contains(body, "Nothing was changed") {
				t.Errorf("%s %s: %d, want %d saying nothing changed:\n%s", tc.name, path, resp.StatusCode, tc.status, body)
			}
		}
	}
	it, err := f.st.Item(context.Background(), 1)
	if err != nil || it.State != store.StateDead {
		t.Fatalf("item 1 is %v (%v) after refused forms; want still dead", it.State, err)
	}
	// Without a session at all, a form is refused too.
	resp, _ := post(t, f.browser(t), f.srv.URL+"/console/outbox/retry", url.Values{"scope": {"ids"}, "id": {"1"}, "csrf": {csrf}})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a form without a session: %d, want 401", resp.StatusCode)
	}
	// An oversized form is refused before it is read.
	resp, _ = post(t, c, f.srv.URL+"/console/outbox/retry", url.Values{"csrf": {csrf}, "pad": {strings.Repeat("x", console.MaxFormBytes)}})
	if resp.StatusCode != http.StatusRequestEntityTooLarge && resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an oversized form: %d, want 413 or 400", resp.StatusCode)
	}
}

func TestEveryAnswerHasTheSecurityHeaders(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.browser(t)
	f.login(t, c)
	paths := append([]string{"/console/login", "/console/static/console.css", "/console/nope"}, consolePages...)
	for _, p := range paths {
		resp, _ := get(t, c, f.srv.URL+p)
		if got := resp.Header.Get("Content-Security-Policy"); got != console.ContentSecurityPolicy {
			t.Errorf("%s: CSP %q", p, got)
		}
		if resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: framing or sniffing headers missing: %v", p, resp.Header)
		}
	}
	if !strings.Contains(console.ContentSecurityPolicy, "script-src 'self'") || strings.Contains(console.ContentSecurityPolicy, "unsafe-inline") {
		t.Errorf("the CSP allows inline script: %s", console.ContentSecurityPolicy)
	}
}

func TestNoSecretInAnyPageOrJSON(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.browser(t)
	f.login(t, c)
	secrets := []string{adminKey, planhatToken, planfixToken, hookSecret, "tenant-secret"}
	check := func(where, body string) {
		for _, s := range secrets {
			if strings.Contains(body, s) {
				t.Errorf("%s shows a secret (%.6s…)", where, s)
			}
		}
	}
	for _, p := range append(consolePages, "/console/outbox/2", "/console/outbox/3") {
		resp, body := get(t, c, f.srv.URL+p)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
		check(p, body)
	}
	for _, p := range []string{"/v1/admin/overview", "/v1/admin/handoffs", "/v1/admin/outbox", "/v1/admin/outbox/items", "/v1/admin/outbox/items/1"} {
		req, _ := http.NewRequest(http.MethodGet, f.srv.URL+p, nil)
		req.Header.Set("Authorization", "Bearer "+adminKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d %s", p, resp.StatusCode, b)
		}
		check(p, string(b))
	}
}

func TestOutboxPageShowsDeadLettersFirstAndTheBlockingHead(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.browser(t)
	f.login(t, c)
	_, page := get(t, c, f.srv.URL+"/console/outbox")
	dead, rest := strings.Index(page, `id="dead"`), strings.Index(page, "Other items")
	if dead < 0 || rest < dead || !strings.Contains(page[dead:rest], `id="item-1"`) {
		t.Fatalf("the dead letter is not listed first:\n%s", page)
	}
	row := page[strings.Index(page, `id="item-3"`):]
	row = row[:strings.Index(row, "</tr>")]
	if !strings.Contains(row, "waits behind") || !strings.Contains(row, "item 2") || !strings.Contains(row, "503: try later") {
		t.Errorf("item 3 does not show its key's head as the cause:\n%s", row)
	}
	// Filters narrow the list.
	_, page = get(t, c, f.srv.URL+"/console/outbox?key=conv-dead")
	if !strings.Contains(page, `id="item-1"`) || strings.Contains(page, `id="item-2"`) {
		t.Errorf("the key filter did not narrow the list")
	}
	_, page = get(t, c, f.srv.URL+"/console/outbox?token=0000")
	if !strings.Contains(page, "No destination with unfinished work uses a token") {
		t.Errorf("an unknown token fingerprint is not explained:\n%s", page)
	}
	resp, page := get(t, c, f.srv.URL+"/console/outbox?after=yesterday-ish")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "after") {
		t.Errorf("a bad time filter: %d\n%s", resp.StatusCode, page)
	}
	// The item page shows the whole payload and the last error.
	_, page = get(t, c, f.srv.URL+"/console/outbox/1")
	if !strings.Contains(page, "payload-marker-1") || !strings.Contains(page, "invalid companyId") {
		t.Errorf("the item page lacks the payload or the error:\n%s", page)
	}
	// Item 2 failed once: its attempt log lists that attempt's error.
	_, page = get(t, c, f.srv.URL+"/console/outbox/2")
	if i := strings.Index(page, `id="attempts"`); i < 0 || !strings.Contains(page[i:], "503: try later") {
		t.Errorf("the item page does not list the failed attempt:\n%s", page)
	}
	resp, _ = get(t, c, f.srv.URL+"/console/outbox/999")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown item: %d, want 404", resp.StatusCode)
	}
}

func TestRetryAndBulkDiscardWithConfirmation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.browser(t)
	csrf := f.login(t, c)
	ctx := context.Background()

	resp, body := post(t, c, f.srv.URL+"/console/outbox/retry", url.Values{"csrf": {csrf}, "scope": {"ids"}, "id": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("retry: %d %s", resp.StatusCode, body)
	}
	if it, _ := f.st.Item(ctx, 1); it.State != store.StateAvailable || it.Attempts != 0 {
		t.Fatalf("after retry item 1 is %s with %d attempts; want available, 0", it.State, it.Attempts)
	}
	_, page := get(t, c, f.srv.URL+resp.Header.Get("Location"))
	if !strings.Contains(page, "1 item(s) made available again") {
		t.Errorf("no notice after the retry:\n%s", page)
	}

	// A bulk discard by filter first asks, saying how many, and changes nothing.
	form := url.Values{"csrf": {csrf}, "scope": {"filter"}, "key": {"conv-2"}, "state": {"available"}}
	resp, page = post(t, c, f.srv.URL+"/console/outbox/discard", form)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "<strong>2</strong> item(s)") {
		t.Fatalf("the confirmation: %d\n%s", resp.StatusCode, page)
	}
	if it, _ := f.st.Item(ctx, 2); it.State != store.StateAvailable {
		t.Fatalf("the confirmation page changed item 2 to %s", it.State)
	}
	form.Set("confirm", "yes")
	resp, body = post(t, c, f.srv.URL+"/console/outbox/discard", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirmed discard: %d %s", resp.StatusCode, body)
	}
	var got []store.State
	for _, id := range []int64{1, 2, 3} {
		it, _ := f.st.Item(ctx, id)
		got = append(got, it.State)
	}
	if diff := cmp.Diff([]store.State{store.StateAvailable, store.StateDiscarded, store.StateDiscarded}, got); diff != "" {
		t.Errorf("states after the bulk discard (-want +got):\n%s", diff)
	}

	// Bad selections are explained and change nothing.
	for _, bad := range []url.Values{
		{"csrf": {csrf}},
		{"csrf": {csrf}, "scope": {"ids"}},
		{"csrf": {csrf}, "scope": {"ids"}, "id": {"x"}},
		{"csrf": {csrf}, "scope": {"filter"}, "state": {"sleeping"}},
	} {
		resp, body := post(t, c, f.srv.URL+"/console/outbox/retry", bad)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%v: %d, want 400\n%s", bad, resp.StatusCode, body)
		}
	}
}

func TestOverviewJSON(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/v1/admin/overview", nil)
	req.Header.Set("Authorization", "Bearer "+adminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ov console.Overview
	if err := json.NewDecoder(resp.Body).Decode(&ov); err != nil {
		t.Fatal(err)
	}
	if len(ov.Destinations) != 1 {
		t.Fatalf("destinations %+v", ov.Destinations)
	}
	d := ov.Destinations[0]
	want := console.DestinationOverview{ID: "dest-a", Target: "Planhat", URL: "https://api.planhat.com", Available: 2, Dead: 1, DeliveredLastHour: 5, FailedLastHour: 1}
	got := d
	got.TokenFingerprint, got.OldestPending, got.OldestPendingSeconds, got.LastHour, got.Budget = "", time.Time{}, 0, nil, nil
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("destination (-want +got):\n%s", diff)
	}
	if len(d.LastHour) != console.HistoryMinutes || d.LastHour[len(d.LastHour)-1].Delivered != 5 || d.TokenFingerprint == "" {
		t.Errorf("the chart's series or the fingerprint is wrong: %+v", d)
	}
	if ov.Outbox.DeadLetters != 1 {
		t.Errorf("dead letters %d", ov.Outbox.DeadLetters)
	}
}
