// Package deploy_test checks the files under deploy/: the systemd unit
// must be one systemd accepts and must keep the hardening deploy/README.md
// promises.
package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// unitDirectives parses the unit into "Key=value" lines, comments and
// section headers left out.
func unitDirectives(t *testing.T, unit []byte) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(unit))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";") || strings.HasPrefix(l, "[") {
			continue
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestUnitSettings pins what deploy/README.md says the unit does.
func TestUnitSettings(t *testing.T) {
	t.Parallel()
	unit, err := os.ReadFile("planbridge.service")
	if err != nil {
		t.Fatal(err)
	}
	got := unitDirectives(t, unit)
	for _, want := range []string{
		"ExecStart=/usr/local/bin/planbridge serve",
		"EnvironmentFile=/etc/planbridge/env",
		"Environment=PLANBRIDGE_DB=/var/lib/planbridge/planbridge.db",
		"Environment=PLANBRIDGE_ADDR=127.0.0.1:8080",
		"StateDirectory=planbridge",
		"DynamicUser=yes",
		"ProtectSystem=strict",
		"ProtectHome=yes",
		"PrivateTmp=yes",
		"NoNewPrivileges=yes",
		"CapabilityBoundingSet=",
		"Restart=on-failure",
		"KillSignal=SIGTERM",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("unit lacks %q", want)
		}
	}
	// The state directory is the only writable path: the database must be
	// in it.
	if !slices.Contains(got, "StateDirectory=planbridge") || !slices.ContainsFunc(got, func(l string) bool {
		return strings.HasPrefix(l, "Environment=PLANBRIDGE_DB=/var/lib/planbridge/")
	}) {
		t.Error("PLANBRIDGE_DB is not under the state directory /var/lib/planbridge")
	}
}

// execStart matches the unit's ExecStart binary path.
var execStart = regexp.MustCompile(`(?m)^ExecStart=(\S+)`)

// TestUnitVerifies runs systemd-analyze verify on a copy of the unit whose
// ExecStart names an executable that exists (verify refuses a missing
// binary, and the test must not depend on an installed planbridge). It is
// skipped where systemd-analyze is not installed.
func TestUnitVerifies(t *testing.T) {
	t.Parallel()
	tool, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	unit, err := os.ReadFile("planbridge.service")
	if err != nil {
		t.Fatal(err)
	}
	if !execStart.Match(unit) {
		t.Fatal("the unit has no ExecStart")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "planbridge")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	unit = execStart.ReplaceAll(unit, []byte("ExecStart="+bin))
	path := filepath.Join(dir, "planbridge.service")
	if err := os.WriteFile(path, unit, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	// Only this unit's own problems count, not those of the units it
	// names (network-online.target and the like on this machine).
	out, err := exec.CommandContext(ctx, tool, "verify", "--recursive-errors=no", path).CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("planbridge.service")) {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
