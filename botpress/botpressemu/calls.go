package botpressemu

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"

	"github.com/planbridge/planbridge/botpress"
)

// maxAnswerBytes bounds what the emulator reads from an integration.
const maxAnswerBytes = 16 << 20

// Response is an integration's answer to one operation.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Decode unmarshals the body into v.
func (r *Response) Decode(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("botpressemu: answer (status %d) is not the expected JSON: %w; body: %.200s", r.Status, err, r.Body)
	}
	return nil
}

// APIError returns the Botpress error JSON of a failed answer, or nil when
// the answer succeeded or is not in that shape.
func (r *Response) APIError() *botpress.Error {
	if r.Status < 400 {
		return nil
	}
	var e botpress.Error
	if json.Unmarshal(r.Body, &e) != nil || e.Type == "" {
		return nil
	}
	return &e
}

// Output decodes an action's {"output": ...} into v; a non-200 answer is
// returned as an error carrying the Botpress error message.
func (r *Response) Output(v any) error {
	if r.Status != http.StatusOK {
		if e := r.APIError(); e != nil {
			return fmt.Errorf("botpressemu: action failed with %d %s: %s", r.Status, e.Type, e.Message)
		}
		return fmt.Errorf("botpressemu: action failed with %d: %.200s", r.Status, r.Body)
	}
	var wrapped struct {
		Output json.RawMessage      `json:"output"`
		Meta   *botpress.ActionMeta `json:"meta"`
	}
	if err := r.Decode(&wrapped); err != nil {
		return err
	}
	if wrapped.Output == nil || wrapped.Meta == nil {
		return fmt.Errorf("botpressemu: action answer lacks output or meta: %.200s", r.Body)
	}
	if v == nil {
		return nil
	}
	return json.Unmarshal(wrapped.Output, v)
}

// CallOptions is one operation request in full, for tests that need to
// deviate from what Botpress sends (missing headers, raw configuration).
type CallOptions struct {
	Operation botpress.Operation
	// Configuration is marshalled to JSON (json.RawMessage and []byte are
	// used as is); nil means the emulator's configuration.
	Configuration any
	// ConfigurationType is sent as x-bp-configuration-type when non-empty.
	ConfigurationType string
	// Payload is the JSON body; []byte and json.RawMessage are sent as is,
	// nil sends {}.
	Payload any
	// Header adds or overrides headers.
	Header http.Header
	// OmitHeaders removes headers Botpress would send, e.g. "x-bot-id".
	OmitHeaders []string
	// RawConfiguration, when non-nil, is the exact x-bp-configuration value.
	RawConfiguration *string
}

// Do sends one operation to integrationURL ("" means the URL of
// WithIntegrationURL) exactly as Botpress Cloud does.
func (s *Server) Do(ctx context.Context, integrationURL string, c CallOptions) (*Response, error) {
	s.mu.Lock()
	defaultURL, cfg := s.cfg.integrationURL, s.cfg.configuration
	s.mu.Unlock()
	if integrationURL == "" {
		integrationURL = defaultURL
	}
	if integrationURL == "" {
		return nil, errors.New("botpressemu: no integration URL: pass one or use WithIntegrationURL")
	}
	if c.Configuration != nil {
		raw, err := marshalConfiguration(c.Configuration)
		if err != nil {
			return nil, err
		}
		cfg = raw
	}
	body, err := marshalPayload(c.Payload)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, integrationURL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("botpressemu: %w", err)
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set(botpress.HeaderOperation, string(c.Operation))
	h.Set(botpress.HeaderBotID, s.BotID)
	h.Set(botpress.HeaderBotUserID, s.BotUserID)
	h.Set(botpress.HeaderIntegrationID, s.IntegrationID)
	h.Set(botpress.HeaderIntegrationAlias, s.IntegrationAlias)
	h.Set(botpress.HeaderWebhookID, s.WebhookID)
	h.Set(botpress.HeaderConfiguration, base64.StdEncoding.EncodeToString(cfg))
	if c.RawConfiguration != nil {
		h.Set(botpress.HeaderConfiguration, *c.RawConfiguration)
	}
	if c.ConfigurationType != "" {
		h.Set(botpress.HeaderConfigurationType, c.ConfigurationType)
	}
	h.Set(botpress.HeaderTraceParent, newTraceParent())
	for k, vs := range c.Header {
		h[http.CanonicalHeaderKey(k)] = slices.Clone(vs)
	}
	for _, k := range c.OmitHeaders {
		h.Del(k)
	}
	resp, err := s.cfg.httpClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("botpressemu: %s to %s: %w", c.Operation, integrationURL, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return nil, fmt.Errorf("botpressemu: read %s answer: %w", c.Operation, err)
	}
	s.cfg.logger.Debug("botpressemu: operation sent", "operation", string(c.Operation), "status", resp.StatusCode)
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: answer}, nil
}

// Call sends operation op with the given configuration and payload.
func (s *Server) Call(ctx context.Context, integrationURL string, op botpress.Operation, config, payload any) (*Response, error) {
	return s.Do(ctx, integrationURL, CallOptions{Operation: op, Configuration: config, Payload: payload})
}

// Register sends register with this installation's webhook URL.
func (s *Server) Register(ctx context.Context, integrationURL string, config any) (*Response, error) {
	return s.Call(ctx, integrationURL, botpress.OpRegister, config, botpress.RegisterPayload{WebhookURL: s.WebhookURL()})
}

// Unregister sends unregister with this installation's webhook URL.
func (s *Server) Unregister(ctx context.Context, integrationURL string, config any) (*Response, error) {
	return s.Call(ctx, integrationURL, botpress.OpUnregister, config, botpress.RegisterPayload{WebhookURL: s.WebhookURL()})
}

// Ping sends ping.
func (s *Server) Ping(ctx context.Context, integrationURL string, config any) (*Response, error) {
	return s.Call(ctx, integrationURL, botpress.OpPing, config, struct{}{})
}

// CallAction sends action_triggered {"type": name, "input": input}.
func (s *Server) CallAction(ctx context.Context, integrationURL string, config any, name string, input any) (*Response, error) {
	raw, err := marshalPayload(input)
	if err != nil {
		return nil, err
	}
	return s.Call(ctx, integrationURL, botpress.OpActionTriggered, config, map[string]any{"type": name, "input": json.RawMessage(raw)})
}

// SendWebhook sends webhook_received wrapping req as Botpress does.
func (s *Server) SendWebhook(ctx context.Context, integrationURL string, config any, req botpress.WebhookRequest) (*Response, error) {
	if req.Method == "" {
		req.Method = http.MethodPost
	}
	if req.Headers == nil {
		req.Headers = map[string]string{}
	}
	return s.Call(ctx, integrationURL, botpress.OpWebhookReceived, config, botpress.WebhookPayload{Req: req})
}

// CallCreateUser sends the deprecated create_user operation.
func (s *Server) CallCreateUser(ctx context.Context, integrationURL string, config any, tags map[string]string) (*Response, error) {
	return s.Call(ctx, integrationURL, botpress.OpCreateUser, config, botpress.CreateUserPayload{Tags: nonNil(tags)})
}

// CallCreateConversation sends the deprecated create_conversation operation.
func (s *Server) CallCreateConversation(ctx context.Context, integrationURL string, config any, channel string, tags map[string]string) (*Response, error) {
	return s.Call(ctx, integrationURL, botpress.OpCreateConversation, config, botpress.CreateConversationPayload{Channel: channel, Tags: nonNil(tags)})
}

// OutgoingMessage is a message the bot sends into a conversation owned by
// the integration.
type OutgoingMessage struct {
	ConversationID string
	// UserID is the author; empty means the bot's own user.
	UserID  string
	Type    string
	Payload any
	Tags    map[string]string
}

// SendMessage records an outgoing message, as the bot creating it would,
// and sends message_created to the integration with the conversation, the
// author and the message. It returns the answer and the recorded message
// (whose tags the integration may then ack).
func (s *Server) SendMessage(ctx context.Context, integrationURL string, config any, m OutgoingMessage) (*Response, botpress.Message, error) {
	payload, err := marshalPayload(m.Payload)
	if err != nil {
		return nil, botpress.Message{}, err
	}
	if m.UserID == "" {
		m.UserID = s.BotUserID
	}
	s.mu.Lock()
	in := messageInput{Type: m.Type, Payload: payload, UserID: m.UserID, ConversationID: m.ConversationID, Tags: nonNil(m.Tags)}
	if apiErr := s.validateMessage(&in); apiErr != nil {
		s.mu.Unlock()
		return nil, botpress.Message{}, fmt.Errorf("botpressemu: outgoing message: %s", apiErr.Message)
	}
	msg := copyMessage(s.storeMessage(in, botpress.DirectionOutgoing))
	conv := copyConversation(s.st.conversations[m.ConversationID])
	user := copyUser(s.st.users[m.UserID])
	s.changed()
	s.mu.Unlock()
	body := botpress.MessageCreatedPayload{Type: msg.Type, Payload: msg.Payload, Conversation: conv, User: user, Message: msg}
	resp, err := s.Call(ctx, integrationURL, botpress.OpMessageCreated, config, body)
	return resp, msg, err
}

// UpdateMessage changes a recorded message's payload and sends
// message_updated with the previous and current versions.
func (s *Server) UpdateMessage(ctx context.Context, integrationURL string, config any, messageID string, payload any) (*Response, error) {
	raw, err := marshalPayload(payload)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	m, ok := s.st.messages[messageID]
	if !ok {
		s.mu.Unlock()
		return nil, fmt.Errorf("botpressemu: message %q not recorded", messageID)
	}
	prev := copyMessage(m)
	m.Payload = raw
	m.UpdatedAt = s.stamp()
	cur := copyMessage(m)
	conv := copyConversation(s.st.conversations[m.ConversationID])
	var user botpress.User
	if u := s.st.users[m.UserID]; u != nil {
		user = copyUser(u)
	}
	s.changed()
	s.mu.Unlock()
	body := botpress.MessageUpdatedPayload{Type: cur.Type, Payload: cur.Payload, Conversation: conv, User: user, CurrentMessage: cur, PreviousMessage: prev}
	return s.Call(ctx, integrationURL, botpress.OpMessageUpdated, config, body)
}

// UpdateConversation changes a recorded conversation's tags and sends
// conversation_updated with the previous and current versions.
func (s *Server) UpdateConversation(ctx context.Context, integrationURL string, config any, conversationID string, tags map[string]string) (*Response, error) {
	s.mu.Lock()
	c, ok := s.st.conversations[conversationID]
	if !ok {
		s.mu.Unlock()
		return nil, fmt.Errorf("botpressemu: conversation %q not recorded", conversationID)
	}
	prev := copyConversation(c)
	c.Tags = mergeTags(c.Tags, tags)
	c.UpdatedAt = s.stamp()
	cur := copyConversation(c)
	s.changed()
	s.mu.Unlock()
	return s.Call(ctx, integrationURL, botpress.OpConversationUpdated, config,
		botpress.ConversationUpdatedPayload{CurrentConversation: cur, PreviousConversation: prev})
}

func marshalConfiguration(cfg any) (json.RawMessage, error) {
	raw, err := marshalPayload(cfg)
	if err != nil {
		return nil, err
	}
	if len(raw) == 0 || raw[0] != '{' {
		return nil, errors.New("botpressemu: the configuration must be a JSON object")
	}
	return raw, nil
}

func marshalPayload(v any) ([]byte, error) {
	switch p := v.(type) {
	case nil:
		return []byte("{}"), nil
	case json.RawMessage:
		return bytes.TrimSpace(p), nil
	case []byte:
		return bytes.TrimSpace(p), nil
	case string:
		return nil, errors.New("botpressemu: pass JSON as json.RawMessage or []byte, not string")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("botpressemu: encode payload: %w", err)
	}
	return b, nil
}

func nonNil(t map[string]string) map[string]string {
	if t == nil {
		return map[string]string{}
	}
	return t
}

func newTraceParent() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return "00-" + hex.EncodeToString(b[:16]) + "-" + hex.EncodeToString(b[16:]) + "-01"
}
