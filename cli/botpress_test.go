package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/planbridge/planbridge/botpress"
)

// TestBotpressDefinitionWorkspace checks the name a workspace handle gives
// the definition (Botpress refuses an unprefixed name outside its own
// workspace) and that a handle Botpress could not have is refused before
// anything is printed.
func TestBotpressDefinitionWorkspace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		env        map[string]string
		args       []string
		wantCode   int
		wantName   string
		wantStderr []string
	}{
		{"no workspace", nil, nil, 0, "planhat", nil},
		{"flag", nil, []string{"--workspace", "acme-corp"}, 0, "acme-corp/planhat", nil},
		{"digits", nil, []string{"--workspace=42team"}, 0, "42team/planhat", nil},
		{"env", map[string]string{"PLANBRIDGE_BOTPRESS_WORKSPACE": "acme"}, nil, 0, "acme/planhat", nil},
		{"flag over env", map[string]string{"PLANBRIDGE_BOTPRESS_WORKSPACE": "acme"}, []string{"--workspace", "other"}, 0, "other/planhat", nil},
		{"upper case", nil, []string{"--workspace", "Acme"}, 1, "", []string{`"Acme"`, "--workspace", "lower-case letters, digits and hyphens"}},
		{"already qualified", nil, []string{"--workspace", "acme/planhat"}, 1, "", []string{`"acme/planhat"`, "without a slash"}},
		{"underscore", nil, []string{"--workspace", "acme_corp"}, 1, "", []string{`"acme_corp"`, "e.g. acme-corp"}},
		{"leading hyphen", nil, []string{"--workspace=-acme"}, 1, "", []string{`"-acme"`, "starting with a letter or digit"}},
		{"space from env", map[string]string{"PLANBRIDGE_BOTPRESS_WORKSPACE": "acme corp"}, nil, 1, "", []string{`"acme corp"`, "PLANBRIDGE_BOTPRESS_WORKSPACE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"botpress", "definition", "planhat"}, tt.args...)
			code, stdout, stderr := runUntilExit(t, tt.env, "", args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, stderr)
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if tt.wantCode != 0 {
				if stdout != "" {
					t.Errorf("a refused handle still printed a definition:\n%.200s", stdout)
				}
				return
			}
			var def botpress.Definition
			if err := json.Unmarshal([]byte(stdout), &def); err != nil {
				t.Fatalf("output is not a definition: %v", err)
			}
			if def.Name != tt.wantName {
				t.Errorf("name = %q, want %q", def.Name, tt.wantName)
			}
			for _, e := range botpress.LintDefinition(&def) {
				t.Error(e)
			}
		})
	}
}
