// Package sqlitestore is planbridge's store in one SQLite file: the
// default for a single replica.
//
// Writes from any number of goroutines are queued to one writer goroutine
// that runs the waiting ones in one transaction, each in its own
// savepoint, and commits them with one fsync (group commit); reads use a
// separate pool of read-only connections, which WAL lets run beside the
// writer. The file holds Planhat tokens, so it is created readable by its
// owner only.
package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/planbridge/planbridge/store"
	"github.com/planbridge/planbridge/store/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tune a Store; the zero value is the safe default.
type Options struct {
	// Synchronous is SQLite's synchronous setting: "FULL" (the default:
	// a write has reached the disk when it returns) or "NORMAL" (faster;
	// in WAL mode a power cut may lose the last commits, never corrupt).
	Synchronous string
	// BusyTimeout is how long a connection waits for another process's
	// lock on the file; 0 means 10s.
	BusyTimeout time.Duration
	// Readers is the size of the read pool; 0 means 4.
	Readers int
	// MaxBatch caps how many queued writes share one commit; 0 means 256.
	MaxBatch int
	// Logger gets migrations and failed commits; nil discards them.
	Logger *slog.Logger
}

// Store is a store.Store in a SQLite file.
type Store struct {
	*sqlstore.Store
}

var _ store.Store = (*Store)(nil)

// Open opens (creating it when missing, with mode 0600) the SQLite
// database at path, applies the migrations it lacks and returns the store.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	writer, err := openWriter(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	if _, err := migrate(ctx, writer, opts); err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlitestore: migrate %s: %w", path, err)
	}
	readers := opts.Readers
	if readers <= 0 {
		readers = 4
	}
	reader, err := sql.Open("sqlite", dsn(path, busyMillis(opts), "_pragma=query_only(1)"))
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlitestore: open %s for reading: %w", path, err)
	}
	reader.SetMaxOpenConns(readers)
	reader.SetMaxIdleConns(readers)
	// Idle read connections are kept: opening one costs more than a query.
	reader.SetConnMaxIdleTime(0)
	if err := reader.PingContext(ctx); err != nil {
		writer.Close()
		reader.Close()
		return nil, fmt.Errorf("sqlitestore: open %s for reading: %w", path, err)
	}
	s := sqlstore.New(sqlstore.Config{
		Dialect:     newDialect(),
		Writer:      writer,
		Reader:      reader,
		GroupCommit: true,
		MaxBatch:    opts.MaxBatch,
		Logger:      opts.Logger,
		Close: func() error {
			return errors.Join(reader.Close(), writer.Close())
		},
	})
	return &Store{Store: s}, nil
}

// Migrate applies the migrations the database at path lacks (creating the
// file when missing) and returns the names of those it applied.
func Migrate(ctx context.Context, path string, opts Options) ([]string, error) {
	writer, err := openWriter(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	defer writer.Close()
	applied, err := migrate(ctx, writer, opts)
	if err != nil {
		return applied, fmt.Errorf("sqlitestore: migrate %s: %w", path, err)
	}
	return applied, nil
}

// migrate runs the migrations, trying again when another process (or
// goroutine) migrating the same file at the same moment made one fail:
// each migration commits on its own, so the next try finds the other's
// work done and goes on from there. goose has no SQLite locker.
func migrate(ctx context.Context, writer *sql.DB, opts Options) ([]string, error) {
	var all []string
	for try := 0; ; try++ {
		applied, err := sqlstore.Migrate(ctx, writer, goose.DialectSQLite3, mustSub(), opts.Logger)
		all = append(all, applied...)
		if err == nil || ctx.Err() != nil || try == 4 {
			return all, err
		}
		select {
		case <-ctx.Done():
			return all, err
		case <-time.After(time.Duration(50*(try+1)) * time.Millisecond):
		}
	}
}

func newDialect() *sqlstore.Dialect {
	return &sqlstore.Dialect{Name: "sqlite", Prefix: "sqlitestore", IndexedBy: true}
}

func mustSub() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}

func busyMillis(opts Options) int64 {
	if opts.BusyTimeout <= 0 {
		return 10_000
	}
	return opts.BusyTimeout.Milliseconds()
}

// dsn builds a modernc.org/sqlite name: a plain path, whose query the
// driver reads and does not pass on as part of the file name.
func dsn(path string, busy int64, params ...string) string {
	q := []string{"_pragma=" + url.QueryEscape("busy_timeout("+strconv.FormatInt(busy, 10)+")")}
	for _, p := range params {
		k, v, _ := strings.Cut(p, "=")
		q = append(q, k+"="+url.QueryEscape(v))
	}
	return path + "?" + strings.Join(q, "&")
}

// openWriter opens the one connection every write goes through.
func openWriter(ctx context.Context, path string, opts Options) (*sql.DB, error) {
	if path == "" {
		return nil, errors.New("sqlitestore: no database path: pass a file path such as /var/lib/planbridge/planbridge.db")
	}
	if path == ":memory:" || strings.HasPrefix(path, "file:") || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("sqlitestore: database path %q: pass a plain file path (no file: URI, no ?, no :memory:; a test can use a file in t.TempDir())", path)
	}
	sync := strings.ToUpper(opts.Synchronous)
	switch sync {
	case "":
		sync = "FULL"
	case "FULL", "NORMAL", "EXTRA":
	default:
		return nil, fmt.Errorf("sqlitestore: Synchronous %q: use FULL (the default) or NORMAL", opts.Synchronous)
	}
	if err := createFile(path, opts.Logger); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn(path, busyMillis(opts),
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous("+sync+")",
		"_txlock=immediate",
	))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlitestore: open %s: %w (check that the path is planbridge's SQLite database)", path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		db.Close()
		return nil, fmt.Errorf("sqlitestore: open %s: journal mode is %q, not WAL: is the file on a file system without shared memory (a network mount)? Use a local disk", path, mode)
	}
	return db, nil
}

// createFile makes the database file owner-only before SQLite creates it
// with the umask's mode; SQLite gives its -wal and -shm files the same mode.
func createFile(path string, log *slog.Logger) error {
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		return fmt.Errorf("sqlitestore: open %s: it is a directory: pass a file path inside it, such as %s", path, filepath.Join(path, "planbridge.db"))
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		dir := filepath.Dir(path)
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("sqlitestore: create %s: the directory %s does not exist: create it (mkdir -p %s) or choose another path", path, dir, dir)
		}
		if errors.Is(err, fs.ErrPermission) {
			return fmt.Errorf("sqlitestore: open %s: permission denied: run as a user that can write %s, or choose another path", path, dir)
		}
		return fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	info, err := f.Stat()
	f.Close()
	if err != nil {
		return fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	if info.Mode().Perm()&0o077 != 0 && log != nil {
		log.Warn("the database file is readable by other users and holds Planhat tokens: chmod 600 it", "path", path, "mode", info.Mode().Perm().String())
	}
	return nil
}
