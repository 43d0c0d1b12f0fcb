package outbox_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/store"
	"github.com/planbridge/planbridge/store/sqlitestore"
)

// clock is a settable time for the outbox and the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "outbox.db"), sqlitestore.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// recorder is a deliverer that records what it was given and answers
// with the verdict its script gives each payload.
type recorder struct {
	mu      sync.Mutex
	batches [][]string
	script  func(payload string, it store.Item) outbox.Result
}

func (r *recorder) Deliver(_ context.Context, _ string, items []store.Item) []outbox.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	var batch []string
	out := make([]outbox.Result, len(items))
	for i, it := range items {
		batch = append(batch, string(it.Payload))
		if r.script != nil {
			out[i] = r.script(string(it.Payload), it)
		}
	}
	r.batches = append(r.batches, batch)
	return out
}

func (r *recorder) delivered() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]string(nil), r.batches...)
}

const kind = "test.kind"

func newOutbox(t *testing.T, st store.Store, clk *clock, d outbox.Deliverer, mod func(*outbox.Options)) *outbox.Outbox {
	t.Helper()
	opts := outbox.Options{
		Store:      st,
		Deliverers: map[string]outbox.Deliverer{kind: d},
		Now:        clk.Now,
		Backoff:    func(attempt int) time.Duration { return time.Duration(attempt) * time.Minute },
	}
	if mod != nil {
		mod(&opts)
	}
	o, err := outbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func enqueue(t *testing.T, st store.Store, clk *clock, items ...store.NewItem) {
	t.Helper()
	err := st.Write(t.Context(), func(tx store.Tx) error {
		for _, it := range items {
			if it.Kind == "" {
				it.Kind = kind
			}
			if it.Dest == "" {
				it.Dest = "dest-1"
			}
			if _, err := tx.Enqueue(t.Context(), it, clk.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func drain(t *testing.T, o *outbox.Outbox) {
	t.Helper()
	held, err := o.Drain(t.Context())
	if err != nil || !held {
		t.Fatalf("Drain = %v, %v; want true, nil", held, err)
	}
}

func items(t *testing.T, st store.Store) map[string]store.Item {
	t.Helper()
	all, err := st.List(t.Context(), store.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.Item{}
	for _, it := range all {
		out[string(it.Payload)] = it
	}
	return out
}

func TestDeliveredItemsAreCompletedInOneBatch(t *testing.T) {
	t.Parallel()
	st, clk, rec := openStore(t), newClock(), &recorder{}
	o := newOutbox(t, st, clk, rec, nil)
	enqueue(t, st, clk, store.NewItem{Payload: []byte("a")}, store.NewItem{Payload: []byte("b")}, store.NewItem{Payload: []byte("c")})
	drain(t, o)
	if diff := cmp.Diff([][]string{{"a", "b", "c"}}, rec.delivered()); diff != "" {
		t.Fatalf("batches (-want +got):\n%s", diff)
	}
	for p, it := range items(t, st) {
		if it.State != store.StateCompleted || it.Attempts != 1 {
			t.Errorf("%s: state %s, attempts %d; want completed after 1", p, it.State, it.Attempts)
		}
	}
	drain(t, o)
	if n := len(rec.delivered()); n != 1 {
		t.Fatalf("completed items were delivered again: %d batches", n)
	}
}

func TestBatchesAreAtMostBatchSizeAndDrainInSequence(t *testing.T) {
	t.Parallel()
	st, clk, rec := openStore(t), newClock(), &recorder{}
	o := newOutbox(t, st, clk, rec, func(o *outbox.Options) { o.BatchSize = 2 })
	var news []store.NewItem
	for _, p := range []string{"1", "2", "3", "4", "5"} {
		news = append(news, store.NewItem{Payload: []byte(p)})
	}
	enqueue(t, st, clk, news...)
	drain(t, o)
	if diff := cmp.Diff([][]string{{"1", "2"}, {"3", "4"}, {"5"}}, rec.delivered()); diff != "" {
		t.Fatalf("batches (-want +got):\n%s", diff)
	}
}

func TestOutcomes(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	tests := []struct {
		name         string
		result       outbox.Result
		maxAttempts  int
		wantState    store.State
		wantAttempts int
		wantRunAfter time.Duration
		wantAlone    bool
		wantError    string
	}{
		{name: "retry spends an attempt and backs off", result: outbox.Result{Verdict: outbox.Retry, Err: boom},
			wantState: store.StateAvailable, wantAttempts: 1, wantRunAfter: time.Minute, wantError: "boom"},
		{name: "snooze refunds the attempt", result: outbox.Result{Verdict: outbox.Snooze, Err: boom, After: 42 * time.Second},
			wantState: store.StateAvailable, wantAttempts: 0, wantRunAfter: 42 * time.Second, wantError: "boom"},
		{name: "snooze without a wait uses the default", result: outbox.Result{Verdict: outbox.Snooze, Err: boom},
			wantState: store.StateAvailable, wantAttempts: 0, wantRunAfter: outbox.DefaultSnooze, wantError: "boom"},
		{name: "isolate retries alone", result: outbox.Result{Verdict: outbox.Isolate, Err: boom},
			wantState: store.StateAvailable, wantAttempts: 1, wantRunAfter: time.Minute, wantAlone: true, wantError: "boom"},
		{name: "fail is dead at once", result: outbox.Result{Verdict: outbox.Fail, Err: boom},
			wantState: store.StateDead, wantAttempts: 1, wantError: "boom"},
		{name: "the last attempt's retry is dead", result: outbox.Result{Verdict: outbox.Retry, Err: boom}, maxAttempts: 1,
			wantState: store.StateDead, wantAttempts: 1, wantError: "gave up after 1 attempts: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st, clk := openStore(t), newClock()
			o := newOutbox(t, st, clk, &recorder{script: func(string, store.Item) outbox.Result { return tt.result }}, nil)
			enqueue(t, st, clk, store.NewItem{Payload: []byte("x"), MaxAttempts: tt.maxAttempts})
			start := clk.Now()
			drain(t, o)
			it := items(t, st)["x"]
			if it.State != tt.wantState || it.Attempts != tt.wantAttempts || it.Alone != tt.wantAlone || it.LastError != tt.wantError {
				t.Fatalf("got state %s attempts %d alone %v error %q; want %s %d %v %q", it.State, it.Attempts, it.Alone, it.LastError,
					tt.wantState, tt.wantAttempts, tt.wantAlone, tt.wantError)
			}
			if tt.wantState == store.StateAvailable && !it.RunAt.Equal(start.Add(tt.wantRunAfter)) {
				t.Fatalf("run at %s, want %s", it.RunAt, start.Add(tt.wantRunAfter))
			}
		})
	}
}

func TestRetriedItemWaitsForItsTimeThenGoes(t *testing.T) {
	t.Parallel()
	st, clk := openStore(t), newClock()
	calls := 0
	o := newOutbox(t, st, clk, &recorder{script: func(string, store.Item) outbox.Result {
		calls++
		if calls == 1 {
			return outbox.Result{Verdict: outbox.Retry, Err: errors.New("502")}
		}
		return outbox.Result{}
	}}, nil)
	enqueue(t, st, clk, store.NewItem{Payload: []byte("x")})
	drain(t, o)
	clk.Add(59 * time.Second)
	drain(t, o)
	if calls != 1 {
		t.Fatalf("the item was retried before its backoff passed (%d calls)", calls)
	}
	clk.Add(time.Second)
	drain(t, o)
	if it := items(t, st)["x"]; calls != 2 || it.State != store.StateCompleted || it.Attempts != 2 {
		t.Fatalf("after the backoff: %d calls, state %s, attempts %d", calls, it.State, it.Attempts)
	}
}

func TestAFailingHeadBlocksOnlyItsKey(t *testing.T) {
	t.Parallel()
	st, clk := openStore(t), newClock()
	rec := &recorder{script: func(p string, _ store.Item) outbox.Result {
		if p == "a1" {
			return outbox.Result{Verdict: outbox.Retry, Err: errors.New("down")}
		}
		return outbox.Result{}
	}}
	o := newOutbox(t, st, clk, rec, nil)
	enqueue(t, st, clk, store.NewItem{Key: "A", Payload: []byte("a1")}, store.NewItem{Key: "A", Payload: []byte("a2")},
		store.NewItem{Key: "B", Payload: []byte("b1")}, store.NewItem{Payload: []byte("free")})
	drain(t, o)
	if diff := cmp.Diff([][]string{{"a1", "b1", "free"}}, rec.delivered()); diff != "" {
		t.Fatalf("first round (-want +got):\n%s", diff)
	}
	got := items(t, st)
	if got["a2"].State != store.StateAvailable || got["a2"].Attempts != 0 {
		t.Fatalf("a2 must wait behind a1: %+v", got["a2"])
	}
	rec.script = nil // everything succeeds from now on
	clk.Add(time.Minute)
	drain(t, o)
	drain(t, o)
	if diff := cmp.Diff([][]string{{"a1", "b1", "free"}, {"a1"}, {"a2"}}, rec.delivered()); diff != "" {
		t.Fatalf("a2 must leave after a1, in the next round (-want +got):\n%s", diff)
	}
}

func TestRescueReturnsLapsedClaimsAndTheyAreDelivered(t *testing.T) {
	t.Parallel()
	st, clk, rec := openStore(t), newClock(), &recorder{}
	enqueue(t, st, clk, store.NewItem{Payload: []byte("x")})
	// A replica claims the item and dies.
	claimed, err := st.ClaimItems(t.Context(), store.Claim{Dest: "dest-1", Kind: kind, Limit: 10, Owner: "dead-replica", Now: clk.Now(), Until: clk.Now().Add(time.Minute)})
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v, %d items", err, len(claimed))
	}
	o := newOutbox(t, st, clk, rec, nil)
	drain(t, o)
	if n := len(rec.delivered()); n != 0 {
		t.Fatal("an item claimed by a live replica was delivered again")
	}
	clk.Add(time.Minute + time.Second)
	drain(t, o)
	if diff := cmp.Diff([][]string{{"x"}}, rec.delivered()); diff != "" {
		t.Fatalf("rescued item (-want +got):\n%s", diff)
	}
	// The dead replica's late outcome no longer applies.
	if n, err := st.Finish(t.Context(), "dead-replica", clk.Now(), []store.Outcome{{ID: claimed[0].ID, State: store.StateDead, Error: "late"}}); err != nil || n != 0 {
		t.Fatalf("a lapsed owner's Finish applied %d outcomes (err %v)", n, err)
	}
	if it := items(t, st)["x"]; it.State != store.StateCompleted {
		t.Fatalf("state %s, want completed", it.State)
	}
}

// TestACrashedDeliverersItemsComeBackWithTheLease kills (abandons) the
// lease holder in the middle of a delivery: whoever takes the lease over
// once it lapsed (another replica, or the same server restarted) delivers
// the items then, not only when a much longer claim would lapse.
func TestACrashedDeliverersItemsComeBackWithTheLease(t *testing.T) {
	t.Parallel()
	st, clk := openStore(t), newClock()
	started, crashed := make(chan struct{}), make(chan struct{})
	hung := outbox.DeliverFunc(func(_ context.Context, _ string, items []store.Item) []outbox.Result {
		close(started)
		<-crashed // a SIGKILLed process never answers
		return outbox.All(len(items), outbox.Result{Verdict: outbox.Retry, Err: errors.New("killed")})
	})
	o1 := newOutbox(t, st, clk, hung, func(o *outbox.Options) { o.Owner = "killed" })
	if err := o1.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	enqueue(t, st, clk, store.NewItem{Payload: []byte("x")})
	flushed := make(chan error, 1)
	go func() { flushed <- o1.Flush(context.WithoutCancel(t.Context()), "dest-1", kind) }()
	// Registered after the store, so it runs before the store closes.
	t.Cleanup(func() { close(crashed); <-flushed })
	<-started

	rec := &recorder{}
	o2 := newOutbox(t, st, clk, rec, func(o *outbox.Options) { o.Owner = "successor" })
	clk.Add(outbox.DefaultLeaseFor + time.Second)
	drain(t, o2)
	if diff := cmp.Diff([][]string{{"x"}}, rec.delivered()); diff != "" {
		t.Fatalf("the lease's successor did not deliver the crashed holder's item once the lease lapsed (-want +got):\n%s", diff)
	}
}

func TestOneReplicaAtATimeDelivers(t *testing.T) {
	t.Parallel()
	st, clk := openStore(t), newClock()
	r1, r2 := &recorder{}, &recorder{}
	o1 := newOutbox(t, st, clk, r1, func(o *outbox.Options) { o.Owner = "one"; o.FlushInterval = time.Nanosecond })
	o2 := newOutbox(t, st, clk, r2, func(o *outbox.Options) { o.Owner = "two"; o.FlushInterval = time.Nanosecond })
	if err := o1.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	enqueue(t, st, clk, store.NewItem{Payload: []byte("x")})
	if held, err := o2.Drain(t.Context()); err != nil || held {
		t.Fatalf("the second replica took the lease the first holds: %v, %v", held, err)
	}
	if err := o2.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The lease lapses when its holder stops renewing it.
	clk.Add(outbox.DefaultLeaseFor + time.Second)
	if held, err := o2.Drain(t.Context()); err != nil || !held {
		t.Fatalf("the lapsed lease was not taken over: %v, %v", held, err)
	}
	if len(r1.delivered()) != 0 || len(r2.delivered()) != 1 {
		t.Fatalf("deliveries: first %v, second %v", r1.delivered(), r2.delivered())
	}
}

func TestAdmitRefusesPastTheBacklogBound(t *testing.T) {
	t.Parallel()
	st, clk := openStore(t), newClock()
	o := newOutbox(t, st, clk, &recorder{}, func(o *outbox.Options) { o.MaxBacklog = 2 })
	if err := o.Admit(t.Context()); err != nil {
		t.Fatalf("empty outbox: %v", err)
	}
	enqueue(t, st, clk, store.NewItem{Payload: []byte("a")}, store.NewItem{Payload: []byte("b")})
	clk.Add(2 * time.Second) // past the cached backlog
	err := o.Admit(t.Context())
	var full *outbox.FullError
	if !errors.As(err, &full) || full.RetryAfter <= 0 || !strings.Contains(err.Error(), "planbridge outbox stats") {
		t.Fatalf("Admit = %v, want a *FullError with a retry-after that says what to check", err)
	}
	drain(t, o)
	clk.Add(2 * time.Second)
	if err := o.Admit(t.Context()); err != nil {
		t.Fatalf("after draining: %v", err)
	}
}

func TestRunDeliversSoonAfterNotify(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	delivered := make(chan struct{}, 1)
	d := outbox.DeliverFunc(func(_ context.Context, _ string, items []store.Item) []outbox.Result {
		delivered <- struct{}{}
		return make([]outbox.Result, len(items))
	})
	o, err := outbox.New(outbox.Options{Store: st, Deliverers: map[string]outbox.Deliverer{kind: d}, PollInterval: time.Hour, FlushInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- o.Run(ctx) }()
	enqueue(t, st, &clock{t: time.Now()}, store.NewItem{Payload: []byte("x")})
	o.Notify()
	select {
	case <-delivered:
	case <-time.After(10 * time.Second):
		t.Fatal("Notify did not start a delivery")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestBackoffIsCappedAndJittered(t *testing.T) {
	t.Parallel()
	for attempt := 1; attempt <= 60; attempt++ {
		nominal := min(time.Second<<min(attempt-1, 30), 10*time.Minute)
		for range 20 {
			d := outbox.Backoff(attempt, time.Second, 10*time.Minute)
			if d < nominal/2 || d > nominal {
				t.Fatalf("Backoff(%d) = %s, want within [%s, %s]", attempt, d, nominal/2, nominal)
			}
		}
	}
}

func TestTakingTheLeaseOnSQLiteFreesADeadProcessClaimsAtOnce(t *testing.T) {
	t.Parallel()
	st, clk, rec := openStore(t), newClock(), &recorder{}
	enqueue(t, st, clk, store.NewItem{Payload: []byte("x")})
	// The previous process claimed the item for an hour, then was killed.
	if _, err := st.ClaimItems(t.Context(), store.Claim{Dest: "dest-1", Kind: kind, Limit: 10, Owner: "killed", Now: clk.Now(), Until: clk.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	o := newOutbox(t, st, clk, rec, func(o *outbox.Options) { o.FlushInterval = time.Nanosecond })
	if err := o.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	it := items(t, st)["x"]
	if it.State == store.StateRunning && it.LockedBy == "killed" {
		t.Fatalf("the restarted process waits for the dead one's claim to lapse: %+v", it)
	}
}
