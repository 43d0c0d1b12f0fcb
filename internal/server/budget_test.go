package server_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/planbridge/planbridge/internal/server"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/planhat/planhatemu"
	"github.com/planbridge/planbridge/planhat/planhattest"
	"github.com/planbridge/planbridge/store/pgstore"
)

func postgresURL(t *testing.T) string {
	t.Helper()
	if url := os.Getenv("PLANBRIDGE_TEST_POSTGRES_URL"); url != "" {
		return url
	}
	if os.Getenv("CI") != "" {
		t.Fatal("PLANBRIDGE_TEST_POSTGRES_URL is not set, and CI must run the PostgreSQL tests: set it to a server's URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	}
	t.Skip("PLANBRIDGE_TEST_POSTGRES_URL is not set: set it to a PostgreSQL URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable, to run this test")
	return ""
}

// TestReplicasShareOneBudget runs two replicas (two stores on one PostgreSQL schema, each
// with its own limiters) calling one Planhat token flat out for 5 s against the emulator's
// fixed window of 20 calls per 2 s. Drawing from one bucket of 18 per 2 s they never meet a
// 429; the control run, each replica pacing itself at the same budget, does.
func TestReplicasShareOneBudget(t *testing.T) {
	url := postgresURL(t)
	tests := []struct {
		name    string
		share   bool
		want429 bool
	}{
		{"shared bucket: no 429", true, false},
		{"control: a budget each overruns the window", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := make([]byte, 6)
			_, _ = rand.Read(b)
			schema := "pbtest_" + hex.EncodeToString(b)
			t.Cleanup(func() {
				db, err := sql.Open("pgx", url)
				if err == nil {
					_, _ = db.Exec("DROP SCHEMA IF EXISTS " + pgstore.QuoteIdent(schema) + " CASCADE")
					db.Close()
				}
			})
			srv := planhattest.NewServer(t, planhatemu.WithToken("replica-token"), planhatemu.WithRateLimit(20, 2*time.Second))
			id := srv.Insert("companies", map[string]any{"name": "Acme"})
			budget := planhat.RateLimit{Requests: 18, Window: 2 * time.Second, Burst: 1, Cooldown: 2 * time.Second}
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			var calls atomic.Int64
			var wg sync.WaitGroup
			for range 2 {
				st, err := pgstore.Open(t.Context(), url, pgstore.Options{Schema: schema})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				lims := planhat.NewLimiters(budget)
				if tt.share {
					lims.Share(server.SharedBudget(st))
				}
				lim, release := lims.Acquire("replica-token", srv.URL)
				t.Cleanup(release)
				c, err := planhat.NewClient(planhat.Options{Token: "replica-token", BaseURL: srv.URL, Limiter: lim, MaxWait: -1,
					Retry: &planhat.RetryPolicy{MaxRetries: 0}})
				if err != nil {
					t.Fatal(err)
				}
				for range 8 {
					wg.Go(func() {
						for ctx.Err() == nil {
							if _, err := c.Companies().Get(ctx, planhat.ID(id)); err == nil {
								calls.Add(1)
							}
						}
					})
				}
			}
			wg.Wait()
			got429 := srv.Stats().RateLimited
			t.Logf("%d calls answered in 5 s, %d answered 429", calls.Load(), got429)
			if (got429 > 0) != tt.want429 {
				t.Errorf("%d answered 429, want any: %t", got429, tt.want429)
			}
			// Never beyond the budget; well below it only if the database is slow (a busy
			// machine), so the lower bound is loose.
			if tt.share && (calls.Load() < 20 || calls.Load() > 48) {
				t.Errorf("%d calls in 5 s; the shared budget allows 1 + 9/s, about 46", calls.Load())
			}
		})
	}
}
