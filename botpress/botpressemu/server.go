// Package botpressemu emulates Botpress Cloud for integration tests and
// demos. It plays both of Botpress's roles:
//
//   - the caller: it sends every integration operation exactly as Botpress
//     Cloud does (context headers, base64 configuration, body shapes) and
//     relays requests arriving on the installation's webhook URL
//     (/webhook/<webhookId>/...) as webhook_received;
//   - the Runtime API: a token-checked in-memory implementation of the
//     /v1/chat endpoints an integration calls (users, conversations,
//     messages, events, states, configureIntegration), recording everything
//     for assertions, with wait helpers for asynchronous flows.
//
// A JSON control API under /_emulator/ drives it when it runs standalone
// (planbridge emulate botpress).
package botpressemu

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/planbridge/planbridge/botpress"
)

// Defaults for the emulated installation.
const (
	DefaultToken            = "bp-test-token"
	DefaultBotID            = "bot_0001"
	DefaultBotUserID        = "user_bot_0001"
	DefaultIntegrationID    = "intver_0001"
	DefaultIntegrationAlias = "planhat"
	DefaultWebhookID        = "wh_0001"
	DefaultIntegrationName  = "planhat"
)

type config struct {
	token            string
	botID            string
	botUserID        string
	integrationID    string
	integrationAlias string
	integrationName  string
	webhookID        string
	integrationURL   string
	configuration    json.RawMessage
	httpClient       *http.Client
	definition       *botpress.Definition
	pageSize         int
	maxBody          int64
	waitTimeout      time.Duration
	logger           *slog.Logger
	now              func() time.Time
}

// Option configures the emulator.
type Option func(*config)

// WithToken sets the bearer token the Runtime API accepts.
func WithToken(token string) Option { return func(c *config) { c.token = token } }

// WithBot sets the bot id and the bot's own user id.
func WithBot(botID, botUserID string) Option {
	return func(c *config) { c.botID, c.botUserID = botID, botUserID }
}

// WithIntegration sets the installation's integration id and alias.
func WithIntegration(id, alias string) Option {
	return func(c *config) { c.integrationID, c.integrationAlias = id, alias }
}

// WithIntegrationName sets the name put in conversation.integration.
func WithIntegrationName(name string) Option { return func(c *config) { c.integrationName = name } }

// WithWebhookID sets the installation's webhook id.
func WithWebhookID(id string) Option { return func(c *config) { c.webhookID = id } }

// WithIntegrationURL sets where operations go when a call names no URL and
// where webhook requests are relayed.
func WithIntegrationURL(u string) Option { return func(c *config) { c.integrationURL = u } }

// WithConfiguration sets the installation's configuration, used when a call
// passes a nil configuration and for relayed webhooks.
func WithConfiguration(cfg any) Option {
	return func(c *config) {
		if raw, err := marshalConfiguration(cfg); err == nil {
			c.configuration = raw
		}
	}
}

// WithHTTPClient sets the client used to call the integration.
func WithHTTPClient(hc *http.Client) Option { return func(c *config) { c.httpClient = hc } }

// WithDefinition makes the Runtime API enforce the definition: only
// declared event types, states (with their scope) and tag keys are accepted,
// as Botpress Cloud does.
func WithDefinition(def *botpress.Definition) Option { return func(c *config) { c.definition = def } }

// WithPageSize sets the page size of list endpoints (default 100).
func WithPageSize(n int) Option { return func(c *config) { c.pageSize = n } }

// WithWaitTimeout bounds the Wait helpers when the context has no deadline (default 5 s).
func WithWaitTimeout(d time.Duration) Option { return func(c *config) { c.waitTimeout = d } }

// WithLogger logs every Runtime API call and relayed operation.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithClock sets the time source for timestamps and state expiry.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// Server is the emulator. Its exported fields describe the emulated
// installation; read them, don't change them after start.
type Server struct {
	// URL is the emulator's base URL: the Runtime API (BP_API_URL), the
	// webhook host and the control API.
	URL              string
	Token            string
	BotID            string
	BotUserID        string
	IntegrationID    string
	IntegrationAlias string
	IntegrationName  string
	WebhookID        string

	cfg  config
	stop func() // closes the listener recorded by Attach
	mu   sync.Mutex
	st   *store
	tick chan struct{} // closed and replaced on every change, for waiters
}

// New returns an emulator that is not listening; serve Handler() and set URL.
func New(opts ...Option) *Server {
	c := config{
		token: DefaultToken, botID: DefaultBotID, botUserID: DefaultBotUserID,
		integrationID: DefaultIntegrationID, integrationAlias: DefaultIntegrationAlias,
		integrationName: DefaultIntegrationName, webhookID: DefaultWebhookID,
		configuration: json.RawMessage("{}"), pageSize: 100, maxBody: 1 << 20,
		waitTimeout: 5 * time.Second, now: time.Now,
	}
	for _, o := range opts {
		o(&c)
	}
	if c.httpClient == nil {
		c.httpClient = &http.Client{Timeout: 60 * time.Second}
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		Token: c.token, BotID: c.botID, BotUserID: c.botUserID,
		IntegrationID: c.integrationID, IntegrationAlias: c.integrationAlias,
		IntegrationName: c.integrationName, WebhookID: c.webhookID,
		cfg: c, tick: make(chan struct{}),
	}
	s.st = newStore()
	s.seedBotUser()
	return s
}

// Attach records where the emulator is served (URL) and what Close must
// call to stop that listener; call it once, before the Server is shared
// (botpresstest.NewServer does).
func (s *Server) Attach(url string, stop func()) {
	s.URL, s.stop = url, stop
}

// Close stops the listener recorded by Attach; without one it does nothing.
func (s *Server) Close() {
	if s.stop != nil {
		s.stop()
	}
}

// WebhookURL is the installation's webhook URL as sent in register.
func (s *Server) WebhookURL() string {
	return strings.TrimRight(s.URL, "/") + "/webhook/" + s.WebhookID
}

// ClientOptions returns Runtime API client options pointing at the
// emulator with the installation's ids and token.
func (s *Server) ClientOptions() botpress.ClientOptions {
	return botpress.ClientOptions{BaseURL: s.URL, Token: s.Token, BotID: s.BotID,
		IntegrationID: s.IntegrationID, IntegrationAlias: s.IntegrationAlias}
}

// Handler serves the Runtime API, the webhook host and the control API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.routeRuntime(mux)
	s.routeControl(mux)
	mux.HandleFunc("/webhook/{webhookID}/{path...}", s.handleWebhook)
	mux.HandleFunc("/webhook/{webhookID}", s.handleWebhook)
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
	})
	return mux
}

// changed wakes waiters; callers hold s.mu.
func (s *Server) changed() {
	close(s.tick)
	s.tick = make(chan struct{})
}

func (s *Server) seedBotUser() {
	now := s.stamp()
	s.st.addUser(&botpress.User{ID: s.BotUserID, Tags: map[string]string{}, Name: "Bot", CreatedAt: now, UpdatedAt: now})
}

func (s *Server) stamp() string { return s.cfg.now().UTC().Format(time.RFC3339Nano) }
