// Package readcache keeps Planhat's answers to reads in memory, per token, so that a bot
// asking for the same company or contact turn after turn is answered at once and spends
// none of the tenant's budget.
//
// A Cache is bounded in bytes, not entries. Each model has its time to live; a not-found
// answer is kept too, for a shorter time. Identical reads in flight share one Planhat call.
// A write through planbridge forgets every cached read of the model it touched, as does
// Invalidate (Planhat's automation webhooks); OnInvalidate hands both to other replicas,
// which apply them with Apply. When Planhat (or the budget) refuses a read with a rate limit, the last answer
// is served instead for a while (stale-if-rate-limited); optionally an expired answer is
// served while it is refreshed (stale-while-revalidate).
//
// The cache plugs into the planhat client through planhat.Options.ReadCache: For returns
// the view of one token.
package readcache

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/planbridge/planbridge/planhat"
)

// Defaults used when the corresponding Options field is zero.
const (
	// DefaultMaxBytes bounds the memory cached answers take.
	DefaultMaxBytes = 64 << 20
	// DefaultTTL is how long an answer is served from memory: short, because Planhat's
	// records change outside planbridge too and not every change sends a webhook.
	DefaultTTL = 30 * time.Second
	// DefaultNegativeTTL is how long a not-found answer is remembered.
	DefaultNegativeTTL = 10 * time.Second
	// DefaultStaleIfRateLimited is how long past its TTL an answer may stand in for a read
	// the rate limit refused.
	DefaultStaleIfRateLimited = 5 * time.Minute
)

// entryOverhead approximates what an entry costs beyond its key and body (list element,
// map slot, struct).
const entryOverhead = 256

// Options configure a Cache.
type Options struct {
	// MaxBytes bounds keys and bodies together (default 64 MiB).
	MaxBytes int64
	// TTL is the time to live of an answer (default 30 s; negative: nothing is cached unless
	// ModelTTL says otherwise).
	TTL time.Duration
	// ModelTTL overrides TTL per model, keyed by the API path's segment ("companies",
	// "endusers", "users", ...); a negative value turns caching off for that model.
	ModelTTL map[string]time.Duration
	// NegativeTTL is how long a not-found answer is kept (default 10 s; negative: never).
	NegativeTTL time.Duration
	// StaleWhileRevalidate, when positive, serves an answer up to that long past its TTL
	// while one call refreshes it in the background. Off by default: an answer is then
	// never older than its TTL.
	StaleWhileRevalidate time.Duration
	// StaleIfRateLimited is how long past its TTL an answer is served when the read that
	// should refresh it is rate limited (default 5 min; negative: never).
	StaleIfRateLimited time.Duration
}

func (o Options) withDefaults() Options {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.TTL == 0 {
		o.TTL = DefaultTTL
	}
	if o.NegativeTTL == 0 {
		o.NegativeTTL = DefaultNegativeTTL
	}
	if o.StaleIfRateLimited == 0 {
		o.StaleIfRateLimited = DefaultStaleIfRateLimited
	}
	return o
}

// Stats counts what a Cache did since it was built.
type Stats struct {
	// Hits are reads answered from memory (NegativeHits of them with not-found).
	Hits, NegativeHits uint64
	// Misses are reads that called Planhat; Coalesced are reads that shared another's call.
	Misses, Coalesced uint64
	// Stale counts answers served past their TTL: StaleRateLimited because the refresh was
	// rate limited, StaleRevalidating while a refresh ran.
	StaleRateLimited, StaleRevalidating uint64
	// Evictions are entries dropped to stay within MaxBytes; Invalidations are models
	// forgotten after a write or a webhook.
	Evictions, Invalidations uint64
	// Entries and Bytes are what the cache holds now.
	Entries int
	Bytes   int64
}

// Cache is a read cache shared by every token's clients. It is safe for concurrent use.
type Cache struct {
	opts Options

	mu      sync.Mutex
	lru     *list.List // front = most recently used; values are *entry
	entries map[string]*list.Element
	gens    map[string]uint64 // scope + "\x00" + model -> generation
	epoch   uint64            // added to every generation: bumped by InvalidateAll
	flights map[string]*flight
	bytes   int64

	onInvalidate atomic.Pointer[func(Invalidation)]

	hits, negHits, misses, coalesced, staleRL, staleSWR, evictions, invalidations atomic.Uint64
}

type entry struct {
	key      string
	genKey   string
	gen      uint64
	answer   *planhat.CachedAnswer
	err      error // a not-found answer
	storedAt time.Time
	expires  time.Time
	size     int64
}

// flight is one call to Planhat that identical reads wait for.
type flight struct {
	done   chan struct{}
	answer *planhat.CachedAnswer
	err    error
}

// New returns an empty cache.
func New(opts Options) *Cache {
	return &Cache{opts: opts.withDefaults(), lru: list.New(), entries: map[string]*list.Element{},
		gens: map[string]uint64{}, flights: map[string]*flight{}}
}

// Scope names one token and base URL without revealing the token: a full SHA-256, since
// two tenants sharing a scope would share answers.
func Scope(token, baseURL string) string {
	base := strings.TrimRight(strings.TrimSpace(baseURL), "/")
	if u, err := url.Parse(base); err == nil {
		u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
		base = u.String()
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(token) + "\x00" + base))
	return hex.EncodeToString(sum[:])
}

// For returns the view of the cache one token's clients use (see Scope); a nil Cache
// returns nil, which a planhat client takes as no cache.
func (c *Cache) For(scope string) planhat.ReadCache {
	if c == nil {
		return nil
	}
	return &view{c: c, scope: scope}
}

// Invalidation names what a write or a webhook made obsolete: every cached read of Model
// (an API path segment such as "companies") in Scope (see Scope: a fingerprint, never the
// token). ID is the record's when known; the cache forgets the whole model regardless,
// because lists and finds may hold the record too.
type Invalidation struct {
	Scope, Model, ID string
}

// OnInvalidate makes every invalidation made in this process, by a write or by Invalidate,
// call f (for LISTEN/NOTIFY to other replicas); invalidations received through Apply do
// not, so a replica never echoes another's.
func (c *Cache) OnInvalidate(f func(Invalidation)) { c.onInvalidate.Store(&f) }

// Invalidate forgets every cached read of model (an API path segment such as "companies")
// in scope, as after a webhook saying such a record changed, and tells OnInvalidate.
func (c *Cache) Invalidate(scope, model string) { c.InvalidateRecord(scope, model, "") }

// InvalidateRecord is Invalidate naming the record that changed, for the other replicas'
// logs.
func (c *Cache) InvalidateRecord(scope, model, id string) {
	inv := Invalidation{Scope: scope, Model: model, ID: id}
	c.Apply(inv)
	if f := c.onInvalidate.Load(); f != nil {
		(*f)(inv)
	}
}

// Apply forgets what inv names without telling OnInvalidate: for invalidations another
// replica published.
func (c *Cache) Apply(inv Invalidation) {
	c.mu.Lock()
	c.gens[inv.Scope+"\x00"+inv.Model]++
	c.mu.Unlock()
	c.invalidations.Add(1)
}

// InvalidateAll forgets every cached read, such as after invalidations from other replicas
// may have been missed (the connection carrying them dropped).
func (c *Cache) InvalidateAll() {
	c.mu.Lock()
	c.epoch++
	c.mu.Unlock()
	c.invalidations.Add(1)
}

// Stats returns the counters and the current size.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	entries, bytes := c.lru.Len(), c.bytes
	c.mu.Unlock()
	return Stats{Hits: c.hits.Load(), NegativeHits: c.negHits.Load(), Misses: c.misses.Load(), Coalesced: c.coalesced.Load(),
		StaleRateLimited: c.staleRL.Load(), StaleRevalidating: c.staleSWR.Load(), Evictions: c.evictions.Load(),
		Invalidations: c.invalidations.Load(), Entries: entries, Bytes: bytes}
}

// ttl returns the time to live of model's answers; zero or less means not cached.
func (c *Cache) ttl(model string) time.Duration {
	if d, ok := c.opts.ModelTTL[model]; ok {
		return d
	}
	return c.opts.TTL
}

type view struct {
	c     *Cache
	scope string
}

func (v *view) Wrote(model string) { v.c.Invalidate(v.scope, model) }

func (v *view) Read(ctx context.Context, r planhat.CachedRead, fetch func(context.Context) (*planhat.CachedAnswer, error)) (*planhat.CachedAnswer, error) {
	c := v.c
	ttl := c.ttl(r.Model)
	if ttl <= 0 {
		return fetch(ctx)
	}
	key := v.scope + "\x00" + r.Key
	genKey := v.scope + "\x00" + r.Model
	now := time.Now()

	c.mu.Lock()
	gen := c.genLocked(genKey)
	e := c.lookupLocked(key, gen)
	if e != nil && !r.Fresh {
		switch {
		case now.Before(e.expires):
			c.lru.MoveToFront(c.entries[key])
			c.mu.Unlock()
			c.hits.Add(1)
			if e.err != nil {
				c.negHits.Add(1)
			}
			return e.answer, e.err
		case e.err == nil && c.opts.StaleWhileRevalidate > 0 && now.Before(e.expires.Add(c.opts.StaleWhileRevalidate)):
			c.startLocked(ctx, key, genKey, gen, ttl, fetch)
			c.mu.Unlock()
			c.staleSWR.Add(1)
			noteStale(ctx, now.Sub(e.storedAt), StaleRevalidating)
			return e.answer, nil
		}
	}
	f, joined := c.flights[key]
	if !joined || r.Fresh {
		f = c.startLocked(ctx, key, genKey, gen, ttl, fetch)
	}
	c.mu.Unlock()
	if joined && !r.Fresh {
		c.coalesced.Add(1)
	} else {
		c.misses.Add(1)
	}

	select {
	case <-f.done:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	if f.err != nil && errors.Is(f.err, planhat.ErrRateLimited) && !r.Fresh && e != nil && e.err == nil &&
		c.opts.StaleIfRateLimited > 0 && time.Now().Before(e.expires.Add(c.opts.StaleIfRateLimited)) {
		c.mu.Lock()
		// Not if a write or webhook made it obsolete while the call was refused.
		still := c.genLocked(genKey) == e.gen
		c.mu.Unlock()
		if still {
			c.staleRL.Add(1)
			noteStale(ctx, time.Since(e.storedAt), StaleRateLimited)
			return e.answer, nil
		}
	}
	return f.answer, f.err
}

// genLocked is the generation of genKey's answers: both terms only grow, so any
// invalidation changes it.
func (c *Cache) genLocked(genKey string) uint64 { return c.gens[genKey] + c.epoch }

// lookupLocked returns the entry for key if no invalidation of its model followed it.
func (c *Cache) lookupLocked(key string, gen uint64) *entry {
	el, ok := c.entries[key]
	if !ok {
		return nil
	}
	e := el.Value.(*entry)
	if e.gen != gen {
		c.removeLocked(el)
		return nil
	}
	return e
}

// startLocked starts the Planhat call of key in the background and registers it for
// identical reads to join. It runs detached from the caller's cancellation, because others
// may wait for it; the client's own timeouts and the rate-limit bound still apply.
func (c *Cache) startLocked(ctx context.Context, key, genKey string, gen uint64, ttl time.Duration, fetch func(context.Context) (*planhat.CachedAnswer, error)) *flight {
	if f, ok := c.flights[key]; ok {
		// A refresh (stale-while-revalidate) never starts a second call.
		select {
		case <-f.done:
		default:
			return f
		}
	}
	f := &flight{done: make(chan struct{})}
	c.flights[key] = f
	detached := context.WithoutCancel(ctx)
	go func() {
		ans, err := fetch(detached)
		f.answer, f.err = ans, err
		c.mu.Lock()
		if c.flights[key] == f {
			delete(c.flights, key)
		}
		// An answer fetched before a write or webhook landed may predate it: not kept.
		if c.genLocked(genKey) == gen {
			now := time.Now()
			switch {
			case err == nil:
				c.storeLocked(&entry{key: key, genKey: genKey, gen: gen, answer: ans, storedAt: now, expires: now.Add(ttl)})
			case errors.Is(err, planhat.ErrNotFound) && c.opts.NegativeTTL > 0:
				c.storeLocked(&entry{key: key, genKey: genKey, gen: gen, err: err, storedAt: now, expires: now.Add(min(ttl, c.opts.NegativeTTL))})
			}
		}
		c.mu.Unlock()
		close(f.done)
	}()
	return f
}

func (c *Cache) storeLocked(e *entry) {
	e.size = int64(len(e.key)) + entryOverhead
	if e.answer != nil {
		e.size += int64(len(e.answer.Body) + len(e.answer.ContentType))
	}
	if e.size > c.opts.MaxBytes/8 {
		return // one answer may not push out most of the others
	}
	if el, ok := c.entries[e.key]; ok {
		c.removeLocked(el)
	}
	c.entries[e.key] = c.lru.PushFront(e)
	c.bytes += e.size
	for c.bytes > c.opts.MaxBytes {
		c.removeLocked(c.lru.Back())
		c.evictions.Add(1)
	}
}

func (c *Cache) removeLocked(el *list.Element) {
	e := c.lru.Remove(el).(*entry)
	delete(c.entries, e.key)
	c.bytes -= e.size
}
