package planhatemu

import (
	"log/slog"
	"time"
)

// Switches select between behaviours the Planhat documentation leaves
// unverified, and inject the data quirks clients must tolerate. The zero
// value is the spec's recommended default (see the package doc).
type Switches struct {
	// RejectOverMaxLimit answers 400 when ?limit exceeds the model's maximum
	// instead of clamping it to the maximum.
	RejectOverMaxLimit bool
	// DeleteByKeyable lets DELETE /<model>/extid-x and srcid-x work; by
	// default DELETE needs the 24-hex _id and keyables get 400.
	DeleteByKeyable bool
	// DeleteMissingOK answers 200 {"n":0,"ok":1,"deletedCount":0} for an
	// unknown id instead of 404.
	DeleteMissingOK bool
	// DeleteReturnsObject answers a delete with the deleted object (as the
	// conversation docs show) instead of {"n":1,"ok":1,"deletedCount":1}.
	DeleteReturnsObject bool
	// StringBulkErrors makes createdErrors/updatedErrors/permissionErrors
	// elements plain strings instead of {"item":…,"error":"…"} objects.
	StringBulkErrors bool
	// StringErrors makes error bodies (400, 404, 413…) plain text instead
	// of {"error":"…"} JSON.
	StringErrors bool
	// ListShapeOwners populates owner and coOwner as {_id,nickName} in list
	// responses; GET by id keeps the id string.
	ListShapeOwners bool
	// RetryAfter adds a Retry-After header (seconds to the window reset) to
	// rate-limited answers.
	RetryAfter bool
	// BulkDuplicatesFail refuses a whole bulk payload with 400 when two items
	// share a keyable, instead of reporting the later item as an error.
	BulkDuplicatesFail bool
	// BulkMatchOrder is the keyable precedence used to match bulk items;
	// empty means _id, sourceId, externalId, email.
	BulkMatchOrder []string
	// MetricsRequireAuth makes POST /dimensiondata/{tenant} demand a valid
	// token; by default a token is checked only when one is sent.
	MetricsRequireAuth bool
	// TouchUpdatedAtOnNoop moves updatedAt even when an update changes
	// nothing, reproducing the sync-loop quirk.
	TouchUpdatedAtOnNoop bool
	// ReplaceCustomOnUpdate replaces the whole custom object on update
	// instead of merging its keys.
	ReplaceCustomOnUpdate bool
	// NotesNotFound answers 404 on /notes, as a live tenant did; by default
	// /notes is served as a view of conversations with type "note".
	NotesNotFound bool
	// CommaStringLists renders orgPath and domains as ",a,b," strings.
	CommaStringLists bool
	// EmptyStringBooleans renders false booleans as "".
	EmptyStringBooleans bool
	// NumbersForStrings renders numeric strings of beatTrend, experience and
	// orgUnits as numbers.
	NumbersForStrings bool
	// ConversationEnduserIDs renders conversation endusers as bare ids
	// instead of {id,name} objects.
	ConversationEnduserIDs bool
	// OversizeStatus is the status for bodies over the size cap; 0 means 413.
	OversizeStatus int
	// PerSecondLimit, when > 0, also refuses with 429 past this many
	// main-host requests in one second (Planhat's hard 150 rps).
	PerSecondLimit int
	// MaxInFlight, when > 0, refuses with 429 past this many concurrent
	// main-host requests (Planhat's 50 parallel).
	MaxInFlight int
	// DeniedModels lists model paths (e.g. "licenses") whose writes the
	// token may not make: bulk items land in permissionErrors (403), single
	// writes get 403.
	DeniedModels []string
	// DeniedFields lists, per model path, fields the token may not write.
	DeniedFields map[string][]string
	// RegionTokens maps a token to the region it was issued in; such a
	// token gets 401 here unless its region equals the emulator's.
	RegionTokens map[string]string
	// NoRateLimitHeaders leaves X-Rate-Limit-Limit and X-Rate-Limit-Remaining
	// off every answer while the window is still enforced: Planhat's current
	// docs no longer mention the headers, so a client must cope with a 429
	// it was not warned of.
	NoRateLimitHeaders bool
	// MaxLimits overrides the largest list page per model path, e.g.
	// {"churn": 2000}: churn's real maximum (1,000 or 2,000) is unverified.
	MaxLimits map[string]int
}

type config struct {
	tokens             []string
	tenant             string
	region             string
	rateN              int
	ratePer            time.Duration
	seed               int
	switches           Switches
	logger             *slog.Logger
	now                func() time.Time
	maxBody            int64
	maxAnalyticsBody   int64
	requestLogSize     int
	requestBodyLogSize int
	conversationTypes  []string
}

// Option configures a Server.
type Option func(*config)

// WithToken sets the accepted API tokens; without it one random token is
// generated and exposed as Server.Token.
func WithToken(tokens ...string) Option {
	return func(c *config) { c.tokens = append(c.tokens, tokens...) }
}

// WithTenant sets the tenant token (a UUID on Planhat, though the sample
// of its docs is not hex) the open and analytics endpoints accept; without
// it a UUID is generated.
func WithTenant(token string) Option { return func(c *config) { c.tenant = token } }

// WithRegion names the cluster this emulator plays ("" for api, "eu",
// "eu2"…); tokens registered for another region in Switches.RegionTokens
// get 401, as on the real wrong regional host.
func WithRegion(region string) Option { return func(c *config) { c.region = region } }

// WithRateLimit sets the fixed window quota of the main host: n requests
// per period (default 200 per minute). n <= 0 disables limiting and the
// X-Rate-Limit-* headers.
func WithRateLimit(n int, per time.Duration) Option {
	return func(c *config) { c.rateN, c.ratePer = n, per }
}

// WithSeed fills the emulator with n deterministic companies, each with a
// few end users, conversations and assets, plus three team users.
func WithSeed(n int) Option { return func(c *config) { c.seed = n } }

// WithSwitches selects the unverified behaviours and quirks.
func WithSwitches(s Switches) Option { return func(c *config) { c.switches = s } }

// WithLogger logs one line per request at debug level (never the token).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithClock replaces time.Now for createDate/updatedAt, ids and the rate
// window; ids then also stop including a random part, so golden files can
// be deterministic.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithMaxBodyBytes caps request bodies on the main host (default 32 MiB)
// and on the analytics host (default 32 MiB); larger bodies get 413.
func WithMaxBodyBytes(main, analytics int64) Option {
	return func(c *config) { c.maxBody, c.maxAnalyticsBody = main, analytics }
}

// WithRequestLog sets how many requests the log keeps (default 10,000; the
// oldest are dropped) and how many body bytes each entry keeps (default
// 4 KiB).
func WithRequestLog(entries, bodyBytes int) Option {
	return func(c *config) { c.requestLogSize, c.requestBodyLogSize = entries, bodyBytes }
}

// WithConversationTypes adds custom conversation types; a conversation
// whose type is neither one of these nor a built-in type becomes "note".
func WithConversationTypes(types ...string) Option {
	return func(c *config) { c.conversationTypes = append(c.conversationTypes, types...) }
}
