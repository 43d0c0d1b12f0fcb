package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/handoff"
	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/planfix"
	"github.com/planbridge/planbridge/store"
)

// DefaultHandoffMaxBodyBytes bounds /v1/handoffs bodies: a transcript,
// not a data import.
const DefaultHandoffMaxBodyBytes = 1 << 20

// HandoffOptions configure the REST hand-off door.
type HandoffOptions struct {
	// Engine runs the hand-offs; nil answers every call not_configured.
	Engine *handoff.Engine
	// Installation is the server's own (PLANFIX_* settings), stored.
	Installation store.HandoffInstallation
	// MaxBodyBytes bounds bodies; 0 means DefaultHandoffMaxBodyBytes.
	MaxBodyBytes int64
	// Logger receives store failures; nil discards.
	Logger *slog.Logger
}

// HandoffDoor serves the hand-off for bots that are not Botpress, behind
// the API keys: POST /v1/handoffs starts one, POST …/{sessionId}/messages
// posts the end user's (or the bot's) message, POST …/{sessionId}/stop
// ends it, GET …/{sessionId} reads it. Agents' replies and session events
// go to the installation's webhook, signed.
func HandoffDoor(opts HandoffOptions) Door {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultHandoffMaxBodyBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	d := &handoffDoor{opts: opts}
	limit := opts.MaxBodyBytes
	return Door{
		Name: "handoffs",
		Hint: "The hand-off is POST /v1/handoffs (then /v1/handoffs/{sessionId}/messages and /stop)",
		Routes: []Route{
			{Pattern: "POST /v1/handoffs", Handler: d.guard(d.start), NeedsAPIKey: true, MaxBodyBytes: limit},
			{Pattern: "GET /v1/handoffs/{sessionId}", Handler: d.guard(d.get), NeedsAPIKey: true},
			{Pattern: "POST /v1/handoffs/{sessionId}/messages", Handler: d.guard(d.message), NeedsAPIKey: true, MaxBodyBytes: limit},
			{Pattern: "POST /v1/handoffs/{sessionId}/stop", Handler: d.guard(d.stop), NeedsAPIKey: true, MaxBodyBytes: limit},
		},
		OpenAPIPaths: handoffPaths(),
	}
}

type handoffDoor struct {
	opts HandoffOptions
}

// guard answers not_configured while the server has no Planfix settings.
func (d *handoffDoor) guard(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.opts.Engine == nil || d.opts.Installation.ID == "" {
			WriteError(w, r, actions.CodeNotConfigured, "The hand-off needs the server's Planfix settings: have the operator set PLANFIX_URL, PLANFIX_TOKEN, PLANFIX_PROVIDER_ID and PLANFIX_CHAT_TOKEN, and PLANBRIDGE_HANDOFF_WEBHOOK_URL for the replies.")
			return
		}
		h(w, r)
	})
}

// HandoffUser is the end user a hand-off is for.
type HandoffUser struct {
	// ID is the bot side's user id; ID or Email is required.
	ID         string `json:"id,omitempty"`
	Name       string `json:"name,omitempty"`
	Email      string `json:"email,omitempty"`
	PictureURL string `json:"pictureUrl,omitempty"`
}

// HandoffTurn is one message of the conversation before the hand-off.
type HandoffTurn struct {
	// Author is "user" or "bot".
	Author      string               `json:"author"`
	Text        string               `json:"text,omitempty"`
	Attachments []planfix.Attachment `json:"attachments,omitempty"`
}

// HandoffStart is the body of POST /v1/handoffs.
type HandoffStart struct {
	// SessionID, when given, is the session's id instead of a generated
	// one: the bot can use its own conversation id and needs no mapping,
	// and a retried start cannot open a second Planfix task.
	SessionID   string            `json:"sessionId,omitempty"`
	User        HandoffUser       `json:"user"`
	Title       string            `json:"title,omitempty"`
	Description string            `json:"description,omitempty"`
	BotName     string            `json:"botName,omitempty"`
	History     []HandoffTurn     `json:"history,omitempty"`
	TaskFields  map[string]string `json:"taskFields,omitempty"`
}

// HandoffMessage is the body of POST /v1/handoffs/{sessionId}/messages.
type HandoffMessage struct {
	// MessageID, when given, de-duplicates a retried post.
	MessageID   string               `json:"messageId,omitempty"`
	Author      string               `json:"author,omitempty"`
	Text        string               `json:"text,omitempty"`
	Attachments []planfix.Attachment `json:"attachments,omitempty"`
}

// HandoffSession is how the door shows a session.
type HandoffSession struct {
	SessionID string `json:"sessionId"`
	ChatID    string `json:"chatId"`
	State     string `json:"state"`
	Assigned  bool   `json:"assigned"`
	// StopReason is "bot", "agent" or "operator" once the session ended.
	StopReason string    `json:"stopReason,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
}

func showSession(s store.HandoffSession) HandoffSession {
	return HandoffSession{SessionID: s.ConversationID, ChatID: s.ChatID, State: s.State, Assigned: s.Assigned, StopReason: s.StopReason, CreatedAt: s.CreatedAt}
}

// decode reads a strict JSON body into v: unknown fields are refused, as
// a misspelt field would otherwise be silently dropped.
func (d *handoffDoor) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	raw, err := DecodeActionInput(r.Header.Get("Content-Type"), r.Body, d.opts.MaxBodyBytes)
	if err != nil {
		if be, ok := errors.AsType[*BodyError](err); ok {
			WriteError(w, r, be.Code, strings.Replace(be.Message, "action input", "body", 1))
			return false
		}
		WriteError(w, r, actions.CodeMalformedJSON, "The request body could not be read; retry the call.")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		WriteError(w, r, actions.CodeInvalidInput, "The body does not fit this route: "+jsonFieldError(err)+"; see /openapi.json.")
		return false
	}
	return true
}

// jsonFieldError names the field a decoding error is about, never the value.
func jsonFieldError(err error) string {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return fmt.Sprintf("%q must be a %s", te.Field, te.Type.Kind())
	}
	if s, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return "unknown field " + s
	}
	return "it cannot be decoded"
}

func newSessionID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "hs_" + hex.EncodeToString(b[:])
}

// maxSessionIDLen bounds a caller's session id: it travels in URL paths
// and webhook events.
const maxSessionIDLen = 64

// badSessionID says what is wrong with a caller's session id, or "". The
// charset keeps the id one URL path segment that needs no escaping.
func badSessionID(id string) string {
	if len(id) > maxSessionIDLen {
		return fmt.Sprintf(`"sessionId" is %d characters long; at most %d are allowed.`, len(id), maxSessionIDLen)
	}
	for i, c := range id {
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune("._:-", c)) {
			return `"sessionId" may hold only letters, digits and . _ : - (starting with a letter or digit), so it can stand in a URL path as is; leave it out for a generated one.`
		}
	}
	return ""
}

// chosenChatID is the Planfix chat id of a caller-chosen session id. It is
// derived rather than random so that the store's unique chat id refuses a
// second start of the same session atomically, on every replica; hashing
// keeps the bot's own ids out of Planfix.
func chosenChatID(installation, sessionID string) string {
	sum := sha256.Sum256([]byte("session\x00" + installation + "\x00" + sessionID))
	return "pb-" + hex.EncodeToString(sum[:12])
}

// sessionExists answers a start whose caller-chosen session id is taken.
func sessionExists(w http.ResponseWriter, r *http.Request, sid, state string) {
	if state != "" {
		state = " (" + state + ")"
	}
	WriteError(w, r, actions.CodeInvalidInput, fmt.Sprintf(`The hand-off session %q already exists%s, so no second one was started: read it with GET /v1/handoffs/%s, or start a new one with another "sessionId" (or none, for a generated one).`, sid, state, sid))
}

// failed answers an engine error.
func (d *handoffDoor) failed(w http.ResponseWriter, r *http.Request, session string, err error) {
	var full *outbox.FullError
	switch {
	case errors.Is(err, handoff.ErrNoSession):
		WriteError(w, r, actions.CodeNotFound, fmt.Sprintf("No hand-off session %q: use the sessionId POST /v1/handoffs answered.", truncate(session, 64)))
	case errors.Is(err, handoff.ErrStopped):
		WriteError(w, r, actions.CodeInvalidInput, fmt.Sprintf("The hand-off session %q has ended, so the message was not sent to Planfix; start a new hand-off with POST /v1/handoffs.", truncate(session, 64)))
	case errors.As(err, &full):
		w.Header().Set("Retry-After", strconv.Itoa(int(full.RetryAfter/time.Second)))
		WriteError(w, r, actions.CodeBacklogFull, full.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		WriteError(w, r, actions.CodeCanceled, "The request was canceled before the hand-off was stored; retry it.")
	default:
		d.opts.Logger.Error("handoffs: the store failed", "request_id", RequestID(r.Context()), "error", err.Error())
		WriteError(w, r, actions.CodeInternal, "The hand-off could not be stored; retry, and if it persists give the operator the request id.")
	}
}

func (d *handoffDoor) start(w http.ResponseWriter, r *http.Request) {
	var in HandoffStart
	if !d.decode(w, r, &in) {
		return
	}
	u := in.User
	u.ID, u.Email, u.Name = strings.TrimSpace(u.ID), strings.TrimSpace(u.Email), strings.TrimSpace(u.Name)
	if u.ID == "" && u.Email == "" {
		WriteError(w, r, actions.CodeInvalidInput, `"user.id" or "user.email" is required: the end user the agent talks to (the same person keeps one Planfix contact).`)
		return
	}
	turns := make([]handoff.Turn, 0, len(in.History))
	for i, t := range in.History {
		if t.Author != "user" && t.Author != "bot" {
			WriteError(w, r, actions.CodeInvalidInput, fmt.Sprintf(`"history[%d].author" must be "user" or "bot".`, i))
			return
		}
		if bad := badAttachment(t.Attachments); bad != "" {
			WriteError(w, r, actions.CodeInvalidInput, fmt.Sprintf(`"history[%d].attachments": %s`, i, bad))
			return
		}
		turns = append(turns, handoff.Turn{Bot: t.Author == "bot", Text: t.Text, Attachments: t.Attachments})
	}
	name := u.Name
	if name == "" {
		name = cmpOr(u.Email, "Customer")
	}
	title := strings.TrimSpace(in.Title)
	if title == "" {
		title = "Chat with " + name
	}
	sid, chat := newSessionID(), handoff.NewChatID()
	if in.SessionID != "" {
		if bad := badSessionID(in.SessionID); bad != "" {
			WriteError(w, r, actions.CodeInvalidInput, bad)
			return
		}
		// Asked first for the clearer answer (the state); the derived chat
		// id below is what makes two racing starts safe.
		switch s, err := d.opts.Engine.Session(r.Context(), d.opts.Installation.ID, in.SessionID); {
		case err == nil:
			sessionExists(w, r, in.SessionID, s.State)
			return
		case !errors.Is(err, handoff.ErrNoSession):
			d.failed(w, r, in.SessionID, err)
			return
		}
		sid, chat = in.SessionID, chosenChatID(d.opts.Installation.ID, in.SessionID)
	}
	err := d.opts.Engine.StartSession(r.Context(), handoff.Start{Installation: d.opts.Installation, ChatID: chat, ConversationID: sid, UserID: u.ID,
		Contact: planfix.Contact{ID: handoff.ContactID(u.Email, u.ID), Name: name, Email: u.Email, Ico: u.PictureURL}, Title: title,
		Opening: handoff.Transcript(in.Description, name, cmpOr(in.BotName, d.opts.Installation.BotName), turns), Data: in.TaskFields})
	if errors.Is(err, store.ErrExists) && in.SessionID != "" {
		sessionExists(w, r, sid, "")
		return
	}
	if err != nil {
		d.failed(w, r, sid, err)
		return
	}
	writeJSON(w, http.StatusCreated, HandoffSession{SessionID: sid, ChatID: chat, State: store.HandoffOpen, CreatedAt: time.Now().UTC()})
}

func badAttachment(atts []planfix.Attachment) string {
	for i, a := range atts {
		if !strings.HasPrefix(a.URL, "https://") && !strings.HasPrefix(a.URL, "http://") {
			return fmt.Sprintf("attachment %d needs an http(s) \"url\" the agent can open", i)
		}
	}
	return ""
}

func (d *handoffDoor) get(w http.ResponseWriter, r *http.Request) {
	sid := r.PathValue("sessionId")
	s, err := d.opts.Engine.Session(r.Context(), d.opts.Installation.ID, sid)
	if err != nil {
		d.failed(w, r, sid, err)
		return
	}
	writeJSON(w, http.StatusOK, showSession(s))
}

func (d *handoffDoor) message(w http.ResponseWriter, r *http.Request) {
	sid := r.PathValue("sessionId")
	var in HandoffMessage
	if !d.decode(w, r, &in) {
		return
	}
	switch {
	case in.Author == "":
		in.Author = "user"
	case in.Author != "user" && in.Author != "bot":
		WriteError(w, r, actions.CodeInvalidInput, `"author" must be "user" (the end user, the default) or "bot" (shown to the agent as the bot's).`)
		return
	}
	if strings.TrimSpace(in.Text) == "" && len(in.Attachments) == 0 {
		WriteError(w, r, actions.CodeInvalidInput, `"text" or "attachments" is required: the message to show the agent.`)
		return
	}
	if bad := badAttachment(in.Attachments); bad != "" {
		WriteError(w, r, actions.CodeInvalidInput, `"attachments": `+bad)
		return
	}
	s, err := d.opts.Engine.PostBotMessage(r.Context(), handoff.BotMessage{Installation: d.opts.Installation.ID, ConversationID: sid,
		MessageID: in.MessageID, Text: in.Text, Attachments: in.Attachments, Echo: in.Author == "bot"})
	if err != nil {
		d.failed(w, r, sid, err)
		return
	}
	writeJSON(w, http.StatusAccepted, showSession(s))
}

func (d *handoffDoor) stop(w http.ResponseWriter, r *http.Request) {
	sid := r.PathValue("sessionId")
	var in struct {
		Note string `json:"note,omitempty"`
	}
	if !d.decode(w, r, &in) {
		return
	}
	s, err := d.opts.Engine.StopSession(r.Context(), d.opts.Installation.ID, sid, strings.TrimSpace(in.Note))
	if err != nil {
		d.failed(w, r, sid, err)
		return
	}
	writeJSON(w, http.StatusOK, showSession(s))
}

func cmpOr(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}

// WebhookScheme documents how hand-off events are posted and signed; the
// OpenAPI document and the README say the same.
const WebhookScheme = "Agents' replies and session events are POSTed as JSON to PLANBRIDGE_HANDOFF_WEBHOOK_URL: " +
	`{"id","type":"agentMessage"|"assigned"|"stopped","sessionId","chatId","seq","message":{"text","attachments","agentName","agentAvatarUrl","planfixMessageId"},"reason":"agent"|"bot"}. ` +
	"Headers: X-Planbridge-Timestamp (unix seconds), X-Planbridge-Event-Id (the event id) and X-Planbridge-Signature: \"v1=\" and the hex HMAC-SHA256, keyed by PLANBRIDGE_HANDOFF_WEBHOOK_SECRET, of the timestamp, a \".\", and the raw body. " +
	"Check it in constant time and refuse timestamps more than 5 minutes from now. Answer 2xx to accept; 408, 429 and 5xx (or no answer) are retried with backoff, other 4xx make the event a dead letter. " +
	"Events of one session arrive one at a time in order (seq grows); delivery is at least once, so de-duplicate by id."

// handoffPaths are the OpenAPI entries of the door.
func handoffPaths() map[string]any {
	errorResponse := func(desc string) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{
			"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
	}
	str := func(desc string) map[string]any { return map[string]any{"type": "string", "description": desc} }
	attachments := map[string]any{"type": "array", "description": "Files, each shown to the agent by name and URL.", "items": map[string]any{
		"type": "object", "required": []string{"url"}, "properties": map[string]any{"name": str("The file name."), "url": str("An http(s) URL the agent can open.")}}}
	session := map[string]any{"type": "object", "properties": map[string]any{
		"sessionId": str("The hand-off's id in the routes and the webhook's events."), "chatId": str("The Planfix chatId."),
		"state":      map[string]any{"type": "string", "enum": []string{store.HandoffOpen, store.HandoffStopped}},
		"assigned":   map[string]any{"type": "boolean", "description": "An agent has replied."},
		"stopReason": map[string]any{"type": "string", "enum": []string{"bot", "agent"}},
		"createdAt":  map[string]any{"type": "string", "format": "date-time"}}}
	answer := func(desc string) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": session}}}
	}
	common := func(op map[string]any) map[string]any {
		rs := op["responses"].(map[string]any)
		rs["401"] = errorResponse("Missing or wrong API key (unauthenticated).")
		rs["503"] = errorResponse("The server has no Planfix settings (not_configured) or the outbox is full (backlog_full, with Retry-After).")
		op["tags"] = []string{"handoff"}
		return op
	}
	body := func(schema map[string]any) map[string]any {
		return map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": schema}}}
	}
	bodyErrors := func(rs map[string]any) map[string]any {
		rs["400"] = errorResponse("Malformed JSON (malformed_json), or a missing, unknown or wrong field (invalid_input).")
		rs["413"] = errorResponse("The body exceeds the size limit (payload_too_large).")
		rs["415"] = errorResponse("The body is not application/json (unsupported_media_type).")
		return rs
	}
	param := []any{map[string]any{"name": "sessionId", "in": "path", "required": true, "schema": map[string]any{"type": "string"}}}
	return map[string]any{
		"/v1/handoffs": map[string]any{"post": common(map[string]any{
			"operationId": "startHandoff",
			"summary":     "Start a hand-off to a person in Planfix",
			"description": "Opens a Planfix chat (a task) for the end user with the title, the description and the conversation so far; the agent's replies and the session's events go to the webhook. " + WebhookScheme,
			"requestBody": body(map[string]any{"type": "object", "required": []string{"user"}, "additionalProperties": false, "properties": map[string]any{
				"sessionId": map[string]any{"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$",
					"description": "Your id for the session (your conversation id, say) instead of a generated hs_…; a second start with the same id is refused with invalid_input, so a retried start opens one Planfix task."},
				"user": map[string]any{"type": "object", "description": "The end user; id or email is required.", "additionalProperties": false, "properties": map[string]any{
					"id": str("The bot side's user id."), "name": str("Shown on the Planfix contact."), "email": str("The same email keeps one Planfix contact."), "pictureUrl": str("The contact's avatar.")}},
				"title":       str("The task's name (default: Chat with NAME)."),
				"description": str("Shown to the agent before the transcript."),
				"botName":     str("How the transcript labels the bot's turns."),
				"history": map[string]any{"type": "array", "description": "The conversation before the hand-off, oldest first.", "items": map[string]any{
					"type": "object", "required": []string{"author"}, "properties": map[string]any{
						"author": map[string]any{"type": "string", "enum": []string{"user", "bot"}}, "text": str("The message."), "attachments": attachments}}},
				"taskFields": map[string]any{"type": "object", "description": "Planfix task custom fields by name.", "additionalProperties": map[string]any{"type": "string"}},
			}}),
			"responses": bodyErrors(map[string]any{"201": answer("Stored; the opening message is on its way to Planfix.")}),
		})},
		"/v1/handoffs/{sessionId}": map[string]any{"get": common(map[string]any{
			"operationId": "getHandoff", "summary": "Read a hand-off", "parameters": param,
			"description": "The session's state: open, or stopped by the bot or by the agent (the task was completed in Planfix).",
			"responses":   map[string]any{"200": answer("The session."), "404": errorResponse("No such session (not_found).")},
		})},
		"/v1/handoffs/{sessionId}/messages": map[string]any{"post": common(map[string]any{
			"operationId": "postHandoffMessage", "summary": "Send a message to the agent", "parameters": param,
			"description": "Queues the end user's message (author user, the default) or the bot's (author bot, shown as outgoing) for the Planfix task, in the order accepted. A repeated messageId is accepted once.",
			"requestBody": body(map[string]any{"type": "object", "additionalProperties": false, "properties": map[string]any{
				"messageId": str("Your id of the message, to make retries safe."), "author": map[string]any{"type": "string", "enum": []string{"user", "bot"}},
				"text": str("The message; text or attachments is required."), "attachments": attachments}}),
			"responses": bodyErrors(map[string]any{"202": answer("Stored; on its way to Planfix."), "404": errorResponse("No such session (not_found).")}),
		})},
		"/v1/handoffs/{sessionId}/stop": map[string]any{"post": common(map[string]any{
			"operationId": "stopHandoff", "summary": "Hand the conversation back to the bot", "parameters": param,
			"description": "Ends the session and tells the agent in the task; the agent's later replies are refused in Planfix with a reason. Stopping an ended session changes nothing.",
			"requestBody": map[string]any{"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object", "additionalProperties": false,
				"properties": map[string]any{"note": str("What the agent reads in the task (a default note otherwise).")}}}}},
			"responses": bodyErrors(map[string]any{"200": answer("The ended session."), "404": errorResponse("No such session (not_found).")}),
		})},
	}
}
