package integrations

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"sync"
)

// TokenFingerprint is the label a token is known by in logs and metrics:
// the first 12 hex digits of its SHA-256. It identifies a token across log
// lines without revealing it.
func TokenFingerprint(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:6])
}

// clientCache is a bounded LRU of clients keyed by a hash of everything
// that identifies them (token, URLs), so each distinct configuration gets
// exactly one client, and memory stays bounded however many arrive. Each
// entry may hold a resource (the client's rate limiter) that it gives back
// through its release func when evicted.
type clientCache[C any] struct {
	mu    sync.Mutex
	max   int
	order *list.List // front = most recently used; values are *cacheEntry[C]
	byKey map[[sha256.Size]byte]*list.Element
}

type cacheEntry[C any] struct {
	key     [sha256.Size]byte
	client  C
	release func() // nil when the client holds nothing
}

func newClientCache[C any](max int) *clientCache[C] {
	if max <= 0 {
		max = 256
	}
	return &clientCache[C]{max: max, order: list.New(), byKey: make(map[[sha256.Size]byte]*list.Element)}
}

// cacheKey hashes the parts with separators so ("ab","c") ≠ ("a","bc").
func cacheKey(parts ...string) [sha256.Size]byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// get returns the cached client for key, building it with build on a miss.
// build runs under the lock: construction is cheap (no I/O), and holding
// the lock guarantees one client per key even under concurrent misses. The
// release func build returns (if not nil) runs when the entry is evicted.
func (c *clientCache[C]) get(key [sha256.Size]byte, build func() (C, func(), error)) (C, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*cacheEntry[C]).client, nil
	}
	client, release, err := build()
	if err != nil {
		var zero C
		return zero, err
	}
	c.byKey[key] = c.order.PushFront(&cacheEntry[C]{key: key, client: client, release: release})
	for c.order.Len() > c.max {
		old := c.order.Back()
		c.order.Remove(old)
		e := old.Value.(*cacheEntry[C])
		delete(c.byKey, e.key)
		if e.release != nil {
			e.release()
		}
	}
	return client, nil
}

// len reports how many clients are cached.
func (c *clientCache[C]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
