// Package storetest is the conformance suite every store.Store passes:
// a store package's test calls Run with a function that opens a fresh,
// empty store.
package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/planbridge/planbridge/store"
)

// Run runs the suite. open returns a new, empty store for one subtest and
// closes it at the subtest's cleanup, so Close must be safe to call twice:
// the Close subtest closes its store first. Subtests run in parallel.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Dialect", testDialect},
		{"Handoffs", testHandoffs}, {"HandoffConcurrentRecords", testHandoffConcurrentRecords}, {"HandoffListing", testHandoffListing}, {"HandoffSessionFields", testHandoffSessionFields}, {"AttemptLog", testAttemptLog},
		{"EnqueueAndItem", testEnqueueAndItem},
		{"EnqueueRejects", testEnqueueRejects},
		{"PayloadRoundTrip", testPayloadRoundTrip},
		{"Coalesce", testCoalesce},
		{"CoalesceWhileRunning", testCoalesceWhileRunning},
		{"Claim", testClaim},
		{"ClaimKeyOrder", testClaimKeyOrder},
		{"Finish", testFinish},
		{"Extend", testExtend},
		{"Rescue", testRescue},
		{"RescueCoalesced", testRescueCoalesced},
		{"Retry", testRetry},
		{"RetryCoalesced", testRetryCoalesced},
		{"Discard", testDiscard},
		{"Prune", testPrune},
		{"BacklogStatsPending", testBacklogStatsPending},
		{"List", testList},
		{"Leases", testLeases},
		{"Conversations", testConversations},
		{"Messages", testMessages},
		{"Destinations", testDestinations},
		{"WriteRollsBack", testWriteRollsBack},
		{"WritePanics", testWritePanics},
		{"GroupCommitIsolation", testGroupCommitIsolation},
		{"ContextCancelled", testContextCancelled},
		{"ConcurrentWrites", testConcurrentWrites},
		{"ConcurrentClaims", testConcurrentClaims},
		{"ConcurrentKeyOrder", testConcurrentKeyOrder},
		{"Budgets", testBudgets}, {"BudgetsConcurrent", testBudgetsConcurrent},
		{"Close", testClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// base is the suite's "now": stores keep microseconds, so every time the
// suite uses is whole.
var base = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// at is base plus sec seconds.
func at(sec int) time.Time { return base.Add(time.Duration(sec) * time.Second) }

// itemOpts compare items: times by instant, empty and nil payloads alike.
var itemOpts = cmp.Options{cmpopts.EquateEmpty()}

func enqueue(t *testing.T, s store.Store, now time.Time, items ...store.NewItem) []int64 {
	t.Helper()
	var ids []int64
	err := s.Write(context.Background(), func(tx store.Tx) error {
		ids = ids[:0]
		for _, it := range items {
			e, err := tx.Enqueue(context.Background(), it, now)
			if err != nil {
				return err
			}
			ids = append(ids, e.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return ids
}

func enqueueOne(t *testing.T, s store.Store, now time.Time, it store.NewItem) store.Enqueued {
	t.Helper()
	var e store.Enqueued
	err := s.Write(context.Background(), func(tx store.Tx) error {
		var err error
		e, err = tx.Enqueue(context.Background(), it, now)
		return err
	})
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return e
}

func claim(t *testing.T, s store.Store, c store.Claim) []store.Item {
	t.Helper()
	items, err := s.ClaimItems(context.Background(), c)
	if err != nil {
		t.Fatalf("ClaimItems(%+v): %v", c, err)
	}
	return items
}

func claimIDs(t *testing.T, s store.Store, c store.Claim) []int64 {
	t.Helper()
	return idsOf(claim(t, s, c))
}

func idsOf(items []store.Item) []int64 {
	ids := []int64{}
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	return ids
}

func getItem(t *testing.T, s store.Store, id int64) store.Item {
	t.Helper()
	it, err := s.Item(context.Background(), id)
	if err != nil {
		t.Fatalf("Item(%d): %v", id, err)
	}
	return it
}

func finish(t *testing.T, s store.Store, owner string, now time.Time, outcomes ...store.Outcome) int {
	t.Helper()
	n, err := s.Finish(context.Background(), owner, now, outcomes)
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	return n
}

func list(t *testing.T, s store.Store, f store.Filter) []store.Item {
	t.Helper()
	items, err := s.List(context.Background(), f)
	if err != nil {
		t.Fatalf("List(%+v): %v", f, err)
	}
	return items
}

func states(t *testing.T, s store.Store, ids ...int64) []store.State {
	t.Helper()
	var out []store.State
	for _, id := range ids {
		out = append(out, getItem(t, s, id).State)
	}
	return out
}

func diff(t *testing.T, what string, want, got any, opts ...cmp.Option) {
	t.Helper()
	if d := cmp.Diff(want, got, opts...); d != "" {
		t.Errorf("%s (-want +got):\n%s", what, d)
	}
}

func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("%s: got %v, want an error matching store.ErrNotFound", what, err)
	}
}

func testDialect(t *testing.T, s store.Store) {
	if d := s.Dialect(); !slices.Contains([]string{"sqlite", "postgres"}, d) {
		t.Errorf("Dialect() = %q, want sqlite or postgres", d)
	}
}

func testClose(t *testing.T, s store.Store) {
	enqueue(t, s, at(0), store.NewItem{Kind: "k", Dest: "d"})
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Write(context.Background(), func(tx store.Tx) error { return nil }); err == nil {
		t.Errorf("Write after Close succeeded")
	}
	if _, err := s.ClaimItems(context.Background(), store.Claim{Dest: "d", Kind: "k", Limit: 1, Owner: "o", Now: at(1), Until: at(2)}); err == nil {
		t.Errorf("ClaimItems after Close succeeded")
	}
	if _, err := s.Backlog(context.Background()); err == nil {
		t.Errorf("Backlog after Close succeeded")
	}
}
