package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/planbridge/planbridge/actions"
)

// ErrorBody is the JSON shape of every REST error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong in a machine-readable code and a
// human-readable, instructive message, plus the request id to quote in support.
type ErrorDetail struct {
	// Code is one of the stable codes of actions.Codes.
	Code actions.Code `json:"code"`
	// Message says what went wrong and what to do.
	Message string `json:"message"`
	// RequestID identifies the request in the server's log.
	RequestID string `json:"requestId,omitempty"`
	// Retryable says whether the same request may succeed later unchanged.
	Retryable bool `json:"retryable"`
}

// WriteError writes the REST error JSON with the code's status, tagging it
// with the request's id so a caller can quote it and an operator can find
// the log line.
func WriteError(w http.ResponseWriter, r *http.Request, code actions.Code, message string) {
	spec := code.Spec()
	writeErrorDetail(w, r, spec.HTTPStatus, ErrorDetail{Code: code, Message: message, Retryable: spec.Retryable})
}

// writeActionError answers a failed action call: the code's status, and
// the real Retry-After when Planhat or the limiter named one (never a
// guess, so every door reports the same wait).
func writeActionError(w http.ResponseWriter, r *http.Request, e *actions.Error) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	writeErrorDetail(w, r, e.HTTPStatus(), ErrorDetail{Code: e.Code, Message: e.Message, Retryable: e.Retryable})
}

func writeErrorDetail(w http.ResponseWriter, r *http.Request, status int, d ErrorDetail) {
	d.RequestID = RequestID(r.Context())
	writeJSON(w, status, ErrorBody{Error: d})
}

// writeJSON writes v as the response body; encoding errors can only come from
// our own types, so they are a bug and end up as a bare 500.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":{"code":"internal","message":"response encoding failed"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
