package planfixemu_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/planbridge/planbridge/planfix"
	"github.com/planbridge/planbridge/planfix/planfixemu"
	"github.com/planbridge/planbridge/planfix/planfixtest"
)

// TestControlByContactEmail: reply and close-task find the chat by its
// contact's email, the newest active task first, and refuse ambiguous or
// empty selectors with what to send instead.
func TestControlByContactEmail(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var chats []string // chatId of each agent message the chat received
	chat := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f, _ := planfix.ParseForm(string(b))
		mu.Lock()
		chats = append(chats, f.Get("chatId"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"chatId":"`+f.Get("chatId")+`","contactId":"u"}`)
	}))
	defer chat.Close()
	srv := planfixtest.NewServer(t, planfixemu.WithChat(chat.URL, "ct"))
	for _, c := range []struct{ chat, contact, email string }{
		{"ann-old", "ct-ann", "ann@acme.test"},
		{"bob", "ct-bob", "bob@acme.test"},
		{"ann-new", "ct-ann", "ann@acme.test"},
	} {
		if a := callAnswer(t, srv, "newMessage", "chatId", c.chat, "contactId", c.contact, "contactName", "X", "contactEmail", c.email, "message", "hi"); a.status != 200 {
			t.Fatalf("newMessage %s: %d %s", c.chat, a.status, a.body)
		}
	}
	last := func() string {
		mu.Lock()
		defer mu.Unlock()
		if len(chats) == 0 {
			return ""
		}
		return chats[len(chats)-1]
	}
	js := "application/json"
	reply := func(want string) {
		t.Helper()
		if st, body := post(t, srv.URL+"/_emulator/reply", js, `{"contactEmail":" ANN@acme.test ","message":"Hello"}`); st != 200 || last() != want {
			t.Errorf("reply by email: %d %s, reached chat %q, want %q", st, body, last(), want)
		}
	}
	reply("ann-new")
	if st, body := post(t, srv.URL+"/_emulator/close-task", js, `{"contactEmail":"ann@acme.test"}`); st != 200 || !strings.Contains(body, `"chatId": "ann-new"`) || !strings.Contains(body, `"active": false`) {
		t.Errorf("close-task by email: %d %s, want ann-new closed", st, body)
	}
	reply("ann-old") // the newest task still active
	if st, body := post(t, srv.URL+"/_emulator/close-task", js, `{"contactEmail":"ann@acme.test"}`); st != 200 || !strings.Contains(body, `"chatId": "ann-old"`) {
		t.Errorf("second close-task by email: %d %s, want ann-old closed", st, body)
	}
	for _, tc := range []struct {
		path, body string
		status     int
		says       string
	}{
		{"/_emulator/reply", `{"contactEmail":"ann@acme.test","message":"x"}`, 404, "no active task has a contact with the email"},
		{"/_emulator/close-task", `{"contactEmail":"ann@acme.test"}`, 404, "no active task"},
		{"/_emulator/reply", `{"contactEmail":"nobody@acme.test","message":"x"}`, 404, "/_emulator/tasks"},
		{"/_emulator/reply", `{"chatId":"bob","contactEmail":"bob@acme.test","message":"x"}`, 400, "not both"},
		{"/_emulator/reply", `{"message":"x"}`, 400, "contactEmail"},
		{"/_emulator/reply", `{"contactEmail":"bob@acme.test"}`, 400, "a \\\"message\\\" or"},
		{"/_emulator/close-task", `{"number":2,"contactEmail":"bob@acme.test"}`, 400, "not both"},
		{"/_emulator/close-task", `{}`, 400, "contactEmail"},
		{"/_emulator/write-first", `{"contactEmail":"bob@acme.test","contactPhone":"+7999","message":"x"}`, 400, "/_emulator/reply"},
	} {
		if st, body := post(t, srv.URL+tc.path, js, tc.body); st != tc.status || !strings.Contains(body, tc.says) {
			t.Errorf("%s %s = %d %s, want %d saying %s", tc.path, tc.body, st, body, tc.status, tc.says)
		}
	}
	if got := last(); got != "ann-old" {
		t.Errorf("a refused call reached chat %q", got)
	}
}
