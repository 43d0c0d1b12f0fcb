package planhat

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// AuthScheme selects how the API token is sent.
type AuthScheme int

// Authentication schemes Planhat accepts.
const (
	// AuthBearer sends "Authorization: Bearer <token>" (the default).
	AuthBearer AuthScheme = iota
	// AuthBasic sends "Authorization: Basic base64(<token>:)".
	AuthBasic
)

// Defaults used when the corresponding Options field is zero, and Planhat's limits.
const (
	// DefaultAnalyticsURL is the tracking and metrics host, the same for every region.
	DefaultAnalyticsURL = "https://analytics.planhat.com"
	// DefaultTimeout bounds one attempt of an ordinary call.
	DefaultTimeout = 60 * time.Second
	// DefaultBulkTimeout bounds one attempt of a bulk or analytics call (5,000 items can be slow).
	DefaultBulkTimeout = 5 * time.Minute
	// DefaultBulkChunkSize is the number of items per bulk request.
	DefaultBulkChunkSize = 5000
	// DefaultBulkMaxBytes is the body budget per bulk request.
	DefaultBulkMaxBytes = 16 << 20
	// MaxBulkItems is Planhat's limit of items per bulk upsert request.
	MaxBulkItems = 5000
	// MaxAnalyticsBytes is the analytics host's body cap (32 MB).
	MaxAnalyticsBytes = 32_000_000
	// defaultAnalyticsMaxBytes leaves headroom under MaxAnalyticsBytes.
	defaultAnalyticsMaxBytes = 31_000_000
	// maxResponseBytes bounds any response body read into memory.
	maxResponseBytes = 512 << 20
	// maxErrorBodyBytes bounds the body of an unwanted (error) answer: only an excerpt is
	// kept, and a proxy's error page may be arbitrarily large.
	maxErrorBodyBytes = 64 << 10
	// DefaultMaxWait bounds a call's wait for the limiter when Options.MaxWait is zero: a
	// person or a bot is waiting for the answer, and a minute's pause is better reported.
	DefaultMaxWait = 2 * time.Second
)

// Version is reported in the default User-Agent.
const Version = "0.1.0"

// Options configures a Client. Only Token (or, for the open endpoints alone, TenantToken) is
// required; every zero field takes a sensible default.
type Options struct {
	// Token is the Private App API token; it is never logged or put into errors.
	Token string
	// Auth selects Bearer (default) or Basic authentication.
	Auth AuthScheme
	// Region picks the cluster: "" or "us" for api.planhat.com, "eu" for api-eu.planhat.com,
	// "eu2", "eu3", "us2", ... likewise. A tenant at app-<r>.planhat.com uses region <r>.
	Region string
	// BaseURL overrides Region with any URL, e.g. an emulator's.
	BaseURL string
	// AnalyticsURL is the tracking and metrics host; https://analytics.planhat.com whatever
	// the region.
	AnalyticsURL string
	// TenantToken is the tenant UUID used by the open endpoints (tracking, metrics, open calls).
	TenantToken string
	// HTTPClient sends the requests; its Timeout should be zero (per-call timeouts apply).
	// It is copied, never mutated, and the copy refuses every redirect (see RefuseRedirect):
	// Planhat's API does not redirect, and following one would hand the token to another host.
	HTTPClient *http.Client
	// UserAgent replaces the default "planbridge-planhat/<version>".
	UserAgent string
	// Logger receives one debug record per request and warnings on retries; nil discards.
	Logger *slog.Logger
	// RateLimit configures the client's own limiter; nil uses DefaultRateLimit. Ignored
	// when Limiter is set.
	RateLimit *RateLimit
	// Limiter paces this client's calls to the main host. Every client of one token and
	// base URL must share one, so that a 429 pauses them all; a client built without one
	// gets a private limiter. Limiters hands them out per token and base URL.
	Limiter *Limiter
	// MaxWait bounds how long a call may wait for the limiter (a 429 pause, the quota, the
	// concurrency cap) before it fails with an error matching ErrRateLimited whose
	// RetryAfter is the remaining wait. 0 means DefaultMaxWait, which suits interactive
	// callers; negative waits as long as it takes (background work; bound it with the
	// context then).
	MaxWait time.Duration
	// Retry is the retry policy; nil uses DefaultRetryPolicy.
	Retry *RetryPolicy
	// Timeout bounds each attempt of an ordinary call (default 60 s).
	Timeout time.Duration
	// BulkTimeout bounds each attempt of a bulk or analytics call (default 5 min).
	BulkTimeout time.Duration
	// BulkChunkSize is the number of items per bulk request (default and maximum 5,000).
	BulkChunkSize int
	// BulkMaxBytes is the body budget per bulk request (default 16 MiB).
	BulkMaxBytes int
	// AnalyticsMaxBytes is the body budget per analytics request (default and maximum 31 MB,
	// under the host's 32 MB cap).
	AnalyticsMaxBytes int
	// ReadCache, when set, answers reads from memory and forgets what writes touch (see
	// ReadCache); it must serve this token and base URL alone.
	ReadCache ReadCache
	// Observer, when set, is called after every HTTP attempt (for metrics, progress bars or
	// tracing); it must be fast and safe for concurrent use.
	Observer func(CallInfo)
}

// CallInfo describes one HTTP attempt for Options.Observer.
type CallInfo struct {
	// Method is the HTTP method.
	Method string
	// Path is the request path with the tenant token redacted.
	Path string
	// Analytics is set for calls to the analytics host.
	Analytics bool
	// Attempt counts from 0 for the first try.
	Attempt int
	// StatusCode is the answer's status, 0 when no answer arrived.
	StatusCode int
	// Items is the number of items in a bulk or analytics body, 0 otherwise.
	Items int
	// Duration is the time from sending to the full answer.
	Duration time.Duration
	// Err is the transport error when no answer arrived.
	Err error
	// RateLimit is the quota state the answer reported.
	RateLimit RateLimitState
}

// String describes the options without their secrets.
func (o Options) String() string {
	return fmt.Sprintf("planhat.Options{Token:%s, Region:%q, BaseURL:%q, AnalyticsURL:%q, TenantToken:%s}",
		redacted(o.Token), o.Region, originOf(o.BaseURL), originOf(o.AnalyticsURL), redacted(o.TenantToken))
}

// LogValue keeps secrets out of slog output.
func (o Options) LogValue() slog.Value { return slog.StringValue(o.String()) }

// originOf keeps the scheme and host of a URL for logs and errors: its path may hold a
// secret pasted into the wrong field.
func originOf(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return "(unparseable URL)"
	}
	return origin(u)
}

// origin is scheme://host[:port] of u.
func origin(u *url.URL) string { return u.Scheme + "://" + u.Host }

func redacted(s string) string {
	if s == "" {
		return `""`
	}
	return "[redacted]"
}

// secret holds a credential and refuses to print it.
type secret string

func (secret) String() string   { return "[redacted]" }
func (secret) GoString() string { return "[redacted]" }

// Client talks to one Planhat tenant. It is safe for concurrent use.
type Client struct {
	base        *url.URL
	analytics   *url.URL
	authHeader  secret
	token       secret // as given, for Credentials
	auth        AuthScheme
	tenant      secret
	hc          *http.Client
	userAgent   string
	log         *slog.Logger
	lim         *Limiter
	maxWait     time.Duration // negative: unbounded
	retry       RetryPolicy
	timeout     time.Duration
	bulkTimeout time.Duration
	chunkSize   int
	maxBytes    int

	analyticsMaxBytes int
	maxResponse       int // cap on a wanted answer's body; maxResponseBytes

	observer func(CallInfo)
	cache    ReadCache

	rlMu sync.Mutex
	rl   RateLimitState
}

var regionRE = regexp.MustCompile(`^(api-)?[a-z]{2,}[0-9]*$`)

// BaseURLForRegion returns the API base URL of a Planhat region ("" -> https://api.planhat.com,
// "eu" -> https://api-eu.planhat.com).
func BaseURLForRegion(region string) (string, error) {
	r := strings.ToLower(strings.TrimSpace(region))
	switch r {
	case "", "us", "api", "default":
		return "https://api.planhat.com", nil
	}
	if !regionRE.MatchString(r) {
		return "", fmt.Errorf("planhat: unknown region %q; use a cluster name such as \"eu\", \"eu2\" or \"us2\" (from app-<region>.planhat.com), or set BaseURL", region)
	}
	return "https://api-" + strings.TrimPrefix(r, "api-") + ".planhat.com", nil
}

var (
	defaultHTTPOnce sync.Once
	defaultHTTP     *http.Client
)

// defaultHTTPClient keeps enough idle connections for 50 calls in flight.
func defaultHTTPClient() *http.Client {
	defaultHTTPOnce.Do(func() {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		t.MaxIdleConns = 256
		t.ResponseHeaderTimeout = DefaultBulkTimeout
		defaultHTTP = &http.Client{Transport: t}
	})
	return defaultHTTP
}

// NewClient validates the options and builds a client. It sends no request; use Ping to check
// the token.
func NewClient(opts Options) (*Client, error) {
	token := strings.TrimSpace(opts.Token)
	tenant := strings.TrimSpace(opts.TenantToken)
	if token == "" && tenant == "" {
		return nil, errors.New("planhat: no credentials; set Options.Token to a Planhat Private App token (and Options.TenantToken for tracking and metrics)")
	}
	if strings.ContainsFunc(token, isControlOrSpace) {
		return nil, errors.New("planhat: the API token contains spaces or control characters; paste it again without line breaks")
	}
	if strings.ContainsFunc(tenant, isControlOrSpace) || strings.ContainsAny(tenant, "/?#%") {
		return nil, errors.New("planhat: the tenant token must be the tenant UUID from Planhat's settings")
	}
	raw := opts.BaseURL
	if raw == "" {
		var err error
		if raw, err = BaseURLForRegion(opts.Region); err != nil {
			return nil, err
		}
	}
	base, err := parseBase(raw, "BaseURL")
	if err != nil {
		return nil, err
	}
	rawA := opts.AnalyticsURL
	if rawA == "" {
		rawA = DefaultAnalyticsURL
	}
	analytics, err := parseBase(rawA, "AnalyticsURL")
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:        base,
		analytics:   analytics,
		tenant:      secret(tenant),
		token:       secret(token),
		auth:        opts.Auth,
		hc:          opts.HTTPClient,
		userAgent:   opts.UserAgent,
		log:         opts.Logger,
		timeout:     opts.Timeout,
		bulkTimeout: opts.BulkTimeout,
		chunkSize:   opts.BulkChunkSize,
		maxBytes:    opts.BulkMaxBytes,
		rl:          RateLimitState{Limit: -1, Remaining: -1},
		observer:    opts.Observer,
		cache:       opts.ReadCache,
		maxResponse: maxResponseBytes,
	}
	if token != "" {
		switch opts.Auth {
		case AuthBearer:
			c.authHeader = secret("Bearer " + token)
		case AuthBasic:
			c.authHeader = secret("Basic " + base64.StdEncoding.EncodeToString([]byte(token+":")))
		default:
			return nil, fmt.Errorf("planhat: unknown auth scheme %d; use AuthBearer or AuthBasic", opts.Auth)
		}
	}
	if c.hc == nil {
		c.hc = defaultHTTPClient()
	}
	hc := *c.hc
	hc.CheckRedirect = RefuseRedirect
	c.hc = &hc
	if c.userAgent == "" {
		c.userAgent = "planbridge-planhat/" + Version
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.bulkTimeout <= 0 {
		c.bulkTimeout = DefaultBulkTimeout
	}
	if c.chunkSize <= 0 || c.chunkSize > MaxBulkItems {
		c.chunkSize = DefaultBulkChunkSize
	}
	if c.maxBytes <= 0 {
		c.maxBytes = DefaultBulkMaxBytes
	}
	c.maxBytes = min(c.maxBytes, MaxAnalyticsBytes)
	c.analyticsMaxBytes = opts.AnalyticsMaxBytes
	if c.analyticsMaxBytes <= 0 || c.analyticsMaxBytes > defaultAnalyticsMaxBytes {
		c.analyticsMaxBytes = defaultAnalyticsMaxBytes
	}
	if opts.Retry != nil {
		c.retry = opts.Retry.withDefaults()
	} else {
		c.retry = DefaultRetryPolicy()
	}
	switch {
	case opts.Limiter != nil:
		c.lim = opts.Limiter
	default:
		cfg := DefaultRateLimit()
		if opts.RateLimit != nil {
			cfg = *opts.RateLimit
		}
		c.lim = NewLimiter(cfg)
	}
	c.maxWait = opts.MaxWait
	if c.maxWait == 0 {
		c.maxWait = DefaultMaxWait
	}
	return c, nil
}

func isControlOrSpace(r rune) bool { return r <= ' ' || r == 0x7f }

func parseBase(raw, field string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		// scrubURLError drops the URL, which url.Parse quotes whole, credentials included.
		return nil, fmt.Errorf("planhat: %s is not a valid URL (%w); set it to the absolute http(s) URL of the host", field, scrubURLError(err))
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("planhat: %s %q is not an absolute http(s) URL", field, origin(u))
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("planhat: %s must not carry credentials, a query or a fragment", field)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// String describes the client without its credentials (fmt cannot see the unexported
// fields' own redaction, so the whole client redacts itself).
func (c *Client) String() string {
	return fmt.Sprintf("planhat.Client{BaseURL:%q, AnalyticsURL:%q, Token:%s, TenantToken:%s}",
		origin(c.base), origin(c.analytics), redacted(string(c.authHeader)), redacted(string(c.tenant)))
}

// GoString keeps %#v from printing credentials.
func (c *Client) GoString() string { return c.String() }

// LogValue keeps slog from printing credentials.
func (c *Client) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Credentials are what identifies a client's Planhat tenant: enough to build
// an equivalent client later, in another process, for work stored now and
// delivered then.
type Credentials struct {
	// BaseURL is the API base URL.
	BaseURL string
	// AnalyticsURL is the analytics base URL.
	AnalyticsURL string
	// Token is the API token ("" for a tenant-only client).
	Token string
	// TenantToken is the tenant UUID ("" when not configured).
	TenantToken string
	// Auth is how the token is sent.
	Auth AuthScheme
}

// String hides the secrets.
func (c Credentials) String() string {
	return fmt.Sprintf("planhat.Credentials{BaseURL:%q, AnalyticsURL:%q, Token:%s, TenantToken:%s}",
		c.BaseURL, c.AnalyticsURL, redacted(c.Token), redacted(c.TenantToken))
}

// GoString hides the secrets.
func (c Credentials) GoString() string { return c.String() }

// LogValue hides the secrets.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Credentials returns the client's credentials; handle them as secrets.
func (c *Client) Credentials() Credentials {
	return Credentials{BaseURL: c.base.String(), AnalyticsURL: c.analytics.String(), Token: string(c.token), TenantToken: string(c.tenant), Auth: c.auth}
}

// BaseURL returns the API base URL in use.
func (c *Client) BaseURL() string { return c.base.String() }

// AnalyticsURL returns the analytics base URL in use.
func (c *Client) AnalyticsURL() string { return c.analytics.String() }

// Limiter returns the rate limiter this client uses.
func (c *Client) Limiter() *Limiter { return c.lim }

// RateLimit returns the quota state reported by the latest main-host response.
func (c *Client) RateLimit() RateLimitState {
	c.rlMu.Lock()
	defer c.rlMu.Unlock()
	return c.rl
}

// Ping checks the token and region with one cheap authenticated call.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.do(ctx, &request{
		method: http.MethodGet, path: "/" + ModelCompany.Path,
		query: url.Values{"limit": {"1"}, "select": {"_id"}},
		retry: true,
	})
	return err
}

type host int

const (
	mainHost host = iota
	analyticsHost
)

type authMode int

const (
	authRequired authMode = iota
	authIfAvailable
	authNone
)

// request is one logical call; do may send it several times.
type request struct {
	method  string
	host    host
	path    string // escaped path below the base URL
	logPath string // path safe for logs and errors; path when empty
	query   url.Values
	body    []byte
	auth    authMode
	retry   bool
	bulk    bool                  // longer timeout
	items   int                   // items in a bulk or analytics body, for observers
	accept  func(status int) bool // non-2xx statuses handed back to the caller
}

type response struct {
	status      int
	body        []byte
	rl          RateLimitState
	contentType string
}

// wants reports whether status is an answer the caller handles (2xx or accepted), as
// opposed to an error.
func (r *request) wants(status int) bool {
	return status/100 == 2 || (r.accept != nil && r.accept(status))
}

// baseFor returns the base URL of the host req goes to.
func (c *Client) baseFor(req *request) *url.URL {
	if req.host == analyticsHost {
		return c.analytics
	}
	return c.base
}

// timeoutFor returns the per-attempt timeout of req.
func (c *Client) timeoutFor(req *request) time.Duration {
	if req.bulk {
		return c.bulkTimeout
	}
	return c.timeout
}

func (r *request) safePath() string {
	if r.logPath != "" {
		return r.logPath
	}
	return r.path
}

// do sends req through the read cache (when the client has one), the limiter and the
// retries, returning the response for 2xx (and accepted) statuses and an *APIError otherwise.
func (c *Client) do(ctx context.Context, req *request) (*response, error) {
	if c.cache != nil && req.host == mainHost && (req.method != http.MethodGet || req.accept == nil) {
		return c.doCached(ctx, req)
	}
	return c.doUncached(ctx, req)
}

// doUncached sends req through the limiter with retries.
func (c *Client) doUncached(ctx context.Context, req *request) (*response, error) {
	if req.auth == authRequired && c.authHeader == "" {
		return nil, ErrNoToken
	}
	limited := req.host == mainHost
	var last *APIError // the answer a retry is after, kept for a limiter refusal
	for attempt := 0; ; attempt++ {
		var release func()
		if limited {
			var err error
			if release, err = c.lim.acquire(ctx, c.maxWait); err != nil {
				var long *waitTooLong
				if errors.As(err, &long) {
					rle := &RateLimitError{Method: req.method, Path: req.safePath(), Wait: long.wait, MaxWait: c.maxWait, Reason: long.reason}
					if last != nil {
						rle.Err = last
					}
					return nil, rle
				}
				return nil, fmt.Errorf("planhat: %s %s: waiting for the rate limiter: %w", req.method, req.safePath(), err)
			}
		}
		start := time.Now()
		resp, err := c.send(ctx, req, release)
		if c.observer != nil {
			info := CallInfo{Method: req.method, Path: req.safePath(), Analytics: req.host == analyticsHost, Attempt: attempt, Items: req.items, Duration: time.Since(start), Err: err}
			if resp != nil {
				info.StatusCode, info.RateLimit = resp.status, resp.rl
			}
			c.observer(info)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("planhat: %s %s: %w", req.method, req.safePath(), context.Cause(ctx))
			}
			c.log.LogAttrs(ctx, slog.LevelWarn, "planhat request failed", slog.String("method", req.method), slog.String("path", req.safePath()), slog.Int("attempt", attempt), slog.String("error", err.Error()))
			if req.retry && attempt < c.retry.MaxRetries && retryableNetError(err) {
				if werr := sleepCtx(ctx, c.retry.backoff(attempt)); werr != nil {
					return nil, fmt.Errorf("planhat: %s %s: %w", req.method, req.safePath(), werr)
				}
				continue
			}
			return nil, fmt.Errorf("planhat: %s %s: %w%s", req.method, req.safePath(), err, c.transportHint(req, err))
		}
		if limited {
			c.lim.observe(resp.status, resp.rl)
			c.rlMu.Lock()
			c.rl = resp.rl
			c.rlMu.Unlock()
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "planhat request", slog.String("method", req.method), slog.String("path", req.safePath()), slog.Int("status", resp.status), slog.Int("attempt", attempt), slog.Duration("elapsed", time.Since(start)), slog.Int("remaining", resp.rl.Remaining))
		if req.wants(resp.status) {
			return resp, nil
		}
		apiErr := newAPIError(req.method, req.safePath(), resp.status, resp.body, resp.rl)
		apiErr.notAPI = notPlanhatAPI(req, resp)
		last = apiErr
		if req.retry && attempt < c.retry.MaxRetries && retryableStatus(resp.status) {
			wait := c.retry.backoff(attempt)
			if resp.rl.RetryAfter > 0 {
				wait = min(resp.rl.RetryAfter, c.retry.MaxRetryAfter)
			}
			if resp.status == http.StatusTooManyRequests && limited {
				wait = 0 // the limiter is paused until the window can have reset
			}
			c.log.LogAttrs(ctx, slog.LevelWarn, "planhat request will be retried", slog.String("method", req.method), slog.String("path", req.safePath()), slog.Int("status", resp.status), slog.Int("attempt", attempt), slog.Duration("wait", wait))
			if werr := sleepCtx(ctx, wait); werr != nil {
				return nil, fmt.Errorf("%w (gave up waiting to retry: %w)", apiErr, werr)
			}
			continue
		}
		return nil, apiErr
	}
}

// send performs one HTTP exchange under the per-attempt timeout and reads the body: all of
// a wanted answer, an excerpt of an error. release, when not nil, gives the limiter slot back
// once the answer is in, even if the transport panics.
func (c *Client) send(ctx context.Context, req *request, release func()) (*response, error) {
	if release != nil {
		defer release()
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeoutFor(req))
	defer cancel()
	base := c.baseFor(req)
	u := *base
	u.RawPath = base.EscapedPath() + req.path
	p, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return nil, err
	}
	u.Path = p
	if len(req.query) > 0 {
		u.RawQuery = req.query.Encode()
	}
	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	hreq, err := http.NewRequestWithContext(ctx, req.method, u.String(), body)
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("User-Agent", c.userAgent)
	if req.body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	if req.auth != authNone && c.authHeader != "" {
		hreq.Header.Set("Authorization", string(c.authHeader))
	}
	hresp, err := c.hc.Do(hreq)
	if err != nil {
		return nil, scrubURLError(err)
	}
	defer hresp.Body.Close()
	wanted := req.wants(hresp.StatusCode)
	limit := c.maxResponse
	if !wanted {
		limit = maxErrorBodyBytes
	}
	data, err := readBody(hresp.Body, limit)
	if err != nil {
		return nil, scrubURLError(err)
	}
	if len(data) > limit {
		if wanted {
			return nil, fmt.Errorf("%w: the answer exceeds %d MiB; request smaller pages", errResponseTooLarge, limit>>20)
		}
		// Closing the unread rest drops the connection, which is cheaper than reading it.
		data = data[:limit]
	}
	return &response{status: hresp.StatusCode, body: data, rl: parseRateLimit(hresp.Header), contentType: hresp.Header.Get("Content-Type")}, nil
}

// readBufs are the buffers answers are read into: a page of records is
// tens of kilobytes read in chunks of unknown total (Planhat and the
// emulator may answer chunked), and growing a fresh buffer for every
// answer allocated about three times the page.
var readBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledReadBuf bounds the buffers kept for reuse, so one huge answer
// does not stay in memory.
const maxPooledReadBuf = 1 << 20

// readBody reads at most limit+1 bytes of body into a slice of its own.
func readBody(body io.Reader, limit int) ([]byte, error) {
	buf := readBufs.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledReadBuf {
			buf.Reset()
			readBufs.Put(buf)
		}
	}()
	buf.Reset()
	if _, err := buf.ReadFrom(io.LimitReader(body, int64(limit)+1)); err != nil {
		return nil, err
	}
	return bytes.Clone(buf.Bytes()), nil
}

// transportHint says what to do about a call that got no answer: a per-attempt timeout
// (context.DeadlineExceeded is itself a net.Error, so it is told apart first) or an
// unreachable host.
func (c *Client) transportHint(req *request, err error) string {
	host := origin(c.baseFor(req))
	if errors.Is(err, ErrDestinationRefused) {
		return "" // the refusal says what is wrong; "could not be reached" would invite a retry
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf(" (%s did not answer within the %s per-attempt timeout; retry later, or raise Options.Timeout or Options.BulkTimeout)", host, c.timeoutFor(req))
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return fmt.Sprintf(" (Planhat could not be reached at %s; check the region or base URL, and the network)", host)
	}
	return ""
}

// scrubURLError drops the URL from transport errors: it may carry the tenant token.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", strings.ToLower(ue.Op), ue.Err)
	}
	return err
}

func parseRateLimit(h http.Header) RateLimitState {
	rl := RateLimitState{Limit: headerInt(h, "X-Rate-Limit-Limit"), Remaining: headerInt(h, "X-Rate-Limit-Remaining")}
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
			rl.RetryAfter = time.Duration(s) * time.Second
		} else if t, err := http.ParseTime(v); err == nil {
			rl.RetryAfter = max(0, time.Until(t))
		}
	}
	return rl
}

func headerInt(h http.Header, k string) int {
	v := h.Get(k)
	if v == "" {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return -1
	}
	return n
}

func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// errResponseTooLarge marks an answer over the client's cap; asking again gets the same one.
var errResponseTooLarge = errors.New("response body too large")

// retryableNetError excludes failures a retry cannot fix (bad URLs, TLS trust, oversized
// answers).
func retryableNetError(err error) bool {
	if errors.Is(err, errResponseTooLarge) || errors.Is(err, ErrDestinationRefused) {
		return false
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return false
	}
	msg := err.Error()
	return !strings.Contains(msg, "certificate") && !strings.Contains(msg, "unsupported protocol")
}

// sleepCtx waits d unless ctx ends first, returning the context's cause then.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return context.Cause(ctx) // nil while ctx is live
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// getJSON, sendJSON: small helpers shared by the resources.

func (c *Client) decode(req *request, resp *response, out any) error {
	if out == nil || len(bytes.TrimSpace(resp.body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(resp.body, out); err != nil {
		if bytes.HasPrefix(bytes.TrimSpace(resp.body), []byte("<")) {
			// A web page where JSON was due: the base URL points at a website or a proxy.
			return fmt.Errorf("planhat: %s %s answered an HTML page: %w", req.method, req.safePath(), ErrNotPlanhatAPI)
		}
		return fmt.Errorf("planhat: decoding the answer to %s %s: %w", req.method, req.safePath(), err)
	}
	return nil
}

func (c *Client) call(ctx context.Context, req *request, out any) error {
	resp, err := c.do(ctx, req)
	if err != nil {
		return err
	}
	return c.decode(req, resp, out)
}

// Do calls any main-host endpoint the typed API does not cover (e.g. "/myprofile",
// "/activitytags") through the same limiter, retries and error handling: in (if not nil) is
// sent as JSON and the answer decoded into out (if not nil). path starts with "/" and its
// ids must already be escaped with url.PathEscape. Only GET, HEAD and DELETE are retried.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "?#") {
		return &ValidationError{Field: "path", Message: fmt.Sprintf("path %q must start with \"/\" and carry no query; pass the query separately", path)}
	}
	if _, err := url.PathUnescape(path); err != nil {
		return &ValidationError{Field: "path", Message: fmt.Sprintf("path %q has a broken escape (%v); escape ids with url.PathEscape", path, err)}
	}
	req := &request{method: method, path: path, query: query}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodDelete:
		req.retry = true
	}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("planhat: encoding the %s %s body: %w", method, path, err)
		}
		req.body = b
	}
	return c.call(ctx, req, out)
}
