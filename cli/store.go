package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/planbridge/planbridge/store"
)

// defaultDB is the SQLite file used when PLANBRIDGE_DB is not set.
const defaultDB = "planbridge.db"

// dbFlags choose the database of commands that work on planbridge's
// durable state.
type dbFlags struct {
	DB string `name:"db" env:"PLANBRIDGE_DB" default:"planbridge.db" placeholder:"PATH|URL" help:"The database: a SQLite file path (default planbridge.db), or a postgres:// URL (postgres://USER:PASSWORD@HOST:5432/DB) for PostgreSQL. Prefer the environment variable for URLs with a password: arguments show in ps."`
}

// dbTarget is a parsed PLANBRIDGE_DB.
type dbTarget struct {
	// dialect is "sqlite" or "postgres", as store.Store.Dialect names them.
	dialect string
	// target is what the store's Open takes: a file path or the URL.
	target string
	// shown is target fit for messages: the URL with its password redacted.
	shown string
	// secrets must never appear in messages, even inside a driver's error.
	secrets []string
	// synchronous is SQLite's synchronous setting ("" for the default).
	synchronous string
}

// dbError is a database that cannot be used, with the exit status of its
// class: 2 the setting is malformed, 3 the database is unreachable for now,
// 4 it refused us or is missing.
type dbError struct {
	exit int
	msg  string
}

func (e *dbError) Error() string { return e.msg }

// dbSetting names the setting in messages, so the user knows what to fix.
const dbSetting = "--db (PLANBRIDGE_DB)"

// keywordDSN recognises a PostgreSQL key=value connection string, which
// would otherwise be taken for an odd file name and printed, password and all.
var keywordDSN = regexp.MustCompile(`(^|\s)(host|hostaddr|dbname|user|password|port|sslmode)\s*=`)

// urlScheme finds a URL scheme at the start of a setting.
var urlScheme = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*)://`)

// parseDSN reads PLANBRIDGE_DB: a postgres:// or postgresql:// URL for
// PostgreSQL, anything else a SQLite file path (planbridge.db when empty).
func parseDSN(dsn string) (dbTarget, error) {
	dsn = strings.TrimSpace(dsn)
	if dsn == "" {
		dsn = defaultDB
	}
	if m := urlScheme.FindStringSubmatch(dsn); m != nil {
		scheme := strings.ToLower(m[1])
		if scheme != "postgres" && scheme != "postgresql" {
			return dbTarget{}, &dbError{exit: exitUsage, msg: fmt.Sprintf("%s is a %s:// URL; planbridge stores its state in SQLite (give a file path such as %s) or PostgreSQL (a postgres:// URL)", dbSetting, truncateRunes(scheme, 20), defaultDB)}
		}
		// Drivers match the scheme case-sensitively.
		return parsePostgresURL(scheme + dsn[len(m[1]):])
	}
	if keywordDSN.MatchString(dsn) {
		return dbTarget{}, &dbError{exit: exitUsage, msg: fmt.Sprintf("%s looks like a PostgreSQL key=value connection string; write it as a URL, postgres://USER:PASSWORD@HOST:5432/DB?sslmode=require (percent-encode special characters in the password)", dbSetting)}
	}
	return dbTarget{dialect: "sqlite", target: dsn, shown: dsn}, nil
}

// passwordParams are the query parameters of a PostgreSQL URL that hold secrets.
var passwordParams = []string{"password", "sslpassword"}

func parsePostgresURL(dsn string) (dbTarget, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		// url's own error quotes the whole URL, password included.
		return dbTarget{}, &dbError{exit: exitUsage, msg: fmt.Sprintf("%s is not a valid PostgreSQL URL (%s): write it as postgres://USER:PASSWORD@HOST:5432/DB, percent-encoding special characters such as @, :, / and %% in the user and password", dbSetting, redactUnparsedURL(dsn))}
	}
	t := dbTarget{dialect: "postgres", target: dsn}
	if pw, ok := u.User.Password(); ok && pw != "" {
		t.secrets = append(t.secrets, pw)
		if raw := rawPassword(dsn); raw != "" && raw != pw {
			t.secrets = append(t.secrets, raw)
		}
	}
	shown := *u
	if q := u.Query(); len(q) > 0 {
		changed := false
		for _, name := range passwordParams {
			for _, v := range q[name] {
				if v != "" {
					t.secrets = append(t.secrets, v)
				}
			}
			if q.Has(name) {
				q.Set(name, "xxxxx")
				changed = true
			}
		}
		if changed {
			shown.RawQuery = q.Encode()
		}
	}
	t.shown = shown.Redacted()
	if u.Host == "" && u.Query().Get("host") == "" {
		return dbTarget{}, &dbError{exit: exitUsage, msg: fmt.Sprintf("%s (%s) names no host; write it as postgres://USER:PASSWORD@HOST:5432/DB", dbSetting, t.shown)}
	}
	return t, nil
}

// rawPassword is the password of a URL as written (percent-encoded),
// which a driver might quote too.
func rawPassword(dsn string) string {
	_, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return ""
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return ""
	}
	_, pw, ok := strings.Cut(rest[:at], ":")
	if !ok {
		return ""
	}
	return pw
}

// redactUnparsedURL shows a URL url.Parse refused: scheme and the part
// after the last @, never the user and password.
func redactUnparsedURL(dsn string) string {
	scheme, rest, _ := strings.Cut(dsn, "://")
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rest = "xxxxx@" + rest[at+1:]
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i] + "?…"
	}
	return scheme + "://" + rest
}

// scrub removes the target's secrets from a driver's message.
func (t dbTarget) scrub(msg string) string {
	for _, s := range t.secrets {
		msg = strings.ReplaceAll(msg, s, "xxxxx")
	}
	return msg
}

// describe names the database in messages.
func (t dbTarget) describe() string {
	if t.dialect == "postgres" {
		return "the PostgreSQL database " + t.shown
	}
	return "the SQLite database " + t.shown
}

// openFailed classifies an Open or Migrate failure: unreachable or slow
// is worth retrying (3); anything else (a refused password, a missing
// directory, a file that is not a database) needs the setting fixed (4).
func (t dbTarget) openFailed(doing string, err error) *dbError {
	exit := exitAuth
	if _, ok := errors.AsType[*net.OpError](err); ok || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		exit = exitUpstream
	}
	fix := "check " + dbSetting
	if exit == exitUpstream {
		fix = "check that the database server is up and reachable, then retry"
	}
	return &dbError{exit: exit, msg: fmt.Sprintf("%s %s: %s; %s", doing, t.describe(), t.scrub(err.Error()), fix)}
}

// openStore opens the database PLANBRIDGE_DB names: pgstore for a
// postgres:// or postgresql:// URL, sqlitestore for anything else (a file
// path, planbridge.db when empty). Errors are *dbError, never quoting a
// password.
func openStore(ctx context.Context, dsn string, logger *slog.Logger) (store.Store, error) {
	return openStoreSync(ctx, dsn, "", logger)
}

// openStoreSync is openStore with SQLite's synchronous setting ("full" or
// "normal"; "" for the store's default, FULL), which PostgreSQL ignores.
func openStoreSync(ctx context.Context, dsn, synchronous string, logger *slog.Logger) (store.Store, error) {
	t, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	t.synchronous = strings.ToUpper(synchronous)
	return t.open(ctx, logger)
}

func (t dbTarget) open(ctx context.Context, logger *slog.Logger) (store.Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	st, err := openDialect(ctx, t, logger)
	if err != nil {
		return nil, t.openFailed("cannot open", err)
	}
	return st, nil
}

// openExistingStore is openStore for commands that only inspect or change
// existing state: a SQLite file that does not exist is refused rather than
// created, since an empty new database would only say "nothing here" about
// the wrong place.
func openExistingStore(ctx context.Context, dsn string, logger *slog.Logger) (store.Store, error) {
	t, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if t.dialect == "sqlite" && !strings.HasPrefix(t.target, "file:") && t.target != ":memory:" {
		if _, err := os.Stat(t.target); errors.Is(err, fs.ErrNotExist) {
			return nil, &dbError{exit: exitAuth, msg: fmt.Sprintf("there is no SQLite database at %s: set %s to the database 'planbridge serve' uses (run this where serve runs, or give the file's full path, or a postgres:// URL)", t.shown, dbSetting)}
		}
	}
	return t.open(ctx, logger)
}

// reportDB prints a database failure and returns its exit status.
func reportDB(env *Env, err error) error {
	if de, ok := errors.AsType[*dbError](err); ok {
		fmt.Fprintf(env.Stderr, "planbridge: %s\n", de.msg)
		return exitError{code: de.exit}
	}
	fmt.Fprintf(env.Stderr, "planbridge: %v\n", err)
	return exitError{code: exitUpstream}
}

// truncateRunes bounds an echoed value in a message.
func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// migrateCmd brings the database schema up to date.
type migrateCmd struct {
	dbFlags `embed:""`
}

// Help is the detail of migrate --help.
func (c *migrateCmd) Help() string {
	return "Applies the schema migrations planbridge needs to the database of --db (PLANBRIDGE_DB): a SQLite file (created when missing) or a postgres:// URL. " +
		"It prints each migration it applied, or that the schema is current; running it again is harmless. " +
		"Run it before starting a new version of 'planbridge serve' on PostgreSQL, so replicas never race to migrate.\n\n" +
		"Exit status: 0 success; 2 --db is malformed; 3 the database could not be reached: retry; 4 the database refused the connection or the migration: fix the setting."
}

// Run applies the migrations and says what it did.
func (c *migrateCmd) Run(env *Env) error {
	t, err := parseDSN(c.DB)
	if err != nil {
		return reportDB(env, err)
	}
	applied, err := migrateDialect(env.Ctx, t, env.Logger)
	if err != nil {
		return reportDB(env, t.openFailed("cannot migrate", err))
	}
	if len(applied) == 0 {
		_, err = fmt.Fprintf(env.Stdout, "The schema of %s is current; nothing to apply.\n", t.describe())
		return err
	}
	for _, m := range applied {
		fmt.Fprintf(env.Stdout, "applied %s\n", m)
	}
	_, err = fmt.Fprintf(env.Stdout, "%s is now current (%s applied).\n", capitalize(t.describe()), plural(len(applied), "migration", "migrations"))
	return err
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
