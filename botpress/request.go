package botpress

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
)

// Context header names Botpress sends with every operation (spec §2.2).
const (
	HeaderOperation         = "x-bp-operation"
	HeaderBotID             = "x-bot-id"
	HeaderBotUserID         = "x-bot-user-id"
	HeaderIntegrationID     = "x-integration-id"
	HeaderIntegrationAlias  = "x-integration-alias"
	HeaderWebhookID         = "x-webhook-id"
	HeaderConfiguration     = "x-bp-configuration"
	HeaderConfigurationType = "x-bp-configuration-type"
	HeaderType              = "x-bp-type"
	HeaderTraceParent       = "traceparent"
	HeaderTraceState        = "tracestate"
)

// Operation is the value of the x-bp-operation header.
type Operation string

// The operations of SDK 7.2 (spec §2.3).
const (
	OpRegister            Operation = "register"
	OpUnregister          Operation = "unregister"
	OpPing                Operation = "ping"
	OpActionTriggered     Operation = "action_triggered"
	OpMessageCreated      Operation = "message_created"
	OpMessageUpdated      Operation = "message_updated"
	OpConversationUpdated Operation = "conversation_updated"
	OpWebhookReceived     Operation = "webhook_received"
	OpCreateUser          Operation = "create_user"
	OpCreateConversation  Operation = "create_conversation"
)

// Operations lists every operation the handler dispatches, in spec order.
func Operations() []Operation {
	return []Operation{OpRegister, OpUnregister, OpPing, OpActionTriggered, OpMessageCreated,
		OpMessageUpdated, OpConversationUpdated, OpWebhookReceived, OpCreateUser, OpCreateConversation}
}

// Known reports whether op is one of [Operations].
func (op Operation) Known() bool {
	for _, k := range Operations() {
		if op == k {
			return true
		}
	}
	return false
}

// requiredHeaders are checked in the SDK's order, with the SDK's messages,
// so the first missing one is reported exactly as Botpress would see it.
var requiredHeaders = []struct{ name, message string }{
	{HeaderOperation, "Missing operation header"},
	{HeaderBotID, "Missing bot header"},
	{HeaderBotUserID, "Missing bot user header"},
	{HeaderIntegrationID, "Missing integration header"},
	{HeaderIntegrationAlias, "Missing integration alias header"},
	{HeaderWebhookID, "Missing webhook header"},
	{HeaderConfiguration, "Missing configuration header"},
}

// Request is one operation call from Botpress: the decoded context headers,
// the raw body, and per-call facilities (logger, Runtime API client, cost).
type Request struct {
	Operation         Operation
	BotID             string
	BotUserID         string
	IntegrationID     string
	IntegrationAlias  string
	WebhookID         string
	ConfigurationType string
	// Configuration is the installation's configuration JSON decoded from
	// x-bp-configuration; "{}" when the header was empty. It holds secrets:
	// never log it.
	Configuration json.RawMessage
	// Type is x-bp-type, which Botpress sends only to bots; kept for completeness.
	Type        string
	TraceParent string
	TraceState  string
	// RequestID identifies this call in logs; error JSON ids reuse it.
	RequestID string
	// Body is the raw request body.
	Body []byte
	// Logger carries the request id and bot/integration ids (never secrets).
	Logger *slog.Logger

	cost    float64
	runtime ClientOptions
}

// DecodeConfiguration unmarshals the configuration into v. A type mismatch
// becomes a Runtime error telling the bot builder to fix the configuration.
func (r *Request) DecodeConfiguration(v any) error {
	if err := json.Unmarshal(r.Configuration, v); err != nil {
		return RuntimeErrorf("The integration configuration is not valid (%s). Open the integration's configuration in Botpress, correct the fields and save it.", describeJSONError(err))
	}
	return nil
}

// SetCost sets meta.cost of an action's answer (the SDK's metadata.setCost).
func (r *Request) SetCost(cost float64) { r.cost = cost }

// Client returns a Runtime API client scoped to this request's bot and
// installation, using the handler's base URL and token and propagating the
// trace headers.
func (r *Request) Client() (*Client, error) {
	opts := r.runtime
	opts.BotID = r.BotID
	opts.IntegrationID = r.IntegrationID
	opts.IntegrationAlias = r.IntegrationAlias
	opts.TraceParent = r.TraceParent
	opts.TraceState = r.TraceState
	return NewClient(opts)
}

// WebhookURL returns the public webhook URL of this installation under base
// (e.g. https://webhook.botpress.cloud).
func (r *Request) WebhookURL(base string) string {
	return strings.TrimRight(base, "/") + "/" + r.WebhookID
}

// ParseHeaders decodes the context headers case-insensitively, whether h
// came from a server (canonical keys) or was built by hand with raw
// lower-case or mixed-case keys. A missing required header yields a
// *HeaderError with the SDK's message; an undecodable configuration yields
// an InvalidPayload *Error.
func ParseHeaders(h http.Header) (*Request, error) {
	get := func(name string) string {
		if vs := headerValues(h, name); len(vs) > 0 {
			return vs[0]
		}
		return ""
	}
	for _, rh := range requiredHeaders {
		// The SDK tests headers for truthiness, so an empty value is missing;
		// only the configuration may be empty (it then decodes to {}).
		missing := strings.TrimSpace(get(rh.name)) == ""
		if rh.name == HeaderConfiguration {
			missing = len(headerValues(h, rh.name)) == 0
		}
		if missing {
			return nil, &HeaderError{Header: rh.name, Message: rh.message}
		}
	}
	cfg, err := DecodeConfiguration(get(HeaderConfiguration))
	if err != nil {
		return nil, err
	}
	return &Request{
		Operation:         Operation(strings.TrimSpace(get(HeaderOperation))),
		BotID:             get(HeaderBotID),
		BotUserID:         get(HeaderBotUserID),
		IntegrationID:     get(HeaderIntegrationID),
		IntegrationAlias:  get(HeaderIntegrationAlias),
		WebhookID:         get(HeaderWebhookID),
		ConfigurationType: get(HeaderConfigurationType),
		Configuration:     cfg,
		Type:              get(HeaderType),
		TraceParent:       get(HeaderTraceParent),
		TraceState:        get(HeaderTraceState),
	}, nil
}

// headerValues returns the values of name in h. http.Header lookups only
// see canonical keys, but maps built by hand or by proxies and tests may
// hold raw keys such as "x-bot-id" or "X-BP-Configuration", which Botpress
// (lower-casing every name) treats as the same header. The canonical key
// wins; otherwise matching keys are taken in sorted order so the answer
// does not depend on map iteration.
func headerValues(h http.Header, name string) []string {
	if vs := h.Values(name); len(vs) > 0 {
		return vs
	}
	canonical := http.CanonicalHeaderKey(name)
	var keys []string
	for k := range h {
		if k != canonical && strings.EqualFold(k, name) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var vs []string
	for _, k := range keys {
		vs = append(vs, h[k]...)
	}
	return vs
}

// ErrConfiguration is wrapped by every configuration decoding failure.
var ErrConfiguration = errors.New("botpress: invalid x-bp-configuration header")

// DecodeConfiguration decodes x-bp-configuration: base64 (standard or URL
// alphabet, padded or not, surrounding spaces ignored) of a JSON object.
// Empty decodes to {}. Anything else is an InvalidPayload *Error wrapping
// ErrConfiguration.
func DecodeConfiguration(header string) (json.RawMessage, error) {
	s := strings.TrimSpace(header)
	if s == "" {
		return json.RawMessage("{}"), nil
	}
	raw, err := decodeBase64(s)
	if err != nil {
		return nil, configError("the %s header is not base64", HeaderConfiguration)
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage("{}"), nil
	}
	if raw[0] != '{' || !json.Valid(raw) {
		return nil, configError("the %s header is not base64 of a JSON object", HeaderConfiguration)
	}
	return json.RawMessage(raw), nil
}

func configError(format string, args ...any) *Error {
	e := InvalidPayloadError(fmt.Sprintf(format, args...) + "; Botpress sends base64(JSON) there, so check whatever sits between Botpress and this server.")
	e.cause = ErrConfiguration
	return e
}

// decodeBase64 accepts what Node's Buffer.from(s, "base64") would: both
// alphabets, with or without padding.
func decodeBase64(s string) ([]byte, error) {
	if strings.ContainsAny(s, " \t\r\n") {
		s = strings.Join(strings.Fields(s), "")
	}
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// describeJSONError turns a decoding error into text safe to show: the
// offending field and type, never the value (values can be secrets).
func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		// Value is "number 123" for a number that does not fit: keep the kind.
		kind, _, _ := strings.Cut(te.Value, " ")
		if te.Field != "" {
			return fmt.Sprintf("field %q must be %s, not %s", te.Field, te.Type.String(), kind)
		}
		return fmt.Sprintf("expected %s, not %s", te.Type.String(), kind)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("malformed JSON at byte %d", se.Offset)
	}
	return "malformed JSON"
}
