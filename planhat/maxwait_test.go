package planhat_test

import (
	"errors"
	"github.com/planbridge/planbridge/planhat/planhatemu"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/planhat"
)

// pipeClient builds a client of srv over in-memory pipes, for use inside a synctest bubble.
func pipeClient(t *testing.T, srv *planhatemu.Server, mutate func(*planhat.Options)) *planhat.Client {
	t.Helper()
	opts := planhat.Options{Token: testToken, BaseURL: "http://planhat.pipe", HTTPClient: servePipe(t, srv.Handler()),
		Retry: &planhat.RetryPolicy{MaxRetries: 0}}
	if mutate != nil {
		mutate(&opts)
	}
	c, err := planhat.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSharedLimiterPausesEverySharer gives one client a 429: a second client sharing its
// Limiter waits the pause out, one with a limiter of its own does not.
func TestSharedLimiterPausesEverySharer(t *testing.T) {
	tests := []struct {
		name     string
		share    bool
		wantWait time.Duration
	}{
		{"sharing the limiter: waits the cooldown", true, 3 * time.Second},
		{"control: a private limiter does not wait", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := planhatemu.New(planhatemu.WithToken(testToken), planhatemu.WithRateLimit(0, 0))
				id := srv.Insert("companies", map[string]any{"name": "Acme"})
				cfg := planhat.RateLimit{Requests: 1000, Window: time.Second, Burst: 100, Cooldown: 3 * time.Second}
				lim := planhat.NewLimiter(cfg)
				a := pipeClient(t, srv, func(o *planhat.Options) { o.Limiter = lim })
				b := pipeClient(t, srv, func(o *planhat.Options) {
					o.MaxWait = 5 * time.Second // longer than the cooldown
					if tt.share {
						o.Limiter = lim
					} else {
						o.RateLimit = &cfg
					}
				})
				srv.FailNext(1, http.StatusTooManyRequests)
				if _, err := a.Companies().Get(t.Context(), planhat.ID(id)); !errors.Is(err, planhat.ErrRateLimited) {
					t.Fatalf("first client: err = %v, want the 429", err)
				}
				start := time.Now()
				if _, err := b.Companies().Get(t.Context(), planhat.ID(id)); err != nil {
					t.Fatal(err)
				}
				if got := time.Since(start); got != tt.wantWait {
					t.Errorf("the second client waited %v, want %v", got, tt.wantWait)
				}
			})
		})
	}
}

// TestMaxWaitFailsFast checks that a call the limiter would hold longer than MaxWait fails at
// once with ErrRateLimited and the real remaining wait, and that shorter waits, or an
// unbounded MaxWait, are waited out.
func TestMaxWaitFailsFast(t *testing.T) {
	type outcome struct {
		Elapsed     time.Duration
		RateLimited bool
		RetryAfter  time.Duration
		HasRetry    bool
		Saw429      bool // the error carries the 429 answer itself
	}
	tests := []struct {
		name    string
		limit   planhat.RateLimit
		maxWait time.Duration
		retries int
		prepare func(t *testing.T, srv *planhatemu.Server, c *planhat.Client, id string)
		want    outcome
	}{
		{
			name:  "429 without Retry-After: the retry fails at once with the 60s cooldown",
			limit: planhat.RateLimit{Requests: 1000, Window: time.Minute, Burst: 100},
			prepare: func(_ *testing.T, srv *planhatemu.Server, _ *planhat.Client, _ string) {
				srv.FailNext(1, http.StatusTooManyRequests)
			},
			retries: 3,
			want:    outcome{RateLimited: true, RetryAfter: time.Minute, HasRetry: true, Saw429: true},
		},
		{
			name:    "a sharer's pause: fails at once with what is left of it",
			limit:   planhat.RateLimit{Requests: 1000, Window: time.Minute, Burst: 100},
			retries: 3,
			prepare: func(_ *testing.T, _ *planhatemu.Server, c *planhat.Client, _ string) {
				c.Limiter().Pause(time.Now().Add(42 * time.Second))
			},
			want: outcome{RateLimited: true, RetryAfter: 42 * time.Second, HasRetry: true},
		},
		{
			name:  "spent quota: fails at once with the refill time",
			limit: planhat.RateLimit{Requests: 6, Window: time.Minute, Burst: 1}, // one call per 10 s
			prepare: func(t *testing.T, _ *planhatemu.Server, c *planhat.Client, id string) {
				_, _ = c.Companies().Get(t.Context(), planhat.ID(id))
			},
			want: outcome{RateLimited: true, RetryAfter: 10 * time.Second, HasRetry: true},
		},
		{
			name:    "a pause within MaxWait is waited out",
			limit:   planhat.RateLimit{Requests: 1000, Window: time.Minute, Burst: 100, Cooldown: 4 * time.Second},
			maxWait: 5 * time.Second,
			prepare: func(_ *testing.T, srv *planhatemu.Server, _ *planhat.Client, _ string) {
				srv.FailNext(1, http.StatusTooManyRequests)
			},
			retries: 3,
			want:    outcome{Elapsed: 4 * time.Second},
		},
		{
			name:    "negative MaxWait waits the whole cooldown",
			limit:   planhat.RateLimit{Requests: 1000, Window: time.Minute, Burst: 100},
			maxWait: -1,
			retries: 3,
			prepare: func(_ *testing.T, srv *planhatemu.Server, _ *planhat.Client, _ string) {
				srv.FailNext(1, http.StatusTooManyRequests)
			},
			want: outcome{Elapsed: time.Minute},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := planhatemu.New(planhatemu.WithToken(testToken), planhatemu.WithRateLimit(0, 0))
				id := srv.Insert("companies", map[string]any{"name": "Acme"})
				c := pipeClient(t, srv, func(o *planhat.Options) {
					o.RateLimit = &tt.limit
					o.MaxWait = tt.maxWait
					o.Retry = &planhat.RetryPolicy{MaxRetries: tt.retries, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}
				})
				tt.prepare(t, srv, c, id)
				start := time.Now()
				_, err := c.Companies().Get(t.Context(), planhat.ID(id))
				var got outcome
				got.Elapsed = time.Since(start)
				got.RateLimited = errors.Is(err, planhat.ErrRateLimited)
				got.RetryAfter, got.HasRetry = planhat.RetryAfter(err)
				var apiErr *planhat.APIError
				got.Saw429 = errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusTooManyRequests
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("outcome (-want +got):\n%s\nerr = %v", diff, err)
				}
				if !tt.want.RateLimited && err != nil {
					t.Errorf("err = %v, want success", err)
				}
			})
		})
	}
}

// TestRetryAfterOfA429 checks that RetryAfter reads Planhat's Retry-After header from a 429
// that was not retried, and reports nothing for other errors.
func TestRetryAfterOfA429(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := planhatemu.New(planhatemu.WithToken(testToken), planhatemu.WithRateLimit(1, time.Minute),
			planhatemu.WithSwitches(planhatemu.Switches{RetryAfter: true}))
		c := pipeClient(t, srv, nil)
		if _, err := c.Companies().Create(t.Context(), planhat.Company{Name: "First"}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(15 * time.Second)
		_, err := c.Companies().Create(t.Context(), planhat.Company{Name: "Second"})
		got, ok := planhat.RetryAfter(err)
		if !errors.Is(err, planhat.ErrRateLimited) || !ok || got != 45*time.Second {
			t.Errorf("RetryAfter(%v) = %v, %t; want 45s, true", err, got, ok)
		}
		if d, ok := planhat.RetryAfter(planhat.ErrNotFound); ok || d != 0 {
			t.Errorf("RetryAfter(ErrNotFound) = %v, %t; want 0, false", d, ok)
		}
	})
}
