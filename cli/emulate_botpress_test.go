package cli_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/botpress/botpressemu"
)

// runtimeHeader is what the integration sends with every Runtime API call:
// its access key and the installation it acts for (the emulator defaults).
func runtimeHeader(token string) http.Header {
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	h.Set(botpress.HeaderBotID, "bot_0001")
	h.Set(botpress.HeaderIntegrationID, "intver_0001")
	return h
}

// runtimeCall posts a JSON body to the Runtime API and decodes the answer.
func runtimeCall(t *testing.T, base, token, path, body string, out any) int {
	t.Helper()
	status, answer := send(t, http.MethodPost, base+path, "application/json", body, runtimeHeader(token))
	if status == http.StatusOK && out != nil {
		if err := json.Unmarshal(answer, out); err != nil {
			t.Fatalf("POST %s: %v: %s", path, err, answer)
		}
	}
	return status
}

// TestEmulateBotpress drives the standalone Botpress emulator as an
// integration (Runtime API) and as a demo script (control API) would.
func TestEmulateBotpress(t *testing.T) {
	t.Parallel()
	const token = "bp-secret-5e21"
	integration := startRecorder(t, http.StatusOK, "application/json", `{}`)
	cmd := startCommand(t, nil, "--log-level=debug", "emulate", "botpress", "--addr", "127.0.0.1:0",
		"--token", token, "--integration-url", integration.URL, "--configuration", `{"apiToken":"cfg-1"}`)

	refused := []struct {
		name  string
		token string
	}{
		{"wrong token", "not-" + token},
		{"no token", ""},
		{"default token", "bp-test-token"},
	}
	for _, tc := range refused {
		if status := runtimeCall(t, cmd.BaseURL, tc.token, "/v1/chat/users", `{"tags":{}}`, nil); status != http.StatusUnauthorized {
			t.Errorf("%s: create user status %d, want 401", tc.name, status)
		}
	}

	var user struct {
		User botpress.User `json:"user"`
	}
	if status := runtimeCall(t, cmd.BaseURL, token, "/v1/chat/users", `{"tags":{},"name":"Ann"}`, &user); status != http.StatusOK {
		t.Fatalf("create user with the right token: status %d, want 200", status)
	}
	var conv struct {
		Conversation botpress.Conversation `json:"conversation"`
	}
	if status := runtimeCall(t, cmd.BaseURL, token, "/v1/chat/conversations", `{"channel":"channel","tags":{}}`, &conv); status != http.StatusOK {
		t.Fatalf("create conversation: status %d, want 200", status)
	}
	msg := `{"type":"text","payload":{"text":"Hello"},"userId":"` + user.User.ID + `","conversationId":"` + conv.Conversation.ID + `","tags":{}}`
	if status := runtimeCall(t, cmd.BaseURL, token, "/v1/chat/messages", msg, nil); status != http.StatusOK {
		t.Fatalf("create message: status %d, want 200", status)
	}
	if status := runtimeCall(t, cmd.BaseURL, "not-"+token, "/v1/chat/messages", msg, nil); status != http.StatusUnauthorized {
		t.Errorf("create message with a wrong token: status %d, want 401", status)
	}
	status, body := send(t, http.MethodGet, cmd.BaseURL+"/_emulator/users", "", "", nil)
	var users []botpress.User
	if status != http.StatusOK || json.Unmarshal(body, &users) != nil {
		t.Fatalf("GET /_emulator/users: status %d: %s", status, body)
	}
	var ids []string
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	if diff := cmp.Diff([]string{"user_bot_0001", user.User.ID}, ids); diff != "" {
		t.Errorf("users besides the bot (-want +got), refused calls must not create any:\n%s", diff)
	}
	status, body = send(t, http.MethodGet, cmd.BaseURL+"/_emulator/messages?conversationId="+conv.Conversation.ID, "", "", nil)
	var messages []json.RawMessage
	if status != http.StatusOK || json.Unmarshal(body, &messages) != nil {
		t.Fatalf("GET /_emulator/messages: status %d: %s", status, body)
	}
	if len(messages) != 1 {
		t.Errorf("messages = %s, want exactly the accepted one", body)
	}

	operations := []struct {
		name        string
		call        string
		wantOp      string
		wantConfig  string
		wantPayload string
	}{
		{
			name:        "ping with the installation's configuration",
			call:        `{"operation":"ping"}`,
			wantOp:      "ping",
			wantConfig:  `{"apiToken":"cfg-1"}`,
			wantPayload: `{}`,
		},
		{
			name:        "register defaults to the webhook URL",
			call:        `{"operation":"register","configuration":{"apiToken":"cfg-2"}}`,
			wantOp:      "register",
			wantConfig:  `{"apiToken":"cfg-2"}`,
			wantPayload: `{"webhookUrl":"` + cmd.BaseURL + `/webhook/wh_0001"}`,
		},
		{
			name:        "action with its payload",
			call:        `{"operation":"action_triggered","payload":{"type":"getCompany","input":{"id":"c1"}}}`,
			wantOp:      "action_triggered",
			wantConfig:  `{"apiToken":"cfg-1"}`,
			wantPayload: `{"type":"getCompany","input":{"id":"c1"}}`,
		},
	}
	for i, tc := range operations {
		status, body := send(t, http.MethodPost, cmd.BaseURL+"/_emulator/call", "application/json", tc.call, nil)
		if status != http.StatusOK {
			t.Errorf("%s: POST /_emulator/call status %d, want 200: %s", tc.name, status, body)
			continue
		}
		var result botpressemu.CallResult
		if err := json.Unmarshal(body, &result); err != nil || result.Status != http.StatusOK {
			t.Errorf("%s: call result %s, want the integration's 200 (err %v)", tc.name, body, err)
		}
		got := integration.Requests()
		if len(got) != i+1 {
			t.Fatalf("%s: integration received %d requests, want %d", tc.name, len(got), i+1)
		}
		r := got[i]
		headers := map[string]string{}
		for _, k := range []string{botpress.HeaderOperation, botpress.HeaderBotID, botpress.HeaderBotUserID,
			botpress.HeaderIntegrationID, botpress.HeaderIntegrationAlias, botpress.HeaderWebhookID, "Content-Type"} {
			headers[k] = r.Header.Get(k)
		}
		wantHeaders := map[string]string{
			botpress.HeaderOperation: tc.wantOp, botpress.HeaderBotID: "bot_0001", botpress.HeaderBotUserID: "user_bot_0001",
			botpress.HeaderIntegrationID: "intver_0001", botpress.HeaderIntegrationAlias: "planhat",
			botpress.HeaderWebhookID: "wh_0001", "Content-Type": "application/json",
		}
		if diff := cmp.Diff(wantHeaders, headers); diff != "" {
			t.Errorf("%s: operation headers (-want +got):\n%s", tc.name, diff)
		}
		config, err := base64.StdEncoding.DecodeString(r.Header.Get(botpress.HeaderConfiguration))
		if err != nil {
			t.Errorf("%s: %s is not base64: %v", tc.name, botpress.HeaderConfiguration, err)
		}
		if diff := cmp.Diff(decodeAny(t, tc.wantConfig), decodeAny(t, string(config))); diff != "" {
			t.Errorf("%s: configuration (-want +got):\n%s", tc.name, diff)
		}
		if diff := cmp.Diff(decodeAny(t, tc.wantPayload), decodeAny(t, string(r.Body))); diff != "" {
			t.Errorf("%s: payload (-want +got):\n%s", tc.name, diff)
		}
		if r.Method != http.MethodPost {
			t.Errorf("%s: method %s, want POST", tc.name, r.Method)
		}
	}

	cmd.stopOK(t)
	assertNoSecrets(t, []string{token}, cmd.Stdout.String(), cmd.Stderr.String())
}

// decodeAny unmarshals JSON for a comparison that ignores formatting and key
// order.
func decodeAny(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Errorf("not JSON: %v: %q", err, s)
	}
	return v
}

// TestEmulateBotpressEnvironment checks BP_TOKEN reaches the emulator
// through the getenv given to Run and that --token wins over it.
func TestEmulateBotpressEnvironment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      map[string]string
		flags    []string
		accepted string
		refused  string
	}{
		{name: "environment only", env: map[string]string{"BP_TOKEN": "env-bp-1"}, accepted: "env-bp-1", refused: "bp-test-token"},
		{name: "flag wins over environment", env: map[string]string{"BP_TOKEN": "env-bp-2"}, flags: []string{"--token", "flag-bp-2"},
			accepted: "flag-bp-2", refused: "env-bp-2"},
		{name: "default without environment", accepted: "bp-test-token", refused: "env-bp-1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd := startCommand(t, tc.env, append([]string{"emulate", "botpress", "--addr", "127.0.0.1:0"}, tc.flags...)...)
			if status := runtimeCall(t, cmd.BaseURL, tc.refused, "/v1/chat/users", `{"tags":{}}`, nil); status != http.StatusUnauthorized {
				t.Errorf("token %q: status %d, want 401", tc.refused, status)
			}
			if status := runtimeCall(t, cmd.BaseURL, tc.accepted, "/v1/chat/users", `{"tags":{}}`, nil); status != http.StatusOK {
				t.Errorf("token %q: status %d, want 200", tc.accepted, status)
			}
			cmd.stopOK(t)
		})
	}
}

// TestEmulateBotpressFlagErrors checks that bad flags stop the command with
// a non-zero code and a message that names the problem, never the token.
func TestEmulateBotpressFlagErrors(t *testing.T) {
	t.Parallel()
	const (
		token    = "bp-secret-flagtest-41"
		envToken = "bp-env-secret-flagtest-42"
	)
	env := map[string]string{"BP_TOKEN": envToken}
	withToken := func(args ...string) []string {
		return append([]string{"emulate", "botpress", "--token", token}, args...)
	}
	busy := occupiedAddress(t)
	checkFlagErrors(t, []string{token, envToken}, []flagErrorCase{
		{name: "configuration not JSON", args: withToken("--addr", "127.0.0.1:0", "--configuration", "apiToken=x"), env: env,
			wantCode: 1, wantStderr: []string{"--configuration", "JSON object"}},
		{name: "configuration not an object", args: withToken("--addr", "127.0.0.1:0", "--configuration", `["a"]`), env: env,
			wantCode: 1, wantStderr: []string{"--configuration", "JSON object"}},
		{name: "empty configuration", args: withToken("--addr", "127.0.0.1:0", "--configuration", ""), env: env,
			wantCode: 1, wantStderr: []string{"--configuration", "JSON object"}},
		{name: "address without port", args: withToken("--addr", "nonsense"), env: env,
			wantCode: 1, wantStderr: []string{"cannot listen on nonsense", "pick another --addr, or stop whatever uses that port"}},
		{name: "address in use", args: withToken("--addr", busy), env: env,
			wantCode: 1, wantStderr: []string{"cannot listen on " + busy, "pick another --addr, or stop whatever uses that port"}},
		{name: "token flag without value", args: []string{"emulate", "botpress", "--addr", "127.0.0.1:0", "--token"}, env: env,
			wantCode: 2, wantStderr: []string{"--token"}},
		{name: "misspelt token flag", args: []string{"emulate", "botpress", "--addr", "127.0.0.1:0", "--tokn=" + token}, env: env,
			wantCode: 2, wantStderr: []string{"unknown flag"}},
	})
}
