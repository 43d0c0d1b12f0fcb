package cli

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/botpress/botpressemu"
	"github.com/planbridge/planbridge/console"
	"github.com/planbridge/planbridge/handoff"
	"github.com/planbridge/planbridge/httpapi"
	"github.com/planbridge/planbridge/integrations"
	"github.com/planbridge/planbridge/internal/server"
	"github.com/planbridge/planbridge/mcpserver"
	"github.com/planbridge/planbridge/planfix/planfixemu"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/planhat/planhatemu"
	"github.com/planbridge/planbridge/readcache"
)

// planhatFlags are the server-level Planhat settings shared by serve and
// call. They are the operator's, so their URLs are trusted.
type planhatFlags struct {
	PlanhatToken        string `name:"planhat-token" env:"PLANHAT_TOKEN" help:"Planhat API token (Settings > Private Apps) for the REST door and 'call'. Prefer the environment variable."`
	PlanhatRegion       string `name:"planhat-region" env:"PLANHAT_REGION" help:"Planhat region (eu, eu2, us2...; empty for api.planhat.com)."`
	PlanhatAPIURL       string `name:"planhat-api-url" env:"PLANHAT_API_URL" help:"Planhat API base URL (overrides the region)."`
	PlanhatAnalyticsURL string `name:"planhat-analytics-url" env:"PLANHAT_ANALYTICS_URL" help:"Planhat analytics base URL (default https://analytics.planhat.com)."`
	PlanhatTenant       string `name:"planhat-tenant" env:"PLANHAT_TENANT" help:"Planhat tenant UUID, for activity tracking and metrics."`
	PlanhatRate         string `name:"planhat-rate" env:"PLANHAT_RATE" help:"Calls per token to Planhat, as REQUESTS/WINDOW (e.g. 200/60s); 0 or none for no pacing (emulators, benchmarks). Default 180/1m."`
}

// sandboxWanted reports whether nothing real is configured, in which case
// the commands run against the built-in emulators.
func (f *planhatFlags) sandboxWanted(getenv func(string) string) bool {
	return strings.TrimSpace(f.PlanhatToken) == "" && strings.TrimSpace(getenv("PLANFIX_URL")) == ""
}

// planhatClient builds the server's own Planhat client (REST door, call).
// A non-nil limiter paces it together with every other client of the same
// token (serve shares one with the Botpress integration).
func (f *planhatFlags) planhatClient(hc *http.Client, limiter *planhat.Limiter, logger *slog.Logger, extra ...func(*planhat.Options)) (*planhat.Client, error) {
	rl, err := parsePlanhatRate(f.PlanhatRate)
	if err != nil {
		return nil, err
	}
	opts := planhat.Options{
		Limiter:      limiter,
		RateLimit:    rl,
		Token:        f.PlanhatToken,
		Region:       f.PlanhatRegion,
		BaseURL:      f.PlanhatAPIURL,
		AnalyticsURL: f.PlanhatAnalyticsURL,
		TenantToken:  f.PlanhatTenant,
		HTTPClient:   hc,
		Logger:       logger,
		UserAgent:    "planbridge/" + Version,
	}
	for _, e := range extra {
		e(&opts)
	}
	return planhat.NewClient(opts)
}

// errPlanhatConfig marks a Planhat setting a one-shot command cannot use;
// call, import and export print it and exit 1.
type errPlanhatConfig struct{ err error }

func (e *errPlanhatConfig) Error() string {
	return "configuring Planhat (PLANHAT_TOKEN, PLANHAT_REGION, PLANHAT_API_URL): " + e.err.Error()
}

func (e *errPlanhatConfig) Unwrap() error { return e.err }

// commandClient is the Planhat client of a one-shot command (call, mcp,
// import, export): the configured Planhat's, or, with nothing configured,
// a throwaway sandbox emulator's, which it announces on stderr as doing
// ("runs against the built-in Planhat emulator …"). It points f at the
// sandbox, so the caller's later use of f sees it; stop ends the sandbox.
func (f *planhatFlags) commandClient(env *Env, conversationType, doing string) (client *planhat.Client, sandboxed bool, stop func(), err error) {
	stop = func() {}
	if sandboxed = f.sandboxWanted(env.Getenv); sandboxed {
		sb, err := startSandbox(f, conversationType, env.Logger)
		if err != nil {
			return nil, true, stop, err
		}
		stop = sb.close
		fmt.Fprintf(env.Stderr, "planbridge: sandbox mode: no PLANHAT_TOKEN set, so %s.\n", doing)
	}
	if client, err = f.planhatClient(nil, nil, env.Logger); err != nil {
		return nil, sandboxed, stop, &errPlanhatConfig{err}
	}
	return client, sandboxed, stop, nil
}

// reportCommandClient prints a Planhat setting error and exits 1; other
// errors (a sandbox that could not start) are returned as they are.
func reportCommandClient(env *Env, err error) error {
	var ce *errPlanhatConfig
	if errors.As(err, &ce) {
		fmt.Fprintf(env.Stderr, "planbridge: %v\n", ce)
		return exitError{code: 1}
	}
	return err
}

// sandbox is an in-process Planhat emulator on a loopback listener and,
// for serve, a Botpress emulator installed against this server.
type sandbox struct {
	emulator *planhatemu.Server
	url      string
	server   *http.Server

	bp            *botpressemu.Server
	bpServer      *http.Server
	webhookSecret string

	// The Planfix emulator the server's own Planfix settings point at,
	// and the receiver standing in for a bot's hand-off webhook.
	pf          *planfixemu.Server
	pfServer    *http.Server
	pfChatToken string
	events      *sandboxWebhook
}

// sandboxSeed is how many demo companies the sandbox emulator starts with.
const sandboxSeed = 12

// startSandbox starts a seeded Planhat emulator on 127.0.0.1 and points f
// at it.
func startSandbox(f *planhatFlags, conversationType string, logger *slog.Logger) (*sandbox, error) {
	token := "sandbox-" + randomHex(16)
	// The emulated tenant has the conversation type logged conversations
	// use, as the README asks a Planhat admin to create it.
	emu := planhatemu.New(planhatemu.WithSeed(sandboxSeed), planhatemu.WithToken(token), planhatemu.WithRateLimit(0, time.Minute),
		planhatemu.WithConversationTypes(conversationType))
	srv, url, err := serveLoopback(emu.Handler(), logger)
	if err != nil {
		return nil, err
	}
	s := &sandbox{emulator: emu, url: url, server: srv}
	f.PlanhatToken, f.PlanhatAPIURL, f.PlanhatAnalyticsURL, f.PlanhatTenant, f.PlanhatRegion = emu.Token, s.url, s.url, emu.Tenant, ""
	return s, nil
}

// startBotpress starts a Botpress emulator on loopback whose installation
// of the planhat integration points at integrationURL with a working
// configuration, so operations and webhooks can be tried without Botpress.
func (s *sandbox) startBotpress(integrationURL string, def *botpress.Definition, logger *slog.Logger) error {
	s.webhookSecret = "sandbox-webhook-" + randomHex(8)
	bp := botpressemu.New(
		botpressemu.WithToken("sandbox-bp-"+randomHex(12)),
		botpressemu.WithIntegrationName(integrations.PlanhatName),
		botpressemu.WithIntegrationURL(integrationURL),
		botpressemu.WithDefinition(def),
		botpressemu.WithConfiguration(map[string]string{"apiToken": s.emulator.Token, "tenantToken": s.emulator.Tenant, "webhookSecret": s.webhookSecret}),
	)
	srv, url, err := serveLoopback(bp.Handler(), logger)
	if err != nil {
		return err
	}
	// Nothing reaches the emulator before its URL is printed, so setting
	// it once the emulator serves is early enough.
	bp.URL = url
	s.bp, s.bpServer = bp, srv
	return nil
}

// startPlanfix starts a Planfix emulator on loopback and points the
// server's own Planfix settings at it, with the hand-off webhook at a
// receiver on the same listener. The server's own settings rather than a
// second Botpress emulator with the planfix integration: the REST door
// needs nothing but curl to show a whole hand-off, and the Botpress path
// is the same engine. The emulator learns the chat URL its agents reply
// to once the server listens (setChatURL).
func (s *sandbox) startPlanfix(f *planfixFlags, logger *slog.Logger) error {
	emu := planfixemu.New(planfixemu.WithPlanfixToken("sandbox-pf-"+randomHex(12)), planfixemu.WithLogger(logger))
	s.events = &sandboxWebhook{secret: "sandbox-hook-" + randomHex(12)}
	mux := http.NewServeMux()
	mux.Handle("/", emu.Handler())
	mux.Handle(sandboxEventsPath, s.events)
	srv, url, err := serveLoopback(mux, logger)
	if err != nil {
		return err
	}
	emu.URL = url
	s.pf, s.pfServer, s.pfChatToken = emu, srv, "sandbox-chat-"+randomHex(12)
	f.PlanfixURL, f.PlanfixToken, f.PlanfixProviderID, f.PlanfixChatToken = emu.Endpoint(), emu.PlanfixToken, planfixemu.DefaultProviderID, s.pfChatToken
	f.WebhookURL, f.WebhookSecret = url+sandboxEventsPath, s.events.secret
	return nil
}

// setChatURL tells the Planfix emulator where its agents' replies go.
func (s *sandbox) setChatURL(u string) { s.pf.SetChat(u, s.pfChatToken) }

// sandboxEventsPath is where the sandbox's stand-in for a bot's hand-off
// webhook receives events (POST) and shows them (GET).
const sandboxEventsPath = "/_sandbox/handoff-events"

// sandboxWebhook is the bot's side of the REST hand-off in sandbox mode:
// it checks each event's signature as a bot must, and keeps the accepted
// ones for GET, so a newcomer sees what their bot would receive.
type sandboxWebhook struct {
	secret string
	mu     sync.Mutex
	events []json.RawMessage
}

// sandboxWebhookKeep bounds the events kept, so a long sandbox run does not grow.
const sandboxWebhookKeep = 200

func (h *sandboxWebhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		h.mu.Lock()
		list := slices.Clone(h.events)
		h.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if list == nil {
			list = []json.RawMessage{} // [] rather than null, for scripts
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"events": list})
	case http.MethodPost:
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := handoff.Verify(h.secret, r.Header.Get(handoff.HeaderTimestamp), r.Header.Get(handoff.HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
			// 401 is a 4xx, so the outbox keeps it as a dead letter rather
			// than retrying a signature that will never match.
			http.Error(w, "bad signature: "+err.Error(), http.StatusUnauthorized)
			return
		}
		if !json.Valid(body) {
			http.Error(w, "not JSON", http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.events = append(h.events, body)
		if len(h.events) > sandboxWebhookKeep {
			h.events = slices.Delete(h.events, 0, len(h.events)-sandboxWebhookKeep)
		}
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "use GET to see the events, POST to deliver one", http.StatusMethodNotAllowed)
	}
}

// serveLoopback serves h on a free 127.0.0.1 port in the background and
// returns the server, for shutting it down, and its base URL.
func serveLoopback(h http.Handler, logger *slog.Logger) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("sandbox: cannot listen on loopback: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	go func() { _ = srv.Serve(ln) }()
	return srv, "http://" + ln.Addr().String(), nil
}

// close shuts the sandbox's servers down; callers defer it only once the
// sandbox has started.
func (s *sandbox) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if s.bpServer != nil {
		_ = s.bpServer.Shutdown(ctx)
	}
	if s.pfServer != nil {
		_ = s.pfServer.Shutdown(ctx)
	}
	_ = s.server.Shutdown(ctx)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// defaultWriteTimeout bounds how long a handler may take to write its
// answer when no Botpress operation needs longer.
const defaultWriteTimeout = 120 * time.Second

// writeTimeout keeps the server's write deadline beyond the Botpress
// operation bound, so a slow operation still gets its timeout answer out
// instead of a reset connection; with no bound (0) there is no deadline.
func writeTimeout(botpressTimeout time.Duration) time.Duration {
	if botpressTimeout == 0 {
		return 0
	}
	return max(defaultWriteTimeout, botpressTimeout+10*time.Second)
}

// serveCmd runs the HTTP server.
type serveCmd struct {
	planhatFlags `embed:""`
	durableFlags `embed:""`
	budgetFlags  `embed:""`
	planfixFlags `embed:""`
	mcpFlags     `embed:"" prefix:"mcp-"`

	Addr            string        `name:"addr" env:"PLANBRIDGE_ADDR" default:"127.0.0.1:8080" help:"Address to listen on (host:port; port 0 picks a free one)."`
	APIKeys         string        `name:"api-keys" env:"PLANBRIDGE_API_KEYS" help:"Comma-separated API keys accepted by the REST door (Authorization: Bearer YOUR_KEY)."`
	AllowHosts      string        `name:"allow-hosts" env:"PLANBRIDGE_ALLOW_HOSTS" help:"Comma-separated extra hosts (name, *.domain, host:port, IP or CIDR) that Botpress configurations may point at."`
	BotpressSecret  string        `name:"botpress-secret" env:"PLANBRIDGE_BOTPRESS_SECRET" help:"Shared secret Botpress must present: /botpress/planhat/YOUR_SECRET or the X-Planbridge-Secret header."`
	BotpressTimeout time.Duration `name:"botpress-timeout" env:"PLANBRIDGE_BOTPRESS_TIMEOUT" default:"50s" help:"How long one Botpress operation may run before it is answered with a timeout error; 0 means no bound."`
	BPAPIURL        string        `name:"bp-api-url" env:"BP_API_URL" help:"Botpress Runtime API URL (default https://api.botpress.cloud)."`
	BPToken         string        `name:"bp-token" env:"BP_TOKEN" help:"Botpress Integration Access Key (or PAT), used to emit events."`
	ConsoleStuck    time.Duration `name:"console-stuck-after" env:"PLANBRIDGE_CONSOLE_STUCK_AFTER" default:"10m" help:"How long an end user may wait for an agent's answer before the console highlights the hand-off as stuck."`
	ShutdownTimeout time.Duration `name:"shutdown-timeout" env:"PLANBRIDGE_SHUTDOWN_TIMEOUT" default:"15s" help:"How long in-flight requests may take to finish on shutdown (a second interrupt stops at once)."`
}

// Run starts the server and blocks until the context ends, then shuts down
// gracefully.
func (c *serveCmd) Run(env *Env) error {
	logger := env.Logger
	if c.ConsoleStuck < 0 {
		return fmt.Errorf("PLANBRIDGE_CONSOLE_STUCK_AFTER (--console-stuck-after) is %s: use a positive duration such as 10m", c.ConsoleStuck)
	}
	if c.BotpressTimeout < 0 {
		return fmt.Errorf("PLANBRIDGE_BOTPRESS_TIMEOUT (--botpress-timeout) is %s: use a positive duration such as 50s, or 0 for no bound", c.BotpressTimeout)
	}
	flags := c.planhatFlags
	rateLimit, err := parsePlanhatRate(flags.PlanhatRate)
	if err != nil {
		return err
	}
	ignored := ignoredPlanhatSettings(&flags, env.Getenv)
	serverInst, hasPlanfix, err := c.planfixFlags.installation()
	if err != nil {
		return err
	}
	var sb *sandbox
	if flags.sandboxWanted(env.Getenv) && !hasPlanfix {
		var err error
		if sb, err = startSandbox(&flags, c.ConversationType, logger); err != nil {
			return err
		}
		defer sb.close()
		if err := sb.startPlanfix(&c.planfixFlags, logger); err != nil {
			return err
		}
		if serverInst, hasPlanfix, err = c.planfixFlags.installation(); err != nil {
			return fmt.Errorf("sandbox: the Planfix emulator's settings: %w", err)
		}
	}
	apiKeys := c.APIKeys
	generatedKey := ""
	if sb != nil && strings.TrimSpace(apiKeys) == "" {
		generatedKey = "pbk_sandbox_" + randomHex(16)
		apiKeys = generatedKey
	}

	metrics := httpapi.NewMetrics()
	reg, err := actions.PlanhatRegistry()
	if err != nil {
		return fmt.Errorf("building the action registry: %w", err)
	}
	defaultAPIURL := flags.PlanhatAPIURL
	if defaultAPIURL == "" && flags.PlanhatRegion != "" {
		if defaultAPIURL, err = planhat.BaseURLForRegion(flags.PlanhatRegion); err != nil {
			return err
		}
	}
	// The REST door's own Planhat client; without PLANHAT_TOKEN (a
	// Planfix-only server) REST calls of Planhat actions say what to set.
	// One limiter per token and base URL for the whole server: the REST
	// door's client and the Botpress installations of the same token
	// spend one budget, and a 429 pauses them all.
	budget := planhat.DefaultRateLimit()
	if rateLimit != nil {
		budget = *rateLimit
	}
	if err := c.applyBudget(&budget); err != nil {
		return err
	}
	limiters := planhat.NewLimiters(budget)
	cache, err := c.readCache()
	if err != nil {
		return err
	}
	metrics.ObserveBudget(limiters, cache)

	// The store, then the outbox and relay over it. Sandbox mode keeps
	// its store in a temporary file unless PLANBRIDGE_DB names one.
	dbPath := c.DB
	if sb != nil && strings.TrimSpace(dbPath) == "" {
		dir, err := os.MkdirTemp("", "planbridge-sandbox-")
		if err != nil {
			return fmt.Errorf("sandbox: creating a temporary directory for the store: %w", err)
		}
		defer os.RemoveAll(dir)
		dbPath = filepath.Join(dir, "planbridge.db")
	}
	st, err := openStoreSync(env.Ctx, cmp.Or(dbPath, defaultDB), c.DBSynchronous, logger)
	if err != nil {
		return reportDB(env, err)
	}
	defer st.Close()
	if st.Dialect() == "postgres" {
		// Replicas on one database draw each token's budget from one shared bucket.
		limiters.Share(server.SharedBudget(st))
		// And forget what another replica's write or webhook made obsolete.
		if n, ok := st.(server.Notifier); ok && cache != nil {
			shareCtx, stopSharing := context.WithCancel(env.Ctx)
			sharing := server.ShareInvalidations(shareCtx, cache, n, logger)
			defer func() {
				stopSharing()
				<-sharing
			}()
		}
	}
	policy := integrations.HostPolicy{Suffixes: []string{".planhat.com"}, Extra: integrations.ParseAllowHosts(c.AllowHosts),
		TrustedOrigins: trustedOrigins(defaultAPIURL, flags.PlanhatAnalyticsURL)}
	if sb != nil && c.OutboxFlush == 0 {
		// A newcomer sees a logged conversation arrive at once.
		c.OutboxFlush = 500 * time.Millisecond
	}
	// Planfix endpoints come from Botpress configurations: Planfix's own
	// hosts, and the operator's custom domains.
	// The server's own PLANFIX_URL is the operator's, so trusted.
	pfPolicy := integrations.HostPolicy{Suffixes: integrations.PlanfixSuffixes, Extra: integrations.ParseAllowHosts(c.AllowHosts),
		TrustedOrigins: trustedOrigins(serverInst.Endpoint)}
	hand := &handoff.Options{PlanfixHTTPClient: pfPolicy.HTTPClient(nil), CheckURL: func(u string) error { _, err := pfPolicy.CheckURL(u); return err }}
	if sb != nil {
		// A newcomer who completes the task sees the session stop in
		// seconds, not after the default poll interval.
		hand.PollInterval = time.Second
	}
	// The console's chart hears of every delivery, as /metrics does.
	history := console.NewHistory(nil)
	dur, err := c.newDurable(st, durableDeps{Limiters: limiters, ReadCache: cache, Policy: policy, Metrics: metrics, Logger: logger, Handoff: hand,
		OnDelivery: history.Record})
	if err != nil {
		return err
	}
	metrics.ObserveOutbox(st)
	runCtx, stopDelivering := context.WithCancel(env.Ctx)
	delivering := dur.Run(runCtx)
	defer func() {
		stopDelivering()
		<-delivering
	}()

	restDeps := actions.Deps{Relay: dur.Relay}
	if strings.TrimSpace(flags.PlanhatToken) != "" {
		lim, release := limiters.Acquire(flags.PlanhatToken, strings.TrimRight(cmp.Or(defaultAPIURL, integrations.DefaultPlanhatAPIURL), "/"))
		defer release()
		restClient, err := flags.planhatClient(&http.Client{Transport: metrics.PlanhatTransport(nil, integrations.TokenFingerprint(flags.PlanhatToken))}, lim, logger,
			func(o *planhat.Options) {
				o.MaxWait = c.maxWait()
				o.ReadCache = cache.For(readcache.Scope(flags.PlanhatToken, cmp.Or(defaultAPIURL, integrations.DefaultPlanhatAPIURL)))
			})
		if err != nil {
			return fmt.Errorf("configuring Planhat (PLANHAT_TOKEN, PLANHAT_REGION, PLANHAT_API_URL): %w", err)
		}
		restDeps.Planhat = restClient
	}
	// Listen before wiring so sandbox mode knows the address to install
	// the Botpress emulator against.
	ln, err := listenTCP(c.Addr, "--addr (PLANBRIDGE_ADDR)")
	if err != nil {
		return err
	}
	defer ln.Close()
	base := "http://" + ln.Addr().String()
	runtime := botpress.ClientOptions{BaseURL: c.BPAPIURL, Token: c.BPToken, UserAgent: "planbridge/" + Version}
	if sb != nil && c.BPToken == "" {
		def, err := integrations.PlanhatDefinition(reg, "")
		if err != nil {
			return err
		}
		door := base + "/botpress/planhat"
		if c.BotpressSecret != "" {
			door += "/" + c.BotpressSecret
		}
		if err := sb.startBotpress(door, def, logger); err != nil {
			return err
		}
		runtime.BaseURL, runtime.Token = sb.bp.URL, sb.bp.Token
	}
	dur.Handoff.SetRuntime(runtime)
	if sb != nil {
		sb.setChatURL(base + httpapi.PlanfixChatPath)
	}
	doors := []httpapi.Door{httpapi.AdminDoor(st, httpapi.AdminOptions{Logger: logger})}
	if hasPlanfix {
		if serverInst, err = dur.Handoff.PutInstallation(env.Ctx, serverInst); err != nil {
			return err
		}
		chat, err := httpapi.PlanfixChatDoor(httpapi.PlanfixChatOptions{Engine: dur.Handoff, Installation: serverInst.ID,
			ProviderID: serverInst.ProviderID, ChatTokens: []string{c.PlanfixChatToken}, Logger: logger})
		if err != nil {
			return err
		}
		doors = append(doors, chat)
	}
	// Served without Planfix settings too, to say which are missing.
	doors = append(doors, httpapi.HandoffDoor(httpapi.HandoffOptions{Engine: dur.Handoff, Installation: serverInst, Logger: logger}))
	// MCP over streamable HTTP, with the REST door's dependencies and keys.
	mcpDoor, err := mcpserver.HTTPDoor(mcpserver.Options{Registry: reg, Deps: restDeps, Filter: c.mcpFlags.filter(),
		Discovery: c.mcpFlags.Discovery, Version: Version, Logger: logger})
	if err != nil {
		return fmt.Errorf("the /mcp door (PLANBRIDGE_MCP_TOOLSETS, PLANBRIDGE_MCP_TOOLS): %w", err)
	}
	doors = append(doors, mcpDoor)
	keys := httpapi.ParseAPIKeys(apiKeys)
	adminKeys := splitKeys(apiKeys)
	consoleOpts := console.Options{Store: st, AdminKeys: adminKeys, Handoff: dur.Handoff, Limiters: limiters, Cache: cache,
		History: history, StuckAfter: c.ConsoleStuck, Version: Version, Logger: logger}
	if sb != nil && len(adminKeys) > 0 {
		// The sandbox chat plays the bot through the public REST door,
		// with a key the door accepts, and the agent through the Planfix
		// emulator's control API.
		consoleOpts.Sandbox = &console.Sandbox{ServerURL: base, APIKey: adminKeys[0], PlanfixURL: sb.pf.URL,
			EventsURL: sb.pf.URL + sandboxEventsPath, CompanyID: "extid-seed-company-1", BotName: "Sandbox bot"}
	}
	con, err := console.New(consoleOpts)
	if err != nil {
		return err
	}
	doors = append(doors, con.Door())
	handler, err := server.New(server.Options{
		Registry: reg,
		Metrics:  metrics,
		Logger:   logger,
		Version:  Version,
		APIKeys:  keys,
		REST:     restDeps,
		Botpress: server.Botpress{
			Runtime: runtime,
			// Bulk upserts of 5,000 records need more than the Botpress
			// door's default body limit. Botpress's client gives up on a
			// call after 60 s by default and its limit for integrations is
			// undocumented (spec §9.6), so operations are cut short before
			// that and answered with an instructive timeout error instead
			// of a silent client-side failure.
			MaxBodyBytes: httpapi.DefaultMaxBodyBytes,
			Timeout:      c.BotpressTimeout,
			Secret:       c.BotpressSecret,
		},
		Planhat: integrations.PlanhatOptions{
			// Sandbox mode needs no loopback exemption: the emulator's own
			// origin is trusted as the default Planhat URL, and a blanket
			// exemption would let any caller reach every local port.
			Policy:              integrations.HostPolicy{Extra: integrations.ParseAllowHosts(c.AllowHosts)},
			Relay:               dur.Relay,
			DefaultAPIURL:       defaultAPIURL,
			DefaultAnalyticsURL: flags.PlanhatAnalyticsURL,
			UserAgent:           "planbridge/" + Version,
			Limiters:            limiters,
			ReadCache:           cache,
			MaxWait:             c.maxWait(),
		},
		Planfix: &integrations.PlanfixOptions{Engine: dur.Handoff, Policy: pfPolicy},
		// The operator's view of the outbox, behind the same API keys, and
		// the server's own Planfix chat.
		Doors: doors,
	})
	if err != nil {
		return err
	}
	releaseStartupMemory()
	httpServer := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      writeTimeout(c.BotpressTimeout),
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if sb != nil {
		printSandboxBanner(env.Stdout, base, sb, generatedKey, c.BotpressSecret, dbPath)
	} else {
		fmt.Fprintf(env.Stdout, "planbridge %s listening on %s\n", Version, base)
	}
	if hasPlanfix && sb == nil {
		fmt.Fprintf(env.Stdout, "planbridge: Planfix chat URL: %s%s (enter it, with PLANFIX_CHAT_TOKEN as the token, in Planfix's chat settings; behind a proxy use its public address)\n", base, httpapi.PlanfixChatPath)
		logger.Info("planfix chat enabled", "path", httpapi.PlanfixChatPath, "provider_id", serverInst.ProviderID, "webhook", serverInst.WebhookURL != "")
		if serverInst.WebhookURL == "" {
			logger.Warn("no PLANBRIDGE_HANDOFF_WEBHOOK_URL: agents' replies are stored and held until it is set")
		}
	}
	// Said at start-up, on stdout as well as in the log, so the operator
	// learns it before the first caller gets a 503.
	if sb == nil && strings.TrimSpace(flags.PlanhatToken) == "" {
		fmt.Fprintln(env.Stdout, "planbridge: warning: no PLANHAT_TOKEN is set: REST calls of Planhat actions answer 503 not_configured until it is (Botpress bots use the API token of their own configuration).")
		logger.Warn("no PLANHAT_TOKEN: REST calls of Planhat actions answer 503 not_configured; set PLANHAT_TOKEN (and PLANHAT_REGION or PLANHAT_API_URL)")
	}
	if len(ignored) > 0 {
		fmt.Fprintf(env.Stdout, "planbridge: warning: %s set without PLANHAT_TOKEN, so ignored: sandbox mode uses its built-in emulator. Set PLANHAT_TOKEN to use that Planhat.\n", strings.Join(ignored, ", "))
		logger.Warn("Planhat settings ignored without PLANHAT_TOKEN", "settings", strings.Join(ignored, ", "))
	}
	logger.Info("planbridge listening", "addr", ln.Addr().String(), "sandbox", sb != nil, "api_keys", keys.Len(),
		"botpress_secret", c.BotpressSecret != "", "bp_runtime", runtime.Token != "")
	if keys.Len() == 0 {
		logger.Warn("the REST door refuses every call: set PLANBRIDGE_API_KEYS to enable it")
	}
	if c.BotpressSecret == "" {
		logger.Warn("the Botpress door is open to anyone who can reach it: set PLANBRIDGE_BOTPRESS_SECRET and use /botpress/planhat/$PLANBRIDGE_BOTPRESS_SECRET as the integration URL")
	}

	err = serveUntilDone(env.Ctx, httpServer, ln, c.ShutdownTimeout, func() {
		logger.Info("shutting down: requests in flight may finish; interrupt again to stop at once", "grace", c.ShutdownTimeout)
		handler.Drain()
	})
	if errors.Is(err, errShutdownIncomplete) {
		return err
	}
	if err != nil {
		return fmt.Errorf("server stopped: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// splitKeys lists the keys of a comma-separated PLANBRIDGE_API_KEYS.
func splitKeys(list string) []string {
	var out []string
	for part := range strings.SplitSeq(list, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// releaseStartupMemory returns what start-up allocated and dropped to the
// operating system before the server idles. The store's migration tool
// (goose) parses each migration with a 4 MB buffer that it keeps in a
// sync.Pool, which only a second garbage collection empties, and an idle
// server runs a collection only every two minutes: without this an idle
// serve held 8 MB more for minutes, over its 40 MB budget. Two
// collections (FreeOSMemory runs the second) cost a few milliseconds, once.
func releaseStartupMemory() {
	runtime.GC()
	debug.FreeOSMemory()
}

// The banner's hand-off: its session id and its end user's email, which
// the lines after the start name instead of values from its answer. A
// second paste of the start on the same server is refused (the session
// exists), which says what happened.
const (
	bannerSession = "demo-handoff-1"
	bannerEmail   = "ann@acme.test"
)

// printSandboxBanner tells a newcomer, loudly, what runs and how to try it;
// every command it prints is meant to be pasted into a shell as is.
// It writes the banner in one Write so readers never see half of it.
func printSandboxBanner(out io.Writer, base string, sb *sandbox, apiKey, bpSecret, dbPath string) {
	var w strings.Builder
	bpPath := "/botpress/planhat"
	if bpSecret != "" {
		bpPath += "/$PLANBRIDGE_BOTPRESS_SECRET"
	}
	// With a generated key the commands carry it; with the operator's own
	// keys they read it from the shell, where it is one export away.
	keyLine := "  REST API key:        (one of PLANBRIDGE_API_KEYS; export PLANBRIDGE_API_KEY=it for the lines below)"
	key := `"$PLANBRIDGE_API_KEY"`
	export := "    export PLANBRIDGE_SERVER=" + base
	if apiKey != "" {
		keyLine = "  REST API key:        " + apiKey + "   (generated for this run)"
		key = apiKey
		export += " PLANBRIDGE_API_KEY=" + apiKey
	}
	// The emulators' addresses too, for the README's tour of the sandbox:
	// its lines reach the emulators through these, as pasted.
	export += " PLANHAT_EMULATOR_URL=" + sb.url + " PLANHAT_EMULATOR_TOKEN=" + sb.emulator.Token
	if sb.pf != nil {
		export += " PLANFIX_EMULATOR_URL=" + sb.pf.URL
	}
	fmt.Fprintf(&w, `
================================================================================
  planbridge %s — SANDBOX MODE
  No PLANHAT_TOKEN and no PLANFIX_URL are set, so planbridge runs against its
  built-in emulators of Planhat (%d seeded demo companies) and Planfix, in
  memory, on loopback. Nothing reaches the real Planhat or Planfix. Set
  PLANHAT_TOKEN or PLANFIX_URL to leave sandbox mode.

  planbridge:          %s
  Planhat emulator:    %s   (token %s, tenant %s)
  Store:               a temporary SQLite file, removed on exit (set PLANBRIDGE_DB to keep one)
%s
  Botpress door:       POST %s%s   (configuration apiToken = the emulator token)
  OpenAPI:             %s/openapi.json
  Metrics:             %s/metrics
  Console:             %s/console   (log in with the REST API key: outbox, hand-offs,
                       budget, and a sandbox chat that plays the user and the agent)

  Try the REST door:
    curl -s -H "Authorization: Bearer %s" -H 'Content-Type: application/json' \
      -d '{"limit": 3}' %s/v1/actions/listCompanies

  Try the command line (in another shell, in this repository):
    go run ./cmd/planbridge call --server %s --api-key %s listCompanies
  or set them once (with the emulators' addresses, for the README's tour) and leave the flags out:
%s
    go run ./cmd/planbridge call getCompany --input '{"id": "extid-seed-company-1"}'

  Call a tool as an LLM agent does, over MCP (streamable HTTP at %s/mcp, the same key;
  planbridge mcp serves stdio):
    curl -s -H "Authorization: Bearer %s" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
      -d '{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "listCompanies", "arguments": {"limit": 2}}}' %s/mcp

  Log a bot conversation (stored at once, delivered in bulk within seconds):
    curl -s -H "Authorization: Bearer %s" -H 'Content-Type: application/json' \
      -d '{"conversationId":"demo-1","companyId":"extid-seed-company-1","botName":"Helper","messages":[{"author":"user","text":"Hi!"},{"author":"bot","text":"Hello, how can I help?"}]}' \
      %s/v1/actions/logConversation
  then see it in the emulator, and the outbox that delivered it:
    go run ./cmd/planbridge call getConversation --input '{"id": "extid-bot-demo-1"}'
    go run ./cmd/planbridge outbox stats --db %s
`, Version, sandboxSeed, base, sb.url, sb.emulator.Token, sb.emulator.Tenant, keyLine, base, bpPath, base, base, base, key, base, base, key, export, base, key, base, key, base, dbPath)
	if sb.bp != nil {
		fmt.Fprintf(&w, `
  Botpress emulator:   %s   (installed against this server; events, users, states
                       at %s/_emulator/events, /users, /states)
  Try an action as Botpress sends it:
    curl -s -H 'Content-Type: application/json' \
      -d '{"operation":"action_triggered","payload":{"type":"listCompanies","input":{"limit":2}}}' \
      %s/_emulator/call
  Try a Planhat automation webhook (becomes a companyUpdated event):
    curl -s -H 'Content-Type: application/json' -d '{"_id":"c1","name":"Acme"}' \
      %s/%s/company/updated
`, sb.bp.URL, sb.bp.URL, sb.bp.URL, sb.bp.WebhookURL(), sb.webhookSecret)
	}
	if sb.pf != nil {
		// The start names its session and the end user's email, so the
		// lines after it need no value from its answer: every line pastes
		// as printed, in any shell.
		fmt.Fprintf(&w, `
  Planfix emulator:    %s   (the server's PLANFIX_* settings point at it; tasks at
                       %s/_emulator/tasks; your bot's webhook receiver at %s)
  Hand a chat to a person (the REST hand-off door; the emulator plays the agent):
    curl -s -H "Authorization: Bearer %s" -H 'Content-Type: application/json' \
      -d '{"sessionId":"%s","user":{"id":"u-1","name":"Ann Lee","email":"%s"},"title":"Refund for order 42","history":[{"author":"user","text":"I want a refund."},{"author":"bot","text":"Let me get you a person."}]}' \
      %s/v1/handoffs
  The user writes again (it lands in the Planfix task, after the history):
    curl -s -H "Authorization: Bearer %s" -H 'Content-Type: application/json' \
      -d '{"messageId":"m-1","text":"It was order 42."}' %s/v1/handoffs/%s/messages
  The agent replies in Planfix, to the chat of the user's email (your bot's webhook gets it, signed):
    curl -s -H 'Content-Type: application/json' -d '{"contactEmail":"%s","message":"Your refund is on its way."}' \
      %s/_emulator/reply
  See what the webhook received (agentMessage, then assigned):
    curl -s %s%s
  The agent completes the task; within seconds the session is stopped (stopReason agent):
    curl -s -H 'Content-Type: application/json' -d '{"contactEmail":"%s"}' %s/_emulator/close-task
    curl -s -H "Authorization: Bearer %s" %s/v1/handoffs/%s
`, sb.pf.URL, sb.pf.URL, sb.pf.URL+sandboxEventsPath, key, bannerSession, bannerEmail, base, key, base, bannerSession,
			bannerEmail, sb.pf.URL, sb.pf.URL, sandboxEventsPath, bannerEmail, sb.pf.URL, key, base, bannerSession)
	}
	fmt.Fprintln(&w, "================================================================================")
	_, _ = io.WriteString(out, w.String())
}
