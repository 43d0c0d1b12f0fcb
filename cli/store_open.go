package cli

import (
	"context"
	"log/slog"

	"github.com/planbridge/planbridge/store"
	"github.com/planbridge/planbridge/store/pgstore"
	"github.com/planbridge/planbridge/store/sqlitestore"
)

// openDialect opens t with its store package, which applies any
// migrations the database lacks.
func openDialect(ctx context.Context, t dbTarget, logger *slog.Logger) (store.Store, error) {
	if t.dialect == "postgres" {
		return pgstore.Open(ctx, t.target, pgstore.Options{Logger: logger})
	}
	return sqlitestore.Open(ctx, t.target, sqlitestore.Options{Logger: logger, Synchronous: t.synchronous})
}

// migrateDialect applies the migrations t lacks and names those applied.
func migrateDialect(ctx context.Context, t dbTarget, logger *slog.Logger) ([]string, error) {
	if t.dialect == "postgres" {
		return pgstore.Migrate(ctx, t.target, pgstore.Options{Logger: logger})
	}
	return sqlitestore.Migrate(ctx, t.target, sqlitestore.Options{Logger: logger})
}
