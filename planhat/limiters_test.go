package planhat_test

import (
	"github.com/planbridge/planbridge/planhat/planhatemu"
	"testing"
	"testing/synctest"
	"time"

	"github.com/planbridge/planbridge/planhat"
)

func TestLimitersOnePerTokenAndBaseURL(t *testing.T) {
	s := planhat.NewLimiters(planhat.RateLimit{})
	a, _ := s.Acquire("tok", "https://api.planhat.com")
	tests := []struct {
		name        string
		token, base string
		same        bool
	}{
		{"same token and URL", "tok", "https://api.planhat.com", true},
		{"same origin spelled differently", "tok", "https://API.planhat.com/", true},
		{"another region", "tok", "https://api-eu.planhat.com", false},
		{"another token", "other", "https://api.planhat.com", false},
	}
	for _, tt := range tests {
		if b, _ := s.Acquire(tt.token, tt.base); (a == b) != tt.same {
			t.Errorf("%s: shared = %t, want %t", tt.name, a == b, tt.same)
		}
	}
}

// TestLimitersKeepAPauseAfterRelease drops every holder of a limiter (a cache evicting the
// last client of a token): a paused limiter must survive, so the next client of that token
// waits the pause out instead of bursting, and go once the pause is over; a limiter at rest
// goes at once.
func TestLimitersKeepAPauseAfterRelease(t *testing.T) {
	tests := []struct {
		name      string
		pause     time.Duration
		after     time.Duration // fake time between the release and the next Acquire
		wantKept  bool
		wantPause bool
	}{
		{"paused: the next holder gets the same paused limiter", time.Minute, 10 * time.Second, true, true},
		{"pause over: dropped", time.Minute, 2 * time.Minute, false, false},
		{"at rest: dropped", 0, 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := planhat.NewLimiters(planhat.RateLimit{Requests: 60, Window: time.Minute, Burst: 5})
				l, release := s.Acquire("tok", "https://api.planhat.com")
				if tt.pause > 0 {
					l.Pause(time.Now().Add(tt.pause))
				}
				release()
				release() // idempotent
				time.Sleep(tt.after)
				if got := s.Len(); got != map[bool]int{true: 1, false: 0}[tt.wantKept] {
					t.Errorf("Len = %d after the release, want kept = %t", got, tt.wantKept)
				}
				next, _ := s.Acquire("tok", "https://api.planhat.com")
				if (next == l) != tt.wantKept {
					t.Errorf("same limiter = %t, want %t", next == l, tt.wantKept)
				}
				if paused := !next.PausedUntil().IsZero(); paused != tt.wantPause {
					t.Errorf("paused = %t, want %t", paused, tt.wantPause)
				}
			})
		})
	}
}

// TestLimitersKeepASpentBucket releases a limiter right after a burst of calls: a fresh one
// would allow another burst at once, so the spent one is kept until it has refilled.
func TestLimitersKeepASpentBucket(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := planhatemu.New(planhatemu.WithToken(testToken), planhatemu.WithRateLimit(0, 0))
		s := planhat.NewLimiters(planhat.RateLimit{Requests: 60, Window: time.Minute, Burst: 3})
		l, release := s.Acquire(testToken, "http://planhat.pipe")
		c := pipeClient(t, srv, func(o *planhat.Options) { o.Limiter = l })
		for range 3 {
			if err := c.Ping(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		release()
		kept := s.Len()
		time.Sleep(3 * time.Second) // 1 call/s refills the burst of 3
		if got := []int{kept, s.Len()}; got[0] != 1 || got[1] != 0 {
			t.Errorf("Len right after the release, and once refilled = %v, want [1 0]", got)
		}
	})
}
