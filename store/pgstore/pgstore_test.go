package pgstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver for the cleanup connection

	"github.com/planbridge/planbridge/store"
	"github.com/planbridge/planbridge/store/pgstore"
	"github.com/planbridge/planbridge/store/storetest"
)

// serverURL returns the test server's URL, skipping the test when none is
// set, except under CI, which must run these tests.
func serverURL(t testing.TB) string {
	t.Helper()
	// .ci/run exports PLANBRIDGE_TEST_POSTGRES; the _URL name is the one
	// documented for developers.
	for _, name := range []string{"PLANBRIDGE_TEST_POSTGRES_URL", "PLANBRIDGE_TEST_POSTGRES"} {
		if url := os.Getenv(name); url != "" {
			return url
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("PLANBRIDGE_TEST_POSTGRES_URL is not set, and CI must run the PostgreSQL tests: set it to a server's URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	}
	t.Skip("PLANBRIDGE_TEST_POSTGRES_URL is not set: set it to a PostgreSQL URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable, to run these tests")
	return ""
}

// freshSchema returns a new schema name, dropped with everything in it at
// the test's cleanup.
func freshSchema(t testing.TB, url string) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "pbtest_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		db, err := sql.Open("pgx", url)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer db.Close()
		if _, err := db.Exec("DROP SCHEMA IF EXISTS " + pgstore.QuoteIdent(schema) + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

func open(t testing.TB, opts pgstore.Options) *pgstore.Store {
	t.Helper()
	url := serverURL(t)
	opts.Schema = freshSchema(t, url)
	s, err := pgstore.Open(context.Background(), url, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Registered after the schema's cleanup, so it runs before it.
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	serverURL(t)
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, pgstore.Options{}) })
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	url := serverURL(t)
	schema := freshSchema(t, url)
	opts := pgstore.Options{Schema: schema}

	// Two replicas starting at once: one applies, the other waits and finds nothing to do.
	var wg sync.WaitGroup
	results := make([][]string, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() { results[i], errs[i] = pgstore.Migrate(ctx, url, opts) })
	}
	wg.Wait()
	var all []string
	for i := range 2 {
		if errs[i] != nil {
			t.Fatalf("concurrent Migrate %d: %v", i, errs[i])
		}
		all = append(all, results[i]...)
	}
	if d := cmp.Diff([]string{"00001_init.sql", "00002_handoff.sql", "00003_budget.sql", "00004_console.sql"}, all); d != "" {
		t.Errorf("concurrent Migrate applied (-want +got):\n%s", d)
	}
	applied, err := pgstore.Migrate(ctx, url, opts)
	if err != nil || len(applied) != 0 {
		t.Errorf("Migrate again = %v, %v; want nothing applied", applied, err)
	}
	s, err := pgstore.Open(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Dialect() != "postgres" {
		t.Errorf("Dialect() = %q", s.Dialect())
	}
}

// TestReplicas runs two stores on one schema, as two replicas would, and
// checks that they never claim the same item.
func TestReplicas(t *testing.T) {
	ctx := context.Background()
	url := serverURL(t)
	schema := freshSchema(t, url)
	var stores [2]*pgstore.Store
	for i := range stores {
		s, err := pgstore.Open(ctx, url, pgstore.Options{Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	now := storetestNow()
	const items = 300
	if err := stores[0].Write(ctx, func(tx store.Tx) error {
		for i := range items {
			it := store.NewItem{Kind: "k", Dest: "d"}
			if i%3 == 0 {
				it.Key = "key"
			}
			if _, err := tx.Enqueue(ctx, it, now); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[int64]bool{}
	var wg sync.WaitGroup
	for r := range 2 {
		for w := range 3 {
			wg.Go(func() {
				s := stores[r]
				owner := string(rune('a'+r)) + string(rune('0'+w))
				for idle := 0; idle < 500; {
					got, err := s.ClaimItems(ctx, store.Claim{Dest: "d", Kind: "k", Limit: 5, Owner: owner, Now: now, Until: now.Add(60e9)})
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						if n, _ := s.Backlog(ctx); n == 0 {
							return
						}
						idle++
						continue
					}
					var outs []store.Outcome
					mu.Lock()
					for _, it := range got {
						if seen[it.ID] {
							t.Errorf("item %d claimed twice", it.ID)
						}
						seen[it.ID] = true
						outs = append(outs, store.Outcome{ID: it.ID, State: store.StateCompleted})
					}
					mu.Unlock()
					if _, err := s.Finish(ctx, owner, now, outs); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	if len(seen) != items {
		t.Errorf("claimed %d of %d items", len(seen), items)
	}
}

func storetestNow() time.Time { return time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC) }

// TestSlowCommitOutlivesTheCallersDeadline proves that a deadline expiring
// while COMMIT runs does not cut it short: once fn has returned in time, the
// write commits and Write says so, so its answer is never a failure for a
// write that in fact landed. A deferred constraint trigger makes COMMIT slow.
func TestSlowCommitOutlivesTheCallersDeadline(t *testing.T) {
	t.Parallel()
	url := serverURL(t)
	schema := freshSchema(t, url)
	s, err := pgstore.Open(context.Background(), url, pgstore.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := pgstore.QuoteIdent(schema)
	for _, stmt := range []string{
		`CREATE FUNCTION ` + q + `.slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.4); RETURN NULL; END $$`,
		`CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON ` + q + `.outbox_items DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ` + q + `.slow_commit()`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	err = s.Write(ctx, func(tx store.Tx) error {
		_, err := tx.Enqueue(ctx, store.NewItem{Kind: "k", Dest: "slow"}, time.Unix(0, 0))
		return err
	})
	if ctx.Err() == nil {
		t.Fatal("the commit was not slower than the deadline; the trigger did not run")
	}
	items, lerr := s.List(context.Background(), store.Filter{Dest: "slow"})
	if lerr != nil {
		t.Fatal(lerr)
	}
	if err != nil || len(items) != 1 {
		t.Errorf("Write = %v with %d items stored, want nil and 1: a commit under way must finish", err, len(items))
	}
}
