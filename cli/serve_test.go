package cli_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/planhat/planhatemu"
	"github.com/planbridge/planbridge/planhat/planhattest"
)

// startServe runs "planbridge serve" on a random port until the test ends
// and returns its base URL and the banner; serve must exit 0 when stopped.
func startServe(t *testing.T, env map[string]string) (string, string) {
	t.Helper()
	c := startServeCommand(t, env)
	t.Cleanup(func() { c.stopOK(t) })
	return c.BaseURL, c.Stdout.String()
}

// startServeCommand runs "planbridge serve" on a random port until its
// banner is out, for tests that stop it themselves and check how it ends.
func startServeCommand(t *testing.T, env map[string]string, args ...string) *runningCommand {
	t.Helper()
	env["PLANBRIDGE_ADDR"] = "127.0.0.1:0"
	return startCommandUntil(t, env, func(out string) bool {
		return listeningAddress.MatchString(out) && (strings.Contains(out, "listening on") || strings.Contains(out, "curl"))
	}, append([]string{"serve"}, args...)...)
}

// get makes a GET and returns the status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	code, body := send(t, http.MethodGet, url, "", "", nil)
	return code, string(body)
}

// postJSON posts a JSON body, with an API key when key is not empty.
func postJSON(t *testing.T, url, key, body string) (int, string) {
	t.Helper()
	header := http.Header{}
	if key != "" {
		header.Set("Authorization", "Bearer "+key)
	}
	code, b := send(t, http.MethodPost, url, "application/json", body, header)
	return code, string(b)
}

func TestServeSandbox(t *testing.T) {
	t.Parallel()
	base, banner := startServe(t, map[string]string{})
	for _, want := range []string{"SANDBOX MODE", "Planhat emulator", "REST API key", "curl", "/botpress/planhat", "/openapi.json"} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	key := regexp.MustCompile(`pbk_sandbox_[0-9a-f]+`).FindString(banner)
	if key == "" {
		t.Fatalf("banner shows no generated API key:\n%s", banner)
	}
	if code, body := get(t, base+"/health"); code != 200 || body != "ok" {
		t.Errorf("/health = %d %q", code, body)
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/openapi.json"} {
		if code, _ := get(t, base+p); code != 200 {
			t.Errorf("%s = %d", p, code)
		}
	}
	code, body := postJSON(t, base+"/v1/actions/listCompanies", key, `{"limit": 2}`)
	if code != 200 || !strings.Contains(body, `"companies"`) {
		t.Fatalf("listCompanies = %d %s", code, body)
	}
	if code, _ := postJSON(t, base+"/v1/actions/listCompanies", "wrong", `{}`); code != 401 {
		t.Errorf("wrong key = %d, want 401", code)
	}
	// The Botpress door answers operations with the emulator's token from the banner.
	emuToken := regexp.MustCompile(`token (sandbox-[0-9a-f]+)`).FindStringSubmatch(banner)
	if emuToken == nil {
		t.Fatalf("banner shows no emulator token")
	}
	cfg, _ := json.Marshal(map[string]string{"apiToken": emuToken[1]})
	header := actionHeader(cfg)
	if code, b := send(t, http.MethodPost, base+"/botpress/planhat", "application/json", `{"type":"listCompanies","input":{"limit":1}}`, header); code != 200 || !strings.Contains(string(b), `"output"`) {
		t.Errorf("botpress action = %d %s", code, b)
	}

	// The Botpress emulator is installed against the server: the banner's
	// two curl examples work as printed.
	bpURL := regexp.MustCompile(`Botpress emulator:\s+(http://127\.0\.0\.1:\d+)`).FindStringSubmatch(banner)
	webhook := regexp.MustCompile(`(http://127\.0\.0\.1:\d+/webhook/\S+/company/updated)`).FindStringSubmatch(banner)
	if bpURL == nil || webhook == nil {
		t.Fatalf("banner lacks the Botpress emulator:\n%s", banner)
	}
	code, body = postJSON(t, bpURL[1]+"/_emulator/call", "", `{"operation":"action_triggered","payload":{"type":"listCompanies","input":{"limit":2}}}`)
	if code != 200 || !strings.Contains(body, `"status":200`) || !strings.Contains(body, `"companies"`) {
		t.Errorf("emulator call = %d %s", code, body)
	}
	code, body = postJSON(t, webhook[1], "", `{"_id":"c1","name":"Acme"}`)
	if code != 200 || !strings.Contains(body, "companyUpdated") {
		t.Errorf("webhook = %d %s", code, body)
	}
	if code, body := get(t, bpURL[1]+"/_emulator/events?type=companyUpdated"); code != 200 || !strings.Contains(body, `"companyUpdated"`) {
		t.Errorf("events = %d %s", code, body)
	}

	// Sandbox mode trusts its own emulator, not loopback as a whole: a
	// configuration pointing at another local port (here the server
	// itself) is refused before any connection.
	token := regexp.MustCompile(`token (sandbox-[0-9a-f]+)`).FindStringSubmatch(banner)
	if token == nil {
		t.Fatalf("banner lacks the emulator token:\n%s", banner)
	}
	code, body = postJSON(t, bpURL[1]+"/_emulator/call", "", `{"operation":"action_triggered",`+
		`"configuration":{"apiToken":"`+token[1]+`","apiUrl":"`+base+`"},"payload":{"type":"listCompanies","input":{"limit":1}}}`)
	if code != 200 || !strings.Contains(body, `"status":400`) || !strings.Contains(body, "not allowed") {
		t.Errorf("a configuration pointing at another loopback port = %d %s", code, body)
	}
}

func TestServeConfigured(t *testing.T) {
	t.Parallel()
	emu := planhattest.NewServer(t, planhatemu.WithSeed(2))
	base, banner := startServe(t, map[string]string{
		"PLANHAT_TOKEN": emu.Token, "PLANHAT_API_URL": emu.URL, "PLANHAT_ANALYTICS_URL": emu.AnalyticsURL,
		"PLANBRIDGE_API_KEYS": "k1,k2", "PLANBRIDGE_BOTPRESS_SECRET": "door-secret-123",
	})
	if strings.Contains(banner, "SANDBOX") || strings.Contains(banner, emu.Token) {
		t.Errorf("configured banner:\n%s", banner)
	}
	id := emu.Objects("companies")[0]["_id"].(string)
	code, body := postJSON(t, base+"/v1/actions/getCompany", "k2", `{"id":"`+id+`"}`)
	if code != 200 || !strings.Contains(body, id) {
		t.Errorf("getCompany = %d %s", code, body)
	}
	// The Botpress door needs the secret.
	if code, b := send(t, http.MethodPost, base+"/botpress/planhat", "", `{}`, http.Header{botpress.HeaderOperation: {"ping"}}); code != http.StatusUnauthorized {
		t.Errorf("door without secret = %d %s, want 401", code, b)
	}
}

// TestServeBadAddress checks serve names the setting and gives the same
// hint as the emulators when it cannot listen.
func TestServeBadAddress(t *testing.T) {
	t.Parallel()
	busy := occupiedAddress(t)
	hint := "pick another --addr (PLANBRIDGE_ADDR), or stop whatever uses that port"
	checkFlagErrors(t, nil, []flagErrorCase{
		{name: "invalid address", env: map[string]string{"PLANBRIDGE_ADDR": "256.0.0.1:99999"}, args: []string{"serve"},
			wantCode: 1, wantStderr: []string{"cannot listen on 256.0.0.1:99999", hint}},
		{name: "address in use", env: map[string]string{"PLANBRIDGE_ADDR": busy}, args: []string{"serve"},
			wantCode: 1, wantStderr: []string{"cannot listen on " + busy, hint}},
		{name: "address in use by flag", env: map[string]string{}, args: []string{"serve", "--addr", busy},
			wantCode: 1, wantStderr: []string{"cannot listen on " + busy, hint}},
	})
}

func TestBotpressDefinitionCommand(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runUntilExit(t, nil, "", "botpress", "definition", "planhat", "--url", "https://bridge.example.com/botpress/planhat/x")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var def botpress.Definition
	if err := json.Unmarshal([]byte(stdout), &def); err != nil {
		t.Fatalf("output is not a definition: %v", err)
	}
	if def.Name != "planhat" || def.URL != "https://bridge.example.com/botpress/planhat/x" {
		t.Errorf("name %q url %q", def.Name, def.URL)
	}
	reg, err := actions.PlanhatRegistry()
	if err != nil {
		t.Fatal(err)
	}
	if len(def.Actions) != len(reg.All()) {
		t.Errorf("%d actions, registry has %d", len(def.Actions), len(reg.All()))
	}
	for _, e := range botpress.LintDefinition(&def) {
		t.Error(e)
	}
}

func TestCallSandbox(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runUntilExit(t, nil, "", "call", "listCompanies", "--input", `{"limit": 2}`)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "sandbox") {
		t.Errorf("no sandbox notice on stderr: %s", stderr)
	}
	var out struct {
		Companies []map[string]any `json:"companies"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil || len(out.Companies) != 2 {
		t.Fatalf("output = %s (%v)", stdout, err)
	}
	// The sandbox is seeded deterministically, so ids repeat across runs.
	id := out.Companies[0]["id"].(string)
	code, stdout, stderr = runUntilExit(t, nil, "", "call", "getCompany", "--input", `{"id":"`+id+`"}`)
	if code != 0 || !strings.Contains(stdout, id) {
		t.Errorf("getCompany: exit %d, %s %s", code, stdout, stderr)
	}
}

func TestCallConfigured(t *testing.T) {
	t.Parallel()
	emu := planhattest.NewServer(t, planhatemu.WithSeed(2))
	env := map[string]string{"PLANHAT_TOKEN": emu.Token, "PLANHAT_API_URL": emu.URL, "PLANHAT_ANALYTICS_URL": emu.AnalyticsURL}
	id := emu.Objects("companies")[0]["_id"].(string)
	input := `{"id":"` + id + `"}`
	file := filepath.Join(t.TempDir(), "input.json")
	if err := os.WriteFile(file, []byte(input), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		env        map[string]string
		stdin      string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"literal input", env, "", []string{"call", "getCompany", "--input", input}, 0, id, ""},
		{"file input", env, "", []string{"call", "getCompany", "--input", "@" + file}, 0, id, ""},
		{"stdin input", env, input, []string{"call", "getCompany", "--input", "-"}, 0, id, ""},
		{"compact output", env, "", []string{"call", "getCompany", "-i", input, "--no-pretty"}, 0, `{"`, ""},
		{"not found", env, "", []string{"call", "getCompany", "--input", `{"id":"extid-nobody"}`}, 1, "", "check the id"},
		{"invalid input", env, "", []string{"call", "getCompany", "--input", `{"id":"not an id"}`}, 1, "", "invalid_input"},
		{"not json", env, "", []string{"call", "getCompany", "--input", `id=1`}, 1, "", "one JSON object"},
		{"missing file", env, "", []string{"call", "getCompany", "--input", "@/nonexistent/input.json"}, 1, "", "input file"},
		{"unknown action", env, "", []string{"call", "getCompanny"}, 1, "", `"getCompany"? Run 'planbridge actions' to list them.`},
		{"wrong token", map[string]string{"PLANHAT_TOKEN": "wrong", "PLANHAT_API_URL": emu.URL}, "", []string{"call", "getCompany", "--input", input}, 4, "", "set it in PLANHAT_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runUntilExit(t, tt.env, tt.stdin, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stdout %s; stderr %s", code, tt.wantCode, stdout, stderr)
			}
			if !strings.Contains(stdout, tt.wantStdout) || !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stdout %q (want %q), stderr %q (want %q)", stdout, tt.wantStdout, stderr, tt.wantStderr)
			}
			if strings.Contains(stderr, emu.Token) {
				t.Error("stderr leaks the token")
			}
		})
	}
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// actionHeader carries the headers Botpress sends with an action_triggered
// operation for a bot configured with cfg (JSON).
func actionHeader(cfg []byte) http.Header {
	header := http.Header{}
	for k, v := range map[string]string{
		botpress.HeaderOperation: "action_triggered", botpress.HeaderBotID: "b", botpress.HeaderBotUserID: "u",
		botpress.HeaderIntegrationID: "i", botpress.HeaderIntegrationAlias: "planhat", botpress.HeaderWebhookID: "w",
		botpress.HeaderConfiguration: base64Std(cfg),
	} {
		header.Set(k, v)
	}
	return header
}

// TestServePlanfixOnly starts without a Planhat token when Planfix is
// configured (no sandbox) and says what is missing on Planhat calls.
func TestServePlanfixOnly(t *testing.T) {
	t.Parallel()
	env := withTestDB(t, map[string]string{"PLANFIX_URL": "https://example.planfix.com/webchat/api", "PLANFIX_TOKEN": "pf-token-secret-1",
		"PLANFIX_PROVIDER_ID": "planbridge", "PLANFIX_CHAT_TOKEN": "chat-token-secret-0123456789", "PLANBRIDGE_API_KEYS": "k"})
	base, banner := startServe(t, env)
	if strings.Contains(banner, "SANDBOX") {
		t.Errorf("sandbox despite PLANFIX_URL:\n%s", banner)
	}
	if !strings.Contains(banner, "Planfix chat URL: "+base+"/planfix/chat") {
		t.Errorf("the start-up lines do not give the Planfix chat URL:\n%s", banner)
	}
	assertNoSecrets(t, []string{"pf-token-secret-1", "chat-token-secret-0123456789"}, banner)
	code, body := postJSON(t, base+"/v1/actions/listCompanies", "k", `{}`)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "not_configured") || !strings.Contains(body, "PLANHAT_TOKEN") {
		t.Errorf("listCompanies = %d %s", code, body)
	}
	// Planfix's door is served, behind the chat token.
	code, b := send(t, http.MethodPost, base+"/planfix/chat", "application/x-www-form-urlencoded",
		"cmd=newMessage&providerId=planbridge&chatId=c1&token=wrong&message=hi&messageId=1", nil)
	if code != http.StatusUnauthorized || strings.TrimSpace(string(b)) != `{"error":"Invalid token"}` {
		t.Errorf("POST /planfix/chat with a wrong token = %d %s", code, b)
	}
	code, b = send(t, http.MethodPost, base+"/planfix/chat", "application/x-www-form-urlencoded",
		"cmd=newMessage&providerId=planbridge&chatId=c1&token=chat-token-secret-0123456789&message=hi&messageId=1", nil)
	if code != http.StatusBadRequest {
		t.Errorf("POST /planfix/chat for an unknown chat = %d %s", code, b)
	}
}

// TestServePlanfixSettingsErrors checks that incomplete Planfix settings
// stop serve with a message naming the setting, and never echo a secret.
func TestServePlanfixSettingsErrors(t *testing.T) {
	t.Parallel()
	full := func(change map[string]string) map[string]string {
		env := map[string]string{"PLANFIX_URL": "https://example.planfix.com/webchat/api", "PLANFIX_TOKEN": "pf-token-secret-1",
			"PLANFIX_PROVIDER_ID": "planbridge", "PLANFIX_CHAT_TOKEN": "chat-token-secret-0123456789", "PLANBRIDGE_ADDR": "127.0.0.1:0"}
		for k, v := range change {
			if v == "" {
				delete(env, k)
			} else {
				env[k] = v
			}
		}
		return env
	}
	checkFlagErrors(t, []string{"pf-token-secret-1", "chat-token-secret-0123456789", "short-secret"}, []flagErrorCase{
		{name: "no token", args: []string{"serve"}, env: full(map[string]string{"PLANFIX_TOKEN": ""}), wantCode: 1,
			wantStderr: []string{"PLANFIX_TOKEN is empty", "Planfix's chat settings"}},
		{name: "no provider", args: []string{"serve"}, env: full(map[string]string{"PLANFIX_PROVIDER_ID": ""}), wantCode: 1,
			wantStderr: []string{"PLANFIX_PROVIDER_ID is empty"}},
		{name: "tilde provider", args: []string{"serve"}, env: full(map[string]string{"PLANFIX_PROVIDER_ID": "a~b"}), wantCode: 1,
			wantStderr: []string{"contains '~'"}},
		{name: "short chat token", args: []string{"serve"}, env: full(map[string]string{"PLANFIX_CHAT_TOKEN": "short-secret"}), wantCode: 1,
			wantStderr: []string{"PLANFIX_CHAT_TOKEN must be at least 16 characters", "openssl rand"}},
		{name: "bad URL", args: []string{"serve"}, env: full(map[string]string{"PLANFIX_URL": "acme.planfix.com"}), wantCode: 1,
			wantStderr: []string{"PLANFIX_URL (--planfix-url) is not an http(s) URL"}},
		{name: "webhook without secret", args: []string{"serve"}, env: full(map[string]string{"PLANBRIDGE_HANDOFF_WEBHOOK_URL": "https://bot.example/hook"}), wantCode: 1,
			wantStderr: []string{"PLANBRIDGE_HANDOFF_WEBHOOK_SECRET must be at least 16 characters"}},
		{name: "settings without URL", args: []string{"serve"}, env: full(map[string]string{"PLANFIX_URL": ""}), wantCode: 1,
			wantStderr: []string{"PLANFIX_CHAT_TOKEN, PLANFIX_PROVIDER_ID, PLANFIX_TOKEN set without PLANFIX_URL"}},
	})
}

// bannerCurls returns the curl commands the sandbox banner prints, with
// backslash continuations joined.
func bannerCurls(banner string) []string { return commandLines(banner, "curl ") }

// commandLines returns the lines of text that start, once trimmed, with one
// of prefixes, with backslash continuations joined.
func commandLines(text string, prefixes ...string) []string {
	var cmds []string
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(l, p) }) {
			continue
		}
		for strings.HasSuffix(l, `\`) && i+1 < len(lines) {
			i++
			l = strings.TrimSuffix(l, `\`) + " " + strings.TrimSpace(lines[i])
		}
		cmds = append(cmds, l)
	}
	return cmds
}

// runCurl performs what a banner or README curl line asks for, with
// variables expanded from getenv: only -s, -H and -d are expected (anything
// else fails the test, so the lines stay simple enough to copy), and -d
// means POST as curl does.
func runCurl(t *testing.T, cmd string, getenv func(string) string) (int, string) {
	t.Helper()
	words, err := shellFields(cmd, getenv)
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	header := http.Header{}
	var body *string
	target := ""
	for i := 1; i < len(words); i++ {
		switch w := words[i]; w {
		case "-s":
		case "-H", "-d":
			if i+1 >= len(words) {
				t.Fatalf("%s without a value in %s", w, cmd)
			}
			i++
			if w == "-H" {
				k, v, ok := strings.Cut(words[i], ":")
				if !ok {
					t.Fatalf("bad header %q in %s", words[i], cmd)
				}
				header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
			} else {
				b := words[i]
				body = &b
			}
		default:
			if strings.HasPrefix(w, "-") || target != "" {
				t.Fatalf("unexpected curl argument %q in %s", w, cmd)
			}
			target = w
		}
	}
	method, contentType, payload := http.MethodGet, "", ""
	if body != nil {
		method, payload = http.MethodPost, *body
		if header.Get("Content-Type") == "" {
			contentType = "application/x-www-form-urlencoded" // curl's default for -d
		}
	}
	code, b := send(t, method, target, contentType, payload, header)
	return code, string(b)
}

// TestSandboxBannerCommandsRun runs every curl line of the sandbox banner
// exactly as printed (placeholders filled in by the banner itself) and
// checks each one does what the banner says it does.
func TestSandboxBannerCommandsRun(t *testing.T) {
	t.Parallel()
	_, banner := startServe(t, map[string]string{})
	cmds := bannerCurls(banner)
	// The hand-off lines run in order, as a newcomer pastes them, with
	// nothing taken from an answer (the shell is empty); the lines that
	// wait on delivery or on the task poll are retried for a few seconds,
	// as a newcomer would look again.
	wants := []struct {
		path   string
		code   int
		answer string
		wait   bool
	}{
		{"/v1/actions/listCompanies", http.StatusOK, `"companies"`, false},
		{"/mcp", http.StatusOK, `seed-company-`, false},
		{"/v1/actions/logConversation", http.StatusOK, `"queued":true`, false},
		{"/_emulator/call", http.StatusOK, `"output"`, false},
		{"/company/updated", http.StatusOK, `"companyUpdated"`, false},
		{"/v1/handoffs", http.StatusCreated, `"state":"open"`, false},
		{"/messages", http.StatusAccepted, `"state":"open"`, false},
		// The reply waits for the start's delivery to open the chat in Planfix.
		{"/_emulator/reply", http.StatusOK, `"chatId"`, true},
		{"/_sandbox/handoff-events", http.StatusOK, `"type":"assigned"`, true},
		{"/_emulator/close-task", http.StatusOK, `"active": false`, false},
		{"/v1/handoffs/demo-handoff-1", http.StatusOK, `"stopReason":"agent"`, true},
	}
	if len(cmds) != len(wants) {
		t.Fatalf("banner prints %d curl commands, want %d:\n%s", len(cmds), len(wants), banner)
	}
	shell := map[string]string{} // what a fresh shell has: nothing
	for i, cmd := range cmds {
		if !strings.Contains(cmd, wants[i].path) {
			t.Errorf("curl %d = %s, want one for %s", i, cmd, wants[i].path)
			continue
		}
		if strings.ContainsAny(cmd, "<$") {
			t.Errorf("curl %d needs a value the banner does not print: %s", i, cmd)
		}
		var code int
		var body string
		for try := 0; try < 100; try++ {
			code, body = runCurl(t, cmd, lookupIn(shell))
			if !wants[i].wait || code == wants[i].code && strings.Contains(body, wants[i].answer) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if code != wants[i].code || !strings.Contains(body, wants[i].answer) {
			t.Errorf("%s\n= %d %s, want %d with %s", cmd, code, body, wants[i].code, wants[i].answer)
		}
		switch wants[i].path {
		case "/_emulator/call":
			if !strings.Contains(body, `"status":200`) {
				t.Errorf("the emulated Botpress call failed: %s", body)
			}
		case "/v1/handoffs":
			var started struct{ SessionID, ChatID string }
			if err := json.Unmarshal([]byte(body), &started); err != nil || started.SessionID != "demo-handoff-1" || started.ChatID == "" {
				t.Fatalf("the hand-off's answer is not the banner's session demo-handoff-1: %s", body)
			}
		case "/_sandbox/handoff-events":
			if !strings.Contains(body, `"type":"agentMessage"`) || !strings.Contains(body, "Your refund is on its way.") {
				t.Errorf("the webhook did not get the agent's reply: %s", body)
			}
		}
	}
	// The user's message reached the Planfix task after the history.
	if code, body := get(t, regexp.MustCompile(`Planfix emulator:\s+(\S+)`).FindStringSubmatch(banner)[1]+"/_emulator/tasks"); code != http.StatusOK ||
		!strings.Contains(body, "It was order 42.") || !strings.Contains(body, "I want a refund.") {
		t.Errorf("the Planfix task lacks the conversation: %d %s", code, body)
	}

	// The command-line lines run as printed too, in order, the export line
	// setting the environment of those after it.
	lines := commandLines(banner, "go run ./cmd/planbridge ", "export ")
	env := map[string]string{}
	ran := 0
	for _, line := range lines {
		words, err := shellFields(line, lookupIn(env))
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if words[0] == "export" {
			for _, kv := range words[1:] {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					t.Fatalf("export without a value: %s", line)
				}
				env[k] = v
			}
			continue
		}
		ran++
		want := `"seed-company-`
		switch {
		case strings.Contains(line, "getConversation"):
			want = `"externalId": "bot-demo-1"`
		case strings.Contains(line, "outbox stats"):
			want = "completed"
		}
		// The logged conversation is delivered within the sandbox's flush
		// interval: a newcomer pasting the line a moment later sees it.
		var code int
		var stdout, stderr string
		for try := 0; try < 50; try++ {
			code, stdout, stderr = runUntilExit(t, env, "", words[3:]...)
			if code == 0 && strings.Contains(stdout, want) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("%s\n= exit %d, want %s in stdout:\n%s\nstderr:\n%s", line, code, want, stdout, stderr)
		}
		if strings.Contains(stderr, "sandbox mode") {
			t.Errorf("%s ran against its own sandbox, not the server:\n%s", line, stderr)
		}
	}
	if ran != 4 || env["PLANBRIDGE_SERVER"] == "" || env["PLANBRIDGE_API_KEY"] == "" {
		t.Errorf("banner prints %d go run lines (want 4) and exports %v:\n%s", ran, env, banner)
	}
	// The export line also carries the emulators' addresses, for the
	// README's tour: they must be the ones the banner shows.
	shown := regexp.MustCompile(`Planhat emulator:\s+(\S+)\s+\(token (\S+),`).FindStringSubmatch(banner)
	pf := regexp.MustCompile(`Planfix emulator:\s+(\S+)`).FindStringSubmatch(banner)
	if shown == nil || pf == nil {
		t.Fatalf("the banner does not show the emulators' addresses:\n%s", banner)
	}
	for name, want := range map[string]string{"PLANHAT_EMULATOR_URL": shown[1], "PLANHAT_EMULATOR_TOKEN": shown[2], "PLANFIX_EMULATOR_URL": pf[1]} {
		if env[name] != want {
			t.Errorf("the export line sets %s=%q, want %q, the banner's", name, env[name], want)
		}
	}
}

// TestServeBotpressTimeout proves serve bounds each Botpress operation: a
// Planhat that answers too slowly gets the bot builder an instructive
// timeout error, well before the emulator's answer would have come.
func TestServeBotpressTimeout(t *testing.T) {
	t.Parallel()
	emu := planhattest.NewServer(t, planhatemu.WithSeed(1))
	const latency = 5 * time.Second
	emu.SetLatency(latency)
	base, _ := startServe(t, map[string]string{
		"PLANBRIDGE_BOTPRESS_SECRET": "door-secret-456", "PLANBRIDGE_BOTPRESS_TIMEOUT": "300ms",
		"PLANBRIDGE_ALLOW_HOSTS": "127.0.0.1", "PLANFIX_URL": "https://example.planfix.com", "PLANFIX_TOKEN": "pf-token-secret-1", "PLANFIX_PROVIDER_ID": "planbridge", "PLANFIX_CHAT_TOKEN": "chat-token-secret-0123456789",
	})
	cfg, _ := json.Marshal(map[string]string{"apiToken": emu.Token, "apiUrl": emu.URL})
	header := actionHeader(cfg)
	start := time.Now()
	code, body := send(t, http.MethodPost, base+"/botpress/planhat/door-secret-456", "application/json",
		`{"type":"getCompany","input":{"id":"extid-seed-company-1"}}`, header)
	if elapsed := time.Since(start); elapsed >= latency {
		t.Errorf("answered after %s, not before the emulator's %s latency", elapsed, latency)
	}
	if code != http.StatusGatewayTimeout || !strings.Contains(string(body), "did not answer in time") || !strings.Contains(string(body), `"Runtime"`) {
		t.Errorf("slow operation = %d %s, want 504 Runtime saying Planhat did not answer in time", code, body)
	}
}

func TestServeRefusesNegativeBotpressTimeout(t *testing.T) {
	t.Parallel()
	code, _, stderr := runUntilExit(t, map[string]string{"PLANBRIDGE_BOTPRESS_TIMEOUT": "-1s", "PLANBRIDGE_ADDR": "127.0.0.1:0"}, "", "serve")
	if code == 0 || !strings.Contains(stderr, "PLANBRIDGE_BOTPRESS_TIMEOUT") || !strings.Contains(stderr, "positive duration") {
		t.Errorf("negative timeout: exit %d, stderr %s", code, stderr)
	}
}

// TestServeDrainsInFlightRequests stops serve, as SIGTERM would, while a
// REST call waits on a slow Planhat: the listener closes at once so no new
// connection gets in, the call still gets its answer, and serve exits 0.
func TestServeDrainsInFlightRequests(t *testing.T) {
	t.Parallel()
	emu := planhattest.NewServer(t, planhatemu.WithSeed(2))
	// The emulator's counters and log are written when it answers, too
	// late to tell the call is in flight, so its main API is mounted again
	// behind a listener that reports each arrival.
	arrived := make(chan struct{}, 1)
	planhatAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		emu.MainHandler().ServeHTTP(w, r)
	}))
	t.Cleanup(planhatAPI.Close)
	c := startServeCommand(t, map[string]string{
		"PLANHAT_TOKEN": emu.Token, "PLANHAT_API_URL": planhatAPI.URL, "PLANHAT_ANALYTICS_URL": emu.AnalyticsURL,
		"PLANBRIDGE_API_KEYS": "k1",
	}, "--shutdown-timeout", "30s")
	// Long enough that a loaded CI machine closes the listener well
	// before Planhat answers; the drain below never waits on a sleep.
	const latency = 3 * time.Second
	emu.SetLatency(latency)
	id := emu.Objects("companies")[0]["_id"].(string)

	type result struct {
		code int
		body string
		err  error
	}
	answered := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), commandWait+latency)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+"/v1/actions/getCompany", strings.NewReader(`{"id":"`+id+`"}`))
		if err != nil {
			answered <- result{err: err}
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer k1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		answered <- result{code: resp.StatusCode, body: string(b), err: err}
	}()
	select {
	case <-arrived:
	case r := <-answered:
		t.Fatalf("the call ended before reaching Planhat: %d %s %v", r.code, r.body, r.err)
	case <-time.After(commandWait):
		t.Fatalf("the call did not reach Planhat within %s", commandWait)
	}

	c.cancel() // what SIGTERM does; stop below waits for the exit
	addr := strings.TrimPrefix(c.BaseURL, "http://")
	deadline := time.Now().Add(commandWait)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatalf("serve still accepts connections %s after it was told to stop", commandWait)
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case r := <-answered:
		t.Fatalf("the in-flight call ended (%d %s %v) before serve stopped accepting connections: the drain was not observed", r.code, r.body, r.err)
	default:
	}

	c.stopOK(t)
	// The answer was written before serve returned; the client may still
	// be reading it.
	select {
	case r := <-answered:
		if r.err != nil || r.code != http.StatusOK || !strings.Contains(r.body, id) {
			t.Errorf("in-flight getCompany = %d %s %v, want 200 with company %s", r.code, r.body, r.err, id)
		}
	case <-time.After(commandWait):
		t.Fatalf("the in-flight call got no answer within %s of serve's exit", commandWait)
	}
	if got := emu.Stats().ByRoute["GET /companies/{id}"]; got != 1 {
		t.Errorf("Planhat answered %d getCompany calls, want 1", got)
	}
	for _, want := range []string{"shutting down", "stopped"} {
		if !strings.Contains(c.Stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, c.Stderr)
		}
	}
}

// TestServeStartupWarnings checks serve says at start-up, on stdout and in
// its log, what will not work: Planhat actions without a token, and
// Planhat settings that sandbox mode ignores.
func TestServeStartupWarnings(t *testing.T) {
	t.Parallel()
	emu := planhattest.NewServer(t, planhatemu.WithSeed(1))
	tests := []struct {
		name       string
		env        map[string]string
		wantStdout []string
		wantLog    []string
	}{
		{name: "Planfix only", env: map[string]string{"PLANFIX_URL": "https://example.planfix.com", "PLANFIX_TOKEN": "pf-token-secret-1", "PLANFIX_PROVIDER_ID": "planbridge", "PLANFIX_CHAT_TOKEN": "chat-token-secret-0123456789", "PLANBRIDGE_API_KEYS": "k"},
			wantStdout: []string{"planbridge: warning: no PLANHAT_TOKEN is set: REST calls of Planhat actions answer 503 not_configured"},
			wantLog:    []string{`level=WARN msg="no PLANHAT_TOKEN`}},
		{name: "sandbox with an API URL", env: map[string]string{"PLANHAT_API_URL": "https://api-eu.planhat.com"},
			wantStdout: []string{"planbridge: warning: PLANHAT_API_URL (--planhat-api-url) set without PLANHAT_TOKEN, so ignored"},
			wantLog:    []string{`level=WARN msg="Planhat settings ignored without PLANHAT_TOKEN"`}},
		{name: "configured", env: map[string]string{"PLANHAT_TOKEN": emu.Token, "PLANHAT_API_URL": emu.URL, "PLANBRIDGE_API_KEYS": "k"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := startServeCommand(t, tc.env)
			// The warnings are written before this log line.
			ctx, cancel := context.WithTimeout(t.Context(), commandWait)
			defer cancel()
			if _, err := c.Stderr.Wait(ctx, func(s string) bool { return strings.Contains(s, "planbridge listening") }); err != nil {
				t.Fatalf("no start-up log line: %v\n%s", err, c.Stderr)
			}
			c.stopOK(t)
			stdout, stderr := c.Stdout.String(), c.Stderr.String()
			for _, w := range tc.wantStdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range tc.wantLog {
				if !strings.Contains(stderr, w) {
					t.Errorf("log lacks %q:\n%s", w, stderr)
				}
			}
			if len(tc.wantStdout) == 0 && strings.Contains(stdout, "warning") {
				t.Errorf("stdout warns:\n%s", stdout)
			}
		})
	}
}
