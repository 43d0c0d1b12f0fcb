package cli_test

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readmeSections are the README sections, besides the first screen (what
// comes before the first ---), whose ```sh lines TestReadmeCommandsRun runs.
var readmeSections = []string{"Commands", "Actions", "Outbox", "MCP"}

// importExportSection is the README section TestReadmeImportExportRun runs.
const importExportSection = "Import and export"

// readmeRunSections are all the README sections, besides the first
// screen, whose command lines some test runs.
var readmeRunSections = append(slices.Clone(readmeSections), importExportSection, tourSection)

// readmeLine is one shell command of the README.
type readmeLine struct {
	section string
	text    string // continuations joined
	// exported is set once the section's prose has told the reader to
	// paste serve's export line: from then on the line runs with
	// PLANBRIDGE_SERVER and PLANBRIDGE_API_KEY set.
	exported bool
}

// readmeCommands returns the command lines of the ```sh blocks of the
// first screen and of readmeSections, in order.
func readmeCommands(t *testing.T) (firstScreen, rest []readmeLine) {
	t.Helper()
	return readmeCommandsIn(t, "../README.md", readmeSections)
}

// readmeCommandsIn is readmeCommands for the README at path and the given
// sections.
func readmeCommandsIn(t *testing.T, path string, sections []string) (firstScreen, rest []readmeLine) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	section, inFirst, inSh, exported := "", true, false, false
	var block []string
	flush := func() {
		for _, text := range commandLines(strings.Join(block, "\n"), "go run ./cmd/planbridge", "planbridge ", "curl ", "go ") {
			l := readmeLine{section: section, text: text, exported: exported}
			if inFirst {
				firstScreen = append(firstScreen, l)
			} else if slices.Contains(sections, section) {
				rest = append(rest, l)
			}
		}
		block = nil
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		switch {
		case inSh && strings.HasPrefix(line, "```"):
			flush()
			inSh = false
		case inSh:
			block = append(block, line)
		case strings.HasPrefix(line, "```sh"):
			inSh = true
		case line == "---":
			inFirst = false
		case strings.HasPrefix(line, "## "):
			section, exported = strings.TrimPrefix(line, "## "), false
		case strings.Contains(line, "export PLANBRIDGE_SERVER"):
			exported = true
		}
	}
	return firstScreen, rest
}

// TestReadmeFirstScreen keeps the promise of the README's first screen:
// exactly two commands on a fresh machine.
func TestReadmeFirstScreen(t *testing.T) {
	t.Parallel()
	first, _ := readmeCommands(t)
	var got []string
	for _, l := range first {
		words, err := shellFields(l.text, nil)
		if err != nil {
			t.Fatalf("%s: %v", l.text, err)
		}
		got = append(got, strings.Join(words, " "))
	}
	if diff := cmp.Diff([]string{"go run ./cmd/planbridge serve", "go test ./..."}, got); diff != "" {
		t.Errorf("first screen commands (-want +got):\n%s", diff)
	}
}

// TestReadmeCommandsRun runs every shell line of the README's first screen
// and of readmeSections, so the README cannot drift from the program.
// planbridge lines (`go run ./cmd/planbridge X` or, installed, `planbridge
// X`) run in-process as cli.Run(X); serve and emulate lines are started,
// must come up, and are stopped (with PLANBRIDGE_ADDR=127.0.0.1:0, so no
// fixed port is needed); curl lines are performed over HTTP. Lines after
// the prose says to paste serve's export line see PLANBRIDGE_SERVER and
// PLANBRIDGE_API_KEY of a sandbox serve the test starts, as the reader's
// shell would. Every line sees one fresh PLANBRIDGE_DB, as lines typed in
// one directory share its planbridge.db. Other go commands (go test, go
// install) are not run here.
func TestReadmeCommandsRun(t *testing.T) {
	t.Parallel()
	first, rest := readmeCommands(t)
	lines := append(first, rest...)
	if len(rest) == 0 {
		t.Fatalf("no shell lines in the README sections %v", readmeSections)
	}
	base, key := startSandboxServe(t)
	db := filepath.Join(t.TempDir(), "planbridge.db")
	ran := 0
	for _, l := range lines {
		env := map[string]string{"PLANBRIDGE_ADDR": "127.0.0.1:0", "PLANBRIDGE_DB": db}
		if l.exported {
			env["PLANBRIDGE_SERVER"], env["PLANBRIDGE_API_KEY"] = base, key
		}
		words, err := shellFields(l.text, lookupIn(env))
		if err != nil {
			t.Errorf("README (%s): %s: %v", l.section, l.text, err)
			continue
		}
		var args []string
		switch {
		case words[0] == "curl":
			ran++
			if code, body := runCurl(t, l.text, lookupIn(env)); code != http.StatusOK {
				t.Errorf("README (%s): %s\n= %d %s", l.section, l.text, code, body)
			}
			continue
		case words[0] == "planbridge":
			args = words[1:]
		case len(words) >= 3 && words[0] == "go" && words[1] == "run" && words[2] == "./cmd/planbridge":
			args = words[3:]
		case words[0] == "go":
			continue // go test, go install: not a planbridge command
		default:
			t.Errorf("README (%s): %s: not a command this test knows how to run", l.section, l.text)
			continue
		}
		ran++
		if len(args) > 0 && (args[0] == "serve" || args[0] == "emulate") {
			c := startCommand(t, env, args...)
			c.stopOK(t)
			continue
		}
		code, stdout, stderr := runUntilExit(t, env, "", args...)
		if code != 0 || strings.TrimSpace(stdout) == "" {
			t.Errorf("README (%s): %s\n= exit %d\nstdout:\n%s\nstderr:\n%s", l.section, l.text, code, stdout, stderr)
		}
		if l.exported && strings.Contains(stderr, "sandbox mode") {
			t.Errorf("README (%s): %s ran against its own sandbox, not the server:\n%s", l.section, l.text, stderr)
		}
	}
	if ran < 8 {
		t.Errorf("ran only %d README lines", ran)
	}
}

// TestReadmeImportExportRun runs the lines of the README's "Import and
// export" section in order, in a directory of their own as a reader's shell
// would be (they write companies.csv): the export must write the file the
// imports then read, and every import must succeed. It is not parallel
// because it changes the working directory, which the whole process shares.
func TestReadmeImportExportRun(t *testing.T) {
	readme, err := filepath.Abs("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, lines := readmeCommandsIn(t, readme, []string{importExportSection})
	if len(lines) < 3 {
		t.Fatalf("the README's Import and export section has %d command lines, want an export and imports", len(lines))
	}
	dir := t.TempDir()
	t.Chdir(dir)
	env := map[string]string{"PLANBRIDGE_DB": filepath.Join(dir, "planbridge.db")}
	imports := 0
	for _, l := range lines {
		words, err := shellFields(l.text, lookupIn(env))
		if err != nil {
			t.Fatalf("%s: %v", l.text, err)
		}
		if len(words) < 4 || words[0] != "go" || words[2] != "./cmd/planbridge" {
			t.Fatalf("README (Import and export): %s: not a planbridge command", l.text)
		}
		args := words[3:]
		code, stdout, stderr := runUntilExit(t, env, "", args...)
		if code != 0 {
			t.Fatalf("README: %s\n= exit %d\nstdout:\n%s\nstderr:\n%s", l.text, code, stdout, stderr)
		}
		switch args[0] {
		case "export":
			if i := slices.Index(args, "--output"); i >= 0 {
				if b, err := os.ReadFile(args[i+1]); err != nil || !strings.Contains(string(b), "seed-company-") {
					t.Errorf("README: %s wrote %q (%v), want the seeded companies", l.text, b, err)
				}
			} else if !strings.Contains(stdout, "@") {
				t.Errorf("README: %s printed %q, want the seeded end users", l.text, stdout)
			}
		case "import":
			imports++
			want := "12 unchanged" // an unedited export of the seeded sandbox
			if slices.Contains(args, "--dry-run") {
				want = "12 valid, 0 invalid"
			}
			if !strings.Contains(stdout, want) {
				t.Errorf("README: %s printed %q, want a summary with %q", l.text, stdout, want)
			}
		}
	}
	if imports < 2 {
		t.Errorf("ran %d imports of the README, want the dry run and the import", imports)
	}
}

// TestReadmeEveryCommandRuns keeps the README tests from skipping a
// section silently: a shell block with planbridge or curl lines must be
// fenced ```sh, and stand on the first screen or in a section that some
// test runs (readmeRunSections).
func TestReadmeEveryCommandRuns(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section, first, inFence, lang := "", true, false, ""
	var block []string
	for line := range strings.SplitSeq(string(b), "\n") {
		switch {
		case inFence && strings.HasPrefix(line, "```"):
			if cmds := commandLines(strings.Join(block, "\n"), "go run ./cmd/planbridge", "planbridge ", "curl "); len(cmds) > 0 {
				switch {
				case lang != "sh":
					t.Errorf("README (%s): a block fenced ```%s holds %q: fence it ```sh, so the README tests run it", section, lang, cmds[0])
				case !first && !slices.Contains(readmeRunSections, section):
					t.Errorf("README section %q has command lines no test runs (%q): add it to readmeSections if its lines run on their own, or give it a test like TestReadmeTourRuns", section, cmds[0])
				}
			}
			inFence, block = false, nil
		case inFence:
			block = append(block, line)
		case strings.HasPrefix(line, "```"):
			inFence, lang = true, strings.TrimSpace(strings.TrimPrefix(line, "```"))
		case line == "---":
			first = false
		case strings.HasPrefix(line, "## "):
			section = strings.TrimPrefix(line, "## ")
		}
	}
	if inFence {
		t.Errorf("README: a code block in %q is never closed", section)
	}
}
