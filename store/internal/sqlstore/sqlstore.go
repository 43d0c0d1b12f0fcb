package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/planbridge/planbridge/store"
)

// DefaultMaxBatch caps how many queued writes share one commit.
const DefaultMaxBatch = 256

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("store is closed")

// Config is what New needs.
type Config struct {
	Dialect *Dialect
	// Writer runs every write. With GroupCommit it should have exactly one
	// connection: the writer goroutine is its only user.
	Writer *sql.DB
	// Reader serves reads; it may be Writer.
	Reader *sql.DB
	// GroupCommit queues writes to one goroutine that runs the waiting
	// ones in a single transaction, each in its own savepoint, and
	// commits them together. Without it each write is its own transaction.
	GroupCommit bool
	// MaxBatch caps a group commit; 0 means DefaultMaxBatch.
	MaxBatch int
	// Logger gets what an operator should know; nil discards it.
	Logger *slog.Logger
	// Close releases what the store was built on, after its writer stopped.
	Close func() error
}

// Store implements store.Store over database/sql.
type Store struct {
	d      *Dialect
	writer *sql.DB
	reader *sql.DB
	group  bool
	log    *slog.Logger
	close  func() error

	// mu guards closed and the queue's senders, so Close can close the
	// queue without a send racing it.
	mu       sync.RWMutex
	closed   bool
	queue    chan *request
	stopped  chan struct{}
	maxBatch int
	closeErr error
	once     sync.Once

	commits, writes atomic.Uint64
}

// WriteStats counts committed transactions and the writes they carried;
// under group commit Writes/Commits is the mean batch size.
type WriteStats struct {
	Commits uint64 `json:"commits"`
	Writes  uint64 `json:"writes"`
}

// WriteStats returns the commits and writes since the store opened.
func (s *Store) WriteStats() WriteStats {
	return WriteStats{Commits: s.commits.Load(), Writes: s.writes.Load()}
}

var _ store.Store = (*Store)(nil)

// New returns a Store; with cfg.GroupCommit it starts the writer goroutine
// that Close stops.
func New(cfg Config) *Store {
	s := &Store{
		d:        cfg.Dialect,
		writer:   cfg.Writer,
		reader:   cfg.Reader,
		group:    cfg.GroupCommit,
		log:      cfg.Logger,
		close:    cfg.Close,
		maxBatch: cfg.MaxBatch,
	}
	if s.reader == nil {
		s.reader = s.writer
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBatch <= 0 {
		s.maxBatch = DefaultMaxBatch
	}
	if s.group {
		s.queue = make(chan *request, s.maxBatch)
		s.stopped = make(chan struct{})
		go s.loop()
	}
	return s
}

// Dialect names the database: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.Name }

// Close waits for queued writes to commit, then releases the database.
func (s *Store) Close() error {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		if s.group {
			close(s.queue)
		}
		s.mu.Unlock()
		if s.group {
			<-s.stopped
		}
		if s.close != nil {
			s.closeErr = s.close()
		}
	})
	return s.closeErr
}

// Write runs fn in one transaction and commits it. Under group commit fn
// shares the transaction with other callers' fns, inside its own
// savepoint: an error from fn undoes only fn's writes.
func (s *Store) Write(ctx context.Context, fn func(store.Tx) error) error {
	return s.write(ctx, false, func(t *wtx) error { return fn(t) })
}

func (s *Store) errorf(format string, args ...any) error {
	return fmt.Errorf(s.d.Prefix+": "+format, args...)
}

// write runs fn in a write transaction. internal marks the store's own
// short writes, which are safe to run again after a deadlock; a caller's
// fn is never run twice.
func (s *Store) write(ctx context.Context, internal bool, fn func(*wtx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !s.group {
		s.mu.RLock()
		closed := s.closed
		s.mu.RUnlock()
		if closed {
			return s.errorf("write: %w", ErrClosed)
		}
		return s.direct(ctx, internal, fn)
	}
	r := &request{ctx: ctx, fn: fn, done: make(chan struct{})}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return s.errorf("write: %w", ErrClosed)
	}
	select {
	case s.queue <- r:
	case <-ctx.Done():
		s.mu.RUnlock()
		return ctx.Err()
	}
	s.mu.RUnlock()
	select {
	case <-r.done:
	case <-ctx.Done():
		// Once the writer took the request, its outcome is only known
		// after the commit: wait for it rather than report a write that
		// may yet commit as failed.
		if r.state.CompareAndSwap(queued, abandoned) {
			return ctx.Err()
		}
		<-r.done
	}
	if r.panicked != nil {
		panic(r.panicked)
	}
	return r.err
}

// commitBound caps a direct write's transaction, which the caller's context
// no longer bounds once COMMIT is sent (see directOnce); it only matters when
// the database stops answering.
const commitBound = 2 * time.Minute

// direct runs fn in a transaction of its own.
func (s *Store) direct(ctx context.Context, internal bool, fn func(*wtx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.directOnce(ctx, fn)
		if err == nil || !internal || attempt == 3 || s.d.Retryable == nil || !s.d.Retryable(err) || ctx.Err() != nil {
			return err
		}
	}
}

func (s *Store) directOnce(ctx context.Context, fn func(*wtx) error) (err error) {
	// The caller's context bounds the wait for a connection and every
	// statement fn runs, but not the COMMIT: a deadline that fires while
	// COMMIT is on the wire leaves the outcome unknown (the server may
	// have committed), and Write promises an answer that is the truth.
	// database/sql and pgx both tie a transaction's commit to the context
	// given to BeginTx, so that one is detached and bounded on its own.
	conn, err := s.writer.Conn(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return s.errorf("get a connection for a write: %w", err)
	}
	defer conn.Close()
	txCtx, cancelTx := context.WithTimeout(context.WithoutCancel(ctx), commitBound)
	defer cancelTx()
	tx, err := conn.BeginTx(txCtx, nil)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return s.errorf("begin a write transaction: %w", err)
	}
	t := &wtx{s: s, tx: tx}
	committed := false
	defer func() {
		t.done = true
		if !committed {
			_ = tx.Rollback()
		}
	}()
	if err := fn(t); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		// fn's last statement may have finished just as the caller gave up;
		// nothing is committed yet, so giving up is still the truth.
		return err
	}
	t.done = true
	if err := tx.Commit(); err != nil {
		return s.errorf("commit: %w", err)
	}
	committed = true
	s.commits.Add(1)
	s.writes.Add(1)
	return nil
}

// The states of a queued request. The writer and an impatient caller race
// to move it out of queued; whoever wins decides whether fn runs.
const (
	queued int32 = iota
	taken
	abandoned
)

type request struct {
	ctx      context.Context
	fn       func(*wtx) error
	state    atomic.Int32
	err      error
	panicked any
	done     chan struct{}
}

// loop is the writer goroutine of group commit.
func (s *Store) loop() {
	defer close(s.stopped)
	batch := make([]*request, 0, s.maxBatch)
	for {
		r, ok := <-s.queue
		if !ok {
			return
		}
		batch = append(batch[:0], r)
	fill:
		for len(batch) < s.maxBatch {
			select {
			case r, ok := <-s.queue:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		s.runBatch(batch)
		clear(batch)
	}
}

// savepoint names the savepoint each fn of a batch runs in; one at a time
// is open, so one name serves.
const savepoint = "pb_write"

// runBatch runs the batch's fns in one transaction. Each request is taken
// only when its turn comes, so a caller that gives up while earlier fns run
// still gets ctx.Err() with its fn never run.
func (s *Store) runBatch(batch []*request) {
	// The batch's statements never see a caller's cancellation: SQLite
	// answers an interrupted write by rolling back the whole transaction,
	// which would undo the other callers' writes too.
	ctx := context.Background()
	grouped := len(batch) > 1
	var tx *sql.Tx
	var ran []*request
	for i, r := range batch {
		if !r.state.CompareAndSwap(queued, taken) {
			continue // its caller gave up and returned ctx.Err()
		}
		if err := r.ctx.Err(); err != nil {
			r.err = err
			close(r.done)
			continue
		}
		if tx == nil {
			var err error
			if tx, err = s.writer.BeginTx(ctx, nil); err != nil {
				r.err = s.errorf("begin a write transaction: %w", err)
				close(r.done)
				continue
			}
		}
		if grouped {
			if _, err := tx.ExecContext(ctx, "SAVEPOINT "+savepoint); err != nil {
				r.err = s.errorf("open a savepoint: %w", err)
				close(r.done)
				s.broke(tx, ran, err)
				s.runBatch(batch[i+1:])
				return
			}
		}
		t := &wtx{s: s, tx: tx, detach: true}
		r.err, r.panicked = run(r.fn, t)
		t.done = true
		if r.panicked != nil && r.err == nil {
			r.err = errors.New("write function panicked")
		}
		ran = append(ran, r)
		if !grouped {
			break
		}
		if r.err != nil {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO "+savepoint); err != nil {
				s.broke(tx, ran, err)
				s.runBatch(batch[i+1:])
				return
			}
		}
		if _, err := tx.ExecContext(ctx, "RELEASE "+savepoint); err != nil {
			s.broke(tx, ran, err)
			s.runBatch(batch[i+1:])
			return
		}
	}
	if tx == nil {
		return
	}
	defer func() {
		for _, r := range ran {
			close(r.done)
		}
	}()
	if !grouped && ran[0].err != nil {
		_ = tx.Rollback()
		return
	}
	if err := tx.Commit(); err != nil {
		err = s.errorf("commit: %w", err)
		s.log.Error("group commit failed", "writes", len(ran), "err", err)
		for _, r := range ran {
			if r.err == nil {
				r.err = err
			}
		}
		return
	}
	s.commits.Add(1)
	for _, r := range ran {
		if r.err == nil {
			s.writes.Add(1)
		}
	}
}

// broke rolls back a batch whose transaction broke between fns (SQLite
// rolls a transaction back by itself after some errors): the fns that ran
// lose their writes; the caller runs the batch's rest in a new transaction.
func (s *Store) broke(tx *sql.Tx, ran []*request, cause error) {
	_ = tx.Rollback()
	s.log.Error("group commit rolled back", "writes", len(ran), "err", cause)
	err := s.errorf("the shared write transaction broke and was rolled back, so nothing of this write was kept; write again: %w", cause)
	for _, r := range ran {
		if r.err == nil {
			r.err = err
		}
		close(r.done)
	}
}

// run calls fn, turning a panic into a value the caller re-raises in its
// own goroutine, so the writer survives a caller's bug.
func run(fn func(*wtx) error, t *wtx) (err error, panicked any) {
	defer func() {
		if p := recover(); p != nil {
			panicked = p
		}
	}()
	return fn(t), nil
}
