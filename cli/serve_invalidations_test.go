package cli_test

import (
	"database/sql"
	"fmt"
	"hash/fnv"
	"net/url"
	"testing"
	"time"

	"github.com/planbridge/planbridge/internal/server"
	"github.com/planbridge/planbridge/store/pgstore"
)

// TestServePostgresListensForInvalidations checks serve on PostgreSQL starts sharing read
// cache invalidations: a connection listens on the schema's channel while it runs.
func TestServePostgresListensForInvalidations(t *testing.T) {
	t.Parallel()
	dsn := postgresURL(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	h := fnv.New64a()
	h.Write([]byte(u.Query().Get("search_path")))
	listen := "LISTEN " + pgstore.QuoteIdent(fmt.Sprintf("%s_%016x", server.InvalidationChannel, h.Sum64()))
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	startServe(t, map[string]string{"PLANBRIDGE_DB": dsn})
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE query = $1`, listen).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections run %q while serve runs on PostgreSQL, want 1", n, listen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
