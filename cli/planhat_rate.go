package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/planbridge/planbridge/planhat"
)

// parsePlanhatRate reads PLANHAT_RATE (--planhat-rate): "REQUESTS/WINDOW"
// such as "200/60s" or "100/1m", "0" or "none" for no pacing at all, and
// "" for the planhat client's default (180/min). The other pacing settings
// (burst, per-second and concurrency caps) keep their defaults.
func parsePlanhatRate(v string) (*planhat.RateLimit, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	switch s {
	case "":
		return nil, nil
	case "0", "none", "off", "unlimited":
		rl := planhat.NoRateLimit()
		return &rl, nil
	}
	bad := fmt.Errorf("PLANHAT_RATE=%q: use REQUESTS/WINDOW such as 200/60s, or 0 for none", v)
	n, w, ok := strings.Cut(s, "/")
	if !ok {
		return nil, bad
	}
	requests, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || requests <= 0 {
		return nil, bad
	}
	window, err := time.ParseDuration(strings.TrimSpace(w))
	if err != nil || window <= 0 {
		return nil, bad
	}
	return &planhat.RateLimit{Requests: requests, Window: window}, nil
}
