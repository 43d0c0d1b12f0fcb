// Package outbox delivers durably stored work to Planhat: it claims items
// from a store.Store in batches, hands each batch to the deliverer of its
// kind, and records the outcome: completed; retried later with capped,
// jittered exponential backoff; snoozed without spending an attempt when
// Planhat answered 429; or dead, with the last error kept, after the
// maximum attempts.
//
// One replica at a time delivers: the holder of the store's "outbox" lease.
// A lease rather than a shared token bucket because the deliveries of one
// token must be sequential anyway (Planhat asks for bulk calls one after
// another), one process sends them all at a few calls a second with room
// to spare, and a lease costs one statement every few seconds instead of
// one per call. The lease holder also rescues items whose deliverer died
// (their claim lapsed: claims are extended by heartbeats while a delivery
// runs) and prunes delivered items after the retention period.
package outbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/planbridge/planbridge/store"
)

// Verdict is how a deliverer says one item ended.
type Verdict uint8

// The verdicts.
const (
	// Delivered: Planhat confirmed the item; it is completed.
	Delivered Verdict = iota
	// Retry: a failure worth trying again after a backoff; it spends an attempt.
	Retry
	// Snooze: Planhat asked to wait (429); try again at Result.After without spending an attempt.
	Snooze
	// Isolate: the item failed inside a batch; retry it on its own, spending an attempt.
	Isolate
	// Fail: a failure retrying cannot fix; the item is dead now.
	Fail
)

// Result is one item's outcome.
type Result struct {
	Verdict Verdict
	// Err says what went wrong (kept as the item's last error).
	Err error
	// After is how long to wait for a Snooze; 0 means DefaultSnooze.
	After time.Duration
}

// Deliverer sends the items of one kind.
type Deliverer interface {
	// Deliver sends items (all of one destination, claimed in id order) and
	// returns one result per item, in the same order. It is called for one
	// destination at a time.
	Deliver(ctx context.Context, dest string, items []store.Item) []Result
}

// DeliverFunc adapts a function to Deliverer.
type DeliverFunc func(ctx context.Context, dest string, items []store.Item) []Result

// Deliver calls f.
func (f DeliverFunc) Deliver(ctx context.Context, dest string, items []store.Item) []Result {
	return f(ctx, dest, items)
}

// Defaults of Options.
const (
	DefaultFlushInterval = 5 * time.Second
	DefaultPollInterval  = time.Second
	DefaultBatchSize     = 5000
	// DefaultClaimFor is the lease's length on purpose: the items of a
	// deliverer that died (SIGKILL, OOM) mid-delivery come back when its
	// lease passes to a successor or to the restarted server, instead of
	// minutes later. A live deliverer renews its claims every third of it.
	DefaultClaimFor    = DefaultLeaseFor
	DefaultLeaseFor    = 15 * time.Second
	DefaultMaxBacklog  = 200_000
	DefaultRetention   = 24 * time.Hour
	DefaultSnooze      = time.Minute
	DefaultBackoffBase = time.Second
	DefaultBackoffCap  = 10 * time.Minute
)

// LeaseName is the store lease whose holder delivers.
const LeaseName = "outbox"

// Options configure an Outbox; zero values are the defaults.
type Options struct {
	// Store holds the items; required.
	Store store.Store
	// Deliverers by item kind; an item of a kind without one stays pending.
	Deliverers map[string]Deliverer
	// Owner names this replica in claims and the lease; default host-pid-random.
	Owner string
	// FlushInterval is the least time between two flushes of one
	// destination and kind: work arriving meanwhile waits and coalesces.
	FlushInterval time.Duration
	// PollInterval is how often the store is looked at for work (Notify wakes it sooner).
	PollInterval time.Duration
	// BatchSize is the most items handed to one Deliver call.
	BatchSize int
	// ClaimFor is how long a claim lasts without a heartbeat.
	ClaimFor time.Duration
	// LeaseFor is how long the delivering lease lasts without renewal.
	LeaseFor time.Duration
	// MaxBacklog is the most unfinished items before Admit refuses; negative means no bound.
	MaxBacklog int
	// Retention is how long delivered and discarded items are kept.
	Retention time.Duration
	// Backoff is the wait before retry number attempt (1 for the first
	// retry); nil means Backoff with the default base and cap.
	Backoff func(attempt int) time.Duration
	// Logger receives diagnostics; nil discards.
	Logger *slog.Logger
	// Observer, when set, is told of every finished delivery.
	Observer func(Delivery)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Delivery reports one Deliver call, for metrics.
type Delivery struct {
	Dest     string
	Kind     string
	Items    int
	Verdicts map[Verdict]int
	Duration time.Duration
}

// String names a verdict in metrics and logs.
func (v Verdict) String() string {
	switch v {
	case Delivered:
		return "delivered"
	case Retry:
		return "retry"
	case Snooze:
		return "snoozed"
	case Isolate:
		return "isolated"
	case Fail:
		return "dead"
	}
	return fmt.Sprintf("verdict(%d)", v)
}

// Outbox runs deliveries. Create it with New, start Run, and call Notify
// after enqueuing to deliver sooner than the next poll.
type Outbox struct {
	opts   Options
	st     store.Store
	log    *slog.Logger
	now    func() time.Time
	wake   chan struct{}
	leader bool
	// lastLease and lastRescue are when Tick last renewed the lease and
	// looked for lapsed claims (Tick runs on one goroutine).
	lastLease, lastRescue time.Time
	// leading ends when the lease is lost, stopping the flushes it started.
	leading     context.Context
	stopLeading context.CancelFunc

	mu        sync.Mutex
	immediate map[string]bool    // kinds delivered as soon as due (RegisterImmediate)
	kicks     map[groupKey]*kick // Kick's flush per destination and kind
	stopped   bool               // Run has returned or is returning
	lastFlush map[groupKey]time.Time
	busy      map[string]bool // destinations with a flush in progress
	// again are groups a Tick found due while their destination was busy:
	// the flush in progress takes them on before it lets the destination
	// go, so work enqueued during its last claim is not left for the next
	// poll (a lost wake-up that cost a hand-off message a poll interval).
	again     map[groupKey]bool
	backlog   int
	backlogAt time.Time
	lastPrune time.Time
	wg        sync.WaitGroup
}

type groupKey struct{ dest, kind string }

// New checks opts and returns an Outbox.
func New(opts Options) (*Outbox, error) {
	if opts.Store == nil {
		return nil, errors.New("outbox: Options.Store is required")
	}
	if opts.Owner == "" {
		host, _ := os.Hostname()
		opts.Owner = fmt.Sprintf("%s-%d-%08x", cmp.Or(host, "planbridge"), os.Getpid(), rand.Uint32())
	}
	opts.FlushInterval = cmp.Or(opts.FlushInterval, DefaultFlushInterval)
	opts.PollInterval = cmp.Or(opts.PollInterval, DefaultPollInterval)
	opts.BatchSize = cmp.Or(opts.BatchSize, DefaultBatchSize)
	opts.ClaimFor = cmp.Or(opts.ClaimFor, DefaultClaimFor)
	opts.LeaseFor = cmp.Or(opts.LeaseFor, DefaultLeaseFor)
	opts.MaxBacklog = cmp.Or(opts.MaxBacklog, DefaultMaxBacklog)
	opts.Retention = cmp.Or(opts.Retention, DefaultRetention)
	if opts.Backoff == nil {
		opts.Backoff = func(attempt int) time.Duration { return Backoff(attempt, DefaultBackoffBase, DefaultBackoffCap) }
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BatchSize < 1 || opts.FlushInterval < 0 || opts.PollInterval < 0 || opts.ClaimFor < time.Second || opts.LeaseFor < time.Second {
		return nil, errors.New("outbox: BatchSize must be positive, FlushInterval and PollInterval not negative, ClaimFor and LeaseFor at least a second")
	}
	return &Outbox{
		opts: opts, st: opts.Store, log: opts.Logger, now: opts.Now,
		wake:      make(chan struct{}, 1),
		lastFlush: map[groupKey]time.Time{},
		busy:      map[string]bool{},
		again:     map[groupKey]bool{},
		backlogAt: time.Time{},
	}, nil
}

// Register sets the deliverer of kind; call it before Run.
func (o *Outbox) Register(kind string, d Deliverer) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.opts.Deliverers == nil {
		o.opts.Deliverers = map[string]Deliverer{}
	}
	o.opts.Deliverers[kind] = d
}

// deliverer returns the deliverer of kind.
func (o *Outbox) deliverer(kind string) (Deliverer, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	d, ok := o.opts.Deliverers[kind]
	return d, ok
}

// Now is the outbox's clock, for callers enqueuing with the same time.
func (o *Outbox) Now() time.Time { return o.now() }

// Owner is the name this replica claims under.
func (o *Outbox) Owner() string { return o.opts.Owner }

// Store is the store the outbox delivers from.
func (o *Outbox) Store() store.Store { return o.st }

// Backoff is the wait before retry number attempt: base doubled per
// attempt up to limit, with "equal jitter" (half fixed, half random) so
// that items failing together do not come back together, and so that a
// wait is never shorter than half the nominal one.
func Backoff(attempt int, base, limit time.Duration) time.Duration {
	d := limit
	if attempt < 1 {
		attempt = 1
	}
	if attempt < 40 {
		if n := base << (attempt - 1); n > 0 && n < limit {
			d = n
		}
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// Notify wakes the delivery loop: new work is waiting.
func (o *Outbox) Notify() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// FullError is returned by Admit when the backlog is at its bound.
type FullError struct {
	Backlog, Max int
	// RetryAfter is a fair wait before trying again.
	RetryAfter time.Duration
}

// Error says what is wrong and what to do.
func (e *FullError) Error() string {
	return fmt.Sprintf("planbridge's outbox holds %d undelivered items, its limit (PLANBRIDGE_OUTBOX_MAX_BACKLOG) is %d: "+
		"Planhat is not keeping up or deliveries are failing; try again in %s, and check `planbridge outbox stats`", e.Backlog, e.Max, e.RetryAfter.Round(time.Second))
}

// Admit refuses new work with a *FullError when the backlog is at its
// bound, so a stalled Planhat fills no disk. The backlog is read from the
// store at most once a second; intake between two reads can overshoot
// the bound by what arrives in that second.
func (o *Outbox) Admit(ctx context.Context) error {
	if o.opts.MaxBacklog < 0 {
		return nil
	}
	n, err := o.Backlog(ctx)
	if err != nil {
		return err
	}
	if n >= o.opts.MaxBacklog {
		return &FullError{Backlog: n, Max: o.opts.MaxBacklog, RetryAfter: 30 * time.Second}
	}
	return nil
}

// Backlog is the number of unfinished items, at most a second old.
func (o *Outbox) Backlog(ctx context.Context) (int, error) {
	now := o.now()
	o.mu.Lock()
	if !o.backlogAt.IsZero() && now.Sub(o.backlogAt) < time.Second {
		n := o.backlog
		o.mu.Unlock()
		return n, nil
	}
	o.mu.Unlock()
	n, err := o.st.Backlog(ctx)
	if err != nil {
		return 0, fmt.Errorf("outbox: reading the backlog: %w", err)
	}
	o.mu.Lock()
	o.backlog, o.backlogAt = n, now
	o.mu.Unlock()
	return n, nil
}

// Run delivers until ctx ends, then waits for deliveries in flight (their
// contexts end with ctx) and gives the lease up.
func (o *Outbox) Run(ctx context.Context) error {
	defer func() {
		// Kicks after this point start nothing: Wait must not race an Add.
		o.mu.Lock()
		o.stopped = true
		o.mu.Unlock()
		o.wg.Wait()
		if o.leader {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			_ = o.st.ReleaseLease(rctx, LeaseName, o.opts.Owner)
		}
	}()
	// The lease is renewed every round, so rounds come at least three
	// times per lease period.
	t := time.NewTicker(min(o.opts.PollInterval, o.opts.LeaseFor/3))
	defer t.Stop()
	defer o.resign()
	for {
		if err := o.Tick(ctx); err != nil && ctx.Err() == nil {
			o.log.Warn("outbox: delivery round failed; trying again", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-o.wake:
		}
	}
}

// Tick runs one round: renew the lease, and as its holder rescue lapsed
// claims, start a flush of every group whose flush interval has passed,
// and prune. Flushes run in the background, one per destination.
func (o *Outbox) Tick(ctx context.Context) error {
	now := o.now()
	// The lease is renewed (or tried for) three times per lease period,
	// not on every round: Notify starts a round per burst of intake, and
	// each renewal is a write that would queue beside the intake's.
	held := o.leader
	if o.lastLease.IsZero() || now.Sub(o.lastLease) >= o.opts.LeaseFor/3 {
		var err error
		if held, err = o.st.AcquireLease(ctx, LeaseName, o.opts.Owner, now, now.Add(o.opts.LeaseFor)); err != nil {
			return fmt.Errorf("outbox: renewing the delivery lease: %w", err)
		}
		o.lastLease = now
	}
	if held != o.leader {
		o.log.Info("outbox: delivery lease", "held", held, "owner", o.opts.Owner)
		o.leader = held
		if held {
			o.leading, o.stopLeading = context.WithCancel(ctx)
			if err := o.rescueOnTakeover(ctx, now); err != nil {
				return err
			}
		} else {
			// Flushes in flight stop: another replica now spends the budget.
			o.resign()
		}
	}
	if !held {
		return nil
	}
	lctx := o.leading
	// Claims lapse in ClaimFor; looking for lapsed ones more often than a
	// third of that only adds writes.
	if o.lastRescue.IsZero() || now.Sub(o.lastRescue) >= o.opts.ClaimFor/3 {
		o.lastRescue = now
		if n, err := o.st.Rescue(ctx, now); err != nil {
			return fmt.Errorf("outbox: rescuing lapsed claims: %w", err)
		} else if n > 0 {
			o.log.Warn("outbox: rescued items whose deliverer stopped", "items", n)
		}
	}
	groups, err := o.st.Pending(ctx, now)
	if err != nil {
		return fmt.Errorf("outbox: looking for work: %w", err)
	}
	for _, g := range groups {
		d, ok := o.deliverer(g.Kind)
		if !ok {
			continue
		}
		k := groupKey{g.Dest, g.Kind}
		o.mu.Lock()
		interval := o.opts.FlushInterval
		if o.immediate[g.Kind] {
			interval = 0
		}
		due := now.Sub(o.lastFlush[k]) >= interval
		start := due && !o.busy[g.Dest]
		if start {
			o.busy[g.Dest] = true
			o.lastFlush[k] = now
		} else if due {
			o.again[k] = true
		}
		o.mu.Unlock()
		if !start {
			continue
		}
		o.wg.Add(1)
		go func() {
			defer o.wg.Done()
			cur, curD := k, d
			for {
				if err := o.flush(lctx, cur.dest, cur.kind, curD); err != nil && lctx.Err() == nil {
					o.log.Warn("outbox: flush failed", "dest", cur.dest, "kind", cur.kind, "err", err)
				}
				next, ok := o.nextAgain(cur.dest)
				if !ok {
					return
				}
				cur = next
				if curD, ok = o.deliverer(cur.kind); !ok {
					o.mu.Lock()
					delete(o.busy, cur.dest)
					o.mu.Unlock()
					return
				}
			}
		}()
	}
	if now.Sub(o.lastPrune) >= time.Minute {
		o.lastPrune = now
		if n, err := o.st.Prune(ctx, now.Add(-o.opts.Retention), 10_000); err != nil {
			return fmt.Errorf("outbox: pruning delivered items: %w", err)
		} else if n > 0 {
			o.log.Debug("outbox: pruned delivered items", "items", n)
		}
	}
	return nil
}

// nextAgain returns a group of dest that a Tick asked for while dest was
// busy, keeping dest busy for it; with none it lets dest go.
func (o *Outbox) nextAgain(dest string) (groupKey, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for k := range o.again {
		if k.dest == dest {
			delete(o.again, k)
			o.lastFlush[k] = o.now()
			return k, true
		}
	}
	delete(o.busy, dest)
	return groupKey{}, false
}

// Drain delivers everything claimable now, for a short-lived process such
// as planbridge call: if it can take the delivery lease, it flushes every
// group at once (ignoring the flush interval) and gives the lease back. It
// reports false when another process holds the lease and will deliver.
func (o *Outbox) Drain(ctx context.Context) (bool, error) {
	now := o.now()
	held, err := o.st.AcquireLease(ctx, LeaseName, o.opts.Owner, now, now.Add(o.opts.LeaseFor))
	if err != nil || !held {
		return false, err
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = o.st.ReleaseLease(rctx, LeaseName, o.opts.Owner)
	}()
	if _, err := o.st.Rescue(ctx, now); err != nil {
		return true, err
	}
	groups, err := o.st.Pending(ctx, now)
	if err != nil {
		return true, err
	}
	for _, g := range groups {
		d, ok := o.deliverer(g.Kind)
		if !ok {
			continue
		}
		if err := o.flush(ctx, g.Dest, g.Kind, d); err != nil {
			return true, err
		}
	}
	return true, nil
}

// rescueOnTakeover frees, on SQLite, every claim of another owner as soon
// as this process takes the lease: a SQLite file is served by one process,
// so those claims belong to a process that died (kill -9, power loss), and
// waiting for them to lapse would only delay the restart's deliveries. On
// PostgreSQL other replicas are alive; their claims lapse on their own.
func (o *Outbox) rescueOnTakeover(ctx context.Context, now time.Time) error {
	if o.st.Dialect() != "sqlite" {
		return nil
	}
	n, err := o.st.Rescue(ctx, now.Add(100*365*24*time.Hour))
	if err != nil {
		return fmt.Errorf("outbox: rescuing the claims of a previous process: %w", err)
	}
	if n > 0 {
		o.log.Warn("outbox: took over items a previous process had claimed; delivering them again", "items", n)
	}
	return nil
}

// resign stops the flushes of a lost (or given up) lease.
func (o *Outbox) resign() {
	if o.stopLeading != nil {
		o.stopLeading()
		o.stopLeading = nil
	}
}

// Flush delivers every claimable item of one destination and kind now, in
// batches, and waits for it; tests and `planbridge outbox` use it.
func (o *Outbox) Flush(ctx context.Context, dest, kind string) error {
	d, ok := o.deliverer(kind)
	if !ok {
		return fmt.Errorf("outbox: no deliverer for kind %q", kind)
	}
	return o.flush(ctx, dest, kind, d)
}

// flush claims and delivers batches until fewer than a batch are left, so
// a backlog drains in consecutive bulk calls.
func (o *Outbox) flush(ctx context.Context, dest, kind string, d Deliverer) error {
	for ctx.Err() == nil {
		now := o.now()
		items, err := o.st.ClaimItems(ctx, store.Claim{Dest: dest, Kind: kind, Limit: o.opts.BatchSize, Owner: o.opts.Owner, Now: now, Until: now.Add(o.opts.ClaimFor)})
		if err != nil {
			return fmt.Errorf("claiming: %w", err)
		}
		if len(items) == 0 {
			return nil
		}
		snoozed, err := o.deliver(ctx, dest, kind, d, items)
		if err != nil {
			return err
		}
		// An immediate kind's claim yields one item per ordered key, so
		// a chat's next message waits for the next round: go on until
		// nothing is claimable.
		if (len(items) < o.opts.BatchSize && !o.isImmediate(kind)) || snoozed {
			return nil
		}
	}
	return nil
}

// deliver runs one Deliver call with heartbeats and records the outcomes.
// It reports whether Planhat asked to wait, so the flush stops there.
func (o *Outbox) deliver(ctx context.Context, dest, kind string, d Deliverer, items []store.Item) (bool, error) {
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hbDone := make(chan struct{})
	go func() {
		defer close(hbDone)
		t := time.NewTicker(o.opts.ClaimFor / 3)
		defer t.Stop()
		for {
			select {
			case <-dctx.Done():
				return
			case <-t.C:
				held, err := o.st.Extend(dctx, o.opts.Owner, ids, o.now().Add(o.opts.ClaimFor))
				if err != nil {
					if dctx.Err() == nil {
						o.log.Warn("outbox: extending a claim failed", "err", err)
					}
					continue
				}
				if len(held) < len(ids) {
					// Another replica rescued part of the batch: stop, so
					// nothing older is sent over what it delivers.
					o.log.Warn("outbox: lost the claim of items being delivered; stopping this delivery", "lost", len(ids)-len(held))
					cancel()
					return
				}
			}
		}
	}()
	start := o.now()
	results := d.Deliver(dctx, dest, items)
	cancel()
	<-hbDone
	if len(results) != len(items) {
		return false, fmt.Errorf("outbox: the %s deliverer returned %d results for %d items", kind, len(results), len(items))
	}
	now := o.now()
	outs := make([]store.Outcome, len(items))
	counts := map[Verdict]int{}
	snoozed := false
	for i, it := range items {
		r := results[i]
		counts[r.Verdict]++
		msg := ""
		if r.Err != nil {
			msg = r.Err.Error()
		}
		out := store.Outcome{ID: it.ID, Error: msg}
		switch r.Verdict {
		case Delivered:
			out.State = store.StateCompleted
		case Snooze:
			snoozed = true
			out.State, out.Refund = store.StateAvailable, true
			out.RunAt = now.Add(cmp.Or(r.After, DefaultSnooze))
			out.Alone = it.Alone
		case Retry, Isolate:
			if it.Attempts >= it.MaxAttempts {
				out.State = store.StateDead
				out.Error = fmt.Sprintf("gave up after %d attempts: %s", it.Attempts, msg)
				break
			}
			out.State, out.Alone = store.StateAvailable, it.Alone || r.Verdict == Isolate
			out.RunAt = now.Add(o.opts.Backoff(it.Attempts))
		default:
			out.State = store.StateDead
		}
		outs[i] = out
	}
	// The outcome must be recorded even when ctx just ended: Planhat has
	// the items, and leaving them running would send them again.
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer fcancel()
	if _, err := o.st.Finish(fctx, o.opts.Owner, now, outs); err != nil {
		return snoozed, fmt.Errorf("recording outcomes: %w", err)
	}
	if counts[Fail] > 0 || counts[Retry] > 0 {
		o.log.Warn("outbox: deliveries failed", "dest", dest, "kind", kind, "items", len(items), "retry", counts[Retry], "dead", counts[Fail], "first_error", firstError(results))
	}
	if o.opts.Observer != nil {
		o.opts.Observer(Delivery{Dest: dest, Kind: kind, Items: len(items), Verdicts: counts, Duration: now.Sub(start)})
	}
	return snoozed, nil
}

func firstError(rs []Result) string {
	for _, r := range rs {
		if r.Err != nil && r.Verdict != Delivered {
			return r.Err.Error()
		}
	}
	return ""
}

// All returns n copies of r, for a deliverer whose whole batch ended alike.
func All(n int, r Result) []Result {
	out := make([]Result, n)
	for i := range out {
		out[i] = r
	}
	return out
}
