package pgstore_test

import (
	"context"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/planbridge/planbridge/store/internal/sqlstore"
	"github.com/planbridge/planbridge/store/pgstore"
	"github.com/planbridge/planbridge/store/storetest"
)

// TestUpgradeFrom00003 opens a schema an earlier planbridge migrated up
// to 00003 and filled: the upgrade applies only what is new and the old
// rows read back with the console's fields empty.
func TestUpgradeFrom00003(t *testing.T) {
	ctx := context.Background()
	url := serverURL(t)
	schema := freshSchema(t, url)
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+pgstore.QuoteIdent(schema)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["search_path"] = pgstore.QuoteIdent(schema)
	db = stdlib.OpenDB(*cfg)
	defer db.Close()
	if _, err := sqlstore.Migrate(ctx, db, goose.DialectPostgres, storetest.MigrationsThrough(t, os.DirFS("migrations"), "00003_budget.sql"), nil); err != nil {
		t.Fatal(err)
	}
	for _, q := range storetest.RowsBefore00004() {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	opts := pgstore.Options{Schema: schema}
	applied, err := pgstore.Migrate(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"00004_console.sql"}, applied); d != "" {
		t.Errorf("the upgrade applied (-want +got):\n%s", d)
	}
	s, err := pgstore.Open(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.CheckUpgradedFrom00003(t, s)
}
