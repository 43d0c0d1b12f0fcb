package cli_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// tourSection is the README section that walks through every flow.
const tourSection = "A tour of the sandbox"

// exportLine is the banner's line that a reader pastes into a second shell.
var exportLine = regexp.MustCompile(`(?m)^\s*export (PLANBRIDGE_SERVER=.*)$`)

// tourStep is what one line of the tour must show: its answer (stdout
// for a command) contains has, and check, when set, finds no problem.
// wait marks a line whose effect arrives a moment later (a delivery, the
// task poll): it is tried again for a few seconds, as a reader would look
// again.
type tourStep struct {
	line  string // a phrase of the README line, to keep the order in step
	has   string
	wait  bool
	check func(out string) string
}

// outboxSettled finds a problem with GET /v1/admin/outbox's answer unless
// at least min items were delivered and nothing waits or is dead.
func outboxSettled(min int) func(string) string {
	return func(out string) string {
		var st struct {
			ByState     map[string]int `json:"byState"`
			Backlog     int            `json:"backlog"`
			DeadLetters int            `json:"deadLetters"`
		}
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			return "the statistics are not JSON: " + err.Error()
		}
		if st.ByState["completed"] < min || st.Backlog != 0 || st.DeadLetters != 0 {
			return fmt.Sprintf("%d completed (want at least %d: the conversation, the hand-off's messages and its webhook events), %d waiting, %d dead",
				st.ByState["completed"], min, st.Backlog, st.DeadLetters)
		}
		return ""
	}
}

// TestReadmeTourRuns runs every line of the README's tour, in order, the
// way a newcomer does: serve in one shell (started here, once), the
// banner's export line pasted into another, then each line as printed.
// The shell has only what the export line sets: a line that names any
// other variable, or needs a value from an earlier answer, fails. Each
// step's result is checked, not only its status, and the end states are
// read from the emulators themselves.
func TestReadmeTourRuns(t *testing.T) {
	readme, err := filepath.Abs("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, lines := readmeCommandsIn(t, readme, []string{tourSection})
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
	exported := func(line string) func(string) string {
		return func(name string) string {
			v, ok := env[name]
			if !ok {
				t.Fatalf("README tour: %s\nnames $%s, which the banner's export line does not set: the reader's shell has no value for it", line, name)
			}
			return v
		}
	}
	// The export writes a file where the reader's shell is: a directory of its own.
	t.Chdir(t.TempDir())

	steps := []tourStep{
		{line: "/v1/actions/listCompanies", has: `"companies"`},
		{line: "call listCompanies", has: `"seed-company-`},
		{line: "/mcp", has: `seed-company-1`},
		{line: "/v1/actions/logConversation", has: `"queued":true`},
		{line: "call getConversation", has: `"externalId": "bot-tour-1"`, wait: true},
		{line: `/v1/handoffs"`, has: `"sessionId":"tour-handoff"`},
		{line: "/v1/handoffs/tour-handoff/messages", has: `"state":"open"`},
		// The reply waits for the start's delivery to open the task.
		{line: "/_emulator/reply", has: `"chatId"`, wait: true},
		{line: "/_sandbox/handoff-events", has: "Found it, sending it now.", wait: true},
		{line: "/_emulator/close-task", has: `"active": false`},
		{line: `/v1/handoffs/tour-handoff"`, has: `"stopReason":"agent"`, wait: true},
		// Six deliveries: the conversation to Planhat; the start and the
		// user's message to Planfix; agentMessage, assigned and stopped to
		// the webhook.
		{line: "/v1/admin/outbox", has: `"completed"`, wait: true, check: outboxSettled(6)},
		{line: "export companies", check: func(string) string {
			if b, err := os.ReadFile("tour-companies.csv"); err != nil || !strings.Contains(string(b), "seed-company-") {
				return fmt.Sprintf("the export wrote %q (%v), want the seeded companies", b, err)
			}
			return ""
		}},
		{line: "import companies", has: "12 unchanged", check: func(out string) string {
			if !strings.Contains(out, "rows") {
				return "no progress line"
			}
			return ""
		}},
	}
	step := 0
	for _, l := range lines {
		words, err := shellFields(l.text, exported(l.text))
		if err != nil {
			t.Fatalf("%s: %v", l.text, err)
		}
		if len(words) >= 4 && words[0] == "go" && words[3] == "serve" {
			continue // running: started above
		}
		if step >= len(steps) {
			t.Fatalf("the tour has more lines than this test checks; add a step for: %s", l.text)
		}
		s := steps[step]
		step++
		if !strings.Contains(l.text, s.line) {
			t.Fatalf("tour line %d is %s; want the one with %s (keep the tour's order and this test in step)", step, l.text, s.line)
		}
		var out, problem string
		for try := 0; try < 100; try++ {
			switch words[0] {
			case "curl":
				code, body := runCurl(t, l.text, exported(l.text))
				out, problem = body, ""
				if code/100 != 2 {
					problem = fmt.Sprintf("HTTP %d", code)
				}
			case "go":
				if len(words) < 4 || words[1] != "run" || words[2] != "./cmd/planbridge" {
					t.Fatalf("%s: not a planbridge command", l.text)
				}
				code, stdout, stderr := runUntilExit(t, env, "", words[3:]...)
				out, problem = stdout, ""
				if code != 0 {
					problem = fmt.Sprintf("exit %d; stderr:\n%s", code, stderr)
				}
				if strings.Contains(stderr, "sandbox mode") {
					t.Fatalf("%s ran against a sandbox of its own, not the server's:\n%s", l.text, stderr)
				}
			default:
				t.Fatalf("%s: not a command this test runs", l.text)
			}
			if problem == "" && !strings.Contains(out, s.has) {
				problem = fmt.Sprintf("no %q in the answer", s.has)
			}
			if problem == "" && s.check != nil {
				problem = s.check(out)
			}
			if problem == "" || !s.wait {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if problem != "" {
			t.Fatalf("README tour: %s\n= %s\n%s", l.text, out, problem)
		}
	}
	if step != len(steps) {
		t.Fatalf("ran %d tour lines, want %d", step, len(steps))
	}

	// The end states, from the emulators rather than through planbridge.
	// The logged conversation is in the Planhat emulator.
	code, body := send(t, http.MethodGet, env["PLANHAT_EMULATOR_URL"]+"/conversations/extid-bot-tour-1", "", "",
		http.Header{"Authorization": {"Bearer " + env["PLANHAT_EMULATOR_TOKEN"]}})
	if code != http.StatusOK || !strings.Contains(string(body), "Where is my invoice?") {
		t.Errorf("the Planhat emulator lacks the logged conversation: %d %s", code, body)
	}
	// The user's later message reached the task, after the history.
	code, tasks := get(t, env["PLANFIX_EMULATOR_URL"]+"/_emulator/tasks")
	if code != http.StatusOK || !strings.Contains(tasks, "Where is my invoice?") || !strings.Contains(tasks, "It is invoice 7.") ||
		strings.Index(tasks, "Where is my invoice?") > strings.Index(tasks, "It is invoice 7.") {
		t.Errorf("the Planfix task lacks the conversation in order: %d %s", code, tasks)
	}
	// The bot's webhook got the agent's reply and the stop, for this session.
	code, events := get(t, env["PLANFIX_EMULATOR_URL"]+"/_sandbox/handoff-events")
	var got struct {
		Events []struct {
			Type, SessionID, Reason string
			Message                 struct{ Text string }
		}
	}
	if err := json.Unmarshal([]byte(events), &got); code != http.StatusOK || err != nil {
		t.Fatalf("the sandbox's webhook receiver: %d %s (%v)", code, events, err)
	}
	var seen []string
	for _, ev := range got.Events {
		if ev.SessionID == "tour-handoff" {
			seen = append(seen, ev.Type+":"+ev.Message.Text+ev.Reason)
		}
	}
	if !slices.Contains(seen, "agentMessage:Found it, sending it now.") || !slices.Contains(seen, "stopped:agent") {
		t.Errorf("the webhook received %v for the tour's session, want the agent's reply and the stop by the agent", seen)
	}
}
