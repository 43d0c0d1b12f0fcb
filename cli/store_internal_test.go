package cli

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseDSN checks which store PLANBRIDGE_DB chooses, and that what a
// message may show of it never holds the password.
func TestParseDSN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dsn         string
		wantDialect string
		wantShown   string
		wantSecrets []string
		wantErr     string
	}{
		{dsn: "", wantDialect: "sqlite", wantShown: "planbridge.db"},
		{dsn: "  ", wantDialect: "sqlite", wantShown: "planbridge.db"},
		{dsn: "/var/lib/planbridge/state.db", wantDialect: "sqlite", wantShown: "/var/lib/planbridge/state.db"},
		{dsn: "file:state.db?_pragma=busy_timeout(5000)", wantDialect: "sqlite", wantShown: "file:state.db?_pragma=busy_timeout(5000)"},
		{dsn: "postgres://pb:s3cret@db.internal:5432/planbridge?sslmode=require", wantDialect: "postgres",
			wantShown: "postgres://pb:xxxxx@db.internal:5432/planbridge?sslmode=require", wantSecrets: []string{"s3cret"}},
		{dsn: "POSTGRESQL://pb@db/planbridge", wantDialect: "postgres", wantShown: "postgresql://pb@db/planbridge"},
		{dsn: "postgres://pb:p%40ss@db/planbridge", wantDialect: "postgres",
			wantShown: "postgres://pb:xxxxx@db/planbridge", wantSecrets: []string{"p@ss", "p%40ss"}},
		{dsn: "postgres://db/planbridge?user=pb&password=hunter2", wantDialect: "postgres",
			wantShown: "postgres://db/planbridge?password=xxxxx&user=pb", wantSecrets: []string{"hunter2"}},
		{dsn: "postgres:///planbridge?host=/var/run/postgresql", wantDialect: "postgres", wantShown: "postgres:///planbridge?host=/var/run/postgresql"},
		{dsn: "postgres:///planbridge", wantErr: "names no host"},
		{dsn: "postgres://pb:pa ss%zz@db/x", wantErr: "is not a valid PostgreSQL URL (postgres://xxxxx@db/x)"},
		{dsn: "mysql://root:pw@db/x", wantErr: "is a mysql:// URL"},
		{dsn: "host=db user=pb password=hunter2 dbname=planbridge", wantErr: "key=value connection string"},
	}
	for _, tc := range tests {
		got, err := parseDSN(tc.dsn)
		if tc.wantErr != "" {
			de, ok := errors.AsType[*dbError](err)
			if !ok || de.exit != exitUsage || !strings.Contains(de.msg, tc.wantErr) || !strings.Contains(de.msg, "--db (PLANBRIDGE_DB)") {
				t.Errorf("parseDSN(%q) error = %v, want a usage error naming --db (PLANBRIDGE_DB) and containing %q", tc.dsn, err, tc.wantErr)
			}
			for _, secret := range []string{"hunter2", "pa ss", ":pw@"} {
				if err != nil && strings.Contains(err.Error(), secret) {
					t.Errorf("parseDSN(%q) error shows the password: %v", tc.dsn, err)
				}
			}
			continue
		}
		if err != nil {
			t.Errorf("parseDSN(%q) = %v", tc.dsn, err)
			continue
		}
		if got.dialect != tc.wantDialect || got.shown != tc.wantShown {
			t.Errorf("parseDSN(%q) = %s %q, want %s %q", tc.dsn, got.dialect, got.shown, tc.wantDialect, tc.wantShown)
		}
		if diff := cmp.Diff(tc.wantSecrets, got.secrets); diff != "" {
			t.Errorf("parseDSN(%q) secrets (-want +got):\n%s", tc.dsn, diff)
		}
	}
}

// TestOpenFailedScrubs checks a driver's error that quotes the password is
// reported without it, with the exit status of its class.
func TestOpenFailedScrubs(t *testing.T) {
	t.Parallel()
	tgt, err := parseDSN("postgres://pb:s3cret@db:5432/x")
	if err != nil {
		t.Fatal(err)
	}
	de := tgt.openFailed("cannot open", fmt.Errorf("connect to postgres://pb:s3cret@db:5432/x: password authentication failed"))
	if strings.Contains(de.msg, "s3cret") || !strings.Contains(de.msg, "postgres://pb:xxxxx@db:5432/x") || de.exit != exitAuth {
		t.Errorf("openFailed = %d %q, want exit %d without the password", de.exit, de.msg, exitAuth)
	}
}
