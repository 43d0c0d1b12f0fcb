package cli_test

import (
	"regexp"
	"runtime"
	"testing"

	"github.com/planbridge/planbridge/cli"
)

// TestVersion checks `planbridge version` prints the release, the Go
// version and the platform, then the module and the revision (unknown in a
// test binary), whatever global flags come first.
func TestVersion(t *testing.T) {
	t.Parallel()
	line := regexp.MustCompile(`^planbridge ` + regexp.QuoteMeta(cli.Version) + ` ` +
		regexp.QuoteMeta(runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH) + "\n" +
		`module:   github\.com/planbridge/planbridge \S+\n` +
		`revision: (unknown \(go run, go test and -buildvcs=false builds record none; go build or go install from a git checkout do\)|[0-9a-f]{40}.*)\n$`)
	if !regexp.MustCompile(`^v\S+$`).MatchString(cli.Version) {
		t.Errorf("cli.Version = %q, want v followed by the version", cli.Version)
	}
	tests := []struct {
		name string
		args []string
	}{
		{"plain", []string{"version"}},
		{"after global flags", []string{"--log-level=debug", "--log-format=json", "version"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runUntilExit(t, nil, "", tc.args...)
			if code != 0 {
				t.Errorf("exit code = %d, want 0\nstderr:\n%s", code, stderr)
			}
			if !line.MatchString(stdout) {
				t.Errorf("stdout = %q, want it to match %s", stdout, line)
			}
			if stderr != "" {
				t.Errorf("stderr = %q, want nothing", stderr)
			}
		})
	}
}

// TestVersionRejectsArguments checks a stray argument is a usage error,
// not silently ignored.
func TestVersionRejectsArguments(t *testing.T) {
	t.Parallel()
	checkFlagErrors(t, nil, []flagErrorCase{
		{name: "positional argument", args: []string{"version", "extra"}, wantCode: 2, wantStderr: []string{`unexpected argument extra`}},
		{name: "unknown flag", args: []string{"version", "--short"}, wantCode: 2, wantStderr: []string{`unknown flag --short`}},
	})
}
