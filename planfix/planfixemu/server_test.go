package planfixemu_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/planbridge/planbridge/planfix"
	"github.com/planbridge/planbridge/planfix/planfixemu"
	"github.com/planbridge/planbridge/planfix/planfixtest"
)

// testHTTP has its own transport: httptest.Server.Close resets
// http.DefaultTransport's connections, which flakes parallel tests.
var testHTTP = &http.Client{Transport: &http.Transport{}}

// answer is one HTTP answer of the emulator.
type answer struct {
	status int
	body   string
	header http.Header
}

// postAnswer sends a raw body to the emulator's endpoint and returns the
// whole answer, headers included.
func postAnswer(t *testing.T, url, ctype, body string) answer {
	t.Helper()
	resp, err := testHTTP.Post(url, ctype, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, string(b), resp.Header}
}

// post sends a raw body to the emulator's endpoint.
func post(t *testing.T, url, ctype, body string) (int, string) {
	t.Helper()
	a := postAnswer(t, url, ctype, body)
	return a.status, a.body
}

// callAnswer sends cmd with the emulator's token and providerId plus
// fields and returns the whole answer, headers included.
func callAnswer(t *testing.T, srv *planfixemu.Server, cmd string, fields ...string) answer {
	t.Helper()
	f := planfix.Form{{Key: "cmd", Value: cmd}, {Key: "providerId", Value: srv.ProviderID}, {Key: "planfix_token", Value: srv.PlanfixToken}}
	for i := 0; i+1 < len(fields); i += 2 {
		f.Add(fields[i], fields[i+1])
	}
	return postAnswer(t, srv.Endpoint(), "application/x-www-form-urlencoded", f.Encode())
}

// call sends cmd with the emulator's token and providerId plus fields.
func call(t *testing.T, srv *planfixemu.Server, cmd string, fields ...string) (int, string) {
	t.Helper()
	a := callAnswer(t, srv, cmd, fields...)
	return a.status, a.body
}

// checkJSON reports an answer of /webchat/api that does not carry
// Content-Type: application/json, which clients may insist on.
func checkJSON(t *testing.T, what string, a answer) {
	t.Helper()
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q, want application/json", what, ct)
	}
}

func say(t *testing.T, srv *planfixemu.Server, chatID, text string, fields ...string) {
	t.Helper()
	base := []string{"chatId", chatID, "contactId", "u-" + chatID, "contactName", "Ivan", "message", text}
	a := callAnswer(t, srv, "newMessage", append(base, fields...)...)
	if a.status != 200 {
		t.Fatalf("newMessage %q: %d %s", text, a.status, a.body)
	}
	checkJSON(t, "newMessage "+strconv.Quote(text), a)
}

func texts(task planfixemu.Task) []string {
	var out []string
	for _, c := range task.Comments {
		out = append(out, c.Direction+":"+c.Text)
	}
	return out
}

func TestTaskLifecycle(t *testing.T) {
	t.Parallel()
	srv := planfixtest.NewServer(t, planfixemu.WithIntegrationName("amoMessenger"))
	say(t, srv, "chat-1", "Hello", "contactLastName", "Ivanov")
	say(t, srv, "chat-1", "Anyone?")
	say(t, srv, "chat-2", "Other chat")

	tasks := srv.Tasks()
	if len(tasks) != 2 {
		t.Fatalf("tasks = %d, want one per chat", len(tasks))
	}
	first := tasks[0]
	if first.Name != "Ivan Ivanov (WebChat, amoMessenger)" || !first.Active || first.ChatID != "chat-1" {
		t.Errorf("first task = %+v", first)
	}
	if diff := cmp.Diff([]string{"in:Hello", "in:Anyone?"}, texts(first)); diff != "" {
		t.Errorf("comments (-want +got):\n%s", diff)
	}
	if first.Comments[0].FromType != "WebChatApi" || first.Comments[0].Author != "Ivan Ivanov" {
		t.Errorf("comment = %+v", first.Comments[0])
	}
	if len(srv.Contacts()) != 2 {
		t.Errorf("contacts = %+v", srv.Contacts())
	}

	// The agent closes the task: the next message opens a new one with the history.
	if err := srv.CloseTask(first.Number); err != nil {
		t.Fatal(err)
	}
	say(t, srv, "chat-1", "Back again")
	cur, _ := srv.TaskForChat("chat-1")
	if cur.Number == first.Number || !cur.Active || !strings.Contains(cur.Description, "Anyone?") {
		t.Fatalf("after close: current task = %+v", cur)
	}
	if diff := cmp.Diff([]string{"in:Back again"}, texts(cur)); diff != "" {
		t.Errorf("new task comments (-want +got):\n%s", diff)
	}
	old, _ := srv.Task(first.Number)
	if len(old.Comments) != 2 || old.Active {
		t.Errorf("closed task changed: %+v", old)
	}
	if err := srv.CloseTask(99999); err == nil {
		t.Error("CloseTask of an unknown task succeeded")
	}
}

func TestClosedTaskKeptWhenOptionOff(t *testing.T) {
	t.Parallel()
	srv := planfixtest.NewServer(t, planfixemu.WithCreateNewTaskIfNoActive(false))
	say(t, srv, "c", "one")
	task, _ := srv.TaskForChat("c")
	_ = srv.CloseTask(task.Number)
	say(t, srv, "c", "two")
	if got := srv.Tasks(); len(got) != 1 || len(got[0].Comments) != 2 {
		t.Fatalf("tasks = %+v, want the same task with both comments", got)
	}
	// A task deleted for good still causes a new one.
	_ = srv.DeleteTask(task.Number)
	say(t, srv, "c", "three")
	if got := srv.Tasks(); len(got) != 2 {
		t.Fatalf("after delete: %d tasks, want 2", len(got))
	}
	if st, body := call(t, srv, "getTask", "chatId", "c"); st != 200 || !strings.Contains(body, "1015") {
		t.Fatalf("getTask = %d %s", st, body)
	}
}

func TestTitleRenamesTask(t *testing.T) {
	t.Parallel()
	for _, renames := range []bool{true, false} {
		srv := planfixtest.NewServer(t, planfixemu.WithTitleRenamesTask(renames))
		say(t, srv, "c", "one", "title", "Order 5")
		say(t, srv, "c", "two")
		say(t, srv, "c", "three", "title", "Re: Order 5")
		task, _ := srv.TaskForChat("c")
		want, wantRenames := "Re: Order 5 (WebChat, planbridge)", 1
		if !renames {
			want, wantRenames = "Order 5 (WebChat, planbridge)", 0
		}
		if task.Name != want || task.Renames != wantRenames {
			t.Errorf("titleRenamesTask=%v: name %q renames %d, want %q %d", renames, task.Name, task.Renames, want, wantRenames)
		}
		// Repeating the same title renames again: a chat that sends its
		// title with every message is caught even when the name looks stable.
		say(t, srv, "c", "four", "title", "Re: Order 5")
		task, _ = srv.TaskForChat("c")
		if renames {
			wantRenames = 2
		}
		if task.Name != want || task.Renames != wantRenames {
			t.Errorf("titleRenamesTask=%v, same title again: name %q renames %d, want %q %d", renames, task.Name, task.Renames, want, wantRenames)
		}
		if len(srv.Tasks()) != 1 {
			t.Errorf("titleRenamesTask=%v: a title opened another task: %+v", renames, srv.Tasks())
		}
	}
}

func TestRefusalsLeaveStateIntact(t *testing.T) {
	t.Parallel()
	srv := planfixtest.NewServer(t, planfixemu.WithMaxMessageLength(10))
	say(t, srv, "c", "hello")
	before := srv.Tasks()
	good := planfix.Form{{Key: "cmd", Value: "newMessage"}, {Key: "providerId", Value: srv.ProviderID}, {Key: "chatId", Value: "c"},
		{Key: "planfix_token", Value: srv.PlanfixToken}, {Key: "message", Value: "x"}, {Key: "contactId", Value: "u-c"}, {Key: "contactName", Value: "I"}}
	without := func(key string) string {
		var f planfix.Form
		for _, p := range good {
			if p.Key != key {
				f = append(f, p)
			}
		}
		return f.Encode()
	}
	replace := func(key, value string) string {
		f := append(planfix.Form(nil), good...)
		for i := range f {
			if f[i].Key == key {
				f[i].Value = value
			}
		}
		return f.Encode()
	}
	jsonBody, _ := json.Marshal(map[string]string{"cmd": "newMessage", "providerId": srv.ProviderID, "planfix_token": srv.PlanfixToken, "chatId": "c", "message": "x"})
	const form = "application/x-www-form-urlencoded"
	tests := []struct {
		name   string
		url    string
		ctype  string
		body   string
		status int
		answer string
	}{
		{"JSON body", srv.Endpoint(), "application/json", string(jsonBody), 400, `{"error":"Invalid parameters"}`},
		{"token in query string", srv.Endpoint() + "?planfix_token=" + srv.PlanfixToken, form, without("planfix_token"), 400, `{"error":"Invalid parameters"}`},
		{"wrong token", srv.Endpoint(), form, replace("planfix_token", "nope"), 401, `{"error":"Invalid token"}`},
		{"no token", srv.Endpoint(), form, without("planfix_token"), 401, `{"error":"Invalid token"}`},
		{"token under the overview's name", srv.Endpoint(), form, strings.Replace(good.Encode(), "planfix_token=", "token=", 1), 401, `{"error":"Invalid token"}`},
		{"providerId with ~", srv.Endpoint(), form, replace("providerId", "plan~bridge"), 400, `{"error":"Invalid parameters"}`},
		{"unknown providerId", srv.Endpoint(), form, replace("providerId", "other"), 400, `{"error":"Invalid parameters"}`},
		{"unknown cmd", srv.Endpoint(), form, replace("cmd", "closeChat"), 400, `{"error":"Invalid parameters"}`},
		{"no chatId", srv.Endpoint(), form, without("chatId"), 400, `{"error":"Invalid parameters"}`},
		{"no contactId", srv.Endpoint(), form, without("contactId"), 400, `{"error":"Invalid parameters"}`},
		{"no contactName", srv.Endpoint(), form, without("contactName"), 400, `{"error":"Invalid parameters"}`},
		{"empty message", srv.Endpoint(), form, replace("message", " "), 400, `{"error":"Invalid parameters"}`},
		{"too long", srv.Endpoint(), form, replace("message", "12345678901"), 400, `{"error":"Invalid parameters"}`},
		{"malformed form", srv.Endpoint(), form, good.Encode() + "&x=%zz", 400, `{"error":"Invalid parameters"}`},
		{"messageStatus without status", srv.Endpoint(), form, replace("cmd", "messageStatus") + "&messageId=1", 400, `{"error":"Invalid parameters"}`},
		{"GET", srv.Endpoint(), "", "", 400, `{"error":"Invalid parameters"}`},
	}
	for _, tt := range tests {
		var a answer
		if tt.name == "GET" {
			resp, err := testHTTP.Get(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			a = answer{resp.StatusCode, string(b), resp.Header}
		} else {
			a = postAnswer(t, tt.url, tt.ctype, tt.body)
		}
		if a.status != tt.status || a.body != tt.answer {
			t.Errorf("%s: %d %s, want %d %s", tt.name, a.status, a.body, tt.status, tt.answer)
		}
		checkJSON(t, tt.name, a)
	}
	if diff := cmp.Diff(before, srv.Tasks()); diff != "" {
		t.Errorf("refused requests changed tasks (-before +after):\n%s", diff)
	}
}

func TestSwitches(t *testing.T) {
	t.Parallel()
	t.Run("isEcho PHP truthiness", func(t *testing.T) {
		t.Parallel()
		srv := planfixtest.NewServer(t, planfixemu.WithEmployees("bot@x.test"), planfixemu.WithDefaultAuthor("owner@x.test"))
		say(t, srv, "c", "a", "isEcho", "false")
		say(t, srv, "c", "b", "isEcho", "0")
		say(t, srv, "c", "c", "isEcho", "1", "userEmail", "bot@x.test")
		say(t, srv, "c", "d", "isEcho", "true", "userEmail", "stranger@x.test")
		task, _ := srv.TaskForChat("c")
		var got []string
		for _, c := range task.Comments {
			got = append(got, c.Direction+" "+c.Author)
		}
		want := []string{"out owner@x.test", "in Ivan", "out bot@x.test", "out owner@x.test"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("comments (-want +got):\n%s", diff)
		}
	})
	t.Run("isEcho strict", func(t *testing.T) {
		t.Parallel()
		srv := planfixtest.NewServer(t, planfixemu.WithStrictIsEcho(true))
		say(t, srv, "c", "a", "isEcho", "false")
		if st, _ := call(t, srv, "newMessage", "chatId", "c", "contactId", "u", "contactName", "I", "message", "b", "isEcho", "yes"); st != 400 {
			t.Errorf("isEcho=yes: %d, want 400", st)
		}
		task, _ := srv.TaskForChat("c")
		if task.Comments[0].Direction != planfixemu.In {
			t.Errorf("strict isEcho=false made %+v", task.Comments[0])
		}
	})
	t.Run("PHP last attachment wins", func(t *testing.T) {
		t.Parallel()
		srv := planfixtest.NewServer(t, planfixemu.WithLastAttachmentWins(true))
		say(t, srv, "c", "files", "attachments[name]", "a", "attachments[url]", "https://f/a", "attachments[name]", "b", "attachments[url]", "https://f/b")
		task, _ := srv.TaskForChat("c")
		if diff := cmp.Diff([]planfix.Attachment{{Name: "b", URL: "https://f/b"}}, task.Comments[0].Attachments); diff != "" {
			t.Errorf("attachments (-want +got):\n%s", diff)
		}
	})
	t.Run("data fields on creation only", func(t *testing.T) {
		t.Parallel()
		srv := planfixtest.NewServer(t, planfixemu.WithCustomFields("utm_source"))
		say(t, srv, "c", "one", "data_utm_source", "ads", "data_unknown", "x")
		say(t, srv, "c", "two", "data_utm_source", "mail")
		task, _ := srv.TaskForChat("c")
		if diff := cmp.Diff(map[string]string{"utm_source": "ads"}, task.CustomFields); diff != "" {
			t.Errorf("custom fields (-want +got):\n%s", diff)
		}
	})
	t.Run("data fields always", func(t *testing.T) {
		t.Parallel()
		srv := planfixtest.NewServer(t, planfixemu.WithDataOnEveryMessage(true))
		say(t, srv, "c", "one", "data_utm_source", "ads")
		say(t, srv, "c", "two", "data_utm_source", "mail")
		task, _ := srv.TaskForChat("c")
		if task.CustomFields["utm_source"] != "mail" {
			t.Errorf("custom fields = %v", task.CustomFields)
		}
	})
	t.Run("contact updates", func(t *testing.T) {
		t.Parallel()
		for mode, want := range map[planfixemu.ContactUpdateMode]string{
			planfixemu.UpdateEmptyFields: "Ivan a@x b@y", planfixemu.UpdateAllFields: "Ivan b@x b@y", planfixemu.UpdateNever: "Ivan a@x ",
		} {
			srv := planfixtest.NewServer(t, planfixemu.WithContactUpdates(mode))
			say(t, srv, "c", "1", "contactEmail", "a@x")
			say(t, srv, "c", "2", "contactEmail", "b@x", "contactPhone", "b@y")
			ct, _ := srv.Contact("u-c")
			if got := ct.Name + " " + ct.Email + " " + ct.Phone; got != want {
				t.Errorf("mode %d: contact %q, want %q", mode, got, want)
			}
			// updateContact always overwrites.
			if st, _ := call(t, srv, "updateContact", "contactId", "u-c", "contactName", "Ivan", "contactEmail", "new@x"); st != 200 {
				t.Fatal(st)
			}
			if ct, _ := srv.Contact("u-c"); ct.Email != "new@x" {
				t.Errorf("mode %d: updateContact left %q", mode, ct.Email)
			}
		}
	})
	t.Run("empty message allowed and object bodies", func(t *testing.T) {
		t.Parallel()
		srv := planfixtest.NewServer(t, planfixemu.WithEmptyMessageAllowed(true), planfixemu.WithObjectBodies(true))
		st, body := call(t, srv, "newMessage", "chatId", "c", "contactId", "u", "contactName", "I", "message", "")
		if st != 200 || body != "{}" {
			t.Errorf("= %d %q", st, body)
		}
	})
	t.Run("token alias", func(t *testing.T) {
		t.Parallel()
		srv := planfixtest.NewServer(t, planfixemu.WithTokenFieldAlias(true))
		st, _ := post(t, srv.Endpoint(), "application/x-www-form-urlencoded",
			"cmd=getContact&providerId=planbridge&token="+srv.PlanfixToken+"&contactId=nobody")
		if st != 400 {
			t.Errorf("getContact with token alias = %d, want 400 unknown contact (auth passed)", st)
		}
	})
	t.Run("token rotation", func(t *testing.T) {
		t.Parallel()
		srv := planfixtest.NewServer(t)
		srv.SetPlanfixTokens("rotated")
		if st, _ := call(t, srv, "getTask", "chatId", "c"); st != 401 {
			t.Errorf("old token after rotation = %d, want 401", st)
		}
	})
}

func TestAnswerShapesAndStatuses(t *testing.T) {
	t.Parallel()
	shapes := func(s planfixemu.AnswerShape) []planfixemu.Option {
		return []planfixemu.Option{planfixemu.WithGetTaskShape(s), planfixemu.WithGetContactShape(s)}
	}
	tests := []struct {
		name            string
		opts            []planfixemu.Option
		getTask, getCnt string
	}{
		// The defaults differ per command: getTask as observed from real
		// accounts, getContact as the Russian docs say.
		{"default", nil, `{"data":"{\"number\":1014,\"statusIsActive\":true}"}`, `{"data":{"number":1058}}`},
		{"data string", shapes(planfixemu.ShapeDataString), `{"data":"{\"number\":1014,\"statusIsActive\":true}"}`, `{"data":"{\"number\":1058}"}`},
		{"data object", shapes(planfixemu.ShapeDataObject), `{"data":{"number":1014,"statusIsActive":true}}`, `{"data":{"number":1058}}`},
		{"top level", shapes(planfixemu.ShapeTopLevel), `{"number":1014,"statusIsActive":true}`, `{"number":1058}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := planfixtest.NewServer(t, tt.opts...)
			a := callAnswer(t, srv, "getTask", "chatId", "c")
			if a.status != 400 || a.body != `{"error":"task not found"}` {
				t.Errorf("getTask before any message = %d %s", a.status, a.body)
			}
			checkJSON(t, "getTask before any message", a)
			a = callAnswer(t, srv, "getContact", "contactId", "u-c")
			if a.status != 400 || a.body != `{"error":"unknown contact"}` {
				t.Errorf("getContact before any message = %d %s", a.status, a.body)
			}
			checkJSON(t, "getContact before any message", a)
			say(t, srv, "c", "hi")
			a = callAnswer(t, srv, "getTask", "chatId", "c")
			if a.status != 200 || a.body != tt.getTask {
				t.Errorf("getTask = %d %s, want %s", a.status, a.body, tt.getTask)
			}
			checkJSON(t, "getTask", a)
			a = callAnswer(t, srv, "getContact", "contactId", "u-c")
			if a.status != 200 || a.body != tt.getCnt {
				t.Errorf("getContact = %d %s, want %s", a.status, a.body, tt.getCnt)
			}
			checkJSON(t, "getContact", a)
		})
	}

	srv := planfixtest.NewServer(t)
	for _, st := range []string{"sent", "delivered", "error"} {
		a := callAnswer(t, srv, "messageStatus", "messageId", "42", "messageStatus", st, "messageStatusText", "why")
		if a.status != 200 || a.body != "" {
			t.Fatalf("messageStatus %s = %d %q", st, a.status, a.body)
		}
		// Even an empty success body is declared JSON, so a client that
		// checks the type before reading is tested on every answer.
		checkJSON(t, "messageStatus "+st, a)
	}
	got := srv.MessageStatuses("42")
	want := []planfixemu.StatusReport{
		{MessageID: "42", Status: "sent", Raw: "sent", Text: "why"},
		{MessageID: "42", Status: "sent", Raw: "delivered", Text: "why"},
		{MessageID: "42", Status: "error", Raw: "error", Text: "why"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	srv := planfixtest.NewServer(t)
	srv.FailNext(1, 503)
	a := callAnswer(t, srv, "getTask", "chatId", "c")
	if ct := a.header.Get("Content-Type"); a.status != 503 || !strings.Contains(a.body, "<html>") || !strings.HasPrefix(ct, "text/html") {
		t.Errorf("FailNext: %d %q %s, want 503 and a text/html page as a proxy sends", a.status, ct, a.body)
	}
	srv.SetRedirect(301)
	client := &http.Client{Transport: &http.Transport{}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Post(srv.Endpoint(), "application/x-www-form-urlencoded", strings.NewReader("cmd=getTask"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 301 || resp.Header.Get("Location") != srv.CustomDomainEndpoint() {
		t.Errorf("redirect = %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The custom domain serves the same account.
	f := planfix.Form{{Key: "cmd", Value: "getTask"}, {Key: "providerId", Value: srv.ProviderID}, {Key: "planfix_token", Value: srv.PlanfixToken}, {Key: "chatId", Value: "c"}}
	if st, body := post(t, srv.CustomDomainEndpoint(), "application/x-www-form-urlencoded", f.Encode()); st != 400 || body != `{"error":"task not found"}` {
		t.Errorf("custom domain: %d %s", st, body)
	}
	srv.SetRedirect(0)
	if st, _ := call(t, srv, "getTask", "chatId", "c"); st != 400 {
		t.Errorf("after SetRedirect(0): %d", st)
	}
	if n := len(srv.Requests()); n != 4 {
		t.Errorf("requests recorded = %d, want 4", n)
	}
}

func TestReplyErrors(t *testing.T) {
	t.Parallel()
	srv := planfixtest.NewServer(t)
	if _, err := srv.Reply(t.Context(), "nope", planfixemu.Reply{Text: "x"}); err == nil {
		t.Error("reply to an unknown chat succeeded")
	}
	say(t, srv, "c", "hi")
	if _, err := srv.Reply(t.Context(), "c", planfixemu.Reply{Text: "x"}); err == nil || !strings.Contains(err.Error(), "chat URL") {
		t.Errorf("reply without chat URL: %v", err)
	}
	if task, _ := srv.TaskForChat("c"); len(task.Comments) != 1 {
		t.Errorf("an undeliverable reply was recorded: %+v", task.Comments)
	}
	// A deleted task takes no replies: agents cannot write into it.
	say(t, srv, "gone", "hi")
	gone, _ := srv.TaskForChat("gone")
	_ = srv.DeleteTask(gone.Number)
	if _, err := srv.PrepareReply("gone", planfixemu.Reply{Text: "x"}); !errors.Is(err, planfixemu.ErrNoChat) {
		t.Errorf("reply into a deleted task: %v, want ErrNoChat", err)
	}
	// A chat that answers with HTML is flagged, a closed port is a transport error.
	chat := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<p>ok</p>")
	}))
	defer chat.Close()
	srv.SetChat(chat.URL, "tok")
	d, err := srv.WriteFirst(t.Context(), "+7", planfixemu.Reply{Text: "hello"})
	if err != nil || d.OK() || len(d.Problems) == 0 {
		t.Errorf("first message to an HTML chat: %+v %v", d, err)
	}
	d, err = srv.Reply(t.Context(), "c", planfixemu.Reply{Text: "lenient"})
	if err != nil || !d.OK() {
		t.Errorf("reply to a lenient 200: %+v %v", d, err)
	}
	chat.Close()
	d, err = srv.Reply(t.Context(), "c", planfixemu.Reply{Text: "down"})
	if err != nil || d.Err == "" || d.OK() {
		t.Errorf("reply to a closed chat: %+v %v", d, err)
	}
}

func TestControlAPI(t *testing.T) {
	t.Parallel()
	var got []planfix.Form
	chat := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f, _ := planfix.ParseForm(string(b))
		got = append(got, f)
		w.Header().Set("Content-Type", "application/json")
		chatID := f.Get("chatId")
		if chatID == "" {
			chatID = "new-chat"
		}
		_, _ = io.WriteString(w, `{"chatId":"`+chatID+`","contactId":"u"}`)
	}))
	defer chat.Close()
	srv := planfixtest.NewServer(t, planfixemu.WithChat(chat.URL, "ct"))
	say(t, srv, "c", "hi")

	js := "application/json"
	if st, body := post(t, srv.URL+"/_emulator/reply", js, `{"chatId":"c","message":"Hello from the agent","attachments":[{"name":"a.pdf"}],"userName":"Olga"}`); st != 200 || !strings.Contains(body, `"messageId": "5000"`) {
		t.Fatalf("reply: %d %s", st, body)
	}
	if len(got) != 1 || got[0].Get("message") != "Hello from the agent" || got[0].Get("token") != "ct" || got[0].Get("userName") != "Olga" || len(got[0].Attachments()) != 1 {
		t.Fatalf("chat received %v", got)
	}
	if st, body := post(t, srv.URL+"/_emulator/reply", js, `{"chatId":"zzz","message":"x"}`); st != 404 {
		t.Errorf("reply to unknown chat: %d %s", st, body)
	}
	if st, _ := post(t, srv.URL+"/_emulator/reply", js, `{"chatId":"c","mesage":"typo"}`); st != 400 {
		t.Errorf("reply with a misspelt field: %d", st)
	}
	if st, _ := post(t, srv.URL+"/_emulator/reply", "text/plain", `{}`); st != 415 {
		t.Errorf("reply as text/plain: %d", st)
	}
	if st, body := post(t, srv.URL+"/_emulator/write-first", js, `{"contactPhone":"+7999","message":"Hi"}`); st != 200 {
		t.Errorf("write-first: %d %s", st, body)
	}
	if st, body := post(t, srv.URL+"/_emulator/close-task", js, `{"chatId":"c"}`); st != 200 || !strings.Contains(body, `"active": false`) {
		t.Errorf("close-task: %d %s", st, body)
	}
	if st, _ := post(t, srv.URL+"/_emulator/close-task", js, `{"chatId":"nope"}`); st != 404 {
		t.Errorf("close-task unknown: %d", st)
	}
	if st, body := post(t, srv.URL+"/_emulator/close-task", js, `{}`); st != 400 || !strings.Contains(body, "chatId") {
		t.Errorf("close-task without chatId: %d %s", st, body)
	}
	for _, path := range []string{"/_emulator/statuses/424242", "/_emulator/contacts"} {
		resp, err := testHTTP.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if path == "/_emulator/statuses/424242" && strings.TrimSpace(string(b)) != "[]" {
			t.Errorf("GET %s = %s, want []", path, b)
		}
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("GET %s = %d %q", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	resp, err := testHTTP.Get(srv.URL + "/_emulator/tasks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tasks []planfixemu.Task
	if err := json.NewDecoder(resp.Body).Decode(&tasks); err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 2 || tasks[0].Active || len(tasks[0].Comments) != 2 || tasks[1].ChatID != "new-chat" {
		t.Fatalf("tasks = %+v", tasks)
	}
}

func TestDeliveryRetriesAndFormatting(t *testing.T) {
	t.Parallel()
	var bodies []planfix.Form
	calls := 0
	chat := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f, _ := planfix.ParseForm(string(b))
		bodies = append(bodies, f)
		calls++
		if calls == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"chatId":"c","contactId":"u"}`)
	}))
	defer chat.Close()
	srv := planfixtest.NewServer(t, planfixemu.WithChat(chat.URL, "ct"), planfixemu.WithDeliveryRetries(3, time.Millisecond), planfixemu.WithHTMLEntities(true))
	say(t, srv, "c", "hi")
	d, err := srv.Reply(t.Context(), "c", planfixemu.Reply{Text: "See " + planfixemu.Link("docs", "https://d.test/?a=1&b=2"), Quote: "hi\nthere"})
	if err != nil || !d.OK() || d.Attempt != 2 {
		t.Fatalf("delivery = %+v, %v; want OK on attempt 2", d, err)
	}
	if len(bodies) != 2 || bodies[0].Get("messageId") != bodies[1].Get("messageId") {
		t.Fatalf("retries did not keep the messageId: %v", bodies)
	}
	want := "&gt;&gt; hi\n&gt;&gt; there\n&gt;&gt;\nSee docs [ https://d.test/?a=1&amp;b=2 ]"
	if got := bodies[1].Get("message"); got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
}

func TestAttachmentFetch(t *testing.T) {
	t.Parallel()
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ok.jpg" {
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, "jpeg")
	}))
	defer files.Close()
	srv := planfixtest.NewServer(t, planfixemu.WithAttachmentFetch(time.Second))
	say(t, srv, "c", "files", "attachments[name]", "ok.jpg", "attachments[url]", files.URL+"/ok.jpg",
		"attachments[name]", "gone.jpg", "attachments[url]", files.URL+"/gone.jpg")
	task, _ := srv.TaskForChat("c")
	if diff := cmp.Diff([]string{"gone.jpg: HTTP 404"}, task.Comments[0].AttachmentErrors); diff != "" {
		t.Errorf("attachment errors (-want +got):\n%s", diff)
	}
	if len(task.Comments[0].Attachments) != 2 {
		t.Errorf("attachments = %+v", task.Comments[0].Attachments)
	}
}

func TestStandaloneHandlerAndReset(t *testing.T) {
	t.Parallel()
	var answers []string
	chat := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		answers = append(answers, string(b))
		_, _ = io.WriteString(w, `{"success":true}`) // accepted by real Planfix, not by strict mode
	}))
	defer chat.Close()
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	srv := planfixemu.New(planfixemu.WithBaseURL(base), planfixemu.WithPlanfixToken("T1", "T0"), planfixemu.WithProviderID("bot"),
		planfixemu.WithChat(chat.URL, "C"), planfixemu.WithoutIntegrationField(), planfixemu.WithStrictReplyAnswers(true),
		planfixemu.WithAgent(planfixemu.Agent{ID: 5, Name: "Ann", Email: "ann@x.test"}))
	ts.Config.Handler = srv.Handler()
	ts.Start()
	defer ts.Close()
	if srv.Endpoint() != base+"/webchat/api" || srv.PlanfixToken != "T1" {
		t.Fatalf("endpoint %q token %q", srv.Endpoint(), srv.PlanfixToken)
	}
	for _, tok := range []string{"T1", "T0"} {
		st, body := post(t, srv.Endpoint(), "application/x-www-form-urlencoded",
			"cmd=newMessage&providerId=bot&planfix_token="+tok+"&chatId=c&contactId=u&contactName=I&message=hi")
		if st != 200 {
			t.Fatalf("token %s: %d %s", tok, st, body)
		}
	}
	d, err := srv.Reply(t.Context(), "c", planfixemu.Reply{Text: "hello"})
	if err != nil || d.OK() || len(d.Problems) == 0 {
		t.Fatalf("strict mode accepted %q: %+v %v", d.Body, d, err)
	}
	sent, _ := planfix.ParseForm(answers[0])
	if sent.Has("integration") || sent.Get("userIco") != base+"/?action=getuserpic&id=5" || sent.Get("userName") != "Ann" {
		t.Errorf("reply body = %s", answers[0])
	}
	if ds := srv.Deliveries(); len(ds) != 1 || ds[0].Form.Get("token") != "[redacted]" {
		t.Errorf("deliveries = %+v", ds)
	}
	task, _ := srv.TaskForChat("c")
	if err := srv.SetTaskActive(task.Number, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := srv.Task(task.Number); got.Active {
		t.Error("SetTaskActive(false) left the task active")
	}
	srv.Reset()
	if len(srv.Tasks()) != 0 || len(srv.Contacts()) != 0 || len(srv.Requests()) != 0 || len(srv.Deliveries()) != 0 {
		t.Error("Reset kept state")
	}
	if st, _ := post(t, base+"/_emulator/reset", "application/json", ""); st != 200 {
		t.Errorf("POST /_emulator/reset = %d", st)
	}
}

func TestTaskNameSuffix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []planfixemu.Option
		// created is the name from the contact, renamed the name after a title.
		created, renamed string
	}{
		{"default", nil, "Ivan (WebChat, planbridge)", "Order 5 (WebChat, planbridge)"},
		{"integration name", []planfixemu.Option{planfixemu.WithIntegrationName("amo")}, "Ivan (WebChat, amo)", "Order 5 (WebChat, amo)"},
		// The suffix wins over the integration name whatever the option order.
		{"custom", []planfixemu.Option{planfixemu.WithTaskNameSuffix(" [site chat]"), planfixemu.WithIntegrationName("amo")}, "Ivan [site chat]", "Order 5 [site chat]"},
		{"none", []planfixemu.Option{planfixemu.WithTaskNameSuffix("")}, "Ivan", "Order 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			chat := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, `{"chatId":"first","contactId":"u-first"}`)
			}))
			defer chat.Close()
			srv := planfixtest.NewServer(t, append(tt.opts, planfixemu.WithChat(chat.URL, "ct"))...)
			say(t, srv, "c", "hi")
			got := []string{taskName(t, srv, "c")}
			say(t, srv, "c", "again", "title", "Order 5")
			got = append(got, taskName(t, srv, "c"))
			// A task opened by an agent writing first is named the same way;
			// the contact's name is then its phone.
			if d, err := srv.WriteFirst(t.Context(), "+7999", planfixemu.Reply{Text: "Hello"}); err != nil || !d.OK() {
				t.Fatalf("WriteFirst: %+v %v", d, err)
			}
			got = append(got, taskName(t, srv, "first"))
			want := []string{tt.created, tt.renamed, strings.Replace(tt.created, "Ivan", "+7999", 1)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("task names: created, renamed, written first (-want +got):\n%s", diff)
			}
		})
	}
}

func taskName(t *testing.T, srv *planfixemu.Server, chatID string) string {
	t.Helper()
	task, ok := srv.TaskForChat(chatID)
	if !ok {
		t.Fatalf("no task for chat %q", chatID)
	}
	return task.Name
}

func TestMergeContacts(t *testing.T) {
	t.Parallel()
	srv := planfixtest.NewServer(t)
	sayAs := func(contactID, chatID, text string, fields ...string) {
		t.Helper()
		base := []string{"chatId", chatID, "contactId", contactID, "contactName", "Ivan", "message", text}
		if st, body := call(t, srv, "newMessage", append(base, fields...)...); st != 200 {
			t.Fatalf("newMessage %q as %s: %d %s", text, contactID, st, body)
		}
	}
	// Two cards for one person, as a chat with unstable contactIds makes.
	sayAs("site-1", "c1", "from the site", "contactEmail", "ivan@x.test")
	sayAs("tg-1", "c2", "from the messenger", "contactLastName", "Ivanov", "contactPhone", "+7999", "contactEmail", "other@x.test")
	sayAs("tg-2", "c3", "someone else")
	site, _ := srv.Contact("site-1")
	other, _ := srv.Contact("tg-2")

	if err := srv.MergeContacts("tg-1", "site-1"); err != nil {
		t.Fatal(err)
	}
	// The survivor keeps its number and email, and gains the last name and phone.
	want := []planfixemu.Contact{
		{Number: site.Number, ProviderID: srv.ProviderID, ContactID: "site-1", Name: "Ivan", LastName: "Ivanov", Email: "ivan@x.test", Phone: "+7999"},
		other,
	}
	if diff := cmp.Diff(want, srv.Contacts()); diff != "" {
		t.Errorf("contacts after merge (-want +got):\n%s", diff)
	}
	var owners []int64
	for _, task := range srv.Tasks() {
		owners = append(owners, task.ContactNumber)
	}
	if diff := cmp.Diff([]int64{site.Number, site.Number, other.Number}, owners); diff != "" {
		t.Errorf("task contacts after merge (-want +got):\n%s", diff)
	}

	// The chat still knows the merged id: it reaches the survivor, and no
	// new card appears.
	if got, ok := srv.Contact("tg-1"); !ok || got.Number != site.Number {
		t.Errorf("Contact(merged id) = %+v %v, want the survivor #%d", got, ok, site.Number)
	}
	if st, body := call(t, srv, "getContact", "contactId", "tg-1"); st != 200 || body != `{"data":{"number":`+strconv.FormatInt(site.Number, 10)+`}}` {
		t.Errorf("getContact of the merged id = %d %s, want the survivor #%d", st, body, site.Number)
	}
	sayAs("tg-1", "c4", "new chat, old id", "contactIco", "https://x.test/i.png")
	if n := len(srv.Contacts()); n != 2 {
		t.Errorf("a message with the merged id made a new card: %+v", srv.Contacts())
	}
	if task, _ := srv.TaskForChat("c4"); task.ContactNumber != site.Number {
		t.Errorf("new task of the merged id belongs to #%d, want #%d", task.ContactNumber, site.Number)
	}
	if got, _ := srv.Contact("site-1"); got.Ico != "https://x.test/i.png" {
		t.Errorf("the merged id's message did not update the survivor: %+v", got)
	}

	// Merging the survivor away carries the earlier merge along.
	if err := srv.MergeContacts("site-1", "tg-2"); err != nil {
		t.Fatal(err)
	}
	if got, _ := srv.Contact("tg-1"); got.Number != other.Number {
		t.Errorf("after a second merge, tg-1 finds #%d, want #%d", got.Number, other.Number)
	}

	for _, tc := range []struct{ from, to, want string }{
		{"nobody", "tg-2", `no contact with contactId "nobody"`},
		{"tg-2", "nobody", `no contact with contactId "nobody"`},
		{"tg-1", "tg-2", `"tg-1" was already merged into "tg-2"`},
		{"tg-2", "tg-2", "into itself"},
	} {
		if err := srv.MergeContacts(tc.from, tc.to); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("MergeContacts(%q, %q) = %v, want an error containing %q", tc.from, tc.to, err, tc.want)
		}
	}
	if n := len(srv.Contacts()); n != 1 {
		t.Errorf("refused merges changed the contacts: %+v", srv.Contacts())
	}

	// Reset forgets merges too: the old id gets a card of its own again.
	srv.Reset()
	sayAs("tg-1", "c1", "fresh start")
	if got, ok := srv.Contact("tg-1"); !ok || got.ContactID != "tg-1" {
		t.Errorf("after Reset, Contact(tg-1) = %+v %v, want its own card", got, ok)
	}
}

func TestWriteButtonHidden(t *testing.T) {
	t.Parallel()
	posts := 0
	var mu sync.Mutex
	chat := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		posts++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"chatId":"c","contactId":"u-c"}`)
	}))
	defer chat.Close()
	srv := planfixtest.NewServer(t, planfixemu.WithChat(chat.URL, "ct"), planfixemu.WithShowWriteButton(false))
	if _, err := srv.WriteFirst(t.Context(), "+7999", planfixemu.Reply{Text: "Hello"}); !errors.Is(err, planfixemu.ErrWriteButtonHidden) {
		t.Errorf("WriteFirst = %v, want ErrWriteButtonHidden", err)
	}
	st, body := post(t, srv.URL+"/_emulator/write-first", "application/json", `{"contactPhone":"+7999","message":"Hi"}`)
	if st != http.StatusConflict || !strings.Contains(body, `Write\" button`) {
		t.Errorf("POST /_emulator/write-first = %d %s, want 409 naming the Write button", st, body)
	}
	mu.Lock()
	n := posts
	mu.Unlock()
	if n != 0 || len(srv.Tasks()) != 0 || len(srv.Deliveries()) != 0 {
		t.Errorf("a refused first message had effects: %d posts, tasks %+v", n, srv.Tasks())
	}
	// The button only concerns writing first: replies in a chat still go out.
	say(t, srv, "c", "hi")
	if d, err := srv.Reply(t.Context(), "c", planfixemu.Reply{Text: "answer"}); err != nil || !d.OK() {
		t.Errorf("reply with the button hidden: %+v %v", d, err)
	}
}
