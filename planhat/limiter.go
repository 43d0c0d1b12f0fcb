package planhat

import (
	"context"
	"fmt"
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
	// Unlimited turns pacing off: no quota, per-second or concurrency cap. A 429 or zero
	// remaining still pauses every caller, because the server has said stop. Meant for
	// emulators and benchmarks; the other pacing fields are ignored.
	Unlimited bool
}

// DefaultRateLimit returns 180 calls/minute, burst 9, 150/s, 50 in flight, 60 s cooldown.
func DefaultRateLimit() RateLimit {
	return RateLimit{Requests: 180, Window: time.Minute, Burst: 9, PerSecond: 150, MaxInFlight: 50, Cooldown: time.Minute}
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
	return r
}

// Limiter paces calls to one Planhat tenant: a token bucket for the per-window quota, a
// per-second cap, a concurrency cap, and a shared pause after a 429. One Limiter must serve
// every client that uses the same token and base URL: pass it in Options.Limiter, or let a
// Limiters set hand them out. A client built without one has a limiter of its own.
type Limiter struct {
	cfg    RateLimit
	bucket *rate.Limiter
	perSec *rate.Limiter
	slots  chan struct{} // nil when Unlimited

	mu          sync.Mutex
	pausedUntil time.Time
	inFlight    int
}

// NewLimiter builds a limiter; zero fields of cfg take the DefaultRateLimit values.
func NewLimiter(cfg RateLimit) *Limiter {
	if cfg.Unlimited {
		cooldown := cfg.Cooldown
		if cooldown <= 0 {
			cooldown = DefaultRateLimit().Cooldown
		}
		// rate.Inf admits every reservation at once; the zero burst is then ignored.
		return &Limiter{cfg: RateLimit{Unlimited: true, Cooldown: cooldown},
			bucket: rate.NewLimiter(rate.Inf, 0), perSec: rate.NewLimiter(rate.Inf, 0)}
	}
	cfg = cfg.withDefaults()
	every := rate.Limit(float64(cfg.Requests) / cfg.Window.Seconds())
	return &Limiter{
		cfg:    cfg,
		bucket: rate.NewLimiter(every, cfg.Burst),
		perSec: rate.NewLimiter(rate.Limit(cfg.PerSecond), max(1, min(cfg.PerSecond, cfg.MaxInFlight))),
		slots:  make(chan struct{}, cfg.MaxInFlight),
	}
}

// Config returns the effective configuration.
func (l *Limiter) Config() RateLimit { return l.cfg }

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
// in flight, its bucket full. Dropping such a limiter loses nothing.
func (l *Limiter) atRest(now time.Time) bool {
	l.mu.Lock()
	busy := l.inFlight > 0 || now.Before(l.pausedUntil)
	l.mu.Unlock()
	if busy {
		return false
	}
	if l.cfg.Unlimited {
		return true
	}
	return l.bucket.TokensAt(now) >= float64(l.cfg.Burst) && l.perSec.TokensAt(now) >= float64(l.perSec.Burst())
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

// acquire waits for a slot and a token; release must be called when the response is in.
// maxWait bounds the whole wait (negative: unbounded); past it acquire fails at once with
// a *waitTooLong carrying the wait the caller was spared.
func (l *Limiter) acquire(ctx context.Context, maxWait time.Duration) (release func(), err error) {
	var limit time.Time
	if maxWait >= 0 {
		limit = time.Now().Add(maxWait)
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
		if err := waitToken(ctx, l.bucket, limit, "the per-token quota is spent for now"); err != nil {
			return fail(err)
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

// observe adjusts the limiter to what Planhat reported: a 429 or zero remaining pauses
// everyone; a lower remaining count than the bucket holds drains the bucket to match.
func (l *Limiter) observe(status int, rl RateLimitState) {
	now := time.Now()
	if status == http.StatusTooManyRequests {
		wait := min(rl.RetryAfter, maxPause)
		if wait <= 0 {
			wait = l.cfg.Cooldown
		}
		l.Pause(now.Add(wait))
		l.drain(now, int(l.bucket.TokensAt(now)))
		return
	}
	if rl.Remaining < 0 {
		return
	}
	if rl.Remaining == 0 {
		l.Pause(now.Add(l.cfg.Cooldown))
		return
	}
	l.mu.Lock()
	others := l.inFlight
	l.mu.Unlock()
	allowed := rl.Remaining - others
	if have := int(l.bucket.TokensAt(now)); have > allowed {
		l.drain(now, have-max(allowed, 0))
	}
}

func (l *Limiter) drain(now time.Time, n int) {
	if n > 0 {
		l.bucket.ReserveN(now, n)
	}
}

// maxPause bounds a pause asked for by Retry-After, so a bogus header cannot stall a
// client for hours; Planhat's windows reset within 120 s.
const maxPause = 5 * time.Minute
