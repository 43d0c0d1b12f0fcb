package planhat

import "testing"

// FuzzParseRateLimit checks that an accepted PLANHAT_RATE is a usable
// pace: unlimited, or positive requests over a positive window.
func FuzzParseRateLimit(f *testing.F) {
	for _, s := range []string{"", "0", "none", "200/60s", "180/1m", "18/6s", "1/0s", "-5/1m", "5/-1m", "9999999999999999999/1s", "abc", "200/", "/60s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rl, err := ParseRateLimit(s)
		if err != nil || rl == nil || rl.Unlimited {
			return
		}
		if rl.Requests <= 0 || rl.Window <= 0 {
			t.Fatalf("ParseRateLimit(%q) = %+v: want positive requests and window", s, *rl)
		}
	})
}
