package e2e_test

import (
	"context"
	"database/sql"
	"encoding/hex"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver for the tests' own schema management

	"github.com/planbridge/planbridge/store"
	"github.com/planbridge/planbridge/store/pgstore"
	"github.com/planbridge/planbridge/store/sqlitestore"
)

// postgresURL is the test server's URL, skipping the test without one,
// except under CI, which must run it.
func postgresURL(tb testing.TB) string {
	tb.Helper()
	// .ci/run exports PLANBRIDGE_TEST_POSTGRES; the _URL name is the one
	// documented for developers.
	for _, name := range []string{"PLANBRIDGE_TEST_POSTGRES_URL", "PLANBRIDGE_TEST_POSTGRES"} {
		if u := os.Getenv(name); u != "" {
			return u
		}
	}
	if os.Getenv("CI") != "" {
		tb.Fatal("PLANBRIDGE_TEST_POSTGRES_URL is not set, and CI must run the PostgreSQL tests: set it to a server's URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	}
	tb.Skip("PLANBRIDGE_TEST_POSTGRES_URL is not set: set it to a PostgreSQL URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable, to run this test")
	return ""
}

// postgresSchema creates a fresh schema, dropped with everything in it at
// cleanup, and returns it and the server URL whose connections use it
// (search_path as a URL parameter, which pgx sends as a run-time setting).
func postgresSchema(tb testing.TB, server string) (schema, dbURL string, db *sql.DB) {
	tb.Helper()
	b := make([]byte, 6)
	for i := range b {
		b[i] = byte(rand.Uint32())
	}
	schema = "pbe2e_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", server)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+pgstore.QuoteIdent(schema)); err != nil {
		db.Close()
		tb.Fatalf("create schema %s on %s: %v", schema, redactURL(server), err)
	}
	// Registered first, so it runs after the processes using the schema
	// are killed (cleanups run last-registered first).
	tb.Cleanup(func() {
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+pgstore.QuoteIdent(schema)+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(server)
	if err != nil {
		tb.Fatalf("PLANBRIDGE_TEST_POSTGRES_URL is not a URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return schema, u.String(), db
}

func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return "(unparsable URL)"
}

// openPostgres opens a pgstore in a fresh schema of the test server,
// closed and dropped at cleanup.
func openPostgres(tb testing.TB) store.Store {
	tb.Helper()
	server := postgresURL(tb)
	schema, _, _ := postgresSchema(tb, server)
	st, err := pgstore.Open(context.Background(), server, pgstore.Options{Schema: schema})
	if err != nil {
		tb.Fatal(err)
	}
	// Registered after the schema's cleanup, so it runs before the drop.
	tb.Cleanup(func() { st.Close() })
	return st
}

// openSQLiteFull opens a sqlitestore with planbridge serve's default
// durability, synchronous=FULL: an fsync per commit.
func openSQLiteFull(tb testing.TB) store.Store {
	tb.Helper()
	st, err := sqlitestore.Open(context.Background(), filepath.Join(tb.TempDir(), "planbridge.db"), sqlitestore.Options{Synchronous: "FULL"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}
