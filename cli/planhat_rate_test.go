package cli

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/planhat"
)

func TestParsePlanhatRate(t *testing.T) {
	t.Parallel()
	none := planhat.NoRateLimit()
	tests := []struct {
		in      string
		want    *planhat.RateLimit
		wantErr bool
	}{
		{"", nil, false},
		{"200/60s", &planhat.RateLimit{Requests: 200, Window: time.Minute}, false},
		{"100/1m", &planhat.RateLimit{Requests: 100, Window: time.Minute}, false},
		{" 50 / 500ms ", &planhat.RateLimit{Requests: 50, Window: 500 * time.Millisecond}, false},
		{"0", &none, false},
		{"none", &none, false},
		{"NONE", &none, false},
		{"abc", nil, true},
		{"200", nil, true},
		{"200/", nil, true},
		{"/60s", nil, true},
		{"-5/60s", nil, true},
		{"0/60s", nil, true},
		{"200/0s", nil, true},
		{"200/-1m", nil, true},
		{"200/60", nil, true}, // a window needs its unit
		{"2.5/1m", nil, true},
	}
	for _, tt := range tests {
		got, err := parsePlanhatRate(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parsePlanhatRate(%q) error = %v, want error %t", tt.in, err, tt.wantErr)
			continue
		}
		if err != nil {
			want := `PLANHAT_RATE="` + tt.in + `": use REQUESTS/WINDOW such as 200/60s, or 0 for none`
			if err.Error() != want {
				t.Errorf("parsePlanhatRate(%q) error = %q, want %q", tt.in, err, want)
			}
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parsePlanhatRate(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// TestPlanhatRateReachesTheClient checks that the REST door's (and call's)
// client is paced by PLANHAT_RATE, and that 0 turns pacing off.
func TestPlanhatRateReachesTheClient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rate          string
		wantUnlimited bool
		wantBudget    string
	}{
		{"", false, "180/1m0s"},
		{"200/60s", false, "200/1m0s"},
		{"0", true, "none"},
	}
	for _, tt := range tests {
		f := planhatFlags{PlanhatToken: "tok", PlanhatAPIURL: "http://127.0.0.1:1", PlanhatRate: tt.rate}
		c, err := f.planhatClient(nil, nil, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		cfg := c.Limiter().Config()
		if cfg.Unlimited != tt.wantUnlimited || cfg.String() != tt.wantBudget {
			t.Errorf("PLANHAT_RATE=%q: limiter %s (unlimited %t), want %s (unlimited %t)", tt.rate, cfg, cfg.Unlimited, tt.wantBudget, tt.wantUnlimited)
		}
	}
	f := planhatFlags{PlanhatToken: "tok", PlanhatRate: "fast"}
	if _, err := f.planhatClient(nil, nil, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "PLANHAT_RATE") {
		t.Errorf("a bad PLANHAT_RATE: err = %v, want one naming PLANHAT_RATE", err)
	}
}
