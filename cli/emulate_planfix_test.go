package cli_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/planbridge/planbridge/planfix/planfixemu"
)

const formType = "application/x-www-form-urlencoded"

// planfixMessage is the form a chat posts to /webchat/api for a contact's
// message.
func planfixMessage(token, providerID, chatID, text string) string {
	v := url.Values{}
	v.Set("cmd", "newMessage")
	v.Set("providerId", providerID)
	v.Set("chatId", chatID)
	v.Set("contactId", "contact-"+chatID)
	v.Set("contactName", "Ann")
	v.Set("message", text)
	if token != "" {
		v.Set("planfix_token", token)
	}
	return v.Encode()
}

// taskView is the part of a task these tests are about.
type taskView struct {
	ChatID     string
	ProviderID string
	Active     bool
	Comments   []string // direction + ": " + text
}

func planfixTasks(t *testing.T, base string) []taskView {
	t.Helper()
	status, body := send(t, http.MethodGet, base+"/_emulator/tasks", "", "", nil)
	if status != http.StatusOK {
		t.Fatalf("GET /_emulator/tasks: status %d: %s", status, body)
	}
	var tasks []planfixemu.Task
	if err := json.Unmarshal(body, &tasks); err != nil {
		t.Fatalf("GET /_emulator/tasks: %v: %s", err, body)
	}
	views := []taskView{}
	for _, task := range tasks {
		v := taskView{ChatID: task.ChatID, ProviderID: task.ProviderID, Active: task.Active}
		for _, c := range task.Comments {
			v.Comments = append(v.Comments, c.Direction+": "+c.Text)
		}
		views = append(views, v)
	}
	return views
}

// chatAck is what a chat answers to an agent message.
const chatAck = `{"chatId":"chat-1","contactId":"contact-chat-1"}`

// TestEmulatePlanfix drives the standalone Planfix emulator the way a chat
// and a demo script do: messages in through /webchat/api, agent replies out
// to the chat URL, tasks closed through the control API.
func TestEmulatePlanfix(t *testing.T) {
	t.Parallel()
	const (
		token      = "pf-secret-3f9a"
		providerID = "acme-bot"
		chatToken  = "chat-secret-77c1"
	)
	chat := startRecorder(t, http.StatusOK, "application/json", chatAck)
	cmd := startCommand(t, nil, "--log-level=debug", "emulate", "planfix", "--addr", "127.0.0.1:0",
		"--planfix-token", token, "--provider-id", providerID, "--chat-url", chat.URL, "--chat-token", chatToken)
	api := cmd.BaseURL + "/webchat/api"

	status, body := send(t, http.MethodPost, api, formType, planfixMessage(token, providerID, "chat-1", "Hello"), nil)
	if status != http.StatusOK {
		t.Fatalf("newMessage with the right token: status %d, want 200: %s", status, body)
	}
	created := []taskView{{ChatID: "chat-1", ProviderID: providerID, Active: true, Comments: []string{"in: Hello"}}}
	if diff := cmp.Diff(created, planfixTasks(t, cmd.BaseURL)); diff != "" {
		t.Fatalf("tasks after newMessage (-want +got):\n%s", diff)
	}

	refused := []struct {
		name       string
		form       string
		wantStatus int
	}{
		{"wrong token", planfixMessage("not-"+token, providerID, "chat-2", "Intruder"), http.StatusUnauthorized},
		{"no token", planfixMessage("", providerID, "chat-2", "Intruder"), http.StatusUnauthorized},
		{"wrong token on a known chat", planfixMessage("not-"+token, providerID, "chat-1", "Intruder"), http.StatusUnauthorized},
		{"other provider", planfixMessage(token, "other", "chat-2", "Intruder"), http.StatusBadRequest},
	}
	for _, tc := range refused {
		status, body := send(t, http.MethodPost, api, formType, tc.form, nil)
		if status != tc.wantStatus {
			t.Errorf("%s: status %d, want %d: %s", tc.name, status, tc.wantStatus, body)
		}
	}
	if diff := cmp.Diff(created, planfixTasks(t, cmd.BaseURL)); diff != "" {
		t.Fatalf("refused messages changed the tasks (-want +got):\n%s", diff)
	}

	status, body = send(t, http.MethodPost, cmd.BaseURL+"/_emulator/reply", "application/json",
		`{"chatId":"chat-1","message":"Hi, this is Bob"}`, nil)
	if status != http.StatusOK {
		t.Fatalf("POST /_emulator/reply: status %d, want 200: %s", status, body)
	}
	var delivery planfixemu.Delivery
	if err := json.Unmarshal(body, &delivery); err != nil {
		t.Fatalf("POST /_emulator/reply answer: %v: %s", err, body)
	}
	if delivery.MessageID == "" || delivery.Status != http.StatusOK || len(delivery.Problems) > 0 {
		t.Errorf("delivery = %+v, want a messageId, status 200 and no problems", delivery)
	}
	posted := chat.Requests()
	if len(posted) != 1 {
		t.Fatalf("chat URL received %d requests, want 1", len(posted))
	}
	if ct := posted[0].Header.Get("Content-Type"); ct != formType {
		t.Errorf("reply Content-Type = %q, want %q", ct, formType)
	}
	form, err := url.ParseQuery(string(posted[0].Body))
	if err != nil {
		t.Fatalf("reply body is not a form: %v: %q", err, posted[0].Body)
	}
	got := map[string]string{}
	for _, k := range []string{"cmd", "providerId", "chatId", "token", "message", "messageId"} {
		got[k] = form.Get(k)
	}
	want := map[string]string{"cmd": "newMessage", "providerId": providerID, "chatId": "chat-1",
		"token": chatToken, "message": "Hi, this is Bob", "messageId": delivery.MessageID}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reply form (-want +got):\n%s", diff)
	}

	status, body = send(t, http.MethodPost, cmd.BaseURL+"/_emulator/close-task", "application/json", `{"chatId":"chat-1"}`, nil)
	if status != http.StatusOK {
		t.Fatalf("POST /_emulator/close-task: status %d, want 200: %s", status, body)
	}
	closed := []taskView{{ChatID: "chat-1", ProviderID: providerID, Active: false,
		Comments: []string{"in: Hello", "out: Hi, this is Bob"}}}
	if diff := cmp.Diff(closed, planfixTasks(t, cmd.BaseURL)); diff != "" {
		t.Errorf("tasks after reply and close (-want +got):\n%s", diff)
	}

	cmd.stopOK(t)
	assertNoSecrets(t, []string{token, chatToken}, cmd.Stdout.String(), cmd.Stderr.String())
}

// TestEmulatePlanfixEnvironment checks the PLANFIX_* fallbacks reach the
// emulator through the getenv given to Run, and that flags win over them.
func TestEmulatePlanfixEnvironment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		env        map[string]string
		flags      []string
		accepted   string // planfix_token that must be accepted
		refused    string // planfix_token that must be refused
		providerID string
		chatToken  string // token the chat must receive with replies
	}{
		{
			name:       "environment only",
			env:        map[string]string{"PLANFIX_TOKEN": "env-pf-1", "PLANFIX_PROVIDER_ID": "env-provider", "PLANFIX_CHAT_TOKEN": "env-chat-1"},
			accepted:   "env-pf-1",
			refused:    "planfix-test-token",
			providerID: "env-provider",
			chatToken:  "env-chat-1",
		},
		{
			name:       "flags win over environment",
			env:        map[string]string{"PLANFIX_TOKEN": "env-pf-2", "PLANFIX_PROVIDER_ID": "env-provider", "PLANFIX_CHAT_TOKEN": "env-chat-2"},
			flags:      []string{"--planfix-token", "flag-pf-2", "--provider-id", "flag-provider", "--chat-token", "flag-chat-2"},
			accepted:   "flag-pf-2",
			refused:    "env-pf-2",
			providerID: "flag-provider",
			chatToken:  "flag-chat-2",
		},
		{
			name:       "defaults without environment",
			accepted:   "planfix-test-token",
			refused:    "env-pf-1",
			providerID: "planbridge",
			chatToken:  "chat-test-token",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			chat := startRecorder(t, http.StatusOK, "application/json", chatAck)
			args := append([]string{"emulate", "planfix", "--addr", "127.0.0.1:0", "--chat-url", chat.URL}, tc.flags...)
			cmd := startCommand(t, tc.env, args...)
			api := cmd.BaseURL + "/webchat/api"

			if status, body := send(t, http.MethodPost, api, formType, planfixMessage(tc.refused, tc.providerID, "chat-1", "Hello"), nil); status != http.StatusUnauthorized {
				t.Errorf("token %q: status %d, want 401: %s", tc.refused, status, body)
			}
			if status, body := send(t, http.MethodPost, api, formType, planfixMessage(tc.accepted, tc.providerID, "chat-1", "Hello"), nil); status != http.StatusOK {
				t.Fatalf("token %q, provider %q: status %d, want 200: %s", tc.accepted, tc.providerID, status, body)
			}
			if status, body := send(t, http.MethodPost, cmd.BaseURL+"/_emulator/reply", "application/json", `{"chatId":"chat-1","message":"Hi"}`, nil); status != http.StatusOK {
				t.Fatalf("POST /_emulator/reply: status %d, want 200: %s", status, body)
			}
			posted := chat.Requests()
			if len(posted) != 1 {
				t.Fatalf("chat URL received %d requests, want 1", len(posted))
			}
			form, err := url.ParseQuery(string(posted[0].Body))
			if err != nil {
				t.Fatalf("reply body is not a form: %v", err)
			}
			if got := form.Get("token"); got != tc.chatToken {
				t.Errorf("reply token = %q, want %q", got, tc.chatToken)
			}
			cmd.stopOK(t)
		})
	}
}

// TestEmulatePlanfixFlagErrors checks that bad flags stop the command with a
// non-zero code and a message that names the problem, never the tokens.
func TestEmulatePlanfixFlagErrors(t *testing.T) {
	t.Parallel()
	const (
		token     = "pf-secret-flagtest-91"
		chatToken = "chat-secret-flagtest-92"
		envToken  = "pf-env-secret-flagtest-93"
	)
	secrets := []string{token, chatToken, envToken}
	env := map[string]string{"PLANFIX_TOKEN": envToken}
	withTokens := func(args ...string) []string {
		return append([]string{"emulate", "planfix", "--planfix-token", token, "--chat-token", chatToken}, args...)
	}
	busy := occupiedAddress(t)
	checkFlagErrors(t, secrets, []flagErrorCase{
		{name: "empty provider id", args: withTokens("--addr", "127.0.0.1:0", "--provider-id", ""),
			wantCode: 1, wantStderr: []string{"--provider-id", "non-empty"}},
		{name: "provider id with tilde", args: withTokens("--addr", "127.0.0.1:0", "--provider-id", "a~b"),
			wantCode: 1, wantStderr: []string{"--provider-id", `without "~"`}},
		{name: "environment provider id with tilde", args: withTokens("--addr", "127.0.0.1:0"),
			env: map[string]string{"PLANFIX_TOKEN": envToken, "PLANFIX_PROVIDER_ID": "x~y"}, wantCode: 1, wantStderr: []string{"--provider-id"}},
		{name: "empty planfix token", args: []string{"emulate", "planfix", "--addr", "127.0.0.1:0", "--planfix-token", "", "--chat-token", chatToken},
			wantCode: 1, wantStderr: []string{"--planfix-token is empty", "PLANFIX_TOKEN"}},
		{name: "empty chat token", args: withTokens("--addr", "127.0.0.1:0", "--chat-token", ""),
			wantCode: 1, wantStderr: []string{"--chat-token is empty", "PLANFIX_CHAT_TOKEN"}},
		{name: "relative chat URL", args: withTokens("--addr", "127.0.0.1:0", "--chat-url", "/planfix/chat"),
			wantCode: 1, wantStderr: []string{"--chat-url", "absolute http(s) URL"}},
		{name: "chat URL with another scheme", args: withTokens("--addr", "127.0.0.1:0", "--chat-url", "ftp://127.0.0.1/chat"),
			wantCode: 1, wantStderr: []string{"--chat-url", "absolute http(s) URL"}},
		{name: "address without port", args: withTokens("--addr", "nonsense"), env: env,
			wantCode: 1, wantStderr: []string{"cannot listen on nonsense", "pick another --addr, or stop whatever uses that port"}},
		{name: "port out of range", args: withTokens("--addr", "127.0.0.1:99999"), env: env,
			wantCode: 1, wantStderr: []string{"pick another --addr, or stop whatever uses that port"}},
		{name: "address in use", args: withTokens("--addr", busy), env: env,
			wantCode: 1, wantStderr: []string{"cannot listen on " + busy, "pick another --addr, or stop whatever uses that port"}},
		{name: "unknown answer shape", args: withTokens("--addr", "127.0.0.1:0", "--get-task-shape", "xml"), env: env,
			wantCode: 2, wantStderr: []string{"--get-task-shape"}},
		{name: "bad chat timeout", args: withTokens("--addr", "127.0.0.1:0", "--chat-timeout", "soon"), env: env,
			wantCode: 2, wantStderr: []string{"--chat-timeout"}},
		{name: "token flag without value", args: []string{"emulate", "planfix", "--addr", "127.0.0.1:0", "--chat-token", chatToken, "--planfix-token"}, env: env,
			wantCode: 2, wantStderr: []string{"--planfix-token"}},
		{name: "misspelt token flag", args: []string{"emulate", "planfix", "--addr", "127.0.0.1:0", "--planfix-tokn=" + token}, env: env,
			wantCode: 2, wantStderr: []string{"unknown flag"}},
		{name: "no emulator named", args: []string{"emulate"}, env: env,
			wantCode: 2, wantStderr: []string{"planhat", "planfix", "botpress"}},
	})
}

// TestEmulatePlanfixSwitches checks that the behaviour flags reach the
// emulator: the raw getTask answer, what a message after close-task does,
// task names, and whether agents may write first.
func TestEmulatePlanfixSwitches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		flags []string
		// getTask is the raw answer while the task is open, getTaskAfter
		// after close-task and another message.
		getTask, getTaskAfter string
		after                 []taskView // tasks after close-task and another message
		taskName              string
		writeFirst            int // status of POST /_emulator/write-first
	}{
		{
			name:         "defaults",
			getTask:      `{"data":"{\"number\":1014,\"statusIsActive\":true}"}`,
			getTaskAfter: `{"data":"{\"number\":1015,\"statusIsActive\":true}"}`,
			after: []taskView{
				{ChatID: "chat-1", ProviderID: "planbridge", Active: false, Comments: []string{"in: Hello"}},
				{ChatID: "chat-1", ProviderID: "planbridge", Active: true, Comments: []string{"in: Again"}},
			},
			taskName:   "Ann (WebChat, planbridge)",
			writeFirst: http.StatusOK,
		},
		{
			name:         "top-level shape, no new task",
			flags:        []string{"--get-task-shape", "top-level", "--no-new-task"},
			getTask:      `{"number":1014,"statusIsActive":true}`,
			getTaskAfter: `{"number":1014,"statusIsActive":false}`,
			after: []taskView{
				{ChatID: "chat-1", ProviderID: "planbridge", Active: false, Comments: []string{"in: Hello", "in: Again"}},
			},
			taskName:   "Ann (WebChat, planbridge)",
			writeFirst: http.StatusOK,
		},
		{
			name:         "task name suffix, no write button",
			flags:        []string{"--integration-name", "Site", "--task-name-suffix", " [site chat]", "--no-write-button"},
			getTask:      `{"data":"{\"number\":1014,\"statusIsActive\":true}"}`,
			getTaskAfter: `{"data":"{\"number\":1015,\"statusIsActive\":true}"}`,
			after: []taskView{
				{ChatID: "chat-1", ProviderID: "planbridge", Active: false, Comments: []string{"in: Hello"}},
				{ChatID: "chat-1", ProviderID: "planbridge", Active: true, Comments: []string{"in: Again"}},
			},
			taskName:   "Ann [site chat]",
			writeFirst: http.StatusConflict,
		},
		{
			name:         "no task name suffix",
			flags:        []string{"--task-name-suffix", ""},
			getTask:      `{"data":"{\"number\":1014,\"statusIsActive\":true}"}`,
			getTaskAfter: `{"data":"{\"number\":1015,\"statusIsActive\":true}"}`,
			after: []taskView{
				{ChatID: "chat-1", ProviderID: "planbridge", Active: false, Comments: []string{"in: Hello"}},
				{ChatID: "chat-1", ProviderID: "planbridge", Active: true, Comments: []string{"in: Again"}},
			},
			taskName:   "Ann",
			writeFirst: http.StatusOK,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			chat := startRecorder(t, http.StatusOK, "application/json", chatAck)
			args := append([]string{"emulate", "planfix", "--addr", "127.0.0.1:0", "--chat-url", chat.URL}, tc.flags...)
			cmd := startCommand(t, nil, args...)
			api := cmd.BaseURL + "/webchat/api"
			getTask := func(when, want string) {
				t.Helper()
				v := url.Values{"cmd": {"getTask"}, "providerId": {"planbridge"}, "planfix_token": {"planfix-test-token"}, "chatId": {"chat-1"}}
				a := sendForHeaders(t, http.MethodPost, api, formType, v.Encode(), nil)
				if a.Status != http.StatusOK || a.Body != want {
					t.Errorf("getTask %s: %d %s, want 200 %s", when, a.Status, a.Body, want)
				}
				if ct := a.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("getTask %s: Content-Type %q, want application/json", when, ct)
				}
			}
			message := func(text string) {
				t.Helper()
				if status, body := send(t, http.MethodPost, api, formType, planfixMessage("planfix-test-token", "planbridge", "chat-1", text), nil); status != http.StatusOK {
					t.Fatalf("newMessage %q: status %d, want 200: %s", text, status, body)
				}
			}

			message("Hello")
			getTask("while open", tc.getTask)
			if status, body := send(t, http.MethodPost, cmd.BaseURL+"/_emulator/close-task", "application/json", `{"chatId":"chat-1"}`, nil); status != http.StatusOK {
				t.Fatalf("POST /_emulator/close-task: status %d, want 200: %s", status, body)
			}
			message("Again")
			getTask("after close-task and a message", tc.getTaskAfter)
			if diff := cmp.Diff(tc.after, planfixTasks(t, cmd.BaseURL)); diff != "" {
				t.Errorf("tasks after close-task and a message (-want +got):\n%s", diff)
			}
			status, body := send(t, http.MethodGet, cmd.BaseURL+"/_emulator/tasks", "", "", nil)
			var tasks []planfixemu.Task
			if err := json.Unmarshal(body, &tasks); status != http.StatusOK || err != nil || len(tasks) == 0 {
				t.Fatalf("GET /_emulator/tasks: %d %v: %s", status, err, body)
			}
			if tasks[0].Name != tc.taskName {
				t.Errorf("task name = %q, want %q", tasks[0].Name, tc.taskName)
			}

			status, body = send(t, http.MethodPost, cmd.BaseURL+"/_emulator/write-first", "application/json", `{"contactPhone":"+7999","message":"Hi"}`, nil)
			if status != tc.writeFirst {
				t.Errorf("POST /_emulator/write-first: status %d, want %d: %s", status, tc.writeFirst, body)
			}
			wantPosts := 1
			if tc.writeFirst != http.StatusOK {
				wantPosts = 0
				if !strings.Contains(string(body), "--no-write-button") {
					t.Errorf("refused write-first does not say why: %s", body)
				}
			}
			if n := len(chat.Requests()); n != wantPosts {
				t.Errorf("chat URL received %d requests, want %d", n, wantPosts)
			}
			cmd.stopOK(t)
		})
	}
}
