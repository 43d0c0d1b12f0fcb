// Package pgstore is planbridge's store on PostgreSQL, for several
// replicas sharing one database.
//
// Every write is its own short transaction on a pool of connections:
// PostgreSQL flushes the WAL of concurrent commits together by itself, and
// a transaction holds its row and key locks for one write only. (Queuing
// writes to one connection and committing them in batches, as
// sqlitestore does, measured slower here, and a batch taking several keys'
// locks could deadlock with another replica's.)
//
// Claims select rows FOR UPDATE SKIP LOCKED, so two replicas never claim
// the same item, and keyed items are enqueued under a transaction-scoped
// advisory lock per key, so their ids follow their commit order. It needs
// PostgreSQL 11 or later.
package pgstore

import (
	"cmp"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"runtime"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/planbridge/planbridge/store"
	"github.com/planbridge/planbridge/store/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tune a Store; the zero value uses the server's default schema.
type Options struct {
	// Schema, when set, holds planbridge's tables: it is created when
	// missing and is the search_path of every connection.
	Schema string
	// MaxConns caps the connection pool of writes; 0 means twice
	// GOMAXPROCS, at least 4. More connections than cores make concurrent
	// writes slower: on two cores, 4 connections append messages half
	// again as fast as 8. Reads have a pool of their own, of GOMAXPROCS
	// connections (at least 2), so they never wait for a writer's.
	MaxConns int
	// Logger gets migrations and failed commits; nil discards them.
	Logger *slog.Logger
}

// Store is a store.Store on PostgreSQL.
type Store struct {
	*sqlstore.Store
	url    string
	schema string // current_schema() of the pool's connections: scopes NOTIFY channels
	db     *sql.DB
	logger *slog.Logger
}

var _ store.Store = (*Store)(nil)

// Open connects to the PostgreSQL database at url (a postgres:// URL or
// key=value string, as libpq takes), applies the migrations it lacks and
// returns the store. Replicas starting at once take turns migrating.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	db, err := connect(ctx, url, opts)
	if err != nil {
		return nil, err
	}
	if _, err := migrate(ctx, db, opts); err != nil {
		db.Close()
		return nil, err
	}
	// Reads get a pool of their own: sharing the writers' pool, the
	// outbox's reads of what it delivers queued behind every intake write,
	// and under a steady intake (16 callers) a claimed batch waited seconds
	// for its transcripts while nothing was delivered.
	reader, err := connect(ctx, url, Options{Schema: opts.Schema, MaxConns: readConns()})
	if err != nil {
		db.Close()
		return nil, err
	}
	s := sqlstore.New(sqlstore.Config{
		Dialect: newDialect(),
		Writer:  db,
		Reader:  reader,
		Logger:  opts.Logger,
		Close: func() error {
			return errors.Join(reader.Close(), db.Close())
		},
	})
	var schema string
	if err := db.QueryRowContext(ctx, "SELECT coalesce(current_schema(), '')").Scan(&schema); err != nil {
		s.Close()
		return nil, fmt.Errorf("pgstore: reading the current schema: %w", err)
	}
	return &Store{Store: s, url: url, schema: schema, db: db, logger: cmp.Or(opts.Logger, slog.New(slog.DiscardHandler))}, nil
}

// readConns is the size of the read pool beside the write pool: reads are
// short, so one connection per core serves them.
func readConns() int { return max(2, runtime.GOMAXPROCS(0)) }

// Migrate applies the migrations the database at url lacks (creating
// opts.Schema when set and missing) and returns the names of those it
// applied. Concurrent callers take turns on a session advisory lock.
func Migrate(ctx context.Context, url string, opts Options) ([]string, error) {
	db, err := connect(ctx, url, Options{Schema: opts.Schema, MaxConns: 2})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return migrate(ctx, db, opts)
}

func newDialect() *sqlstore.Dialect {
	return &sqlstore.Dialect{
		Name:       "postgres",
		Prefix:     "pgstore",
		Numbered:   true,
		ForUpdate:  " FOR UPDATE",
		SkipLocked: " FOR UPDATE SKIP LOCKED",
		// Advisory locks span the database; the schema keeps two
		// deployments sharing it from waiting on each other's keys.
		KeyLock:   "SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':' || ?, 0))",
		Retryable: retryable,
	}
}

// retryable is true for a deadlock or a serialization failure: the
// transaction was rolled back and may simply be run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// QuoteIdent quotes a PostgreSQL identifier such as a schema name.
func QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

func connect(ctx context.Context, url string, opts Options) (*sql.DB, error) {
	if url == "" {
		return nil, errors.New("pgstore: no database URL: pass one such as postgres://user@host:5432/planbridge")
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx's parse error does not repeat the password.
		return nil, fmt.Errorf("pgstore: the database URL: %w", err)
	}
	if opts.Schema != "" {
		if cfg.RuntimeParams == nil {
			cfg.RuntimeParams = map[string]string{}
		}
		cfg.RuntimeParams["search_path"] = QuoteIdent(opts.Schema)
	}
	db := stdlib.OpenDB(*cfg)
	conns := opts.MaxConns
	if conns <= 0 {
		conns = max(4, 2*runtime.GOMAXPROCS(0))
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("pgstore: connect to %s:%d/%s as %s: %w (is the server up and the URL right?)", cfg.Host, cfg.Port, cfg.Database, cfg.User, err)
	}
	return db, nil
}

func migrate(ctx context.Context, db *sql.DB, opts Options) ([]string, error) {
	if opts.Schema != "" {
		if _, err := db.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+QuoteIdent(opts.Schema)); err != nil {
			// Two replicas creating it at once: one loses the race on the
			// catalog's unique index, and the schema is there all the same.
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || (pe.Code != "23505" && pe.Code != "42P06") {
				return nil, fmt.Errorf("pgstore: create schema %s: %w (the user needs the CREATE privilege on the database, or create the schema beforehand)", opts.Schema, err)
			}
		}
	}
	// The lock is per schema: the default id is shared by every goose user
	// of the database, and advisory locks span schemas.
	h := fnv.New64a()
	h.Write([]byte("planbridge migrate " + opts.Schema))
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64()>>1)), lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, fmt.Errorf("pgstore: migrate: %w", err)
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("pgstore: migrate: %w", err)
	}
	applied, err := sqlstore.Migrate(ctx, db, goose.DialectPostgres, sub, opts.Logger, goose.WithSessionLocker(locker))
	if err != nil {
		return applied, fmt.Errorf("pgstore: migrate: %w", err)
	}
	return applied, nil
}
