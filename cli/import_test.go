package cli_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestImportExportCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	csv := filepath.Join(dir, "companies.csv")
	code, _, stderr := runUntilExit(t, nil, "", "export", "companies", "--output", csv)
	if code != 0 || !strings.Contains(stderr, "exported 12 companies") {
		t.Fatalf("export: exit %d\n%s", code, stderr)
	}
	// Each command runs its own sandbox, seeded alike: the export comes
	// back unchanged.
	code, stdout, stderr := runUntilExit(t, nil, "", "import", "companies", csv)
	if want := "companies imported: 12 rows read, 12 valid, 0 invalid\nsent 12 in 1 bulk calls: 0 created, 0 updated, 12 unchanged, 0 failed\n"; code != 0 || stdout != want {
		t.Errorf("import back: exit %d\n%s\n%s", code, cmp.Diff(want, stdout), stderr)
	}
	if _, err := os.Stat(csv + ".errors.jsonl"); !os.IsNotExist(err) {
		t.Errorf("a clean import left an errors file: %v", err)
	}

	bad := filepath.Join(dir, "new.jsonl")
	if err := os.WriteFile(bad, []byte("{\"name\":\"Acme\",\"externalId\":\"acme\"}\n{\"externalId\":\"x\"}\nnot json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runUntilExit(t, nil, "", "import", "companies", bad, "--dry-run")
	if code != 1 || !strings.Contains(stdout, "3 rows read, 1 valid, 2 invalid") || !strings.Contains(stderr, "new.jsonl:2: \"name\" is required") || !strings.Contains(stderr, "new.jsonl:3: not a JSON object") {
		t.Errorf("dry run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	errs, err := os.ReadFile(bad + ".errors.jsonl")
	if err != nil || strings.Count(string(errs), "\n") != 2 {
		t.Errorf("errors file: %q, %v", errs, err)
	}
	code, stdout, _ = runUntilExit(t, nil, "", "import", "companies", bad)
	if code != 1 || !strings.Contains(stdout, "sent 1 in 1 bulk calls: 1 created") {
		t.Errorf("import: exit %d\n%s", code, stdout)
	}
}

func TestImportExportBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ok := filepath.Join(dir, "a.csv")
	if err := os.WriteFile(ok, []byte("name\nA\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.csv")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing file", []string{"import", "companies", filepath.Join(dir, "nope.csv")}, 1, "opening the import file"},
		{"unknown model", []string{"import", "widgets", ok}, 2, `unknown Planhat model "widgets": use one of`},
		{"not bulk", []string{"import", "users", ok}, 2, `takes no bulk upserts`},
		{"wrong format", []string{"import", "companies", filepath.Join(dir, "a.txt")}, 2, "cannot tell the format"},
		{"bad --format", []string{"import", "companies", ok, "--format", "xml"}, 2, `unknown format "xml"`},
		{"empty csv", []string{"import", "companies", empty}, 1, "the CSV file is empty"},
		{"export unknown model", []string{"export", "widgets"}, 2, `unknown Planhat model "widgets"`},
		{"export bad format", []string{"export", "companies", "--format", "xml"}, 2, `unknown format "xml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runUntilExit(t, nil, "", tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d (want %d), stderr:\n%s\nwant it to contain %q", code, tt.code, stderr, tt.want)
			}
		})
	}
}

func TestExportJSONLToStdout(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runUntilExit(t, nil, "", "export", "endusers", "--format", "jsonl")
	if code != 0 || strings.Count(stdout, "\n") == 0 || !strings.HasPrefix(stdout, "{") {
		t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestImportResume(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "c.csv")
	data := "name,externalId\nA,a\nB,b\nC,c\n"
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	state := file + ".import-state.json"
	code, _, stderr := runUntilExit(t, nil, "", "import", "companies", file, "--resume")
	if code != 1 || !strings.Contains(stderr, "no state of an earlier run") {
		t.Errorf("resume without state: exit %d\n%s", code, stderr)
	}
	if err := os.WriteFile(state, []byte(`{"model":"companies","size":1,"line":2}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runUntilExit(t, nil, "", "import", "companies", file, "--resume")
	if code != 1 || !strings.Contains(stderr, "run without --resume to start over") {
		t.Errorf("resume of a changed file: exit %d\n%s", code, stderr)
	}
	if err := os.WriteFile(state, []byte(`{"model":"companies","size":`+strconv.Itoa(len(data))+`,"line":2}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runUntilExit(t, nil, "", "import", "companies", file, "--resume")
	if code != 0 || !strings.Contains(stdout, "2 rows read") || !strings.Contains(stdout, "sent 2 in 1 bulk calls: 2 created") {
		t.Errorf("resume: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("state file left after a complete import: %v", err)
	}
}
