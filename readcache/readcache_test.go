package readcache_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/planhat/planhatemu"
	"github.com/planbridge/planbridge/readcache"
)

// These tests run on synctest's fake clock: the client reaches the emulator through an
// in-memory transport, so TTLs of minutes take no time.

const token = "readcache-test-token"

// handlerTransport serves requests with an http.Handler in the caller's goroutine.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

type fixture struct {
	srv   *planhatemu.Server
	cache *readcache.Cache
	c     *planhat.Client
	raw   *planhat.Client // the same tenant without the cache
	scope string
}

func newFixture(t *testing.T, opts readcache.Options, mutate ...func(*planhat.Options)) *fixture {
	t.Helper()
	srv := planhatemu.New(planhatemu.WithToken(token), planhatemu.WithRateLimit(0, 0))
	cache := readcache.New(opts)
	scope := readcache.Scope(token, "http://planhat.test")
	o := planhat.Options{Token: token, BaseURL: "http://planhat.test", HTTPClient: &http.Client{Transport: handlerTransport{srv.Handler()}},
		ReadCache: cache.For(scope), Retry: &planhat.RetryPolicy{MaxRetries: 0}}
	for _, m := range mutate {
		m(&o)
	}
	c, err := planhat.NewClient(o)
	if err != nil {
		t.Fatal(err)
	}
	o.ReadCache = nil
	raw, err := planhat.NewClient(o)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{srv: srv, cache: cache, c: c, raw: raw, scope: scope}
}

// rename changes a company behind planbridge's back, as someone in Planhat's UI would.
func (f *fixture) rename(t *testing.T, id, name string) {
	t.Helper()
	if _, err := f.raw.Companies().Update(t.Context(), planhat.ID(id), planhat.Company{Name: name}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) calls(route string) int { return f.srv.Stats().ByRoute[route] }

func (f *fixture) name(t *testing.T, id string) string {
	t.Helper()
	co, err := f.c.Companies().Get(t.Context(), planhat.ID(id))
	if err != nil {
		t.Fatal(err)
	}
	return co.Name
}

const getCompany = "GET /companies/{id}"

func TestTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, readcache.Options{TTL: 30 * time.Second, ModelTTL: map[string]time.Duration{"endusers": -1}})
		id := f.srv.Insert("companies", map[string]any{"name": "Acme"})
		var got []int
		f.name(t, id)
		f.name(t, id)
		got = append(got, f.calls(getCompany))
		time.Sleep(29 * time.Second)
		f.name(t, id)
		got = append(got, f.calls(getCompany))
		time.Sleep(2 * time.Second)
		f.name(t, id)
		got = append(got, f.calls(getCompany))
		// A model whose TTL is negative is never cached.
		for range 2 {
			if _, err := f.c.FindEndUsersByEmail(t.Context(), "ann@example.com"); err != nil {
				t.Fatal(err)
			}
		}
		got = append(got, f.calls("GET /endusers"))
		if diff := cmp.Diff([]int{1, 1, 2, 2}, got); diff != "" {
			t.Errorf("Planhat calls after two reads, at 29 s, at 31 s, and two uncached reads (-want +got):\n%s", diff)
		}
	})
}

func TestInvalidation(t *testing.T) {
	tests := []struct {
		name      string
		published int // invalidations handed to OnInvalidate for the other replicas
		change    func(t *testing.T, f *fixture, id string)
	}{
		{"a write through planbridge", 1, func(t *testing.T, f *fixture, id string) {
			if _, err := f.c.Companies().Update(t.Context(), planhat.ID(id), planhat.Company{Name: "Acme 2"}); err != nil {
				t.Fatal(err)
			}
		}},
		{"a bulk upsert through planbridge", 1, func(t *testing.T, f *fixture, id string) {
			if _, err := f.c.Companies().BulkUpsert(t.Context(), []planhat.Company{{ID: id, Name: "Acme 2"}}); err != nil {
				t.Fatal(err)
			}
		}},
		{"a webhook", 1, func(t *testing.T, f *fixture, id string) {
			f.rename(t, id, "Acme 2")
			f.cache.InvalidateRecord(f.scope, "companies", id)
		}},
		{"another replica's invalidation", 0, func(t *testing.T, f *fixture, id string) {
			f.rename(t, id, "Acme 2")
			f.cache.Apply(readcache.Invalidation{Scope: f.scope, Model: "companies"})
		}},
		{"forgetting everything", 0, func(t *testing.T, f *fixture, id string) {
			f.rename(t, id, "Acme 2")
			f.cache.InvalidateAll()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, readcache.Options{TTL: time.Hour})
				var published []readcache.Invalidation
				f.cache.OnInvalidate(func(inv readcache.Invalidation) { published = append(published, inv) })
				id := f.srv.Insert("companies", map[string]any{"name": "Acme"})
				before := f.name(t, id)
				tt.change(t, f, id)
				after := f.name(t, id)
				if diff := cmp.Diff([]string{"Acme", "Acme 2"}, []string{before, after}); diff != "" {
					t.Errorf("names read before and after the change (-want +got):\n%s", diff)
				}
				if got := f.cache.Stats().Invalidations; got != 1 {
					t.Errorf("%d invalidations, want 1", got)
				}
				// What happened here is published for the other replicas; what came from
				// them (Apply) or only forgets locally (InvalidateAll) is not.
				if len(published) != tt.published {
					t.Errorf("published %v, want %d invalidations", published, tt.published)
				}
				for _, inv := range published {
					if inv.Scope != f.scope || inv.Model != "companies" {
						t.Errorf("published %+v, want scope %s, model companies", inv, f.scope)
					}
				}
			})
		})
	}
}

func TestAnotherTokenIsNotServed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, readcache.Options{})
		id := f.srv.Insert("companies", map[string]any{"name": "Acme"})
		f.name(t, id)
		other := f.cache.For(readcache.Scope("another-token", "http://planhat.test"))
		calls := 0
		_, err := other.Read(t.Context(), planhat.CachedRead{Model: "companies", Key: "/companies/" + id}, func(context.Context) (*planhat.CachedAnswer, error) {
			calls++
			return &planhat.CachedAnswer{Status: 200, Body: []byte("{}")}, nil
		})
		if err != nil || calls != 1 {
			t.Errorf("another scope's read: err %v, %d fetches, want its own fetch", err, calls)
		}
	})
}

func TestNegativeEntries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, readcache.Options{NegativeTTL: 10 * time.Second})
		missing := planhat.ExtID("nobody")
		var got []int
		for range 3 {
			if _, err := f.c.Companies().Get(t.Context(), missing); !errors.Is(err, planhat.ErrNotFound) {
				t.Fatalf("err = %v, want not found", err)
			}
		}
		got = append(got, f.calls(getCompany))
		time.Sleep(11 * time.Second)
		if _, err := f.c.Companies().Get(t.Context(), missing); !errors.Is(err, planhat.ErrNotFound) {
			t.Fatalf("err = %v, want not found", err)
		}
		got = append(got, f.calls(getCompany))
		// Creating the record through planbridge forgets the negative entry at once.
		if _, err := f.c.Companies().Create(t.Context(), planhat.Company{Name: "Nobody", ExternalID: "nobody"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.c.Companies().Get(t.Context(), missing); err != nil {
			t.Errorf("after the create: %v", err)
		}
		if diff := cmp.Diff([]int{1, 2}, got); diff != "" {
			t.Errorf("Planhat calls for three misses, then one after the negative TTL (-want +got):\n%s", diff)
		}
		if st := f.cache.Stats(); st.NegativeHits != 2 {
			t.Errorf("NegativeHits = %d, want 2", st.NegativeHits)
		}
	})
}

func TestStaleIfRateLimited(t *testing.T) {
	tests := []struct {
		name      string
		write     bool // a write through planbridge after the first read
		wantStale bool
	}{
		{"the last answer stands in for a refused read", false, true},
		{"not after a write made it obsolete", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, readcache.Options{TTL: 30 * time.Second, StaleIfRateLimited: 5 * time.Minute})
				id := f.srv.Insert("companies", map[string]any{"name": "Acme"})
				f.name(t, id)
				if tt.write {
					if _, err := f.c.Companies().Update(t.Context(), planhat.ID(id), planhat.Company{Name: "Acme 2"}); err != nil {
						t.Fatal(err)
					}
				}
				time.Sleep(time.Minute)
				f.srv.FailNext(1, http.StatusTooManyRequests)
				ctx, note := readcache.NoteStale(t.Context())
				co, err := f.c.Companies().Get(ctx, planhat.ID(id))
				if tt.wantStale {
					if err != nil || co.Name != "Acme" {
						t.Errorf("got %q, %v; want the stale Acme", co.Name, err)
					}
				} else if !errors.Is(err, planhat.ErrRateLimited) {
					t.Errorf("err = %v, want the rate limit", err)
				}
				// The caller is told: the answer is a minute old, served for the rate limit.
				age, reason, stale := note.Stale()
				if stale != tt.wantStale || (stale && (age != time.Minute || reason != readcache.StaleRateLimited)) {
					t.Errorf("note = %v, %q, %t; want stale %t (a minute old, rate-limited)", age, reason, stale, tt.wantStale)
				}
				if got, want := f.cache.Stats().StaleRateLimited, map[bool]uint64{true: 1}[tt.wantStale]; got != want {
					t.Errorf("StaleRateLimited = %d, want %d", got, want)
				}
			})
		})
	}
}

func TestStaleWhileRevalidate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, readcache.Options{TTL: 30 * time.Second, StaleWhileRevalidate: 30 * time.Second})
		id := f.srv.Insert("companies", map[string]any{"name": "Acme"})
		f.name(t, id)
		f.rename(t, id, "Acme 2")
		time.Sleep(40 * time.Second)
		ctx, note := readcache.NoteStale(t.Context())
		co, err := f.c.Companies().Get(ctx, planhat.ID(id)) // served at once, refreshed behind
		if err != nil {
			t.Fatal(err)
		}
		stale := co.Name
		if age, reason, ok := note.Stale(); !ok || age != 40*time.Second || reason != readcache.StaleRevalidating {
			t.Errorf("note = %v, %q, %t; want 40s, revalidating", age, reason, ok)
		}
		synctest.Wait()
		fresh := f.name(t, id)
		if diff := cmp.Diff([]string{"Acme", "Acme 2"}, []string{stale, fresh}); diff != "" {
			t.Errorf("names (-want +got):\n%s", diff)
		}
		if got := f.calls(getCompany); got != 2 {
			t.Errorf("%d Planhat calls, want 2", got)
		}
	})
}

func TestFreshRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, readcache.Options{TTL: time.Hour})
		id := f.srv.Insert("companies", map[string]any{"name": "Acme"})
		f.name(t, id)
		f.rename(t, id, "Acme 2")
		co, err := f.c.Companies().Get(planhat.WithFreshRead(t.Context()), planhat.ID(id))
		if err != nil {
			t.Fatal(err)
		}
		// The fresh answer refreshed the cache for everyone.
		if diff := cmp.Diff([]string{"Acme 2", "Acme 2"}, []string{co.Name, f.name(t, id)}); diff != "" {
			t.Errorf("names (-want +got):\n%s", diff)
		}
	})
}

// TestCoalescing sends 100 identical reads at once: the emulator sees one call.
func TestCoalescing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, readcache.Options{})
		id := f.srv.Insert("companies", map[string]any{"name": "Acme"})
		f.srv.SetLatency(200 * time.Millisecond)
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() { f.name(t, id) })
		}
		wg.Wait()
		st := f.cache.Stats()
		got := []uint64{uint64(f.calls(getCompany)), st.Misses, st.Coalesced}
		if diff := cmp.Diff([]uint64{1, 1, 99}, got); diff != "" {
			t.Errorf("Planhat calls, misses, coalesced reads (-want +got):\n%s", diff)
		}
	})
}

func TestBoundedInBytes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const max = 64 << 10
		f := newFixture(t, readcache.Options{MaxBytes: max, TTL: time.Hour})
		for i := range 200 {
			id := f.srv.Insert("companies", map[string]any{"name": "Company", "externalId": string(rune('a'+i%26)) + time.Duration(i).String()})
			f.name(t, id)
		}
		st := f.cache.Stats()
		if st.Bytes > max || st.Evictions == 0 || st.Entries == 0 {
			t.Errorf("Bytes %d (max %d), %d evictions, %d entries; want within the bound, by evicting", st.Bytes, max, st.Evictions, st.Entries)
		}
	})
}
