package actions

import "strings"

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
	}
	return msg
}

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
