package botpress_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/botpress"
)

func TestDecodeConfiguration(t *testing.T) {
	t.Parallel()
	obj := `{"apiToken":"t?>~","n":1}`
	tests := []struct {
		name    string
		header  string
		want    string
		wantErr bool
	}{
		{"empty", "", `{}`, false},
		{"spaces only", "   ", `{}`, false},
		{"std padded", base64.StdEncoding.EncodeToString([]byte(obj)), obj, false},
		{"std raw", base64.RawStdEncoding.EncodeToString([]byte(obj)), obj, false},
		{"url padded", base64.URLEncoding.EncodeToString([]byte(obj)), obj, false},
		{"url raw", base64.RawURLEncoding.EncodeToString([]byte(obj)), obj, false},
		{"surrounding spaces", "  " + base64.StdEncoding.EncodeToString([]byte(obj)) + " ", obj, false},
		{"empty object e30=", "e30=", `{}`, false},
		{"line-wrapped", "eyJh\nIjoxfQ==", `{"a":1}`, false},
		{"base64 of null", base64.StdEncoding.EncodeToString([]byte("null")), `{}`, false},
		{"base64 of nothing", base64.StdEncoding.EncodeToString([]byte("  ")), `{}`, false},
		{"json with whitespace", base64.StdEncoding.EncodeToString([]byte("\n {\"a\":1} \n")), `{"a":1}`, false},
		{"not base64", "%%%", "", true},
		{"array", base64.StdEncoding.EncodeToString([]byte(`[1]`)), "", true},
		{"string", base64.StdEncoding.EncodeToString([]byte(`"x"`)), "", true},
		{"truncated json", base64.StdEncoding.EncodeToString([]byte(`{"a":`)), "", true},
		{"plain json", `{"a":1}`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := botpress.DecodeConfiguration(tt.header)
			if tt.wantErr {
				var be *botpress.Error
				if !errors.As(err, &be) || be.Type != botpress.TypeInvalidPayload || !errors.Is(err, botpress.ErrConfiguration) {
					t.Fatalf("err = %v, want InvalidPayload wrapping ErrConfiguration", err)
				}
				if strings.Contains(be.Message, "apiToken") {
					t.Errorf("error echoes configuration content: %s", be.Message)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func baseHeaders() http.Header {
	h := http.Header{}
	h.Set("x-bp-operation", "ping")
	h.Set("x-bot-id", "bot1")
	h.Set("x-bot-user-id", "botuser1")
	h.Set("x-integration-id", "int1")
	h.Set("x-integration-alias", "alias1")
	h.Set("x-webhook-id", "wh1")
	h.Set("x-bp-configuration", "e30=")
	return h
}

func TestParseHeaders(t *testing.T) {
	t.Parallel()
	full := botpress.Request{Operation: "ping", BotID: "bot1", BotUserID: "botuser1", IntegrationID: "int1",
		IntegrationAlias: "alias1", WebhookID: "wh1", Configuration: json.RawMessage(`{}`)}
	tests := []struct {
		name    string
		edit    func(http.Header)
		want    *botpress.Request
		wantErr string
	}{
		{"all present", func(http.Header) {}, &full, ""},
		{"raw lower-case keys", func(h http.Header) {
			v := h.Get("x-bot-id")
			h.Del("x-bot-id")
			h["x-bot-id"] = []string{v} // non-canonical key as some proxies produce
		}, &full, ""},
		{"raw mixed-case keys", func(h http.Header) {
			v := h.Get("x-bp-configuration")
			h.Del("x-bp-configuration")
			h["X-BP-Configuration"] = []string{v}
			h.Del("x-bp-operation")
			h["X-bp-OPERATION"] = []string{"ping"}
		}, &full, ""},
		{"raw empty configuration is {}", func(h http.Header) {
			h.Del("x-bp-configuration")
			h["x-bp-configuration"] = []string{""}
		}, &full, ""},
		{"raw empty bot id is missing", func(h http.Header) {
			h.Del("x-bot-id")
			h["x-bot-id"] = []string{" "}
		}, nil, "Missing bot header"},
		{"canonical key wins over a raw one", func(h http.Header) {
			h["x-bot-id"] = []string{"other"}
		}, &full, ""},
		{"raw optional headers", func(h http.Header) {
			h["TraceParent"] = []string{"00-abc-def-01"}
			h["x-bp-configuration-type"] = []string{"apiKey"}
		}, &botpress.Request{Operation: "ping", BotID: "bot1", BotUserID: "botuser1", IntegrationID: "int1", IntegrationAlias: "alias1",
			WebhookID: "wh1", Configuration: json.RawMessage(`{}`), ConfigurationType: "apiKey", TraceParent: "00-abc-def-01"}, ""},
		{"upper-case names", func(h http.Header) {
			v := h.Get("X-Bot-Id")
			h.Del("X-Bot-Id")
			h.Set("X-BOT-ID", v)
		}, &full, ""},
		{"optional headers", func(h http.Header) {
			h.Set("x-bp-configuration-type", "apiKey")
			h.Set("traceparent", "00-abc-def-01")
			h.Set("tracestate", "k=v")
			h.Set("x-bp-type", "evt")
		}, &botpress.Request{Operation: "ping", BotID: "bot1", BotUserID: "botuser1", IntegrationID: "int1", IntegrationAlias: "alias1",
			WebhookID: "wh1", Configuration: json.RawMessage(`{}`), ConfigurationType: "apiKey", TraceParent: "00-abc-def-01", TraceState: "k=v", Type: "evt"}, ""},
		{"operation trimmed", func(h http.Header) { h.Set("x-bp-operation", " ping ") }, &full, ""},
		{"empty configuration is {}", func(h http.Header) { h.Set("x-bp-configuration", "") }, &full, ""},
		{"missing operation", func(h http.Header) { h.Del("x-bp-operation") }, nil, "Missing operation header"},
		{"empty bot id", func(h http.Header) { h.Set("x-bot-id", "") }, nil, "Missing bot header"},
		{"missing bot user", func(h http.Header) { h.Del("x-bot-user-id") }, nil, "Missing bot user header"},
		{"missing integration", func(h http.Header) { h.Del("x-integration-id") }, nil, "Missing integration header"},
		{"missing alias", func(h http.Header) { h.Del("x-integration-alias") }, nil, "Missing integration alias header"},
		{"missing webhook", func(h http.Header) { h.Del("x-webhook-id") }, nil, "Missing webhook header"},
		{"missing configuration", func(h http.Header) { h.Del("x-bp-configuration") }, nil, "Missing configuration header"},
		{"first missing wins", func(h http.Header) { h.Del("x-webhook-id"); h.Del("x-bot-id") }, nil, "Missing bot header"},
		{"bad configuration", func(h http.Header) { h.Set("x-bp-configuration", "!!") }, nil, "not base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := baseHeaders()
			tt.edit(h)
			got, err := botpress.ParseHeaders(h)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(botpress.Request{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestHeaderErrorType(t *testing.T) {
	t.Parallel()
	h := baseHeaders()
	h.Del("x-integration-alias")
	_, err := botpress.ParseHeaders(h)
	var he *botpress.HeaderError
	if !errors.As(err, &he) || he.Header != "x-integration-alias" {
		t.Fatalf("err = %#v", err)
	}
}

func TestWebhookRequestHeader(t *testing.T) {
	t.Parallel()
	w := botpress.WebhookRequest{Headers: map[string]string{"X-Dropbox-Signature": "a", "content-type": "b"}}
	for name, want := range map[string]string{"x-dropbox-signature": "a", "X-DROPBOX-SIGNATURE": "a", "Content-Type": "b", "missing": ""} {
		if got := w.Header(name); got != want {
			t.Errorf("Header(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestDecodeConfigurationIntoStruct(t *testing.T) {
	t.Parallel()
	req := &botpress.Request{Configuration: json.RawMessage(`{"apiToken":["secret-value"]}`)}
	var cfg struct {
		APIToken string `json:"apiToken"`
	}
	err := req.DecodeConfiguration(&cfg)
	var be *botpress.Error
	if !errors.As(err, &be) || be.Type != botpress.TypeRuntime || strings.Contains(be.Message, "secret-value") || !strings.Contains(be.Message, "apiToken") {
		t.Fatalf("err = %v", err)
	}
}

// TestDecodeConfigurationNeverEchoesNumbers proves that a number that does
// not fit its field (a PIN-like secret, say) stays out of the message, which
// reaches the bot builder and the log.
func TestDecodeConfigurationNeverEchoesNumbers(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{`{"pin":987654321987}`, `{"pin":-55443322}`, `{"pin":3.14159265}`} {
		req := &botpress.Request{Configuration: json.RawMessage(raw)}
		var cfg struct {
			PIN int16 `json:"pin"`
		}
		err := req.DecodeConfiguration(&cfg)
		var be *botpress.Error
		if !errors.As(err, &be) || !strings.Contains(be.Message, `"pin"`) || !strings.Contains(be.Message, "number") {
			t.Fatalf("%s: err = %v, want a message naming the field and the kind", raw, err)
		}
		for _, digits := range []string{"987654321987", "55443322", "14159265"} {
			if strings.Contains(be.Message, digits) {
				t.Errorf("%s: message echoes the value: %s", raw, be.Message)
			}
		}
	}
}
