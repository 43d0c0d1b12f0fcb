package console_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/planbridge/planbridge/console"
	"github.com/planbridge/planbridge/handoff"
	"github.com/planbridge/planbridge/httpapi"
	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/store"
)

// handoffFixture is a console with a hand-off engine over a real store
// and three sessions: one answered, one whose user waits past the stuck
// bound, one stopped.
func handoffFixture(t *testing.T) (*fixture, *handoff.Engine) {
	t.Helper()
	ctx := context.Background()
	st := openStore(t)
	ob, err := outbox.New(outbox.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := handoff.New(handoff.Options{Store: st, Outbox: ob, PollInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	err = st.Write(ctx, func(tx store.Tx) error {
		if err := tx.PutHandoffInstallation(ctx, store.HandoffInstallation{ID: "inst-a", Endpoint: "https://acme.planfix.com/webchat/api",
			PlanfixToken: planfixToken, ProviderID: "prov", WebhookURL: "https://bot.example/hook", WebhookSecret: hookSecret, UpdatedAt: now}); err != nil {
			return err
		}
		for _, s := range []store.HandoffSession{
			{ChatID: "chat-ok", ConversationID: "conv-ok", Assigned: true, State: store.HandoffOpen, CreatedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-3 * time.Minute)},
			{ChatID: "chat-waits", ConversationID: "conv-waits", Assigned: true, State: store.HandoffOpen, CreatedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-2 * time.Minute)},
			{ChatID: "chat-done", ConversationID: "conv-done", Assigned: true, State: store.HandoffStopped, StopReason: "agent", CreatedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Minute)},
		} {
			s.Installation, s.ContactID, s.ContactName, s.ContactEmail = "inst-a", "ct-"+s.ChatID, "Ann Lee", "ann@acme.test"
			if err := tx.CreateHandoffSession(ctx, s); err != nil {
				return err
			}
		}
		for _, m := range []store.HandoffMessage{
			{Installation: "inst-a", Origin: store.FromBot, Key: "u1", ChatID: "chat-ok", At: now.Add(-5 * time.Minute)},
			{Installation: "inst-a", Origin: store.FromPlanfix, Key: "a1", ChatID: "chat-ok", At: now.Add(-4 * time.Minute)},
			{Installation: "inst-a", Origin: store.FromPlanfix, Key: "a2", ChatID: "chat-waits", At: now.Add(-50 * time.Minute)},
			{Installation: "inst-a", Origin: store.FromBot, Key: "u2", ChatID: "chat-waits", At: now.Add(-40 * time.Minute)},
		} {
			if _, err := tx.RecordHandoffMessage(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := console.New(console.Options{Store: st, AdminKeys: []string{adminKey}, Handoff: eng})
	if err != nil {
		t.Fatal(err)
	}
	h, err := httpapi.New(httpapi.Config{APIKeys: httpapi.ParseAPIKeys(adminKey), Doors: []httpapi.Door{c.Door()}})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, srv: httptest.NewServer(h)}
	t.Cleanup(f.srv.Close)
	return f, eng
}

func TestHandoffsPageHighlightsStuckSessionsAndStops(t *testing.T) {
	t.Parallel()
	f, _ := handoffFixture(t)
	c := f.browser(t)
	csrf := f.login(t, c)
	_, page := get(t, c, f.srv.URL+"/console/handoffs")
	row := func(page, chat string) string {
		i := strings.Index(page, `id="session-`+chat+`"`)
		if i < 0 {
			t.Fatalf("no row for %s:\n%s", chat, page)
		}
		r := page[i:]
		return r[:strings.Index(r, "</tr>")]
	}
	if r := row(page, "chat-waits"); !strings.Contains(r, "stuck") || !strings.Contains(r, "has waited") {
		t.Errorf("the waiting session is not highlighted:\n%s", r)
	}
	if r := row(page, "chat-ok"); strings.Contains(r, "looks stuck") {
		t.Errorf("the answered session is highlighted:\n%s", r)
	}
	if r := row(page, "chat-done"); !strings.Contains(r, "stopped (agent)") || strings.Contains(r, "<button") {
		t.Errorf("the stopped session:\n%s", r)
	}
	if strings.Index(page, "chat-done") > strings.Index(page, "chat-ok") {
		t.Errorf("sessions are not newest first")
	}

	resp, body := post(t, c, f.srv.URL+"/console/handoffs/chat-waits/stop", url.Values{"csrf": {csrf}, "note": {"Closing: handled by phone."}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("stop: %d %s", resp.StatusCode, body)
	}
	s, err := f.st.HandoffSession(context.Background(), "chat-waits")
	if err != nil || s.State != store.HandoffStopped || s.StopReason != "operator" {
		t.Fatalf("after stop: %+v %v", s, err)
	}
	// Both sides are told: the note for the agent and the stopped event for the bot.
	// (Their delivery may already have been tried: the stop kicks the outbox.)
	items, err := f.st.List(context.Background(), store.Filter{Dest: "inst-a"})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, it := range items {
		kinds = append(kinds, it.Kind)
		if it.Kind == handoff.KindPlanfix && !strings.Contains(string(it.Payload), "handled by phone") {
			t.Errorf("the agent's note is not queued: %s", it.Payload)
		}
	}
	if len(kinds) != 2 {
		t.Errorf("queued %v after the stop; want one message for Planfix and one event for the bot", kinds)
	}
	// Stopping again changes nothing; an unknown chat is a clear 404.
	if resp, _ := post(t, c, f.srv.URL+"/console/handoffs/chat-waits/stop", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("second stop: %d", resp.StatusCode)
	}
	if again, _ := f.st.List(context.Background(), store.Filter{Dest: "inst-a"}); len(again) != 2 {
		t.Errorf("a second stop queued more: %d items", len(again))
	}
	if resp, body := post(t, c, f.srv.URL+"/console/handoffs/nope/stop", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "no hand-off session") {
		t.Errorf("unknown chat: %d %s", resp.StatusCode, body)
	}
}

func TestHandoffsJSON(t *testing.T) {
	t.Parallel()
	f, _ := handoffFixture(t)
	call := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+adminKey)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := call(http.MethodGet, "/v1/admin/handoffs?state=open", "")
	var list console.Sessions
	if err := json.Unmarshal([]byte(body), &list); code != http.StatusOK || err != nil {
		t.Fatalf("%d %v %s", code, err, body)
	}
	if len(list.Sessions) != 2 || list.Sessions[0].ChatID != "chat-waits" || list.Sessions[0].Stuck == "" || list.Sessions[0].LastFromPlanfix.IsZero() {
		t.Errorf("open sessions: %+v", list.Sessions)
	}
	for _, bad := range []string{"?state=closed", "?limit=0", "?before=yesterday", "?color=red"} {
		if code, body := call(http.MethodGet, "/v1/admin/handoffs"+bad, ""); code != http.StatusBadRequest || !strings.Contains(body, "invalid_input") {
			t.Errorf("%s: %d %s", bad, code, body)
		}
	}
	if code, body := call(http.MethodPost, "/v1/admin/handoffs/chat-ok/stop", `{"note":"bye"}`); code != http.StatusOK || !strings.Contains(body, `"stopReason": "operator"`) {
		t.Errorf("stop: %d %s", code, body)
	}
	for _, bad := range []string{`{"nope":1}`, `[1]`, `{"note":1}`} {
		if code, _ := call(http.MethodPost, "/v1/admin/handoffs/chat-waits/stop", bad); code != http.StatusBadRequest {
			t.Errorf("body %s: %d, want 400", bad, code)
		}
	}
	if code, _ := call(http.MethodPost, "/v1/admin/handoffs/nope/stop", ""); code != http.StatusNotFound {
		t.Errorf("unknown chat: %d", code)
	}
	if s, _ := f.st.HandoffSession(context.Background(), "chat-waits"); s.State != store.HandoffOpen {
		t.Errorf("a refused stop changed the session: %+v", s)
	}
}
