package server_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"testing"
	"time"

	"github.com/planbridge/planbridge/internal/server"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/planhat/planhatemu"
	"github.com/planbridge/planbridge/planhat/planhattest"
	"github.com/planbridge/planbridge/readcache"
	"github.com/planbridge/planbridge/store/pgstore"
)

// TestInvalidationsReachEveryReplica runs two replicas (two stores and two read caches on
// one PostgreSQL schema) against the emulator: replica B caches a company, replica A
// updates it, and B's next read goes to Planhat within a bounded time. With B's listening
// connection killed first, B reconnects and still hears A.
func TestInvalidationsReachEveryReplica(t *testing.T) {
	url := postgresURL(t)
	tests := []struct {
		name     string
		dropConn bool
	}{
		{"notified", false},
		{"notified after the listener reconnected", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := make([]byte, 6)
			_, _ = rand.Read(b)
			schema := "pbtest_" + hex.EncodeToString(b)
			admin, err := sql.Open("pgx", url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				_, _ = admin.Exec("DROP SCHEMA IF EXISTS " + pgstore.QuoteIdent(schema) + " CASCADE")
				admin.Close()
			})
			srv := planhattest.NewServer(t, planhatemu.WithToken("replica-token"))
			id := srv.Insert("companies", map[string]any{"name": "Acme"})
			gets := func() int { return srv.Stats().ByRoute["GET /companies/{id}"] }

			type replica struct {
				cache  *readcache.Cache
				client *planhat.Client
			}
			var rs [2]replica
			for i := range rs {
				st, err := pgstore.Open(t.Context(), url, pgstore.Options{Schema: schema})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				cache := readcache.New(readcache.Options{TTL: time.Hour})
				ctx, cancel := context.WithCancel(t.Context())
				done := server.ShareInvalidations(ctx, cache, st, nil)
				t.Cleanup(func() { cancel(); <-done })
				c, err := planhat.NewClient(planhat.Options{Token: "replica-token", BaseURL: srv.URL,
					ReadCache: cache.For(readcache.Scope("replica-token", srv.URL))})
				if err != nil {
					t.Fatal(err)
				}
				rs[i] = replica{cache, c}
			}
			a, bRep := rs[0], rs[1]
			listening := func(want int) {
				t.Helper()
				// Both replicas' LISTEN on this schema's channel is in place before A writes.
				h := fnv.New64a()
				h.Write([]byte(schema))
				channel := fmt.Sprintf("%s_%016x", server.InvalidationChannel, h.Sum64())
				deadline := time.Now().Add(5 * time.Second)
				for {
					var n int
					if err := admin.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE query = $1`, "LISTEN "+pgstore.QuoteIdent(channel)).Scan(&n); err != nil {
						t.Fatal(err)
					}
					if n == want {
						return
					}
					if time.Now().After(deadline) {
						t.Fatalf("%d connections listen on %s, want %d", n, channel, want)
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			listening(2)
			if tt.dropConn {
				h := fnv.New64a()
				h.Write([]byte(schema))
				channel := fmt.Sprintf("%s_%016x", server.InvalidationChannel, h.Sum64())
				if _, err := admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1`, "LISTEN "+pgstore.QuoteIdent(channel)); err != nil {
					t.Fatal(err)
				}
				listening(0)
				listening(2)
			}

			ctx := t.Context()
			for range 2 {
				if _, err := bRep.client.Companies().Get(ctx, planhat.ID(id)); err != nil {
					t.Fatal(err)
				}
			}
			if got := gets(); got != 1 {
				t.Fatalf("%d GETs after two reads through B, want 1 (the second cached)", got)
			}
			if _, err := a.client.Companies().Update(ctx, planhat.ID(id), map[string]any{"name": "Acme 2"}); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			for gets() < 2 {
				if time.Since(start) > 2*time.Second {
					t.Fatalf("B still answers from its cache 2 s after A's write (%d GETs)", gets())
				}
				time.Sleep(5 * time.Millisecond)
				co, err := bRep.client.Companies().Get(ctx, planhat.ID(id))
				if err != nil {
					t.Fatal(err)
				}
				if gets() == 2 && co.Name != "Acme 2" {
					t.Errorf("B read name %q after the invalidation, want Acme 2", co.Name)
				}
			}
			t.Logf("B read from Planhat %v after A's write", time.Since(start).Round(time.Millisecond))
			// A applied its own write once and did not hear its own message back (plus, after
			// a reconnection, the forgetting of everything).
			time.Sleep(100 * time.Millisecond)
			want := uint64(1)
			if tt.dropConn {
				want++
			}
			if got := a.cache.Stats().Invalidations; got != want {
				t.Errorf("A counted %d invalidations, want %d (its write; its own notification ignored)", got, want)
			}
		})
	}
}
