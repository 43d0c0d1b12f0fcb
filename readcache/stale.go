package readcache

import (
	"context"
	"sync"
	"time"
)

// Reasons a StaleNote gives for an answer served past its TTL.
const (
	// StaleRateLimited: the read that should have refreshed it was rate limited.
	StaleRateLimited = "rate-limited"
	// StaleRevalidating: it is being refreshed in the background (stale-while-revalidate).
	StaleRevalidating = "revalidating"
)

// StaleNote records the answers a cache served past their TTL while one call ran, so a
// door can tell its caller (a response header) without changing the answer's shape.
type StaleNote struct {
	mu     sync.Mutex
	age    time.Duration
	reason string
}

type staleNoteKey struct{}

// NoteStale returns ctx carrying a StaleNote that every Read under it fills: the one ctx
// already carries, if any, so a door and the action pipeline share one.
func NoteStale(ctx context.Context) (context.Context, *StaleNote) {
	if n, ok := ctx.Value(staleNoteKey{}).(*StaleNote); ok {
		return ctx, n
	}
	n := &StaleNote{}
	return context.WithValue(ctx, staleNoteKey{}, n), n
}

// Stale reports whether a stale answer was served and, of the oldest one, its age (since
// Planhat gave it) and why it was served (StaleRateLimited or StaleRevalidating).
func (n *StaleNote) Stale() (age time.Duration, reason string, ok bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.age, n.reason, n.reason != ""
}

// noteStale records on ctx's StaleNote, if any, an answer of age served for reason.
func noteStale(ctx context.Context, age time.Duration, reason string) {
	n, _ := ctx.Value(staleNoteKey{}).(*StaleNote)
	if n == nil {
		return
	}
	n.mu.Lock()
	if n.reason == "" || age > n.age {
		n.age, n.reason = age, reason
	}
	n.mu.Unlock()
}
