//go:build linux

package e2e_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// maxIdleRSS is the most resident memory an idle `planbridge serve` with
// its store open may use.
const maxIdleRSS = 40 << 20

// TestServeIdleRSS starts `planbridge serve` against an emulator with its
// store open (SQLite, and PostgreSQL when the test server is set), lets it
// settle for 2 s and reads its resident set size from /proc.
func TestServeIdleRSS(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "planbridge.db")
			if db == "postgres" {
				_, dsn, _ = postgresSchema(t, postgresURL(t))
			}
			emu := startEmulator(t)
			p := startServe(t, "serve-idle", serveSettings(emu.url, dsn, "", time.Second))
			time.Sleep(2 * time.Second)
			rss, err := vmRSS(p.pid())
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("idle RSS of planbridge serve on %s: %.1f MB (%d kB)", db, float64(rss)/(1<<20), rss>>10)
			if rss > maxIdleRSS {
				t.Errorf("idle RSS %.1f MB, want at most %d MB", float64(rss)/(1<<20), maxIdleRSS>>20)
			}
		})
	}
}

// vmRSS reads a process's resident set size in bytes.
func vmRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("VmRSS line %q: %w", line, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}
