package actions

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/relay"
)

// Wording is how one door tells its callers where a setting lives and
// whom to ask: a bot builder edits the integration's configuration, a CLI
// user sets PLANHAT_TOKEN, a REST caller asks the server's operator. Each
// door owns its Wording; Classify fills the door's phrases into messages.
type Wording struct {
	// Token completes "create one under Settings > Private Apps and …",
	// e.g. "paste it into the integration's configuration".
	Token string
	// Tenant completes "copy the tenant UUID from Planhat's developer
	// settings …", e.g. "into the integration's configuration".
	Tenant string
	// Region, when set, says where the region or API URL is set; it
	// follows "check the region" in parentheses.
	Region string
	// ListActions tells how to list the actions, e.g. "GET /v1/actions lists them".
	ListActions string
	// Where names what failed on our side, e.g. "the integration".
	Where string
	// Operator names whom to report persistent faults to.
	Operator string
}

// NeutralWording is used when a door names no Wording of its own.
var NeutralWording = Wording{
	Token:       "configure it as planbridge's Planhat API token",
	Tenant:      "into planbridge's Planhat configuration",
	ListActions: "list the available actions to find the right name",
	Where:       "planbridge",
	Operator:    "planbridge's operator",
}

// Classify turns any error an action, the registry or the Planhat client
// returns into an *Error: a stable code with its properties and a message,
// in w's wording, that says what went wrong and what to do. Messages never
// contain tokens or raw upstream bodies beyond Planhat's own short error
// message. UserFixable is false for faults on our side, which doors answer
// with a generic internal error. Classify(nil, w) returns nil; a nil w
// means NeutralWording.
func Classify(err error, w *Wording) *Error {
	if err == nil {
		return nil
	}
	if w == nil {
		w = &NeutralWording
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e
	}
	e := classify(err, w)
	spec := e.Code.Spec()
	e.UserFixable = spec.UserFixable
	if !e.noRetry {
		e.Retryable = spec.Retryable
	}
	return &e.Error
}

// classified is an Error under construction; noRetry overrides the code's
// retryability for this one error.
type classified struct {
	Error
	noRetry bool
}

func classify(err error, w *Wording) classified {
	var (
		inputErr   *InputError
		unknownErr *UnknownActionError
		validErr   *planhat.ValidationError
		bulkErr    *planhat.BulkError
		apiErr     *planhat.APIError
		panicErr   *PanicError
		missingErr *MissingDepsError
		fullErr    *outbox.FullError
		relayInput *relay.InputError
		relayCfg   *relay.ConfigError
	)
	c := func(code Code, msg string) classified {
		return classified{Error: Error{Code: code, Message: msg, Err: err}}
	}
	switch {
	case errors.As(err, &inputErr):
		out := c(CodeInvalidInput, "The input is invalid: "+inputErr.details()+". Fix it and call "+cmp.Or(inputErr.Action, "the action")+" again.")
		out.Fields = inputErr.Fields
		return out
	case errors.As(err, &relayInput):
		out := c(CodeInvalidInput, "The input is invalid: "+relayInput.Error()+". Fix it and call the action again.")
		out.Fields = []FieldError{{Field: relayInput.Field, Message: relayInput.Message}}
		return out
	case errors.As(err, &fullErr):
		out := c(CodeBacklogFull, fullErr.Error()+".")
		out.RetryAfter = fullErr.RetryAfter
		return out
	case errors.As(err, &relayCfg):
		return c(CodeInvalidConfig, "planbridge cannot log this: "+relayCfg.Error()+".")
	case errors.As(err, &unknownErr):
		msg := "Unknown action " + quote(unknownErr.Name) + ": "
		if unknownErr.Suggestion != "" {
			msg += "did you mean " + quote(unknownErr.Suggestion) + "? " + capitalize(w.ListActions) + "."
		} else {
			msg += w.ListActions + "."
		}
		return c(CodeUnknownAction, msg)
	case errors.As(err, &panicErr):
		return internal(err, w)
	case errors.As(err, &missingErr) && missingErr.Missing&NeedRelay != 0 && missingErr.Missing&NeedPlanhat == 0:
		return c(CodeNotConfigured, "This action stores its work durably for delivery, and "+w.Where+" has no store here: "+
			"run it through planbridge serve (REST, Botpress) or planbridge call, which open PLANBRIDGE_DB.")
	case errors.As(err, &missingErr), errors.Is(err, planhat.ErrNoToken):
		if missingErr != nil && missingErr.Missing&NeedPlanhat == 0 {
			return internal(err, w)
		}
		return c(CodeNotConfigured, "No Planhat API token is configured: create one under Settings > Private Apps in Planhat and "+w.Token+".")
	case errors.Is(err, planhat.ErrNoTenantToken):
		return c(CodeNotConfigured, "Tracking activities and pushing metrics need the Planhat tenant token: copy the tenant UUID from Planhat's developer settings "+w.Tenant+".")
	case errors.Is(err, planhat.ErrEmptyID):
		return c(CodeInvalidInput, "An id is empty: pass the record's Planhat _id (24 hex characters), extid-<externalId> or srcid-<sourceId>.")
	case errors.As(err, &validErr):
		msg := strings.TrimSuffix(validErr.Message, ".")
		if validErr.Field != "" && !strings.Contains(msg, validErr.Field) {
			msg = validErr.Field + ": " + msg
		}
		return c(CodeInvalidInput, "Planhat cannot accept this "+cmp.Or(validErr.Model, "record")+": "+msg+".")
	case errors.As(err, &bulkErr):
		return classifyBulk(err, bulkErr)
	case errors.Is(err, planhat.ErrDestinationRefused):
		where := "the configured Planhat API URL"
		if w.Region != "" {
			where += " (" + w.Region + ")"
		}
		return c(CodeInvalidConfig, "planbridge may not connect to "+where+": it redirects elsewhere, or points at a host or address the server does not allow. "+
			"Use Planhat's public API (https://api.planhat.com or https://api-<region>.planhat.com); a self-hosted address must be allowed by the server operator (PLANBRIDGE_ALLOW_HOSTS).")
	case errors.Is(err, planhat.ErrNotPlanhatAPI):
		where := "the configured API URL or region"
		if w.Region != "" {
			where += " (" + w.Region + ")"
		}
		return c(CodeInvalidConfig, "The configured Planhat API URL answered like something other than Planhat's API: check "+where+"; it must be the bare host, such as https://api-eu.planhat.com, without a path such as /v1.")
	case errors.Is(err, planhat.ErrUnauthorized):
		region := "check the region"
		if w.Region != "" {
			region += " (" + w.Region + ")"
		}
		return c(CodeUnauthorized, "Planhat rejected the API token: create one under Settings > Private Apps and "+w.Token+"; "+
			"if the token is right, "+region+": a token only works on its own cluster (api-eu.planhat.com for app-eu.planhat.com, api-us2.planhat.com for app-us2, and so on).")
	case errors.Is(err, planhat.ErrForbidden):
		return c(CodeForbidden, "Planhat refused the request: the API token's Private App lacks permission for "+modelOf(err)+
			". In Planhat, open Settings > Private Apps, grant the app access to it, and try again.")
	case errors.Is(err, planhat.ErrNotFound):
		return c(CodeNotFound, "Planhat has no such "+singularOf(err)+": check the id. It must be the record's Planhat _id (24 hex characters), "+
			"extid-<externalId> or srcid-<sourceId>, and belong to the tenant of the configured token.")
	case errors.Is(err, planhat.ErrRateLimited):
		out := c(CodeRateLimited, "")
		out.RetryAfter, _ = planhat.RetryAfter(err)
		wait := "wait a minute"
		if out.RetryAfter > 0 {
			wait = "wait " + roundUp(out.RetryAfter)
		}
		out.Message = "Planhat's API quota for this tenant (200 calls a minute unless raised) is used up: " + wait + " and try again, " +
			"and prefer the bulk actions for many writes."
		return out
	case errors.Is(err, planhat.ErrBadRequest):
		msg := "Planhat refused the data"
		if errors.As(err, &apiErr) && apiErr.Message != "" {
			msg += ": " + strings.TrimSuffix(apiErr.Message, ".")
		}
		return c(CodeInvalidInput, msg+". Check the required fields and the ids in the input, then try again.")
	case errors.Is(err, planhat.ErrServer):
		status := "5xx"
		if errors.As(err, &apiErr) {
			status = fmt.Sprint(apiErr.StatusCode)
		}
		return c(CodeUpstreamError, "Planhat had an internal error (HTTP "+status+"): try again in a moment; if it persists, check Planhat's status page.")
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return c(CodeUpstreamTimeout, "Planhat did not answer in time: try again; for large lists ask for a smaller page (limit).")
	case errors.Is(err, context.Canceled):
		return c(CodeCanceled, "The call was canceled before it finished: try again.")
	case errors.As(err, &apiErr):
		out := c(CodeUpstreamError, fmt.Sprintf("Planhat answered with an unexpected HTTP %d: try again; if it persists, report it to %s.", apiErr.StatusCode, w.Operator))
		out.noRetry = true
		return out
	case isNetwork(err):
		return c(CodeUpstreamError, "Could not reach Planhat: check the configured region or API URL and the network, then try again.")
	}
	return internal(err, w)
}

func internal(err error, w *Wording) classified {
	return classified{Error: Error{Code: CodeInternal, Err: err,
		Message: "An unexpected error occurred in " + w.Where + ". Try again; if it keeps happening, report it to " + w.Operator + "."}}
}

// roundUp renders d in whole seconds, never "0 seconds".
func roundUp(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	if s <= 1 {
		return "1 second"
	}
	return fmt.Sprintf("%d seconds", s)
}

// classifyBulk explains a bulk upsert that failed in part or in whole.
func classifyBulk(err error, e *planhat.BulkError) classified {
	r := e.Result
	if r == nil {
		r = &planhat.BulkResult{}
	}
	failed := r.Failed()
	if failed == len(r.PermissionErrors) && failed > 0 && r.Succeeded() == 0 {
		return classified{Error: Error{Code: CodeForbidden, Err: err,
			Message: fmt.Sprintf("Planhat refused all %d items for lack of permission: in Planhat, open Settings > Private Apps and grant the app access to %s.", failed, cmp.Or(e.Model, "this model"))}}
	}
	msg := fmt.Sprintf("Planhat upserted only part of the %s items: %d created, %d updated, %d unchanged, %d failed",
		cmp.Or(e.Model, "bulk"), r.Created, r.Updated, r.NonUpdates, failed)
	if first := firstBulkError(r); first != "" {
		msg += " (first error: " + first + ")"
	}
	return classified{Error: Error{Code: CodePartialFailure, Err: err,
		Message: msg + ". Fix the failed items and upsert them again; items that succeeded can be sent again safely when they carry an externalId or sourceId."}}
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
