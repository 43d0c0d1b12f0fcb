package planhat

import (
	"math/rand/v2"
	"time"
)

// RetryPolicy controls retries of calls that cannot create duplicates (GET, DELETE, PUT by
// id, and bulk PUT when every item carries a keyable). POSTs are never retried.
type RetryPolicy struct {
	// MaxRetries is the number of retries after the first attempt; 0 disables retries.
	MaxRetries int
	// MinBackoff is the first backoff (default 500 ms); each retry doubles it.
	MinBackoff time.Duration
	// MaxBackoff caps the backoff (default 30 s).
	MaxBackoff time.Duration
	// MaxRetryAfter caps how long a Retry-After header may make a call wait before its retry
	// (default 2 min). On the main host a 429 instead pauses the Limiter, for at most 5
	// minutes, and the retry waits that pause out if it fits in Options.MaxWait; otherwise
	// the call fails at once with a RateLimitError.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy returns 3 retries, 500 ms doubling to at most 30 s, jittered.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxRetries: 3, MinBackoff: 500 * time.Millisecond, MaxBackoff: 30 * time.Second, MaxRetryAfter: 2 * time.Minute}
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
	if p.MaxRetries < 0 {
		p.MaxRetries = 0
	}
	if p.MinBackoff <= 0 {
		p.MinBackoff = d.MinBackoff
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = d.MaxBackoff
	}
	p.MaxBackoff = max(p.MaxBackoff, p.MinBackoff)
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = d.MaxRetryAfter
	}
	return p
}

// backoff returns the jittered wait before retry number attempt+1: half the capped
// exponential value plus a random share of the other half, so clients spread out.
func (p RetryPolicy) backoff(attempt int) time.Duration {
	d := p.MinBackoff
	for range attempt {
		if d >= p.MaxBackoff/2 {
			d = p.MaxBackoff
			break
		}
		d *= 2
	}
	d = min(d, p.MaxBackoff)
	half := d / 2
	return half + rand.N(half+1)
}
