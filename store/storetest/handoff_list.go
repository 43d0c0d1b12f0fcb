package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

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
		{"next page after a session", store.HandoffSessionFilter{BeforeUpdated: at(11), BeforeChatID: "lc2"}, []string{"lc1"}},
		{"the rest of an instant", store.HandoffSessionFilter{BeforeUpdated: at(11), BeforeChatID: "lc3"}, []string{"lc2", "lc1"}},
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

// testHandoffSessionFields checks that the console's fields travel with
// every write and read of a session, that the last status and task number
// replace earlier ones, and the list's order among equal update times and
// its default limit.
func testHandoffSessionFields(t *testing.T, s store.Store) {
	ctx := context.Background()
	write := func(fn func(tx store.Tx) error) error { return s.Write(ctx, fn) }
	full := store.HandoffSession{ChatID: "fc1", Installation: "fi", ConversationID: "conv-f", ContactID: "ct-f", State: store.HandoffOpen,
		Assigned: true, CreatedAt: at(1), UpdatedAt: at(2), CheckedAt: at(3), AgentName: "Peter Peterson",
		TaskNumber: "77", LastStatus: "error", LastStatusText: "Botpress refused the message", LastStatusAt: at(4)}
	var locked store.HandoffSession
	if err := write(func(tx store.Tx) error {
		if err := tx.CreateHandoffSession(ctx, full); err != nil {
			return err
		}
		var err error
		locked, err = tx.LockHandoffSession(ctx, "fc1")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	diff(t, "a created session, locked", full, locked)
	got, err := s.HandoffSession(ctx, "fc1")
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "a created session", full, got)
	byConv, err := s.HandoffSessionByConversation(ctx, "fi", "conv-f")
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "a created session by conversation", full, byConv)
	open, err := s.OpenHandoffSessions(ctx, at(10), 10)
	if err != nil || len(open) != 1 {
		t.Fatalf("open sessions: %v %v", open, err)
	}
	diff(t, "a created session among the open ones", full, open[0])

	// An update replaces the fields, clearing them too.
	changed := full
	changed.TaskNumber, changed.LastStatus, changed.LastStatusText, changed.LastStatusAt = "78", "", "", time.Time{}
	if err := write(func(tx store.Tx) error { return tx.UpdateHandoffSession(ctx, changed) }); err != nil {
		t.Fatal(err)
	}
	got, _ = s.HandoffSession(ctx, "fc1")
	diff(t, "an updated session", changed, got)

	// The last status wins, its text included; neither status nor task
	// number moves the session in the list (UpdatedAt is its state's).
	if err := write(func(tx store.Tx) error {
		if err := tx.SetHandoffStatus(ctx, "fc1", "error", "the webhook refused", at(5)); err != nil {
			return err
		}
		return tx.SetHandoffStatus(ctx, "fc1", "sent", "", at(6))
	}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"79", "79"} {
		if err := s.SetHandoffTask(ctx, "fc1", n); err != nil {
			t.Fatal(err)
		}
	}
	got, _ = s.HandoffSession(ctx, "fc1")
	want := changed
	want.LastStatus, want.LastStatusAt, want.TaskNumber = "sent", at(6), "79"
	diff(t, "a session after a status, another status and a task number", want, got)

	// Sessions updated at the same instant list by chat id, newest first,
	// so pages are stable; no limit means 100.
	if err := write(func(tx store.Tx) error {
		for i := range 104 {
			x := store.HandoffSession{ChatID: fmt.Sprintf("tie%03d", i), Installation: "fj", ConversationID: "c", ContactID: "ct",
				State: store.HandoffStopped, CreatedAt: at(1), UpdatedAt: at(20)}
			if err := tx.CreateHandoffSession(ctx, x); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	list, err := s.HandoffSessions(ctx, store.HandoffSessionFilter{Installation: "fj"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 100 || list[0].ChatID != "tie103" || list[99].ChatID != "tie004" {
		first, last := "", ""
		if len(list) > 0 {
			first, last = list[0].ChatID, list[len(list)-1].ChatID
		}
		t.Errorf("unlimited list of 104 sessions: %d, from %s to %s; want 100, from tie103 to tie004", len(list), first, last)
	}
	all, err := s.HandoffSessions(ctx, store.HandoffSessionFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 105 || all[len(all)-1].ChatID != "fc1" {
		t.Errorf("a list with a limit of 1000: %d sessions, want 105 with fc1 (updated first) last", len(all))
	}
}
