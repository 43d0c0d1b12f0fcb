package httpapi

import (
	"encoding/json"
	"errors"
	"github.com/planbridge/planbridge/actions"
	"net/http"
	"strings"
	"testing"
)

func decodeJSONBody(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("body is not the expected JSON: %v\n%s", err, b)
	}
}

func TestDecodeActionInput(t *testing.T) {
	t.Parallel()
	const limit = 64
	tests := []struct {
		name        string
		contentType string
		body        string
		want        string // decoded input, when no error
		wantStatus  int
		wantCode    actions.Code
	}{
		{name: "object", contentType: "application/json", body: `{"id":"x"}`, want: `{"id":"x"}`},
		{name: "charset and spaces", contentType: "application/json; charset=utf-8", body: "  {\"a\":1}\n", want: `{"a":1}`},
		{name: "vendor json", contentType: "application/vnd.api+json", body: `{}`, want: `{}`},
		{name: "empty body no type", contentType: "", body: "", want: `{}`},
		{name: "empty body json", contentType: "application/json", body: "  ", want: `{}`},
		{name: "no content type", contentType: "", body: `{"a":1}`, wantStatus: 415, wantCode: actions.CodeUnsupportedMediaType},
		{name: "form", contentType: "application/x-www-form-urlencoded", body: "a=1", wantStatus: 415, wantCode: actions.CodeUnsupportedMediaType},
		{name: "text", contentType: "text/plain", body: `{}`, wantStatus: 415, wantCode: actions.CodeUnsupportedMediaType},
		{name: "garbage type", contentType: "/;;", body: `{}`, wantStatus: 415, wantCode: actions.CodeUnsupportedMediaType},
		{name: "malformed", contentType: "application/json", body: `{"a":`, wantStatus: 400, wantCode: actions.CodeMalformedJSON},
		{name: "array", contentType: "application/json", body: `[1,2]`, wantStatus: 400, wantCode: actions.CodeMalformedJSON},
		{name: "string", contentType: "application/json", body: `"x"`, wantStatus: 400, wantCode: actions.CodeMalformedJSON},
		{name: "null", contentType: "application/json", body: `null`, wantStatus: 400, wantCode: actions.CodeMalformedJSON},
		{name: "two values", contentType: "application/json", body: `{}{}`, wantStatus: 400, wantCode: actions.CodeMalformedJSON},
		{name: "oversized", contentType: "application/json", body: `{"a":"` + strings.Repeat("x", limit) + `"}`, wantStatus: 413, wantCode: actions.CodePayloadTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodeActionInput(tt.contentType, strings.NewReader(tt.body), limit)
			if tt.wantStatus == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if string(got) != tt.want {
					t.Errorf("input = %s, want %s", got, tt.want)
				}
				return
			}
			var be *BodyError
			if !errors.As(err, &be) || !errors.Is(err, ErrBody) {
				t.Fatalf("error = %v, want a *BodyError", err)
			}
			if be.Status != tt.wantStatus || be.Code != tt.wantCode {
				t.Errorf("got %d %s, want %d %s (%s)", be.Status, be.Code, tt.wantStatus, tt.wantCode, be.Message)
			}
			if strings.Contains(be.Message, "xxxxxxxx") {
				t.Errorf("message echoes the body: %s", be.Message)
			}
		})
	}
}

func TestDecodeActionInputMaxBytesReader(t *testing.T) {
	t.Parallel()
	body := http.MaxBytesReader(nil, nopCloser{strings.NewReader(`{"a":"` + strings.Repeat("y", 100) + `"}`)}, 10)
	_, err := DecodeActionInput("application/json", body, 1000)
	var be *BodyError
	if !errors.As(err, &be) || be.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("error = %v, want 413", err)
	}
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

// FuzzDecodeActionInput checks that any content type and body either
// decode to exactly one JSON object or are refused with 400, 413 or 415,
// never a panic, and never with body bytes in the message.
func FuzzDecodeActionInput(f *testing.F) {
	seeds := []struct{ ct, body string }{
		{"application/json", `{"id":"5f0c2b1e9a1b2c3d4e5f6a7b"}`},
		{"application/json; charset=utf-8", `{"nested":{"a":[1,2,{"b":null}]}}`},
		{"application/json", `{"a":1}{"b":2}`},
		{"application/json", `[{"a":1}]`},
		{"application/json", "{\"a\":\"\xff\xfe\"}"},
		{"application/json", `{"a":1e999}`},
		{"", ""},
		{"", "{}"},
		{"text/plain", "{}"},
		{"application/problem+json", `{"x":true}`},
		{"multipart/form-data; boundary=x", "--x--"},
		{"application/json", strings.Repeat("[", 300)},
		{"application/json", `{"a":"` + strings.Repeat("z", 600) + `"}`},
	}
	for _, s := range seeds {
		f.Add(s.ct, s.body)
	}
	f.Fuzz(func(t *testing.T, ct, body string) {
		const limit = 512
		got, err := DecodeActionInput(ct, strings.NewReader(body), limit)
		if err == nil {
			var obj map[string]any
			dec := json.NewDecoder(strings.NewReader(string(got)))
			dec.UseNumber()
			if dec.Decode(&obj) != nil || obj == nil || dec.More() {
				t.Fatalf("accepted %q as %q, which is not one JSON object", body, got)
			}
			if len(body) > limit {
				t.Fatalf("accepted a %d-byte body over the %d limit", len(body), limit)
			}
			return
		}
		var be *BodyError
		if !errors.As(err, &be) {
			t.Fatalf("error %T %v is not a *BodyError", err, err)
		}
		switch be.Status {
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		default:
			t.Fatalf("status %d for %q %q", be.Status, ct, body)
		}
		if be.Code == "" || be.Message == "" {
			t.Fatalf("empty code or message: %+v", be)
		}
		if be.Status == http.StatusUnsupportedMediaType {
			// A refused content type is decided before the body is read, so
			// the message must not depend on the body at all. (Comparing with
			// a substring check here mistook a quoted content type that
			// happened to contain the body for an echo.)
			_, other := DecodeActionInput(ct, strings.NewReader("{}"), limit)
			var obe *BodyError
			if !errors.As(other, &obe) || obe.Message != be.Message {
				t.Fatalf("the 415 message depends on the body: %q vs %v", be.Message, other)
			}
		} else if len(body) >= 8 && !strings.Contains(strings.ToLower(ct), strings.ToLower(body)) && strings.Contains(be.Message, body) {
			t.Fatalf("message echoes the body: %s", be.Message)
		}
	})
}
