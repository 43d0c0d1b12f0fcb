package storetest

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/planbridge/planbridge/store"
)

// MigrationsThrough returns the migrations of fsys up to and including
// last, so a store package's test can build a database as an earlier
// planbridge left it and then open it with the current migrations.
func MigrationsThrough(t testing.TB, fsys fs.FS, last string) fs.FS {
	t.Helper()
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	old := fstest.MapFS{}
	for _, name := range names {
		if name > last {
			continue
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		old[path.Base(name)] = &fstest.MapFile{Data: b}
	}
	if old[last] == nil {
		t.Fatalf("no migration %s among %v", last, names)
	}
	return old
}

// RowsBefore00004 are a hand-off installation, an open session and a
// message each way as planbridge wrote them when 00003 was its newest
// migration. They have no placeholders, so either dialect runs them, one
// statement at a time.
func RowsBefore00004() []string {
	us := func(sec int) string { return fmt.Sprint(at(sec).UnixMicro()) }
	return []string{
		`INSERT INTO handoff_installations (id, endpoint, planfix_token, provider_id, updated_at)
 VALUES ('up-inst', 'https://a.planfix.com/webchat/api', 'pf-secret', 'bot', ` + us(0) + `)`,
		`INSERT INTO handoff_sessions (chat_id, installation, conversation_id, user_id, contact_id, contact_name, contact_email,
 title, state, assigned, stop_reason, created_at, updated_at, checked_at)
 VALUES ('up-chat', 'up-inst', 'up-conv', 'u1', 'up-ct', 'Ann', 'ann@acme.test', 'Refund', 'open', TRUE, '', ` + us(1) + `, ` + us(2) + `, ` + us(3) + `)`,
		`INSERT INTO handoff_messages (installation, origin, msg_key, chat_id, created_at) VALUES ('up-inst', 'bot', 'b1', 'up-chat', ` + us(4) + `)`,
		`INSERT INTO handoff_messages (installation, origin, msg_key, chat_id, created_at) VALUES ('up-inst', 'planfix', 'p1', 'up-chat', ` + us(5) + `)`,
	}
}

// CheckUpgradedFrom00003 checks a store opened on a database that held
// RowsBefore00004 before the current migrations ran: the session reads
// back as it was, with the console's fields empty, shows its messages in
// the list, and takes the new writes.
func CheckUpgradedFrom00003(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	want := store.HandoffSession{ChatID: "up-chat", Installation: "up-inst", ConversationID: "up-conv", UserID: "u1", ContactID: "up-ct",
		ContactName: "Ann", ContactEmail: "ann@acme.test", Title: "Refund", State: store.HandoffOpen, Assigned: true,
		CreatedAt: at(1), UpdatedAt: at(2), CheckedAt: at(3)}
	got, err := s.HandoffSession(ctx, "up-chat")
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "a session stored before 00004", want, got)
	list, err := s.HandoffSessions(ctx, store.HandoffSessionFilter{State: store.HandoffOpen})
	if err != nil || len(list) != 1 {
		t.Fatalf("the list after the upgrade: %v %v", list, err)
	}
	diff(t, "the listed session", store.HandoffSessionSummary{HandoffSession: want, LastFromBot: at(4), LastFromPlanfix: at(5)}, list[0])
	if err := s.SetHandoffTask(ctx, "up-chat", "1042"); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, func(tx store.Tx) error { return tx.SetHandoffStatus(ctx, "up-chat", "sent", "", at(6)) }); err != nil {
		t.Fatal(err)
	}
	got, _ = s.HandoffSession(ctx, "up-chat")
	want.TaskNumber, want.LastStatus, want.LastStatusAt = "1042", "sent", at(6)
	diff(t, "the upgraded session after a task number and a status", want, got)
	in, err := s.HandoffInstallation(ctx, "up-inst")
	if err != nil || in.PlanfixToken != "pf-secret" || !strings.HasSuffix(in.Endpoint, "/webchat/api") {
		t.Errorf("the installation stored before 00004: %+v %v", in, err)
	}
}
