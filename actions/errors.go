package actions

import (
	"errors"
	"strings"
)

// FieldError is one problem with one input field.
type FieldError struct {
	// Field is the path of the field, e.g. "companyId" or "assets[3].name";
	// "(input)" when the problem concerns the input as a whole.
	Field string `json:"field"`
	// Message says what is wrong with the field, e.g. "required" or "must be <= 5000".
	Message string `json:"message"`
}

// String renders the problem as "field: message".
func (f FieldError) String() string { return f.Field + ": " + f.Message }

// InputError reports input that an action refused before calling anything:
// malformed JSON, or fields that do not satisfy the action's schema. Its
// message is safe to show to the bot builder.
type InputError struct {
	// Action is the name of the action that refused the input, when known.
	Action string
	// Problem describes a problem with the input as a whole (bad JSON, too big).
	Problem string
	// Fields lists the field-level problems.
	Fields []FieldError
}

// Error lists every problem, field by field.
func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString("invalid input")
	if e.Action != "" {
		b.WriteString(" for ")
		b.WriteString(e.Action)
	}
	b.WriteString(": ")
	b.WriteString(e.details())
	return b.String()
}

// details joins the problem and the field problems with "; ", the part of
// the message Error and Classify share.
func (e *InputError) details() string {
	parts := make([]string, 0, len(e.Fields)+1)
	if e.Problem != "" {
		parts = append(parts, e.Problem)
	}
	for _, f := range e.Fields {
		parts = append(parts, f.String())
	}
	return strings.Join(parts, "; ")
}

// inputErrorf returns an InputError for one field; action code uses it for
// rules a schema cannot express (e.g. "exactly one of id, externalId, sourceId").
func fieldError(field, message string) *InputError {
	return &InputError{Fields: []FieldError{{Field: field, Message: message}}}
}

// UnknownActionError reports a call to an action name the registry lacks.
type UnknownActionError struct {
	// Name is the requested action name.
	Name string
	// Suggestion is the closest registered name, if any is close.
	Suggestion string
}

// Error names the action and, when one is close, the likely intended name.
func (e *UnknownActionError) Error() string {
	msg := "unknown action " + quote(e.Name)
	if e.Suggestion != "" {
		msg += ": did you mean " + quote(e.Suggestion) + "?"
	} else {
		msg += ": list the available actions to find the right name"
	}
	return msg
}

// ErrNoPlanhat reports an action that needs Planhat called without a Planhat
// client in its context; it is a wiring mistake of the door, not the user's.
var ErrNoPlanhat = errors.New("actions: no Planhat client in the context (use actions.WithPlanhat)")

// ErrorInfo is the classification of an action error that every door uses
// to answer: a stable code, a message safe to show, and how to present it.
type ErrorInfo struct {
	// Code is stable and machine-readable: one of the Code* constants.
	Code string `json:"code"`
	// Message says what went wrong and what to do; it never contains secrets
	// or raw upstream bodies.
	Message string `json:"message"`
	// Retryable says whether the same call may succeed later unchanged.
	Retryable bool `json:"retryable"`
	// UserFixable says whether the bot builder or caller can fix it (a
	// Botpress RuntimeError, HTTP 4xx) rather than an internal fault (500).
	UserFixable bool `json:"userFixable"`
	// HTTPStatus is the status the REST door should answer with.
	HTTPStatus int `json:"-"`
}

// Error codes returned in ErrorInfo.Code.
const (
	// CodeInvalidInput: the input failed validation or Planhat refused the payload.
	CodeInvalidInput = "invalid_input"
	// CodeUnknownAction: no action has the requested name.
	CodeUnknownAction = "unknown_action"
	// CodeNotFound: the record does not exist in Planhat.
	CodeNotFound = "not_found"
	// CodeUnauthorized: Planhat rejected the API token.
	CodeUnauthorized = "unauthorized"
	// CodeForbidden: the token lacks the permission for this model or field.
	CodeForbidden = "forbidden"
	// CodeRateLimited: Planhat's request quota is used up for now.
	CodeRateLimited = "rate_limited"
	// CodeUpstreamTimeout: Planhat did not answer in time.
	CodeUpstreamTimeout = "upstream_timeout"
	// CodeUpstreamError: Planhat failed (5xx) or answered something unexpected.
	CodeUpstreamError = "upstream_error"
	// CodePartialFailure: a bulk call where some or all items failed.
	CodePartialFailure = "partial_failure"
	// CodeCanceled: the caller went away before the call finished.
	CodeCanceled = "canceled"
	// CodeInternal: a fault on our side.
	CodeInternal = "internal"
)

func quote(s string) string {
	return "\"" + strings.ReplaceAll(truncate(s, 80), "\"", "'") + "\""
}

// truncate cuts s to its first n bytes and marks the cut with "…"; callers
// bound caller-supplied text in messages, where a cut rune is harmless.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
