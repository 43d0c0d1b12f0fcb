package store

import (
	"context"
	"errors"
	"time"
)

// ErrExists is returned when a hand-off session with the same chat id exists.
var ErrExists = errors.New("store: already exists")

// HandoffInstallation is one Planfix chat integration a hand-off runs
// through: a Botpress installation of the planfix integration, or the
// server's own Planfix settings (the REST door). Its ID is a fingerprint
// of where it delivers, so outbox items name it without holding a secret;
// the credentials are stored because deliveries happen later, maybe on
// another replica.
type HandoffInstallation struct {
	ID string `json:"id"`
	// Endpoint, PlanfixToken and ProviderID reach Planfix's /webchat/api.
	Endpoint     string `json:"endpoint"`
	PlanfixToken string `json:"-"`
	ProviderID   string `json:"providerId"`
	// UserEmail is the Planfix employee who authors the bot's messages.
	UserEmail string `json:"userEmail,omitempty"`
	// BotName and BotAvatarURL present the bot (the author of echoes).
	BotName      string `json:"botName,omitempty"`
	BotAvatarURL string `json:"botAvatarUrl,omitempty"`
	// BotID, IntegrationID and IntegrationAlias scope Runtime API calls
	// to the Botpress installation; empty for the REST door.
	BotID            string `json:"botId,omitempty"`
	IntegrationID    string `json:"integrationId,omitempty"`
	IntegrationAlias string `json:"integrationAlias,omitempty"`
	// WebhookURL and WebhookSecret are where the REST door posts agent
	// replies and session events; empty for Botpress installations.
	WebhookURL    string    `json:"webhookUrl,omitempty"`
	WebhookSecret string    `json:"-"`
	UpdatedAt     time.Time `json:"updatedAt"`
}

// The states of a hand-off session.
const (
	HandoffOpen    = "open"
	HandoffStopped = "stopped"
)

// HandoffSession is one hand-off: a Planfix chat (and so a task) bound to
// a conversation on the bot's side.
type HandoffSession struct {
	// ChatID is the Planfix chatId, made by planbridge; unique.
	ChatID       string `json:"chatId"`
	Installation string `json:"installation"`
	// ConversationID is the bot side's conversation (Botpress's hitl
	// conversation, or the REST caller's session id).
	ConversationID string `json:"conversationId"`
	// UserID is the bot side's end user; ContactID the stable Planfix
	// contactId planbridge made for them.
	UserID       string `json:"userId,omitempty"`
	ContactID    string `json:"contactId"`
	ContactName  string `json:"contactName"`
	ContactEmail string `json:"contactEmail,omitempty"`
	Title        string `json:"title,omitempty"`
	// State is HandoffOpen or HandoffStopped.
	State string `json:"state"`
	// Assigned is set once the first agent reply arrived (hitlAssigned).
	Assigned bool `json:"assigned"`
	// StopReason says who ended the session: "bot", "agent" (the task was
	// completed in Planfix), "user" or "operator" (from the console).
	StopReason string    `json:"stopReason,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
	UpdatedAt  time.Time `json:"updatedAt"`
	// CheckedAt is when the Planfix task's status was last polled.
	CheckedAt time.Time `json:"checkedAt,omitzero"`
	// AgentName is the Planfix employee who answered last.
	AgentName string `json:"agentName,omitempty"`
	// TaskNumber is the Planfix task's number, once the poller learned it.
	TaskNumber string `json:"taskNumber,omitempty"`
	// LastStatus, LastStatusText and LastStatusAt are the last
	// messageStatus planbridge reported to Planfix for an agent's reply
	// in this chat ("sent", or "error" with the reason).
	LastStatus     string    `json:"lastStatus,omitempty"`
	LastStatusText string    `json:"lastStatusText,omitempty"`
	LastStatusAt   time.Time `json:"lastStatusAt,omitzero"`
}

// HandoffSessionFilter selects sessions for the operator's list; zero
// fields match anything.
type HandoffSessionFilter struct {
	// State is HandoffOpen or HandoffStopped.
	State          string
	Installation   string
	ConversationID string
	ChatID         string
	// BeforeUpdated and BeforeChatID page: only sessions listed after the
	// one updated at BeforeUpdated with chat id BeforeChatID (with no
	// BeforeChatID, only sessions updated before BeforeUpdated).
	BeforeUpdated time.Time
	BeforeChatID  string
	// Limit caps the list; 0 means 100.
	Limit int
}

// HandoffSessionSummary is a session with when a message last crossed it each way.
type HandoffSessionSummary struct {
	HandoffSession
	// LastFromBot is when the bot side (the end user or the bot) last sent a message to Planfix.
	LastFromBot time.Time `json:"lastFromBot,omitzero"`
	// LastFromPlanfix is when an agent's reply last arrived.
	LastFromPlanfix time.Time `json:"lastFromPlanfix,omitzero"`
}

// The origins of a recorded hand-off message.
const (
	// FromPlanfix messages were sent by an agent; Key is their de-duplication key.
	FromPlanfix = "planfix"
	// FromBot messages came from the bot side; Key is its message id.
	FromBot = "bot"
)

// HandoffMessage records a message that crossed a hand-off, so that a
// repeated delivery of it is recognised.
type HandoffMessage struct {
	Installation string
	// Origin is FromPlanfix or FromBot.
	Origin string
	// Key is unique per installation and origin.
	Key    string
	ChatID string
	At     time.Time
}

// HandoffTx are the hand-off writes of a transaction.
type HandoffTx interface {
	// PutHandoffInstallation stores or replaces an installation.
	PutHandoffInstallation(ctx context.Context, in HandoffInstallation) error
	// CreateHandoffSession stores a new session, or fails with ErrExists.
	CreateHandoffSession(ctx context.Context, s HandoffSession) error
	// LockHandoffSession reads a session for changing it in this
	// transaction (concurrent writers wait), or fails with ErrNotFound.
	LockHandoffSession(ctx context.Context, chatID string) (HandoffSession, error)
	// UpdateHandoffSession replaces the stored session of s.ChatID, or fails with ErrNotFound.
	UpdateHandoffSession(ctx context.Context, s HandoffSession) error
	// SetHandoffStatus records the last messageStatus reported in a chat;
	// a session that does not exist is not an error (it changes nothing).
	SetHandoffStatus(ctx context.Context, chatID, status, text string, at time.Time) error
	// RecordHandoffMessage remembers a message; it reports false, and
	// changes nothing, when one with the same installation, origin and key
	// was recorded before.
	RecordHandoffMessage(ctx context.Context, m HandoffMessage) (bool, error)
}

// Handoffs are the reads of hand-off state.
type Handoffs interface {
	// HandoffInstallation returns an installation, or ErrNotFound.
	HandoffInstallation(ctx context.Context, id string) (HandoffInstallation, error)
	// HandoffSession returns a session by chat id, or ErrNotFound.
	HandoffSession(ctx context.Context, chatID string) (HandoffSession, error)
	// HandoffSessionByConversation returns an installation's session for a
	// bot-side conversation (the newest when there were several), or ErrNotFound.
	HandoffSessionByConversation(ctx context.Context, installation, conversationID string) (HandoffSession, error)
	// OpenHandoffSessions returns up to limit open sessions checked before
	// checkedBefore, least recently checked first.
	OpenHandoffSessions(ctx context.Context, checkedBefore time.Time, limit int) ([]HandoffSession, error)
	// SetHandoffChecked records when an open session's task was polled.
	SetHandoffChecked(ctx context.Context, chatID string, at time.Time) error
	// SetHandoffTask records a session's Planfix task number; a session
	// that does not exist is not an error (it changes nothing).
	SetHandoffTask(ctx context.Context, chatID, number string) error
	// HandoffSessions lists sessions matching f, most recently updated first.
	HandoffSessions(ctx context.Context, f HandoffSessionFilter) ([]HandoffSessionSummary, error)
}
