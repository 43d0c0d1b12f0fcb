package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/actions"
)

// listedAction is one entry of actions --json.
type listedAction struct {
	Name        string `json:"name"`
	Title       string `json:"title"`
	Group       string `json:"group"`
	Description string `json:"description"`
	ReadOnly    bool   `json:"readOnly"`
	Destructive bool   `json:"destructive"`
}

// registryActions is what actions --json must print: the registry, in its
// order.
func registryActions(t *testing.T) []listedAction {
	t.Helper()
	reg, err := actions.PlanhatRegistry()
	if err != nil {
		t.Fatal(err)
	}
	var want []listedAction
	for _, a := range reg.All() {
		want = append(want, listedAction{a.Name, a.Title, a.Group, a.Description, a.ReadOnly, a.Destructive})
	}
	return want
}

// TestActionsJSON checks actions --json lists the registry, locally and
// from a running server alike.
func TestActionsJSON(t *testing.T) {
	t.Parallel()
	base, key := startSandboxServe(t)
	want := registryActions(t)
	tests := []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"local", nil, []string{"actions", "--json"}},
		{"server by flags", nil, []string{"actions", "--json", "--server", base, "--api-key", key}},
		{"server by environment", map[string]string{"PLANBRIDGE_SERVER": base, "PLANBRIDGE_API_KEY": key}, []string{"actions", "--json"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runUntilExit(t, tc.env, "", tc.args...)
			if code != 0 {
				t.Fatalf("exit %d\nstderr:\n%s", code, stderr)
			}
			var got []listedAction
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("stdout is not a JSON array of actions: %v\n%s", err, stdout)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("actions --json (-want +got):\n%s", diff)
			}
		})
	}
}

// TestActionsTable checks the table has a header and one row per action,
// with name, title and group each starting in the same column on every
// line.
func TestActionsTable(t *testing.T) {
	t.Parallel()
	want := registryActions(t)
	code, stdout, stderr := runUntilExit(t, nil, "", "actions")
	if code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != len(want)+1 {
		t.Fatalf("%d lines, want a header and %d actions:\n%s", len(lines), len(want), stdout)
	}
	header := lines[0]
	titleCol, groupCol := strings.Index(header, "TITLE"), strings.Index(header, "GROUP")
	if !strings.HasPrefix(header, "NAME ") || titleCol < 0 || groupCol < titleCol {
		t.Fatalf("header = %q, want NAME, TITLE, GROUP", header)
	}
	for i, a := range want {
		line := lines[i+1]
		wantLine := a.Name + strings.Repeat(" ", titleCol-len(a.Name)) + a.Title + strings.Repeat(" ", max(0, groupCol-titleCol-len(a.Title))) + a.Group
		if line != strings.TrimRight(wantLine, " ") {
			t.Errorf("line %d = %q, want %q", i+1, line, wantLine)
		}
	}
}

// TestActionsErrors checks actions --server fails like call does.
func TestActionsErrors(t *testing.T) {
	t.Parallel()
	base, key := startSandboxServe(t)
	checkFlagErrors(t, []string{key}, []flagErrorCase{
		{name: "wrong key", args: []string{"actions", "--server", base, "--api-key", "wrong-key"},
			wantCode: 4, wantStderr: []string{"unauthenticated", "Check --api-key (PLANBRIDGE_API_KEY)"}},
		{name: "server down", args: []string{"actions", "--server", closedAddress(t), "--api-key", key},
			wantCode: 3, wantStderr: []string{"Cannot reach the planbridge server"}},
		{name: "bad server URL", args: []string{"actions", "--server", "ftp://x", "--api-key", key},
			wantCode: 2, wantStderr: []string{"--server (PLANBRIDGE_SERVER) must be the base URL"}},
	})
}
