package handoff_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/botpress/botpressemu"
	"github.com/planbridge/planbridge/botpress/botpresstest"
	"github.com/planbridge/planbridge/handoff"
	"github.com/planbridge/planbridge/integrations"
	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/planfix"
	"github.com/planbridge/planbridge/planfix/planfixemu"
	"github.com/planbridge/planbridge/planfix/planfixtest"
	"github.com/planbridge/planbridge/store"
	"github.com/planbridge/planbridge/store/sqlitestore"
)

const (
	chatToken     = "chat-token-0123456789abcdef"
	webhookSecret = "webhook-secret-0123456789abcdef"
)

// countingStore counts task-number writes, to see that an unchanged
// number costs none.
type countingStore struct {
	store.Store
	taskWrites atomic.Int64
}

func (c *countingStore) SetHandoffTask(ctx context.Context, chatID, number string) error {
	c.taskWrites.Add(1)
	return c.Store.SetHandoffTask(ctx, chatID, number)
}

// stack is the Planfix emulator ↔ the engine ↔ the bot side, over
// loopback HTTP: the Botpress emulator for one installation, a webhook
// receiver for a REST one.
type stack struct {
	pf       *planfixemu.Server
	bp       *botpressemu.Server
	st       *countingStore
	eng      *handoff.Engine
	botpress store.HandoffInstallation
	rest     store.HandoffInstallation
	// hookRefusals is how many of the next webhook posts answer 400.
	hookRefusals atomic.Int32
}

func newStack(t *testing.T, pollInterval time.Duration) *stack {
	t.Helper()
	s := &stack{}
	// The chat URL answers Planfix with whichever installation the chat's
	// session runs through, as the server's doors do for theirs.
	chat, err := planfix.NewHandler(planfix.HandlerConfig{Tokens: []string{chatToken},
		Receiver: planfix.ReceiverFunc(func(ctx context.Context, msg *planfix.InboundMessage) (planfix.Ack, error) {
			sess, _ := s.st.HandoffSession(ctx, msg.ChatID)
			return s.eng.ReceiveAgentMessage(ctx, sess.Installation, msg)
		})})
	if err != nil {
		t.Fatal(err)
	}
	chatSrv := httptest.NewServer(chat)
	t.Cleanup(chatSrv.Close)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.hookRefusals.Add(-1) >= 0 {
			http.Error(w, "unknown session", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hook.Close)
	s.pf = planfixtest.NewServer(t, planfixemu.WithChat(chatSrv.URL, chatToken), planfixemu.WithEmployees("bot@acme.test"))
	s.bp = botpresstest.NewServer(t, botpressemu.WithDefinition(integrations.PlanfixDefinition("", "")), botpressemu.WithIntegrationName("planfix"))

	st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "handoff.db"), sqlitestore.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	s.st = &countingStore{Store: st}
	ob, err := outbox.New(outbox.Options{Store: s.st, FlushInterval: 20 * time.Millisecond, PollInterval: 20 * time.Millisecond,
		Backoff: func(int) time.Duration { return 50 * time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	s.eng, err = handoff.New(handoff.Options{Store: s.st, Outbox: ob, Runtime: botpress.ClientOptions{BaseURL: s.bp.URL, Token: s.bp.Token, MaxRetries: -1},
		PlanfixRate: -1, PollInterval: pollInterval, PollRate: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { _ = ob.Run(ctx); done <- struct{}{} }()
	go func() { s.eng.Run(ctx); done <- struct{}{} }()
	t.Cleanup(func() {
		cancel()
		<-done
		<-done
		st.Close()
	})

	planfixSide := store.HandoffInstallation{Endpoint: s.pf.Endpoint(), PlanfixToken: s.pf.PlanfixToken, ProviderID: s.pf.ProviderID, UserEmail: "bot@acme.test"}
	bpIn := planfixSide
	bpIn.BotID, bpIn.IntegrationID, bpIn.IntegrationAlias = s.bp.BotID, s.bp.IntegrationID, s.bp.IntegrationAlias
	restIn := planfixSide
	restIn.WebhookURL, restIn.WebhookSecret = hook.URL, webhookSecret
	for _, in := range []*store.HandoffInstallation{&bpIn, &restIn} {
		if *in, err = s.eng.PutInstallation(ctx, *in); err != nil {
			t.Fatal(err)
		}
	}
	s.botpress, s.rest = bpIn, restIn
	return s
}

// open starts a hand-off through in and waits for its Planfix task; it
// returns the chat and the bot side's conversation.
func (s *stack) open(t *testing.T, in store.HandoffInstallation) (chat, conv string) {
	t.Helper()
	chat = handoff.NewChatID()
	conv = "rest-" + chat
	if in.BotID != "" {
		conv = s.bp.AddConversation("hitl", map[string]string{handoff.TagChatID: chat}).ID
	}
	err := s.eng.StartSession(context.Background(), handoff.Start{Installation: in, ChatID: chat, ConversationID: conv,
		Contact: planfix.Contact{ID: handoff.ContactID("ann@acme.test", ""), Name: "Ann Lee", Email: "ann@acme.test"}, Title: "Refund", Opening: "Hello"})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the Planfix task", func() bool { _, ok := s.pf.TaskForChat(chat); return ok })
	return chat, conv
}

func (s *stack) session(t *testing.T, chat string) store.HandoffSession {
	t.Helper()
	sess, err := s.st.HandoffSession(context.Background(), chat)
	if err != nil {
		t.Fatal(err)
	}
	return sess
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPolledTaskNumberLandsOnSession lets the poller find a session's
// task: its number is stored once, and later polls of the same number
// write nothing.
func TestPolledTaskNumberLandsOnSession(t *testing.T) {
	t.Parallel()
	s := newStack(t, 30*time.Millisecond)
	chat, _ := s.open(t, s.rest)
	task, _ := s.pf.TaskForChat(chat)
	want := strconv.FormatInt(task.Number, 10)
	waitUntil(t, "the task number on the session", func() bool { return s.session(t, chat).TaskNumber == want })
	// Three more polls of the unchanged task.
	for range 3 {
		checked := s.session(t, chat).CheckedAt
		waitUntil(t, "another poll", func() bool { return s.session(t, chat).CheckedAt.After(checked) })
	}
	if n := s.st.taskWrites.Load(); n != 1 {
		t.Errorf("%d task number writes, want 1: an unchanged number must not be written again", n)
	}
	list, err := s.st.HandoffSessions(context.Background(), store.HandoffSessionFilter{ChatID: chat})
	if err != nil || len(list) != 1 || list[0].TaskNumber != want {
		t.Errorf("the listed session: %+v %v; want task number %s", list, err, want)
	}
}

// TestReportedStatusLandsOnSession follows each messageStatus planbridge
// reports to Planfix for an agent's reply (sent through Botpress or the
// webhook, error when Botpress refuses or the session had ended) onto the
// session, with the time the reply crossed each way.
func TestReportedStatusLandsOnSession(t *testing.T) {
	t.Parallel()
	s := newStack(t, -1)
	ctx := context.Background()

	// reply sends an agent's reply and waits until Planfix got its status
	// and the session shows it; it returns the session and when the reply
	// was sent.
	reply := func(t *testing.T, chat, text string) (store.HandoffSession, time.Time) {
		t.Helper()
		before := time.Now().Truncate(time.Microsecond)
		d, err := s.pf.Reply(ctx, chat, planfixemu.Reply{Text: text})
		if err != nil || !d.OK() {
			t.Fatalf("reply: %v %+v", err, d)
		}
		var got []planfixemu.StatusReport
		waitUntil(t, "the reply's messageStatus in Planfix", func() bool { got = s.pf.MessageStatuses(d.MessageID); return len(got) > 0 })
		var sess store.HandoffSession
		waitUntil(t, "the status on the session", func() bool {
			sess = s.session(t, chat)
			return sess.LastStatus == got[0].Status && sess.LastStatusText == got[0].Text
		})
		if sess.LastStatusAt.Before(before) || sess.LastStatusAt.After(time.Now()) {
			t.Errorf("status recorded at %v, not between the reply (%v) and now", sess.LastStatusAt, before)
		}
		return sess, before
	}

	for _, tc := range []struct {
		name string
		in   store.HandoffInstallation
	}{{"Botpress", s.botpress}, {"webhook", s.rest}} {
		t.Run("sent via "+tc.name, func(t *testing.T) {
			chat, conv := s.open(t, tc.in)
			sess, sent := reply(t, chat, "Hello Ann")
			if sess.LastStatus != "sent" || sess.LastStatusText != "" {
				t.Errorf("status %q %q, want sent", sess.LastStatus, sess.LastStatusText)
			}
			before := time.Now().Truncate(time.Microsecond)
			if _, err := s.eng.PostBotMessage(ctx, handoff.BotMessage{Installation: tc.in.ID, ConversationID: conv, MessageID: "u-1", Text: "Thanks"}); err != nil {
				t.Fatal(err)
			}
			list, err := s.st.HandoffSessions(ctx, store.HandoffSessionFilter{ChatID: chat})
			if err != nil || len(list) != 1 {
				t.Fatalf("list: %v %v", list, err)
			}
			if l := list[0]; l.LastFromPlanfix.Before(sent) || l.LastFromPlanfix.After(sess.LastStatusAt) || l.LastFromBot.Before(before) {
				t.Errorf("last messages: from Planfix %v (reply sent %v, status %v), from the bot %v (posted after %v)",
					l.LastFromPlanfix, sent, sess.LastStatusAt, l.LastFromBot, before)
			}
		})
	}

	t.Run("error when Botpress refuses, then sent", func(t *testing.T) {
		chat, _ := s.open(t, s.botpress)
		s.bp.FailNext(1, http.StatusBadRequest, "")
		sess, _ := reply(t, chat, "This one is refused")
		if sess.LastStatus != "error" || !strings.Contains(sess.LastStatusText, "Botpress refused") {
			t.Errorf("status %q %q, want error saying Botpress refused", sess.LastStatus, sess.LastStatusText)
		}
		sess, _ = reply(t, chat, "And this one arrives")
		if sess.LastStatus != "sent" || sess.LastStatusText != "" {
			t.Errorf("status %q %q after a delivered reply, want sent without the old text", sess.LastStatus, sess.LastStatusText)
		}
	})

	t.Run("error when the webhook refuses", func(t *testing.T) {
		chat, _ := s.open(t, s.rest)
		s.hookRefusals.Store(1)
		sess, _ := reply(t, chat, "This one is refused too")
		if sess.LastStatus != "error" || !strings.Contains(sess.LastStatusText, "webhook refused the reply") || !strings.Contains(sess.LastStatusText, "400") {
			t.Errorf("status %q %q, want error saying the webhook refused it", sess.LastStatus, sess.LastStatusText)
		}
	})

	t.Run("error after the session stopped", func(t *testing.T) {
		chat, conv := s.open(t, s.rest)
		if _, err := s.eng.StopSession(ctx, s.rest.ID, conv, ""); err != nil {
			t.Fatal(err)
		}
		sess, _ := reply(t, chat, "Still there?")
		if sess.LastStatus != "error" || sess.LastStatusText != handoff.StoppedStatus {
			t.Errorf("status %q %q, want error with handoff.StoppedStatus", sess.LastStatus, sess.LastStatusText)
		}
	})
}
