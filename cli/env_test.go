package cli_test

import (
	"strings"
	"testing"
)

// TestEnvironmentValueErrors checks a bad value in a flag's environment
// variable is reported under the variable's name, which is what the user
// set, while a bad value on the command line stays under the flag's.
func TestEnvironmentValueErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantCode int
		want     []string
		dontWant []string
	}{
		{name: "duration", env: map[string]string{"PLANBRIDGE_BOTPRESS_TIMEOUT": "abc", "PLANBRIDGE_ADDR": "127.0.0.1:0"}, args: []string{"serve"},
			wantCode: 2, want: []string{"planbridge: environment variable PLANBRIDGE_BOTPRESS_TIMEOUT (for --botpress-timeout): ", `invalid duration "abc"`, "fix it or unset it"},
			dontWant: []string{"planbridge: --botpress-timeout"}},
		{name: "log level enum", env: map[string]string{"PLANBRIDGE_LOG_LEVEL": "loud"}, args: []string{"version"},
			wantCode: 2, want: []string{"environment variable PLANBRIDGE_LOG_LEVEL (for --log-level): must be one of debug, info, warn, error, not \"loud\""}},
		{name: "log format enum", env: map[string]string{"PLANBRIDGE_LOG_FORMAT": "xml"}, args: []string{"call", "listCompanies"},
			wantCode: 2, want: []string{"environment variable PLANBRIDGE_LOG_FORMAT (for --log-format): must be one of text, json"}},
		{name: "flag overrides a bad variable", env: map[string]string{"PLANBRIDGE_LOG_LEVEL": "loud"}, args: []string{"--log-level", "warn", "version"},
			wantCode: 0, dontWant: []string{"PLANBRIDGE_LOG_LEVEL"}},
		{name: "variable of another command", env: map[string]string{"PLANBRIDGE_BOTPRESS_TIMEOUT": "abc"}, args: []string{"version"},
			wantCode: 0, dontWant: []string{"PLANBRIDGE_BOTPRESS_TIMEOUT"}},
		{name: "bad flag stays under the flag", env: map[string]string{"PLANBRIDGE_ADDR": "127.0.0.1:0"}, args: []string{"serve", "--botpress-timeout", "abc"},
			wantCode: 2, want: []string{"--botpress-timeout", `invalid duration "abc"`}, dontWant: []string{"environment variable"}},
		{name: "good variable", env: map[string]string{"PLANBRIDGE_LOG_FORMAT": "json"}, args: []string{"version"},
			wantCode: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runUntilExit(t, tc.env, "", tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit code = %d, want %d\nstderr:\n%s", code, tc.wantCode, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			for _, w := range tc.dontWant {
				if strings.Contains(stderr, w) {
					t.Errorf("stderr has %q:\n%s", w, stderr)
				}
			}
		})
	}
}
