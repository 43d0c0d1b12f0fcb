package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
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
	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/botpress/botpressemu"
	"github.com/planbridge/planbridge/botpress/botpresstest"
	"github.com/planbridge/planbridge/handoff"
	"github.com/planbridge/planbridge/integrations"
	"github.com/planbridge/planbridge/internal/server"
	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/planfix"
	"github.com/planbridge/planbridge/planfix/planfixemu"
	"github.com/planbridge/planbridge/planfix/planfixtest"
	"github.com/planbridge/planbridge/store"
	"github.com/planbridge/planbridge/store/sqlitestore"
)

const chatToken = "chat-token-0123456789abcdef"

// hitlPollInterval is how often the stacks poll Planfix for completed
// tasks; the benchmark turns polling off, as its getTask calls and writes
// would be measured with the deliveries.
var hitlPollInterval = 50 * time.Millisecond

// hitlStack is Planfix emulator ↔ planbridge ↔ Botpress emulator with the
// planfix integration installed, all over loopback HTTP.
type hitlStack struct {
	pf      *planfixemu.Server
	bp      *botpressemu.Server
	door    string
	config  map[string]any
	durable *server.Durable
	stop    func()
}

// newHitlStack starts the stack over the database at dbPath ("" for a
// fresh one); pf and bp, when given, are reused (a restart).
func newHitlStack(tb testing.TB, dbPath string, pf *planfixemu.Server, bp *botpressemu.Server, runtimeVia ...func(string) string) *hitlStack {
	tb.Helper()
	if dbPath == "" {
		dbPath = filepath.Join(tb.TempDir(), "hitl.db")
	}
	hs := httptest.NewUnstartedServer(nil)
	base := "http://" + hs.Listener.Addr().String()
	door := base + "/botpress/planfix/" + doorSecret
	if bp == nil {
		bp = botpresstest.NewServer(tb, botpressemu.WithDefinition(integrations.PlanfixDefinition("", "")), botpressemu.WithIntegrationName("planfix"),
			botpressemu.WithIntegrationURL(door))
	} else {
		bp.SetIntegrationURL(door)
	}
	if pf == nil {
		pf = planfixtest.NewServer(tb, planfixemu.WithChat(bp.WebhookURL(), chatToken), planfixemu.WithEmployees("bot@acme.test"))
	}
	config := map[string]any{"endpointUrl": pf.Endpoint(), "planfixToken": pf.PlanfixToken, "providerId": pf.ProviderID,
		"chatToken": chatToken, "botEmployeeEmail": "bot@acme.test", "botName": "Helper", "taskFields": map[string]string{"priority": "Priority"}}
	if err := bp.SetConfiguration(config); err != nil {
		tb.Fatal(err)
	}
	st, err := sqlitestore.Open(context.Background(), dbPath, sqlitestore.Options{Synchronous: "NORMAL"})
	if err != nil {
		tb.Fatal(err)
	}
	runtime := botpress.ClientOptions{BaseURL: bp.URL, Token: bp.Token, MaxRetries: -1}
	for _, via := range runtimeVia {
		runtime.BaseURL = via(bp.URL)
	}
	policy := integrations.HostPolicy{Suffixes: integrations.PlanfixSuffixes, AllowLoopback: true}
	dur, err := server.NewDurable(server.DurableOptions{Store: st, Policy: integrations.HostPolicy{AllowLoopback: true},
		Outbox: outbox.Options{FlushInterval: 20 * time.Millisecond, PollInterval: 20 * time.Millisecond,
			Backoff: func(int) time.Duration { return 50 * time.Millisecond }},
		Handoff: &handoff.Options{Runtime: runtime, PlanfixHTTPClient: policy.HTTPClient(nil), PlanfixRate: -1, PollInterval: hitlPollInterval, PollRate: 1000}})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	delivering := dur.Run(ctx)
	reg, err := actions.PlanhatRegistry()
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := server.New(server.Options{Registry: reg, Logger: slog.New(slog.DiscardHandler), Version: "e2e",
		Planhat:  integrations.PlanhatOptions{Relay: dur.Relay, Policy: integrations.HostPolicy{AllowLoopback: true}},
		Planfix:  &integrations.PlanfixOptions{Engine: dur.Handoff, Policy: policy},
		Botpress: server.Botpress{Runtime: runtime, Secret: doorSecret}})
	if err != nil {
		tb.Fatal(err)
	}
	hs.Config.Handler = srv
	hs.Start()
	s := &hitlStack{pf: pf, bp: bp, door: door, config: config, durable: dur}
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			hs.Close()
			cancel()
			<-delivering
			st.Close()
		})
	}
	tb.Cleanup(s.stop)
	return s
}

func (s *hitlStack) output(tb testing.TB, name string, input any) map[string]any {
	tb.Helper()
	resp, err := s.bp.CallAction(context.Background(), "", nil, name, input)
	if err != nil {
		tb.Fatal(err)
	}
	var out map[string]any
	if err := resp.Output(&out); err != nil {
		tb.Fatalf("%s: %v (%s)", name, err, resp.Body)
	}
	return out
}

// start registers, creates the end user and opens a hand-off; it returns
// the hitl conversation, the Planfix chat id and the end user.
func (s *hitlStack) start(tb testing.TB) (conv, chat, user string) {
	tb.Helper()
	resp, err := s.bp.Register(context.Background(), "", nil)
	if err != nil || resp.Status != http.StatusOK {
		tb.Fatalf("register: %v %v", err, resp)
	}
	user = s.output(tb, "createUser", map[string]any{"name": "Ann Lee", "email": "ann@acme.test"})["userId"].(string)
	conv = s.output(tb, "startHitl", map[string]any{"userId": user, "title": "Refund for order 42", "description": "The customer wants a refund.",
		"hitlSession": map[string]any{"priority": "high"},
		"messageHistory": []map[string]any{
			{"source": map[string]any{"type": "user", "userId": user}, "type": "text", "payload": map[string]any{"text": "I want my money back"}},
			{"source": map[string]any{"type": "bot"}, "type": "text", "payload": map[string]any{"text": "Let me find a person"}},
		}})["conversationId"].(string)
	c, ok := s.bp.Conversation(conv)
	if !ok {
		tb.Fatalf("no conversation %s in Botpress", conv)
	}
	return conv, c.Tags["chatId"], user
}

func waitUntil(tb testing.TB, what string, d time.Duration, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func taskComments(s *hitlStack, chat string) []planfixemu.Comment {
	t, ok := s.pf.TaskForChat(chat)
	if !ok {
		return nil
	}
	return t.Comments
}

// agentMessages are the hitl conversation's messages written by others
// than the end user and the bot.
func (s *hitlStack) agentMessages(conv string) []botpress.Message {
	var out []botpress.Message
	for _, m := range s.bp.MessagesIn(conv) {
		if m.Tags[handoff.TagPlanfixMessageID] != "" {
			out = append(out, m)
		}
	}
	return out
}

func TestHandoffEndToEnd(t *testing.T) {
	s := newHitlStack(t, "", nil, nil)
	ctx := context.Background()
	conv, chat, user := s.start(t)
	waitUntil(t, "the Planfix task", 5*time.Second, func() bool { return len(taskComments(s, chat)) == 1 })
	task, _ := s.pf.TaskForChat(chat)
	if !strings.HasPrefix(task.Name, "Refund for order 42") || task.CustomFields["Priority"] != "high" {
		t.Errorf("task name %q, fields %v; want the title and Priority=high", task.Name, task.CustomFields)
	}
	opening := task.Comments[0].Text
	for _, want := range []string{"The customer wants a refund.", "[Ann Lee] I want my money back", "[Helper] Let me find a person"} {
		if !strings.Contains(opening, want) {
			t.Errorf("the opening message lacks %q:\n%s", want, opening)
		}
	}

	// 50 user messages sent at once reach the task in the order planbridge accepted them.
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			resp, _, err := s.bp.SendMessage(ctx, "", nil, botpressemu.OutgoingMessage{ConversationID: conv, Type: "text",
				Payload: map[string]any{"text": fmt.Sprintf("message %02d", i), "userId": user}})
			if err != nil || resp.Status != http.StatusOK {
				t.Errorf("message_created %d: %v %v", i, err, resp)
			}
		})
	}
	wg.Wait()
	// A bot message goes as an echo.
	if resp, _, err := s.bp.SendMessage(ctx, "", nil, botpressemu.OutgoingMessage{ConversationID: conv, Type: "text",
		Payload: map[string]any{"text": "( The bot is listening too )"}}); err != nil || resp.Status != http.StatusOK {
		t.Fatalf("bot message: %v %v", err, resp)
	}
	waitUntil(t, "52 comments", 10*time.Second, func() bool { return len(taskComments(s, chat)) == 52 })
	items, err := s.durable.Store.List(ctx, store.Filter{Key: "pf:" + chat, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var accepted, arrived []string
	for _, it := range items {
		var p struct{ Message planfix.Message }
		_ = json.Unmarshal(it.Payload, &p)
		accepted = append(accepted, p.Message.Text)
	}
	comments := taskComments(s, chat)
	for _, c := range comments {
		arrived = append(arrived, c.Text)
	}
	if d := cmp.Diff(accepted, arrived); d != "" {
		t.Errorf("task comments differ from the accepted order (-accepted +task):\n%s", d)
	}
	if last := comments[51]; !last.IsEcho || last.Author != "bot@acme.test" {
		t.Errorf("the bot's message is %+v; want an echo authored by bot@acme.test", last)
	}
	if comments[1].IsEcho {
		t.Errorf("a user message arrived as an echo")
	}

	// Agent replies: authored by the agent, hitlAssigned once.
	for _, text := range []string{"Hello Ann, I am on it", "Refund done"} {
		d, err := s.pf.Reply(ctx, chat, planfixemu.Reply{Text: text})
		if err != nil || !d.OK() {
			t.Fatalf("agent reply: %v %+v", err, d)
		}
	}
	waitUntil(t, "two agent messages", 5*time.Second, func() bool { return len(s.agentMessages(conv)) == 2 })
	msgs := s.agentMessages(conv)
	agent, _ := s.bp.User(msgs[0].UserID)
	if agent.ID == user || agent.Name == "" || agent.Tags[handoff.TagAgentID] == "" {
		t.Errorf("agent reply authored by %+v; want the agent's own user", agent)
	}
	var texts []string
	for _, m := range msgs {
		var p struct{ Text string }
		_ = json.Unmarshal(m.Payload, &p)
		texts = append(texts, p.Text)
	}
	if d := cmp.Diff([]string{"Hello Ann, I am on it", "Refund done"}, texts); d != "" {
		t.Errorf("agent messages (-want +got):\n%s", d)
	}
	assigned := s.bp.EventsOfType("hitlAssigned")
	if len(assigned) != 1 || assigned[0].ConversationID != conv || assigned[0].UserID != agent.ID || assigned[0].MessageID != msgs[0].ID {
		t.Errorf("hitlAssigned events %+v; want one with the conversation, the agent and the first reply at the top level", assigned)
	}
	waitUntil(t, "messageStatus sent", 5*time.Second, func() bool {
		st := s.pf.MessageStatuses(msgs[1].Tags[handoff.TagPlanfixMessageID])
		return len(st) == 1 && st[0].Status == "sent"
	})

	// A duplicate delivery from Planfix makes one Botpress message.
	p, err := s.pf.PrepareReply(chat, planfixemu.Reply{Text: "Sent twice"})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if d, err := s.pf.Deliver(ctx, p); err != nil || d.Status != http.StatusOK {
			t.Fatalf("delivery: %v %+v", err, d)
		}
	}
	// Two attachments in one reply: two media messages.
	if _, err := s.pf.Reply(ctx, chat, planfixemu.Reply{Attachments: []planfix.Attachment{{Name: "receipt.png"}, {Name: "invoice.pdf"}}}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the duplicate and the attachments", 5*time.Second, func() bool { return len(s.agentMessages(conv)) >= 5 })
	time.Sleep(100 * time.Millisecond)
	msgs = s.agentMessages(conv)
	var types []string
	for _, m := range msgs {
		types = append(types, m.Type)
	}
	if d := cmp.Diff([]string{"text", "text", "text", "image", "file"}, types); d != "" {
		t.Errorf("agent message types (-want +got):\n%s", d)
	}
	if n := len(s.bp.EventsOfType("hitlAssigned")); n != 1 {
		t.Errorf("%d hitlAssigned events, want 1", n)
	}

	// The task completed in Planfix: hitlStopped, and a later reply is refused with a reason.
	if err := s.pf.CloseTask(task.Number); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "hitlStopped", 5*time.Second, func() bool { return len(s.bp.EventsOfType("hitlStopped")) == 1 })
	if ev := s.bp.EventsOfType("hitlStopped")[0]; ev.ConversationID != conv {
		t.Errorf("hitlStopped for %q, want %q", ev.ConversationID, conv)
	}
}

func TestHandoffWrongChatTokenStoresNothing(t *testing.T) {
	s := newHitlStack(t, "", nil, nil)
	_, chat, _ := s.start(t)
	ctx := context.Background()
	before, _ := s.durable.Store.List(ctx, store.Filter{Limit: 1000})
	form := planfix.Form{{Key: "cmd", Value: "newMessage"}, {Key: "providerId", Value: s.pf.ProviderID}, {Key: "chatId", Value: chat},
		{Key: "token", Value: "not-the-chat-token-at-all"}, {Key: "message", Value: "hi"}, {Key: "messageId", Value: "999"}}
	resp, err := http.Post(s.bp.WebhookURL(), "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d, want 401", resp.StatusCode)
	}
	after, _ := s.durable.Store.List(ctx, store.Filter{Limit: 1000})
	if len(after) != len(before) {
		t.Errorf("%d outbox items after a refused call, want %d", len(after), len(before))
	}
}

func TestHandoffBotpressDownDeliversInOrderOnceBack(t *testing.T) {
	s := newHitlStack(t, "", nil, nil)
	conv, chat, _ := s.start(t)
	ctx := context.Background()
	waitUntil(t, "the Planfix task", 5*time.Second, func() bool { return len(taskComments(s, chat)) == 1 })
	s.bp.FailNext(6, http.StatusServiceUnavailable, "")
	var want []string
	for i := range 5 {
		text := fmt.Sprintf("reply %d", i)
		want = append(want, text)
		if d, err := s.pf.Reply(ctx, chat, planfixemu.Reply{Text: text}); err != nil || d.Status != http.StatusOK {
			t.Fatalf("reply: %v %+v", err, d)
		}
	}
	waitUntil(t, "five agent messages", 10*time.Second, func() bool { return len(s.agentMessages(conv)) == 5 })
	var got []string
	for _, m := range s.agentMessages(conv) {
		var p struct{ Text string }
		_ = json.Unmarshal(m.Payload, &p)
		got = append(got, p.Text)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("order after the outage (-want +got):\n%s", d)
	}
}

func TestHandoffRestartDeliversOnce(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hitl.db")
	s := newHitlStack(t, db, nil, nil)
	conv, chat, _ := s.start(t)
	ctx := context.Background()
	waitUntil(t, "the Planfix task", 5*time.Second, func() bool { return len(taskComments(s, chat)) == 1 })
	// Botpress refuses for now: the reply is accepted (stored) but not delivered.
	s.bp.FailNext(1000, http.StatusServiceUnavailable, "")
	if d, err := s.pf.Reply(ctx, chat, planfixemu.Reply{Text: "before the crash"}); err != nil || d.Status != http.StatusOK {
		t.Fatalf("reply: %v %+v", err, d)
	}
	s.stop()
	s.bp.FailNext(0, 0, "")
	// A new process over the same database; Planfix and Botpress stay.
	s2 := newHitlStack(t, db, s.pf, s.bp)
	s2.pf.SetChat(s2.bp.WebhookURL(), chatToken)
	waitUntil(t, "the reply after the restart", 10*time.Second, func() bool { return len(s2.agentMessages(conv)) == 1 })
	time.Sleep(200 * time.Millisecond)
	if n := len(s2.agentMessages(conv)); n != 1 {
		t.Errorf("%d copies of the reply, want 1", n)
	}

}
