package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/handoff"
	"github.com/planbridge/planbridge/httpapi"
	"github.com/planbridge/planbridge/integrations"
	"github.com/planbridge/planbridge/internal/server"
	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/planfix"
	"github.com/planbridge/planbridge/planfix/planfixemu"
	"github.com/planbridge/planbridge/planfix/planfixtest"
	"github.com/planbridge/planbridge/store"
	"github.com/planbridge/planbridge/store/sqlitestore"
)

const (
	restWebhookSecret = "webhook-secret-0123456789abcdef"
	restAPIKey        = "e2e-handoff-api-key"
)

// webhookReceiver is a bot's endpoint for hand-off events: it checks every
// signature and records the events in the order they arrived.
type webhookReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	events   []handoff.WebhookEvent
	bad      []string // why a call was refused
	failNext int      // answer 503 to this many calls first
}

func newWebhookReceiver(tb testing.TB) *webhookReceiver {
	wr := &webhookReceiver{}
	wr.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		err := handoff.Verify(restWebhookSecret, r.Header.Get(handoff.HeaderTimestamp), r.Header.Get(handoff.HeaderSignature), body, time.Now(), 5*time.Minute)
		wr.mu.Lock()
		defer wr.mu.Unlock()
		if err != nil {
			wr.bad = append(wr.bad, err.Error())
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if wr.failNext > 0 {
			wr.failNext--
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		var ev handoff.WebhookEvent
		if err := json.Unmarshal(body, &ev); err != nil || ev.ID != r.Header.Get(handoff.HeaderEventID) {
			wr.bad = append(wr.bad, "undecodable event or event id header mismatch")
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		wr.events = append(wr.events, ev)
		w.WriteHeader(http.StatusNoContent)
	}))
	tb.Cleanup(wr.Close)
	return wr
}

// got returns the events received so far and the refusals.
func (wr *webhookReceiver) got() ([]handoff.WebhookEvent, []string) {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	return append([]handoff.WebhookEvent(nil), wr.events...), append([]string(nil), wr.bad...)
}

// restStack is Planfix emulator ↔ planbridge (its own Planfix settings,
// no Botpress) ↔ a bot's webhook receiver, over loopback HTTP.
type restStack struct {
	pf      *planfixemu.Server
	hook    *webhookReceiver
	url     string
	inst    store.HandoffInstallation
	durable *server.Durable
}

func newRestStack(tb testing.TB) *restStack {
	tb.Helper()
	hs := httptest.NewUnstartedServer(nil)
	base := "http://" + hs.Listener.Addr().String()
	pf := planfixtest.NewServer(tb, planfixemu.WithChat(base+httpapi.PlanfixChatPath, chatToken), planfixemu.WithEmployees("bot@acme.test"))
	hook := newWebhookReceiver(tb)
	st, err := sqlitestore.Open(context.Background(), filepath.Join(tb.TempDir(), "rest.db"), sqlitestore.Options{Synchronous: "NORMAL"})
	if err != nil {
		tb.Fatal(err)
	}
	policy := integrations.HostPolicy{Suffixes: integrations.PlanfixSuffixes, AllowLoopback: true}
	dur, err := server.NewDurable(server.DurableOptions{Store: st,
		Outbox: outbox.Options{FlushInterval: 20 * time.Millisecond, PollInterval: 20 * time.Millisecond,
			Backoff: func(int) time.Duration { return 50 * time.Millisecond }},
		Handoff: &handoff.Options{PlanfixHTTPClient: policy.HTTPClient(nil), PlanfixRate: -1, PollInterval: hitlPollInterval, PollRate: 1000}})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	delivering := dur.Run(ctx)
	inst, err := dur.Handoff.PutInstallation(ctx, store.HandoffInstallation{ID: handoff.ServerInstallationID(pf.Endpoint(), pf.ProviderID),
		Endpoint: pf.Endpoint(), PlanfixToken: pf.PlanfixToken, ProviderID: pf.ProviderID, UserEmail: "bot@acme.test",
		WebhookURL: hook.URL, WebhookSecret: restWebhookSecret})
	if err != nil {
		tb.Fatal(err)
	}
	chat, err := httpapi.PlanfixChatDoor(httpapi.PlanfixChatOptions{Engine: dur.Handoff, Installation: inst.ID, ProviderID: inst.ProviderID, ChatTokens: []string{chatToken}})
	if err != nil {
		tb.Fatal(err)
	}
	reg, err := actions.PlanhatRegistry()
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := server.New(server.Options{Registry: reg, Logger: slog.New(slog.DiscardHandler), Version: "e2e",
		APIKeys: httpapi.ParseAPIKeys(restAPIKey),
		Planhat: integrations.PlanhatOptions{Relay: dur.Relay},
		Doors:   []httpapi.Door{chat, httpapi.HandoffDoor(httpapi.HandoffOptions{Engine: dur.Handoff, Installation: inst})}})
	if err != nil {
		tb.Fatal(err)
	}
	hs.Config.Handler = srv
	hs.Start()
	tb.Cleanup(func() {
		hs.Close()
		cancel()
		<-delivering
		st.Close()
	})
	return &restStack{pf: pf, hook: hook, url: base, inst: inst, durable: dur}
}

// openSession starts a hand-off on the engine and waits for its task.
func (s *restStack) openSession(tb testing.TB, session string) string {
	tb.Helper()
	chat := handoff.NewChatID()
	err := s.durable.Handoff.StartSession(context.Background(), handoff.Start{Installation: s.inst, ChatID: chat, ConversationID: session,
		Contact: planfix.Contact{ID: handoff.ContactID("ann@acme.test", ""), Name: "Ann Lee", Email: "ann@acme.test"}, Title: "Refund", Opening: "Hello"})
	if err != nil {
		tb.Fatal(err)
	}
	waitUntil(tb, "the Planfix task", 5*time.Second, func() bool { _, ok := s.pf.TaskForChat(chat); return ok })
	return chat
}

func (s *restStack) outboxItems(tb testing.TB) int {
	tb.Helper()
	items, err := s.durable.Store.List(context.Background(), store.Filter{Limit: 10000})
	if err != nil {
		tb.Fatal(err)
	}
	return len(items)
}

func TestPlanfixChatDirect(t *testing.T) {
	s := newRestStack(t)
	ctx := context.Background()
	chat := s.openSession(t, "sess-1")
	task, _ := s.pf.TaskForChat(chat)

	// An agent's reply through Planfix's own delivery: stored, answered
	// with the chat and contact, then posted to the webhook.
	d, err := s.pf.Reply(ctx, chat, planfixemu.Reply{Text: "Hello Ann"})
	if err != nil || !d.OK() {
		t.Fatalf("reply: %v %+v", err, d)
	}
	if d.Ack.ChatID != chat || d.Ack.ContactID != handoff.ContactID("ann@acme.test", "") {
		t.Errorf("answer %+v; want chat %s and the session's contact", d.Ack, chat)
	}
	if d.Latency > time.Second {
		t.Errorf("the answer took %s", d.Latency)
	}
	// The same messageId delivered again: answered, not delivered twice.
	p, err := s.pf.PrepareReply(chat, planfixemu.Reply{Text: "Sent twice"})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if d, err := s.pf.Deliver(ctx, p); err != nil || d.Status != http.StatusOK || d.Ack.ChatID != chat {
			t.Fatalf("delivery: %v %+v", err, d)
		}
	}
	waitUntil(t, "three webhook events", 5*time.Second, func() bool { ev, _ := s.hook.got(); return len(ev) >= 3 })
	time.Sleep(100 * time.Millisecond)
	events, bad := s.hook.got()
	type seen struct{ Type, Text, Session string }
	var got []seen
	for _, ev := range events {
		e := seen{Type: ev.Type, Session: ev.SessionID}
		if ev.Message != nil {
			e.Text = ev.Message.Text
		}
		got = append(got, e)
	}
	want := []seen{{"agentMessage", "Hello Ann", "sess-1"}, {"assigned", "", "sess-1"}, {"agentMessage", "Sent twice", "sess-1"}}
	if d := cmp.Diff(want, got); d != "" || len(bad) > 0 {
		t.Errorf("webhook events (-want +got):\n%s\nrefused: %v", d, bad)
	}
	waitUntil(t, "messageStatus sent", 5*time.Second, func() bool {
		st := s.pf.MessageStatuses(p.Message.MessageID)
		return len(st) == 1 && st[0].Status == "sent"
	})

	// Refused calls store nothing and say why in Planfix's own words.
	form := func(token, chatID, messageID string) string {
		f := planfix.Form{{Key: "cmd", Value: "newMessage"}, {Key: "providerId", Value: s.pf.ProviderID}, {Key: "chatId", Value: chatID},
			{Key: "token", Value: token}, {Key: "message", Value: "hi"}, {Key: "messageId", Value: messageID}, {Key: "userName", Value: "Bob"}}
		return f.Encode()
	}
	before := s.outboxItems(t)
	for _, tc := range []struct {
		name, method, contentType, body string
		status                          int
		answer                          string
	}{
		{"wrong token", "POST", "application/x-www-form-urlencoded", form("not-the-chat-token-at-all", chat, "901"), 401, `{"error":"Invalid token"}`},
		{"no token", "POST", "application/x-www-form-urlencoded", form("", chat, "902"), 401, `{"error":"Invalid token"}`},
		{"unknown chat", "POST", "application/x-www-form-urlencoded", form(chatToken, "pb-nosuchchat", "903"), 400, `{"error":"Invalid parameters"}`},
		{"no chat id", "POST", "application/x-www-form-urlencoded", form(chatToken, "", "904"), 400, `{"error":"Invalid parameters"}`},
		{"JSON body", "POST", "application/json", `{"cmd":"newMessage","token":"` + chatToken + `"}`, 400, `{"error":"Invalid parameters"}`},
		{"malformed form", "POST", "application/x-www-form-urlencoded", "cmd=%zz&token=" + chatToken, 400, `{"error":"Invalid parameters"}`},
		{"oversized", "POST", "application/x-www-form-urlencoded", form(chatToken, chat, "905") + "&pad=" + strings.Repeat("x", int(planfix.DefaultMaxBodyBytes)), 413, `{"error":"Request body too large"}`},
		{"GET", "GET", "", "", 405, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, s.url+httpapi.PlanfixChatPath, strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || (tc.answer != "" && strings.TrimSpace(string(body)) != tc.answer) {
				t.Errorf("%d %s; want %d %s", resp.StatusCode, body, tc.status, tc.answer)
			}
		})
	}
	if after := s.outboxItems(t); after != before {
		t.Errorf("%d outbox items after refused calls, want %d", after, before)
	}

	// The route is in the server's OpenAPI document.
	if paths := openAPIPaths(t, s.url); paths["/planfix/chat"] == nil {
		t.Errorf("/openapi.json has no /planfix/chat")
	}

	// The agent completes the task: the session ends, a stopped event.
	if err := s.pf.CloseTask(task.Number); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the stopped event", 5*time.Second, func() bool {
		ev, _ := s.hook.got()
		return len(ev) == 4 && ev[3].Type == "stopped" && ev[3].Reason == "agent"
	})
}

// openAPIPaths reads the server's OpenAPI document's paths.
func openAPIPaths(tb testing.TB, base string) map[string]map[string]any {
	tb.Helper()
	resp, err := http.Get(base + "/openapi.json")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		tb.Fatal(err)
	}
	return doc.Paths
}

// call sends a JSON request to the REST door with the API key.
func (s *restStack) call(tb testing.TB, method, path, contentType, body string) (int, map[string]any) {
	tb.Helper()
	req, _ := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+restAPIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func errorCode(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func TestRESTHandoffEndToEnd(t *testing.T) {
	s := newRestStack(t)
	ctx := context.Background()
	code, out := s.call(t, "POST", "/v1/handoffs", "application/json", `{"user":{"id":"u-1","name":"Ann Lee","email":"ann@acme.test"},
		"title":"Refund for order 42","description":"The customer wants a refund.","botName":"Helper","taskFields":{"Priority":"high"},
		"history":[{"author":"user","text":"I want my money back"},{"author":"bot","text":"Let me find a person"}]}`)
	if code != http.StatusCreated {
		t.Fatalf("start = %d %v", code, out)
	}
	sid, chat := out["sessionId"].(string), out["chatId"].(string)
	waitUntil(t, "the Planfix task", 5*time.Second, func() bool { return len(taskComments2(s, chat)) == 1 })
	task, _ := s.pf.TaskForChat(chat)
	for _, want := range []string{"The customer wants a refund.", "[Ann Lee] I want my money back", "[Helper] Let me find a person"} {
		if !strings.Contains(task.Comments[0].Text, want) {
			t.Errorf("the opening message lacks %q:\n%s", want, task.Comments[0].Text)
		}
	}
	if !strings.HasPrefix(task.Name, "Refund for order 42") {
		t.Errorf("task name %q", task.Name)
	}

	// User messages in the order posted; a retried messageId once; a bot message as an echo.
	var want []string
	for i := range 20 {
		text := fmt.Sprintf("user message %02d", i)
		want = append(want, text)
		body := fmt.Sprintf(`{"messageId":"m-%d","text":%q}`, i, text)
		for range 1 + i%3/2 { // every third message posted twice
			if code, out := s.call(t, "POST", "/v1/handoffs/"+sid+"/messages", "application/json", body); code != http.StatusAccepted {
				t.Fatalf("message %d = %d %v", i, code, out)
			}
		}
	}
	if code, out := s.call(t, "POST", "/v1/handoffs/"+sid+"/messages", "application/json", `{"author":"bot","text":"(bot) noted"}`); code != http.StatusAccepted {
		t.Fatalf("bot message = %d %v", code, out)
	}
	want = append(want, "(bot) noted")
	waitUntil(t, "22 comments", 5*time.Second, func() bool { return len(taskComments2(s, chat)) == 22 })
	var got []string
	comments := taskComments2(s, chat)
	for _, c := range comments[1:] {
		got = append(got, c.Text)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("task comments (-want +got):\n%s", d)
	}
	if last := comments[21]; !last.IsEcho {
		t.Errorf("the bot's message arrived as %+v; want an echo", last)
	}

	// Agent replies reach the webhook signed, in order, though it fails at first.
	s.hook.mu.Lock()
	s.hook.failNext = 3
	s.hook.mu.Unlock()
	var replies []string
	for i := range 10 {
		text := fmt.Sprintf("agent reply %d", i)
		replies = append(replies, text)
		if d, err := s.pf.Reply(ctx, chat, planfixemu.Reply{Text: text}); err != nil || !d.OK() {
			t.Fatalf("reply: %v %+v", err, d)
		}
	}
	waitUntil(t, "11 events", 10*time.Second, func() bool { ev, _ := s.hook.got(); return len(ev) >= 11 })
	time.Sleep(100 * time.Millisecond)
	events, bad := s.hook.got()
	if len(bad) > 0 {
		t.Errorf("the receiver refused signatures: %v", bad)
	}
	var types, texts []string
	var lastSeq int64
	for _, ev := range events {
		types = append(types, ev.Type)
		if ev.SessionID != sid || ev.ChatID != chat {
			t.Errorf("event %+v for another session", ev)
		}
		if ev.Seq <= lastSeq {
			t.Errorf("event %s has seq %d after %d", ev.ID, ev.Seq, lastSeq)
		}
		lastSeq = ev.Seq
		if ev.Type == "agentMessage" {
			texts = append(texts, ev.Message.Text)
			if ev.Message.AgentName == "" {
				t.Errorf("event %s has no agent name", ev.ID)
			}
		}
	}
	wantTypes := append([]string{"agentMessage", "assigned"}, slicesRepeat("agentMessage", 9)...)
	if d := cmp.Diff(wantTypes, types); d != "" {
		t.Errorf("event types (-want +got):\n%s", d)
	}
	if d := cmp.Diff(replies, texts); d != "" {
		t.Errorf("replies (-want +got):\n%s", d)
	}
	if code, out := s.call(t, "GET", "/v1/handoffs/"+sid, "", ""); code != http.StatusOK || out["assigned"] != true || out["state"] != "open" {
		t.Errorf("GET = %d %v", code, out)
	}

	// Stop: the agent is told, a later message is refused, the state says who stopped.
	if code, out := s.call(t, "POST", "/v1/handoffs/"+sid+"/stop", "application/json", `{"note":"Thanks, the bot takes it from here."}`); code != http.StatusOK || out["state"] != "stopped" || out["stopReason"] != "bot" {
		t.Fatalf("stop = %d %v", code, out)
	}
	waitUntil(t, "the stop note", 5*time.Second, func() bool {
		c := taskComments2(s, chat)
		return len(c) == 33 && c[32].Text == "Thanks, the bot takes it from here." && c[32].IsEcho
	})
	if code, out := s.call(t, "POST", "/v1/handoffs/"+sid+"/messages", "application/json", `{"text":"still there?"}`); code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(out), "has ended") {
		t.Errorf("message after stop = %d %v", code, out)
	}
	if code, _ := s.call(t, "POST", "/v1/handoffs/"+sid+"/stop", "", ""); code != http.StatusOK {
		t.Errorf("a second stop = %d", code)
	}

	// The routes are in the OpenAPI document.
	paths := openAPIPaths(t, s.url)
	for _, p := range []string{"/v1/handoffs", "/v1/handoffs/{sessionId}", "/v1/handoffs/{sessionId}/messages", "/v1/handoffs/{sessionId}/stop"} {
		if paths[p] == nil {
			t.Errorf("/openapi.json lacks %s", p)
		}
	}
}

func slicesRepeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func taskComments2(s *restStack, chat string) []planfixemu.Comment {
	t, ok := s.pf.TaskForChat(chat)
	if !ok {
		return nil
	}
	return t.Comments
}

func TestRESTHandoffRefusals(t *testing.T) {
	s := newRestStack(t)
	code, out := s.call(t, "POST", "/v1/handoffs", "application/json", `{"user":{"id":"u-1","name":"Ann"}}`)
	if code != http.StatusCreated {
		t.Fatalf("start = %d %v", code, out)
	}
	sid := out["sessionId"].(string)
	time.Sleep(100 * time.Millisecond)
	before := s.outboxItems(t)
	for _, tc := range []struct {
		name, method, path, contentType, body string
		status                                int
		code, says                            string
	}{
		{"no user", "POST", "/v1/handoffs", "application/json", `{"title":"x"}`, 400, "invalid_input", `"user.id" or "user.email" is required`},
		{"unknown field", "POST", "/v1/handoffs", "application/json", `{"user":{"id":"u"},"titel":"x"}`, 400, "invalid_input", `unknown field "titel"`},
		{"wrong type", "POST", "/v1/handoffs", "application/json", `{"user":{"id":7}}`, 400, "invalid_input", `"user.id" must be a string`},
		{"bad author", "POST", "/v1/handoffs", "application/json", `{"user":{"id":"u"},"history":[{"author":"agent","text":"x"}]}`, 400, "invalid_input", `"history[0].author" must be`},
		{"bad attachment", "POST", "/v1/handoffs/" + sid + "/messages", "application/json", `{"attachments":[{"name":"a.png","url":"file:///etc/passwd"}]}`, 400, "invalid_input", "http(s)"},
		{"form body", "POST", "/v1/handoffs", "application/x-www-form-urlencoded", `user=x`, 415, "unsupported_media_type", "Content-Type: application/json"},
		{"malformed", "POST", "/v1/handoffs", "application/json", `{"user":`, 400, "malformed_json", "not valid JSON"},
		{"oversized", "POST", "/v1/handoffs", "application/json", `{"user":{"id":"u"},"description":"` + strings.Repeat("x", httpapi.DefaultHandoffMaxBodyBytes) + `"}`, 413, "payload_too_large", "limit"},
		{"empty message", "POST", "/v1/handoffs/" + sid + "/messages", "application/json", `{"text":"  "}`, 400, "invalid_input", `"text" or "attachments" is required`},
		{"unknown session", "POST", "/v1/handoffs/hs_nope/messages", "application/json", `{"text":"hi"}`, 404, "not_found", "No hand-off session"},
		{"unknown session stop", "POST", "/v1/handoffs/hs_nope/stop", "", "", 404, "not_found", "No hand-off session"},
		{"unknown session get", "GET", "/v1/handoffs/hs_nope", "", "", 404, "not_found", "No hand-off session"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := s.call(t, tc.method, tc.path, tc.contentType, tc.body)
			if code != tc.status || errorCode(out) != tc.code || !strings.Contains(fmt.Sprint(out), tc.says) {
				t.Errorf("%d %v; want %d %s saying %q", code, out, tc.status, tc.code, tc.says)
			}
		})
	}
	// Without an API key nothing is read.
	resp, err := http.Post(s.url+"/v1/handoffs", "application/json", strings.NewReader(`{"user":{"id":"u"}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no API key = %d, want 401", resp.StatusCode)
	}
	if after := s.outboxItems(t); after != before {
		t.Errorf("%d outbox items after refused calls, want %d", after, before)
	}
}
