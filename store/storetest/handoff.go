package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/planbridge/planbridge/store"
)

// testHandoffs covers installations, sessions and the message record.
func testHandoffs(t *testing.T, s store.Store) {
	ctx := context.Background()
	write := func(fn func(tx store.Tx) error) error { return s.Write(ctx, fn) }

	in := store.HandoffInstallation{ID: "inst1", Endpoint: "https://a.planfix.com/webchat/api", PlanfixToken: "pf-secret",
		ProviderID: "bot", UserEmail: "bot@acme.com", BotName: "Helper", BotAvatarURL: "https://x/a.png",
		BotID: "bot_1", IntegrationID: "int_1", IntegrationAlias: "planfix", UpdatedAt: at(0)}
	if err := write(func(tx store.Tx) error { return tx.PutHandoffInstallation(ctx, in) }); err != nil {
		t.Fatal(err)
	}
	got, err := s.HandoffInstallation(ctx, "inst1")
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "installation", in, got)
	in.PlanfixToken, in.UpdatedAt = "rotated", at(5)
	if err := write(func(tx store.Tx) error { return tx.PutHandoffInstallation(ctx, in) }); err != nil {
		t.Fatal(err)
	}
	got, _ = s.HandoffInstallation(ctx, "inst1")
	diff(t, "replaced installation", in, got)
	_, err = s.HandoffInstallation(ctx, "nope")
	wantNotFound(t, "HandoffInstallation(nope)", err)
	if err := write(func(tx store.Tx) error { return tx.PutHandoffInstallation(ctx, store.HandoffInstallation{}) }); err == nil {
		t.Errorf("PutHandoffInstallation without an id succeeded")
	}

	sess := store.HandoffSession{ChatID: "c1", Installation: "inst1", ConversationID: "conv1", UserID: "u1", ContactID: "ct1",
		ContactName: "Ann", ContactEmail: "ann@acme.com", Title: "Refund", State: store.HandoffOpen, CreatedAt: at(1), UpdatedAt: at(1)}
	if err := write(func(tx store.Tx) error { return tx.CreateHandoffSession(ctx, sess) }); err != nil {
		t.Fatal(err)
	}
	err = write(func(tx store.Tx) error { return tx.CreateHandoffSession(ctx, sess) })
	if !errors.Is(err, store.ErrExists) {
		t.Errorf("second CreateHandoffSession: %v, want store.ErrExists", err)
	}
	bad := sess
	bad.ChatID, bad.State = "c-bad", "closed"
	if err := write(func(tx store.Tx) error { return tx.CreateHandoffSession(ctx, bad) }); err == nil {
		t.Errorf("CreateHandoffSession with state %q succeeded", bad.State)
	}
	if _, err := s.HandoffSession(ctx, "c-bad"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused session was stored: %v", err)
	}
	gs, err := s.HandoffSession(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "session", sess, gs)
	_, err = s.HandoffSession(ctx, "c2")
	wantNotFound(t, "HandoffSession(c2)", err)

	// A later session of the same conversation is the one found.
	sess2 := sess
	sess2.ChatID, sess2.CreatedAt, sess2.UpdatedAt = "c2", at(2), at(2)
	if err := write(func(tx store.Tx) error { return tx.CreateHandoffSession(ctx, sess2) }); err != nil {
		t.Fatal(err)
	}
	byConv, err := s.HandoffSessionByConversation(ctx, "inst1", "conv1")
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "session by conversation", "c2", byConv.ChatID)
	_, err = s.HandoffSessionByConversation(ctx, "inst2", "conv1")
	wantNotFound(t, "HandoffSessionByConversation(other installation)", err)

	// Update through the lock; a failing write leaves the session intact.
	err = write(func(tx store.Tx) error {
		cur, err := tx.LockHandoffSession(ctx, "c2")
		if err != nil {
			return err
		}
		cur.State, cur.StopReason, cur.Assigned, cur.UpdatedAt = store.HandoffStopped, "agent", true, at(3)
		return tx.UpdateHandoffSession(ctx, cur)
	})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err = write(func(tx store.Tx) error {
		cur, _ := tx.LockHandoffSession(ctx, "c2")
		cur.State = store.HandoffOpen
		if err := tx.UpdateHandoffSession(ctx, cur); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("write: %v", err)
	}
	gs, _ = s.HandoffSession(ctx, "c2")
	want := sess2
	want.State, want.StopReason, want.Assigned, want.UpdatedAt = store.HandoffStopped, "agent", true, at(3)
	diff(t, "stopped session", want, gs)
	err = write(func(tx store.Tx) error {
		_, err := tx.LockHandoffSession(ctx, "zz")
		return err
	})
	wantNotFound(t, "LockHandoffSession(zz)", err)
	err = write(func(tx store.Tx) error {
		return tx.UpdateHandoffSession(ctx, store.HandoffSession{ChatID: "zz", Installation: "i", ContactID: "c", State: store.HandoffOpen})
	})
	wantNotFound(t, "UpdateHandoffSession(zz)", err)

	// Open sessions come least recently checked first; stopped ones never.
	for i := 3; i <= 5; i++ {
		x := sess
		x.ChatID = fmt.Sprintf("c%d", i)
		if err := write(func(tx store.Tx) error { return tx.CreateHandoffSession(ctx, x) }); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetHandoffChecked(ctx, "c1", at(10)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetHandoffChecked(ctx, "c4", at(8)); err != nil {
		t.Fatal(err)
	}
	chats := func(ss []store.HandoffSession) []string {
		out := []string{}
		for _, x := range ss {
			out = append(out, x.ChatID)
		}
		return out
	}
	open, err := s.OpenHandoffSessions(ctx, at(20), 10)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "open sessions", []string{"c3", "c5", "c4", "c1"}, chats(open))
	open, _ = s.OpenHandoffSessions(ctx, at(9), 2)
	diff(t, "open sessions checked before 9 s, two", []string{"c3", "c5"}, chats(open))

	// The message record de-duplicates per installation and origin.
	rec := func(m store.HandoffMessage) bool {
		t.Helper()
		var fresh bool
		if err := write(func(tx store.Tx) error {
			var err error
			fresh, err = tx.RecordHandoffMessage(ctx, m)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return fresh
	}
	m := store.HandoffMessage{Installation: "inst1", Origin: store.FromPlanfix, Key: "m:1", ChatID: "c1", At: at(1)}
	results := []bool{rec(m), rec(m)}
	m2 := m
	m2.Origin = store.FromBot
	m3 := m
	m3.Installation = "inst2"
	results = append(results, rec(m2), rec(m3))
	diff(t, "fresh records", []bool{true, false, true, true}, results)
	if err := write(func(tx store.Tx) error {
		_, err := tx.RecordHandoffMessage(ctx, store.HandoffMessage{Installation: "i", Origin: "elsewhere", Key: "k"})
		return err
	}); err == nil {
		t.Errorf("RecordHandoffMessage with an unknown origin succeeded")
	}
}

// testHandoffConcurrentRecords checks that of concurrent records of one
// message exactly one is fresh.
func testHandoffConcurrentRecords(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	fresh := 0
	for range n {
		wg.Go(func() {
			err := s.Write(ctx, func(tx store.Tx) error {
				ok, err := tx.RecordHandoffMessage(ctx, store.HandoffMessage{Installation: "i", Origin: store.FromPlanfix, Key: "m:dup", ChatID: "c", At: at(0)})
				if ok {
					mu.Lock()
					fresh++
					mu.Unlock()
				}
				return err
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	diff(t, "fresh records of one message", 1, fresh)
}
