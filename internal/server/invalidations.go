package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/planbridge/planbridge/readcache"
)

// InvalidationChannel is the NOTIFY channel read-cache invalidations travel on (scoped to
// the store's schema by the Notifier).
const InvalidationChannel = "planbridge_readcache"

// Notifier publishes and listens on a database's notification channels: pgstore.Store on
// PostgreSQL (LISTEN/NOTIFY).
type Notifier interface {
	Notify(ctx context.Context, channel, payload string) error
	Listen(ctx context.Context, channel string, ready func(reconnected bool), receive func(payload string)) error
}

// invalidationMsg is one invalidation on the wire. Scope is readcache.Scope's fingerprint:
// a token never leaves the process.
type invalidationMsg struct {
	Replica string `json:"replica"`
	Scope   string `json:"scope"`
	Model   string `json:"model"`
	ID      string `json:"id,omitempty"`
}

// maxNotifiedID bounds a record id carried for information, far below NOTIFY's 8000 bytes.
const maxNotifiedID = 200

// ShareInvalidations makes cache's invalidations reach every replica on n's database and
// applies theirs to cache, until ctx ends; the returned channel closes once both loops
// have stopped. Each replica tags what it publishes with a random id and ignores its own
// messages, and applies others' with readcache.Cache.Apply, which publishes nothing, so no
// invalidation echoes. After the listening connection reconnected, everything cached is
// forgotten, since invalidations published meanwhile were lost.
//
// Publishing is asynchronous, so a write never waits for the database; should the queue
// overflow (the database unreachable), an invalidation is dropped and logged, and the other
// replicas serve the old answer at most until its TTL.
func ShareInvalidations(ctx context.Context, cache *readcache.Cache, n Notifier, logger *slog.Logger) <-chan struct{} {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	replica := hex.EncodeToString(b)

	queue := make(chan invalidationMsg, 1024)
	cache.OnInvalidate(func(inv readcache.Invalidation) {
		id := inv.ID
		if len(id) > maxNotifiedID {
			id = ""
		}
		select {
		case queue <- invalidationMsg{Replica: replica, Scope: inv.Scope, Model: inv.Model, ID: id}:
		default:
			logger.Warn("read cache: invalidation queue full; other replicas may serve this model until its TTL", "model", inv.Model)
		}
	})

	done := make(chan struct{})
	published := make(chan struct{})
	go func() {
		defer close(published)
		for {
			select {
			case <-ctx.Done():
				return
			case m := <-queue:
				payload, _ := json.Marshal(m)
				pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				if err := n.Notify(pctx, InvalidationChannel, string(payload)); err != nil && ctx.Err() == nil {
					logger.Warn("read cache: publishing an invalidation failed; other replicas may serve this model until its TTL", "model", m.Model, "error", err.Error())
				}
				cancel()
			}
		}
	}()
	go func() {
		defer close(done)
		_ = n.Listen(ctx, InvalidationChannel, func(reconnected bool) {
			if reconnected {
				cache.InvalidateAll()
				logger.Info("read cache: listening for other replicas' invalidations again; forgot every cached read, as some may have been missed")
			}
		}, func(payload string) {
			var m invalidationMsg
			if err := json.Unmarshal([]byte(payload), &m); err != nil || m.Scope == "" || m.Model == "" {
				logger.Warn("read cache: ignoring a malformed invalidation notification", "bytes", len(payload))
				return
			}
			if m.Replica == replica {
				return
			}
			cache.Apply(readcache.Invalidation{Scope: m.Scope, Model: m.Model, ID: m.ID})
		})
		<-published
	}()
	return done
}
