package botpress

import (
	"encoding/json"
	"strings"
)

// User is a Botpress user as the Runtime API and operation bodies carry it.
type User struct {
	ID         string            `json:"id"`
	Tags       map[string]string `json:"tags"`
	Name       string            `json:"name,omitempty"`
	PictureURL string            `json:"pictureUrl,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
	// CreatedAt and UpdatedAt are RFC 3339 timestamps, kept as sent.
	CreatedAt string `json:"createdAt,omitempty"`
	UpdatedAt string `json:"updatedAt,omitempty"`
}

// Conversation is a Botpress conversation.
type Conversation struct {
	ID      string `json:"id"`
	Channel string `json:"channel"`
	// Integration is the integration's name (or alias) owning the conversation.
	Integration   string            `json:"integration,omitempty"`
	Tags          map[string]string `json:"tags"`
	CurrentTaskID string            `json:"currentTaskId,omitempty"`
	CreatedAt     string            `json:"createdAt,omitempty"`
	UpdatedAt     string            `json:"updatedAt,omitempty"`
}

// Message directions.
const (
	DirectionIncoming = "incoming"
	DirectionOutgoing = "outgoing"
)

// Message is a Botpress message.
type Message struct {
	ID             string            `json:"id"`
	Type           string            `json:"type"`
	Payload        json.RawMessage   `json:"payload"`
	Direction      string            `json:"direction"`
	UserID         string            `json:"userId"`
	ConversationID string            `json:"conversationId"`
	Tags           map[string]string `json:"tags"`
	Origin         string            `json:"origin,omitempty"`
	CreatedAt      string            `json:"createdAt,omitempty"`
	UpdatedAt      string            `json:"updatedAt,omitempty"`
}

// Event is a Botpress event created by an integration.
type Event struct {
	ID             string          `json:"id"`
	Type           string          `json:"type"`
	Payload        json.RawMessage `json:"payload"`
	ConversationID string          `json:"conversationId,omitempty"`
	UserID         string          `json:"userId,omitempty"`
	MessageID      string          `json:"messageId,omitempty"`
	Status         string          `json:"status,omitempty"`
	FailureReason  string          `json:"failureReason,omitempty"`
	CreatedAt      string          `json:"createdAt,omitempty"`
}

// StateType is the scope a state belongs to.
type StateType string

// State scopes an integration may use.
const (
	StateIntegration  StateType = "integration"
	StateConversation StateType = "conversation"
	StateUser         StateType = "user"
)

// State is a stored state value.
type State struct {
	ID        string          `json:"id"`
	Type      StateType       `json:"type"`
	Name      string          `json:"name"`
	Payload   json.RawMessage `json:"payload"`
	CreatedAt string          `json:"createdAt,omitempty"`
	UpdatedAt string          `json:"updatedAt,omitempty"`
	ExpiresAt string          `json:"expiresAt,omitempty"`
}

// RegisterPayload is the body of register and unregister.
type RegisterPayload struct {
	// WebhookURL is this installation's public webhook URL; external services
	// may be pointed at it or at sub-paths of it.
	WebhookURL string `json:"webhookUrl"`
}

// ActionPayload is the body of action_triggered.
type ActionPayload struct {
	Type  string          `json:"type"`
	Input json.RawMessage `json:"input"`
}

// ActionResult is the answer to action_triggered.
type ActionResult struct {
	Output any        `json:"output"`
	Meta   ActionMeta `json:"meta"`
}

// CompactJSON is an action output already encoded as compact, valid JSON
// with encoding/json's escaping, as planbridge's action pipeline produces
// it. The handler writes it into the answer as is: re-encoding a large list
// (which json.Marshal does to every json.RawMessage, checking and
// compacting it) was a fifth of the door's CPU.
type CompactJSON []byte

// encode writes the answer; a CompactJSON output is copied, not re-encoded.
func (r ActionResult) encode() ([]byte, error) {
	raw, ok := r.Output.(CompactJSON)
	if !ok {
		return json.Marshal(r)
	}
	if len(raw) == 0 {
		raw = CompactJSON("{}")
	}
	meta, err := json.Marshal(r.Meta)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, len(raw)+len(meta)+20)
	b = append(b, `{"output":`...)
	b = append(b, raw...)
	b = append(b, `,"meta":`...)
	b = append(b, meta...)
	return append(b, '}'), nil
}

// ActionMeta carries the action's cost.
type ActionMeta struct {
	Cost float64 `json:"cost"`
}

// MessageCreatedPayload is the body of message_created: an outgoing message
// the integration must deliver to the external service.
type MessageCreatedPayload struct {
	Type         string          `json:"type"`
	Payload      json.RawMessage `json:"payload"`
	Conversation Conversation    `json:"conversation"`
	User         User            `json:"user"`
	Message      Message         `json:"message"`
}

// MessageUpdatedPayload is the body of message_updated (SDK 7.2).
type MessageUpdatedPayload struct {
	Type            string          `json:"type"`
	Payload         json.RawMessage `json:"payload"`
	Conversation    Conversation    `json:"conversation"`
	User            User            `json:"user"`
	CurrentMessage  Message         `json:"currentMessage"`
	PreviousMessage Message         `json:"previousMessage"`
}

// ConversationUpdatedPayload is the body of conversation_updated (SDK 7.2).
type ConversationUpdatedPayload struct {
	CurrentConversation  Conversation `json:"currentConversation"`
	PreviousConversation Conversation `json:"previousConversation"`
}

// WebhookPayload is the body of webhook_received.
type WebhookPayload struct {
	Req WebhookRequest `json:"req"`
}

// WebhookRequest is the external service's request as Botpress wraps it.
type WebhookRequest struct {
	Method string `json:"method"`
	// Path is the part after the webhook id, e.g. "/article-event" (may be "").
	Path string `json:"path"`
	// Query is the raw query string without "?".
	Query string `json:"query"`
	// Headers' name casing is not guaranteed; use Header to look one up.
	Headers map[string]string `json:"headers"`
	// Body is the raw body; verify external signatures on this exact string.
	Body string `json:"body"`
}

// Header returns the value of the named header, compared case-insensitively.
func (w *WebhookRequest) Header(name string) string {
	if v, ok := w.Headers[name]; ok {
		return v
	}
	for k, v := range w.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// WebhookResponse is relayed by Botpress to the external caller.
type WebhookResponse struct {
	Status  int               `json:"status,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
}

// CreateUserPayload is the body of the deprecated create_user operation.
type CreateUserPayload struct {
	Tags map[string]string `json:"tags"`
}

// CreateConversationPayload is the body of the deprecated create_conversation operation.
type CreateConversationPayload struct {
	Channel string            `json:"channel"`
	Tags    map[string]string `json:"tags"`
}

// IDRef is an object reference {"id": "..."}.
type IDRef struct {
	ID string `json:"id"`
}

// CreateUserResult is the historical answer to create_user.
type CreateUserResult struct {
	User IDRef `json:"user"`
}

// CreateConversationResult is the historical answer to create_conversation.
type CreateConversationResult struct {
	Conversation IDRef `json:"conversation"`
}
