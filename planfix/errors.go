package planfix

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// Sentinel errors, matched with errors.Is against what Client methods return.
var (
	// ErrInvalidToken means Planfix answered 401: the planfix_token is wrong,
	// rotated, or belongs to another account. Not retryable.
	ErrInvalidToken = errors.New("invalid Planfix token")
	// ErrInvalidParameters means Planfix answered 400 "Invalid parameters".
	// Not retryable: the same request fails the same way.
	ErrInvalidParameters = errors.New("invalid parameters")
	// ErrTaskNotFound means getTask found no task for the chat.
	ErrTaskNotFound = errors.New("task not found")
	// ErrUnknownContact means getContact does not know the contactId.
	ErrUnknownContact = errors.New("unknown contact")
	// ErrRedirect means Planfix answered 3xx, typically because the account
	// moved to a custom domain; the endpoint must be reconfigured, so such
	// errors match ErrInvalidConfig too.
	ErrRedirect = errors.New("endpoint redirects")
	// ErrServer means Planfix answered 5xx or 429; retryable.
	ErrServer = errors.New("Planfix server error")
	// ErrUnexpectedStatus covers any other non-2xx status (404, 405, ...),
	// usually a wrong endpoint path. Not retryable.
	ErrUnexpectedStatus = errors.New("unexpected HTTP status")
	// ErrMalformedResponse means a 2xx answer lacked what the command needs
	// (e.g. getTask without a task number).
	ErrMalformedResponse = errors.New("malformed Planfix response")
	// ErrTransport means the request failed below HTTP (connection, timeout);
	// retryable, but Planfix may have processed it (see NotDelivered).
	ErrTransport = errors.New("request to Planfix failed")
	// ErrInvalidMessage is matched by *ValidationError: the client refused
	// to send a request Planfix would reject.
	ErrInvalidMessage = errors.New("invalid message")
	// ErrInvalidConfig is returned by NewClient and NewHandler for unusable settings.
	ErrInvalidConfig = errors.New("invalid planfix configuration")
)

// APIError is a non-2xx answer from Planfix's /webchat/api.
type APIError struct {
	// Command is the cmd that was sent (newMessage, getTask, ...).
	Command string
	// StatusCode is the HTTP status Planfix answered.
	StatusCode int
	// Message is Planfix's "error" text, or a bounded excerpt of the body.
	Message string
	// Location is the redirect target of a 3xx answer.
	Location string
	// RetryAfter is the delay Planfix asked for (429/503), zero if none.
	RetryAfter time.Duration

	kind error
}

// Error says what went wrong and what to do about it.
func (e *APIError) Error() string {
	var hint string
	switch e.kind {
	case ErrInvalidToken:
		hint = "Planfix rejected planfix_token; copy the Planfix token again from Account management → Integrations → Chats → Planfix API for chats (it is shown next to the endpoint URL) and check the endpoint belongs to the same account"
	case ErrRedirect:
		hint = fmt.Sprintf("Planfix redirected the request to %q and it was not followed (a POST must not turn into a GET); set the endpoint to the exact URL shown in Planfix's integration settings", e.Location)
	case ErrTaskNotFound:
		hint = "Planfix has no task for this chat yet; send a newMessage first"
	case ErrUnknownContact:
		hint = "Planfix does not know this contactId; it is created by the first newMessage of the contact"
	case ErrInvalidParameters:
		hint = "Planfix rejected the parameters; check providerId matches the integration settings and required fields (chatId, contactId, contactName, message) are present"
	case ErrServer:
		hint = "Planfix is failing or throttling; retry later"
	case ErrUnexpectedStatus:
		hint = "check that the endpoint is the /webchat/api URL from Planfix's integration settings"
	default:
		hint = "unexpected answer"
	}
	msg := ""
	if e.Message != "" {
		msg = fmt.Sprintf(" (%q)", e.Message)
	}
	return fmt.Sprintf("planfix: %s: HTTP %d%s: %s", e.Command, e.StatusCode, msg, hint)
}

// Unwrap exposes the sentinel for errors.Is; a redirect also matches
// ErrInvalidConfig, because only changing the endpoint fixes it.
func (e *APIError) Unwrap() []error {
	if e.kind == ErrRedirect {
		return []error{e.kind, ErrInvalidConfig}
	}
	return []error{e.kind}
}

// Retryable reports whether sending the same request later may succeed.
func (e *APIError) Retryable() bool { return e.kind == ErrServer }

// TransportError is a failure below HTTP: no answer was read from Planfix.
type TransportError struct {
	Command string
	// Sent reports whether the request may have reached Planfix; false
	// only when the connection was never established.
	Sent bool
	Err  error
}

// Error describes the failure without the request body (which holds the token).
func (e *TransportError) Error() string {
	return fmt.Sprintf("planfix: %s: %v: check the endpoint is reachable; the request can be retried", e.Command, e.Err)
}

// Unwrap exposes both ErrTransport and the underlying network error.
func (e *TransportError) Unwrap() []error { return []error{ErrTransport, e.Err} }

// Retryable reports whether retrying makes sense: not when the caller's
// context ended.
func (e *TransportError) Retryable() bool {
	return !errors.Is(e.Err, context.Canceled)
}

// ValidationError is a request the client refused to send.
type ValidationError struct {
	Command string
	Field   string
	Problem string
}

// Error names the field and the fix.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("planfix: %s: %s %s", e.Command, e.Field, e.Problem)
}

// Unwrap makes errors.Is(err, ErrInvalidMessage) hold.
func (e *ValidationError) Unwrap() error { return ErrInvalidMessage }

// IsRetryable reports whether err is a transient failure worth retrying
// later: 5xx, 429, timeouts and connection errors. The client never retries
// by itself, because newMessage has no idempotency key; the caller (the
// outbox) owns the policy and should also consult NotDelivered.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	var r interface{ Retryable() bool }
	if errors.As(err, &r) {
		return r.Retryable()
	}
	return false
}

// NotDelivered reports whether err proves Planfix did not process the
// request, so that resending a newMessage cannot duplicate a comment: the
// client refused it, Planfix answered 4xx or 3xx, or the connection was
// never established. A 5xx or a timeout after sending gives false: the
// comment may already exist.
func NotDelivered(err error) bool {
	if err == nil {
		return false
	}
	if _, ok := errors.AsType[*ValidationError](err); ok {
		return true
	}
	if e, ok := errors.AsType[*APIError](err); ok {
		return e.StatusCode < 500
	}
	if e, ok := errors.AsType[*TransportError](err); ok {
		return !e.Sent
	}
	if errors.Is(err, ErrInvalidConfig) {
		return true
	}
	return false
}

// sentOnTheWire guesses whether a transport error happened after the
// request left: only a failed dial proves it did not.
func sentOnTheWire(err error) bool {
	if oe, ok := errors.AsType[*net.OpError](err); ok && oe.Op == "dial" {
		return false
	}
	var dnsErr *net.DNSError
	return !errors.As(err, &dnsErr)
}

// bodyExcerpt bounds and cleans a response body for an error message.
func bodyExcerpt(b []byte) string {
	s := strings.ToValidUTF8(strings.TrimSpace(string(b)), "?")
	if len(s) > 200 {
		s = s[:200]
		s = strings.ToValidUTF8(s, "") + "…"
	}
	return s
}
