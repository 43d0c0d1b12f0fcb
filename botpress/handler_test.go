package botpress_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/botpress/botpressemu"
	"github.com/planbridge/planbridge/botpress/botpresstest"
	"github.com/planbridge/planbridge/internal/syncbuffer"
)

func newTestLogger(w *syncbuffer.Buffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

var validConfig = map[string]string{"apiToken": "good-token"}

func TestOperationsOverHTTP(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := t.Context()
	conv := r.bp.AddConversation("hitl", map[string]string{"id": "T9"})

	tests := []struct {
		name       string
		send       func() (*botpressemu.Response, error)
		wantStatus int
		wantBody   string // exact JSON, compared structurally
		wantOp     botpress.Operation
	}{
		{"register", func() (*botpressemu.Response, error) { return r.bp.Register(ctx, r.url, validConfig) }, 200, `{}`, botpress.OpRegister},
		{"unregister", func() (*botpressemu.Response, error) { return r.bp.Unregister(ctx, r.url, validConfig) }, 200, `{}`, botpress.OpUnregister},
		{"ping", func() (*botpressemu.Response, error) { return r.bp.Ping(ctx, r.url, validConfig) }, 200, `{}`, botpress.OpPing},
		{"action", func() (*botpressemu.Response, error) {
			return r.bp.CallAction(ctx, r.url, validConfig, "echo", map[string]any{"companyId": "c1", "limit": 2})
		}, 200, `{"output":{"input":{"companyId":"c1","limit":2},"botId":"bot_0001"},"meta":{"cost":0}}`, botpress.OpActionTriggered},
		{"action cost", func() (*botpressemu.Response, error) { return r.bp.CallAction(ctx, r.url, validConfig, "costly", nil) },
			200, `{"output":{"n":1},"meta":{"cost":3}}`, botpress.OpActionTriggered},
		{"action nil output", func() (*botpressemu.Response, error) {
			return r.bp.CallAction(ctx, r.url, validConfig, "nothing", nil)
		},
			200, `{"output":{},"meta":{"cost":0}}`, botpress.OpActionTriggered},
		{"message_created", func() (*botpressemu.Response, error) {
			resp, _, err := r.bp.SendMessage(ctx, r.url, validConfig, botpressemu.OutgoingMessage{ConversationID: conv.ID, Type: "text", Payload: map[string]string{"text": "hi"}})
			return resp, err
		}, 200, `{}`, botpress.OpMessageCreated},
		{"message_updated", func() (*botpressemu.Response, error) {
			msgs := r.bp.MessagesIn(conv.ID)
			return r.bp.UpdateMessage(ctx, r.url, validConfig, msgs[0].ID, map[string]string{"text": "edited"})
		}, 200, `{}`, botpress.OpMessageUpdated},
		{"conversation_updated", func() (*botpressemu.Response, error) {
			return r.bp.UpdateConversation(ctx, r.url, validConfig, conv.ID, map[string]string{"id": "T10"})
		}, 200, `{}`, botpress.OpConversationUpdated},
		{"webhook_received default", func() (*botpressemu.Response, error) {
			return r.bp.SendWebhook(ctx, r.url, validConfig, botpress.WebhookRequest{Path: "/other", Body: `{"a":1}`})
		}, 200, `{}`, botpress.OpWebhookReceived},
		{"create_user", func() (*botpressemu.Response, error) {
			return r.bp.CallCreateUser(ctx, r.url, validConfig, map[string]string{"id": "42"})
		}, 200, `{"user":{"id":"user_from_42"}}`, botpress.OpCreateUser},
		{"create_conversation", func() (*botpressemu.Response, error) {
			return r.bp.CallCreateConversation(ctx, r.url, validConfig, "hitl", map[string]string{"id": "9"})
		}, 200, `{"conversation":{"id":"conv_from_hitl"}}`, botpress.OpCreateConversation},
	}
	for _, tt := range tests {
		// Sequential: later cases use state recorded by earlier ones.
		t.Run(tt.name, func(t *testing.T) {
			resp, err := tt.send()
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", resp.Status, tt.wantStatus, resp.Body)
			}
			if diff := cmp.Diff(jsonValue(t, []byte(tt.wantBody)), jsonValue(t, resp.Body)); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
			req, _ := r.impl.last()
			if req == nil {
				t.Fatal(errNoRequest)
			}
			want := botpress.Request{Operation: tt.wantOp, BotID: r.bp.BotID, BotUserID: r.bp.BotUserID, IntegrationID: r.bp.IntegrationID,
				IntegrationAlias: r.bp.IntegrationAlias, WebhookID: r.bp.WebhookID, Configuration: json.RawMessage(`{"apiToken":"good-token"}`)}
			got := botpress.Request{Operation: req.Operation, BotID: req.BotID, BotUserID: req.BotUserID, IntegrationID: req.IntegrationID,
				IntegrationAlias: req.IntegrationAlias, WebhookID: req.WebhookID, Configuration: req.Configuration}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(botpress.Request{})); diff != "" {
				t.Errorf("decoded request mismatch (-want +got):\n%s", diff)
			}
			if req.RequestID == "" || !strings.HasPrefix(req.TraceParent, "00-") {
				t.Errorf("request id %q / traceparent %q not set", req.RequestID, req.TraceParent)
			}
		})
	}

	// Side effects through the Runtime API.
	if st, ok := r.bp.State(botpress.StateIntegration, r.bp.IntegrationID, "webhooks"); !ok || !strings.Contains(string(st.Payload), r.bp.WebhookURL()) {
		t.Errorf("register did not store the webhook URL in integration state: %+v", st)
	}
	if calls := r.bp.ConfigureCalls(); len(calls) != 1 || calls[0].ScheduleRegisterCall != "daily" {
		t.Errorf("configureIntegration calls = %+v", calls)
	}
	msgs := r.bp.MessagesIn(conv.ID)
	if len(msgs) != 1 || msgs[0].Tags["externalId"] != "ext-"+msgs[0].ID || msgs[0].Direction != botpress.DirectionOutgoing {
		t.Errorf("message_created was not acked: %+v", msgs)
	}
	if c, _ := r.bp.Conversation(conv.ID); c.Tags["id"] != "T10" {
		t.Errorf("conversation tags = %v", c.Tags)
	}
}

func TestPayloadsDecoded(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := t.Context()
	conv := r.bp.AddConversation("hitl", map[string]string{"id": "T1"})
	user := r.bp.AddUser(map[string]string{"email": "a@b.c"}, "Ann")

	_, msg, err := r.bp.SendMessage(ctx, r.url, validConfig, botpressemu.OutgoingMessage{ConversationID: conv.ID, UserID: user.ID, Type: "text", Payload: map[string]string{"text": "hello", "userId": user.ID}})
	if err != nil {
		t.Fatal(err)
	}
	_, p := r.impl.last()
	mc, ok := p.(*botpress.MessageCreatedPayload)
	if !ok {
		t.Fatalf("payload type %T", p)
	}
	if mc.Type != "text" || mc.Conversation.ID != conv.ID || mc.Conversation.Channel != "hitl" || mc.User.ID != user.ID ||
		mc.User.Name != "Ann" || mc.Message.ID != msg.ID || mc.Message.Direction != "outgoing" || mc.Conversation.Integration == "" {
		t.Errorf("message_created payload = %+v", mc)
	}
	if diff := cmp.Diff(jsonValue(t, []byte(`{"text":"hello","userId":"`+user.ID+`"}`)), jsonValue(t, mc.Payload)); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}

	if _, err := r.bp.UpdateMessage(ctx, r.url, validConfig, msg.ID, map[string]string{"text": "v2"}); err != nil {
		t.Fatal(err)
	}
	_, p = r.impl.last()
	mu := p.(*botpress.MessageUpdatedPayload)
	if !strings.Contains(string(mu.PreviousMessage.Payload), "hello") || !strings.Contains(string(mu.CurrentMessage.Payload), "v2") {
		t.Errorf("message_updated payload = %+v", mu)
	}

	resp, err := r.bp.SendWebhook(ctx, r.url, validConfig, botpress.WebhookRequest{Method: "PUT", Path: "/echo", Query: "a=1&b=2",
		Headers: map[string]string{"x-signature": "sig"}, Body: `{"raw": true}`})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 201 || resp.Header.Get("X-Reply") != "yes" || string(resp.Body) != `PUT a=1&b=2 sig {"raw": true}` {
		t.Errorf("webhook answer = %d %v %q", resp.Status, resp.Header, resp.Body)
	}
}

func TestWebhookHostRelays(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	// Point the emulator's webhook host at the integration, as Botpress would.
	bp := botpresstest.NewServer(t, botpressemu.WithIntegrationURL(r.url), botpressemu.WithToken(r.bp.Token), botpressemu.WithConfiguration(validConfig))
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, bp.WebhookURL()+"/echo?x=1", strings.NewReader("payload"))
	req.Header.Set("X-Signature", "abc")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	if resp.StatusCode != 201 || resp.Header.Get("X-Reply") != "yes" || body.String() != "POST x=1 abc payload" {
		t.Errorf("relayed webhook = %d %q", resp.StatusCode, body.String())
	}
	wrong, err := http.Post(bp.URL+"/webhook/nope/echo", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	wrong.Body.Close()
	if wrong.StatusCode != http.StatusNotFound {
		t.Errorf("unknown webhook id answered %d", wrong.StatusCode)
	}
}

func TestWebhookEventUsesRuntimeAPI(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	resp, err := r.bp.SendWebhook(t.Context(), r.url, validConfig, botpress.WebhookRequest{Path: "/event", Body: "{}"})
	if err != nil || resp.Status != 200 {
		t.Fatalf("webhook: %v %v", err, resp)
	}
	ev, err := r.bp.WaitForEvent(t.Context(), "hitlStopped", nil)
	if err != nil {
		t.Fatal(err)
	}
	if ev.ConversationID == "" || !strings.Contains(string(ev.Payload), ev.ConversationID) {
		t.Errorf("event = %+v", ev)
	}
	for _, rq := range r.bp.Requests() {
		if rq.BotID != r.bp.BotID || rq.IntegrationID != r.bp.IntegrationID || rq.IntegrationAlias != r.bp.IntegrationAlias || !rq.TokenOK || rq.TraceParent == "" {
			t.Errorf("runtime call lacks SDK headers: %+v", rq)
		}
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	for _, path := range []string{"/health", "/botpress/test/health"} {
		resp, err := http.Get(strings.TrimSuffix(r.url, "/botpress/test") + path)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || b.String() != "ok" {
			t.Errorf("GET %s = %d %q", path, resp.StatusCode, b.String())
		}
	}
}

func TestRegisterRejectsBadConfiguration(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	resp, err := r.bp.Register(t.Context(), r.url, map[string]string{"apiToken": "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	e := resp.APIError()
	if resp.Status != 400 || e == nil || e.Type != "Runtime" || !strings.Contains(e.Message, "Private Apps") {
		t.Fatalf("answer = %d %s", resp.Status, resp.Body)
	}
	resp, err = r.bp.Register(t.Context(), r.url, map[string]any{"apiToken": 12})
	if err != nil {
		t.Fatal(err)
	}
	if e := resp.APIError(); resp.Status != 400 || e == nil || !strings.Contains(e.Message, `"apiToken"`) || !strings.Contains(e.Message, "configuration") {
		t.Fatalf("type mismatch answer = %d %s", resp.Status, resp.Body)
	}
	if _, ok := r.bp.State(botpress.StateIntegration, r.bp.IntegrationID, "webhooks"); ok {
		t.Error("failed register stored state")
	}
}

func TestRuntimeClientFromRequest(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	resp, err := r.bp.CallAction(t.Context(), r.url, validConfig, "getOrCreateUser", map[string]string{"email": "x@y.z"})
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ UserID string }
	if err := resp.Output(&out); err != nil {
		t.Fatal(err)
	}
	u, ok := r.bp.User(out.UserID)
	if !ok || u.Tags["email"] != "x@y.z" {
		t.Errorf("user %q not recorded: %+v", out.UserID, u)
	}
	// The same call again finds the user rather than creating another.
	resp, _ = r.bp.CallAction(t.Context(), r.url, validConfig, "getOrCreateUser", map[string]string{"email": "x@y.z"})
	var again struct{ UserID string }
	if err := resp.Output(&again); err != nil || again.UserID != out.UserID {
		t.Errorf("second call = %+v, %v", again, err)
	}
}

func TestNoTokenGivesInstructiveFailure(t *testing.T) {
	t.Parallel()
	bp := botpresstest.NewServer(t)
	h := botpress.NewHandler(&testIntegration{}, botpress.HandlerOptions{}) // no Runtime token
	req := &botpress.Request{BotID: "b"}
	if _, err := req.Client(); err == nil {
		t.Fatal("client without token was built")
	}
	srv := httptestServer(t, h)
	resp, err := bp.CallAction(t.Context(), srv, validConfig, "getOrCreateUser", map[string]string{"email": "a@b"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 500 || strings.Contains(string(resp.Body), "BP_TOKEN") {
		t.Errorf("answer = %d %s", resp.Status, resp.Body)
	}
}

func jsonValue(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	return v
}

func TestHandlerTimeout(t *testing.T) {
	t.Parallel()
	bp := botpresstest.NewServer(t)
	logs := &syncbuffer.Buffer{}
	url := httptestServer(t, botpress.NewHandler(&testIntegration{}, botpress.HandlerOptions{Timeout: 20 * time.Millisecond, Logger: newTestLogger(logs)}))
	resp, err := bp.CallAction(t.Context(), url, validConfig, "waitForDeadline", nil)
	if err != nil {
		t.Fatal(err)
	}
	if e := resp.APIError(); resp.Status != 500 || e == nil || e.Message != botpress.GenericErrorMessage {
		t.Errorf("answer = %d %s", resp.Status, resp.Body)
	}
	if !strings.Contains(logs.String(), "deadline exceeded") {
		t.Errorf("timeout not logged: %s", logs.String())
	}
}

func TestHandlerAuthenticate(t *testing.T) {
	t.Parallel()
	bp := botpresstest.NewServer(t)
	impl := &testIntegration{}
	url := httptestServer(t, botpress.NewHandler(impl, botpress.HandlerOptions{Authenticate: func(r *http.Request, body []byte) error {
		if r.Header.Get("X-Shared-Secret") != "s3cret" {
			return errors.New("wrong shared secret")
		}
		if !json.Valid(body) {
			return errors.New("body not passed")
		}
		return nil
	}}))
	resp, err := bp.Do(t.Context(), url, botpressemu.CallOptions{Operation: botpress.OpPing, Configuration: validConfig})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 401 || string(resp.Body) != `{"error":"Unauthorized"}` {
		t.Errorf("unauthenticated = %d %s", resp.Status, resp.Body)
	}
	if req, _ := impl.last(); req != nil {
		t.Error("unauthenticated operation reached the integration")
	}
	resp, err = bp.Do(t.Context(), url, botpressemu.CallOptions{Operation: botpress.OpPing, Configuration: validConfig, Header: http.Header{"X-Shared-Secret": {"s3cret"}}})
	if err != nil || resp.Status != 200 {
		t.Errorf("authenticated = %v %v", resp, err)
	}
}

// TestCompactJSONOutputIsCopied proves a CompactJSON output reaches the
// wire byte for byte, exactly as json.Marshal wrote the same output as a
// json.RawMessage before, big numbers included.
func TestCompactJSONOutputIsCopied(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	resp, err := r.bp.CallAction(t.Context(), r.url, validConfig, "compact", nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(botpress.ActionResult{Output: json.RawMessage(compactOutput), Meta: botpress.ActionMeta{Cost: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || string(resp.Body) != string(want) {
		t.Errorf("answer = %d %s, want 200 %s", resp.Status, resp.Body, want)
	}
}
