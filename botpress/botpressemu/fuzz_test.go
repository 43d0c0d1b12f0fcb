package botpressemu_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/planbridge/planbridge/botpress/botpressemu"
)

// FuzzRuntimeAPI sends arbitrary bodies to the write endpoints: every
// answer is JSON, never a 5xx, and a refused call records nothing.
func FuzzRuntimeAPI(f *testing.F) {
	routes := []struct{ method, path string }{
		{"POST", "/v1/chat/users/get-or-create"}, {"POST", "/v1/chat/users"}, {"PUT", "/v1/chat/users/user_bot_0001"},
		{"POST", "/v1/chat/conversations/get-or-create"}, {"POST", "/v1/chat/conversations"},
		{"POST", "/v1/chat/messages"}, {"POST", "/v1/chat/messages/get-or-create"}, {"POST", "/v1/chat/events"},
		{"POST", "/v1/chat/states/integration/intver_0001/s"}, {"PATCH", "/v1/chat/states/integration/intver_0001/s"},
		{"POST", "/v1/chat/states/integration/intver_0001/s/get-or-set"}, {"POST", "/v1/chat/integrations/configure"},
		{"PUT", "/_emulator/configuration"}, {"POST", "/_emulator/users"}, {"POST", "/_emulator/conversations"},
	}
	for i, s := range []string{`{}`, `{"tags":{"a":"b"}}`, `{"channel":"hitl","tags":{}}`, `{"type":"text","payload":{},"userId":"user_bot_0001","conversationId":"x","tags":{}}`,
		`{"payload":null}`, `{"payload":{"a":1},"expiry":-1}`, `[]`, `null`, `{"tags":{"a":1}}`, "\x00"} {
		f.Add(uint8(i), []byte(s))
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		srv := botpressemu.New()
		h := srv.Handler()
		rt := routes[int(route)%len(routes)]
		r := httptest.NewRequest(rt.method, rt.path, bytes.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+srv.Token)
		r.Header.Set("x-bot-id", srv.BotID)
		r.Header.Set("x-integration-id", srv.IntegrationID)
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 || !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%s %s %q -> %d %s", rt.method, rt.path, body, w.Code, w.Body)
		}
		if w.Code >= 400 {
			if len(srv.Users()) != 1 || len(srv.Conversations()) != 0 || len(srv.Messages()) != 0 || len(srv.Events()) != 0 || len(srv.States()) != 0 {
				t.Fatalf("refused call (%d) changed data: %s %s %q", w.Code, rt.method, rt.path, body)
			}
		}
	})
}
