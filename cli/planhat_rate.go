package cli

import (
	"fmt"

	"github.com/planbridge/planbridge/planhat"
)

// parsePlanhatRate reads PLANHAT_RATE (--planhat-rate): "REQUESTS/WINDOW"
// such as "200/60s" or "100/1m", "0" or "none" for no pacing at all, and
// "" for the planhat client's default (180/min). The other pacing settings
// (burst, per-second and concurrency caps) keep their defaults.
func parsePlanhatRate(v string) (*planhat.RateLimit, error) {
	rl, err := planhat.ParseRateLimit(v)
	if err != nil {
		return nil, fmt.Errorf("PLANHAT_RATE=%q: use REQUESTS/WINDOW such as 200/60s, or 0 for none", v)
	}
	return rl, nil
}
