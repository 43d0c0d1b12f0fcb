package pgstore

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Reconnection backoff of Listen: quick after a blip, at most a few calls a minute while
// the server is down.
const (
	listenBackoffMin = 100 * time.Millisecond
	listenBackoffMax = 30 * time.Second
)

// channel scopes name to the store's schema: NOTIFY channels span the database, and two
// deployments in two schemas must not hear each other. The hash keeps the name within
// PostgreSQL's 63 bytes whatever the schema is called.
func (s *Store) channel(name string) string {
	h := fnv.New64a()
	h.Write([]byte(s.schema))
	return fmt.Sprintf("%s_%016x", name, h.Sum64())
}

// Notify publishes payload (at most 8000 bytes, PostgreSQL's limit) on channel to every
// connection listening to it through Listen on this database and schema, this process's
// included. It is delivered once the statement commits, at most once, and only to
// listeners connected at the time.
func (s *Store) Notify(ctx context.Context, channel, payload string) error {
	if _, err := s.db.ExecContext(ctx, "SELECT pg_notify($1, $2)", s.channel(channel), payload); err != nil {
		return fmt.Errorf("pgstore: notify %s: %w", channel, err)
	}
	return nil
}

// Listen receives the payloads Notify publishes on channel until ctx ends, on a connection
// of its own (a pooled one could be handed to another query mid-wait). When the connection
// drops it reconnects, waiting from 100 ms doubling to 30 s between attempts. ready is
// called each time LISTEN is in place, reconnected being false the first time only: what
// was published while no connection listened is lost, so the caller makes up for it then.
// receive is called from Listen's goroutine, one payload at a time. Listen returns ctx's
// cause.
func (s *Store) Listen(ctx context.Context, channel string, ready func(reconnected bool), receive func(payload string)) error {
	backoff := listenBackoffMin
	connected := false
	for {
		err := s.listenOnce(ctx, channel, func() {
			ready(connected)
			connected = true
			backoff = listenBackoffMin
		}, receive)
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		s.logger.WarnContext(ctx, "pgstore: listening for notifications failed; reconnecting", "channel", channel, "error", err.Error(), "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, listenBackoffMax)
	}
}

// listenOnce connects, listens and receives until the connection or ctx fails.
func (s *Store) listenOnce(ctx context.Context, channel string, ready func(), receive func(string)) error {
	cfg, err := pgx.ParseConfig(s.url)
	if err != nil {
		return fmt.Errorf("the database URL: %w", err)
	}
	cfg.RuntimeParams["search_path"] = QuoteIdent(s.schema)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect to %s:%d/%s as %s: %w (is the server up?)", cfg.Host, cfg.Port, cfg.Database, cfg.User, err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+QuoteIdent(s.channel(channel))); err != nil {
		return fmt.Errorf("LISTEN: %w", err)
	}
	ready()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		receive(n.Payload)
	}
}
