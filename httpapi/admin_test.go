package httpapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/planbridge/planbridge/httpapi"
	"github.com/planbridge/planbridge/internal/roundtrip"
	"github.com/planbridge/planbridge/store"
	"github.com/planbridge/planbridge/store/sqlitestore"
)

// adminNow is the admin door's clock in these tests.
var adminNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

const adminKey = "admin-test-key-0123456789"

// adminServer serves st's admin door behind adminKey, with metrics.
func adminServer(t *testing.T, st store.Store) (string, *httpapi.Metrics) {
	t.Helper()
	m := httpapi.NewMetrics()
	srv, err := httpapi.New(httpapi.Config{
		Metrics: m,
		APIKeys: httpapi.ParseAPIKeys(adminKey),
		Doors:   []httpapi.Door{httpapi.AdminDoor(st, httpapi.AdminOptions{MaxBodyBytes: 512, Now: func() time.Time { return adminNow }})},
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return hs.URL, m
}

// adminDo sends one authenticated request.
func adminDo(t *testing.T, base, method, path, contentType, body string) roundtrip.Answer {
	t.Helper()
	return roundtrip.Do(t, method, base+path, contentType, body, http.Header{"Authorization": {"Bearer " + adminKey}})
}

// adminError decodes a REST error answer.
func adminError(t *testing.T, a roundtrip.Answer) httpapi.ErrorDetail {
	t.Helper()
	var e httpapi.ErrorBody
	if err := json.Unmarshal([]byte(a.Body), &e); err != nil || e.Error.Code == "" {
		t.Fatalf("answer is not the error JSON (%v): %d %s", err, a.Status, a.Body)
	}
	return e.Error
}

func sampleItems() []store.Item {
	at := adminNow.Add(-time.Hour)
	return []store.Item{
		{ID: 1, Kind: "planhat.conversation", Dest: "d1", Key: "conv-1", Payload: []byte(`{"text":"hi"}`), State: store.StateDead, Attempts: 25, MaxAttempts: 25, RunAt: at, CreatedAt: at, UpdatedAt: at, LastError: "planhat: 400 Bad Request\nbody: …"},
		{ID: 2, Kind: "planhat.activity", Dest: "d1", Payload: []byte{0xff, 0x00, 'x'}, State: store.StateAvailable, Attempts: 1, MaxAttempts: 25, RunAt: at, CreatedAt: at, UpdatedAt: at},
		{ID: 3, Kind: "planhat.activity", Dest: "d2", Payload: []byte(`"just a string"`), State: store.StateAvailable, MaxAttempts: 25, RunAt: at, CreatedAt: at, UpdatedAt: at},
	}
}

// TestAdminListFilters checks that the query of GET /v1/admin/outbox/items
// reaches the store as the filter it means, and that every bad value is
// answered invalid_input with what to send instead.
func TestAdminListFilters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		query    string
		want     store.Filter
		wantCode string
		wantMsg  string
	}{
		{name: "none", query: "", want: store.Filter{Limit: 100}},
		{name: "every filter", query: "?state=dead&kind=planhat.conversation&dest=d1&key=conv-1&before=2025-05-01T00:00:00Z&after=2025-04-01T00:00:00Z&afterId=7&limit=50",
			want: store.Filter{States: []store.State{store.StateDead}, Kind: "planhat.conversation", Dest: "d1", Key: "conv-1",
				Before: time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC), After: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), AfterID: 7, Limit: 50}},
		{name: "states repeated and in a list", query: "?state=dead,discarded&state=AVAILABLE&state=dead",
			want: store.Filter{States: []store.State{store.StateDead, store.StateDiscarded, store.StateAvailable}, Limit: 100}},
		{name: "ages", query: "?before=1h&after=2d",
			want: store.Filter{Before: adminNow.Add(-time.Hour), After: adminNow.Add(-48 * time.Hour), Limit: 100}},
		{name: "unknown state", query: "?state=failed", wantCode: "invalid_input", wantMsg: `state is wrong: "failed" is not a state; use one or more of available, running, completed, dead, discarded`},
		{name: "bad time", query: "?before=yesterday", wantCode: "invalid_input", wantMsg: "before is wrong"},
		{name: "negative age", query: "?after=-1h", wantCode: "invalid_input", wantMsg: "negative"},
		{name: "empty range", query: "?before=2d&after=1h", wantCode: "invalid_input", wantMsg: "swap them"},
		{name: "limit too large", query: "?limit=5000", wantCode: "invalid_input", wantMsg: "limit must be a whole number from 1 to 1000"},
		{name: "limit zero", query: "?limit=0", wantCode: "invalid_input", wantMsg: "limit must be"},
		{name: "bad afterId", query: "?afterId=x", wantCode: "invalid_input", wantMsg: "nextAfterId"},
		{name: "unknown parameter", query: "?status=dead", wantCode: "invalid_input", wantMsg: `Unknown query parameter "status"`},
		{name: "repeated kind", query: "?kind=a&kind=b", wantCode: "invalid_input", wantMsg: "kind is given 2 times"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := &fakeStore{items: sampleItems()}
			base, _ := adminServer(t, st)
			a := adminDo(t, base, http.MethodGet, "/v1/admin/outbox/items"+tc.query, "", "")
			_, lists, _, _ := st.calls()
			if tc.wantCode != "" {
				e := adminError(t, a)
				if a.Status != http.StatusBadRequest || string(e.Code) != tc.wantCode || !strings.Contains(e.Message, tc.wantMsg) {
					t.Errorf("= %d %s %q, want 400 %s containing %q", a.Status, e.Code, e.Message, tc.wantCode, tc.wantMsg)
				}
				if len(lists) != 0 {
					t.Errorf("the store was asked %v despite the bad query", lists)
				}
				return
			}
			if a.Status != http.StatusOK {
				t.Fatalf("= %d %s", a.Status, a.Body)
			}
			if diff := cmp.Diff([]store.Filter{tc.want}, lists, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("filter passed to List (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAdminListAndItem checks the JSON of items: the payload embedded when
// it is JSON, base64 when not, and pages that say where the next starts.
func TestAdminListAndItem(t *testing.T) {
	t.Parallel()
	st := &fakeStore{items: sampleItems()}
	base, _ := adminServer(t, st)

	a := adminDo(t, base, http.MethodGet, "/v1/admin/outbox/items?limit=2", "", "")
	if a.Status != http.StatusOK {
		t.Fatalf("list = %d %s", a.Status, a.Body)
	}
	var page struct {
		Items []map[string]any `json:"items"`
		Next  int64            `json:"nextAfterId"`
	}
	if err := json.Unmarshal([]byte(a.Body), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 || page.Next != 2 {
		t.Fatalf("page = %d items, nextAfterId %d; want 2 and 2:\n%s", len(page.Items), page.Next, a.Body)
	}
	if diff := cmp.Diff(map[string]any{"text": "hi"}, page.Items[0]["payload"]); diff != "" {
		t.Errorf("JSON payload not embedded (-want +got):\n%s", diff)
	}
	if got := page.Items[1]["payloadBase64"]; got != "/wB4" {
		t.Errorf("binary payloadBase64 = %v, want /wB4", got)
	}
	if _, ok := page.Items[1]["payload"]; ok {
		t.Errorf("binary payload also given as payload: %v", page.Items[1])
	}

	a = adminDo(t, base, http.MethodGet, "/v1/admin/outbox/items?afterId=2&limit=2", "", "")
	if !strings.Contains(a.Body, `"payload":"just a string"`) || strings.Contains(a.Body, "nextAfterId") {
		t.Errorf("last page = %s, want item 3 with its JSON string payload and no nextAfterId", a.Body)
	}

	tests := []struct {
		path       string
		wantStatus int
		wantCode   string
		wantBody   string
	}{
		{path: "/v1/admin/outbox/items/1", wantStatus: 200, wantBody: `"lastError":"planhat: 400 Bad Request\nbody: …"`},
		{path: "/v1/admin/outbox/items/9", wantStatus: 404, wantCode: "not_found", wantBody: "no item 9"},
		{path: "/v1/admin/outbox/items/abc", wantStatus: 400, wantCode: "invalid_input", wantBody: "not an item id"},
		{path: "/v1/admin/outbox/items/0", wantStatus: 400, wantCode: "invalid_input", wantBody: "not an item id"},
	}
	for _, tc := range tests {
		a := adminDo(t, base, http.MethodGet, tc.path, "", "")
		if a.Status != tc.wantStatus {
			t.Errorf("GET %s = %d %s, want %d", tc.path, a.Status, a.Body, tc.wantStatus)
			continue
		}
		if tc.wantCode != "" {
			if e := adminError(t, a); string(e.Code) != tc.wantCode {
				t.Errorf("GET %s code = %s, want %s", tc.path, e.Code, tc.wantCode)
			}
		}
		var v any
		_ = json.Unmarshal([]byte(a.Body), &v)
		if b, _ := json.Marshal(v); !strings.Contains(string(b), strings.ReplaceAll(tc.wantBody, "\n", `\n`)) {
			t.Errorf("GET %s = %s, want it to contain %s", tc.path, a.Body, tc.wantBody)
		}
	}
}

// TestAdminChange checks retry and discard: the selection of the body
// reaches the store as the filter it means, an empty selection is refused
// with how to select everything, and bodies break in the REST error shapes.
func TestAdminChange(t *testing.T) {
	t.Parallel()
	const ct = "application/json"
	tests := []struct {
		name        string
		contentType string
		body        string
		want        store.Filter
		wantStatus  int
		wantCode    string
		wantMsg     string
	}{
		{name: "ids", contentType: ct, body: `{"ids":[3,1]}`, want: store.Filter{IDs: []int64{3, 1}}, wantStatus: 200},
		{name: "filter", contentType: ct, body: `{"filter":{"states":["dead"],"kind":"planhat.activity","dest":"d1","key":"k","before":"1h"}}`,
			want: store.Filter{States: []store.State{store.StateDead}, Kind: "planhat.activity", Dest: "d1", Key: "k", Before: adminNow.Add(-time.Hour)}, wantStatus: 200},
		{name: "all", contentType: "application/merge-patch+json", body: ` {"all":true} `, want: store.Filter{}, wantStatus: 200},
		{name: "nothing", contentType: ct, body: `{}`, wantStatus: 400, wantCode: "invalid_input", wantMsg: "exactly one of ids, filter and all"},
		{name: "all false", contentType: ct, body: `{"all":false}`, wantStatus: 400, wantCode: "invalid_input", wantMsg: "exactly one of"},
		{name: "two selections", contentType: ct, body: `{"ids":[1],"all":true}`, wantStatus: 400, wantCode: "invalid_input", wantMsg: "exactly one of"},
		{name: "empty ids", contentType: ct, body: `{"ids":[]}`, wantStatus: 400, wantCode: "invalid_input", wantMsg: `send {"all":true}`},
		{name: "bad id", contentType: ct, body: `{"ids":[0]}`, wantStatus: 400, wantCode: "invalid_input", wantMsg: "not an item id"},
		{name: "empty filter", contentType: ct, body: `{"filter":{}}`, wantStatus: 400, wantCode: "invalid_input", wantMsg: `selects every item; to`},
		{name: "bad state", contentType: ct, body: `{"filter":{"states":["gone"]}}`, wantStatus: 400, wantCode: "invalid_input", wantMsg: `states is wrong: "gone" is not a state`},
		{name: "states as string", contentType: ct, body: `{"filter":{"states":"dead"}}`, wantStatus: 400, wantCode: "invalid_input", wantMsg: "filter.states must be an array of strings"},
		{name: "ids as strings", contentType: ct, body: `{"ids":["1"]}`, wantStatus: 400, wantCode: "invalid_input", wantMsg: "must be an array of item ids"},
		{name: "unknown field", contentType: ct, body: `{"id":[1]}`, wantStatus: 400, wantCode: "invalid_input", wantMsg: `Unknown field "id"`},
		{name: "not JSON", contentType: ct, body: `{"ids":[1`, wantStatus: 400, wantCode: "malformed_json"},
		{name: "two values", contentType: ct, body: `{"all":true}{"all":true}`, wantStatus: 400, wantCode: "malformed_json", wantMsg: "more than one JSON value"},
		{name: "an array", contentType: ct, body: `[1,2]`, wantStatus: 400, wantCode: "malformed_json", wantMsg: "one JSON object"},
		{name: "empty body", contentType: ct, body: ``, wantStatus: 400, wantCode: "invalid_input", wantMsg: "body is empty"},
		{name: "form", contentType: "application/x-www-form-urlencoded", body: `ids=1`, wantStatus: 415, wantCode: "unsupported_media_type", wantMsg: "Content-Type: application/json"},
		{name: "no content type", body: `{"all":true}`, wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "too large", contentType: ct, body: `{"ids":[` + strings.Repeat("1,", 400) + `1]}`, wantStatus: 413, wantCode: "payload_too_large"},
	}
	for _, op := range []string{"retry", "discard"} {
		for _, tc := range tests {
			t.Run(op+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				st := &fakeStore{changed: 4}
				base, _ := adminServer(t, st)
				a := adminDo(t, base, http.MethodPost, "/v1/admin/outbox/"+op, tc.contentType, tc.body)
				_, _, retries, discards := st.calls()
				got := retries
				if op == "discard" {
					got = discards
				}
				if a.Status != tc.wantStatus {
					t.Fatalf("= %d %s, want %d", a.Status, a.Body, tc.wantStatus)
				}
				if tc.wantCode != "" {
					e := adminError(t, a)
					if string(e.Code) != tc.wantCode || !strings.Contains(e.Message, tc.wantMsg) {
						t.Errorf("= %s %q, want %s containing %q", e.Code, e.Message, tc.wantCode, tc.wantMsg)
					}
					if len(got) != 0 {
						t.Errorf("the store was asked to %s %v despite the bad body", op, got)
					}
					return
				}
				if diff := cmp.Diff(`{"changed":4}`+"\n", a.Body); diff != "" {
					t.Errorf("answer (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff([]store.Filter{tc.want}, got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("filter passed to the store (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestAdminStats checks the statistics answer every state, with ages in
// seconds.
func TestAdminStats(t *testing.T) {
	t.Parallel()
	oldest := adminNow.Add(-90 * time.Second)
	st := &fakeStore{stats: store.Stats{
		ByState:       map[store.State]int{store.StateAvailable: 3, store.StateRunning: 1, store.StateDead: 2},
		Groups:        []store.GroupStats{{Dest: "d1", Kind: "planhat.conversation", Available: 3, Running: 1, Dead: 2, OldestPending: oldest}},
		OldestPending: oldest,
	}}
	base, _ := adminServer(t, st)
	a := adminDo(t, base, http.MethodGet, "/v1/admin/outbox", "", "")
	if a.Status != http.StatusOK {
		t.Fatalf("= %d %s", a.Status, a.Body)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(a.Body), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"byState":              map[string]any{"available": 3.0, "running": 1.0, "completed": 0.0, "dead": 2.0, "discarded": 0.0},
		"backlog":              4.0,
		"deadLetters":          2.0,
		"oldestPending":        "2025-06-01T11:58:30Z",
		"oldestPendingSeconds": 90.0,
		"groups": []any{map[string]any{"dest": "d1", "kind": "planhat.conversation", "available": 3.0, "running": 1.0, "dead": 2.0,
			"oldestPending": "2025-06-01T11:58:30Z", "oldestPendingSeconds": 90.0}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if a := adminDo(t, base, http.MethodGet, "/v1/admin/outbox?state=dead", "", ""); a.Status != http.StatusBadRequest {
		t.Errorf("stats with a query = %d, want 400", a.Status)
	}
}

// TestAdminGuarded checks every admin route needs the API key and that a
// failing store is answered internal without its error text.
func TestAdminGuarded(t *testing.T) {
	t.Parallel()
	st := &fakeStore{err: errors.New("disk I/O error at /secret/path")}
	base, _ := adminServer(t, st)
	routes := []struct{ method, path, body string }{
		{http.MethodGet, "/v1/admin/outbox", ""},
		{http.MethodGet, "/v1/admin/outbox/items", ""},
		{http.MethodGet, "/v1/admin/outbox/items/1", ""},
		{http.MethodPost, "/v1/admin/outbox/retry", `{"all":true}`},
		{http.MethodPost, "/v1/admin/outbox/discard", `{"all":true}`},
	}
	for _, rt := range routes {
		a := roundtrip.Do(t, rt.method, base+rt.path, "application/json", rt.body, nil)
		if e := adminError(t, a); a.Status != http.StatusUnauthorized || e.Code != "unauthenticated" {
			t.Errorf("%s %s without a key = %d %s, want 401 unauthenticated", rt.method, rt.path, a.Status, e.Code)
		}
		a = adminDo(t, base, rt.method, rt.path, "application/json", rt.body)
		e := adminError(t, a)
		if a.Status != http.StatusInternalServerError || e.Code != "internal" || e.RequestID == "" {
			t.Errorf("%s %s on a failing store = %d %s (request id %q), want 500 internal with a request id", rt.method, rt.path, a.Status, e.Code, e.RequestID)
		}
		if strings.Contains(a.Body, "/secret/path") {
			t.Errorf("%s %s leaks the store's error: %s", rt.method, rt.path, a.Body)
		}
	}
}

// TestAdminOnSQLite runs the admin door against the real SQLite store: an
// item fails for good, the operator finds it, retries it, discards the
// rest, and the statistics and gauges follow.
func TestAdminOnSQLite(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "planbridge.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	created := adminNow.Add(-2 * time.Hour)
	var ids []int64
	for _, it := range []store.NewItem{
		{Kind: "planhat.conversation", Dest: "d1", Key: "conv-1", Payload: []byte(`{"id":"conv-1"}`)},
		{Kind: "planhat.activity", Dest: "d1", Payload: []byte(`[1]`)},
	} {
		if err := st.Write(ctx, func(tx store.Tx) error {
			e, err := tx.Enqueue(ctx, it, created)
			ids = append(ids, e.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	claimed, err := st.ClaimItems(ctx, store.Claim{Dest: "d1", Kind: "planhat.conversation", Limit: 10, Owner: "o", Now: adminNow, Until: adminNow.Add(time.Minute)})
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim = %v, %v", claimed, err)
	}
	if _, err := st.Finish(ctx, "o", adminNow, []store.Outcome{{ID: ids[0], State: store.StateDead, Error: "planhat: 400"}}); err != nil {
		t.Fatal(err)
	}

	base, m := adminServer(t, st)
	m.ObserveOutbox(st)
	a := adminDo(t, base, http.MethodGet, "/v1/admin/outbox/items?state=dead", "", "")
	if want := fmt.Sprintf(`"id":%d`, ids[0]); a.Status != http.StatusOK || !strings.Contains(a.Body, want) || !strings.Contains(a.Body, `"payload":{"id":"conv-1"}`) {
		t.Fatalf("dead items = %d %s, want item %d with its payload", a.Status, a.Body, ids[0])
	}
	if got := scrape(t, base, "planbridge_outbox_dead_letters"); !slices.Equal(got, []string{"planbridge_outbox_dead_letters 1"}) {
		t.Errorf("dead letters gauge = %v", got)
	}
	steps := []struct{ path, body, want string }{
		{"/v1/admin/outbox/retry", `{"filter":{"states":["dead"]}}`, `{"changed":1}`},
		{"/v1/admin/outbox/discard", `{"filter":{"kind":"planhat.activity","before":"1h"}}`, `{"changed":1}`},
		{"/v1/admin/outbox/discard", fmt.Sprintf(`{"ids":[%d]}`, ids[1]), `{"changed":0}`},
	}
	for _, s := range steps {
		if a := adminDo(t, base, http.MethodPost, s.path, "application/json", s.body); a.Status != http.StatusOK || strings.TrimSpace(a.Body) != s.want {
			t.Errorf("POST %s %s = %d %s, want %s", s.path, s.body, a.Status, a.Body, s.want)
		}
	}
	a = adminDo(t, base, http.MethodGet, "/v1/admin/outbox", "", "")
	var stats struct {
		ByState map[string]int `json:"byState"`
	}
	if err := json.Unmarshal([]byte(a.Body), &stats); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"available": 1, "running": 0, "completed": 0, "dead": 0, "discarded": 1}
	if diff := cmp.Diff(want, stats.ByState); diff != "" {
		t.Errorf("byState after retry and discard (-want +got):\n%s", diff)
	}
	if a := adminDo(t, base, http.MethodGet, fmt.Sprintf("/v1/admin/outbox/items/%d", ids[0]), "", ""); !strings.Contains(a.Body, `"attempts":0`) || !strings.Contains(a.Body, `"state":"available"`) {
		t.Errorf("retried item = %s, want available with fresh attempts", a.Body)
	}
}
