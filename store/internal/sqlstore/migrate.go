package sqlstore

import (
	"context"
	"database/sql"
	"io/fs"
	"log/slog"
	"path"

	"github.com/pressly/goose/v3"
)

// MigrationsTable is goose's version table, named for planbridge so a
// database shared with another goose user keeps the two apart.
const MigrationsTable = "planbridge_migrations"

// Migrate applies the migrations in fsys that db lacks and returns the
// names of those it applied, oldest first.
func Migrate(ctx context.Context, db *sql.DB, dialect goose.Dialect, fsys fs.FS, log *slog.Logger, opts ...goose.ProviderOption) ([]string, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts = append([]goose.ProviderOption{
		goose.WithTableName(MigrationsTable),
		goose.WithLogger(goose.NopLogger()),
		goose.WithDisableGlobalRegistry(true),
	}, opts...)
	p, err := goose.NewProvider(dialect, db, fsys, opts...)
	if err != nil {
		return nil, err
	}
	results, err := p.Up(ctx)
	var applied []string
	for _, r := range results {
		if r.Error != nil {
			continue
		}
		name := path.Base(r.Source.Path)
		applied = append(applied, name)
		log.Info("applied migration", "migration", name, "took", r.Duration)
	}
	return applied, err
}
