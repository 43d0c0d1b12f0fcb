package sqlitestore_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/planbridge/planbridge/store"
	"github.com/planbridge/planbridge/store/sqlitestore"
	"github.com/planbridge/planbridge/store/storetest"
)

func open(t testing.TB, opts sqlitestore.Options) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "planbridge.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, sqlitestore.Options{}) })
}

func TestConformanceNormal(t *testing.T) {
	if testing.Short() {
		t.Skip("the suite again with synchronous=NORMAL")
	}
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, sqlitestore.Options{Synchronous: "NORMAL"}) })
}

func TestFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "planbridge.db")
	s, err := sqlitestore.Open(context.Background(), path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Write(context.Background(), func(tx store.Tx) error {
		return tx.PutDestination(context.Background(), store.Destination{ID: "d", Token: "secret", UpdatedAt: time.Unix(1, 0)})
	}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %v: it holds tokens, others must not read it", filepath.Base(name), perm)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, bytes.Repeat([]byte("not a database "), 100), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		opts       sqlitestore.Options
		want       []string
	}{
		{"missing directory", filepath.Join(dir, "no", "such", "planbridge.db"), sqlitestore.Options{}, []string{filepath.Join(dir, "no", "such"), "does not exist", "mkdir -p"}},
		{"a directory", dir, sqlitestore.Options{}, []string{"is a directory"}},
		{"empty path", "", sqlitestore.Options{}, []string{"no database path"}},
		{"memory", ":memory:", sqlitestore.Options{}, []string{"plain file path"}},
		{"not a database", notDB, sqlitestore.Options{}, []string{notDB}},
		{"synchronous", filepath.Join(dir, "x.db"), sqlitestore.Options{Synchronous: "OFF"}, []string{"FULL", "NORMAL"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sqlitestore.Open(context.Background(), tc.path, tc.opts)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", tc.path)
			}
			t.Log(err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Open(%q) = %q, want it to say %q", tc.path, err, w)
				}
			}
		})
	}
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "planbridge.db")
	applied, err := sqlitestore.Migrate(ctx, path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"00001_init.sql", "00002_handoff.sql", "00003_budget.sql", "00004_console.sql"}, applied); diff != "" {
		t.Errorf("first Migrate (-want +got):\n%s", diff)
	}
	applied, err = sqlitestore.Migrate(ctx, path, sqlitestore.Options{})
	if err != nil || len(applied) != 0 {
		t.Errorf("second Migrate = %v, %v; want nothing applied", applied, err)
	}
	s, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Dialect() != "sqlite" {
		t.Errorf("Dialect() = %q", s.Dialect())
	}
	s.Close()
}

func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "planbridge.db")
	s, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := s.Write(ctx, func(tx store.Tx) error {
		e, err := tx.Enqueue(ctx, store.NewItem{Kind: "k", Dest: "d", Payload: []byte("kept")}, time.Unix(100, 0))
		id = e.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Write(ctx, func(tx store.Tx) error { return nil }); err == nil {
		t.Errorf("Write after Close succeeded")
	}
	s, err = sqlitestore.Open(ctx, path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	it, err := s.Item(ctx, id)
	if err != nil || string(it.Payload) != "kept" {
		t.Errorf("after reopening: %+v, %v", it, err)
	}
}

// TestQueuedWriteNotRun checks the group-commit promise the conformance
// suite can only check loosely: a write whose context ends while it waits
// in the queue is answered with the context's error and never run.
func TestQueuedWriteNotRun(t *testing.T) {
	ctx := context.Background()
	s := open(t, sqlitestore.Options{})
	started, unblock := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() {
		held <- s.Write(ctx, func(tx store.Tx) error {
			close(started)
			<-unblock
			return nil
		})
	}()
	<-started
	tctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	var ran atomic.Bool
	err := s.Write(tctx, func(tx store.Tx) error { ran.Store(true); return nil })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("queued Write = %v, want context.DeadlineExceeded", err)
	}
	close(unblock)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, func(tx store.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if ran.Load() {
		t.Errorf("the timed-out write's function ran")
	}
}

// TestTxNotKept checks that a Tx kept past its function fails instead of
// writing into a later batch.
func TestTxNotKept(t *testing.T) {
	ctx := context.Background()
	s := open(t, sqlitestore.Options{})
	var kept store.Tx
	if err := s.Write(ctx, func(tx store.Tx) error { kept = tx; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := kept.Enqueue(ctx, store.NewItem{Kind: "k", Dest: "d"}, time.Unix(1, 0)); err == nil {
		t.Errorf("Enqueue on a kept Tx succeeded")
	}
}

// TestGroupCommit checks that writes queued behind a busy writer commit
// together, and that one failing among them fails alone.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	s := open(t, sqlitestore.Options{})
	started, unblock := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() {
		held <- s.Write(ctx, func(tx store.Tx) error {
			close(started)
			<-unblock
			return nil
		})
	}()
	<-started
	before := s.WriteStats()
	const n = 24
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.Write(ctx, func(tx store.Tx) error {
				if _, err := tx.Enqueue(ctx, store.NewItem{Kind: "k", Dest: "d"}, time.Unix(1, 0)); err != nil {
					return err
				}
				if i == 7 {
					return errors.New("this one fails")
				}
				return nil
			})
		})
	}
	time.Sleep(100 * time.Millisecond) // all queue behind the held write
	close(unblock)
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		if (err != nil) != (i == 7) {
			t.Errorf("write %d = %v", i, err)
		}
	}
	after := s.WriteStats()
	commits, writes := after.Commits-before.Commits, after.Writes-before.Writes
	if writes != n { // the held one and the 23 queued ones that succeeded
		t.Errorf("%d writes committed, want %d", writes, n)
	}
	// The held write's commit, then one for all the queued ones.
	if commits > 2 {
		t.Errorf("%d writes took %d commits: they did not share one", writes, commits)
	}
	if backlog, err := s.Backlog(ctx); err != nil || backlog != n-1 {
		t.Errorf("Backlog = %d, %v; want %d", backlog, err, n-1)
	}
}

// TestOpeningOneFileConcurrentlyMigratesOnce starts several stores on one
// new file at once, as a server and a command started together do: all
// open, and the schema is applied once.
func TestOpeningOneFileConcurrentlyMigratesOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "shared.db")
	errs := make(chan error, 6)
	for range 6 {
		go func() {
			st, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{})
			if err == nil {
				err = st.Close()
			}
			errs <- err
		}()
	}
	for range 6 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Open: %v", err)
		}
	}
	applied, err := sqlitestore.Migrate(t.Context(), path, sqlitestore.Options{})
	if err != nil || len(applied) != 0 {
		t.Fatalf("Migrate after the concurrent opens = %v, %v; want nothing left to apply", applied, err)
	}
}
