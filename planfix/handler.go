package planfix

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/planbridge/planbridge/internal/secret"
)

// DefaultMaxBodyBytes caps an inbound request body; Planfix sends text and
// attachment URLs only, never file contents.
const DefaultMaxBodyBytes = 1 << 20

// ErrUnknownChat is returned by a Receiver for a chatId it has never seen;
// the Handler answers 400 {"error":"Invalid parameters"}.
var ErrUnknownChat = errors.New("unknown chat")

// Ack is what the chat answers Planfix: the conversation's chatId and the
// end user's contactId. Both are required for a first message, because that
// is how Planfix binds its new task to the chat.
type Ack struct {
	ChatID    string `json:"chatId"`
	ContactID string `json:"contactId"`
}

// Receiver takes over each message Planfix delivers.
//
// Contract: return only once the message is durable (stored in an inbox, a
// queue, the database), never after doing slow work such as delivering it
// to the end user; deliver asynchronously and report the outcome with
// Client.SetMessageStatus. Planfix may deliver the same MessageID more than
// once: a duplicate must not be delivered twice and must get the same Ack.
// For a first message (msg.IsFirstMessage) find or create the conversation
// for msg.ContactPhone and return its ChatID and ContactID.
//
// Errors: ErrUnknownChat or ErrInvalidParameters (errors.Is) answer 400,
// which Planfix shows as a failed message and does not resend. Anything
// else answers 503. Whether Planfix retries after a 5xx is undocumented
// (nothing public shows it does), so a receiver must not count on it: keep
// the hand-over cheap and highly available.
type Receiver interface {
	ReceiveAgentMessage(ctx context.Context, msg *InboundMessage) (Ack, error)
}

// ReceiverFunc adapts a function to Receiver.
type ReceiverFunc func(ctx context.Context, msg *InboundMessage) (Ack, error)

// ReceiveAgentMessage calls f.
func (f ReceiverFunc) ReceiveAgentMessage(ctx context.Context, msg *InboundMessage) (Ack, error) {
	return f(ctx, msg)
}

// HandlerConfig configures the inbound endpoint.
type HandlerConfig struct {
	// ProviderID, when set, must match the providerId Planfix sends; a
	// mismatch is answered like a wrong token (401). A newMessage without
	// providerId is malformed (400 Invalid parameters) either way.
	ProviderID string
	// Tokens are the accepted chat tokens, current first then previous, so
	// a rotation does not drop messages. At least one is required.
	Tokens []string
	// Receiver gets every valid newMessage. Required.
	Receiver Receiver
	// Logger gets warnings (unknown commands, refused requests); nil discards.
	Logger *slog.Logger
	// MaxBodyBytes caps a request body; zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
}

// Handler is the http.Handler for Planfix's calls to the chat URL.
type Handler struct {
	providerID string
	tokens     atomic.Pointer[secret.Set]
	recv       Receiver
	log        *slog.Logger
	maxBody    int64
}

// NewHandler checks cfg and returns the inbound handler.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	if cfg.Receiver == nil {
		return nil, fmt.Errorf("%w: the handler needs a Receiver", ErrInvalidConfig)
	}
	h := &Handler{providerID: cfg.ProviderID, recv: cfg.Receiver, log: cfg.Logger, maxBody: cfg.MaxBodyBytes}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	if err := h.SetTokens(cfg.Tokens...); err != nil {
		return nil, err
	}
	return h, nil
}

// SetTokens replaces the accepted chat tokens (current first, then the
// previous one during a rotation); safe while serving.
func (h *Handler) SetTokens(tokens ...string) error {
	set := secret.NewSet(tokens...)
	if set.Len() == 0 {
		return fmt.Errorf("%w: no chat token; generate one, set it here and in Planfix's integration settings (the chat's token)", ErrInvalidConfig)
	}
	h.tokens.Store(set)
	return nil
}

var (
	answerInvalidToken  = []byte(`{"error":"Invalid token"}`)
	answerInvalidParams = []byte(`{"error":"Invalid parameters"}`)
)

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// ServeHTTP answers one Planfix command.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, []byte(`{"error":"Method not allowed"}`))
		return
	}
	f, status, err := readForm(w, r, h.maxBody)
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "planfix: refused inbound request", slog.String("reason", err.Error()))
		if status == http.StatusRequestEntityTooLarge {
			writeJSON(w, status, []byte(`{"error":"Request body too large"}`))
			return
		}
		writeJSON(w, http.StatusBadRequest, answerInvalidParams)
		return
	}
	if !h.tokens.Load().Match(f.Get("token")) {
		h.log.LogAttrs(ctx, slog.LevelWarn, "planfix: refused inbound request", slog.String("reason", "invalid chat token"), slog.String("remote", r.RemoteAddr))
		writeJSON(w, http.StatusUnauthorized, answerInvalidToken)
		return
	}
	// A missing providerId is a malformed request, not a wrong credential:
	// it is left to the command's own validation (400 for newMessage).
	if got := f.Get("providerId"); h.providerID != "" && got != "" && got != h.providerID {
		h.log.LogAttrs(ctx, slog.LevelWarn, "planfix: refused inbound request", slog.String("reason", "providerId does not match"), slog.String("providerId", safeKey(f.Get("providerId"))))
		writeJSON(w, http.StatusUnauthorized, answerInvalidToken)
		return
	}
	switch cmd := f.Get("cmd"); cmd {
	case "newMessage":
	case "":
		writeJSON(w, http.StatusBadRequest, answerInvalidParams)
		return
	default:
		// Forward compatible: a command added by Planfix later must not
		// look like a failure to it.
		h.log.LogAttrs(ctx, slog.LevelWarn, "planfix: ignored unknown command", slog.String("cmd", safeKey(cmd)))
		writeJSON(w, http.StatusOK, []byte(`{}`))
		return
	}
	msg, err := ParseInboundMessage(f)
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "planfix: refused inbound message", slog.String("reason", err.Error()))
		writeJSON(w, http.StatusBadRequest, answerInvalidParams)
		return
	}
	ack, err := h.recv.ReceiveAgentMessage(ctx, msg)
	if err != nil {
		if errors.Is(err, ErrUnknownChat) || errors.Is(err, ErrInvalidParameters) {
			h.log.LogAttrs(ctx, slog.LevelWarn, "planfix: message refused by receiver", slog.String("chatId", msg.ChatID), slog.String("messageId", msg.MessageID), slog.String("error", err.Error()))
			writeJSON(w, http.StatusBadRequest, answerInvalidParams)
			return
		}
		h.log.LogAttrs(ctx, slog.LevelError, "planfix: receiver failed", slog.String("chatId", msg.ChatID), slog.String("messageId", msg.MessageID), slog.String("error", err.Error()))
		writeJSON(w, http.StatusServiceUnavailable, []byte(`{"error":"Temporarily unavailable"}`))
		return
	}
	if ack.ChatID == "" {
		ack.ChatID = msg.ChatID
	}
	if !utf8.ValidString(ack.ChatID) || !utf8.ValidString(ack.ContactID) {
		// JSON would carry U+FFFD instead, an id the receiver never sees again.
		h.log.LogAttrs(ctx, slog.LevelError, "planfix: receiver returned an id that is not valid UTF-8", slog.String("messageId", msg.MessageID))
		writeJSON(w, http.StatusInternalServerError, []byte(`{"error":"Internal error"}`))
		return
	}
	if msg.IsFirstMessage() && (ack.ChatID == "" || ack.ContactID == "") {
		h.log.LogAttrs(ctx, slog.LevelError, "planfix: receiver returned no chatId/contactId for a first message", slog.String("messageId", msg.MessageID))
		writeJSON(w, http.StatusInternalServerError, []byte(`{"error":"Internal error"}`))
		return
	}
	writeJSON(w, http.StatusOK, appendAck(make([]byte, 0, 64+len(ack.ChatID)+len(ack.ContactID)), ack))
}

func appendAck(b []byte, a Ack) []byte {
	b = append(b, `{"chatId":`...)
	b = appendJSONString(b, a.ChatID)
	b = append(b, `,"contactId":`...)
	b = appendJSONString(b, a.ContactID)
	return append(b, '}')
}

// appendJSONString appends s, valid UTF-8, as a JSON string. Ids are almost
// always plain printable ASCII, which is copied as is; anything else
// (control bytes, quotes, non-ASCII) goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// readForm reads an urlencoded (or, defensively, multipart) body in order.
// The status is 413 for an oversized body and 400 otherwise.
func readForm(w http.ResponseWriter, r *http.Request, limit int64) (Form, int, error) {
	body := http.MaxBytesReader(w, r.Body, limit)
	ct := r.Header.Get("Content-Type")
	mt, params, _ := mime.ParseMediaType(ct)
	switch {
	case mt == "multipart/form-data":
		f, err := readMultipart(body, params["boundary"])
		if err != nil {
			return nil, statusFor(err), err
		}
		return f, 0, nil
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return nil, http.StatusBadRequest, errors.New("JSON body; Planfix sends application/x-www-form-urlencoded")
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		return nil, statusFor(err), fmt.Errorf("reading body: %w", err)
	}
	f, err := ParseForm(string(bytes.TrimSpace(raw)))
	if err != nil {
		return nil, http.StatusBadRequest, err
	}
	return f, 0, nil
}

func statusFor(err error) int {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

func readMultipart(body io.Reader, boundary string) (Form, error) {
	if boundary == "" {
		return nil, fmt.Errorf("%w: multipart body without boundary", ErrMalformedForm)
	}
	mr := multipart.NewReader(body, boundary)
	var f Form
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return f, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformedForm, err)
		}
		if len(f) == MaxFormFields {
			return nil, fmt.Errorf("%w: more than %d fields", ErrMalformedForm, MaxFormFields)
		}
		v, err := io.ReadAll(p)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformedForm, err)
		}
		if p.FileName() != "" || p.FormName() == "" {
			continue // Planfix sends files as URLs, never inline.
		}
		if !utf8Valid(p.FormName(), v) {
			return nil, fmt.Errorf("%w: field %q is not valid UTF-8", ErrMalformedForm, safeKey(p.FormName()))
		}
		f = append(f, Field{Key: p.FormName(), Value: string(v)})
	}
}
