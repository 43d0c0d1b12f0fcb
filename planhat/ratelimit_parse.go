package planhat

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseRateLimit reads a budget written "REQUESTS/WINDOW", such as "200/60s" or "100/1m";
// "0" or "none" means no pacing at all, and "" returns nil (the default). The other pacing
// settings (burst, per-second and concurrency caps) keep their defaults.
func ParseRateLimit(v string) (*RateLimit, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	switch s {
	case "":
		return nil, nil
	case "0", "none", "off", "unlimited":
		rl := NoRateLimit()
		return &rl, nil
	}
	bad := fmt.Errorf("planhat: rate %q: use REQUESTS/WINDOW such as 200/60s, or 0 for none", v)
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
	return &RateLimit{Requests: requests, Window: window}, nil
}
