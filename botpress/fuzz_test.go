package botpress_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/planbridge/planbridge/botpress"
)

func FuzzDecodeConfiguration(f *testing.F) {
	for _, s := range []string{"", "e30=", "e30", "eyJhIjoxfQ==", "eyJhIjoxfQ", "%%%", "WzFd", " e30= ", "bnVsbA==", "-_-_",
		base64.URLEncoding.EncodeToString([]byte(`{"k":"??>>"}`))} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		got, err := botpress.DecodeConfiguration(header)
		if err != nil {
			return
		}
		var m map[string]any
		if err := json.Unmarshal(got, &m); err != nil || m == nil {
			t.Fatalf("accepted %q but produced %q, not a JSON object", header, got)
		}
	})
}

func FuzzParseHeaders(f *testing.F) {
	f.Add("ping", "bot", "user", "int", "alias", "wh", "e30=", "")
	f.Add("", "", "", "", "", "", "", "")
	f.Add("action_triggered", "b", "u", "i", "a", "w", "!!", "apiKey")
	f.Fuzz(func(t *testing.T, op, bot, botUser, integ, alias, webhook, cfg, cfgType string) {
		h := http.Header{}
		for k, v := range map[string]string{"x-bp-operation": op, "x-bot-id": bot, "x-bot-user-id": botUser, "x-integration-id": integ,
			"x-integration-alias": alias, "x-webhook-id": webhook, "x-bp-configuration": cfg, "x-bp-configuration-type": cfgType} {
			h.Set(k, v)
		}
		req, err := botpress.ParseHeaders(h)
		if err != nil {
			if req != nil {
				t.Fatal("request returned with an error")
			}
			return
		}
		if req.BotID != bot || req.WebhookID != webhook || !json.Valid(req.Configuration) {
			t.Fatalf("decoded %+v from bot=%q webhook=%q", req, bot, webhook)
		}
	})
}

// FuzzHandlerBody sends arbitrary bodies to every operation of a default
// integration: the answer must never be a 500 or a panic, and must be JSON.
func FuzzHandlerBody(f *testing.F) {
	seeds := []string{``, `{}`, `null`, `[]`, `{"type":"x","input":{}}`, `{"type":1}`, `{"req":{"method":"GET","headers":{"a":"b"},"body":"x"}}`,
		`{"type":"text","conversation":{"channel":"c"}}`, `{"webhookUrl":"https://x"}`, `{"tags":{"a":"b"}}`, `{"currentConversation":{"id":1}}`, "\xff"}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s))
	}
	h := botpress.NewHandler(botpress.UnimplementedIntegration{}, botpress.HandlerOptions{MaxBodyBytes: 4096})
	ops := append(botpress.Operations(), "bogus")
	f.Fuzz(func(t *testing.T, opIndex uint8, body []byte) {
		op := ops[int(opIndex)%len(ops)]
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.Header = baseHeaders()
		r.Header.Set("x-bp-operation", string(op))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("%s %q answered %d: %s", op, body, w.Code, w.Body)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%s %q answered non-JSON %q", op, body, w.Body)
		}
	})
}
