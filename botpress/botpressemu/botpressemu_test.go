package botpressemu_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/botpress/botpressemu"
	"github.com/planbridge/planbridge/botpress/botpresstest"
	"github.com/planbridge/planbridge/internal/golden"
	"github.com/planbridge/planbridge/internal/roundtrip"
)

// checkGolden compares got with testdata/name, rewriting it under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got)
}

// capture is an integration endpoint that records raw requests and answers {}.
type capture struct {
	mu   sync.Mutex
	reqs []captured
}

type captured struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
	Config  json.RawMessage   `json:"decodedConfiguration"`
	Body    json.RawMessage   `json:"body"`
}

func (c *capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h := map[string]string{}
	for k := range r.Header {
		switch lk := strings.ToLower(k); lk {
		case "traceparent":
			h[lk] = "<random>"
		case "user-agent", "accept-encoding", "content-length":
		default:
			h[lk] = r.Header.Get(k)
		}
	}
	cfg, _ := base64.StdEncoding.DecodeString(r.Header.Get("x-bp-configuration"))
	c.mu.Lock()
	c.reqs = append(c.reqs, captured{Method: r.Method, Path: r.URL.Path, Headers: h, Config: cfg, Body: body})
	c.mu.Unlock()
	_, _ = w.Write([]byte(`{}`))
}

// TestWireFormatGolden pins what every operation looks like on the wire,
// including the requests of the spec §7 table.
func TestWireFormatGolden(t *testing.T) {
	t.Parallel()
	cap := &capture{}
	integ := httptest.NewServer(cap)
	defer integ.Close()
	bp := botpresstest.NewServer(t, botpressemu.WithIntegrationURL(integ.URL+"/botpress/planhat"), botpressemu.WithClock(fixedClock))
	ctx := t.Context()
	cfg := map[string]string{"apiToken": "test-token"}
	conv := bp.AddConversation("hitl", map[string]string{"id": "T1"})
	user := bp.AddUser(map[string]string{"email": "e@x"}, "End User")

	steps := []func() error{
		func() error { _, err := bp.Register(ctx, "", cfg); return err },
		func() error { _, err := bp.Unregister(ctx, "", cfg); return err },
		func() error { _, err := bp.Ping(ctx, "", cfg); return err },
		func() error {
			_, err := bp.CallAction(ctx, "", cfg, "listAssets", map[string]any{"companyId": "c1", "limit": 2})
			return err
		},
		func() error {
			_, err := bp.CallAction(ctx, "", cfg, "getAsset", map[string]any{"assetId": "extid-ext-1"})
			return err
		},
		func() error {
			_, err := bp.CallAction(ctx, "", map[string]string{"apiToken": "wrong"}, "getAsset", map[string]any{"assetId": "a1"})
			return err
		},
		func() error {
			_, err := bp.Do(ctx, "", botpressemu.CallOptions{Operation: botpress.OpActionTriggered, Configuration: cfg, ConfigurationType: "apiKey",
				Payload: json.RawMessage(`{"type":"listAssets","input":{"limit":5000}}`)})
			return err
		},
		func() error {
			_, _, err := bp.SendMessage(ctx, "", cfg, botpressemu.OutgoingMessage{ConversationID: conv.ID, Type: "text", Payload: map[string]string{"text": "Hi, I need help", "userId": user.ID}})
			return err
		},
		func() error {
			_, err := bp.UpdateMessage(ctx, "", cfg, bp.MessagesIn(conv.ID)[0].ID, map[string]string{"text": "edited"})
			return err
		},
		func() error {
			_, err := bp.UpdateConversation(ctx, "", cfg, conv.ID, map[string]string{"id": "T2"})
			return err
		},
		func() error {
			_, err := bp.SendWebhook(ctx, "", cfg, botpress.WebhookRequest{Method: "POST", Path: "/planfix", Query: "a=1", Headers: map[string]string{"content-type": "application/json"}, Body: `{"cmd":"newMessage"}`})
			return err
		},
		func() error { _, err := bp.CallCreateUser(ctx, "", cfg, map[string]string{"id": "42"}); return err },
		func() error {
			_, err := bp.CallCreateConversation(ctx, "", cfg, "hitl", map[string]string{"id": "9"})
			return err
		},
		func() error { _, err := bp.Call(ctx, "", "bogus_op", cfg, nil); return err },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	cap.mu.Lock()
	defer cap.mu.Unlock()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(cap.reqs); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "wire.golden.json", bytes.ReplaceAll(buf.Bytes(), []byte(bp.URL), []byte("http://<emulator>")))
}

func fixedClock() time.Time { return time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC) }

// do sends one request with headers and returns the status and body.
func do(t *testing.T, method, url string, body string, headers map[string]string) (int, string) {
	t.Helper()
	h := http.Header{}
	for k, v := range headers {
		h.Set(k, v)
	}
	a := roundtrip.Do(t, method, url, "", body, h)
	return a.Status, a.Body
}

func TestRuntimeAPIGuards(t *testing.T) {
	t.Parallel()
	bp := botpresstest.NewServer(t)
	good := map[string]string{"Authorization": "Bearer " + bp.Token, "x-bot-id": bp.BotID, "x-integration-id": bp.IntegrationID, "Content-Type": "application/json"}
	with := func(k, v string) map[string]string {
		h := map[string]string{}
		for a, b := range good {
			h[a] = b
		}
		if v == "" {
			delete(h, k)
		} else {
			h[k] = v
		}
		return h
	}
	tests := []struct {
		name     string
		method   string
		path     string
		body     string
		headers  map[string]string
		wantCode int
		wantType string
	}{
		{"no token", "GET", "/v1/chat/users/x", "", with("Authorization", ""), 401, "Unauthorized"},
		{"wrong token", "GET", "/v1/chat/users/x", "", with("Authorization", "Bearer nope"), 401, "Unauthorized"},
		{"basic auth", "GET", "/v1/chat/users/x", "", with("Authorization", "Basic "+bp.Token), 401, "Unauthorized"},
		{"no bot", "GET", "/v1/chat/users/x", "", with("x-bot-id", ""), 400, "InvalidPayload"},
		{"other bot", "GET", "/v1/chat/users/x", "", with("x-bot-id", "bot_x"), 403, "Forbidden"},
		{"no integration", "GET", "/v1/chat/users/x", "", with("x-integration-id", ""), 400, "InvalidPayload"},
		{"other integration", "GET", "/v1/chat/users/x", "", with("x-integration-id", "i"), 403, "Forbidden"},
		{"form body", "POST", "/v1/chat/users", "tags=1", with("Content-Type", "application/x-www-form-urlencoded"), 415, "UnsupportedMediaType"},
		{"malformed JSON", "POST", "/v1/chat/users", "{", good, 400, "InvalidPayload"},
		{"wrong field type", "POST", "/v1/chat/users", `{"tags":"x"}`, good, 400, "InvalidPayload"},
		{"missing tags", "POST", "/v1/chat/users", `{}`, good, 400, "InvalidPayload"},
		{"oversized", "POST", "/v1/chat/users", `{"tags":{"a":"` + strings.Repeat("x", 1<<20) + `"}}`, good, 413, "PayloadTooLarge"},
		{"unknown endpoint", "GET", "/v1/chat/nothing", "", good, 405, "MethodNotFound"},
		{"bad state type", "GET", "/v1/chat/states/bot/x/y", "", good, 400, "InvalidPayload"},
		{"bad next token", "GET", "/v1/chat/messages?nextToken=zz", "", good, 400, "InvalidPayload"},
		{"bad schedule", "POST", "/v1/chat/integrations/configure", `{"scheduleRegisterCall":"minutely"}`, good, 400, "InvalidPayload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, body := do(t, tt.method, bp.URL+tt.path, tt.body, tt.headers)
			var e botpress.Error
			_ = json.Unmarshal([]byte(body), &e)
			if code != tt.wantCode || e.Type != tt.wantType || e.Code != code || e.Message == "" || !strings.HasPrefix(e.ID, "err_") {
				t.Errorf("got %d %s", code, body)
			}
			if strings.Contains(body, bp.Token) {
				t.Error("answer echoes the token")
			}
		})
	}
	if n := len(bp.Users()); n != 1 {
		t.Errorf("refused requests changed data: %d users", n)
	}
	for _, rq := range bp.Requests() {
		if rq.Route == "" || rq.Status == 0 {
			t.Errorf("request not recorded fully: %+v", rq)
		}
	}
}

func TestDefinitionEnforced(t *testing.T) {
	t.Parallel()
	def := &botpress.Definition{
		Events: map[string]*botpress.EventDefinition{"hitlAssigned": {}},
		States: map[string]*botpress.StateDefinition{"webhooks": {Type: botpress.StateIntegration}},
		User:   &botpress.UserDefinition{Tags: map[string]*botpress.TagDefinition{"email": {}}},
		Channels: map[string]*botpress.ChannelDefinition{"hitl": {
			Messages:     map[string]*botpress.MessageDefinition{"text": {}},
			Conversation: &botpress.TagsDefinition{Tags: map[string]*botpress.TagDefinition{"id": {}}},
			Message:      &botpress.TagsDefinition{Tags: map[string]*botpress.TagDefinition{"pfId": {}}},
		}},
	}
	bp := botpresstest.NewServer(t, botpressemu.WithDefinition(def))
	c, err := botpress.NewClient(bp.ClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	conv, err := c.GetOrCreateConversation(ctx, botpress.GetOrCreateConversationInput{Channel: "hitl", Tags: map[string]string{"id": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"undeclared event", func() error {
			_, err := c.CreateEvent(ctx, botpress.CreateEventInput{Type: "other", Payload: map[string]any{}})
			return err
		}, `event type "other" is not declared`},
		{"undeclared state", func() error {
			_, err := c.SetState(ctx, botpress.StateIntegration, bp.IntegrationID, "nope", map[string]any{}, 0)
			return err
		}, `state "nope" is not declared`},
		{"state of wrong type", func() error {
			_, err := c.SetState(ctx, botpress.StateConversation, conv.ID, "webhooks", map[string]any{}, 0)
			return err
		}, `declared with type "integration"`},
		{"undeclared user tag", func() error {
			_, err := c.CreateUser(ctx, botpress.CreateUserInput{Tags: map[string]string{"phone": "1"}})
			return err
		}, `user tag "phone" is not declared`},
		{"undeclared channel", func() error {
			_, err := c.CreateConversation(ctx, botpress.CreateConversationInput{Channel: "sms", Tags: map[string]string{}})
			return err
		}, `channel "sms" is not declared`},
		{"undeclared conversation tag", func() error {
			_, err := c.UpdateConversation(ctx, conv.ID, botpress.UpdateConversationInput{Tags: map[string]string{"x": "1"}})
			return err
		}, `conversation tag "x" is not declared`},
		{"undeclared message type", func() error {
			_, err := c.CreateMessage(ctx, botpress.CreateMessageInput{Type: "image", Payload: map[string]any{}, UserID: bp.BotUserID, ConversationID: conv.ID})
			return err
		}, `message type "image" is not declared`},
		{"undeclared message tag", func() error {
			_, err := c.CreateMessage(ctx, botpress.CreateMessageInput{Type: "text", Payload: map[string]any{}, UserID: bp.BotUserID, ConversationID: conv.ID, Tags: map[string]string{"zz": "1"}})
			return err
		}, `message tag "zz" is not declared`},
	}
	for _, tt := range tests {
		if err := tt.call(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := c.CreateEvent(ctx, botpress.CreateEventInput{Type: "hitlAssigned", ConversationID: conv.ID}); err != nil {
		t.Errorf("declared event refused: %v", err)
	}
	if _, err := c.CreateMessage(ctx, botpress.CreateMessageInput{Type: "text", Payload: map[string]any{"text": "x"}, UserID: bp.BotUserID, ConversationID: conv.ID, Tags: map[string]string{"pfId": "1"}}); err != nil {
		t.Errorf("declared message refused: %v", err)
	}
}

func TestStateExpiry(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := fixedClock()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	bp := botpresstest.NewServer(t, botpressemu.WithClock(clock))
	c, _ := botpress.NewClient(bp.ClientOptions())
	if _, err := c.SetState(t.Context(), botpress.StateIntegration, bp.IntegrationID, "lease", map[string]int{"n": 1}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, ok := bp.State(botpress.StateIntegration, bp.IntegrationID, "lease"); !ok {
		t.Fatal("state missing before expiry")
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	if _, err := c.GetState(t.Context(), botpress.StateIntegration, bp.IntegrationID, "lease"); err == nil {
		t.Error("expired state still served")
	}
	if len(bp.States()) != 0 {
		t.Error("expired state still listed")
	}
}

func TestWaitHelpers(t *testing.T) {
	t.Parallel()
	bp := botpresstest.NewServer(t, botpressemu.WithWaitTimeout(2*time.Second))
	c, _ := botpress.NewClient(bp.ClientOptions())
	conv := bp.AddConversation("hitl", nil)
	go func() {
		time.Sleep(20 * time.Millisecond)
		_, _ = c.CreateMessage(context.Background(), botpress.CreateMessageInput{Type: "text", Payload: map[string]string{"text": "late"}, UserID: bp.BotUserID, ConversationID: conv.ID})
		_, _ = c.CreateEvent(context.Background(), botpress.CreateEventInput{Type: "hitlStopped", ConversationID: conv.ID})
		_, _ = c.SetState(context.Background(), botpress.StateConversation, conv.ID, "s", map[string]int{"a": 1}, 0)
	}()
	msgs, err := bp.WaitForMessages(t.Context(), 1, func(m botpress.Message) bool { return m.ConversationID == conv.ID })
	if err != nil || len(msgs) != 1 {
		t.Fatalf("WaitForMessages = %v, %v", msgs, err)
	}
	if ev, err := bp.WaitForEvent(t.Context(), "hitlStopped", nil); err != nil || ev.ConversationID != conv.ID {
		t.Fatalf("WaitForEvent = %+v, %v", ev, err)
	}
	if _, err := bp.WaitForState(t.Context(), botpress.StateConversation, conv.ID, "s"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := bp.WaitForEvent(ctx, "never", nil); err == nil {
		t.Error("WaitForEvent returned for an event that never came")
	}
}

// echoIntegration answers actions with their input, through the real handler.
type echoIntegration struct {
	botpress.UnimplementedIntegration
}

func (echoIntegration) Action(_ context.Context, req *botpress.Request, name string, input json.RawMessage) (any, error) {
	return map[string]any{"name": name, "input": input, "config": req.Configuration}, nil
}

func TestControlAPI(t *testing.T) {
	t.Parallel()
	integ := httptest.NewServer(botpress.NewHandler(echoIntegration{}, botpress.HandlerOptions{}))
	defer integ.Close()
	bp := botpresstest.NewServer(t, botpressemu.WithIntegrationURL(integ.URL), botpressemu.WithConfiguration(map[string]string{"apiToken": "default"}))
	post := func(path, body string) (int, map[string]any) {
		code, out := do(t, "POST", bp.URL+path, body, map[string]string{"Content-Type": "application/json"})
		var m map[string]any
		_ = json.Unmarshal([]byte(out), &m)
		return code, m
	}

	code, res := post("/_emulator/call", `{"operation":"action_triggered","payload":{"type":"listAssets","input":{"companyId":"c1","limit":2}}}`)
	want := map[string]any{"output": map[string]any{"name": "listAssets", "input": map[string]any{"companyId": "c1", "limit": 2.0},
		"config": map[string]any{"apiToken": "default"}}, "meta": map[string]any{"cost": 0.0}}
	if code != 200 || res["status"] != 200.0 {
		t.Fatalf("call = %d %v", code, res)
	}
	if diff := cmp.Diff(want, res["body"]); diff != "" {
		t.Errorf("call body (-want +got):\n%s", diff)
	}
	_, res = post("/_emulator/call", `{"operation":"action_triggered","configuration":{"apiToken":"other"},"payload":{"type":"x"}}`)
	if cfg := res["body"].(map[string]any)["output"].(map[string]any)["config"]; !cmp.Equal(cfg, map[string]any{"apiToken": "other"}) {
		t.Errorf("configuration override = %v", cfg)
	}
	_, res = post("/_emulator/call", `{"operation":"bogus_op"}`)
	if res["status"] != 400.0 || res["body"].(map[string]any)["type"] != "InvalidPayload" {
		t.Errorf("bogus op = %v", res)
	}
	if code, _ := post("/_emulator/call", `{"payload":{}}`); code != 400 {
		t.Errorf("missing operation answered %d", code)
	}
	if code, _ := post("/_emulator/call", `{"operation":`); code != 400 {
		t.Errorf("malformed control body answered %d", code)
	}
	if code, _ := do(t, "POST", bp.URL+"/_emulator/call", "operation=ping", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}); code != 415 {
		t.Errorf("form control body answered %d", code)
	}
	if code, res := post("/_emulator/call", `{"operation":"ping","integrationUrl":"http://127.0.0.1:1/"}`); code != 502 || res["type"] != "Runtime" {
		t.Errorf("unreachable integration = %d %v", code, res)
	}

	code, conv := post("/_emulator/conversations", `{"channel":"hitl","tags":{"id":"T1"}}`)
	if code != 201 {
		t.Fatalf("seed conversation = %d", code)
	}
	code, res = post("/_emulator/send-message", fmt.Sprintf(`{"conversationId":%q,"type":"text","payload":{"text":"hi"}}`, conv["id"]))
	// echoIntegration has no channels: the message is recorded, the integration refuses it.
	if code != 200 || res["answer"].(map[string]any)["status"] != 400.0 || res["message"].(map[string]any)["direction"] != "outgoing" {
		t.Errorf("send-message = %d %v", code, res)
	}
	if code, _ := post("/_emulator/send-message", `{"conversationId":"nope","type":"text","payload":{}}`); code != 404 && code != 400 {
		t.Errorf("send-message to unknown conversation = %d", code)
	}
	code, _ = post("/_emulator/users", `{"tags":{"email":"a@b"},"name":"A"}`)
	if code != 201 {
		t.Errorf("seed user = %d", code)
	}
	for path, wantLen := range map[string]int{"/_emulator/users": 2, "/_emulator/conversations": 1, "/_emulator/messages": 1, "/_emulator/events": 0, "/_emulator/states": 0, "/_emulator/configure-calls": 0} {
		code, body := do(t, "GET", bp.URL+path, "", nil)
		var list []any
		if err := json.Unmarshal([]byte(body), &list); code != 200 || err != nil || len(list) != wantLen {
			t.Errorf("GET %s = %d %s, want %d items", path, code, body, wantLen)
		}
	}
	code, body := do(t, "GET", bp.URL+"/_emulator/info", "", nil)
	var info botpressemu.Info
	if err := json.Unmarshal([]byte(body), &info); code != 200 || err != nil || info.WebhookURL != bp.WebhookURL() || info.BotID != bp.BotID {
		t.Errorf("info = %d %s", code, body)
	}
	if code, _ := do(t, "PUT", bp.URL+"/_emulator/configuration", `{"apiToken":"new"}`, nil); code != 200 {
		t.Errorf("PUT configuration = %d", code)
	}
	_, res = post("/_emulator/call", `{"operation":"action_triggered","payload":{"type":"x"}}`)
	if cfg := res["body"].(map[string]any)["output"].(map[string]any)["config"]; !cmp.Equal(cfg, map[string]any{"apiToken": "new"}) {
		t.Errorf("configuration after PUT = %v", cfg)
	}
	if code, _ := do(t, "PUT", bp.URL+"/_emulator/configuration", `[1]`, nil); code != 400 {
		t.Errorf("PUT non-object configuration = %d", code)
	}
	if code, _ := post("/_emulator/reset", ``); code != 200 {
		t.Errorf("reset = %d", code)
	}
	if len(bp.Conversations()) != 0 || len(bp.Users()) != 1 || len(bp.Messages()) != 0 {
		t.Error("reset kept data")
	}
}

func TestListsArePaged(t *testing.T) {
	t.Parallel()
	bp := botpresstest.NewServer(t, botpressemu.WithPageSize(3))
	c, _ := botpress.NewClient(bp.ClientOptions())
	for i := range 7 {
		bp.AddConversation("hitl", map[string]string{"n": fmt.Sprint(i)})
	}
	var ids []string
	for conv, err := range c.AllConversations(t.Context(), botpress.ListConversationsInput{Channel: "hitl"}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, conv.ID)
	}
	if len(ids) != 7 || !sort.StringsAreSorted(ids) {
		t.Errorf("ids = %v", ids)
	}
	pages := 0
	for _, rq := range bp.Requests() {
		if rq.Route == "GET /v1/chat/conversations" {
			pages++
		}
	}
	if pages != 3 {
		t.Errorf("pages fetched = %d, want 3", pages)
	}
}

func TestSetIntegrationURLAndConfiguration(t *testing.T) {
	t.Parallel()
	bp := botpresstest.NewServer(t)
	if _, err := bp.Ping(t.Context(), "", nil); err == nil {
		t.Fatal("ping without any integration URL succeeded")
	}
	integ := httptest.NewServer(botpress.NewHandler(echoIntegration{}, botpress.HandlerOptions{}))
	defer integ.Close()
	bp.SetIntegrationURL(integ.URL)
	if err := bp.SetConfiguration(map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if err := bp.SetConfiguration([]int{1}); err == nil {
		t.Error("non-object configuration accepted")
	}
	resp, err := bp.CallAction(t.Context(), "", nil, "a", nil)
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ Config map[string]string }
	if err := resp.Output(&out); err != nil || out.Config["k"] != "v" {
		t.Errorf("output = %+v, %v", out, err)
	}
}

// TestAddMessageLinksEvents checks the seeding helper: a message added
// directly can be named by an event's messageId, an unknown one cannot.
func TestAddMessageLinksEvents(t *testing.T) {
	t.Parallel()
	bp := botpresstest.NewServer(t)
	user := bp.AddUser(nil, "Ann")
	conv := bp.AddConversation("", nil)
	msg := bp.AddMessage(conv.ID, user.ID, "text", json.RawMessage(`{"text":"hi"}`))
	if got, ok := bp.Message(msg.ID); !ok || got.Direction != botpress.DirectionIncoming || got.ConversationID != conv.ID || got.UserID != user.ID {
		t.Fatalf("recorded message = %+v, %v", got, ok)
	}
	c, err := botpress.NewClient(bp.ClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateEvent(t.Context(), botpress.CreateEventInput{Type: "x", Payload: map[string]any{}, MessageID: msg.ID}); err != nil {
		t.Errorf("event naming the added message: %v", err)
	}
	if _, err := c.CreateEvent(t.Context(), botpress.CreateEventInput{Type: "x", Payload: map[string]any{}, MessageID: "msg_missing"}); !errors.Is(err, botpress.ErrNotFound) {
		t.Errorf("event naming an unknown message: %v, want ErrNotFound", err)
	}
}
