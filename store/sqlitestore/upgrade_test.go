package sqlitestore_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pressly/goose/v3"

	"github.com/planbridge/planbridge/store/internal/sqlstore"
	"github.com/planbridge/planbridge/store/sqlitestore"
	"github.com/planbridge/planbridge/store/storetest"
)

// TestUpgradeFrom00003 opens a file an earlier planbridge migrated up to
// 00003 and filled: the upgrade applies only what is new and the old rows
// read back with the console's fields empty.
func TestUpgradeFrom00003(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlstore.Migrate(ctx, db, goose.DialectSQLite3, storetest.MigrationsThrough(t, os.DirFS("migrations"), "00003_budget.sql"), nil); err != nil {
		t.Fatal(err)
	}
	for _, q := range storetest.RowsBefore00004() {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	applied, err := sqlitestore.Migrate(ctx, path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"00004_console.sql"}, applied); d != "" {
		t.Errorf("the upgrade applied (-want +got):\n%s", d)
	}
	s, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.CheckUpgradedFrom00003(t, s)
}
