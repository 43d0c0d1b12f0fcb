package storetest

import (
	"context"
	"testing"

	"github.com/planbridge/planbridge/store"
)

// testHandoffListing is the operator's view of hand-offs: sessions newest
// first with filters and paging, the last message each way, the task
// number and the last messageStatus.
func testHandoffListing(t *testing.T, s store.Store) {
	ctx := context.Background()
	write := func(fn func(tx store.Tx) error) error { return s.Write(ctx, fn) }
	if err := write(func(tx store.Tx) error {
		for _, inst := range []string{"li1", "li2"} {
			if err := tx.PutHandoffInstallation(ctx, store.HandoffInstallation{ID: inst, Endpoint: "https://a.planfix.com/webchat/api", ProviderID: "p", UpdatedAt: at(0)}); err != nil {
				return err
			}
		}
		for i, c := range []struct{ chat, inst, conv, state string }{
			{"lc1", "li1", "conv-a", store.HandoffOpen},
			{"lc2", "li1", "conv-b", store.HandoffStopped},
			{"lc3", "li2", "conv-c", store.HandoffOpen},
		} {
			sess := store.HandoffSession{ChatID: c.chat, Installation: c.inst, ConversationID: c.conv, ContactID: "ct-" + c.chat,
				State: c.state, CreatedAt: at(10 + i), UpdatedAt: at(10 + i)}
			if err := tx.CreateHandoffSession(ctx, sess); err != nil {
				return err
			}
		}
		for _, m := range []store.HandoffMessage{
			{Installation: "li1", Origin: store.FromBot, Key: "b1", ChatID: "lc1", At: at(20)},
			{Installation: "li1", Origin: store.FromBot, Key: "b2", ChatID: "lc1", At: at(25)},
			{Installation: "li1", Origin: store.FromPlanfix, Key: "p1", ChatID: "lc1", At: at(22)},
			{Installation: "li1", Origin: store.FromPlanfix, Key: "p2", ChatID: "lc2", At: at(30)},
		} {
			if _, err := tx.RecordHandoffMessage(ctx, m); err != nil {
				return err
			}
		}
		if err := tx.SetHandoffStatus(ctx, "lc1", "error", "Botpress refused the message", at(23)); err != nil {
			return err
		}
		// A status for a chat that has no session changes nothing and is no error.
		return tx.SetHandoffStatus(ctx, "no-such-chat", "sent", "", at(23))
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetHandoffTask(ctx, "lc1", "1042"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetHandoffTask(ctx, "no-such-chat", "1"); err != nil {
		t.Errorf("SetHandoffTask of an unknown chat: %v, want nil", err)
	}

	chats := func(list []store.HandoffSessionSummary) []string {
		out := []string{}
		for _, l := range list {
			out = append(out, l.ChatID)
		}
		return out
	}
	tests := []struct {
		name string
		f    store.HandoffSessionFilter
		want []string
	}{
		{"all, newest first", store.HandoffSessionFilter{}, []string{"lc3", "lc2", "lc1"}},
		{"open", store.HandoffSessionFilter{State: store.HandoffOpen}, []string{"lc3", "lc1"}},
		{"stopped", store.HandoffSessionFilter{State: store.HandoffStopped}, []string{"lc2"}},
		{"installation", store.HandoffSessionFilter{Installation: "li1"}, []string{"lc2", "lc1"}},
		{"conversation", store.HandoffSessionFilter{ConversationID: "conv-c"}, []string{"lc3"}},
		{"chat", store.HandoffSessionFilter{ChatID: "lc2"}, []string{"lc2"}},
		{"limit", store.HandoffSessionFilter{Limit: 2}, []string{"lc3", "lc2"}},
		{"next page", store.HandoffSessionFilter{BeforeUpdated: at(11)}, []string{"lc1"}},
		{"nothing", store.HandoffSessionFilter{ChatID: "nope"}, []string{}},
	}
	for _, tc := range tests {
		got, err := s.HandoffSessions(ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		diff(t, tc.name, tc.want, chats(got))
	}

	got, err := s.HandoffSessions(ctx, store.HandoffSessionFilter{ChatID: "lc1"})
	if err != nil || len(got) != 1 {
		t.Fatalf("lc1: %v %v", got, err)
	}
	l := got[0]
	if !l.LastFromBot.Equal(at(25)) || !l.LastFromPlanfix.Equal(at(22)) {
		t.Errorf("last messages of lc1: from bot %v, from Planfix %v; want %v and %v", l.LastFromBot, l.LastFromPlanfix, at(25), at(22))
	}
	if l.TaskNumber != "1042" || l.LastStatus != "error" || l.LastStatusText != "Botpress refused the message" || !l.LastStatusAt.Equal(at(23)) {
		t.Errorf("task and status of lc1: %+v", l.HandoffSession)
	}
	// The single-session reads and the transaction's lock see the same fields,
	// and an update keeps them.
	one, err := s.HandoffSession(ctx, "lc1")
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "HandoffSession(lc1)", l.HandoffSession, one)
	if err := write(func(tx store.Tx) error {
		cur, err := tx.LockHandoffSession(ctx, "lc1")
		if err != nil {
			return err
		}
		cur.Assigned, cur.AgentName, cur.UpdatedAt = true, "Peter Peterson", at(40)
		return tx.UpdateHandoffSession(ctx, cur)
	}); err != nil {
		t.Fatal(err)
	}
	after, _ := s.HandoffSession(ctx, "lc1")
	if after.TaskNumber != "1042" || after.LastStatus != "error" || !after.Assigned || after.AgentName != "Peter Peterson" {
		t.Errorf("an update lost the task or status: %+v", after)
	}
	if other, _ := s.HandoffSessions(ctx, store.HandoffSessionFilter{ChatID: "lc3"}); len(other) != 1 || !other[0].LastFromBot.IsZero() || other[0].LastStatus != "" {
		t.Errorf("a session without messages or statuses: %+v", other)
	}
}
