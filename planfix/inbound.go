package planfix

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// InboundMessage is Planfix's newMessage to the chat: an employee's reply
// into an existing chat, or (ChatID empty) the first message to a contact
// known only by phone.
type InboundMessage struct {
	ProviderID string `json:"providerId"`
	// ChatID is empty for the first-message variant.
	ChatID       string `json:"chatId,omitempty"`
	Channel      string `json:"channel,omitempty"`
	ContactPhone string `json:"contactPhone,omitempty"`
	// Text is plain text; Planfix renders links as "label [ url ]" and
	// quotes as ">>" lines.
	Text string `json:"message"`
	// MessageID is Planfix's id of this message: the key for
	// de-duplication and for messageStatus.
	MessageID    string       `json:"messageId,omitempty"`
	UserName     string       `json:"userName,omitempty"`
	UserLastName string       `json:"userLastName,omitempty"`
	UserIco      string       `json:"userIco,omitempty"`
	TaskEmail    string       `json:"taskEmail,omitempty"`
	Attachments  []Attachment `json:"attachments,omitempty"`
	// Integration is undocumented but sent by Planfix; its meaning is unknown.
	Integration string `json:"integration,omitempty"`
}

// IsFirstMessage reports whether this is the "Write" button variant that
// opens a new chat: the receiver must find or create the conversation for
// ContactPhone and answer its chatId and contactId.
func (m *InboundMessage) IsFirstMessage() bool { return m.ChatID == "" }

// Author is the employee's display name, "userName userLastName".
func (m *InboundMessage) Author() string {
	return strings.TrimSpace(m.UserName + " " + m.UserLastName)
}

// DedupKey is the key a receiver de-duplicates deliveries on: "m:" plus
// the MessageID, or, when Planfix sent none, "h:" plus a hash of the chat,
// phone, text and attachments within the minute of receivedAt, so that a
// quick redelivery collapses while a later identical message does not.
func (m *InboundMessage) DedupKey(receivedAt time.Time) string {
	if m.MessageID != "" {
		return "m:" + m.MessageID
	}
	h := sha256.New()
	for _, s := range []string{m.ProviderID, m.ChatID, m.ContactPhone, m.Text, strconv.FormatInt(receivedAt.Unix()/60, 10)} {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	for _, a := range m.Attachments {
		h.Write([]byte(strconv.Itoa(len(a.Name)) + ":" + a.Name + strconv.Itoa(len(a.URL)) + ":" + a.URL))
	}
	return "h:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// FieldError is an inbound message Planfix sent without a field it needs,
// or with a field the chat cannot accept.
type FieldError struct {
	Field   string
	Problem string
}

// Error names the field.
func (e *FieldError) Error() string {
	return fmt.Sprintf("planfix: inbound newMessage: %s %s", e.Field, e.Problem)
}

// Unwrap makes errors.Is(err, ErrInvalidParameters) hold.
func (e *FieldError) Unwrap() error { return ErrInvalidParameters }

// ParseInboundMessage reads a decoded newMessage form from Planfix. The
// token is not checked here (the Handler does it); the form's cmd must be
// newMessage. It requires providerId, text or attachments, and either a
// chatId or (first message) a contactPhone.
func ParseInboundMessage(f Form) (*InboundMessage, error) {
	if cmd := f.Get("cmd"); cmd != "newMessage" {
		return nil, &FieldError{"cmd", fmt.Sprintf("is %q, want newMessage", safeKey(cmd))}
	}
	m := &InboundMessage{
		ProviderID:   f.Get("providerId"),
		ChatID:       f.Get("chatId"),
		Channel:      f.Get("channel"),
		ContactPhone: f.Get("contactPhone"),
		Text:         f.Get("message"),
		MessageID:    f.Get("messageId"),
		UserName:     f.Get("userName"),
		UserLastName: f.Get("userLastName"),
		UserIco:      f.Get("userIco"),
		TaskEmail:    f.Get("taskEmail"),
		Integration:  f.Get("integration"),
		Attachments:  f.Attachments(),
	}
	switch {
	case m.ProviderID == "":
		return nil, &FieldError{"providerId", "is missing"}
	case m.ChatID == "" && strings.TrimSpace(m.ContactPhone) == "":
		return nil, &FieldError{"chatId", "is missing and there is no contactPhone for a first message"}
	case strings.TrimSpace(m.Text) == "" && len(m.Attachments) == 0:
		return nil, &FieldError{"message", "is empty and there are no attachments"}
	}
	return m, nil
}

// Form renders the message as Planfix sends it, with token as the chat's
// token, in the order of Planfix's documentation; the emulator uses it.
func (m *InboundMessage) Form(token string) Form {
	f := Form{{"cmd", "newMessage"}, {"providerId", m.ProviderID}}
	f.AddNonEmpty("chatId", m.ChatID)
	f.AddNonEmpty("contactPhone", m.ContactPhone)
	f.AddNonEmpty("channel", m.Channel)
	f.Add("token", token)
	f.Add("message", m.Text)
	f.AddNonEmpty("userName", m.UserName)
	f.AddNonEmpty("userLastName", m.UserLastName)
	f.AddNonEmpty("userIco", m.UserIco)
	f.AddNonEmpty("taskEmail", m.TaskEmail)
	f.addAttachments(m.Attachments)
	f.AddNonEmpty("messageId", m.MessageID)
	f.AddNonEmpty("integration", m.Integration)
	return f
}
