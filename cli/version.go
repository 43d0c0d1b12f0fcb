package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is planbridge's release version; release builds set it with
// -ldflags "-X github.com/planbridge/planbridge/cli.Version=v1.2.3".
var Version = "v0.1.0-dev"

type versionCmd struct{}

func (versionCmd) Run(env *Env) error {
	rev := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = " (" + s.Value[:12] + ")"
			}
		}
	}
	_, err := fmt.Fprintf(env.Stdout, "planbridge %s%s %s %s/%s\n", Version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
