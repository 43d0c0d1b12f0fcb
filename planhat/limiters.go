package planhat

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Limiters hands out one Limiter per token and base URL to whoever builds many clients,
// such as a server with a client per Botpress configuration. It is safe for concurrent use.
//
// A holder takes a limiter with Acquire and gives it back with the returned release func
// when it drops its client (a cache eviction, say). A limiter nobody holds is kept while it
// still carries state a fresh one would lack (a 429 pause, calls in flight, a partly spent
// bucket), so a client built again for the same token after an eviction waits out the
// pause instead of bursting; once at rest it is dropped, which keeps the set as small as
// the holders' caches.
type Limiters struct {
	cfg    RateLimit
	shared SharedBudget
	onWait func(WaitInfo)

	mu sync.Mutex
	m  map[[sha256.Size]byte]*heldLimiter
}

type heldLimiter struct {
	lim     *Limiter
	holders int
}

// NewLimiters returns an empty set whose limiters use cfg (zero fields take the defaults).
func NewLimiters(cfg RateLimit) *Limiters {
	return &Limiters{cfg: cfg, m: make(map[[sha256.Size]byte]*heldLimiter)}
}

// Share makes the limiters built from now on draw their budget from b, a bucket per token
// that other processes share (see SharedBudget); call it before the first Acquire.
func (s *Limiters) Share(b SharedBudget) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shared = b
}

// OnWait makes the limiters built from now on report every call's wait to f (for metrics);
// f must be fast and safe for concurrent use. Call it before the first Acquire.
func (s *Limiters) OnWait(f func(WaitInfo)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onWait = f
}

// Stats returns a snapshot of every limiter the set keeps.
func (s *Limiters) Stats() []LimiterStats {
	s.mu.Lock()
	lims := make([]*Limiter, 0, len(s.m))
	for _, h := range s.m {
		lims = append(lims, h.lim)
	}
	s.mu.Unlock()
	out := make([]LimiterStats, 0, len(lims))
	for _, l := range lims {
		out = append(out, l.Stats())
	}
	return out
}

// Config returns the configuration the set's limiters are built with.
func (s *Limiters) Config() RateLimit { return s.cfg }

// Acquire returns the limiter for token and baseURL, building it on first use, and the
// func to call (once) when the caller no longer holds a client that uses it.
func (s *Limiters) Acquire(token, baseURL string) (*Limiter, func()) {
	return s.AcquireRate(token, baseURL, nil)
}

// AcquireRate is Acquire for a token whose own budget cfg (when not nil) replaces the set's,
// such as one a Botpress configuration names. The budget is the one the limiter was built
// with: while a limiter of the token is held or carries state, a different cfg is ignored.
func (s *Limiters) AcquireRate(token, baseURL string, cfg *RateLimit) (*Limiter, func()) {
	key := limiterKey(token, baseURL)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(time.Now())
	h, ok := s.m[key]
	if !ok {
		c := s.cfg
		if cfg != nil {
			c = *cfg
		}
		lim := NewLimiter(c)
		lim.fp, lim.key, lim.onWait = fingerprint(strings.TrimSpace(token)), hex.EncodeToString(key[:16]), s.onWait
		if !lim.cfg.Unlimited {
			lim.shared = s.shared
		}
		h = &heldLimiter{lim: lim}
		s.m[key] = h
	}
	h.holders++
	var once sync.Once
	return h.lim, func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			h.holders--
			s.sweepLocked(time.Now())
		})
	}
}

// Len reports how many limiters the set keeps, held or still carrying state.
func (s *Limiters) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(time.Now())
	return len(s.m)
}

// sweepLocked drops the limiters nobody holds that are back at rest. The set only grows by
// Acquire, which sweeps first, so unheld entries are bounded by the calls made within one
// pause or refill.
func (s *Limiters) sweepLocked(now time.Time) {
	for k, h := range s.m {
		if h.holders <= 0 && h.lim.atRest(now) {
			delete(s.m, k)
		}
	}
}

// limiterKey hashes the token with the normalised base URL: the same tenant reached at
// "https://API.planhat.com/" and "https://api.planhat.com" is one quota.
func limiterKey(token, baseURL string) [sha256.Size]byte {
	base := strings.TrimRight(strings.TrimSpace(baseURL), "/")
	if u, err := url.Parse(base); err == nil {
		u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
		base = u.String()
	}
	return sha256.Sum256([]byte(strings.TrimSpace(token) + "\x00" + base))
}
