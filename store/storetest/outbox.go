package storetest

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/planbridge/planbridge/store"
)

func testEnqueueAndItem(t *testing.T, s store.Store) {
	e := enqueueOne(t, s, at(0), store.NewItem{
		Kind: "planhat.conversation", Dest: "d1", Key: "conv-1", Coalesce: "c",
		Payload: []byte(`{"a":1}`), MaxAttempts: 3, RunAt: at(60),
	})
	if e.Coalesced {
		t.Errorf("first enqueue reported Coalesced")
	}
	want := store.Item{
		ID: e.ID, Kind: "planhat.conversation", Dest: "d1", Key: "conv-1", Coalesce: "c",
		Payload: []byte(`{"a":1}`), State: store.StateAvailable, MaxAttempts: 3,
		RunAt: at(60), CreatedAt: at(0), UpdatedAt: at(0),
	}
	diff(t, "Item", want, getItem(t, s, e.ID), itemOpts)

	e2 := enqueueOne(t, s, at(5), store.NewItem{Kind: "k", Dest: "d1", Payload: []byte("x")})
	if e2.ID <= e.ID {
		t.Errorf("second id %d is not after the first %d", e2.ID, e.ID)
	}
	got := getItem(t, s, e2.ID)
	if got.MaxAttempts != store.DefaultMaxAttempts || !got.RunAt.Equal(at(5)) {
		t.Errorf("defaults: MaxAttempts %d RunAt %v, want %d and %v", got.MaxAttempts, got.RunAt, store.DefaultMaxAttempts, at(5))
	}
	_, err := s.Item(context.Background(), e2.ID+1000)
	wantNotFound(t, "Item of a missing id", err)
}

func testEnqueueRejects(t *testing.T, s store.Store) {
	for _, tc := range []struct {
		name string
		it   store.NewItem
		zero bool
	}{
		{"no kind", store.NewItem{Dest: "d"}, false},
		{"no dest", store.NewItem{Kind: "k"}, false},
		{"zero now", store.NewItem{Kind: "k", Dest: "d"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := at(0)
			if tc.zero {
				now = time.Time{}
			}
			err := s.Write(context.Background(), func(tx store.Tx) error {
				_, err := tx.Enqueue(context.Background(), tc.it, now)
				return err
			})
			if err == nil {
				t.Errorf("Enqueue(%+v) succeeded, want an error", tc.it)
			}
		})
	}
	if items := list(t, s, store.Filter{}); len(items) != 0 {
		t.Errorf("rejected items were stored: %v", idsOf(items))
	}
}

func testPayloadRoundTrip(t *testing.T, s store.Store) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for _, tc := range []struct {
		name    string
		payload []byte
	}{
		{"json", []byte(`{"name":"Åsa","n":1}`)},
		{"every byte", all},
		{"invalid utf-8", []byte{0xff, 0xfe, 0x00, 0xc3}},
		{"nul bytes", []byte{0, 0, 0}},
		{"empty", []byte{}},
		{"nil", nil},
		{"large", bytes.Repeat([]byte("0123456789abcdef"), 1<<16)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := enqueueOne(t, s, at(0), store.NewItem{Kind: "k", Dest: "d", Payload: tc.payload})
			got := getItem(t, s, e.ID).Payload
			if !bytes.Equal(got, tc.payload) {
				t.Errorf("payload of %d bytes came back as %d bytes, differing", len(tc.payload), len(got))
			}
			claimed := claim(t, s, store.Claim{Dest: "d", Kind: "k", Limit: 1, Owner: "o", Now: at(1), Until: at(60)})
			if len(claimed) != 1 || !bytes.Equal(claimed[0].Payload, tc.payload) {
				t.Errorf("the claimed item's payload differs")
			}
			finish(t, s, "o", at(2), store.Outcome{ID: e.ID, State: store.StateCompleted})
		})
	}
}

func testCoalesce(t *testing.T, s store.Store) {
	first := enqueueOne(t, s, at(0), store.NewItem{Kind: "k", Dest: "d", Key: "x", Coalesce: "c", Payload: []byte("1")})
	second := enqueueOne(t, s, at(5), store.NewItem{Kind: "k", Dest: "d", Key: "x", Coalesce: "c", Payload: []byte("2")})
	diff(t, "second enqueue", store.Enqueued{ID: first.ID, Coalesced: true}, second)
	got := getItem(t, s, first.ID)
	if string(got.Payload) != "2" || !got.UpdatedAt.Equal(at(5)) || !got.CreatedAt.Equal(at(0)) {
		t.Errorf("coalesced item: payload %q updated %v created %v, want 2, %v, %v", got.Payload, got.UpdatedAt, got.CreatedAt, at(5), at(0))
	}

	for _, tc := range []struct {
		name string
		it   store.NewItem
	}{
		{"other kind", store.NewItem{Kind: "k2", Dest: "d", Coalesce: "c"}},
		{"other dest", store.NewItem{Kind: "k", Dest: "d2", Coalesce: "c"}},
		{"other coalesce", store.NewItem{Kind: "k", Dest: "d", Coalesce: "c2"}},
		{"no coalesce", store.NewItem{Kind: "k", Dest: "d"}},
	} {
		e := enqueueOne(t, s, at(6), tc.it)
		if e.Coalesced || e.ID == first.ID {
			t.Errorf("%s: %+v merged into item %d", tc.name, e, first.ID)
		}
	}
	if e := enqueueOne(t, s, at(7), store.NewItem{Kind: "k", Dest: "d"}); e.Coalesced {
		t.Errorf("items without Coalesce merged: %+v", e)
	}

	// Within one transaction the second enqueue sees the first.
	var in []store.Enqueued
	err := s.Write(context.Background(), func(tx store.Tx) error {
		for _, p := range []string{"a", "b"} {
			e, err := tx.Enqueue(context.Background(), store.NewItem{Kind: "k", Dest: "d", Coalesce: "same-tx", Payload: []byte(p)}, at(8))
			if err != nil {
				return err
			}
			in = append(in, e)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !in[1].Coalesced || in[1].ID != in[0].ID {
		t.Errorf("same transaction: %+v, want the second coalesced into the first", in)
	}
	if p := getItem(t, s, in[0].ID).Payload; string(p) != "b" {
		t.Errorf("same transaction: payload %q, want b", p)
	}
}

func testCoalesceWhileRunning(t *testing.T, s store.Store) {
	c := store.Claim{Dest: "d", Kind: "k", Limit: 10, Owner: "o", Now: at(1), Until: at(60)}
	it := func(p string) store.NewItem {
		return store.NewItem{Kind: "k", Dest: "d", Coalesce: "conv", Payload: []byte(p)}
	}
	first := enqueueOne(t, s, at(0), it("1"))
	diff(t, "claimed", []int64{first.ID}, claimIDs(t, s, c))

	// The item being delivered must not absorb new work: it would be lost.
	second := enqueueOne(t, s, at(2), it("2"))
	if second.Coalesced || second.ID == first.ID {
		t.Fatalf("enqueue while the item runs merged into it: %+v", second)
	}
	if p := getItem(t, s, first.ID).Payload; string(p) != "1" {
		t.Errorf("running item's payload changed to %q", p)
	}
	third := enqueueOne(t, s, at(3), it("3"))
	diff(t, "third enqueue", store.Enqueued{ID: second.ID, Coalesced: true}, third)

	// The running item fails: the available one already has newer work,
	// so the failed one is superseded rather than a second available item.
	if n := finish(t, s, "o", at(4), store.Outcome{ID: first.ID, State: store.StateAvailable, RunAt: at(30), Error: "502"}); n != 1 {
		t.Errorf("Finish applied %d, want 1", n)
	}
	got := getItem(t, s, first.ID)
	if got.State != store.StateDiscarded || !strings.Contains(got.LastError, "502") || !strings.Contains(got.LastError, "superseded") {
		t.Errorf("failed superseded item: state %s, last error %q; want discarded, naming the error and the supersession", got.State, got.LastError)
	}
	avail := getItem(t, s, second.ID)
	if avail.State != store.StateAvailable || string(avail.Payload) != "3" {
		t.Errorf("available item: state %s payload %q, want available 3", avail.State, avail.Payload)
	}

	// A running item completing beside a newer available one is just completed.
	c.Now = at(5)
	diff(t, "claimed", []int64{second.ID}, claimIDs(t, s, c))
	fourth := enqueueOne(t, s, at(6), it("4"))
	finish(t, s, "o", at(7), store.Outcome{ID: second.ID, State: store.StateCompleted})
	diff(t, "states", []store.State{store.StateCompleted, store.StateAvailable}, states(t, s, second.ID, fourth.ID))
}

func testClaim(t *testing.T, s store.Store) {
	ids := enqueue(t, s, at(0),
		store.NewItem{Kind: "k1", Dest: "d1", Payload: []byte("a")},
		store.NewItem{Kind: "k1", Dest: "d1", Payload: []byte("future"), RunAt: at(100)},
		store.NewItem{Kind: "k2", Dest: "d1", Payload: []byte("other kind")},
		store.NewItem{Kind: "k1", Dest: "d2", Payload: []byte("other dest")},
		store.NewItem{Kind: "k1", Dest: "d1", Payload: []byte("b"), RunAt: at(10)},
		store.NewItem{Kind: "k1", Dest: "d1", Payload: []byte("c"), MaxAttempts: 2},
	)
	c := store.Claim{Dest: "d1", Kind: "k1", Limit: 10, Owner: "o1", Now: at(10), Until: at(70)}
	got := claim(t, s, c)
	diff(t, "claimed ids", []int64{ids[0], ids[4], ids[5]}, idsOf(got))
	for _, it := range got {
		want := getItem(t, s, it.ID)
		diff(t, "returned item vs stored", want, it, itemOpts)
		if it.State != store.StateRunning || it.Attempts != 1 || it.LockedBy != "o1" ||
			!it.LockedUntil.Equal(at(70)) || !it.UpdatedAt.Equal(at(10)) {
			t.Errorf("claimed item %d: state %s attempts %d locked by %q until %v updated %v",
				it.ID, it.State, it.Attempts, it.LockedBy, it.LockedUntil, it.UpdatedAt)
		}
	}
	diff(t, "claim again", []int64{}, claimIDs(t, s, c))

	more := enqueue(t, s, at(11), store.NewItem{Kind: "k1", Dest: "d1"}, store.NewItem{Kind: "k1", Dest: "d1"}, store.NewItem{Kind: "k1", Dest: "d1"})
	c.Now, c.Limit = at(12), 2
	diff(t, "limit 2", more[:2], claimIDs(t, s, c))
	c.Limit = 0
	diff(t, "limit 0", []int64{}, claimIDs(t, s, c))
	c.Now, c.Limit = at(100), 10
	diff(t, "at the future item's time", []int64{ids[1], more[2]}, claimIDs(t, s, c))

	if _, err := s.ClaimItems(context.Background(), store.Claim{Dest: "d1", Kind: "k1", Limit: 1, Now: at(1), Until: at(2)}); err == nil {
		t.Errorf("a claim without an owner succeeded")
	}
}

func testClaimKeyOrder(t *testing.T, s store.Store) {
	ctx := context.Background()
	ids := enqueue(t, s, at(0),
		store.NewItem{Kind: "k", Dest: "d", Key: "K"},                 // 0
		store.NewItem{Kind: "k", Dest: "d", Key: "K"},                 // 1
		store.NewItem{Kind: "k", Dest: "d", Key: "K"},                 // 2
		store.NewItem{Kind: "k", Dest: "d"},                           // 3 unordered
		store.NewItem{Kind: "k", Dest: "d2", Key: "K"},                // 4 same key, other dest
		store.NewItem{Kind: "k", Dest: "d", Key: "L"},                 // 5
		store.NewItem{Kind: "other", Dest: "d", Key: "M"},             // 6 blocks 7 across kinds
		store.NewItem{Kind: "k", Dest: "d", Key: "M"},                 // 7
		store.NewItem{Kind: "k", Dest: "d", Key: "F", RunAt: at(500)}, // 8 not due, still first
		store.NewItem{Kind: "k", Dest: "d", Key: "F"},                 // 9
	)
	c := store.Claim{Dest: "d", Kind: "k", Limit: 100, Owner: "o", Now: at(1), Until: at(60)}
	diff(t, "first claim: each key's head", []int64{ids[0], ids[3], ids[5]}, claimIDs(t, s, c))
	c2 := c
	c2.Dest = "d2"
	diff(t, "other destination", []int64{ids[4]}, claimIDs(t, s, c2))
	diff(t, "while the heads run", []int64{}, claimIDs(t, s, c))

	pending, err := s.Pending(ctx, at(1))
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "Pending counts heads only", []store.Group{{Dest: "d", Kind: "other", Items: 1}}, pending)

	// Completed, dead and discarded items do not hold their key back.
	finish(t, s, "o", at(2), store.Outcome{ID: ids[0], State: store.StateCompleted})
	diff(t, "after completion", []int64{ids[1]}, claimIDs(t, s, c))
	finish(t, s, "o", at(3), store.Outcome{ID: ids[1], State: store.StateDead, Error: "gone"})
	diff(t, "after death", []int64{ids[2]}, claimIDs(t, s, c))
	finish(t, s, "o", at(4), store.Outcome{ID: ids[2], State: store.StateCompleted})
	if _, err := s.Discard(ctx, store.Filter{IDs: []int64{ids[6]}}, at(5)); err != nil {
		t.Fatal(err)
	}
	diff(t, "after discarding the other kind's head", []int64{ids[7]}, claimIDs(t, s, c))
	c.Now = at(500)
	diff(t, "once the not-due head is due", []int64{ids[8]}, claimIDs(t, s, c))
	// A retried item goes back to the queue but its key's order stays by id.
	finish(t, s, "o", at(501), store.Outcome{ID: ids[8], State: store.StateAvailable, RunAt: at(600)})
	diff(t, "the retried head still blocks", []int64{}, claimIDs(t, s, c))
}

func testFinish(t *testing.T, s store.Store) {
	type tc struct {
		name    string
		owner   string
		outcome store.Outcome
		// prepare runs after the claim; it may move the item on first.
		prepare func(t *testing.T, id int64)
		applied int
		want    func(it store.Item) store.Item
	}
	now := at(20)
	cases := []tc{
		{name: "completed", outcome: store.Outcome{State: store.StateCompleted}, applied: 1,
			want: func(it store.Item) store.Item {
				it.State, it.FinishedAt = store.StateCompleted, now
				return it
			}},
		{name: "retry", outcome: store.Outcome{State: store.StateAvailable, RunAt: at(300), Error: "503", Alone: true}, applied: 1,
			want: func(it store.Item) store.Item {
				it.State, it.RunAt, it.Alone, it.LastError = store.StateAvailable, at(300), true, "503"
				return it
			}},
		{name: "snooze refunds the attempt", outcome: store.Outcome{State: store.StateAvailable, RunAt: at(90), Refund: true, Error: "429"}, applied: 1,
			want: func(it store.Item) store.Item {
				it.State, it.RunAt, it.Attempts, it.LastError = store.StateAvailable, at(90), 0, "429"
				return it
			}},
		{name: "retry at once", outcome: store.Outcome{State: store.StateAvailable}, applied: 1,
			want: func(it store.Item) store.Item {
				it.State, it.RunAt = store.StateAvailable, now
				return it
			}},
		{name: "dead", outcome: store.Outcome{State: store.StateDead, Error: "400 bad request"}, applied: 1,
			want: func(it store.Item) store.Item {
				it.State, it.FinishedAt, it.LastError = store.StateDead, now, "400 bad request"
				return it
			}},
		{name: "another owner", owner: "thief", outcome: store.Outcome{State: store.StateCompleted}, applied: 0},
		{name: "no longer running", outcome: store.Outcome{State: store.StateDead},
			prepare: func(t *testing.T, id int64) {
				finish(t, s, "o", at(19), store.Outcome{ID: id, State: store.StateCompleted})
			}, applied: 0},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dest := "finish-" + string(rune('a'+i))
			id := enqueue(t, s, at(0), store.NewItem{Kind: "k", Dest: dest, Payload: []byte("p")})[0]
			claimed := claim(t, s, store.Claim{Dest: dest, Kind: "k", Limit: 1, Owner: "o", Now: at(10), Until: at(70)})
			if len(claimed) != 1 {
				t.Fatalf("claimed %d items", len(claimed))
			}
			if c.prepare != nil {
				c.prepare(t, id)
			}
			before := getItem(t, s, id)
			owner := c.owner
			if owner == "" {
				owner = "o"
			}
			out := c.outcome
			out.ID = id
			if n := finish(t, s, owner, now, out); n != c.applied {
				t.Errorf("Finish applied %d, want %d", n, c.applied)
			}
			want := before
			if c.want != nil {
				want = c.want(before)
				want.LockedBy, want.LockedUntil, want.UpdatedAt = "", time.Time{}, now
			}
			diff(t, "item after Finish", want, getItem(t, s, id), itemOpts)
		})
	}

	t.Run("several at once and an unknown id", func(t *testing.T) {
		ids := enqueue(t, s, at(0), store.NewItem{Kind: "k", Dest: "many"}, store.NewItem{Kind: "k", Dest: "many"}, store.NewItem{Kind: "k", Dest: "many"})
		claim(t, s, store.Claim{Dest: "many", Kind: "k", Limit: 3, Owner: "o", Now: at(10), Until: at(70)})
		n := finish(t, s, "o", now,
			store.Outcome{ID: ids[2], State: store.StateCompleted},
			store.Outcome{ID: ids[0], State: store.StateDead, Error: "x"},
			store.Outcome{ID: ids[1], State: store.StateAvailable},
			store.Outcome{ID: ids[2] + 1000, State: store.StateCompleted},
		)
		if n != 3 {
			t.Errorf("Finish applied %d, want 3", n)
		}
		diff(t, "states", []store.State{store.StateDead, store.StateAvailable, store.StateCompleted}, states(t, s, ids...))
	})
	t.Run("invalid state", func(t *testing.T) {
		if _, err := s.Finish(context.Background(), "o", now, []store.Outcome{{ID: 1, State: store.StateRunning}}); err == nil {
			t.Errorf("Finish with state running succeeded")
		}
	})
	t.Run("a retry keeps the last error until the next outcome", func(t *testing.T) {
		id := enqueue(t, s, at(0), store.NewItem{Kind: "k", Dest: "keep"})[0]
		claim(t, s, store.Claim{Dest: "keep", Kind: "k", Limit: 1, Owner: "o", Now: at(10), Until: at(70)})
		finish(t, s, "o", at(11), store.Outcome{ID: id, State: store.StateAvailable, Error: "first"})
		got := claim(t, s, store.Claim{Dest: "keep", Kind: "k", Limit: 1, Owner: "o", Now: at(12), Until: at(70)})
		if len(got) != 1 || got[0].Attempts != 2 || got[0].LastError != "first" {
			t.Fatalf("second claim: %+v, want attempt 2 showing the first error", got)
		}
		finish(t, s, "o", at(13), store.Outcome{ID: id, State: store.StateCompleted})
		if it := getItem(t, s, id); it.State != store.StateCompleted || !it.FinishedAt.Equal(at(13)) {
			t.Errorf("completed item: %+v", it)
		}
	})
}

func testExtend(t *testing.T, s store.Store) {
	ctx := context.Background()
	ids := enqueue(t, s, at(0), store.NewItem{Kind: "k", Dest: "d"}, store.NewItem{Kind: "k", Dest: "d"}, store.NewItem{Kind: "k", Dest: "d"})
	claim(t, s, store.Claim{Dest: "d", Kind: "k", Limit: 3, Owner: "o1", Now: at(1), Until: at(60)})
	extend := func(owner string, ids []int64, until int) []int64 {
		t.Helper()
		held, err := s.Extend(ctx, owner, ids, at(until))
		if err != nil {
			t.Fatalf("Extend: %v", err)
		}
		if held == nil {
			held = []int64{}
		}
		return held
	}
	diff(t, "own items and an unknown one", ids, extend("o1", []int64{ids[2], ids[0], ids[1], ids[2] + 99}, 500))
	for _, id := range ids {
		if it := getItem(t, s, id); !it.LockedUntil.Equal(at(500)) {
			t.Errorf("item %d locked until %v, want %v", id, it.LockedUntil, at(500))
		}
	}
	diff(t, "another owner", []int64{}, extend("o2", ids, 900))
	if it := getItem(t, s, ids[0]); !it.LockedUntil.Equal(at(500)) {
		t.Errorf("another owner's Extend moved the claim to %v", it.LockedUntil)
	}
	finish(t, s, "o1", at(2), store.Outcome{ID: ids[0], State: store.StateCompleted})
	diff(t, "after one finished", ids[1:], extend("o1", ids, 600))
	if n, err := s.Rescue(ctx, at(601)); err != nil || n != 2 {
		t.Fatalf("Rescue = %d, %v; want 2", n, err)
	}
	diff(t, "after a rescue", []int64{}, extend("o1", ids, 700))
	diff(t, "no ids", []int64{}, extend("o1", nil, 700))
}

func testRescue(t *testing.T, s store.Store) {
	ctx := context.Background()
	ids := enqueue(t, s, at(0),
		store.NewItem{Kind: "k", Dest: "lapses", MaxAttempts: 3},
		store.NewItem{Kind: "k", Dest: "dies", MaxAttempts: 1},
		store.NewItem{Kind: "k", Dest: "holds", MaxAttempts: 3},
		store.NewItem{Kind: "k", Dest: "edge", MaxAttempts: 3},
	)
	claim(t, s, store.Claim{Dest: "lapses", Kind: "k", Limit: 1, Owner: "o", Now: at(1), Until: at(60)})
	claim(t, s, store.Claim{Dest: "dies", Kind: "k", Limit: 1, Owner: "o", Now: at(1), Until: at(60)})
	claim(t, s, store.Claim{Dest: "holds", Kind: "k", Limit: 1, Owner: "o", Now: at(1), Until: at(120)})
	claim(t, s, store.Claim{Dest: "edge", Kind: "k", Limit: 1, Owner: "o", Now: at(1), Until: at(61)})
	n, err := s.Rescue(ctx, at(61))
	if err != nil || n != 2 {
		t.Fatalf("Rescue = %d, %v; want 2", n, err)
	}
	back := getItem(t, s, ids[0])
	if back.State != store.StateAvailable || back.Attempts != 1 || !back.RunAt.Equal(at(61)) || back.LockedBy != "" ||
		!back.LockedUntil.IsZero() || !strings.Contains(back.LastError, "lapsed") {
		t.Errorf("rescued item: %+v; want available at once, attempt still counted, unlocked, LastError saying the claim lapsed", back)
	}
	dead := getItem(t, s, ids[1])
	if dead.State != store.StateDead || !dead.FinishedAt.Equal(at(61)) || dead.LockedBy != "" || !strings.Contains(dead.LastError, "lapsed") {
		t.Errorf("rescued item out of attempts: %+v; want dead, finished at %v", dead, at(61))
	}
	diff(t, "claims not lapsed (one ends exactly now)", []store.State{store.StateRunning, store.StateRunning}, states(t, s, ids[2], ids[3]))
	again := claim(t, s, store.Claim{Dest: "lapses", Kind: "k", Limit: 1, Owner: "o2", Now: at(62), Until: at(120)})
	if len(again) != 1 || again[0].Attempts != 2 {
		t.Errorf("reclaimed rescued item: %+v, want attempt 2", again)
	}
	// The old owner can no longer finish it.
	if n := finish(t, s, "o", at(63), store.Outcome{ID: ids[0], State: store.StateCompleted}); n != 0 {
		t.Errorf("the lapsed owner finished the rescued item")
	}
	if n, err := s.Rescue(ctx, at(62)); err != nil || n != 1 {
		t.Errorf("second Rescue = %d, %v; want 1 (the claim ending at 61)", n, err)
	}
}

func testRescueCoalesced(t *testing.T, s store.Store) {
	ctx := context.Background()
	it := func(dest string) store.NewItem { return store.NewItem{Kind: "k", Dest: dest, Coalesce: "c"} }
	c := store.Claim{Kind: "k", Limit: 10, Owner: "o", Now: at(1), Until: at(60)}

	// A lapsed item whose coalesce key an available item took meanwhile.
	c.Dest = "taken"
	old := enqueue(t, s, at(0), it("taken"))[0]
	claim(t, s, c)
	avail := enqueueOne(t, s, at(2), it("taken")).ID

	// Two lapsed items of one key and no available one: the newest goes back.
	c.Dest = "two"
	first := enqueue(t, s, at(0), it("two"))[0]
	claim(t, s, c)
	second := enqueue(t, s, at(2), it("two"))[0]
	c.Now = at(3)
	diff(t, "second claim", []int64{second}, claimIDs(t, s, c))

	n, err := s.Rescue(ctx, at(61))
	if err != nil || n != 3 {
		t.Fatalf("Rescue = %d, %v; want 3", n, err)
	}
	diff(t, "taken key", []store.State{store.StateDiscarded, store.StateAvailable}, states(t, s, old, avail))
	diff(t, "two lapsed", []store.State{store.StateDiscarded, store.StateAvailable}, states(t, s, first, second))
	for _, id := range []int64{old, first} {
		if it := getItem(t, s, id); !strings.Contains(it.LastError, "superseded") || !it.FinishedAt.Equal(at(61)) {
			t.Errorf("superseded item %d: LastError %q, finished %v", id, it.LastError, it.FinishedAt)
		}
	}
}

func testRetry(t *testing.T, s store.Store) {
	ctx := context.Background()
	ids := enqueue(t, s, at(0),
		store.NewItem{Kind: "k", Dest: "dead", MaxAttempts: 5},
		store.NewItem{Kind: "k", Dest: "discarded"},
		store.NewItem{Kind: "k", Dest: "available"},
		store.NewItem{Kind: "k", Dest: "running"},
		store.NewItem{Kind: "k", Dest: "completed"},
		store.NewItem{Kind: "k", Dest: "other"},
	)
	cl := func(dest string) {
		claim(t, s, store.Claim{Dest: dest, Kind: "k", Limit: 1, Owner: "o", Now: at(1), Until: at(60)})
	}
	cl("dead")
	finish(t, s, "o", at(2), store.Outcome{ID: ids[0], State: store.StateDead, Error: "boom"})
	if _, err := s.Discard(ctx, store.Filter{IDs: []int64{ids[1]}}, at(2)); err != nil {
		t.Fatal(err)
	}
	cl("available")
	finish(t, s, "o", at(2), store.Outcome{ID: ids[2], State: store.StateAvailable, RunAt: at(1000), Alone: true, Error: "503"})
	cl("running")
	cl("completed")
	finish(t, s, "o", at(2), store.Outcome{ID: ids[4], State: store.StateCompleted})
	before := map[int64]store.Item{}
	for _, id := range ids {
		before[id] = getItem(t, s, id)
	}

	n, err := s.Retry(ctx, store.Filter{IDs: ids[:5]}, at(50))
	if err != nil || n != 3 {
		t.Fatalf("Retry = %d, %v; want 3", n, err)
	}
	for _, id := range ids[:3] {
		want := before[id]
		want.State, want.Attempts, want.RunAt, want.FinishedAt, want.Alone, want.UpdatedAt = store.StateAvailable, 0, at(50), time.Time{}, false, at(50)
		diff(t, "retried item", want, getItem(t, s, id), itemOpts, cmpopts.IgnoreFields(store.Item{}, "LastError"))
	}
	for _, id := range ids[3:] {
		diff(t, "untouched item", before[id], getItem(t, s, id), itemOpts)
	}
	got := claim(t, s, store.Claim{Dest: "dead", Kind: "k", Limit: 1, Owner: "o", Now: at(50), Until: at(60)})
	if len(got) != 1 || got[0].Attempts != 1 {
		t.Errorf("claim of the retried item: %+v, want attempt 1", got)
	}
	if n, err := s.Retry(ctx, store.Filter{States: []store.State{store.StateRunning, store.StateCompleted}}, at(51)); err != nil || n != 0 {
		t.Errorf("Retry of running and completed = %d, %v; want 0", n, err)
	}
	if _, err := s.Retry(ctx, store.Filter{States: []store.State{"bogus"}}, at(51)); err == nil {
		t.Errorf("Retry with an invalid state succeeded")
	}
}

func testRetryCoalesced(t *testing.T, s store.Store) {
	ctx := context.Background()
	kill := func(dest string, id int64) {
		t.Helper()
		diff(t, "claim", []int64{id}, claimIDs(t, s, store.Claim{Dest: dest, Kind: "k", Limit: 1, Owner: "o", Now: at(5), Until: at(60)}))
		finish(t, s, "o", at(6), store.Outcome{ID: id, State: store.StateDead, Error: "x"})
	}
	it := func(dest string) store.NewItem { return store.NewItem{Kind: "k", Dest: dest, Coalesce: "c"} }

	// A dead item whose coalesce key an available item holds is skipped.
	dead := enqueue(t, s, at(0), it("held"))[0]
	kill("held", dead)
	avail := enqueueOne(t, s, at(3), it("held")).ID
	if n, err := s.Retry(ctx, store.Filter{IDs: []int64{dead}}, at(10)); err != nil || n != 0 {
		t.Errorf("Retry of a dead item whose key is held = %d, %v; want 0 and no error", n, err)
	}
	diff(t, "held key", []store.State{store.StateDead, store.StateAvailable}, states(t, s, dead, avail))
	// Retrying both: the available one is retried, the dead one skipped.
	if n, err := s.Retry(ctx, store.Filter{Dest: "held"}, at(11)); err != nil || n != 1 {
		t.Errorf("Retry of the held key's items = %d, %v; want 1", n, err)
	}

	// Two dead items of one free key: the newest is retried.
	first := enqueue(t, s, at(0), it("free"))[0]
	kill("free", first)
	second := enqueue(t, s, at(3), it("free"))[0]
	kill("free", second)
	if n, err := s.Retry(ctx, store.Filter{Dest: "free"}, at(12)); err != nil || n != 1 {
		t.Errorf("Retry of two dead items of one key = %d, %v; want 1", n, err)
	}
	diff(t, "free key", []store.State{store.StateDead, store.StateAvailable}, states(t, s, first, second))

	// A discarded one with no rival comes back as usual.
	lone := enqueue(t, s, at(0), it("lone"))[0]
	if _, err := s.Discard(ctx, store.Filter{IDs: []int64{lone}}, at(1)); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Retry(ctx, store.Filter{Dest: "lone"}, at(12)); err != nil || n != 1 {
		t.Errorf("Retry of a lone discarded item = %d, %v; want 1", n, err)
	}
	if e := enqueueOne(t, s, at(13), it("lone")); !e.Coalesced || e.ID != lone {
		t.Errorf("enqueue after the retry: %+v, want coalesced into %d", e, lone)
	}
}

func testDiscard(t *testing.T, s store.Store) {
	ctx := context.Background()
	ids := enqueue(t, s, at(0),
		store.NewItem{Kind: "k", Dest: "available", Coalesce: "c"},
		store.NewItem{Kind: "k", Dest: "dead"},
		store.NewItem{Kind: "k", Dest: "running"},
		store.NewItem{Kind: "k", Dest: "completed"},
	)
	for _, d := range []string{"dead", "running", "completed"} {
		claim(t, s, store.Claim{Dest: d, Kind: "k", Limit: 1, Owner: "o", Now: at(1), Until: at(60)})
	}
	finish(t, s, "o", at(2), store.Outcome{ID: ids[1], State: store.StateDead}, store.Outcome{ID: ids[3], State: store.StateCompleted})
	n, err := s.Discard(ctx, store.Filter{}, at(5))
	if err != nil || n != 2 {
		t.Fatalf("Discard = %d, %v; want 2", n, err)
	}
	diff(t, "states", []store.State{store.StateDiscarded, store.StateDiscarded, store.StateRunning, store.StateCompleted}, states(t, s, ids...))
	if it := getItem(t, s, ids[0]); !it.FinishedAt.Equal(at(5)) || !it.UpdatedAt.Equal(at(5)) {
		t.Errorf("discarded item: finished %v updated %v, want %v", it.FinishedAt, it.UpdatedAt, at(5))
	}
	// A discarded item no longer takes new work for its coalesce key.
	if e := enqueueOne(t, s, at(6), store.NewItem{Kind: "k", Dest: "available", Coalesce: "c"}); e.Coalesced {
		t.Errorf("enqueue merged into a discarded item")
	}
	if n, err := s.Discard(ctx, store.Filter{Dest: "nowhere"}, at(7)); err != nil || n != 0 {
		t.Errorf("Discard of nothing = %d, %v", n, err)
	}
}

func testPrune(t *testing.T, s store.Store) {
	ctx := context.Background()
	done := func(dest string, sec int, state store.State) int64 {
		t.Helper()
		id := enqueue(t, s, at(0), store.NewItem{Kind: "k", Dest: dest})[0]
		if state == store.StateDiscarded {
			if _, err := s.Discard(ctx, store.Filter{IDs: []int64{id}}, at(sec)); err != nil {
				t.Fatal(err)
			}
			return id
		}
		claim(t, s, store.Claim{Dest: dest, Kind: "k", Limit: 1, Owner: "o", Now: at(0), Until: at(1000)})
		finish(t, s, "o", at(sec), store.Outcome{ID: id, State: state})
		return id
	}
	c10 := done("a", 10, store.StateCompleted)
	d20 := done("b", 20, store.StateDiscarded)
	c30 := done("c", 30, store.StateCompleted)
	dead := done("d", 5, store.StateDead)
	avail := enqueue(t, s, at(0), store.NewItem{Kind: "k", Dest: "e"})[0]

	prune := func(before, limit int) int {
		t.Helper()
		n, err := s.Prune(ctx, at(before), limit)
		if err != nil {
			t.Fatalf("Prune: %v", err)
		}
		return n
	}
	if n := prune(25, 10); n != 2 {
		t.Errorf("Prune(before 25) = %d, want 2", n)
	}
	for _, id := range []int64{c10, d20} {
		_, err := s.Item(ctx, id)
		wantNotFound(t, "pruned item", err)
	}
	if n := prune(100, 0); n != 0 {
		t.Errorf("Prune with limit 0 = %d, want 0", n)
	}
	if n := prune(100, 10); n != 1 {
		t.Errorf("Prune(before 100) = %d, want 1", n)
	}
	diff(t, "what remains", []int64{dead, avail}, idsOf(list(t, s, store.Filter{})))
	_ = c30

	for range 3 {
		done("f", 40, store.StateCompleted)
	}
	if n := prune(100, 2); n != 2 {
		t.Errorf("Prune with limit 2 = %d", n)
	}
	last := done("g", 50, store.StateCompleted)
	if n := prune(100, 10); n != 2 {
		t.Errorf("Prune of the rest = %d, want 2", n)
	}
	// Ids are never reused, not even the pruned highest one: they order keys.
	if next := enqueue(t, s, at(60), store.NewItem{Kind: "k", Dest: "h"})[0]; next <= last {
		t.Errorf("id %d after pruning id %d: ids must keep growing", next, last)
	}
}

func testBacklogStatsPending(t *testing.T, s store.Store) {
	ctx := context.Background()
	backlog := func() int {
		t.Helper()
		n, err := s.Backlog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	stats := func() store.Stats {
		t.Helper()
		st, err := s.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	pending := func(sec int) []store.Group {
		t.Helper()
		g, err := s.Pending(ctx, at(sec))
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	zero := map[store.State]int{}
	for _, st := range store.States() {
		zero[st] = 0
	}
	if n := backlog(); n != 0 {
		t.Errorf("empty Backlog = %d", n)
	}
	diff(t, "empty Stats", store.Stats{ByState: zero}, stats(), cmpopts.EquateEmpty())
	diff(t, "empty Pending", []store.Group(nil), pending(0), cmpopts.EquateEmpty())

	one := func(sec int, it store.NewItem) int64 { t.Helper(); return enqueue(t, s, at(sec), it)[0] }
	one(0, store.NewItem{Kind: "k1", Dest: "d1"})
	one(5, store.NewItem{Kind: "k1", Dest: "d1", RunAt: at(100)})
	one(2, store.NewItem{Kind: "k2", Dest: "d1"})
	claim(t, s, store.Claim{Dest: "d1", Kind: "k2", Limit: 1, Owner: "o", Now: at(2), Until: at(1000)})
	e := one(3, store.NewItem{Kind: "k1", Dest: "d2"})
	claim(t, s, store.Claim{Dest: "d2", Kind: "k1", Limit: 1, Owner: "o", Now: at(3), Until: at(1000)})
	finish(t, s, "o", at(3), store.Outcome{ID: e, State: store.StateDead})
	f := one(4, store.NewItem{Kind: "k1", Dest: "d2"})
	claim(t, s, store.Claim{Dest: "d2", Kind: "k1", Limit: 1, Owner: "o", Now: at(4), Until: at(1000)})
	finish(t, s, "o", at(4), store.Outcome{ID: f, State: store.StateCompleted})
	one(6, store.NewItem{Kind: "k1", Dest: "d1", Key: "K"})
	one(7, store.NewItem{Kind: "k1", Dest: "d1", Key: "K"})
	i := one(8, store.NewItem{Kind: "k3", Dest: "d3"})
	if _, err := s.Discard(ctx, store.Filter{IDs: []int64{i}}, at(8)); err != nil {
		t.Fatal(err)
	}

	if n := backlog(); n != 5 {
		t.Errorf("Backlog = %d, want 5", n)
	}
	diff(t, "Stats", store.Stats{
		ByState: map[store.State]int{
			store.StateAvailable: 4, store.StateRunning: 1, store.StateCompleted: 1, store.StateDead: 1, store.StateDiscarded: 1,
		},
		Groups: []store.GroupStats{
			{Dest: "d1", Kind: "k1", Available: 4, OldestPending: at(0)},
			{Dest: "d1", Kind: "k2", Running: 1, OldestPending: at(2)},
			{Dest: "d2", Kind: "k1", Dead: 1},
		},
		OldestPending: at(0),
	}, stats())
	diff(t, "Pending at 10", []store.Group{{Dest: "d1", Kind: "k1", Items: 2}}, pending(10))
	diff(t, "Pending at 100", []store.Group{{Dest: "d1", Kind: "k1", Items: 3}}, pending(100))
}

func testList(t *testing.T, s store.Store) {
	ctx := context.Background()
	i1 := enqueue(t, s, at(0), store.NewItem{Kind: "k1", Dest: "d1", Key: "A"})[0]
	i2 := enqueue(t, s, at(10), store.NewItem{Kind: "k2", Dest: "d1", Key: "B"})[0]
	i3 := enqueue(t, s, at(20), store.NewItem{Kind: "k1", Dest: "d2", Key: "A"})[0]
	i4 := enqueue(t, s, at(30), store.NewItem{Kind: "k2", Dest: "d2"})[0]
	claim(t, s, store.Claim{Dest: "d2", Kind: "k2", Limit: 1, Owner: "o", Now: at(30), Until: at(90)})
	i5 := enqueue(t, s, at(40), store.NewItem{Kind: "k1", Dest: "d1"})[0]
	if _, err := s.Discard(ctx, store.Filter{IDs: []int64{i5}}, at(41)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		f    store.Filter
		want []int64
	}{
		{"everything", store.Filter{}, []int64{i1, i2, i3, i4, i5}},
		{"ids", store.Filter{IDs: []int64{i4, i2}}, []int64{i2, i4}},
		{"states", store.Filter{States: []store.State{store.StateRunning, store.StateDiscarded}}, []int64{i4, i5}},
		{"kind", store.Filter{Kind: "k1"}, []int64{i1, i3, i5}},
		{"dest", store.Filter{Dest: "d1"}, []int64{i1, i2, i5}},
		{"key", store.Filter{Key: "A"}, []int64{i1, i3}},
		{"before", store.Filter{Before: at(20)}, []int64{i1, i2}},
		{"after", store.Filter{After: at(20)}, []int64{i4, i5}},
		{"between", store.Filter{After: at(0), Before: at(40)}, []int64{i2, i3, i4}},
		{"after id", store.Filter{AfterID: i2}, []int64{i3, i4, i5}},
		{"limit", store.Filter{Limit: 2}, []int64{i1, i2}},
		{"dest kind state", store.Filter{Dest: "d1", Kind: "k1", States: []store.State{store.StateAvailable}}, []int64{i1}},
		{"ids key dest", store.Filter{IDs: []int64{i1, i3}, Key: "A", Dest: "d2"}, []int64{i3}},
		{"no match", store.Filter{Kind: "k1", Key: "B"}, []int64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			diff(t, "List", tc.want, idsOf(list(t, s, tc.f)))
		})
	}
	if _, err := s.List(ctx, store.Filter{States: []store.State{"bogus"}}); err == nil {
		t.Errorf("List with an invalid state succeeded")
	}

	var paged []int64
	f := store.Filter{Limit: 2}
	for {
		page := list(t, s, f)
		if len(page) == 0 {
			break
		}
		paged = append(paged, idsOf(page)...)
		f.AfterID = page[len(page)-1].ID
	}
	diff(t, "paged", []int64{i1, i2, i3, i4, i5}, paged)

	many := make([]store.NewItem, 105)
	for i := range many {
		many[i] = store.NewItem{Kind: "k", Dest: "many"}
	}
	enqueue(t, s, at(50), many...)
	if n := len(list(t, s, store.Filter{Dest: "many"})); n != 100 {
		t.Errorf("List without a limit returned %d items, want 100", n)
	}
}

func testLeases(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i, step := range []struct {
		release    bool
		name       string
		holder     string
		now, until int
		want       bool
	}{
		{name: "L", holder: "h1", now: 0, until: 10, want: true},
		{name: "L", holder: "h2", now: 5, until: 15, want: false},
		{name: "L", holder: "h1", now: 5, until: 20, want: true},   // renew
		{name: "L", holder: "h2", now: 20, until: 30, want: false}, // expires at 20: not lapsed at 20
		{name: "L", holder: "h2", now: 21, until: 30, want: true},  // take over
		{name: "L", holder: "h1", now: 22, until: 40, want: false},
		{release: true, name: "L", holder: "h1"}, // not h1's: no effect
		{name: "L", holder: "h1", now: 22, until: 40, want: false},
		{name: "M", holder: "h1", now: 22, until: 40, want: true}, // another lease
		{release: true, name: "L", holder: "h2"},
		{name: "L", holder: "h1", now: 23, until: 40, want: true},
	} {
		if step.release {
			if err := s.ReleaseLease(ctx, step.name, step.holder); err != nil {
				t.Fatalf("step %d: ReleaseLease: %v", i, err)
			}
			continue
		}
		got, err := s.AcquireLease(ctx, step.name, step.holder, at(step.now), at(step.until))
		if err != nil {
			t.Fatalf("step %d: AcquireLease: %v", i, err)
		}
		if got != step.want {
			t.Errorf("step %d: AcquireLease(%s, %s, now %d, until %d) = %v, want %v", i, step.name, step.holder, step.now, step.until, got, step.want)
		}
	}
}
