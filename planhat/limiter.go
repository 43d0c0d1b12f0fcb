package planhat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimit configures a Limiter. Planhat allows about 200 calls per minute per tenant,
// 150 per second and 50 in parallel; the defaults stay below those.
type RateLimit struct {
	// Requests is the number of calls allowed per Window (default 180).
	Requests int
	// Window is the quota window (default one minute).
	Window time.Duration
	// Burst is how many calls may go at once after idling (default Requests/20, at least 1).
	// Keep Burst + Requests at or below the server's quota, because Planhat counts in fixed
	// windows and a full bucket can straddle two of them.
	Burst int
	// PerSecond caps the instantaneous rate (default 150).
	PerSecond int
	// MaxInFlight caps concurrent calls (default 50).
	MaxInFlight int
	// Cooldown is how long every caller pauses after a 429 without Retry-After, or after
	// Planhat reports zero calls remaining (default Window: the server's window has reset by then).
	Cooldown time.Duration
	// BackgroundShare is the part of the quota background callers (MaxWait < 0: outbox
	// deliveries, imports) are guaranteed while interactive callers queue too (default 0.2);
	// each class takes the whole quota when the other is idle.
	BackgroundShare float64
	// Unlimited turns pacing off: no quota, per-second or concurrency cap. A 429 or zero
	// remaining still pauses every caller, because the server has said stop. Meant for
	// emulators and benchmarks; the other pacing fields are ignored.
	Unlimited bool
}

// DefaultRateLimit returns 180 calls/minute, burst 9, 150/s, 50 in flight, 60 s cooldown,
// a fifth of the quota guaranteed to background work.
func DefaultRateLimit() RateLimit {
	return RateLimit{Requests: 180, Window: time.Minute, Burst: 9, PerSecond: 150, MaxInFlight: 50, Cooldown: time.Minute, BackgroundShare: DefaultBackgroundShare}
}

// NoRateLimit returns a RateLimit that does not pace calls at all (see RateLimit.Unlimited).
func NoRateLimit() RateLimit { return RateLimit{Unlimited: true} }

// String describes the budget the way PLANHAT_RATE spells it, e.g. "180/1m0s" or "none".
func (r RateLimit) String() string {
	if r.Unlimited {
		return "none"
	}
	r = r.withDefaults()
	return fmt.Sprintf("%d/%s", r.Requests, r.Window)
}

func (r RateLimit) withDefaults() RateLimit {
	d := DefaultRateLimit()
	if r.Requests <= 0 {
		r.Requests = d.Requests
	}
	if r.Window <= 0 {
		r.Window = d.Window
	}
	if r.Burst <= 0 {
		r.Burst = max(1, r.Requests/20)
	}
	if r.PerSecond <= 0 {
		r.PerSecond = d.PerSecond
	}
	if r.MaxInFlight <= 0 {
		r.MaxInFlight = d.MaxInFlight
	}
	if r.Cooldown <= 0 {
		r.Cooldown = r.Window
	}
	if r.BackgroundShare <= 0 || r.BackgroundShare >= 1 {
		r.BackgroundShare = DefaultBackgroundShare
	}
	return r
}

// DefaultBackgroundShare is the part of the quota background work is guaranteed.
const DefaultBackgroundShare = 0.2

// Priority orders the callers waiting for one token's quota.
type Priority int

// The priorities, highest first.
const (
	// Interactive calls have a person or a bot waiting: they go first, and wait at most
	// their MaxWait.
	Interactive Priority = iota
	// Background calls (outbox deliveries, imports) use what interactive ones leave, never
	// less than RateLimit.BackgroundShare of the quota while both queue.
	Background
)

// String names the priority as metrics label it: "interactive" or "background".
func (p Priority) String() string {
	if p == Background {
		return "background"
	}
	return "interactive"
}

// SharedBudget is a token bucket several processes draw one token's quota from, such as a
// row in a database all replicas share. A Limiter given one takes small slices of it
// instead of refilling on its own clock, so the processes together never exceed the quota.
type SharedBudget interface {
	// Take asks for up to n calls from the bucket key, which refills requests per window
	// up to burst, and returns how many it granted and, when fewer than n, how long until
	// the next one is due.
	Take(ctx context.Context, key string, n int, requests int, window time.Duration, burst int) (granted int, retryIn time.Duration, err error)
}

// WaitInfo describes how one call fared in the limiter, for metrics.
type WaitInfo struct {
	// Fingerprint identifies the token (see Limiter.Fingerprint).
	Fingerprint string
	// Priority is the caller's class.
	Priority Priority
	// Wait is how long the call waited for a token (0 when one was free).
	Wait time.Duration
	// Refused is set when the call was not sent: its wait would have exceeded MaxWait.
	Refused bool
}

// LimiterStats is a snapshot of a Limiter, for metrics and the console.
type LimiterStats struct {
	// Fingerprint identifies the token; empty for a limiter built outside a Limiters set.
	Fingerprint string
	// Requests and Window are the budget in force: the configured one, or lower when
	// Planhat's X-Rate-Limit-Limit said so.
	Requests int
	Window   time.Duration
	// Tokens is how many calls could go at once now.
	Tokens float64
	// ReportedLimit and ReportedRemaining are Planhat's latest X-Rate-Limit-Limit and
	// X-Rate-Limit-Remaining; -1 when it has not sent them.
	ReportedLimit, ReportedRemaining int
	// Waiting counts the callers queued, by priority.
	Waiting [2]int
	// Granted and Refused count calls by priority since the limiter was built.
	Granted, Refused [2]uint64
	// PausedUntil is when a 429 pause ends; zero when not paused.
	PausedUntil time.Time
	// Shared is set when the budget is drawn from a SharedBudget.
	Shared bool
}

// Limiter paces calls to one Planhat tenant: a token bucket for the per-window quota with
// two priorities, a per-second cap, a concurrency cap, and a shared pause after a 429. One
// Limiter must serve every client that uses the same token and base URL: pass it in
// Options.Limiter, or let a Limiters set hand them out. A client built without one has a
// limiter of its own.
type Limiter struct {
	cfg    RateLimit
	perSec *rate.Limiter
	slots  chan struct{} // nil when Unlimited
	fp     string
	key    string // the SharedBudget key: a hash of token and base URL
	shared SharedBudget
	onWait func(WaitInfo)

	mu          sync.Mutex
	pausedUntil time.Time
	inFlight    int

	// The bucket counts in units of 1/window-nanoseconds of a token, so that refills are
	// exact integers: one token is unit units and each nanosecond adds requests units.
	unit     int64
	requests int64 // in force: cfg.Requests, or lower once Planhat reported its limit
	burst    int64 // in units
	units    int64
	last     time.Time

	queues    [2][]*waiter
	contended [2]int // grants per priority since both last queued
	timer     *time.Timer

	sliceExpires time.Time // shared mode: local tokens lapse then
	taking       bool
	takeAfter    time.Time

	reportedLimit, reportedRemaining int
	granted, refused                 [2]uint64
}

type waiter struct {
	ready   chan struct{}
	granted bool
	prio    Priority
}

// NewLimiter builds a limiter; zero fields of cfg take the DefaultRateLimit values.
func NewLimiter(cfg RateLimit) *Limiter {
	if cfg.Unlimited {
		cooldown := cfg.Cooldown
		if cooldown <= 0 {
			cooldown = DefaultRateLimit().Cooldown
		}
		// rate.Inf admits every reservation at once; the zero burst is then ignored.
		return &Limiter{cfg: RateLimit{Unlimited: true, Cooldown: cooldown}, perSec: rate.NewLimiter(rate.Inf, 0),
			reportedLimit: -1, reportedRemaining: -1}
	}
	cfg = cfg.withDefaults()
	l := &Limiter{
		cfg:               cfg,
		perSec:            rate.NewLimiter(rate.Limit(cfg.PerSecond), max(1, min(cfg.PerSecond, cfg.MaxInFlight))),
		slots:             make(chan struct{}, cfg.MaxInFlight),
		unit:              int64(cfg.Window),
		requests:          int64(cfg.Requests),
		last:              time.Now(),
		reportedLimit:     -1,
		reportedRemaining: -1,
	}
	l.burst = int64(cfg.Burst) * l.unit
	l.units = l.burst
	return l
}

// Config returns the effective configuration.
func (l *Limiter) Config() RateLimit { return l.cfg }

// Fingerprint identifies the limiter's token in metrics and logs without revealing it: the
// first 12 hex digits of the token's SHA-256, as integrations.TokenFingerprint spells it.
// It is empty for a limiter built outside a Limiters set.
func (l *Limiter) Fingerprint() string { return l.fp }

// Stats returns a snapshot of the limiter.
func (l *Limiter) Stats() LimiterStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	st := LimiterStats{Fingerprint: l.fp, Window: l.cfg.Window, ReportedLimit: l.reportedLimit, ReportedRemaining: l.reportedRemaining,
		Granted: l.granted, Refused: l.refused, Shared: l.shared != nil}
	if now.Before(l.pausedUntil) {
		st.PausedUntil = l.pausedUntil
	}
	if l.cfg.Unlimited {
		return st
	}
	l.refillLocked(now)
	st.Requests = int(l.requests)
	st.Tokens = float64(l.units) / float64(l.unit)
	st.Waiting = [2]int{len(l.queues[0]), len(l.queues[1])}
	return st
}

// PausedUntil reports until when calls are held after a 429 (zero when not paused).
func (l *Limiter) PausedUntil() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	if time.Now().After(l.pausedUntil) {
		return time.Time{}
	}
	return l.pausedUntil
}

// Pause holds every caller until t (a later pause wins).
func (l *Limiter) Pause(t time.Time) {
	l.mu.Lock()
	if t.After(l.pausedUntil) {
		l.pausedUntil = t
	}
	l.mu.Unlock()
}

// atRest reports whether l is indistinguishable from a fresh limiter: not paused, nothing
// in flight or queued, its bucket full. Dropping such a limiter loses nothing.
func (l *Limiter) atRest(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inFlight > 0 || now.Before(l.pausedUntil) || len(l.queues[0])+len(l.queues[1]) > 0 || l.taking {
		return false
	}
	if l.cfg.Unlimited {
		return true
	}
	if l.shared == nil {
		l.refillLocked(now)
		if l.units < l.burst {
			return false
		}
	}
	return l.perSec.TokensAt(now) >= float64(l.perSec.Burst())
}

// refillLocked adds the tokens earned since the last refill; in shared mode it drops the
// slice taken from the shared budget once it lapsed, since the other processes' share of
// the window must not be spent late.
func (l *Limiter) refillLocked(now time.Time) {
	if l.shared != nil {
		if !now.Before(l.sliceExpires) {
			l.units = min(l.units, 0)
		}
		return
	}
	if d := now.Sub(l.last); d > 0 {
		l.units = min(l.burst, l.units+int64(d)*l.requests)
		l.last = now
	}
}

// errWaitTooLong tells acquire's helpers that a wait would exceed the caller's bound.
type waitTooLong struct {
	wait   time.Duration // what the caller would have had to wait; 0 when unknown
	reason string
}

func (w *waitTooLong) Error() string { return w.reason }

// waitPause sleeps while the limiter is paused and reports whether it had to. A pause that
// would end after limit (when not zero) is not waited for.
func (l *Limiter) waitPause(ctx context.Context, limit time.Time) (waited bool, err error) {
	for {
		l.mu.Lock()
		until := l.pausedUntil
		l.mu.Unlock()
		now := time.Now()
		d := until.Sub(now)
		if d <= 0 {
			return waited, nil
		}
		if !limit.IsZero() && until.After(limit) {
			return waited, &waitTooLong{wait: d, reason: "calls to this Planhat token are paused after a 429"}
		}
		if err := sleepCtx(ctx, d); err != nil {
			return waited, err
		}
		waited = true
	}
}

// waitToken takes one token of lim, sleeping until it is due. A token due after limit
// (when not zero) or after ctx's deadline is given back untaken.
func waitToken(ctx context.Context, lim *rate.Limiter, limit time.Time, what string) error {
	now := time.Now()
	r := lim.ReserveN(now, 1)
	if !r.OK() {
		return fmt.Errorf("planhat: the limiter cannot grant a call (burst 0)")
	}
	d := r.DelayFrom(now)
	if d <= 0 {
		return nil
	}
	due := now.Add(d)
	if !limit.IsZero() && due.After(limit) {
		r.CancelAt(now)
		return &waitTooLong{wait: d, reason: what}
	}
	if dl, ok := ctx.Deadline(); ok && due.After(dl) {
		r.CancelAt(now)
		return fmt.Errorf("%w: the rate limit would make this call wait past its deadline", context.DeadlineExceeded)
	}
	if err := sleepCtx(ctx, d); err != nil {
		r.Cancel()
		return err
	}
	return nil
}

// quotaReason is what a refusal for the spent quota says.
const quotaReason = "the per-token quota is spent for now"

// predictLocked estimates how long a caller of priority p queued now waits for its token:
// the tokens owed to those ahead of it at the rate its class gets.
func (l *Limiter) predictLocked(now time.Time, p Priority) time.Duration {
	other := Background
	if p == Background {
		other = Interactive
	}
	ahead := int64(len(l.queues[p]))
	perNS := float64(l.requests)
	if len(l.queues[other]) > 0 {
		share := l.cfg.BackgroundShare
		if p == Interactive {
			share = 1 - share
		}
		perNS *= share
	}
	var wait time.Duration
	if now.Before(l.pausedUntil) {
		wait = l.pausedUntil.Sub(now)
	}
	if need := (ahead+1)*l.unit - l.units; need > 0 && perNS > 0 {
		wait += time.Duration(math.Ceil(float64(need) / perNS))
	}
	if l.shared != nil && l.takeAfter.After(now) {
		wait = max(wait, l.takeAfter.Sub(now))
	}
	return wait
}

// takeToken takes one token of the quota for a caller of priority p, queuing behind the
// callers of its class (and, for background callers, letting interactive ones go first
// except for the background share). A token not due before limit (when not zero) is
// refused at once, and a caller still queued at limit gives up.
func (l *Limiter) takeToken(ctx context.Context, p Priority, limit time.Time) error {
	l.mu.Lock()
	now := time.Now()
	l.refillLocked(now)
	if l.units >= l.unit && len(l.queues[0])+len(l.queues[1]) == 0 && !now.Before(l.pausedUntil) {
		l.units -= l.unit
		l.granted[p]++
		l.mu.Unlock()
		l.report(p, 0, false)
		return nil
	}
	predicted := l.predictLocked(now, p)
	if !limit.IsZero() && now.Add(predicted).After(limit) {
		l.refused[p]++
		l.mu.Unlock()
		l.report(p, 0, true)
		return &waitTooLong{wait: predicted, reason: quotaReason}
	}
	if dl, ok := ctx.Deadline(); ok && p == Interactive && now.Add(predicted).After(dl) {
		l.mu.Unlock()
		return fmt.Errorf("%w: the rate limit would make this call wait past its deadline", context.DeadlineExceeded)
	}
	w := &waiter{ready: make(chan struct{}), prio: p}
	l.queues[p] = append(l.queues[p], w)
	l.dispatchLocked(now)
	l.mu.Unlock()

	var timeout <-chan time.Time
	if !limit.IsZero() {
		t := time.NewTimer(limit.Sub(now))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-w.ready:
		l.report(p, time.Since(now), false)
		return nil
	case <-ctx.Done():
		l.leave(w, true)
		return context.Cause(ctx)
	case <-timeout:
		if l.leave(w, false) {
			l.report(p, time.Since(now), false)
			return nil
		}
		l.mu.Lock()
		l.refused[p]++
		left := l.predictLocked(time.Now(), p)
		l.mu.Unlock()
		l.report(p, 0, true)
		return &waitTooLong{wait: left, reason: quotaReason}
	}
}

// leave takes w out of its queue. A token granted meanwhile is kept when keep is false
// (leave reports true then) and given back when keep is true.
func (l *Limiter) leave(w *waiter, giveBack bool) (granted bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !giveBack && !w.granted {
		// A token due at this very instant is the caller's: the bound is not yet past.
		l.dispatchLocked(time.Now())
	}
	if w.granted {
		if !giveBack {
			return true
		}
		l.units += l.unit
		l.granted[w.prio]--
		l.dispatchLocked(time.Now())
		return false
	}
	q := l.queues[w.prio]
	for i, x := range q {
		if x == w {
			l.queues[w.prio] = append(q[:i:i], q[i+1:]...)
			break
		}
	}
	return false
}

func (l *Limiter) report(p Priority, wait time.Duration, refused bool) {
	if l.onWait != nil {
		l.onWait(WaitInfo{Fingerprint: l.fp, Priority: p, Wait: wait, Refused: refused})
	}
}

// nextLocked picks the waiter the next token goes to: interactive first, except that
// background callers get their share while both queue.
func (l *Limiter) nextLocked() *waiter {
	ni, nb := len(l.queues[Interactive]), len(l.queues[Background])
	var p Priority
	switch {
	case ni == 0 && nb == 0:
		return nil
	case nb == 0:
		p, l.contended = Interactive, [2]int{}
	case ni == 0:
		p, l.contended = Background, [2]int{}
	default:
		total := l.contended[0] + l.contended[1]
		// The small slack keeps 0.2*5 from missing 1 by a rounding error.
		if float64(l.contended[Background]+1) <= l.cfg.BackgroundShare*float64(total+1)+1e-9 {
			p = Background
		}
		l.contended[p]++
	}
	w := l.queues[p][0]
	l.queues[p][0] = nil
	l.queues[p] = l.queues[p][1:]
	return w
}

// dispatchLocked hands the tokens at hand to the waiters in priority order, then arranges
// to be called again when the next token is due (or, in shared mode, asks the shared
// budget for more).
func (l *Limiter) dispatchLocked(now time.Time) {
	l.refillLocked(now)
	if now.Before(l.pausedUntil) {
		l.wakeAt(l.pausedUntil.Sub(now))
		return
	}
	for l.units >= l.unit {
		w := l.nextLocked()
		if w == nil {
			break
		}
		l.units -= l.unit
		w.granted = true
		l.granted[w.prio]++
		close(w.ready)
	}
	waiting := len(l.queues[0]) + len(l.queues[1])
	if waiting == 0 {
		return
	}
	if l.shared != nil {
		l.takeSharedLocked(now, waiting)
		return
	}
	need := l.unit - l.units
	l.wakeAt(time.Duration((need + l.requests - 1) / l.requests))
}

// wakeAt dispatches again after d.
func (l *Limiter) wakeAt(d time.Duration) {
	d = max(d, time.Nanosecond)
	if l.timer == nil {
		l.timer = time.AfterFunc(d, l.wake)
		return
	}
	l.timer.Reset(d)
}

func (l *Limiter) wake() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dispatchLocked(time.Now())
}

// sharedSliceTTL is how long a slice taken from the shared budget may be spent: long
// enough to serve a burst, short enough that an unspent slice does not shift calls into
// the next window.
const sharedSliceTTL = time.Second

// maxSharedSlice bounds the calls taken from the shared budget at once, so one replica
// cannot hoard what the others need.
const maxSharedSlice = 4

// takeSharedLocked asks the shared budget for a slice in the background, unless a request
// is under way or the budget said to wait.
func (l *Limiter) takeSharedLocked(now time.Time, waiting int) {
	if l.taking {
		return
	}
	if now.Before(l.takeAfter) {
		l.wakeAt(l.takeAfter.Sub(now))
		return
	}
	l.taking = true
	n := min(waiting, maxSharedSlice, l.cfg.Burst)
	go l.takeShared(n)
}

func (l *Limiter) takeShared(n int) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l.mu.Lock()
	requests := int(l.requests)
	l.mu.Unlock()
	granted, retryIn, err := l.shared.Take(ctx, l.key, n, requests, l.cfg.Window, l.cfg.Burst)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.taking = false
	now := time.Now()
	switch {
	case err != nil:
		// Calling without the shared budget could overrun it; the waiters wait, and
		// interactive ones get their rate-limited answer at their bound.
		l.takeAfter = now.Add(time.Second)
	case granted > 0:
		l.units = max(l.units, 0) + int64(granted)*l.unit
		l.sliceExpires = now.Add(sharedSliceTTL)
		if granted < n {
			l.takeAfter = now.Add(max(retryIn, time.Millisecond))
		}
	default:
		l.takeAfter = now.Add(max(retryIn, time.Millisecond))
	}
	l.dispatchLocked(now)
}

// acquire waits for a slot and a token; release must be called when the response is in.
// maxWait bounds the whole wait (negative: unbounded, and the call is background work);
// past it acquire fails at once with a *waitTooLong carrying the wait the caller was spared.
func (l *Limiter) acquire(ctx context.Context, maxWait time.Duration) (release func(), err error) {
	var limit time.Time
	prio := Background
	if maxWait >= 0 {
		limit, prio = time.Now().Add(maxWait), Interactive
	}
	if _, err := l.waitPause(ctx, limit); err != nil {
		return nil, err
	}
	if l.slots != nil {
		var timeout <-chan time.Time
		if !limit.IsZero() {
			t := time.NewTimer(time.Until(limit))
			defer t.Stop()
			timeout = t.C
		}
		select {
		case l.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-timeout:
			return nil, &waitTooLong{reason: fmt.Sprintf("all %d concurrent-call slots stayed busy", cap(l.slots))}
		}
	}
	fail := func(err error) (func(), error) {
		if l.slots != nil {
			<-l.slots
		}
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return nil, err
	}
	for {
		if !l.cfg.Unlimited {
			if err := l.takeToken(ctx, prio, limit); err != nil {
				return fail(err)
			}
		}
		if err := waitToken(ctx, l.perSec, limit, "the per-second cap is reached"); err != nil {
			return fail(err)
		}
		// A 429 may have paused everyone while this caller was queued. Its token was spent
		// in the window the 429 closed, and the bucket refills during the pause, so after
		// the pause it takes a fresh one: otherwise every queued caller would go at once on
		// top of a full burst and overrun the new window.
		waited, err := l.waitPause(ctx, limit)
		if err != nil {
			return fail(err)
		}
		if !waited {
			break
		}
	}
	l.mu.Lock()
	l.inFlight++
	l.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			l.inFlight--
			l.mu.Unlock()
			if l.slots != nil {
				<-l.slots
			}
		})
	}, nil
}

// learnedMargin is the part of Planhat's reported limit left unused, as the default
// 180 of 200 does: Planhat counts in fixed windows that a steady pace can straddle.
const learnedMargin = 0.9

// observe adjusts the limiter to what Planhat reported: a 429 or zero remaining pauses
// everyone; a lower remaining count than the bucket holds drains the bucket to match; a
// reported limit below the configured budget lowers the budget to 90% of it.
func (l *Limiter) observe(status int, rl RateLimitState) {
	now := time.Now()
	if status == http.StatusTooManyRequests {
		wait := min(rl.RetryAfter, maxPause)
		if wait <= 0 {
			wait = l.cfg.Cooldown
		}
		l.Pause(now.Add(wait))
		l.mu.Lock()
		l.refillLocked(now)
		l.units = min(l.units, 0)
		l.mu.Unlock()
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if rl.Limit > 0 {
		l.reportedLimit = rl.Limit
		if learned := int64(float64(rl.Limit) * learnedMargin); !l.cfg.Unlimited && learned >= 1 && learned < l.requests {
			l.refillLocked(now)
			l.requests = learned
		}
	}
	if rl.Remaining < 0 {
		return
	}
	l.reportedRemaining = rl.Remaining
	if rl.Remaining == 0 {
		if t := now.Add(l.cfg.Cooldown); t.After(l.pausedUntil) {
			l.pausedUntil = t
		}
		return
	}
	if l.cfg.Unlimited {
		return
	}
	l.refillLocked(now)
	allowed := int64(max(rl.Remaining-l.inFlight, 0)) * l.unit
	if l.units > allowed {
		l.units = allowed
	}
}

// fingerprint is the label of a token in metrics and logs (see Limiter.Fingerprint).
func fingerprint(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:6])
}

// maxPause bounds a pause asked for by Retry-After, so a bogus header cannot stall a
// client for hours; Planhat's windows reset within 120 s.
const maxPause = 5 * time.Minute
