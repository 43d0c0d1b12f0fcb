package planhat

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"time"
	"weak"

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
}

// DefaultRateLimit returns 180 calls/minute, burst 9, 150/s, 50 in flight, 60 s cooldown.
func DefaultRateLimit() RateLimit {
	return RateLimit{Requests: 180, Window: time.Minute, Burst: 9, PerSecond: 150, MaxInFlight: 50, Cooldown: time.Minute}
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
// every client that uses the same token; NewClient arranges that automatically.
type Limiter struct {
	cfg    RateLimit
	bucket *rate.Limiter
	perSec *rate.Limiter
	slots  chan struct{}

	mu          sync.Mutex
	pausedUntil time.Time
	inFlight    int

	shared bool // held by the per-token registry
}

// NewLimiter builds a limiter; zero fields of cfg take the DefaultRateLimit values.
func NewLimiter(cfg RateLimit) *Limiter {
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
	later := t.After(l.pausedUntil)
	if later {
		l.pausedUntil = t
	}
	l.mu.Unlock()
	if later && l.shared {
		pinUntilResumed(l)
	}
}

// waitPause sleeps while the limiter is paused and reports whether it had to.
func (l *Limiter) waitPause(ctx context.Context) (waited bool, err error) {
	for {
		l.mu.Lock()
		d := time.Until(l.pausedUntil)
		l.mu.Unlock()
		if d <= 0 {
			return waited, nil
		}
		if err := sleepCtx(ctx, d); err != nil {
			return waited, err
		}
		waited = true
	}
}

// acquire waits for a slot and a token; release must be called when the response is in.
func (l *Limiter) acquire(ctx context.Context) (release func(), err error) {
	if _, err := l.waitPause(ctx); err != nil {
		return nil, err
	}
	select {
	case l.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	fail := func(err error) (func(), error) {
		<-l.slots
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		if _, ok := ctx.Deadline(); ok {
			return nil, fmt.Errorf("%w: the rate limit would make this call wait past its deadline", context.DeadlineExceeded)
		}
		return nil, err
	}
	for {
		if err := l.bucket.Wait(ctx); err != nil {
			return fail(err)
		}
		if err := l.perSec.Wait(ctx); err != nil {
			return fail(err)
		}
		// A 429 may have paused everyone while this caller was queued. Its token was spent
		// in the window the 429 closed, and the bucket refills during the pause, so after
		// the pause it takes a fresh one: otherwise every queued caller would go at once on
		// top of a full burst and overrun the new window.
		waited, err := l.waitPause(ctx)
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
			<-l.slots
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

// Shared limiters: one per token and base URL, held weakly so that a limiter lives exactly as
// long as some client uses it.
var (
	limitersMu sync.Mutex
	limiters   = map[[32]byte]weak.Pointer[Limiter]{}
	// paused holds shared limiters strongly while they are paused: a 429 must hold back a
	// client created after every client that saw it has been collected (one client per
	// request is a common pattern), so the pause outlives them.
	paused = map[*Limiter]struct{}{}
)

func pinUntilResumed(l *Limiter) {
	limitersMu.Lock()
	paused[l] = struct{}{}
	limitersMu.Unlock()
}

func sharedLimiter(token, baseURL string, cfg RateLimit) *Limiter {
	key := sha256.Sum256([]byte(token + "\x00" + baseURL))
	limitersMu.Lock()
	defer limitersMu.Unlock()
	for l := range paused {
		if l.PausedUntil().IsZero() {
			delete(paused, l)
		}
	}
	if wp, ok := limiters[key]; ok {
		if l := wp.Value(); l != nil {
			return l
		}
	}
	l := NewLimiter(cfg)
	l.shared = true
	wp := weak.Make(l)
	limiters[key] = wp
	runtime.AddCleanup(l, func(k [32]byte) {
		limitersMu.Lock()
		defer limitersMu.Unlock()
		if cur, ok := limiters[k]; ok && cur == wp {
			delete(limiters, k)
		}
	}, key)
	return l
}
