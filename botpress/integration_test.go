package botpress_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/botpress/botpressemu"
	"github.com/planbridge/planbridge/botpress/botpresstest"
	"github.com/planbridge/planbridge/internal/syncbuffer"
)

// testIntegration exercises every operation and the Runtime API client the
// way a real integration does; it records what it was given.
type testIntegration struct {
	botpress.UnimplementedIntegration

	mu       sync.Mutex
	requests []*botpress.Request
	payloads []any
}

type testConfig struct {
	APIToken string `json:"apiToken"`
}

func (ti *testIntegration) record(req *botpress.Request, p any) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.requests = append(ti.requests, req)
	ti.payloads = append(ti.payloads, p)
}

func (ti *testIntegration) last() (*botpress.Request, any) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	if len(ti.requests) == 0 {
		return nil, nil
	}
	return ti.requests[len(ti.requests)-1], ti.payloads[len(ti.payloads)-1]
}

func (ti *testIntegration) Register(ctx context.Context, req *botpress.Request, p *botpress.RegisterPayload) error {
	ti.record(req, p)
	var cfg testConfig
	if err := req.DecodeConfiguration(&cfg); err != nil {
		return err
	}
	if cfg.APIToken == "" || cfg.APIToken == "wrong" {
		return botpress.RuntimeError("The API token was rejected. Create a new token under Settings › Private Apps and paste it in the integration configuration.")
	}
	client, err := req.Client()
	if err != nil {
		return err
	}
	if _, err := client.SetState(ctx, botpress.StateIntegration, req.IntegrationID, "webhooks", map[string]string{"url": p.WebhookURL}, 0); err != nil {
		return err
	}
	return client.ConfigureIntegration(ctx, botpress.ConfigureIntegrationInput{ScheduleRegisterCall: "daily"})
}

func (ti *testIntegration) Unregister(_ context.Context, req *botpress.Request, p *botpress.RegisterPayload) error {
	ti.record(req, p)
	return nil
}

func (ti *testIntegration) Ping(_ context.Context, req *botpress.Request) error {
	ti.record(req, nil)
	return nil
}

// compactOutput is what the "compact" action returns as botpress.CompactJSON:
// compact JSON in encoding/json's escaping, as the action pipeline writes it.
const compactOutput = `{"b":"x\u003cy ☃","a":[1,2.5,null],"big":9007199254740993}`

func (ti *testIntegration) Action(ctx context.Context, req *botpress.Request, name string, input json.RawMessage) (any, error) {
	ti.record(req, input)
	switch name {
	case "echo":
		return map[string]any{"input": input, "botId": req.BotID}, nil
	case "costly":
		req.SetCost(3)
		return map[string]int{"n": 1}, nil
	case "nothing":
		return nil, nil
	case "compact":
		req.SetCost(2)
		return botpress.CompactJSON(compactOutput), nil
	case "waitForDeadline":
		<-ctx.Done()
		return nil, ctx.Err()
	case "failRuntime":
		return nil, botpress.RuntimeError("The company was not found. Check the companyId input.")
	case "failInvalid":
		return nil, botpress.InvalidPayloadError("Input field limit must be at most 2000.")
	case "failInternal":
		return nil, fmt.Errorf("upstream said: token=%s", "s3cr3t-token")
	case "failRemote":
		return nil, &botpress.APIError{StatusCode: 404, Method: "GET", Path: "/v1/chat/users/x",
			Body: botpress.Error{Code: 404, Type: botpress.TypeResourceNotFound, Message: "User x not found"}}
	case "panic":
		panic("s3cr3t-token")
	case "getOrCreateUser":
		var in struct {
			Email string `json:"email"`
		}
		if err := json.Unmarshal(input, &in); err != nil {
			return nil, botpress.InvalidPayloadError("input must be {email}")
		}
		client, err := req.Client()
		if err != nil {
			return nil, err
		}
		u, err := client.GetOrCreateUser(ctx, botpress.GetOrCreateUserInput{Tags: map[string]string{"email": in.Email}})
		if err != nil {
			return nil, err
		}
		return map[string]string{"userId": u.ID}, nil
	}
	return ti.UnimplementedIntegration.Action(ctx, req, name, input)
}

func (ti *testIntegration) MessageCreated(ctx context.Context, req *botpress.Request, p *botpress.MessageCreatedPayload) error {
	ti.record(req, p)
	if p.Conversation.Channel != "hitl" {
		return ti.UnimplementedIntegration.MessageCreated(ctx, req, p)
	}
	client, err := req.Client()
	if err != nil {
		return err
	}
	_, err = client.AckMessage(ctx, p.Message.ID, map[string]string{"externalId": "ext-" + p.Message.ID})
	return err
}

func (ti *testIntegration) MessageUpdated(_ context.Context, req *botpress.Request, p *botpress.MessageUpdatedPayload) error {
	ti.record(req, p)
	return nil
}

func (ti *testIntegration) ConversationUpdated(_ context.Context, req *botpress.Request, p *botpress.ConversationUpdatedPayload) error {
	ti.record(req, p)
	return nil
}

func (ti *testIntegration) WebhookReceived(ctx context.Context, req *botpress.Request, p *botpress.WebhookPayload) (*botpress.WebhookResponse, error) {
	ti.record(req, p)
	switch p.Req.Path {
	case "/echo":
		return &botpress.WebhookResponse{Status: http.StatusCreated, Headers: map[string]string{"X-Reply": "yes"},
			Body: p.Req.Method + " " + p.Req.Query + " " + p.Req.Header("X-Signature") + " " + p.Req.Body}, nil
	case "/event":
		client, err := req.Client()
		if err != nil {
			return nil, err
		}
		conv, err := client.GetOrCreateConversation(ctx, botpress.GetOrCreateConversationInput{Channel: "hitl", Tags: map[string]string{"id": "T1"}})
		if err != nil {
			return nil, err
		}
		if _, err := client.CreateEvent(ctx, botpress.CreateEventInput{Type: "hitlStopped", Payload: map[string]string{"conversationId": conv.ID}, ConversationID: conv.ID}); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func (ti *testIntegration) CreateUser(_ context.Context, req *botpress.Request, p *botpress.CreateUserPayload) (*botpress.CreateUserResult, error) {
	ti.record(req, p)
	return &botpress.CreateUserResult{User: botpress.IDRef{ID: "user_from_" + p.Tags["id"]}}, nil
}

func (ti *testIntegration) CreateConversation(_ context.Context, req *botpress.Request, p *botpress.CreateConversationPayload) (*botpress.CreateConversationResult, error) {
	ti.record(req, p)
	return &botpress.CreateConversationResult{Conversation: botpress.IDRef{ID: "conv_from_" + p.Channel}}, nil
}

// rig is an emulator and an integration server wired together over HTTP.
type rig struct {
	bp   *botpressemu.Server
	impl *testIntegration
	url  string
	logs *syncbuffer.Buffer
}

func newRig(t *testing.T, opts ...botpressemu.Option) *rig {
	t.Helper()
	bp := botpresstest.NewServer(t, opts...)
	impl := &testIntegration{}
	logs := &syncbuffer.Buffer{}
	h := botpress.NewHandler(impl, botpress.HandlerOptions{
		Logger:       newTestLogger(logs),
		MaxBodyBytes: 64 << 10,
		Runtime:      botpress.ClientOptions{BaseURL: bp.URL, Token: bp.Token, MaxRetries: -1},
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &rig{bp: bp, impl: impl, url: srv.URL + "/botpress/test", logs: logs}
}

var errNoRequest = errors.New("integration saw no request")

func httptestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
