package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Version is planbridge's release version; release builds set it with
// -ldflags "-X github.com/planbridge/planbridge/cli.Version=v1.2.3".
var Version = "v0.1.0-dev"

type versionCmd struct{}

// Run prints the release version, then the module version and the VCS
// revision the binary was built from, as far as the build recorded them.
func (versionCmd) Run(env *Env) error {
	bi, ok := debug.ReadBuildInfo()
	_, err := fmt.Fprint(env.Stdout, versionText(bi, ok))
	return err
}

// versionText renders what version prints from the build information: go
// build and go install from a git checkout record the revision, its time
// and whether the tree had local changes; go run, go test and
// -buildvcs=false builds record none, which the text says rather than
// leaving a blank.
func versionText(bi *debug.BuildInfo, ok bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "planbridge %s %s %s/%s\n", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if !ok || bi == nil {
		b.WriteString("module:   unknown (the binary carries no build information)\n")
		b.WriteString("revision: unknown\n")
		return b.String()
	}
	path, modVersion := bi.Main.Path, bi.Main.Version
	if path == "" {
		// go test binaries name no main module.
		path = "github.com/planbridge/planbridge"
	}
	if modVersion == "" {
		modVersion = "(devel)"
	}
	fmt.Fprintf(&b, "module:   %s %s\n", path, modVersion)
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	rev := settings["vcs.revision"]
	if rev == "" {
		b.WriteString("revision: unknown (go run, go test and -buildvcs=false builds record none; go build or go install from a git checkout do)\n")
		return b.String()
	}
	var notes []string
	if t := settings["vcs.time"]; t != "" {
		notes = append(notes, t)
	}
	if settings["vcs.modified"] == "true" {
		notes = append(notes, "modified")
	}
	if len(notes) > 0 {
		rev += " (" + strings.Join(notes, ", ") + ")"
	}
	fmt.Fprintf(&b, "revision: %s\n", rev)
	return b.String()
}
