package outbox_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/store"
)

// waitFor polls cond for up to five seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func flatten(batches [][]string) []string {
	var out []string
	for _, b := range batches {
		out = append(out, b...)
	}
	return out
}

func TestKickDrainsAKeyInOrderWithoutTheLease(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	clk := newClock()
	rec := &recorder{}
	o := newOutbox(t, st, clk, nil, func(o *outbox.Options) { o.Deliverers = nil; o.FlushInterval = time.Hour })
	o.RegisterImmediate(kind, rec)
	// Another replica holds the lease: a kick delivers anyway.
	if held, err := st.AcquireLease(t.Context(), outbox.LeaseName, "someone-else", clk.Now(), clk.Now().Add(time.Hour)); err != nil || !held {
		t.Fatalf("AcquireLease = %v, %v", held, err)
	}
	var want []string
	for i := range 20 {
		p := fmt.Sprintf("m%02d", i)
		want = append(want, p)
		enqueue(t, st, clk, store.NewItem{Key: "chat-1", Payload: []byte(p)})
		o.Kick(t.Context(), "dest-1", kind)
	}
	waitFor(t, "20 deliveries", func() bool { return len(flatten(rec.delivered())) == 20 })
	if d := cmp.Diff(want, flatten(rec.delivered())); d != "" {
		t.Errorf("delivery order (-want +got):\n%s", d)
	}
	for _, b := range rec.delivered() {
		if len(b) != 1 {
			t.Errorf("a batch of one key held %d items; a key's items go one at a time", len(b))
		}
	}
}

func TestImmediateKindSkipsTheFlushIntervalAndDrainsKeys(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	clk := newClock()
	rec := &recorder{}
	o := newOutbox(t, st, clk, nil, func(o *outbox.Options) { o.Deliverers = nil; o.FlushInterval = time.Hour })
	o.RegisterImmediate(kind, rec)
	enqueue(t, st, clk, store.NewItem{Key: "a", Payload: []byte("a1")}, store.NewItem{Key: "a", Payload: []byte("a2")}, store.NewItem{Key: "b", Payload: []byte("b1")})
	if err := o.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first round", func() bool { return len(flatten(rec.delivered())) == 3 })
	enqueue(t, st, clk, store.NewItem{Key: "a", Payload: []byte("a3")})
	// No time has passed: an ordinary kind would wait an hour.
	if err := o.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "second round", func() bool { return len(flatten(rec.delivered())) == 4 })
	if d := cmp.Diff([][]string{{"a1", "b1"}, {"a2"}, {"a3"}}, rec.delivered()); d != "" {
		t.Errorf("batches (-want +got):\n%s", d)
	}
}

// claimHook is a store whose ClaimItems runs a hook when a claim comes back
// empty: the moment a flush is about to let its destination go.
type claimHook struct {
	store.Store
	onEmpty func()
}

func (c *claimHook) ClaimItems(ctx context.Context, cl store.Claim) ([]store.Item, error) {
	items, err := c.Store.ClaimItems(ctx, cl)
	if err == nil && len(items) == 0 && c.onEmpty != nil {
		hook := c.onEmpty
		c.onEmpty = nil
		hook()
	}
	return items, err
}

// TestTickDuringAFlushsLastClaimIsNotLost: work enqueued, and a Tick (or
// Notify) made, after a flush's last empty claim but before it lets its
// destination go is delivered by that flush, not left for the next poll.
func TestTickDuringAFlushsLastClaimIsNotLost(t *testing.T) {
	t.Parallel()
	base := openStore(t)
	st := &claimHook{Store: base}
	clk := newClock()
	rec := &recorder{}
	o := newOutbox(t, st, clk, nil, func(o *outbox.Options) { o.Store = st; o.Deliverers = nil; o.FlushInterval = time.Hour })
	o.RegisterImmediate(kind, rec)
	enqueue(t, base, clk, store.NewItem{Key: "a", Payload: []byte("a1")})
	st.onEmpty = func() {
		enqueue(t, base, clk, store.NewItem{Key: "a", Payload: []byte("a2")})
		if err := o.Tick(t.Context()); err != nil {
			t.Error(err)
		}
	}
	if err := o.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the item enqueued during the last claim", func() bool { return len(flatten(rec.delivered())) == 2 })
}
