package cli

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestVersionText checks what version prints for the build information of
// a checkout build, a clean one, a go run or go test build, and none.
func TestVersionText(t *testing.T) {
	t.Parallel()
	first := "planbridge " + Version + " " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	setting := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i+1 < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	const rev = "8299512abcdef0123456789abcdef0123456789a"
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{
			name: "checkout with local changes",
			bi: &debug.BuildInfo{Main: debug.Module{Path: "github.com/planbridge/planbridge", Version: "v0.0.0-20260102030405-8299512abcde+dirty"},
				Settings: setting("-trimpath", "true", "vcs", "git", "vcs.revision", rev, "vcs.time", "2026-01-02T03:04:05Z", "vcs.modified", "true")},
			ok: true,
			want: first + "module:   github.com/planbridge/planbridge v0.0.0-20260102030405-8299512abcde+dirty\n" +
				"revision: " + rev + " (2026-01-02T03:04:05Z, modified)\n",
		},
		{
			name: "clean tagged checkout",
			bi: &debug.BuildInfo{Main: debug.Module{Path: "github.com/planbridge/planbridge", Version: "v0.2.0"},
				Settings: setting("vcs.revision", rev, "vcs.time", "2026-01-02T03:04:05Z", "vcs.modified", "false")},
			ok:   true,
			want: first + "module:   github.com/planbridge/planbridge v0.2.0\nrevision: " + rev + " (2026-01-02T03:04:05Z)\n",
		},
		{
			name: "go run",
			bi:   &debug.BuildInfo{Main: debug.Module{Path: "github.com/planbridge/planbridge", Version: "(devel)"}},
			ok:   true,
			want: first + "module:   github.com/planbridge/planbridge (devel)\n" +
				"revision: unknown (go run, go test and -buildvcs=false builds record none; go build or go install from a git checkout do)\n",
		},
		{
			name: "go test",
			bi:   &debug.BuildInfo{},
			ok:   true,
			want: first + "module:   github.com/planbridge/planbridge (devel)\n" +
				"revision: unknown (go run, go test and -buildvcs=false builds record none; go build or go install from a git checkout do)\n",
		},
		{
			name: "no build information",
			ok:   false,
			want: first + "module:   unknown (the binary carries no build information)\nrevision: unknown\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, versionText(tc.bi, tc.ok)); diff != "" {
				t.Errorf("versionText (-want +got):\n%s", diff)
			}
		})
	}
}
