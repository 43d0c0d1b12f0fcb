package botpress_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/botpress/botpresstest"
)

// BenchmarkHandlerAction measures one action_triggered through the handler
// (header decoding, body parsing, dispatch, output wrapping), without network.
func BenchmarkHandlerAction(b *testing.B) {
	h := botpress.NewHandler(greeter{}, botpress.HandlerOptions{})
	body := []byte(`{"type":"greet","input":{"name":"Ada"}}`)
	headers := baseHeaders()
	headers.Set("x-bp-operation", "action_triggered")
	headers.Set("x-bp-configuration", base64.StdEncoding.EncodeToString([]byte(`{"apiToken":"0123456789abcdef0123456789abcdef"}`)))
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.Header = headers
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code, w.Body)
		}
	}
}

func BenchmarkDecodeConfiguration(b *testing.B) {
	header := base64.StdEncoding.EncodeToString([]byte(`{"apiToken":"0123456789abcdef0123456789abcdef","apiUrl":"https://api.planhat.com"}`))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := botpress.DecodeConfiguration(header); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClientCreateMessage is one Runtime API round trip over loopback
// against the emulator.
func BenchmarkClientCreateMessage(b *testing.B) {
	bp := botpresstest.NewServer(b)
	c, err := botpress.NewClient(bp.ClientOptions())
	if err != nil {
		b.Fatal(err)
	}
	conv := bp.AddConversation("hitl", nil)
	in := botpress.CreateMessageInput{Type: "text", Payload: map[string]string{"text": "hello"}, UserID: bp.BotUserID, ConversationID: conv.ID}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.CreateMessage(b.Context(), in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLintDefinition(b *testing.B) {
	def := cleanDefinition()
	b.ReportAllocs()
	for b.Loop() {
		if errs := botpress.LintDefinition(def); errs != nil {
			b.Fatal(errs)
		}
	}
}
