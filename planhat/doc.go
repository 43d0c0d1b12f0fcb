// Package planhat is a client for the Planhat REST API (api[-region].planhat.com) and its
// analytics host (analytics.planhat.com).
//
// The client is built for bulk, unattended integrations: it paces every call through a
// shared token bucket sized below Planhat's 200 calls/minute quota, retries only calls that
// cannot create duplicates, splits bulk upserts into chunks of at most 5,000 items and merges
// their results, and decodes the inconsistent shapes Planhat returns (comma-strings, ""
// booleans, owners as ids or objects, epoch-day dates) without failing.
//
// # Configuration
//
// A client needs a Private App API token and, unless the tenant lives in the default US
// cluster, its region:
//
//	c, err := planhat.NewClient(planhat.Options{
//		Token:       os.Getenv("PLANHAT_TOKEN"),
//		Region:      "eu",                      // https://api-eu.planhat.com
//		TenantToken: os.Getenv("PLANHAT_TENANT"), // only for tracking, metrics and open calls
//	})
//
// A wrong region answers 401; the resulting error matches [ErrUnauthorized] and says so.
// Clients of one token and base URL must share one [Limiter] (Options.Limiter, or a
// [Limiters] set that hands one out per token and base URL), so any number of them (and
// goroutines) stay inside one quota and a 429 pauses them all. A call the limiter would hold
// longer than Options.MaxWait fails at once with an error matching [ErrRateLimited];
// [RetryAfter] tells how long to wait. Redirects are never followed ([RefuseRedirect]).
//
// # Models
//
// Every Planhat object family is described by a [Model] (path, keyables, page sizes,
// required fields, supported operations) and served by the generic [Resource]. Typed
// accessors wrap the common ones:
//
//	co, err := c.Companies().Get(ctx, planhat.ExtID("acme-42"))
//	for u, err := range c.EndUsers().All(ctx, &planhat.ListOptions{CompanyIDs: []string{co.ID}}) {
//		...
//	}
//	res, err := c.Companies().BulkUpsert(ctx, companies) // any size; chunked and merged
//
// Models without a typed wrapper, or custom ones, are reached with [Client.Objects] and the
// untyped [Object].
//
// # Errors
//
// Failed calls return an [*APIError]; match it with errors.Is against [ErrNotFound],
// [ErrUnauthorized], [ErrForbidden], [ErrBadRequest], [ErrRateLimited] or [ErrServer]. A bulk
// upsert in which some items failed returns its merged result inside a [*BulkError].
// A problem detected before any request (an empty id, a reserved conversation type, a missing
// required field) is a [*ValidationError] or wraps [ErrEmptyID]; nothing is sent then.
//
// # Rate limits and retries
//
// Every main-host call waits on a [Limiter]: by default 180 calls per minute (burst 9), 150 per
// second and 50 in flight, tightened whenever X-Rate-Limit-Remaining reports less. A 429
// pauses every client sharing the limiter until Retry-After, or for a whole window when the
// header is absent. Calls that cannot duplicate (GET, DELETE, PUT by id, and bulk PUT when
// every item carries a keyable) are retried on 429, 5xx and network errors with capped,
// jittered backoff; a POST never is. Each attempt has its own timeout (60 s, 5 min for bulk
// and analytics calls) and everything stops with the caller's context.
//
// Endpoints without a typed method are reachable through [Client.Do] with the same
// machinery.
//
// # Analytics
//
// [Client.Track] and [Client.TrackBatch] send user activities and [Client.PushMetrics] sends
// time-series metrics (per-item rejections are in [MetricsResult.Errors]). They go to the
// analytics host, which is not rate limited; batches are split under its 32 MB body cap.
// [Client.ListDimensionData] reads metrics back from the main host.
package planhat
