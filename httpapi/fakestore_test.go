package httpapi_test

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/planbridge/planbridge/store"
)

// fakeStore records the filters the admin door and the metrics pass to the
// store and answers with canned data, so the tests check the translation
// from HTTP to store calls; the store's own semantics are store/storetest's.
// Methods the admin surfaces never call panic (the embedded nil interface).
type fakeStore struct {
	store.Store

	mu      sync.Mutex
	items   []store.Item
	stats   store.Stats
	err     error
	changed int
	// block, when set, makes Stats wait for its context.
	block bool

	statsCalls int
	lists      []store.Filter
	retries    []store.Filter
	discards   []store.Filter
}

func (f *fakeStore) Stats(ctx context.Context) (store.Stats, error) {
	f.mu.Lock()
	f.statsCalls++
	block, s, err := f.block, f.stats, f.err
	f.mu.Unlock()
	if block {
		<-ctx.Done()
		return store.Stats{}, ctx.Err()
	}
	return s, err
}

func (f *fakeStore) List(_ context.Context, flt store.Filter) ([]store.Item, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists = append(f.lists, flt)
	if f.err != nil {
		return nil, f.err
	}
	var out []store.Item
	for _, it := range f.items {
		if it.ID > flt.AfterID && (len(flt.States) == 0 || slices.Contains(flt.States, it.State)) {
			out = append(out, it)
		}
	}
	if flt.Limit > 0 && len(out) > flt.Limit {
		out = out[:flt.Limit]
	}
	return out, nil
}

func (f *fakeStore) Item(_ context.Context, id int64) (store.Item, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return store.Item{}, f.err
	}
	for _, it := range f.items {
		if it.ID == id {
			return it, nil
		}
	}
	return store.Item{}, store.ErrNotFound
}

func (f *fakeStore) Attempts(_ context.Context, id int64) ([]store.Attempt, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	for _, it := range f.items {
		if it.ID == id && it.LastError != "" {
			return []store.Attempt{{At: it.UpdatedAt, Attempt: it.Attempts, Error: it.LastError}}, nil
		}
	}
	return []store.Attempt{}, nil
}

func (f *fakeStore) Retry(_ context.Context, flt store.Filter, _ time.Time) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.retries = append(f.retries, flt)
	return f.changed, f.err
}

func (f *fakeStore) Discard(_ context.Context, flt store.Filter, _ time.Time) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.discards = append(f.discards, flt)
	return f.changed, f.err
}

func (f *fakeStore) calls() (stats int, lists, retries, discards []store.Filter) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.statsCalls, slices.Clone(f.lists), slices.Clone(f.retries), slices.Clone(f.discards)
}
