// Package integrations holds planbridge's Botpress integrations: the glue
// between the Botpress integration protocol (package botpress) and the
// action registry (package actions). Planhat is the first: it validates an
// installation's configuration on register, runs actions with a Planhat
// client built from the configuration (cached per token, behind an SSRF
// guard), and turns Planhat automation webhooks into Botpress events.
package integrations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/internal/secret"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/readcache"
	"github.com/planbridge/planbridge/relay"
)

// PlanhatName is the integration's name in Botpress and in our routes.
const PlanhatName = "planhat"

// PlanhatVersion is the integration's semver in its definition; bump it with
// every change to the definition (actions, events, configuration).
const PlanhatVersion = "1.0.0"

// Planhat hosts used when a configuration names no URL.
const (
	DefaultPlanhatAPIURL       = "https://api.planhat.com"
	DefaultPlanhatAnalyticsURL = "https://analytics.planhat.com"
)

// WebhookSecretHeader is where a Planhat automation may put the webhook
// shared secret (the alternative is the first path segment).
const WebhookSecretHeader = "X-Webhook-Secret"

// minWebhookSecret is the shortest webhook secret accepted: 16 characters
// of a random hex or base64 string are beyond guessing.
const minWebhookSecret = 16

// PlanhatConfig is the installation configuration a bot builder fills in.
type PlanhatConfig struct {
	// APIToken is a Planhat Private App API Access Token.
	APIToken string `json:"apiToken"`
	// Region is the part after "app-" in the Planhat address ("eu" for
	// app-eu.planhat.com); empty for app.planhat.com.
	Region string `json:"region,omitempty"`
	// APIURL overrides the API host; it must be an https *.planhat.com URL.
	APIURL string `json:"apiUrl,omitempty"`
	// AnalyticsURL overrides the analytics host, same rules as APIURL.
	AnalyticsURL string `json:"analyticsUrl,omitempty"`
	// TenantToken is the tenant UUID for activity tracking and metrics.
	TenantToken string `json:"tenantToken,omitempty"`
	// WebhookSecret authenticates Planhat automation webhooks.
	WebhookSecret string `json:"webhookSecret,omitempty"`
	// BotName is the display name register gives the bot's Botpress user.
	BotName string `json:"botName,omitempty"`
	// BotAvatarURL is the picture register gives the bot's Botpress user.
	BotAvatarURL string `json:"botAvatarUrl,omitempty"`
	// RateLimit is this token's budget, "REQUESTS/WINDOW" such as "200/60s"; empty for the
	// server's (PLANHAT_RATE, default 180/1m).
	RateLimit string `json:"rateLimit,omitempty"`
}

// PlanhatOptions configures the planhat integration.
type PlanhatOptions struct {
	// Registry holds the actions the integration exposes; required.
	Registry *actions.Registry
	// Policy guards URLs that arrive in configurations. Suffixes defaults to
	// .planhat.com; set Extra (PLANBRIDGE_ALLOW_HOSTS) and AllowLoopback
	// (sandbox, tests) to widen it.
	Policy HostPolicy
	// DefaultAPIURL and DefaultAnalyticsURL are the operator's (trusted)
	// PLANHAT_API_URL and PLANHAT_ANALYTICS_URL, used when a configuration
	// names neither a region nor a URL; their exact origins (scheme, host,
	// port) are trusted by Policy.
	DefaultAPIURL       string
	DefaultAnalyticsURL string
	// Timeout bounds each ordinary request to Planhat; 0 means the planhat
	// client's default. Bulk calls have the client's longer bulk timeout.
	Timeout time.Duration
	// RateLimit paces each token's calls; nil means planhat.DefaultRateLimit.
	// Ignored when Limiters is set.
	RateLimit *planhat.RateLimit
	// Limiters holds the rate limiter of each token and API URL; nil means a
	// set of the integration's own. Pass the set the server's other Planhat
	// clients (the REST door's) use, so one token shares one quota.
	Limiters *planhat.Limiters
	// ReadCache, when set, answers each token's reads from memory (see package readcache);
	// webhooks naming a model forget its cached reads.
	ReadCache *readcache.Cache
	// MaxWait bounds how long an action waits for the token's budget before it is answered
	// rate_limited (or from the cache); 0 means planhat.DefaultMaxWait.
	MaxWait time.Duration
	// Retry is the planhat client's retry policy; nil means its default.
	Retry *planhat.RetryPolicy
	// WrapTransport, when set, wraps each client's transport, e.g. with
	// Metrics.PlanhatTransport; it receives the token's fingerprint.
	WrapTransport func(rt http.RoundTripper, fingerprint string) http.RoundTripper
	// Logger receives diagnostics without secrets; nil discards.
	Logger *slog.Logger
	// MaxClients bounds the client cache; 0 means 256.
	MaxClients int
	// UserAgent is sent to Planhat.
	UserAgent string
	// Now is the clock for event timestamps; nil means time.Now.
	Now func() time.Time
	// Relay is the durable intake of logConversation and the tracking
	// actions; without it those actions answer not_configured.
	Relay *relay.Relay
}

// Planhat is the planhat Botpress integration.
type Planhat struct {
	botpress.UnimplementedIntegration
	opts    PlanhatOptions
	clients *clientCache[*planhat.Client]
	// limiters outlive the clients the cache evicts: a limiter still paused
	// after a 429 (or with a spent bucket) is handed to the next client of
	// its token, which would otherwise start a fresh burst.
	limiters *planhat.Limiters
	// transport is shared by every cached client, so the number of open
	// connections is bounded by its pool, not by how many tokens (each
	// Botpress configuration brings one) have come and gone.
	transport *http.Transport
}

var _ botpress.Integration = (*Planhat)(nil)

// NewPlanhat builds the integration.
func NewPlanhat(opts PlanhatOptions) (*Planhat, error) {
	if opts.Registry == nil {
		return nil, errors.New("integrations: PlanhatOptions.Registry is required")
	}
	if len(opts.Policy.Suffixes) == 0 {
		opts.Policy.Suffixes = []string{".planhat.com"}
	}
	for _, u := range []string{opts.DefaultAPIURL, opts.DefaultAnalyticsURL} {
		if u == "" {
			continue
		}
		pu, err := url.Parse(u)
		if err != nil || pu.Host == "" {
			return nil, fmt.Errorf("integrations: invalid default Planhat URL %q", redactURL(u))
		}
		// The operator's exact origin, not its host: Extra would admit any
		// port and plain http on it too.
		opts.Policy.TrustedOrigins = append(opts.Policy.TrustedOrigins, pu.Scheme+"://"+pu.Host)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	p := &Planhat{opts: opts, clients: newClientCache[*planhat.Client](opts.MaxClients), limiters: opts.Limiters}
	if p.limiters == nil {
		cfg := planhat.DefaultRateLimit()
		if opts.RateLimit != nil {
			cfg = *opts.RateLimit
		}
		p.limiters = planhat.NewLimiters(cfg)
	}
	p.transport = p.opts.Policy.newTransport()
	// Every installation's calls share this pool; keep enough idle
	// connections for the busy ones (the planhat client's own default).
	p.transport.MaxIdleConns, p.transport.MaxIdleConnsPerHost = 256, 64
	return p, nil
}

// regionPattern admits Planhat region prefixes such as "eu", "eu2", "us2".
var regionPattern = regexp.MustCompile(`^[a-z]{2}[0-9]{0,2}$`)

// uuidPattern matches a tenant token.
var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Instructions reused in several messages.
const (
	howToGetToken  = `In Planhat open Settings > Private Apps, create (or open) a Private App, generate an API Access Token and paste it into the integration's "API Token" field`
	howToSetRegion = `A token only works in its own region: if you sign in at app-eu.planhat.com set "Region" to "eu" (app-<region>.planhat.com means <region>); for app.planhat.com leave it empty`
	howToGetTenant = `The tenant token is your Planhat tenant UUID, the last part of your tracking script URL https://analytics.planhat.com/analytics/<tenant token> (shown in Planhat's developer / tracking settings)`
)

// resolved is a validated configuration with its final URLs.
type resolved struct {
	cfg          PlanhatConfig
	apiURL       string
	analyticsURL string
	rate         *planhat.RateLimit // the configuration's own budget, or nil
}

// resolve validates cfg and works out the URLs to call. Every
// error is a botpress RuntimeError saying what to fix.
func (p *Planhat) resolve(cfg PlanhatConfig) (*resolved, error) {
	cfg.APIToken = strings.TrimSpace(cfg.APIToken)
	cfg.Region = strings.ToLower(strings.TrimSpace(cfg.Region))
	if cfg.APIToken == "" {
		return nil, botpress.RuntimeError(`The Planhat "API Token" is empty. ` + howToGetToken + `, then save the configuration.`)
	}
	if strings.ContainsAny(cfg.APIToken, " \t\r\n") {
		return nil, botpress.RuntimeError(`The Planhat "API Token" contains spaces or line breaks, so it was pasted incompletely. ` + howToGetToken + ` in one piece, then save the configuration.`)
	}
	r := &resolved{cfg: cfg}
	configured := false
	switch {
	case strings.TrimSpace(cfg.APIURL) != "":
		u, err := p.opts.Policy.CheckURL(cfg.APIURL)
		if err != nil {
			return nil, botpress.RuntimeErrorf(`The "API URL" is not allowed (%v). Leave "API URL" empty and set "Region" instead, or use https://api.planhat.com or https://api-<region>.planhat.com.`, err)
		}
		r.apiURL, configured = strings.TrimRight(u.String(), "/"), true
	case cfg.Region != "":
		if !regionPattern.MatchString(cfg.Region) {
			return nil, botpress.RuntimeErrorf(`"Region" %q is not a Planhat region. Use the part after "app-" in the address you sign in at (e.g. "eu" for app-eu.planhat.com, "us2" for app-us2.planhat.com), or leave it empty for app.planhat.com.`, truncateText(cfg.Region, 20))
		}
		base, err := planhat.BaseURLForRegion(cfg.Region) // "us" means api.planhat.com
		if err != nil {
			return nil, botpress.RuntimeErrorf(`"Region" %q is not a Planhat region. Use the part after "app-" in the address you sign in at, or leave it empty.`, truncateText(cfg.Region, 20))
		}
		r.apiURL, configured = base, true
	case p.opts.DefaultAPIURL != "":
		r.apiURL = strings.TrimRight(p.opts.DefaultAPIURL, "/")
	default:
		r.apiURL = DefaultPlanhatAPIURL
	}
	switch {
	case strings.TrimSpace(cfg.AnalyticsURL) != "":
		u, err := p.opts.Policy.CheckURL(cfg.AnalyticsURL)
		if err != nil {
			return nil, botpress.RuntimeErrorf(`The "Analytics URL" is not allowed (%v). Leave it empty: Planhat serves analytics from https://analytics.planhat.com in every region.`, err)
		}
		r.analyticsURL = strings.TrimRight(u.String(), "/")
	case !configured && p.opts.DefaultAnalyticsURL != "":
		r.analyticsURL = strings.TrimRight(p.opts.DefaultAnalyticsURL, "/")
	default:
		r.analyticsURL = DefaultPlanhatAnalyticsURL
	}
	if t := strings.TrimSpace(cfg.TenantToken); t != "" && !uuidPattern.MatchString(t) {
		return nil, botpress.RuntimeError(`"Tenant Token" is not a UUID (like 0f8e2c4a-1b2c-4d5e-8f90-123456789abc). ` + howToGetTenant + `. Leave it empty if the bot does not track activities or push metrics.`)
	}
	if s := cfg.WebhookSecret; s != "" && len(strings.TrimSpace(s)) < minWebhookSecret {
		return nil, botpress.RuntimeErrorf(`"Webhook Secret" must be at least %d characters, not counting spaces, so it cannot be guessed; generate a random one (for example with "openssl rand -hex 16"), save it here and use the same value in your Planhat automation.`, minWebhookSecret)
	}
	if v := strings.TrimSpace(cfg.RateLimit); v != "" {
		rl, err := planhat.ParseRateLimit(v)
		if err != nil {
			return nil, botpress.RuntimeErrorf(`"Rate Limit" %q is not a budget. Write calls per window such as 180/60s (Planhat allows about 200 a minute per tenant), or leave it empty for the server's default.`, truncateText(v, 20))
		}
		r.rate = rl
	}
	if a := strings.TrimSpace(cfg.BotAvatarURL); a != "" {
		if u, err := url.Parse(a); err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, botpress.RuntimeError(`"Bot Avatar URL" must be an absolute https:// URL of an image (or empty).`)
		}
	}
	return r, nil
}

// clientFor decodes the request's configuration and returns its cached
// Planhat client.
func (p *Planhat) clientFor(req *botpress.Request) (*resolved, *planhat.Client, error) {
	var cfg PlanhatConfig
	if err := req.DecodeConfiguration(&cfg); err != nil {
		return nil, nil, err
	}
	r, err := p.resolve(cfg)
	if err != nil {
		return nil, nil, err
	}
	c, err := p.client(r)
	if err != nil {
		return nil, nil, err
	}
	return r, c, nil
}

// client returns the one client for this token and these URLs, building it
// on first use.
func (p *Planhat) client(r *resolved) (*planhat.Client, error) {
	key := cacheKey(r.cfg.APIToken, r.apiURL, r.analyticsURL, strings.TrimSpace(r.cfg.TenantToken), strings.TrimSpace(r.cfg.RateLimit))
	return p.clients.get(key, func() (*planhat.Client, func(), error) {
		fp := TokenFingerprint(r.cfg.APIToken)
		lim, release := p.limiters.AcquireRate(r.cfg.APIToken, r.apiURL, r.rate)
		var wrap func(http.RoundTripper) http.RoundTripper
		if p.opts.WrapTransport != nil {
			wrap = func(rt http.RoundTripper) http.RoundTripper { return p.opts.WrapTransport(rt, fp) }
		}
		c, err := planhat.NewClient(planhat.Options{
			Token:        r.cfg.APIToken,
			BaseURL:      r.apiURL,
			AnalyticsURL: r.analyticsURL,
			TenantToken:  strings.TrimSpace(r.cfg.TenantToken),
			HTTPClient:   p.opts.Policy.clientOver(p.transport, wrap),
			Timeout:      p.opts.Timeout,
			Limiter:      lim,
			MaxWait:      p.opts.MaxWait,
			ReadCache:    p.opts.ReadCache.For(readcache.Scope(r.cfg.APIToken, r.apiURL)),
			Retry:        p.opts.Retry,
			UserAgent:    p.opts.UserAgent,
			Logger:       p.opts.Logger.With("planhat_token", fp),
		})
		if err != nil {
			release()
			return nil, nil, botpress.RuntimeErrorf("The Planhat configuration could not be used (%v). Check \"API Token\", \"Region\" and \"API URL\", then save the configuration.", err)
		}
		p.opts.Logger.Info("planhat client created", "planhat_token", fp, "api_host", hostOf(r.apiURL))
		return c, release, nil
	})
}

// Register validates the configuration with one cheap authenticated call,
// so a wrong token, region or URL blocks the installation with a message
// that says what to fix.
func (p *Planhat) Register(ctx context.Context, req *botpress.Request, _ *botpress.RegisterPayload) error {
	r, c, err := p.clientFor(req)
	if err != nil {
		return err
	}
	if err := c.Ping(ctx); err != nil {
		return p.registerError(req, r, err)
	}
	fp := TokenFingerprint(r.cfg.APIToken)
	req.Logger.InfoContext(ctx, "planhat: configuration validated", "planhat_token", fp, "api_host", hostOf(r.apiURL))
	// Record which host and token the installation uses, for support. Not
	// being able to (no BP_TOKEN on this server) must not block the
	// installation: the configuration itself is fine.
	if bp, err := req.Client(); err == nil {
		state := map[string]string{"apiHost": hostOf(r.apiURL), "tokenFingerprint": fp, "validatedAt": p.opts.Now().UTC().Format(time.RFC3339)}
		if _, err := bp.SetState(ctx, botpress.StateIntegration, req.IntegrationID, PlanhatStateName, state, 0); err != nil {
			req.Logger.WarnContext(ctx, "planhat: could not store the connection state", "error", err.Error())
		}
		p.applyBotIdentity(ctx, req, bp, r.cfg)
	}
	return nil
}

// applyBotIdentity gives the bot's own Botpress user the configured "Bot
// Name" and "Bot Avatar URL", as Zendesk does for its bot user: Planhat has
// no chat in which the bot speaks, so the conversations the integration's
// events are linked to are where the bot shows its name and picture. It is
// best-effort: the configuration itself was valid.
func (p *Planhat) applyBotIdentity(ctx context.Context, req *botpress.Request, bp *botpress.Client, cfg PlanhatConfig) {
	in := botpress.UpdateUserInput{Name: strings.TrimSpace(cfg.BotName), PictureURL: strings.TrimSpace(cfg.BotAvatarURL)}
	if (in.Name == "" && in.PictureURL == "") || req.BotUserID == "" {
		return
	}
	if _, err := bp.UpdateUser(ctx, req.BotUserID, in); err != nil {
		req.Logger.WarnContext(ctx, "planhat: could not set the bot's name and avatar", "error", err.Error())
	}
}

func (p *Planhat) registerError(req *botpress.Request, r *resolved, err error) error {
	host := hostOf(r.apiURL)
	req.Logger.Info("planhat: configuration refused", "planhat_token", TokenFingerprint(r.cfg.APIToken), "api_host", host, "error", err.Error())
	switch {
	case errors.Is(err, planhat.ErrUnauthorized):
		return botpress.RuntimeErrorf("Planhat rejected the API token at %s (401 Unauthorized). %s. %s. Then save the configuration again.", host, howToGetToken, howToSetRegion)
	case errors.Is(err, planhat.ErrForbidden):
		return botpress.RuntimeErrorf("The API token is valid but its Private App may not read data (403 Forbidden at %s). In Planhat open Settings > Private Apps, give the app read (and, for write actions, write) permission on Companies and the other models your bot uses, then save the configuration again.", host)
	case errors.Is(err, planhat.ErrRateLimited):
		return botpress.RuntimeErrorf("Planhat's rate limit for this token is used up right now (429 at %s). Wait a minute and save the configuration again.", host)
	case errors.Is(err, ErrHostNotAllowed):
		return botpress.RuntimeErrorf("planbridge may not connect to %s: it resolves to a private or local address. Use Planhat's public API (leave \"API URL\" empty and set \"Region\"); a self-hosted address must be allowed by the server operator (PLANBRIDGE_ALLOW_HOSTS).", host)
	case errors.Is(err, planhat.ErrDestinationRefused):
		return botpress.RuntimeErrorf("planbridge refused to follow %s: it redirected elsewhere, and Planhat's API never redirects, so the token would go to another host. Check \"Region\" and \"API URL\" (leave it empty to use Planhat's public API), then save the configuration again.", host)
	case errors.Is(err, planhat.ErrNotPlanhatAPI):
		return botpress.RuntimeErrorf("The answer at %s does not come from Planhat's API, so the URL looks wrong. Check \"API URL\" (it is the host alone, such as https://api-eu.planhat.com, with no path) or leave it empty and set \"Region\", then save the configuration again.", host)
	case errors.Is(err, planhat.ErrServer):
		return botpress.RuntimeErrorf("Planhat answered with a server error at %s. This is on Planhat's side: save the configuration again in a few minutes.", host)
	}
	var apiErr *planhat.APIError
	if errors.As(err, &apiErr) {
		return botpress.RuntimeErrorf("Planhat answered %d at %s when checking the token. Check \"API Token\", \"Region\" and \"API URL\" (%s), then save the configuration again.", apiErr.StatusCode, host, howToSetRegion)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return botpress.RuntimeErrorf("The Planhat host %s does not exist. Check \"Region\" (the part after \"app-\" in your Planhat address) or leave \"API URL\" empty, then save the configuration again.", host)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return botpress.RuntimeErrorf("Planhat at %s did not answer in time. Save the configuration again in a minute; if it keeps failing check \"Region\" and \"API URL\".", host)
	}
	return botpress.RuntimeErrorf("planbridge could not reach Planhat at %s. Check \"Region\" and \"API URL\", then save the configuration again; if they are right, Planhat may be down, so retry later.", host)
}

// Unregister has nothing to undo: Planhat has no webhook subscription API
// (automations are set up in Planhat's UI), so nothing was created.
func (p *Planhat) Unregister(context.Context, *botpress.Request, *botpress.RegisterPayload) error {
	return nil
}

// BotpressWording tells bot builders where settings live: in the
// integration's configuration in Botpress.
var BotpressWording = actions.Wording{
	Token:       "paste it into the integration's configuration",
	Tenant:      "into the integration's configuration",
	ListActions: "list the available actions to find the right name",
	Where:       "the integration",
	Operator:    "the integration's operator",
}

// Action runs a registry action with the installation's Planhat client.
func (p *Planhat) Action(ctx context.Context, req *botpress.Request, name string, input json.RawMessage) (any, error) {
	inv := actions.Invocation{Door: "botpress", Action: name, Input: input, Wording: &BotpressWording, Logger: req.Logger}
	if a, ok := p.opts.Registry.Get(name); ok && a.Needs&actions.NeedPlanhat != 0 {
		_, c, err := p.clientFor(req)
		if err != nil {
			return nil, err
		}
		inv.Deps.Planhat = c
		if a.Needs&actions.NeedRelay != 0 {
			inv.Deps.Relay = p.opts.Relay
		}
	}
	out, failure := p.opts.Registry.Invoke(ctx, inv)
	if failure != nil {
		return nil, ActionError(failure)
	}
	// The pipeline's output is compact JSON already; the door copies it.
	return botpress.CompactJSON(out), nil
}

// ActionError turns a failed call into what Botpress should see: input
// problems and unknown names as InvalidPayload; rate limits as 429
// RateLimited; Planhat outages and timeouts as 5xx with the safe message,
// which Botpress treats as transient; anything else the bot builder can fix
// as a RuntimeError; internal faults as the generic 500 (the cause was
// logged by the pipeline). Every answer but the generic 500 carries the
// stable code, retryability and retry-after as metadata, the same facts
// the REST door and the CLI give.
func ActionError(e *actions.Error) error {
	var be *botpress.Error
	switch {
	case e.Code == actions.CodeUnknownAction, errors.As(e, new(*actions.InputError)):
		be = botpress.InvalidPayloadError(e.Message)
	case e.Code == actions.CodeRateLimited:
		be = botpress.NewError(http.StatusTooManyRequests, botpress.TypeRateLimited, e.Message)
	case e.Code == actions.CodeUpstreamError, e.Code == actions.CodeUpstreamTimeout, e.Code == actions.CodeCanceled, e.Code == actions.CodeBacklogFull:
		be = botpress.NewError(max(e.HTTPStatus(), http.StatusBadGateway), botpress.TypeRuntime, e.Message)
	case e.UserFixable:
		be = botpress.RuntimeError(e.Message)
	case e.Err == nil:
		return e
	default:
		return e.Err
	}
	md := map[string]any{"code": string(e.Code), "retryable": e.Retryable}
	if e.RetryAfter > 0 {
		md["retryAfterSeconds"] = int((e.RetryAfter + time.Second - 1) / time.Second)
	}
	return be.WithMetadata(md)
}

// WebhookReceived accepts a Planhat automation webhook: checks the shared
// secret in constant time, parses the record(s) and emits one Botpress
// event each. The answer is relayed to Planhat.
func (p *Planhat) WebhookReceived(ctx context.Context, req *botpress.Request, payload *botpress.WebhookPayload) (*botpress.WebhookResponse, error) {
	var cfg PlanhatConfig
	if err := req.DecodeConfiguration(&cfg); err != nil {
		return webhookAnswer(http.StatusServiceUnavailable, "the integration's configuration is invalid; fix it in Botpress"), nil
	}
	if len(strings.TrimSpace(cfg.WebhookSecret)) < minWebhookSecret {
		return webhookAnswer(http.StatusForbidden, `webhooks are disabled: set "Webhook Secret" in the Botpress integration configuration and send it in the X-Webhook-Secret header or as the first path segment`), nil
	}
	path, ok := checkWebhookSecret(&payload.Req, cfg.WebhookSecret)
	if !ok {
		req.Logger.WarnContext(ctx, "planhat: webhook with a wrong or missing secret")
		return webhookAnswer(http.StatusUnauthorized, "wrong or missing webhook secret: send the integration's Webhook Secret in the X-Webhook-Secret header or as the first path segment of the webhook URL"), nil
	}
	emits, err := parsePlanhatWebhook(path, []byte(payload.Req.Body), p.opts.Now())
	if err != nil {
		return webhookAnswer(http.StatusBadRequest, err.Error()), nil
	}
	p.invalidate(cfg, emits)
	bp, err := req.Client()
	if err != nil {
		req.Logger.ErrorContext(ctx, "planhat: cannot emit events", "error", err.Error())
		return webhookAnswer(http.StatusServiceUnavailable, "planbridge cannot reach Botpress (the server has no BP_TOKEN); the operator must configure it"), nil
	}
	types := make([]string, 0, len(emits))
	for _, e := range emits {
		in := botpress.CreateEventInput{Type: e.Type, Payload: e.Payload, ConversationID: e.ConversationID, UserID: e.UserID, MessageID: e.MessageID}
		_, err := bp.CreateEvent(ctx, in)
		if err != nil && e.inferred && (errors.Is(err, botpress.ErrNotFound) || errors.Is(err, botpress.ErrBadRequest)) {
			// The conversation's externalId was not a Botpress conversation
			// after all; emit the event unlinked rather than lose it.
			in.ConversationID = ""
			_, err = bp.CreateEvent(ctx, in)
		}
		if err != nil {
			req.Logger.ErrorContext(ctx, "planhat: createEvent failed", "event", e.Type, "error", err.Error())
			return webhookAnswer(http.StatusBadGateway, "planbridge could not deliver the event to Botpress; retry later"), nil
		}
		types = append(types, e.Type)
		p.linkEndUser(ctx, req, bp, e)
	}
	body, _ := json.Marshal(map[string]any{"received": len(types), "events": types})
	return &botpress.WebhookResponse{Status: http.StatusOK, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(body)}, nil
}

// invalidate forgets the cached reads of every model a webhook reports a change of, before
// the bot hears of it, so a bot reacting to the event reads the new record; on PostgreSQL
// the other replicas forget them too (see server.ShareInvalidations).
func (p *Planhat) invalidate(cfg PlanhatConfig, emits []planhatEmit) {
	if p.opts.ReadCache == nil {
		return
	}
	r, err := p.resolve(cfg)
	if err != nil {
		return
	}
	scope := readcache.Scope(r.cfg.APIToken, r.apiURL)
	for _, e := range emits {
		if m, ok := planhat.ModelByName(normalizeName(e.Payload.Model)); ok {
			p.opts.ReadCache.InvalidateRecord(scope, m.Path, e.Payload.ObjectID)
		} else if e.Type != GenericPlanhatEvent {
			// A typed event of a model the client has no table entry for (tickets are
			// conversations): forget conversations, the model they are read through.
			p.opts.ReadCache.InvalidateRecord(scope, planhat.ModelConversation.Path, e.Payload.ObjectID)
		}
	}
}

// linkEndUser tags the Botpress user an endUser event names with the
// Planhat end user and company ids, so the bot can find them later. It is
// best-effort: the event itself was delivered.
func (p *Planhat) linkEndUser(ctx context.Context, req *botpress.Request, bp *botpress.Client, e planhatEmit) {
	if !strings.HasPrefix(e.Type, "endUser") || e.Type == "endUserDeleted" || e.UserID == "" || e.Payload.ObjectID == "" {
		return
	}
	tags := map[string]string{"endUserId": truncateText(e.Payload.ObjectID, 400)}
	if e.Payload.CompanyID != "" {
		tags["companyId"] = truncateText(e.Payload.CompanyID, 400)
	}
	if _, err := bp.UpdateUser(ctx, e.UserID, botpress.UpdateUserInput{Tags: tags}); err != nil {
		req.Logger.WarnContext(ctx, "planhat: could not tag the Botpress user", "error", err.Error())
	}
}

// checkWebhookSecret compares the presented secret with want in constant
// time and returns the path with a path-carried secret removed. The header
// wins when present, but a secret in the path is removed even then (an
// automation may send both), so it never becomes the event's model.
func checkWebhookSecret(r *botpress.WebhookRequest, want string) (string, bool) {
	// Match refuses an empty got, so an empty segment never passes.
	set := secret.NewSet(want)
	seg, rest, _ := strings.Cut(strings.TrimPrefix(r.Path, "/"), "/")
	path, inPath := r.Path, set.Match(seg)
	if inPath {
		path = "/" + rest
	}
	if got := r.Header(WebhookSecretHeader); got != "" {
		return path, set.Match(got)
	}
	return path, inPath
}

func webhookAnswer(status int, message string) *botpress.WebhookResponse {
	body, _ := json.Marshal(map[string]string{"error": message})
	return &botpress.WebhookResponse{Status: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(body)}
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	return u.Host
}

func truncateText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
