package botpress

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Error types Botpress puts in the "type" field of its error JSON.
const (
	TypeRuntime          = "Runtime"
	TypeInvalidPayload   = "InvalidPayload"
	TypeUnauthorized     = "Unauthorized"
	TypeForbidden        = "Forbidden"
	TypeResourceNotFound = "ResourceNotFound"
	TypeMethodNotFound   = "MethodNotFound"
	TypeAlreadyExists    = "AlreadyExists"
	TypePayloadTooLarge  = "PayloadTooLarge"
	TypeUnsupportedMedia = "UnsupportedMediaType"
	TypeRateLimited      = "RateLimited"
	TypeInternal         = "Internal"
	TypeUnknown          = "Unknown"
)

// GenericErrorMessage is what an unexpected failure answers with; it mirrors
// the SDK's wording so bot builders see a familiar text, and it deliberately
// carries nothing from the underlying error.
const GenericErrorMessage = "An unexpected error occurred in the integration. Bot owners: Check logs for more informations. Integration owners: throw a RuntimeError to return a custom error message instead."

// Error is Botpress's API error JSON. The handler writes it as is when an
// Integration returns one, so its Message must be safe to show to a bot
// builder.
type Error struct {
	ID       string         `json:"id"`
	Code     int            `json:"code"`
	Type     string         `json:"type"`
	Message  string         `json:"message"`
	Metadata map[string]any `json:"metadata,omitempty"`

	// cause is kept for errors.Is/As and logs; it is never serialized.
	cause error
}

// Error returns the message shown to the bot builder.
func (e *Error) Error() string { return e.Type + ": " + e.Message }

// Unwrap exposes the error this one was built from, if any.
func (e *Error) Unwrap() error { return e.cause }

// Is matches the package's sentinels by HTTP status, so callers can write
// errors.Is(err, botpress.ErrNotFound) for both local and remote errors.
func (e *Error) Is(target error) bool { return matchesSentinel(e.Code, target) }

// NewError builds an error with an explicit status and Botpress error type;
// the handler answers with exactly that status.
func NewError(code int, typ, message string) *Error {
	return &Error{ID: NewErrorID(time.Now()), Code: code, Type: typ, Message: message}
}

// RuntimeError reports a problem the bot builder can fix (bad configuration,
// wrong input values); message must say what went wrong and what to do.
// The handler answers 400 with type Runtime.
func RuntimeError(message string) *Error {
	return NewError(http.StatusBadRequest, TypeRuntime, message)
}

// RuntimeErrorf is RuntimeError with formatting; a %w verb keeps the cause
// reachable through errors.Is/As without changing the message.
func RuntimeErrorf(format string, args ...any) *Error {
	return newErrorf(http.StatusBadRequest, TypeRuntime, format, args...)
}

// InvalidPayloadError reports a malformed request (bad JSON, missing or
// wrongly typed fields); the handler answers 400 with type InvalidPayload.
func InvalidPayloadError(message string) *Error {
	return NewError(http.StatusBadRequest, TypeInvalidPayload, message)
}

// InvalidPayloadErrorf is InvalidPayloadError with formatting; %w keeps the cause.
func InvalidPayloadErrorf(format string, args ...any) *Error {
	return newErrorf(http.StatusBadRequest, TypeInvalidPayload, format, args...)
}

// newErrorf formats the message the way fmt.Errorf does and keeps what a %w
// verb wrapped as the cause, reachable through errors.Is/As.
func newErrorf(code int, typ, format string, args ...any) *Error {
	wrapped := fmt.Errorf(format, args...)
	e := NewError(code, typ, wrapped.Error())
	e.cause = errors.Unwrap(wrapped)
	return e
}

// WithMetadata returns e with metadata attached (shown to the caller as the
// "metadata" field); the receiver is modified and returned for chaining.
func (e *Error) WithMetadata(md map[string]any) *Error {
	e.Metadata = md
	return e
}

// NewErrorID returns an id in Botpress's format err_<YYYYMMDDhhmmss>x<8 HEX>,
// so errors from this package look like the platform's own in logs.
func NewErrorID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "err_" + now.UTC().Format("20060102150405") + "x" + strings.ToUpper(hex.EncodeToString(b[:]))
}

// Sentinels matched with errors.Is against *Error and *APIError by status.
var (
	ErrBadRequest   = errors.New("botpress: bad request")
	ErrUnauthorized = errors.New("botpress: unauthorized")
	ErrForbidden    = errors.New("botpress: forbidden")
	ErrNotFound     = errors.New("botpress: not found")
	ErrConflict     = errors.New("botpress: conflict")
	ErrTooLarge     = errors.New("botpress: payload too large")
	ErrRateLimited  = errors.New("botpress: rate limited")
	ErrServer       = errors.New("botpress: server error")
	// ErrRedirect matches a redirect the client refused to follow: the
	// Runtime API does not redirect, and the token would go along. It is a
	// configuration error (BP_API_URL) and never retried.
	ErrRedirect = errors.New("botpress: redirect refused")
)

func matchesSentinel(code int, target error) bool {
	switch target {
	case ErrBadRequest:
		return code == http.StatusBadRequest
	case ErrUnauthorized:
		return code == http.StatusUnauthorized
	case ErrForbidden:
		return code == http.StatusForbidden
	case ErrNotFound:
		return code == http.StatusNotFound
	case ErrConflict:
		return code == http.StatusConflict
	case ErrTooLarge:
		return code == http.StatusRequestEntityTooLarge
	case ErrRateLimited:
		return code == http.StatusTooManyRequests
	case ErrServer:
		return code >= 500
	}
	return false
}

// HeaderError reports a missing required context header. The SDK answers it
// outside its error mapping, as 500 {"error":"Missing … header"}, and so does
// the handler.
type HeaderError struct {
	// Header is the header's canonical lower-case name, e.g. "x-bot-id".
	Header string
	// Message is the SDK's text, e.g. "Missing bot header".
	Message string
}

// Error returns the SDK's message.
func (e *HeaderError) Error() string { return e.Message }

// APIError is a failed Runtime API call: the status, the request line and
// Botpress's error JSON when the body had one.
type APIError struct {
	StatusCode int
	Method     string
	Path       string
	// Body is the decoded error JSON; Type and Message are empty when the
	// answer was not Botpress's error shape.
	Body Error
	// RetryAfter is the delay the server asked for, zero when it gave none.
	RetryAfter time.Duration
}

// Error describes the failed call without any credentials.
func (e *APIError) Error() string {
	msg := e.Body.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	if e.Body.Type != "" {
		return fmt.Sprintf("botpress: %s %s: %d %s: %s", e.Method, e.Path, e.StatusCode, e.Body.Type, msg)
	}
	return fmt.Sprintf("botpress: %s %s: %d: %s", e.Method, e.Path, e.StatusCode, msg)
}

// Is matches the package's sentinels by status.
func (e *APIError) Is(target error) bool { return matchesSentinel(e.StatusCode, target) }

// RefuseRedirect is the http.Client CheckRedirect policy of the Runtime API
// client: it refuses every redirect with an error matching ErrRedirect,
// naming the target by scheme and host only.
func RefuseRedirect(req *http.Request, _ []*http.Request) error {
	status := 0
	if req.Response != nil {
		status = req.Response.StatusCode
	}
	return fmt.Errorf("%w: the server answered %d redirecting to %s; the Runtime API does not redirect, so check BP_API_URL", ErrRedirect, status, req.URL.Scheme+"://"+req.URL.Host)
}
