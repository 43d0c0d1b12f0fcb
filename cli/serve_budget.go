package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/readcache"
)

// budgetFlags are serve's settings of the Planhat budget's priorities and of the read cache.
type budgetFlags struct {
	PlanhatMaxWait         time.Duration `name:"planhat-max-wait" env:"PLANHAT_MAX_WAIT" default:"2s" help:"Longest an interactive call (a bot or agent waiting) waits for its token's Planhat budget before it is answered rate_limited with the real retry-after (or from the read cache)."`
	PlanhatBackgroundShare float64       `name:"planhat-background-share" env:"PLANHAT_BACKGROUND_SHARE" default:"0.2" help:"Part of each token's budget guaranteed to background work (outbox deliveries) while interactive calls queue, between 0 and 1."`

	CacheMB                   int           `name:"cache-mb" env:"PLANBRIDGE_CACHE_MB" default:"64" help:"Memory for the read cache of Planhat answers, in MiB; 0 turns it off."`
	CacheTTL                  string        `name:"cache-ttl" env:"PLANBRIDGE_CACHE_TTL" default:"30s" help:"How long a cached Planhat answer is served: one duration, optionally followed by per-model ones (API path names), e.g. 30s,companies=60s,users=5m,tasks=0 (0: not cached)."`
	CacheNegativeTTL          time.Duration `name:"cache-negative-ttl" env:"PLANBRIDGE_CACHE_NEGATIVE_TTL" default:"10s" help:"How long a not-found answer is remembered; 0: never."`
	CacheStaleIfRateLimited   time.Duration `name:"cache-stale-if-rate-limited" env:"PLANBRIDGE_CACHE_STALE_IF_RATE_LIMITED" default:"5m" help:"How long past its TTL a cached answer may stand in for a read the rate limit refused; 0: never."`
	CacheStaleWhileRevalidate time.Duration `name:"cache-stale-while-revalidate" env:"PLANBRIDGE_CACHE_STALE_WHILE_REVALIDATE" default:"0s" help:"When set, an answer up to this long past its TTL is served at once while it is refreshed in the background."`
}

// applyBudget checks the priority settings and puts them into budget.
func (f *budgetFlags) applyBudget(budget *planhat.RateLimit) error {
	if f.PlanhatMaxWait < 0 {
		return fmt.Errorf("PLANHAT_MAX_WAIT (--planhat-max-wait) is %s: use a positive duration such as 2s", f.PlanhatMaxWait)
	}
	if f.PlanhatBackgroundShare <= 0 || f.PlanhatBackgroundShare >= 1 {
		return fmt.Errorf("PLANHAT_BACKGROUND_SHARE (--planhat-background-share) is %g: use a fraction between 0 and 1 such as 0.2", f.PlanhatBackgroundShare)
	}
	budget.BackgroundShare = f.PlanhatBackgroundShare
	return nil
}

// maxWait is the interactive bound as the planhat client takes it (0 would mean its default).
func (f *budgetFlags) maxWait() time.Duration {
	return max(f.PlanhatMaxWait, time.Nanosecond)
}

// readCache builds the read cache, or nil when it is off.
func (f *budgetFlags) readCache() (*readcache.Cache, error) {
	if f.CacheMB < 0 {
		return nil, fmt.Errorf("PLANBRIDGE_CACHE_MB (--cache-mb) is %d: use a size in MiB such as 64, or 0 to turn the cache off", f.CacheMB)
	}
	if f.CacheMB == 0 {
		return nil, nil
	}
	ttl, perModel, err := parseCacheTTL(f.CacheTTL)
	if err != nil {
		return nil, err
	}
	off := func(d time.Duration) time.Duration {
		if d <= 0 {
			return -1 // readcache's "never"; its zero means the default
		}
		return d
	}
	return readcache.New(readcache.Options{
		MaxBytes: int64(f.CacheMB) << 20, TTL: ttl, ModelTTL: perModel,
		NegativeTTL: off(f.CacheNegativeTTL), StaleIfRateLimited: off(f.CacheStaleIfRateLimited),
		StaleWhileRevalidate: max(f.CacheStaleWhileRevalidate, 0),
	}), nil
}

// parseCacheTTL reads "30s,companies=60s,users=5m": the default, then per-model TTLs (0
// turns a model's caching off).
func parseCacheTTL(v string) (time.Duration, map[string]time.Duration, error) {
	bad := func(part string) error {
		return fmt.Errorf("PLANBRIDGE_CACHE_TTL=%q: %q is not understood; write a duration, optionally followed by model=duration pairs, e.g. 30s,companies=60s,users=5m", v, part)
	}
	ttl := readcache.DefaultTTL
	perModel := map[string]time.Duration{}
	for i, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		model, dur, named := strings.Cut(part, "=")
		if !named {
			dur = model
		}
		d, err := time.ParseDuration(strings.TrimSpace(dur))
		if err != nil || d < 0 || (!named && i > 0) {
			return 0, nil, bad(part)
		}
		if d == 0 {
			d = -1
		}
		if named {
			perModel[strings.ToLower(strings.TrimSpace(model))] = d
		} else {
			ttl = d
		}
	}
	return ttl, perModel, nil
}
