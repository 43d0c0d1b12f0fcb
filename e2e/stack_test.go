package e2e_test

import (
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/botpress/botpressemu"
	"github.com/planbridge/planbridge/botpress/botpresstest"
	"github.com/planbridge/planbridge/httpapi"
	"github.com/planbridge/planbridge/integrations"
	"github.com/planbridge/planbridge/internal/server"
	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/planhat/planhatemu"
	"github.com/planbridge/planbridge/planhat/planhattest"
	"github.com/planbridge/planbridge/readcache"
	"github.com/planbridge/planbridge/store"
	"github.com/planbridge/planbridge/store/sqlitestore"
)

// doorSecret is the Botpress door's shared secret in every stack.
const doorSecret = "door-secret-0123456789"

// webhookSecret is the integration configuration's webhook secret.
const webhookSecret = "webhook-secret-0123456789"

// apiKey is the REST door's key in every stack.
const apiKey = "e2e-api-key"

// stack is one complete deployment: Planhat emulator ← planbridge server ←
// Botpress emulator, all on loopback.
type stack struct {
	planhat  *planhatemu.Server
	bp       *botpressemu.Server
	url      string // planbridge base URL
	door     string // the Botpress door URL including the secret
	reg      *actions.Registry
	config   map[string]any // a good Botpress configuration
	phClient *planhat.Client
	durable  *server.Durable
	// startDelivery starts the outbox of a stack built withManualDelivery.
	startDelivery func()
}

// deliver waits until the stack's outbox (flushing every 20 ms) has
// delivered everything the relay stored.
func (s *stack) deliver(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, err := s.durable.Store.Backlog(context.Background())
		if err != nil {
			tb.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d items still undelivered after 20 s", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type stackOptions struct {
	restToken string
	planhat   []planhatemu.Option
	timeout   time.Duration
	logger    *slog.Logger
	openStore func(testing.TB) store.Store
	outbox    outbox.Options
	// deliveryRate paces the outbox's Planhat clients; nil leaves each
	// the default pace of its own.
	deliveryRate *planhat.RateLimit
	// manualDelivery leaves the outbox stopped until stack.startDelivery.
	manualDelivery bool
	budget         *planhat.RateLimit // nil: fastLimits
	cache          *readcache.Cache
	maxWait        time.Duration
}

// withBudget paces the Botpress installations' Planhat calls with rl and bounds an
// interactive wait by maxWait, as serve does.
func withBudget(rl planhat.RateLimit, maxWait time.Duration) stackOption {
	return func(o *stackOptions) { o.budget, o.maxWait = &rl, maxWait }
}

// withReadCache gives the Botpress installations the read cache c.
func withReadCache(c *readcache.Cache) stackOption {
	return func(o *stackOptions) { o.cache = c }
}

// withStore replaces the stack's SQLite store (synchronous=NORMAL).
func withStore(open func(testing.TB) store.Store) stackOption {
	return func(o *stackOptions) { o.openStore = open }
}

// withOutbox replaces the outbox's settings (without a flush or poll
// interval it flushes and polls every 20 ms).
func withOutbox(opts outbox.Options) stackOption {
	return func(o *stackOptions) { o.outbox = opts }
}

// withDeliveryRate paces the outbox's Planhat calls with one budget.
func withDeliveryRate(rl planhat.RateLimit) stackOption {
	return func(o *stackOptions) { o.deliveryRate = &rl }
}

// withManualDelivery keeps the outbox stopped until startDelivery, so a
// backlog can be built first.
func withManualDelivery() stackOption {
	return func(o *stackOptions) { o.manualDelivery = true }
}

func withLogger(l *slog.Logger) stackOption {
	return func(o *stackOptions) { o.logger = l }
}

// withRESTToken gives the server's own Planhat client (the REST door's)
// another token than the emulator's.
func withRESTToken(token string) stackOption {
	return func(o *stackOptions) { o.restToken = token }
}

func withTimeout(d time.Duration) stackOption {
	return func(o *stackOptions) { o.timeout = d }
}

type stackOption func(*stackOptions)

func withPlanhat(opts ...planhatemu.Option) stackOption {
	return func(o *stackOptions) { o.planhat = append(o.planhat, opts...) }
}

// fastLimits keeps the planhat client from pacing or backing off for long:
// tests exercise the code paths, not the wall clock.
var (
	fastLimits = &planhat.RateLimit{Requests: 1_000_000, Window: time.Second, Burst: 100_000, PerSecond: 1_000_000, MaxInFlight: 1000, Cooldown: time.Millisecond}
	fastRetry  = &planhat.RetryPolicy{MaxRetries: 2, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, MaxRetryAfter: 5 * time.Millisecond}
)

func newStack(tb testing.TB, opts ...stackOption) *stack {
	tb.Helper()
	o := stackOptions{logger: slog.New(slog.DiscardHandler)}
	for _, f := range opts {
		f(&o)
	}
	ph := planhattest.NewServer(tb, append([]planhatemu.Option{planhatemu.WithSeed(4), planhatemu.WithRateLimit(0, 0)}, o.planhat...)...)
	reg, err := actions.PlanhatRegistry()
	if err != nil {
		tb.Fatal(err)
	}
	def, err := integrations.PlanhatDefinition(reg, "")
	if err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(nil)
	base := "http://" + hs.Listener.Addr().String()
	door := base + "/botpress/planhat/" + doorSecret
	config := map[string]any{
		"apiToken": ph.Token, "apiUrl": ph.URL, "analyticsUrl": ph.AnalyticsURL,
		"tenantToken": ph.Tenant, "webhookSecret": webhookSecret,
	}
	bp := botpresstest.NewServer(tb, botpressemu.WithDefinition(def), botpressemu.WithIntegrationName("planhat"),
		botpressemu.WithIntegrationURL(door), botpressemu.WithConfiguration(config))

	phClient, err := planhat.NewClient(planhat.Options{Token: cmp.Or(o.restToken, ph.Token), BaseURL: ph.URL, AnalyticsURL: ph.AnalyticsURL,
		TenantToken: ph.Tenant, RateLimit: fastLimits, Retry: fastRetry})
	if err != nil {
		tb.Fatal(err)
	}
	// The production wiring with the stack's own settings: every
	// emulator on loopback, fast Planhat pacing, the Botpress door's
	// default body limit and no bound on a Botpress operation (withTimeout
	// bounds each Planhat request instead).
	var st store.Store
	if o.openStore != nil {
		st = o.openStore(tb)
	} else {
		sq, err := sqlitestore.Open(context.Background(), filepath.Join(tb.TempDir(), "e2e.db"), sqlitestore.Options{Synchronous: "NORMAL"})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { sq.Close() })
		st = sq
	}
	obOpts := o.outbox
	if obOpts.FlushInterval == 0 && obOpts.PollInterval == 0 {
		obOpts.FlushInterval, obOpts.PollInterval = 20*time.Millisecond, 20*time.Millisecond
	}
	var limiters *planhat.Limiters
	if o.deliveryRate != nil {
		limiters = planhat.NewLimiters(*o.deliveryRate)
	}
	dur, err := server.NewDurable(server.DurableOptions{Store: st, Policy: integrations.HostPolicy{AllowLoopback: true}, Logger: o.logger,
		Outbox: obOpts, Limiters: limiters})
	if err != nil {
		tb.Fatal(err)
	}
	startDelivery := func() {
		ctx, stop := context.WithCancel(context.Background())
		delivering := dur.Run(ctx)
		tb.Cleanup(func() { stop(); <-delivering })
	}
	if !o.manualDelivery {
		startDelivery()
	}
	srv, err := server.New(server.Options{
		Registry: reg,
		Logger:   o.logger,
		Version:  "e2e",
		Doors:    []httpapi.Door{httpapi.AdminDoor(st, httpapi.AdminOptions{Logger: o.logger})},
		Planhat: integrations.PlanhatOptions{
			Relay:     dur.Relay,
			Policy:    integrations.HostPolicy{AllowLoopback: true},
			Timeout:   o.timeout,
			RateLimit: cmp.Or(o.budget, fastLimits),
			Retry:     fastRetry,
			ReadCache: o.cache,
			MaxWait:   o.maxWait,
		},
		Botpress: server.Botpress{
			Runtime:      botpress.ClientOptions{BaseURL: bp.URL, Token: bp.Token, MaxRetries: -1},
			MaxBodyBytes: botpress.DefaultMaxBodyBytes,
			Timeout:      0,
			Secret:       doorSecret,
		},
		APIKeys: httpapi.ParseAPIKeys(apiKey),
		REST:    actions.Deps{Planhat: phClient, Relay: dur.Relay},
	})
	if err != nil {
		tb.Fatal(err)
	}
	hs.Config.Handler = srv
	hs.Start()
	tb.Cleanup(hs.Close)
	return &stack{planhat: ph, bp: bp, url: base, door: door, reg: reg, config: config, phClient: phClient, durable: dur, startDelivery: startDelivery}
}

// configWith returns the good configuration with some fields replaced
// (a nil value deletes the field).
func (s *stack) configWith(changes map[string]any) map[string]any {
	c := make(map[string]any, len(s.config))
	for k, v := range s.config {
		c[k] = v
	}
	for k, v := range changes {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// action calls an action through the Botpress emulator with the good
// configuration.
func (s *stack) action(t testing.TB, name string, input any) *botpressemu.Response {
	t.Helper()
	resp, err := s.bp.CallAction(context.Background(), "", s.config, name, input)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// output calls an action that must succeed and returns its output object.
func (s *stack) output(t testing.TB, name string, input any) map[string]any {
	t.Helper()
	resp := s.action(t, name, input)
	var out map[string]any
	if err := resp.Output(&out); err != nil {
		t.Fatalf("%s(%v): %v", name, input, err)
	}
	return out
}

// apiError asserts a failed answer with the given status and Botpress type.
func apiError(t testing.TB, resp *botpressemu.Response, status int, typ string) *botpress.Error {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("status = %d, want %d; body %s", resp.Status, status, resp.Body)
	}
	e := resp.APIError()
	if e == nil {
		t.Fatalf("answer is not Botpress error JSON: %s", resp.Body)
	}
	if e.Type != typ {
		t.Errorf("type = %q, want %q (%s)", e.Type, typ, e.Message)
	}
	return e
}

// firstID returns the _id of the first seeded record of a collection.
func (s *stack) firstID(t testing.TB, collection string) string {
	t.Helper()
	objs := s.planhat.Objects(collection)
	if len(objs) == 0 {
		t.Fatalf("emulator has no %s", collection)
	}
	id, _ := objs[0]["_id"].(string)
	return id
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func idOf(out map[string]any) string {
	for _, k := range []string{"id", "_id"} {
		if s, ok := out[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}
