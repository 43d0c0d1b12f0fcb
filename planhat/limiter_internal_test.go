package planhat

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// These tests run the limiter and the backoff on synctest's fake clock, so minutes of
// pacing take no real time.

func TestLimiterPacing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := NewLimiter(RateLimit{}) // 180/min, burst 9
		start := time.Now()
		for range 9 + 30 {
			acquireRelease(t, l)
		}
		// 9 from the burst, then 30 at 3 per second.
		if got := time.Since(start); got != 10*time.Second {
			t.Errorf("39 calls took %v, want 10s", got)
		}
		// A full window never exceeds Burst + Requests.
		l2 := NewLimiter(RateLimit{Requests: 18, Window: 2 * time.Second})
		n := 0
		deadline := time.Now().Add(2 * time.Second)
		for time.Now().Before(deadline) {
			acquireRelease(t, l2)
			if time.Now().Before(deadline) {
				n++
			}
		}
		if n > 1+18 {
			t.Errorf("%d calls in one 2 s window, want at most 19", n)
		}
	})
}

func TestLimiterPauses(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		rl       RateLimitState
		wantWait time.Duration
	}{
		{"429 without Retry-After waits the cooldown", http.StatusTooManyRequests, RateLimitState{Limit: -1, Remaining: -1}, 45 * time.Second},
		{"429 with Retry-After waits that long", http.StatusTooManyRequests, RateLimitState{Limit: 200, Remaining: 0, RetryAfter: 7 * time.Second}, 7 * time.Second},
		{"zero remaining waits the cooldown", http.StatusOK, RateLimitState{Limit: 200, Remaining: 0}, 45 * time.Second},
		{"remaining quota does not pause", http.StatusOK, RateLimitState{Limit: 200, Remaining: 150}, 0},
		{"absent headers do not pause", http.StatusOK, RateLimitState{Limit: -1, Remaining: -1}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := NewLimiter(RateLimit{Requests: 600, Window: time.Minute, Burst: 10, Cooldown: 45 * time.Second})
				l.observe(tt.status, tt.rl)
				start := time.Now()
				acquireRelease(t, l)
				if got := time.Since(start); got != tt.wantWait {
					t.Errorf("waited %v, want %v", got, tt.wantWait)
				}
			})
		})
	}
}

func TestLimiterAdjustsToRemaining(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := NewLimiter(RateLimit{Requests: 60, Window: time.Minute, Burst: 10}) // 1/s, 10 banked
		l.observe(http.StatusOK, RateLimitState{Limit: 200, Remaining: 2})
		start := time.Now()
		for range 4 {
			acquireRelease(t, l)
		}
		// Two banked calls go at once; the next two wait for refills.
		if got := time.Since(start); got != 2*time.Second {
			t.Errorf("4 calls took %v, want 2s once the bucket matches the server's 2 remaining", got)
		}
	})
}

func TestLimiterConcurrencyCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := NewLimiter(RateLimit{Requests: 1000, Window: time.Second, Burst: 100, MaxInFlight: 3})
		var mu sync.Mutex
		inFlight, peak := 0, 0
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				release, err := l.acquire(context.Background(), -1)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				inFlight++
				peak = max(peak, inFlight)
				mu.Unlock()
				time.Sleep(100 * time.Millisecond)
				mu.Lock()
				inFlight--
				mu.Unlock()
				release()
			})
		}
		wg.Wait()
		if peak != 3 {
			t.Errorf("peak concurrency %d, want 3", peak)
		}
	})
}

func TestLimiterHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := NewLimiter(RateLimit{Cooldown: time.Minute})
		l.observe(http.StatusTooManyRequests, RateLimitState{Remaining: -1, Limit: -1})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		if _, err := l.acquire(ctx, -1); err != context.DeadlineExceeded {
			t.Errorf("err = %v, want DeadlineExceeded", err)
		}
		if got := time.Since(start); got != 5*time.Second {
			t.Errorf("gave up after %v, want 5s", got)
		}
	})
}

func TestBackoff(t *testing.T) {
	p := RetryPolicy{MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}.withDefaults()
	for attempt, full := range []time.Duration{100, 200, 400, 800, 1000, 1000, 1000} {
		full *= time.Millisecond
		if attempt >= 4 {
			full = time.Second
		}
		for range 200 {
			d := p.backoff(attempt)
			if d < full/2 || d > full {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", attempt, d, full/2, full)
			}
		}
	}
	if d := p.backoff(1000); d > time.Second {
		t.Errorf("backoff(1000) = %v overflows the cap", d)
	}
}

func TestRetryWaitsUseTheBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := RetryPolicy{MinBackoff: time.Second, MaxBackoff: 8 * time.Second}.withDefaults()
		start := time.Now()
		for attempt := range 4 {
			if err := sleepCtx(context.Background(), p.backoff(attempt)); err != nil {
				t.Fatal(err)
			}
		}
		// 1+2+4+8 s at full value, at least half of it with jitter.
		if got := time.Since(start); got < 7500*time.Millisecond || got > 15*time.Second {
			t.Errorf("four backoffs took %v, want between 7.5s and 15s", got)
		}
	})
}

// acquireRelease takes one slot of l and gives it back at once: one call that
// costs no time once admitted.
func acquireRelease(t testing.TB, l *Limiter) {
	t.Helper()
	release, err := l.acquire(context.Background(), -1)
	if err != nil {
		t.Fatal(err)
	}
	release()
}

// TestLimiterPauseVoidsQueuedTokens queues callers behind the bucket, then pauses the limiter
// as a 429 would. The tokens those callers took belong to the window the 429 closed; after
// the pause they must take fresh ones, so the new window starts with at most Burst calls
// rather than every queued caller at once on top of a refilled bucket.
func TestLimiterPauseVoidsQueuedTokens(t *testing.T) {
	tests := []struct {
		name    string
		callers int
		pause   time.Duration
	}{
		{"queued callers all hold tokens", 5, 10 * time.Second},
		{"more callers than slots", 12, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				// 1 call per second, burst 1, 8 in flight.
				l := NewLimiter(RateLimit{Requests: 60, Window: time.Minute, Burst: 1, MaxInFlight: 8, Cooldown: time.Minute})
				var mu sync.Mutex
				var admitted []time.Time
				var wg sync.WaitGroup
				for range tt.callers {
					wg.Go(func() {
						release, err := l.acquire(context.Background(), -1)
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						admitted = append(admitted, time.Now())
						mu.Unlock()
						release()
					})
				}
				time.Sleep(500 * time.Millisecond) // the first caller is through; the rest queue
				resume := time.Now().Add(tt.pause)
				l.Pause(resume)
				wg.Wait()
				mu.Lock()
				defer mu.Unlock()
				burst := 0
				for _, at := range admitted {
					if at.Before(resume) {
						continue
					}
					if at.Sub(resume) < time.Second {
						burst++
					}
				}
				// Within one second of the resume the bucket allows its burst (1) and one refill.
				if burst > 2 {
					t.Errorf("%d calls went out in the first second after the pause, want at most 2 (Burst 1 + 1/s); admitted at %v", burst, offsets(admitted, resume))
				}
			})
		})
	}
}

func offsets(ts []time.Time, from time.Time) []time.Duration {
	out := make([]time.Duration, len(ts))
	for i, t := range ts {
		out[i] = t.Sub(from)
	}
	return out
}

// TestLimiterPerSecondCap runs calls where the per-second cap, not the per-window quota, is
// the binding limit: after the cap's burst (PerSecond, at most MaxInFlight) the calls go at
// exactly PerSecond. The default row pins Planhat's hard 150 calls per second.
func TestLimiterPerSecondCap(t *testing.T) {
	t.Parallel()
	// A quota of a million a minute with a burst of 10,000 never binds here.
	const quota, window, quotaBurst = 1_000_000, time.Minute, 10_000
	tests := []struct {
		name      string
		perSecond int // 0: the default
		calls     int
		want      time.Duration
	}{
		{"default 150/s after a burst of 50", 0, 50 + 300, 2 * time.Second},
		{"5/s after a burst of 5", 5, 5 + 20, 4 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				l := NewLimiter(RateLimit{Requests: quota, Window: window, Burst: quotaBurst, PerSecond: tt.perSecond})
				start := time.Now()
				for range tt.calls {
					acquireRelease(t, l)
				}
				// The token arithmetic is in float64 seconds, so 1/150 s rounds by a nanosecond.
				if got := time.Since(start); got < tt.want-time.Millisecond || got > tt.want+time.Millisecond {
					t.Errorf("%d calls took %v, want %v", tt.calls, got, tt.want)
				}
			})
		})
	}
}
