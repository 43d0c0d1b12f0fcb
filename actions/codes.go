package actions

import "net/http"

// Code is a stable, machine-readable error code. Every door (Botpress, REST,
// MCP, CLI) answers with the same codes; CodeSpec says how each presents it.
type Code string

// The error codes. Their properties are in the one table behind Spec.
const (
	// CodeInvalidInput: the input failed validation or Planhat refused the payload.
	CodeInvalidInput Code = "invalid_input"
	// CodeUnknownAction: no action has the requested name.
	CodeUnknownAction Code = "unknown_action"
	// CodeNotFound: the record does not exist in Planhat.
	CodeNotFound Code = "not_found"
	// CodeUnauthorized: Planhat rejected the API token.
	CodeUnauthorized Code = "unauthorized"
	// CodeForbidden: the token lacks the permission for this model or field.
	CodeForbidden Code = "forbidden"
	// CodeRateLimited: Planhat's request quota is used up for now.
	CodeRateLimited Code = "rate_limited"
	// CodeUpstreamTimeout: Planhat did not answer in time.
	CodeUpstreamTimeout Code = "upstream_timeout"
	// CodeUpstreamError: Planhat failed (5xx), could not be reached, or answered something unexpected.
	CodeUpstreamError Code = "upstream_error"
	// CodePartialFailure: a bulk call where some or all items failed.
	CodePartialFailure Code = "partial_failure"
	// CodeCanceled: the caller went away before the call finished.
	CodeCanceled Code = "canceled"
	// CodeNotConfigured: the configuration lacks something the action needs
	// (the Planhat token, the tenant token for activity tracking).
	CodeNotConfigured Code = "not_configured"
	// CodeInvalidConfig: the configuration names something that may not be
	// used, such as a Planhat URL the server refuses to connect to.
	CodeInvalidConfig Code = "invalid_config"
	// CodeInternal: a fault on our side.
	CodeInternal Code = "internal"
	// CodeBacklogFull: planbridge's outbox holds as much undelivered work as
	// it is allowed to; new work is refused until it drains.
	CodeBacklogFull Code = "backlog_full"

	// CodeUnauthenticated: the caller presented no valid API key.
	CodeUnauthenticated Code = "unauthenticated"
	// CodeUnsupportedMediaType: the body is not JSON.
	CodeUnsupportedMediaType Code = "unsupported_media_type"
	// CodeMalformedJSON: the body is not one JSON object.
	CodeMalformedJSON Code = "malformed_json"
	// CodePayloadTooLarge: the body exceeds the size limit.
	CodePayloadTooLarge Code = "payload_too_large"
	// CodeRouteNotFound: no route has this path.
	CodeRouteNotFound Code = "route_not_found"
	// CodeMethodNotAllowed: the route exists but not with this method.
	CodeMethodNotAllowed Code = "method_not_allowed"
)

// CodeSpec is what every door needs to know about one code.
type CodeSpec struct {
	// Code is the code itself.
	Code Code
	// HTTPStatus is the status of REST answers.
	HTTPStatus int
	// Retryable says whether the same call may succeed later unchanged;
	// one error may say otherwise (an unexpected HTTP status is upstream_error
	// but not worth retrying).
	Retryable bool
	// UserFixable says whether the caller can act on the message (fix the
	// input or configuration, or retry later) rather than it being our fault.
	UserFixable bool
	// Exit is the exit status of `planbridge call` (1 the input, 3 try
	// again later, 4 the configuration or credentials, 5 our fault).
	Exit int
	// Summary says in a few words what the code means, for documentation.
	Summary string
}

// Exit statuses of the command line, by kind of failure.
const (
	ExitInput    = 1
	ExitUsage    = 2
	ExitTryLater = 3
	ExitConfig   = 4
	ExitInternal = 5
)

// codeTable is the one table of error codes.
var codeTable = []CodeSpec{
	{CodeInvalidInput, http.StatusBadRequest, false, true, ExitInput, "the input failed validation or Planhat refused the data"},
	{CodeUnknownAction, http.StatusNotFound, false, true, ExitInput, "no action has this name"},
	{CodeNotFound, http.StatusNotFound, false, true, ExitInput, "Planhat has no such record"},
	{CodePartialFailure, http.StatusBadRequest, false, true, ExitInput, "some items of a bulk call failed"},
	{CodeUnauthorized, http.StatusBadGateway, false, true, ExitConfig, "Planhat rejected the API token"},
	{CodeForbidden, http.StatusBadGateway, false, true, ExitConfig, "the token lacks a permission"},
	{CodeNotConfigured, http.StatusServiceUnavailable, false, true, ExitConfig, "a setting the action needs is missing"},
	{CodeInvalidConfig, http.StatusBadRequest, false, true, ExitConfig, "a setting names something that may not be used"},
	{CodeRateLimited, http.StatusTooManyRequests, true, true, ExitTryLater, "Planhat's quota is used up for now"},
	{CodeUpstreamTimeout, http.StatusGatewayTimeout, true, true, ExitTryLater, "Planhat did not answer in time"},
	{CodeUpstreamError, http.StatusBadGateway, true, true, ExitTryLater, "Planhat failed or could not be reached"},
	{CodeCanceled, http.StatusServiceUnavailable, true, false, ExitTryLater, "the call was canceled before it finished"},
	{CodeBacklogFull, http.StatusServiceUnavailable, true, true, ExitTryLater, "the outbox is full; Planhat is not keeping up"},
	{CodeInternal, http.StatusInternalServerError, false, false, ExitInternal, "a fault on planbridge's side"},
	{CodeUnauthenticated, http.StatusUnauthorized, false, true, ExitConfig, "no valid API key"},
	{CodeUnsupportedMediaType, http.StatusUnsupportedMediaType, false, true, ExitInput, "the body is not JSON"},
	{CodeMalformedJSON, http.StatusBadRequest, false, true, ExitInput, "the body is not one JSON object"},
	{CodePayloadTooLarge, http.StatusRequestEntityTooLarge, false, true, ExitInput, "the body is too large"},
	{CodeRouteNotFound, http.StatusNotFound, false, true, ExitInput, "no such route"},
	{CodeMethodNotAllowed, http.StatusMethodNotAllowed, false, true, ExitInput, "the route does not take this method"},
}

var codeIndex = func() map[Code]CodeSpec {
	m := make(map[Code]CodeSpec, len(codeTable))
	for _, s := range codeTable {
		m[s.Code] = s
	}
	return m
}()

// Spec returns the properties of c; an unknown code is treated as internal.
func (c Code) Spec() CodeSpec {
	if s, ok := codeIndex[c]; ok {
		return s
	}
	s := codeIndex[CodeInternal]
	s.Code = c
	return s
}

// Known reports whether c is in the table; Spec treats other codes (from a
// newer server, say) as internal.
func (c Code) Known() bool {
	_, ok := codeIndex[c]
	return ok
}

// Codes returns the table of every error code, for documentation.
func Codes() []CodeSpec { return append([]CodeSpec(nil), codeTable...) }
