package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/planbridge/planbridge/store"
)

// testAttemptLog is every failed attempt's error kept per item (the item
// itself keeps only the last), bounded, recorded by Finish and Rescue and
// pruned with the item.
func testAttemptLog(t *testing.T, s store.Store) {
	ctx := context.Background()
	var id int64
	if err := s.Write(ctx, func(tx store.Tx) error {
		e, err := tx.Enqueue(ctx, store.NewItem{Kind: "k.log", Dest: "d-log", Payload: []byte(`{}`), MaxAttempts: 3}, at(0))
		id = e.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	claim := func(sec int) {
		t.Helper()
		got, err := s.ClaimItems(ctx, store.Claim{Dest: "d-log", Kind: "k.log", Limit: 1, Owner: "o", Now: at(sec), Until: at(sec + 10)})
		if err != nil || len(got) != 1 {
			t.Fatalf("claim at %d: %v %v", sec, got, err)
		}
	}
	finish := func(sec int, o store.Outcome) {
		t.Helper()
		o.ID = id
		if _, err := s.Finish(ctx, "o", at(sec), []store.Outcome{o}); err != nil {
			t.Fatal(err)
		}
	}
	claim(1)
	finish(2, store.Outcome{State: store.StateAvailable, RunAt: at(3), Error: "503 first"})
	claim(3)
	finish(4, store.Outcome{State: store.StateAvailable, RunAt: at(5), Refund: true, Error: "429 snoozed"})
	claim(5) // this claim lapses: the rescuer records it
	if n, err := s.Rescue(ctx, at(20)); err != nil || n != 1 {
		t.Fatalf("rescue: %d %v", n, err)
	}
	claim(21)
	finish(22, store.Outcome{State: store.StateDead, Error: "400 last"})

	got, err := s.Attempts(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var errs []string
	for _, a := range got {
		errs = append(errs, fmt.Sprintf("%d %s", a.Attempt, a.Error))
	}
	lapsed := got[2].Error
	diff(t, "attempt log", []string{"1 503 first", "1 429 snoozed", "2 " + lapsed, "3 400 last"}, errs)
	if !got[0].At.Equal(at(2)) || !got[3].At.Equal(at(22)) {
		t.Errorf("attempt times %v and %v, want %v and %v", got[0].At, got[3].At, at(2), at(22))
	}
	it, _ := s.Item(ctx, id)
	if it.LastError != "400 last" {
		t.Errorf("the item's last error is %q", it.LastError)
	}
	if none, err := s.Attempts(ctx, 999999); err != nil || len(none) != 0 {
		t.Errorf("attempts of an unknown item: %v %v", none, err)
	}

	// Snoozes spend no attempt, so only the log's bound keeps it small.
	if n, err := s.Retry(ctx, store.Filter{IDs: []int64{id}}, at(30)); err != nil || n != 1 {
		t.Fatalf("retry: %d %v", n, err)
	}
	for i := range store.MaxAttemptLog + 5 {
		sec := 31 + 2*i
		claim(sec)
		finish(sec+1, store.Outcome{State: store.StateAvailable, RunAt: at(sec + 2), Refund: true, Error: fmt.Sprintf("429 #%d", i)})
	}
	got, _ = s.Attempts(ctx, id)
	if len(got) != store.MaxAttemptLog || got[len(got)-1].Error != fmt.Sprintf("429 #%d", store.MaxAttemptLog+4) {
		t.Errorf("after many snoozes the log has %d entries, the newest %q; want %d ending with the last", len(got), got[len(got)-1].Error, store.MaxAttemptLog)
	}

	// Pruning the delivered item prunes its log.
	last := 31 + 2*(store.MaxAttemptLog+5)
	claim(last)
	finish(last+1, store.Outcome{State: store.StateCompleted})
	if n, err := s.Prune(ctx, at(last+100), 100); err != nil || n < 1 {
		t.Fatalf("prune: %d %v", n, err)
	}
	if got, err := s.Attempts(ctx, id); err != nil || len(got) != 0 {
		t.Errorf("a pruned item's log: %d entries, %v", len(got), err)
	}
}
