// Package planhatemu is a faithful in-memory emulator of the Planhat API:
// the main REST host (api.planhat.com) and the analytics host
// (analytics.planhat.com), with request accounting and fault injection so
// client tests can assert exactly what went over the wire. It imports
// nothing else from this repository, and not package testing: the
// planbridge binary links it for sandbox mode and `planbridge emulate`.
//
// # Starting it
//
// In tests, planhattest.NewServer starts two loopback listeners and closes
// them when the test ends:
//
//	srv := planhattest.NewServer(t, planhatemu.WithSeed(10))
//	// srv.URL          main API host
//	// srv.AnalyticsURL analytics host
//	// srv.Token        accepted API token (generated unless WithToken)
//	// srv.Tenant       tenant UUID (generated unless WithTenant)
//
// New builds one without listeners (Attach records listeners started
// elsewhere, so Close stops them); Handler serves both hosts' routes on a
// single handler (plus GET /_emulator/stats and POST /_emulator/reset), which
// is what `planbridge emulate planhat` runs:
//
//	planbridge emulate planhat --addr 127.0.0.1:9100 --token T --tenant UUID --rate 200/60s --seed N --switch retry-after
//
// MainHandler and AnalyticsHandler serve one host each.
//
// # Options
//
//   - WithToken(tokens...): accepted tokens (default: one random token).
//   - WithTenant(token): the tenant of the open and analytics endpoints, any
//     token (a UUID on Planhat; its docs' sample is not hex).
//   - WithRegion(r): the cluster this emulator plays; see Switches.RegionTokens.
//   - WithRateLimit(n, per): main-host fixed window, default 200 per minute;
//     n <= 0 disables it and the X-Rate-Limit-* headers.
//   - WithSeed(n): n deterministic companies ("seed-company-1"…, sourceId
//     "crm-000001"…, one domain each), three end users and two
//     conversations per company, two assets for odd-numbered companies and
//     one for even-numbered ones ("seed-asset-1"… in company order, custom
//     Serial and Tier), and three team users. The same n always gives the
//     same ids and data.
//   - WithSwitches(s): unverified behaviours and quirks (below); change them
//     at run time with SetSwitches.
//   - WithClock(now): the clock for createDate/updatedAt, ids and the rate
//     window.
//   - WithMaxBodyBytes(main, analytics): body caps, 32 MiB each by default;
//     larger bodies get 413.
//   - WithRequestLog(entries, bodyBytes): request log size (10,000) and body
//     bytes kept per entry (4 KiB).
//   - WithConversationTypes(types...): custom conversation types.
//   - WithLogger(l): one debug line per request (never the token).
//
// # What it reproduces
//
// Authentication: "Authorization: Bearer <token>" or "Basic
// base64(<token>:)" (the trailing colon is required), compared in constant
// time. A missing or wrong token gets 401 "Unauthorized" on every main-host
// path, unknown ones included. Open endpoints need no token: POST
// /{tenant}/calls, POST /{tenant}/dimensiondata (legacy) and the analytics
// host. GET /myprofile is a cheap authenticated check.
//
// Models (path, default/max list limit): companies 100/5000, endusers
// 100/2000, users 10000/10000, conversations 30/2000, notes (conversations
// of type note) 30/2000, tickets (conversations of type ticket; PUT, GET
// list, GET/DELETE by id) 100/10000, assets, projects, campaigns,
// objectives, licenses, sales, invoices, opportunities, deals, issues,
// customfields, timeentries, timesheets, workspaces, calls 100/2000, churn
// 100/1000, tasks 500/10000, nps 100/10000; read-only workflows,
// activitytags and segments. Every writable model has POST, GET/PUT/DELETE
// /{id}, GET list and PUT bulk upsert, except customfields and calls (no
// bulk) and tickets (no POST). Extras: POST /timeentries/duplicate {ids} and
// the legacy /companies/{companyId}/licenses[/{id}] routes.
//
// Ids are 24-hex ObjectIds. Path ids accept the _id, extid-<externalId> and
// srcid-<sourceId> (URL-escaped); reference fields (companyId, cId,
// companyIds[], companyExternalId) accept the same forms and are stored as
// _ids with companyName (cName on invoices) filled in. An end user without
// companyId is assigned by its email domain when a company lists that
// domain. Unknown references get 400.
//
// Uniqueness: sourceId per model; externalId per company and model (global
// for companies and for models without a single company reference); email
// is never unique. Required fields on create follow spec §2.7 (company name;
// enduser email+companyId; user email, nickName, firstName, lastName;
// asset/project/campaign/objective name+companyId; license _currency,
// companyId, fromDate and mrr or, with fixedPeriod, value; sale _currency,
// companyId, salesDate, value > 0; invoice currency+cId; issue title; task
// mainType+companyId; nps email and score 0..10; custom field name, type,
// parent; time entry date and hours 0.1..24; ticket sourceId, email and a
// company; conversation companyId; call nr). A conversation type that is
// neither built in (note, email, chat, ticket, call) nor added with
// WithConversationTypes becomes "note". Conversations are created with the
// autogenerated fields of Planhat's docs (flags, empty arrays, users and
// endusers populated with names, snippet, note, owner).
//
// Lists answer a bare JSON array: limit (0 = default; over the maximum it is
// clamped), offset, sort=field or -field (case-sensitive, dotted paths,
// MongoDB type order, ties by _id ascending), select=a,b (always with _id),
// companyId=a,b (keyables allowed) or its legacy alias c=, email= on
// endusers and users (case-insensitive), and any other parameter as an
// exact top-level field match. Archived end users are hidden. GET
// /leancompanies answers {_id,name,externalId,sourceId,slug}, filtered by
// externalId, sourceId and status (comma lists), with no cap.
//
// PUT /<model>/{id} is a partial update (custom keys merge); an _id in the
// body must be the record's own. DELETE answers {"n":1,"ok":1,"deletedCount":1}.
//
// Bulk upsert, PUT /<model> with an array of at most 5,000 items (else 400;
// a non-array is 400 except a single ticket object): each item is matched
// against the records that existed before the payload by _id, sourceId,
// externalId, then email (only when it identifies one record, narrowed by
// the item's company or a primary contact). Matches are updated (changed:
// updated, modified, updatesKeys, upsertedIds; unchanged: nonupdates);
// others are created when valid (created, insertsKeys {_id, externalId?,
// sourceId?}, upsertedIds) or reported in createdErrors; an unknown _id goes
// to updatedErrors; a keyable repeated in the payload is an error on the
// later item. Status: 200 no errors, 206 some errors and some successes,
// 400 only payload errors, 403 only permission errors. Tickets without email
// are dropped silently (not counted); a ticket's unknown email creates the
// end user.
//
// Analytics host: POST /analytics/{tenant} (one event), POST
// /analytics/bulk/{tenant} (an array), the legacy PUT
// /analytics/stream/csv/{tenant} (CSV with a header row) and POST
// /dock/segment (Basic
// base64(tenant:)) always answer 200 {} and record events (Activities;
// events without a user id or email are marked Ignored). An event's end
// user is found by externalId (id in bulk) or email; an unknown one is
// created under the event's company (companyExternalId, companyId, or cId
// in bulk) and otherwise discarded, as Planhat does. POST
// /dimensiondata/{tenant} (object or array) answers 200
// {"processed":n,"errors":[{"item":…,"error":…}]}, checking dimensionId
// (required, no spaces or special characters), value (number), externalId
// and model (Company, EndUser, Asset, Project); accepted points are in
// Metrics. GET /dimensiondata on the main host filters by cid or cId,
// dimid, from/to (epoch days, inclusive) with limit (default 100, max
// 10,000) and offset. An unknown tenant gets 404. Malformed JSON gets 400
// and bodies over the cap 413 even here.
//
// Rate limit: a fixed window of N requests per period on the main host,
// counting authenticated requests; every main-host answer carries
// X-Rate-Limit-Limit and X-Rate-Limit-Remaining; past the quota the answer
// is 429 with the text body "Too many requests" and no Retry-After.
//
// Error bodies are {"error":"<what went wrong and what to do>"}; 401 and
// 429 are plain text as above.
//
// # Switches
//
// The zero Switches is the spec's recommended default. Fields (and the
// kebab-case names for Switches.Set and the command's --switch flag):
//
//   - RejectOverMaxLimit (reject-over-max-limit): 400 instead of clamping.
//   - DeleteByKeyable (delete-by-keyable): DELETE accepts extid-/srcid-;
//     by default it needs the _id and keyables get 400.
//   - DeleteMissingOK (delete-missing-ok): unknown id gives 200 with
//     deletedCount 0 instead of 404.
//   - DeleteReturnsObject (delete-returns-object): answer the deleted object,
//     as the conversation docs show.
//   - StringBulkErrors (string-bulk-errors): bulk error elements are strings
//     instead of {"item","error"} objects.
//   - StringErrors (string-errors): plain-text error bodies.
//   - ListShapeOwners (list-shape-owners): owner/coOwner as {_id,nickName}
//     in lists (GET by id keeps the string).
//   - RetryAfter (retry-after): Retry-After on 429 (seconds to the window end).
//   - BulkDuplicatesFail (bulk-duplicates-fail): a repeated keyable fails
//     the whole payload with 400.
//   - BulkMatchOrder: keyable precedence, default _id, sourceId, externalId, email.
//   - MetricsRequireAuth (metrics-require-auth): POST /dimensiondata/{tenant}
//     needs a valid token.
//   - TouchUpdatedAtOnNoop (touch-updated-at-on-noop): updatedAt moves on
//     no-op updates (the sync-loop quirk).
//   - ReplaceCustomOnUpdate (replace-custom-on-update): custom is replaced,
//     not merged.
//   - NotesNotFound (notes-not-found): /notes answers 404 as a live tenant did.
//   - CommaStringLists (comma-string-lists): orgPath and domains render as ",a,b,".
//   - EmptyStringBooleans (empty-string-booleans): false renders as "".
//   - NumbersForStrings (numbers-for-strings): numeric beatTrend, experience
//     and orgUnits render as numbers.
//   - ConversationEnduserIDs (conversation-enduser-ids): conversation
//     endusers render as bare ids.
//   - OversizeStatus: status for oversized bodies (default 413).
//   - PerSecondLimit, MaxInFlight: optional 150 rps and 50-parallel checks (429).
//   - DeniedModels, DeniedFields: writes the token may not make (403, or
//     permissionErrors in bulk).
//   - RegionTokens: token → region; a token of another region gets 401.
//   - NoRateLimitHeaders (no-rate-limit-headers): the window is enforced but
//     X-Rate-Limit-* are not sent (the current docs no longer mention them).
//   - MaxLimits: largest list page per model path, e.g. {"churn": 2000}
//     (churn's real maximum is unverified).
//
// Rendering quirks change answers only, never stored data.
//
// # Accounting and faults
//
// Stats counts requests by route pattern ("PUT /companies", "GET
// /companies/{id}", "POST /analytics/{tenant}", "GET (unmatched)"), method
// and status, and 429s; Requests is the log (method, path, query, route,
// status, first body bytes, header without Authorization). FailNext(n,
// status) forces the next n answers on either host; SetLatency delays every
// request; DropNextConnections(n) hijacks and closes the next n
// connections. Reset restores a fresh, re-seeded emulator (faults
// cleared); ResetStats clears only the counters and log.
//
// Handler also takes fault rules over HTTP, so scripts outside Go can
// rehearse the same outages: POST /_emulator/faults with one JSON rule,
// e.g. {"status":429,"count":10,"retryAfter":"5s","paths":["/companies"]},
// {"drop":true,"count":1}, {"latency":"2s"} or
// {"redirect":"http://127.0.0.1:9/x"} (302 with that Location); GET lists
// the active rules with their remaining counts and hits; DELETE clears
// them (DELETE /_emulator/faults/{id} one). A rule applies to the paths
// it names (all by default) on either host, to count requests (until
// cleared by default), after FailNext and DropNextConnections have had
// their turn; bad JSON, unknown fields and impossible values get 400.
//
// Insert, Object, Objects and Count read and write the data directly for
// test setup and assertions; Activities and Metrics return what the
// analytics host received.
//
// # Not reproduced
//
// Planhat's computed fields (mrr, health, …), company hierarchy, custom
// models and PUT /licenses/actions. Whether list order defaults to newest first is
// unknown; lists follow insertion order unless sorted.
package planhatemu
