package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/planbridge/planbridge/store"
)

var errBoom = errors.New("boom")

func testWriteRollsBack(t *testing.T, s store.Store) {
	ctx := context.Background()
	err := s.Write(ctx, func(tx store.Tx) error {
		if _, err := tx.Enqueue(ctx, store.NewItem{Kind: "k", Dest: "d"}, at(0)); err != nil {
			return err
		}
		if err := tx.UpsertConversation(ctx, store.ConversationUpdate{Dest: "d", ID: "c", Now: at(0)}); err != nil {
			return err
		}
		if _, err := tx.AppendMessages(ctx, "d", "c", []store.Message{{Text: "x", ReceivedAt: at(0)}}); err != nil {
			return err
		}
		if err := tx.PutDestination(ctx, store.Destination{ID: "d", UpdatedAt: at(0)}); err != nil {
			return err
		}
		return fmt.Errorf("the business write failed: %w", errBoom)
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Write = %v, want the function's error", err)
	}
	if items := list(t, s, store.Filter{}); len(items) != 0 {
		t.Errorf("rolled-back items are visible: %v", idsOf(items))
	}
	_, err = s.Conversation(ctx, "d", "c")
	wantNotFound(t, "rolled-back conversation", err)
	_, err = s.Destination(ctx, "d")
	wantNotFound(t, "rolled-back destination", err)
}

func testWritePanics(t *testing.T, s store.Store) {
	ctx := context.Background()
	func() {
		defer func() {
			if p := recover(); p != "caller bug" {
				t.Errorf("recovered %v, want the function's panic", p)
			}
		}()
		_ = s.Write(ctx, func(tx store.Tx) error {
			if _, err := tx.Enqueue(ctx, store.NewItem{Kind: "k", Dest: "panicked"}, at(0)); err != nil {
				return err
			}
			panic("caller bug")
		})
		t.Errorf("Write returned after its function panicked")
	}()
	enqueue(t, s, at(1), store.NewItem{Kind: "k", Dest: "after"})
	diff(t, "items", []string{"after"}, destsOf(list(t, s, store.Filter{})))
}

func destsOf(items []store.Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Dest)
	}
	return out
}

// holdWriter starts a Write whose function waits until release is called,
// so writes made meanwhile queue behind it (under group commit) and then
// share one batch.
func holdWriter(t *testing.T, s store.Store) (release func()) {
	t.Helper()
	started, unblock, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- s.Write(context.Background(), func(tx store.Tx) error {
			close(started)
			<-unblock
			_, err := tx.Enqueue(context.Background(), store.NewItem{Kind: "k", Dest: "holder"}, at(0))
			return err
		})
	}()
	<-started
	var once sync.Once
	release = func() {
		once.Do(func() {
			close(unblock)
			if err := <-done; err != nil {
				t.Errorf("the holding write: %v", err)
			}
		})
	}
	t.Cleanup(release)
	return release
}

func testGroupCommitIsolation(t *testing.T, s store.Store) {
	ctx := context.Background()
	release := holdWriter(t, s)
	const n = 24
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.Write(ctx, func(tx store.Tx) error {
				if _, err := tx.Enqueue(ctx, store.NewItem{Kind: "k", Dest: "batch", Payload: []byte(strconv.Itoa(i))}, at(1)); err != nil {
					return err
				}
				if err := tx.UpsertConversation(ctx, store.ConversationUpdate{Dest: "batch", ID: strconv.Itoa(i), Now: at(1)}); err != nil {
					return err
				}
				if i%3 == 0 {
					return fmt.Errorf("write %d: %w", i, errBoom)
				}
				return nil
			})
		})
	}
	time.Sleep(50 * time.Millisecond) // let them queue behind the holder
	release()
	wg.Wait()
	var want, got []string
	for i, err := range errs {
		if i%3 == 0 {
			if !errors.Is(err, errBoom) {
				t.Errorf("write %d = %v, want its own error", i, err)
			}
			_, err := s.Conversation(ctx, "batch", strconv.Itoa(i))
			wantNotFound(t, "failed write's conversation", err)
			continue
		}
		if err != nil {
			t.Errorf("write %d = %v, want nil: another write's failure leaked into it", i, err)
		}
		want = append(want, strconv.Itoa(i))
		conversation(t, s, "batch", strconv.Itoa(i))
	}
	for _, it := range list(t, s, store.Filter{Dest: "batch"}) {
		got = append(got, string(it.Payload))
	}
	slices.Sort(want)
	slices.Sort(got)
	diff(t, "committed payloads", want, got)
}

func testContextCancelled(t *testing.T, s store.Store) {
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	ran := false
	err := s.Write(cancelled, func(tx store.Tx) error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) || ran {
		t.Errorf("Write with a cancelled context = %v (ran %v), want context.Canceled without running", err, ran)
	}
	id := enqueue(t, s, at(0), store.NewItem{Kind: "k", Dest: "d"})[0]
	if _, err := s.ClaimItems(cancelled, store.Claim{Dest: "d", Kind: "k", Limit: 1, Owner: "o", Now: at(1), Until: at(60)}); !errors.Is(err, context.Canceled) {
		t.Errorf("ClaimItems with a cancelled context = %v, want context.Canceled", err)
	}
	if st := getItem(t, s, id).State; st != store.StateAvailable {
		t.Errorf("a cancelled claim left the item %s", st)
	}

	// Cancelled while fn runs: whatever Write answers must be the truth.
	for i := range 5 {
		cctx, cancel := context.WithCancel(ctx)
		dest := "mid-" + strconv.Itoa(i)
		err := s.Write(cctx, func(tx store.Tx) error {
			cancel()
			_, err := tx.Enqueue(cctx, store.NewItem{Kind: "k", Dest: dest}, at(2))
			return err
		})
		stored := len(list(t, s, store.Filter{Dest: dest})) == 1
		if (err == nil) != stored {
			t.Errorf("cancelled during fn: Write = %v but stored = %v", err, stored)
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled during fn: Write = %v, want nil or context.Canceled", err)
		}
	}

	// Timed out while queued behind another write: not run, or committed.
	release := holdWriter(t, s)
	tctx, tcancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer tcancel()
	err = s.Write(tctx, func(tx store.Tx) error {
		_, err := tx.Enqueue(ctx, store.NewItem{Kind: "k", Dest: "queued"}, at(3))
		return err
	})
	release()
	enqueue(t, s, at(4), store.NewItem{Kind: "k", Dest: "later"}) // the queue has drained
	stored := len(list(t, s, store.Filter{Dest: "queued"})) == 1
	if (err == nil) != stored {
		t.Errorf("timed out while queued: Write = %v but stored = %v", err, stored)
	}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("timed out while queued: Write = %v, want nil or context.DeadlineExceeded", err)
	}
}

func testConcurrentWrites(t *testing.T, s store.Store) {
	ctx := context.Background()
	const writers, writes, perWrite, convs = 32, 8, 10, 4
	for c := range convs {
		upsert(t, s, store.ConversationUpdate{Dest: "d", ID: "c" + strconv.Itoa(c), Now: at(0)})
	}
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			conv := "c" + strconv.Itoa(g%convs)
			for w := range writes {
				msgs := make([]store.Message, perWrite)
				for m := range msgs {
					msgs[m] = store.Message{MessageID: fmt.Sprintf("%d-%d-%d", g, w, m), Author: "user", Text: "t", ReceivedAt: at(1)}
				}
				err := s.Write(ctx, func(tx store.Tx) error {
					n, err := tx.AppendMessages(ctx, "d", conv, msgs)
					if err != nil {
						return err
					}
					if n != perWrite {
						return fmt.Errorf("added %d of %d messages", n, perWrite)
					}
					_, err = tx.Enqueue(ctx, store.NewItem{Kind: "planhat.conversation", Dest: "d", Key: conv, Coalesce: conv + "-" + strconv.Itoa(g),
						Payload: []byte(strconv.Itoa(w))}, at(1))
					return err
				})
				if err != nil {
					errs <- fmt.Errorf("writer %d write %d: %w", g, w, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for c := range convs {
		conv := "c" + strconv.Itoa(c)
		msgs, err := s.Messages(ctx, "d", conv, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := writers / convs * writes * perWrite
		if len(msgs) != want || conversation(t, s, "d", conv).Messages != want {
			t.Errorf("%s has %d messages, want %d", conv, len(msgs), want)
		}
		last := map[string]string{} // writer -> its last message id, in Seq order
		for i, m := range msgs {
			if m.Seq != int64(i+1) {
				t.Fatalf("%s: message %d has Seq %d: seqs must be dense from 1", conv, i, m.Seq)
			}
			var g, w, n int
			fmt.Sscanf(m.MessageID, "%d-%d-%d", &g, &w, &n)
			key := strconv.Itoa(g)
			if prev, ok := last[key]; ok && !less(prev, m.MessageID) {
				t.Fatalf("%s: writer %d's message %s came after %s", conv, g, m.MessageID, prev)
			}
			last[key] = m.MessageID
		}
	}
	// Each writer's items coalesced into one (nothing claimed them).
	if n, err := s.Backlog(ctx); err != nil || n != writers {
		t.Errorf("Backlog = %d, %v; want %d", n, err, writers)
	}
}

// less orders message ids "g-w-m" by write, then message.
func less(a, b string) bool {
	var ag, aw, am, bg, bw, bm int
	fmt.Sscanf(a, "%d-%d-%d", &ag, &aw, &am)
	fmt.Sscanf(b, "%d-%d-%d", &bg, &bw, &bm)
	return aw < bw || (aw == bw && am < bm)
}

func testConcurrentClaims(t *testing.T, s store.Store) {
	ctx := context.Background()
	var items []store.NewItem
	for i := range 200 {
		it := store.NewItem{Kind: "k", Dest: "d", Payload: []byte(strconv.Itoa(i))}
		if i%2 == 0 {
			it.Key = "key-" + strconv.Itoa(i%10)
		}
		items = append(items, it)
	}
	enqueue(t, s, at(0), items...)
	keyOf := map[int64]string{}
	for _, it := range list(t, s, store.Filter{Limit: 1000}) {
		keyOf[it.ID] = it.Key
	}

	var mu sync.Mutex
	claimedBy := map[int64]string{}
	var order []int64 // ids in claim order
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for o := range 4 {
		owner := "owner-" + strconv.Itoa(o)
		wg.Go(func() {
			for idle := 0; idle < 2000; {
				got, err := s.ClaimItems(ctx, store.Claim{Dest: "d", Kind: "k", Limit: 7, Owner: owner, Now: at(1), Until: at(600)})
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					n, err := s.Backlog(ctx)
					if err != nil {
						errs <- err
						return
					}
					if n == 0 {
						return
					}
					idle++
					time.Sleep(time.Millisecond)
					continue
				}
				var outs []store.Outcome
				mu.Lock()
				for _, it := range got {
					if prev, dup := claimedBy[it.ID]; dup {
						t.Errorf("item %d claimed by %s and %s", it.ID, prev, owner)
					}
					claimedBy[it.ID] = owner
					order = append(order, it.ID)
					outs = append(outs, store.Outcome{ID: it.ID, State: store.StateCompleted})
				}
				mu.Unlock()
				n, err := s.Finish(ctx, owner, at(2), outs)
				if err != nil {
					errs <- err
					return
				}
				if n != len(outs) {
					errs <- fmt.Errorf("%s finished %d of its %d items", owner, n, len(outs))
					return
				}
			}
			errs <- fmt.Errorf("%s gave up waiting for the backlog to drain", owner)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(claimedBy) != len(items) {
		t.Errorf("%d of %d items were claimed", len(claimedBy), len(items))
	}
	// A key's items were claimed one after another, in id order.
	lastOfKey := map[string]int64{}
	for _, id := range order {
		k := keyOf[id]
		if k == "" {
			continue
		}
		if prev := lastOfKey[k]; prev > id {
			t.Errorf("key %s: item %d was claimed after item %d", k, id, prev)
		}
		lastOfKey[k] = id
	}
}

// testConcurrentKeyOrder enqueues keyed items from several writers while
// deliverers claim them: a key's items must be delivered one at a time in
// id order even though concurrent writers commit in any order.
func testConcurrentKeyOrder(t *testing.T, s store.Store) {
	ctx := context.Background()
	const producers, perProducer, keys = 6, 20, 3
	var producing sync.WaitGroup
	for p := range producers {
		producing.Go(func() {
			for i := range perProducer {
				key := "key-" + strconv.Itoa((p+i)%keys)
				err := s.Write(ctx, func(tx store.Tx) error {
					_, err := tx.Enqueue(ctx, store.NewItem{Kind: "k", Dest: "d", Key: key}, at(0))
					return err
				})
				if err != nil {
					t.Errorf("producer %d: %v", p, err)
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { producing.Wait(); close(done) }()

	var mu sync.Mutex
	var order []store.Item
	var consuming sync.WaitGroup
	for c := range 2 {
		owner := "deliverer-" + strconv.Itoa(c)
		consuming.Go(func() {
			for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
				got, err := s.ClaimItems(ctx, store.Claim{Dest: "d", Kind: "k", Limit: 5, Owner: owner, Now: at(1), Until: at(600)})
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					select {
					case <-done:
						if n, err := s.Backlog(ctx); err != nil || n == 0 {
							return
						}
					default:
					}
					time.Sleep(time.Millisecond)
					continue
				}
				var outs []store.Outcome
				mu.Lock()
				for _, it := range got {
					order = append(order, it)
					outs = append(outs, store.Outcome{ID: it.ID, State: store.StateCompleted})
				}
				mu.Unlock()
				if _, err := s.Finish(ctx, owner, at(2), outs); err != nil {
					t.Error(err)
					return
				}
			}
			t.Errorf("%s: the backlog did not drain within a minute", owner)
		})
	}
	consuming.Wait()
	if len(order) != producers*perProducer {
		t.Errorf("delivered %d of %d items", len(order), producers*perProducer)
	}
	last := map[string]int64{}
	for _, it := range order {
		if prev := last[it.Key]; prev > it.ID {
			t.Errorf("key %s: item %d was claimed after item %d", it.Key, it.ID, prev)
		}
		last[it.Key] = it.ID
	}
}
