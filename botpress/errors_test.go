package botpress_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/botpress/botpressemu"
	"github.com/planbridge/planbridge/internal/golden"
)

var errorIDRE = regexp.MustCompile(`^err_\d{14}x[0-9A-F]{8}$`)

// checkGolden compares got with testdata/name, rewriting it under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got)
}

type errorCase struct {
	name string
	opts botpressemu.CallOptions
}

func ptr[T any](v T) *T { return &v }

func TestErrorShapesGolden(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	action := func(typ string) any { return map[string]any{"type": typ, "input": map[string]any{}} }
	cases := []errorCase{
		{"unknown operation", botpressemu.CallOptions{Operation: "bogus_op"}},
		{"empty operation", botpressemu.CallOptions{Operation: ""}},
		{"configuration not base64", botpressemu.CallOptions{Operation: botpress.OpPing, RawConfiguration: ptr("%%%")}},
		{"configuration not an object", botpressemu.CallOptions{Operation: botpress.OpPing, RawConfiguration: ptr("WzFd")}},
		{"action runtime error", botpressemu.CallOptions{Operation: botpress.OpActionTriggered, Payload: action("failRuntime")}},
		{"action invalid payload", botpressemu.CallOptions{Operation: botpress.OpActionTriggered, Payload: action("failInvalid")}},
		{"action unexpected error", botpressemu.CallOptions{Operation: botpress.OpActionTriggered, Payload: action("failInternal")}},
		{"action runtime api error", botpressemu.CallOptions{Operation: botpress.OpActionTriggered, Payload: action("failRemote")}},
		{"action panic", botpressemu.CallOptions{Operation: botpress.OpActionTriggered, Payload: action("panic")}},
		{"unknown action", botpressemu.CallOptions{Operation: botpress.OpActionTriggered, Payload: action("nope")}},
		{"missing action type", botpressemu.CallOptions{Operation: botpress.OpActionTriggered, Payload: map[string]any{"input": map[string]any{}}}},
		{"body absent on action", botpressemu.CallOptions{Operation: botpress.OpActionTriggered, Payload: []byte{}}},
		{"body not JSON", botpressemu.CallOptions{Operation: botpress.OpActionTriggered, Payload: []byte(`{"type":`)}},
		{"body not an object", botpressemu.CallOptions{Operation: botpress.OpRegister, Payload: []byte(`[1,2]`)}},
		{"field of wrong type", botpressemu.CallOptions{Operation: botpress.OpRegister, Payload: []byte(`{"webhookUrl":5}`)}},
		{"wrong content type", botpressemu.CallOptions{Operation: botpress.OpPing, Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}}},
		{"oversized body", botpressemu.CallOptions{Operation: botpress.OpWebhookReceived, Payload: []byte(`{"req":{"body":"` + strings.Repeat("x", 70<<10) + `"}}`)}},
		{"message for unknown channel", botpressemu.CallOptions{Operation: botpress.OpMessageCreated, Payload: map[string]any{"type": "text", "payload": map[string]string{"text": "x"}, "conversation": map[string]string{"id": "c", "channel": "sms"}}}},
		{"message without type", botpressemu.CallOptions{Operation: botpress.OpMessageCreated, Payload: map[string]any{"conversation": map[string]string{"id": "c", "channel": "hitl"}}}},
		{"message without channel", botpressemu.CallOptions{Operation: botpress.OpMessageCreated, Payload: map[string]any{"type": "text"}}},
	}
	for _, h := range []string{"x-bp-operation", "x-bot-id", "x-bot-user-id", "x-integration-id", "x-integration-alias", "x-webhook-id", "x-bp-configuration"} {
		cases = append(cases, errorCase{"missing " + h, botpressemu.CallOptions{Operation: botpress.OpPing, OmitHeaders: []string{h}}})
	}

	type answer struct {
		Name   string          `json:"name"`
		Status int             `json:"status"`
		Body   json.RawMessage `json:"body"`
	}
	var answers []answer
	for _, c := range cases {
		if c.opts.Configuration == nil && c.opts.RawConfiguration == nil {
			c.opts.Configuration = validConfig
		}
		resp, err := r.bp.Do(t.Context(), r.url, c.opts)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if resp.Status < 400 {
			t.Errorf("%s: status %d, want an error", c.name, resp.Status)
		}
		if strings.Contains(string(resp.Body), "s3cr3t") {
			t.Errorf("%s: answer leaks a secret: %s", c.name, resp.Body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: content type %q", c.name, ct)
		}
		var m map[string]any
		if err := json.Unmarshal(resp.Body, &m); err != nil {
			t.Fatalf("%s: answer is not JSON: %s", c.name, resp.Body)
		}
		if id, ok := m["id"].(string); ok {
			if !errorIDRE.MatchString(id) {
				t.Errorf("%s: id %q is not in Botpress's format", c.name, id)
			}
			m["id"] = "err_<id>"
			if code, _ := m["code"].(float64); int(code) != resp.Status {
				t.Errorf("%s: code %v != status %d", c.name, m["code"], resp.Status)
			}
		}
		var nb bytes.Buffer
		ne := json.NewEncoder(&nb)
		ne.SetEscapeHTML(false)
		_ = ne.Encode(m)
		norm := bytes.TrimSpace(nb.Bytes())
		answers = append(answers, answer{Name: c.name, Status: resp.Status, Body: norm})
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(answers); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "errors.golden.json", out.Bytes())

	// The real cause of a 500 is logged with the request id, never returned.
	logs := r.logs.String()
	if !strings.Contains(logs, "upstream said") || !strings.Contains(logs, `"error_id":"err_`) {
		t.Errorf("unexpected failure not logged with its id:\n%s", logs)
	}
	if strings.Contains(logs, "good-token") {
		t.Error("configuration secret reached the logs")
	}
}

func TestErrorConstructors(t *testing.T) {
	t.Parallel()
	cause := errors.New("root cause")
	tests := []struct {
		name     string
		err      *botpress.Error
		wantCode int
		wantType string
		wantMsg  string
		wantIs   error
	}{
		{"runtime", botpress.RuntimeError("fix it"), 400, "Runtime", "fix it", botpress.ErrBadRequest},
		{"runtimef wraps", botpress.RuntimeErrorf("failed: %w", cause), 400, "Runtime", "failed: root cause", cause},
		{"invalid", botpress.InvalidPayloadError("bad"), 400, "InvalidPayload", "bad", botpress.ErrBadRequest},
		{"invalidf", botpress.InvalidPayloadErrorf("bad %d", 3), 400, "InvalidPayload", "bad 3", botpress.ErrBadRequest},
		{"new", botpress.NewError(404, botpress.TypeResourceNotFound, "gone"), 404, "ResourceNotFound", "gone", botpress.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.err.Code != tt.wantCode || tt.err.Type != tt.wantType || tt.err.Message != tt.wantMsg {
				t.Errorf("got %+v", tt.err)
			}
			if !errorIDRE.MatchString(tt.err.ID) {
				t.Errorf("id %q", tt.err.ID)
			}
			if !errors.Is(tt.err, tt.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false", tt.err, tt.wantIs)
			}
		})
	}
	if id := botpress.NewErrorID(time.Date(2026, 11, 21, 8, 13, 36, 0, time.UTC)); !strings.HasPrefix(id, "err_20261121081336x") {
		t.Errorf("NewErrorID = %q", id)
	}
}
