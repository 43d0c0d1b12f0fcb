package e2e_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/planbridge/planbridge/handoff"
	"github.com/planbridge/planbridge/planfix/planfixemu"
)

// TestHandoffBotpressRefusalReportsErrorToPlanfix proves that an agent's
// reply Botpress refuses with a 4xx is not lost silently: Planfix gets
// messageStatus "error" with the reason, so the agent sees in the task
// that the user never got it, and nothing is retried (the same call would
// fail the same way). The refusal may come at either Runtime call of a
// delivery: the agent's user (a new agent) or the message itself.
func TestHandoffBotpressRefusalReportsErrorToPlanfix(t *testing.T) {
	for _, tc := range []struct {
		name string
		// warm sends a first reply, so the agent's user is known and the
		// refusal hits createMessage rather than getOrCreateUser.
		warm   bool
		status int
	}{
		{name: "agent user refused", status: http.StatusBadRequest},
		{name: "message refused", warm: true, status: http.StatusBadRequest},
		{name: "message refused with 404", warm: true, status: http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newHitlStack(t, "", nil, nil)
			conv, chat, _ := s.start(t)
			ctx := context.Background()
			waitUntil(t, "the Planfix task", 5*time.Second, func() bool { return len(taskComments(s, chat)) == 1 })
			if tc.warm {
				d, err := s.pf.Reply(ctx, chat, planfixemu.Reply{Text: "Hello Ann"})
				if err != nil || !d.OK() {
					t.Fatalf("first reply: %v %+v", err, d)
				}
				waitUntil(t, "the first reply's status", 5*time.Second, func() bool {
					st := s.pf.MessageStatuses(d.MessageID)
					return len(st) == 1 && st[0].Status == "sent"
				})
			}
			before := len(s.agentMessages(conv))
			s.bp.FailNext(1, tc.status, "")
			d, err := s.pf.Reply(ctx, chat, planfixemu.Reply{Text: "This one is refused"})
			if err != nil || !d.OK() {
				t.Fatalf("reply: %v %+v; Planfix's delivery must be accepted before Botpress is tried", err, d)
			}
			waitUntil(t, "messageStatus error", 5*time.Second, func() bool { return len(s.pf.MessageStatuses(d.MessageID)) > 0 })
			st := s.pf.MessageStatuses(d.MessageID)
			if len(st) != 1 || st[0].Status != "error" || !st[0].Known {
				t.Fatalf("statuses %+v; want one error for the agent's message", st)
			}
			if !strings.Contains(st[0].Text, "Botpress refused") || !strings.Contains(st[0].Text, "injected failure") {
				t.Errorf("the error's reason %q does not say Botpress refused the message and why", st[0].Text)
			}
			// Nothing reached the conversation, and the next reply is
			// delivered as usual: one refusal does not block the chat.
			d2, err := s.pf.Reply(ctx, chat, planfixemu.Reply{Text: "And this one arrives"})
			if err != nil || !d2.OK() {
				t.Fatalf("next reply: %v %+v", err, d2)
			}
			waitUntil(t, "the next reply's status", 5*time.Second, func() bool {
				st := s.pf.MessageStatuses(d2.MessageID)
				return len(st) == 1 && st[0].Status == "sent"
			})
			msgs := s.agentMessages(conv)
			if len(msgs) != before+1 || msgs[len(msgs)-1].Tags[handoff.TagPlanfixMessageID] != d2.MessageID {
				t.Errorf("%d agent messages after the refusal (want %d, the last the next reply)", len(msgs), before+1)
			}
			if n := len(s.pf.MessageStatuses(d.MessageID)); n != 1 {
				t.Errorf("%d statuses for the refused reply, want 1 (no retry)", n)
			}
		})
	}
}

// TestHandoffProfileChangeUpdatesPlanfixContact proves createUser called
// again with a changed profile updates the Planfix contact (updateContact),
// and an unchanged one sends nothing.
func TestHandoffProfileChangeUpdatesPlanfixContact(t *testing.T) {
	s := newHitlStack(t, "", nil, nil)
	_, chat, user := s.start(t)
	waitUntil(t, "the Planfix task", 5*time.Second, func() bool { return len(taskComments(s, chat)) == 1 })
	contactID := handoff.ContactID("ann@acme.test", "")
	if c, ok := s.pf.Contact(contactID); !ok || c.Name != "Ann Lee" {
		t.Fatalf("contact %+v (found %v); want Ann Lee", c, ok)
	}
	updates := func() int {
		n := 0
		for _, r := range s.pf.Requests() {
			if r.Command == "updateContact" {
				n++
			}
		}
		return n
	}
	for _, tc := range []struct {
		name, wantName string
		wantUpdates    int
	}{
		{name: "Ann Lee", wantName: "Ann Lee", wantUpdates: 0},
		{name: "Ann Smith", wantName: "Ann Smith", wantUpdates: 1},
	} {
		got := s.output(t, "createUser", map[string]any{"name": tc.name, "email": "ann@acme.test"})["userId"]
		if got != user {
			t.Errorf("createUser %q = user %v, want the same user %s", tc.name, got, user)
		}
		waitUntil(t, "updateContact calls", 5*time.Second, func() bool { return updates() >= tc.wantUpdates })
		time.Sleep(100 * time.Millisecond) // long enough for an unwanted call to show
		if n := updates(); n != tc.wantUpdates {
			t.Errorf("after createUser %q: %d updateContact calls, want %d", tc.name, n, tc.wantUpdates)
		}
		if c, _ := s.pf.Contact(contactID); c.Name != tc.wantName {
			t.Errorf("after createUser %q: the Planfix contact is named %q, want %q", tc.name, c.Name, tc.wantName)
		}
	}
	if u, _ := s.bp.User(user); u.Name != "Ann Smith" {
		t.Errorf("the Botpress user is named %q, want Ann Smith", u.Name)
	}
}
