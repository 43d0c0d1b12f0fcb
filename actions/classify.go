package actions

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/planbridge/planbridge/planhat"
)

// CodeNotConfigured: the configuration lacks something the action needs
// (e.g. the tenant token for activity tracking).
const CodeNotConfigured = "not_configured"

// Messages shared by several classifications.
const (
	msgUnauthorized = "Planhat rejected the API token: create one under Settings > Private Apps and paste it into the integration's configuration; " +
		"if the token is right, check the region: a token only works on its own cluster (api-eu.planhat.com for app-eu.planhat.com, api-us2.planhat.com for app-us2, and so on)."
	msgInternal = "An unexpected error occurred in the integration. Try again; if it keeps happening, report it to the integration's operator."
)

// Classify turns any error an action, the registry or the Planhat client
// returns into a stable code and a message safe to show to the caller: what
// went wrong and what to do. Messages never contain tokens or raw upstream
// bodies beyond Planhat's own short error message. UserFixable is true when
// the message is meant for the caller (fix the input or configuration, or
// retry later) and false for faults on our side, which doors answer with a
// generic 500. Classify(nil) returns the zero ErrorInfo.
func Classify(err error) ErrorInfo {
	if err == nil {
		return ErrorInfo{}
	}
	var (
		inputErr   *InputError
		unknownErr *UnknownActionError
		validErr   *planhat.ValidationError
		bulkErr    *planhat.BulkError
		apiErr     *planhat.APIError
		panicErr   *PanicError
	)
	switch {
	case errors.As(err, &inputErr):
		return ErrorInfo{Code: CodeInvalidInput, UserFixable: true, HTTPStatus: http.StatusBadRequest,
			Message: "The input is invalid: " + inputErr.details() + ". Fix it and call " + cmp.Or(inputErr.Action, "the action") + " again."}
	case errors.As(err, &unknownErr):
		return ErrorInfo{Code: CodeUnknownAction, UserFixable: true, HTTPStatus: http.StatusNotFound,
			Message: capitalize(unknownErr.Error()) + "."}
	case errors.As(err, &panicErr):
		return internal()
	case errors.Is(err, ErrNoPlanhat):
		return internal()
	case errors.Is(err, planhat.ErrNoToken):
		return ErrorInfo{Code: CodeNotConfigured, UserFixable: true, HTTPStatus: http.StatusBadRequest,
			Message: "No Planhat API token is configured: create one under Settings > Private Apps in Planhat and paste it into the integration's configuration."}
	case errors.Is(err, planhat.ErrNoTenantToken):
		return ErrorInfo{Code: CodeNotConfigured, UserFixable: true, HTTPStatus: http.StatusBadRequest,
			Message: "Tracking activities and pushing metrics need the Planhat tenant token: copy the tenant UUID from Planhat's developer settings into the integration's configuration."}
	case errors.Is(err, planhat.ErrEmptyID):
		return ErrorInfo{Code: CodeInvalidInput, UserFixable: true, HTTPStatus: http.StatusBadRequest,
			Message: "An id is empty: pass the record's Planhat _id (24 hex characters), extid-<externalId> or srcid-<sourceId>."}
	case errors.As(err, &validErr):
		msg := strings.TrimSuffix(validErr.Message, ".")
		if validErr.Field != "" && !strings.Contains(msg, validErr.Field) {
			msg = validErr.Field + ": " + msg
		}
		return ErrorInfo{Code: CodeInvalidInput, UserFixable: true, HTTPStatus: http.StatusBadRequest,
			Message: "Planhat cannot accept this " + cmp.Or(validErr.Model, "record") + ": " + msg + "."}
	case errors.As(err, &bulkErr):
		return classifyBulk(bulkErr)
	case errors.Is(err, planhat.ErrUnauthorized):
		return ErrorInfo{Code: CodeUnauthorized, UserFixable: true, HTTPStatus: http.StatusBadGateway, Message: msgUnauthorized}
	case errors.Is(err, planhat.ErrForbidden):
		return ErrorInfo{Code: CodeForbidden, UserFixable: true, HTTPStatus: http.StatusBadGateway,
			Message: "Planhat refused the request: the API token's Private App lacks permission for " + modelOf(err) +
				". In Planhat, open Settings > Private Apps, grant the app access to it, and try again."}
	case errors.Is(err, planhat.ErrNotFound):
		return ErrorInfo{Code: CodeNotFound, UserFixable: true, HTTPStatus: http.StatusNotFound,
			Message: "Planhat has no such " + singularOf(err) + ": check the id. It must be the record's Planhat _id (24 hex characters), " +
				"extid-<externalId> or srcid-<sourceId>, and belong to the tenant of the configured token."}
	case errors.Is(err, planhat.ErrRateLimited):
		return ErrorInfo{Code: CodeRateLimited, UserFixable: true, Retryable: true, HTTPStatus: http.StatusTooManyRequests,
			Message: "Planhat's API quota for this tenant (200 calls a minute unless raised) is used up: wait a minute and try again, " +
				"and prefer the bulk actions for many writes."}
	case errors.Is(err, planhat.ErrBadRequest):
		msg := "Planhat refused the data"
		if errors.As(err, &apiErr) && apiErr.Message != "" {
			msg += ": " + strings.TrimSuffix(apiErr.Message, ".")
		}
		return ErrorInfo{Code: CodeInvalidInput, UserFixable: true, HTTPStatus: http.StatusBadRequest,
			Message: msg + ". Check the required fields and the ids in the input, then try again."}
	case errors.Is(err, planhat.ErrServer):
		status := "5xx"
		if errors.As(err, &apiErr) {
			status = fmt.Sprint(apiErr.StatusCode)
		}
		return ErrorInfo{Code: CodeUpstreamError, UserFixable: true, Retryable: true, HTTPStatus: http.StatusBadGateway,
			Message: "Planhat had an internal error (HTTP " + status + "): try again in a moment; if it persists, check Planhat's status page."}
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return ErrorInfo{Code: CodeUpstreamTimeout, UserFixable: true, Retryable: true, HTTPStatus: http.StatusGatewayTimeout,
			Message: "Planhat did not answer in time: try again; for large lists ask for a smaller page (limit)."}
	case errors.Is(err, context.Canceled):
		return ErrorInfo{Code: CodeCanceled, Retryable: true, HTTPStatus: http.StatusServiceUnavailable,
			Message: "The call was canceled before it finished: try again."}
	case errors.As(err, &apiErr):
		return ErrorInfo{Code: CodeUpstreamError, UserFixable: true, HTTPStatus: http.StatusBadGateway,
			Message: fmt.Sprintf("Planhat answered with an unexpected HTTP %d: try again; if it persists, report it to the integration's operator.", apiErr.StatusCode)}
	case isNetwork(err):
		return ErrorInfo{Code: CodeUpstreamError, UserFixable: true, Retryable: true, HTTPStatus: http.StatusBadGateway,
			Message: "Could not reach Planhat: check the configured region or API URL and the network, then try again."}
	}
	return internal()
}

func internal() ErrorInfo {
	return ErrorInfo{Code: CodeInternal, HTTPStatus: http.StatusInternalServerError, Message: msgInternal}
}

// classifyBulk explains a bulk upsert that failed in part or in whole.
func classifyBulk(e *planhat.BulkError) ErrorInfo {
	r := e.Result
	if r == nil {
		r = &planhat.BulkResult{}
	}
	failed := r.Failed()
	if failed == len(r.PermissionErrors) && failed > 0 && r.Succeeded() == 0 {
		return ErrorInfo{Code: CodeForbidden, UserFixable: true, HTTPStatus: http.StatusBadGateway,
			Message: fmt.Sprintf("Planhat refused all %d items for lack of permission: in Planhat, open Settings > Private Apps and grant the app access to %s.", failed, cmp.Or(e.Model, "this model"))}
	}
	msg := fmt.Sprintf("Planhat upserted only part of the %s items: %d created, %d updated, %d unchanged, %d failed",
		cmp.Or(e.Model, "bulk"), r.Created, r.Updated, r.NonUpdates, failed)
	if first := firstBulkError(r); first != "" {
		msg += " (first error: " + first + ")"
	}
	return ErrorInfo{Code: CodePartialFailure, UserFixable: true, HTTPStatus: http.StatusBadRequest,
		Message: msg + ". Fix the failed items and upsert them again; items that succeeded can be sent again safely when they carry an externalId or sourceId."}
}

// firstBulkError renders the first error entry of a bulk result, bounded.
func firstBulkError(r *planhat.BulkResult) string {
	return truncate(r.FirstError(), 200)
}

// modelOf names the Planhat collection an API error concerns, e.g. "companies".
func modelOf(err error) string {
	if m := errorModel(err); m != nil {
		return m.Path
	}
	return "this model or field"
}

// singularOf names the kind of record an API error concerns, e.g. "company".
func singularOf(err error) string {
	if m := errorModel(err); m != nil {
		return strings.ToLower(m.Title)
	}
	return "record"
}

// errorModel is the built-in model whose path an API error's request went
// to, or nil when the error names none.
func errorModel(err error) *planhat.Model {
	var apiErr *planhat.APIError
	if !errors.As(err, &apiErr) {
		return nil
	}
	seg := strings.Trim(apiErr.Path, "/")
	if i := strings.IndexAny(seg, "/?"); i >= 0 {
		seg = seg[:i]
	}
	m, _ := planhat.ModelByName(seg)
	return m
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

// isNetwork recognises transport failures; the planhat client unwraps
// *url.Error (whose URL could carry a tenant token), so the bare causes are
// matched too.
func isNetwork(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ne) || errors.As(err, &oe) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
