package planhat

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// These tests run the budget's priorities on synctest's fake clock: one call a second,
// burst 1, so every grant is a second apart and the order is exact.

func oneASecond() *Limiter {
	return NewLimiter(RateLimit{Requests: 60, Window: time.Minute, Burst: 1, MaxInFlight: 100})
}

func TestBudgetServesInteractiveFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := oneASecond()
		acquireRelease(t, l) // spend the burst
		var mu sync.Mutex
		var order []string
		var wg sync.WaitGroup
		start := func(name string, maxWait time.Duration) {
			wg.Go(func() {
				release, err := l.acquire(t.Context(), maxWait)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					return
				}
				release()
				mu.Lock()
				order = append(order, name)
				mu.Unlock()
			})
			synctest.Wait() // queued in this order
		}
		for _, n := range []string{"b1", "b2", "b3"} {
			start(n, -1)
		}
		for _, n := range []string{"i1", "i2", "i3", "i4", "i5"} {
			start(n, time.Minute)
		}
		wg.Wait()
		// Background callers queued first still yield to interactive ones, bar their
		// fifth of the grants while both queue.
		want := []string{"i1", "i2", "i3", "i4", "b1", "i5", "b2", "b3"}
		if diff := cmp.Diff(want, order); diff != "" {
			t.Errorf("grant order (-want +got):\n%s", diff)
		}
	})
}

func TestBudgetNeverStarvesBackground(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := oneASecond()
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		var mu sync.Mutex
		granted := map[Priority]int{}
		var wg sync.WaitGroup
		loop := func(p Priority, maxWait time.Duration) {
			wg.Go(func() {
				for ctx.Err() == nil {
					release, err := l.acquire(ctx, maxWait)
					if err != nil {
						time.Sleep(100 * time.Millisecond) // refused at its bound: the bot retries
						continue
					}
					release()
					mu.Lock()
					granted[p]++
					mu.Unlock()
				}
			})
		}
		// Ten bots hammering interactively, one background deliverer.
		for range 10 {
			loop(Interactive, 5*time.Second)
		}
		loop(Background, -1)
		wg.Wait()
		total := granted[Interactive] + granted[Background]
		if total < 59 || total > 61 {
			t.Errorf("%d calls in a minute at 1/s", total)
		}
		// A fifth of the minute's 60 calls, give or take the first one.
		if granted[Background] < 11 {
			t.Errorf("background got %d of %d calls, want at least its fifth (11)", granted[Background], total)
		}
	})
}

func TestBudgetHonoursTheBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := oneASecond()
		type result struct {
			Waited     time.Duration
			Refused    bool
			RetryAfter time.Duration
		}
		results := make([]result, 5)
		var wg sync.WaitGroup
		for i := range results {
			wg.Go(func() {
				start := time.Now()
				release, err := l.acquire(t.Context(), 2*time.Second)
				results[i].Waited = time.Since(start)
				var long *waitTooLong
				if errors.As(err, &long) {
					results[i].Refused, results[i].RetryAfter = true, long.wait
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				release()
			})
			synctest.Wait()
		}
		wg.Wait()
		// The burst, then one a second: the third caller is due at exactly the bound; the
		// later ones are told at once how long they would have waited (a refused caller
		// holds no place in the queue, so both would have waited 3 s).
		want := []result{{}, {Waited: time.Second}, {Waited: 2 * time.Second}, {Refused: true, RetryAfter: 3 * time.Second}, {Refused: true, RetryAfter: 3 * time.Second}}
		if diff := cmp.Diff(want, results); diff != "" {
			t.Errorf("callers (-want +got):\n%s", diff)
		}
	})
}

func TestBudgetBoundHoldsWhenThePredictionFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := oneASecond()
		acquireRelease(t, l)
		done := make(chan error, 1)
		start := time.Now()
		go func() {
			_, err := l.acquire(t.Context(), 2*time.Second)
			done <- err
		}()
		synctest.Wait() // queued, due in a second
		l.Pause(time.Now().Add(time.Minute))
		err := <-done
		var long *waitTooLong
		if !errors.As(err, &long) {
			t.Fatalf("err = %v, want a refusal", err)
		}
		if got := time.Since(start); got != 2*time.Second {
			t.Errorf("refused after %v, want the 2s bound", got)
		}
		if long.wait < 57*time.Second {
			t.Errorf("retry after %v, want the pause's remaining ~58s", long.wait)
		}
	})
}

func TestBudgetLearnsFromPlanhat(t *testing.T) {
	tests := []struct {
		name          string
		configured    int
		limit         int
		remaining     int
		wantRequests  int
		wantRemaining int
	}{
		{"a lower reported limit lowers the budget to 90% of it", 180, 100, 50, 90, 50},
		{"a higher reported limit keeps the configured budget", 180, 1000, 900, 180, 900},
		{"no headers change nothing", 180, -1, -1, 180, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := NewLimiter(RateLimit{Requests: tt.configured, Window: time.Minute})
				l.observe(200, RateLimitState{Limit: tt.limit, Remaining: tt.remaining})
				st := l.Stats()
				got := []int{st.Requests, st.ReportedRemaining}
				if diff := cmp.Diff([]int{tt.wantRequests, tt.wantRemaining}, got); diff != "" {
					t.Errorf("budget, remaining (-want +got):\n%s", diff)
				}
			})
		})
	}
}
