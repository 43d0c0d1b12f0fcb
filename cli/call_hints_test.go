package cli_test

import (
	"strings"
	"testing"
)

// TestCallWarnsAboutIgnoredPlanhatSettings checks that Planhat settings
// given without PLANHAT_TOKEN, which sandbox mode replaces, are named on
// stderr instead of being silently ignored.
func TestCallWarnsAboutIgnoredPlanhatSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		want     []string
		dontWant string
	}{
		{name: "API URL", env: map[string]string{"PLANHAT_API_URL": "https://api-eu.planhat.com"},
			want: []string{"warning: PLANHAT_API_URL (--planhat-api-url) set without PLANHAT_TOKEN, so ignored", "Set PLANHAT_TOKEN"}},
		{name: "region and tenant", env: map[string]string{"PLANHAT_REGION": "eu", "PLANHAT_TENANT": "199627f7-0d65-52cd-89b9-45b5ff561be0"},
			want: []string{"warning: PLANHAT_REGION (--planhat-region), PLANHAT_TENANT (--planhat-tenant) set without PLANHAT_TOKEN"}},
		{name: "flag", args: []string{"--planhat-analytics-url", "https://analytics.planhat.com"},
			want: []string{"warning: PLANHAT_ANALYTICS_URL (--planhat-analytics-url) set without PLANHAT_TOKEN"}},
		{name: "nothing set", env: map[string]string{}, dontWant: "warning"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"call", "listCompanies", "--input", `{"limit": 1}`}, tc.args...)
			code, stdout, stderr := runUntilExit(t, tc.env, "", args...)
			if code != 0 || !strings.Contains(stdout, `"companies"`) {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if tc.dontWant != "" && strings.Contains(stderr, tc.dontWant) {
				t.Errorf("stderr has %q:\n%s", tc.dontWant, stderr)
			}
		})
	}
}
