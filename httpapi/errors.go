package httpapi

import (
	"encoding/json"
	"net/http"
)

// Stable error codes of the REST door. Clients match on these, never on the
// message, so they never change meaning once published.
const (
	CodeUnauthenticated      = "unauthenticated"        // missing or wrong API key
	CodeUnsupportedMediaType = "unsupported_media_type" // body is not application/json
	CodeMalformedJSON        = "malformed_json"         // body is not one JSON object
	CodePayloadTooLarge      = "payload_too_large"      // body over the size limit
	CodeUnknownAction        = "unknown_action"         // no action with that name
	CodeRouteNotFound        = "route_not_found"        // no such path
	CodeMethodNotAllowed     = "method_not_allowed"     // path exists, method does not
	CodeNotConfigured        = "not_configured"         // the server lacks configuration the action needs
	CodeInternal             = "internal"               // a bug or panic; see the server log by request id
)

// ErrorBody is the JSON shape of every REST error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong in a machine-readable code and a
// human-readable, instructive message, plus the request id to quote in support.
type ErrorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"requestId,omitempty"`
	Retryable bool   `json:"retryable,omitempty"`
}

// WriteError writes the REST error JSON with status, tagging it with the
// request's id so a caller can quote it and an operator can find the log line.
func WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	writeErrorDetail(w, r, status, ErrorDetail{Code: code, Message: message})
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
