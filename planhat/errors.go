package planhat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinel errors matched with errors.Is against the errors this package returns.
var (
	// ErrNotFound matches a 404: the id or keyable does not exist in this tenant.
	ErrNotFound = errors.New("planhat: not found")
	// ErrUnauthorized matches a 401: a bad token or a token used on the wrong regional host.
	ErrUnauthorized = errors.New("planhat: unauthorized")
	// ErrForbidden matches a 403: the token's service account lacks permission.
	ErrForbidden = errors.New("planhat: forbidden")
	// ErrBadRequest matches a 400 (and 413/422): Planhat rejected the payload.
	ErrBadRequest = errors.New("planhat: bad request")
	// ErrRateLimited matches a 429: the tenant's request quota is exhausted.
	ErrRateLimited = errors.New("planhat: rate limited")
	// ErrServer matches a 5xx answer from Planhat.
	ErrServer = errors.New("planhat: server error")
	// ErrEmptyID is returned before any request when a single-record call gets an empty id.
	ErrEmptyID = errors.New("planhat: empty id; pass a Planhat _id, planhat.ExtID(externalId) or planhat.SrcID(sourceId)")
	// ErrUnsupported is wrapped by a ValidationError when a model does not offer an operation.
	ErrUnsupported = errors.New("planhat: operation not supported by this model")
	// ErrNoToken is returned before any request when an authenticated call has no API token.
	ErrNoToken = errors.New("planhat: no API token configured; set Options.Token to a Planhat Private App token")
	// ErrDestinationRefused matches a call that was not sent, or not followed, because its
	// destination is not allowed: a redirect (never followed), or an address a connection
	// guard refused. It is a configuration error; the client never retries it.
	ErrDestinationRefused = errors.New("planhat: the destination is not allowed")
	// ErrNotPlanhatAPI matches an answer that cannot come from Planhat's API (an HTML 404
	// page, an unknown route, a 404 on a collection), which means the configured base URL
	// or region is wrong. It does not match ErrNotFound.
	ErrNotPlanhatAPI = errors.New("planhat: the answer does not come from Planhat's API; check the configured API URL or region")
	// ErrNoTenantToken is returned before any request when an open endpoint has no tenant token.
	ErrNoTenantToken = errors.New("planhat: no tenant token configured; set Options.TenantToken to the tenant UUID shown in Planhat's developer settings")
)

// maxErrorExcerpt bounds the response body kept in an APIError.
const maxErrorExcerpt = 1024

// RateLimitState is what Planhat said about the quota on the latest response.
type RateLimitState struct {
	// Limit is X-Rate-Limit-Limit, or -1 when the header was absent.
	Limit int
	// Remaining is X-Rate-Limit-Remaining, or -1 when the header was absent.
	Remaining int
	// RetryAfter is the parsed Retry-After header, zero when absent.
	RetryAfter time.Duration
}

// APIError is a non-success answer from Planhat.
type APIError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Method is the HTTP method of the failed call.
	Method string
	// Path is the request path (tenant tokens redacted; API tokens never appear).
	Path string
	// Body is an excerpt of the response body, at most 1 KiB.
	Body string
	// Message is Planhat's error message, taken from a JSON "message"/"error" field or a text body.
	Message string
	// RateLimit is the quota state reported with this response.
	RateLimit RateLimitState

	notAPI bool // the answer cannot be Planhat's API's: see ErrNotPlanhatAPI
}

// Error describes the failure and what to do about it.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "planhat: %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	switch {
	case e.notAPI:
		b.WriteString(" (this answer does not look like Planhat's API, so the URL looks wrong: check the configured API URL or region)")
		return b.String()
	}
	switch e.StatusCode {
	case http.StatusUnauthorized:
		b.WriteString(" (check the API token, and that the region or base URL matches the tenant's cluster, e.g. api-eu.planhat.com for app-eu; a token only works on its own cluster)")
	case http.StatusForbidden:
		b.WriteString(" (the token's service account lacks permission for this model or field; widen its scope in Planhat)")
	case http.StatusTooManyRequests:
		b.WriteString(" (the tenant's API quota is exhausted; slow down or ask Planhat to raise it)")
	case http.StatusNotFound:
		b.WriteString(" (no such record; check the id or keyable)")
	}
	return b.String()
}

// Is matches the sentinel that corresponds to the status code.
func (e *APIError) Is(target error) bool {
	if e.notAPI {
		return target == ErrNotPlanhatAPI
	}
	return target != nil && statusSentinel(e.StatusCode) == target
}

// notPlanhatAPI recognises a 404 that Planhat's API would not give: an HTML page (a
// website, a proxy), Express's "Cannot GET /path" for an unknown route, or a 404 on a
// collection, which Planhat answers with a list however empty. A wrong base path such as
// ".../v1" produces all three, and must not read as "no such record".
func notPlanhatAPI(req *request, resp *response) bool {
	if resp.status != http.StatusNotFound {
		return false
	}
	body := bytes.TrimSpace(resp.body)
	if strings.HasPrefix(strings.ToLower(resp.contentType), "text/html") || bytes.HasPrefix(body, []byte("<")) {
		return true
	}
	if strings.HasPrefix(errorMessage(body), "Cannot "+req.method+" /") {
		return true
	}
	return req.host == mainHost && req.method == http.MethodGet && collectionPath(req.path)
}

// collectionPath reports whether path names a whole model ("/companies"), not a record.
func collectionPath(path string) bool {
	p := strings.Trim(path, "/")
	return p != "" && !strings.Contains(p, "/")
}

// RateLimitError reports a call the limiter did not send because it would have had to wait
// longer than Options.MaxWait: a 429 pause, the spent quota or the concurrency cap. It
// matches ErrRateLimited; RetryAfter returns Wait.
type RateLimitError struct {
	// Method and Path name the call (the path as in APIError).
	Method, Path string
	// Wait is how long the call would have had to wait; 0 when unknown (the concurrency
	// cap, which frees as calls finish).
	Wait time.Duration
	// MaxWait is the bound the wait exceeded.
	MaxWait time.Duration
	// Reason says what held the call.
	Reason string
	// Err is the 429 that caused the pause when this call itself received it, or nil.
	Err error
}

// Error says what held the call and when to try again.
func (e *RateLimitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "planhat: %s %s: rate limited: %s", e.Method, e.Path, e.Reason)
	if e.Wait > 0 {
		fmt.Fprintf(&b, "; the call would wait %s, more than the %s allowed; retry in %s", e.Wait.Round(time.Millisecond), e.MaxWait, e.Wait.Round(time.Second))
	} else {
		fmt.Fprintf(&b, "; the call waited the %s allowed; retry shortly", e.MaxWait)
	}
	return b.String()
}

// Is matches ErrRateLimited.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// Unwrap returns the 429 behind the pause, if this call received it.
func (e *RateLimitError) Unwrap() error { return e.Err }

// RetryAfter reports how long to wait before trying a rate-limited call again: the
// limiter's remaining wait for a RateLimitError, or Planhat's Retry-After for a 429
// APIError. It reports false when err is not rate limited or gives no wait.
func RetryAfter(err error) (time.Duration, bool) {
	var rle *RateLimitError
	if errors.As(err, &rle) && rle.Wait > 0 {
		return rle.Wait, true
	}
	var ae *APIError
	if errors.As(err, &ae) && ae.StatusCode == http.StatusTooManyRequests && ae.RateLimit.RetryAfter > 0 {
		return ae.RateLimit.RetryAfter, true
	}
	return 0, false
}

// RedirectError reports a redirect the client refused to follow. It matches
// ErrDestinationRefused.
type RedirectError struct {
	// Status is the redirect's status code, e.g. 302.
	Status int
	// Location is the target's scheme and host only (its path may carry a secret).
	Location string
}

// Error names the redirect and what to check.
func (e *RedirectError) Error() string {
	return fmt.Sprintf("planhat: the server answered %d redirecting to %s; Planhat's API does not redirect and the client follows no redirects, because the token would go along (check the configured API URL or region)", e.Status, e.Location)
}

// Unwrap returns ErrDestinationRefused.
func (e *RedirectError) Unwrap() error { return ErrDestinationRefused }

// RefuseRedirect is the http.Client CheckRedirect policy of every planhat client: it
// refuses any redirect with a *RedirectError. Use it for other clients that carry a
// Planhat token.
func RefuseRedirect(req *http.Request, via []*http.Request) error {
	status := 0
	if req.Response != nil {
		status = req.Response.StatusCode
	}
	return &RedirectError{Status: status, Location: origin(req.URL)}
}

func statusSentinel(code int) error {
	switch {
	case code == http.StatusNotFound:
		return ErrNotFound
	case code == http.StatusUnauthorized:
		return ErrUnauthorized
	case code == http.StatusForbidden:
		return ErrForbidden
	case code == http.StatusTooManyRequests:
		return ErrRateLimited
	case code >= 500:
		return ErrServer
	case code >= 400:
		return ErrBadRequest
	}
	return nil
}

// newAPIError builds an APIError from a response body of any shape (object, string, HTML).
func newAPIError(method, path string, status int, body []byte, rl RateLimitState) *APIError {
	e := &APIError{StatusCode: status, Method: method, Path: path, RateLimit: rl}
	e.Body = excerpt(body, maxErrorExcerpt)
	e.Message = errorMessage(body)
	return e
}

// errorMessage extracts a human message from a JSON object, a JSON string or plain text.
func errorMessage(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	switch body[0] {
	case '{':
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) == nil {
			for _, k := range []string{"message", "error", "msg", "errors"} {
				if raw, ok := m[k]; ok {
					var s string
					if json.Unmarshal(raw, &s) == nil {
						return excerpt([]byte(s), 300)
					}
					return excerpt(raw, 300)
				}
			}
		}
	case '"':
		var s string
		if json.Unmarshal(body, &s) == nil {
			return excerpt([]byte(s), 300)
		}
	case '<':
		return "" // an HTML error page carries nothing useful beyond the status
	}
	return excerpt(body, 300)
}

// excerpt cuts b to at most n bytes on a rune boundary.
func excerpt(b []byte, n int) string {
	b = bytes.TrimSpace(b)
	if len(b) <= n {
		return string(b)
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return string(b[:cut]) + "…"
}

// BulkError reports a bulk upsert in which some (206) or all (400) items failed; Result holds
// the merged outcome of every chunk, including the successes.
type BulkError struct {
	// Model is the model name, e.g. "company".
	Model string
	// StatusCode summarises all chunks: 206 when some items succeeded, 400 (or 403 for
	// permission errors alone) when none did.
	StatusCode int
	// Result is the merged result of every chunk sent.
	Result *BulkResult
}

// Error summarises the failure counts and the first error message.
func (e *BulkError) Error() string {
	r := e.Result
	msg := fmt.Sprintf("planhat: bulk upsert of %s: %d created, %d updated, %d failed", e.Model, r.Created, r.Updated, r.Failed())
	if first := r.FirstError(); first != "" {
		msg += ": first error: " + first
	}
	return msg + " (inspect BulkError.Result.CreatedErrors/UpdatedErrors/PermissionErrors, fix those items and upsert them again)"
}

// Is lets errors.Is(err, ErrBadRequest) match a bulk call in which nothing succeeded, and
// errors.Is(err, ErrForbidden) one with permission errors only.
func (e *BulkError) Is(target error) bool {
	return target != nil && statusSentinel(e.StatusCode) == target
}

// ValidationError is a refusal detected before any request was sent.
type ValidationError struct {
	// Model is the model name, e.g. "conversation".
	Model string
	// Field is the offending field, empty when the whole input is at fault.
	Field string
	// Message says what is wrong and how to fix it.
	Message string
	// Err is an optional underlying sentinel such as ErrUnsupported.
	Err error
}

// Error returns the message prefixed with the model.
func (e *ValidationError) Error() string {
	if e.Model == "" {
		return "planhat: " + e.Message
	}
	return "planhat: " + e.Model + ": " + e.Message
}

// Unwrap exposes the underlying sentinel, if any.
func (e *ValidationError) Unwrap() error { return e.Err }
