package cli_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// tourSection is the README section that walks through every flow.
const tourSection = "A tour of the sandbox"

// exportLine is the banner's line that a reader pastes into a second shell.
var exportLine = regexp.MustCompile(`(?m)^\s*export (PLANBRIDGE_SERVER=.*)$`)

// TestReadmeTourRuns runs every line of the README's tour, in order, the
// way a newcomer does: serve in one shell (started here, once), the
// banner's export line pasted into another, then each line as printed,
// with SESSION and CHAT set from the hand-off's answer as the README says.
// Lines whose effect arrives a moment later (a delivery, the task poll)
// are tried again for a few seconds, as a reader would look again. Each
// step's result is checked, not only its exit status.
func TestReadmeTourRuns(t *testing.T) {
	readme, err := filepath.Abs("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, lines := readmeCommandsIn(t, readme, []string{tourSection})
	if len(lines) < 12 {
		t.Fatalf("the README's %q section has %d command lines; want every flow", tourSection, len(lines))
	}
	_, banner := startServe(t, map[string]string{})
	m := exportLine.FindStringSubmatch(banner)
	if m == nil {
		t.Fatalf("the banner has no export line:\n%s", banner)
	}
	env := map[string]string{}
	for _, kv := range strings.Fields(m[1]) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			t.Fatalf("export without a value: %s", m[1])
		}
		env[k] = v
	}
	for _, name := range []string{"PLANBRIDGE_SERVER", "PLANBRIDGE_API_KEY", "PLANHAT_EMULATOR_URL", "PLANHAT_EMULATOR_TOKEN", "PLANFIX_EMULATOR_URL"} {
		if env[name] == "" {
			t.Fatalf("the banner's export line does not set %s: %s", name, m[1])
		}
	}
	// The export writes a file where the reader's shell is: a directory of its own.
	t.Chdir(t.TempDir())

	// want is what each step must show, by a phrase of its line.
	wants := []struct {
		line, answer string
		wait         bool
	}{
		{"/v1/actions/listCompanies", `"companies"`, false},
		{"call listCompanies", `"seed-company-`, false},
		{"/mcp", `seed-company-1`, false},
		{"/v1/actions/logConversation", `"queued":true`, false},
		{"call getConversation", `"externalId": "bot-tour-1"`, true},
		{"/v1/admin/outbox", `"completed":`, false},
		{"/v1/handoffs\"", `"state":"open"`, false},
		{"/messages", `"state":"open"`, false},
		{"/_emulator/reply", `"chatId"`, true},
		{"/_sandbox/handoff-events", "Found it, sending it now.", true},
		{"/_emulator/close-task", `"active": false`, false},
		{"/v1/handoffs/$SESSION\"", `"stopReason":"agent"`, true},
		{"export companies", "", false},
		{"import companies", "12 unchanged", false},
	}
	step := 0
	for _, l := range lines {
		words, err := shellFields(l.text, lookupIn(env))
		if err != nil {
			t.Fatalf("%s: %v", l.text, err)
		}
		if len(words) >= 4 && words[0] == "go" && words[3] == "serve" {
			continue // running: started above
		}
		if step >= len(wants) {
			t.Fatalf("the tour has more lines than this test checks; add a want for: %s", l.text)
		}
		w := wants[step]
		step++
		if !strings.Contains(l.text, w.line) {
			t.Fatalf("tour line %d is %s; want the one with %s (keep the tour's order and this test in step)", step, l.text, w.line)
		}
		var out string
		var ok bool
		for try := 0; try < 100; try++ {
			switch words[0] {
			case "curl":
				code, body := runCurl(t, l.text, lookupIn(env))
				out, ok = body, code/100 == 2 && strings.Contains(body, w.answer)
			case "go":
				code, stdout, stderr := runUntilExit(t, env, "", words[3:]...)
				out, ok = stdout+stderr, code == 0 && strings.Contains(stdout+stderr, w.answer)
				if strings.Contains(stderr, "sandbox mode") {
					t.Fatalf("%s ran against a sandbox of its own, not the server's:\n%s", l.text, stderr)
				}
			default:
				t.Fatalf("%s: not a command this test runs", l.text)
			}
			if ok || !w.wait {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if !ok {
			t.Fatalf("README tour: %s\n= %s\nwant %q", l.text, out, w.answer)
		}
		switch {
		case strings.HasSuffix(w.line, "/v1/handoffs\""):
			var started struct{ SessionID, ChatID string }
			if err := json.Unmarshal([]byte(out), &started); err != nil || started.SessionID == "" || started.ChatID == "" {
				t.Fatalf("the hand-off's answer lacks sessionId or chatId: %s", out)
			}
			env["SESSION"], env["CHAT"] = started.SessionID, started.ChatID
		case w.line == "export companies":
			if b, err := os.ReadFile("tour-companies.csv"); err != nil || !strings.Contains(string(b), "seed-company-") {
				t.Fatalf("the export wrote %q (%v), want the seeded companies", b, err)
			}
		case w.line == "import companies":
			if !strings.Contains(out, "rows") {
				t.Errorf("the import printed no progress or summary:\n%s", out)
			}
		}
	}
	if step != len(wants) {
		t.Fatalf("ran %d tour lines, want %d", step, len(wants))
	}
	// The user's later message reached the task, after the history.
	code, body := get(t, env["PLANFIX_EMULATOR_URL"]+"/_emulator/tasks")
	if code != http.StatusOK || !strings.Contains(body, "It is invoice 7.") || !strings.Contains(body, "Where is my invoice?") {
		t.Errorf("the Planfix task lacks the conversation: %d %s", code, body)
	}
}
