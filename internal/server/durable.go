package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/planbridge/planbridge/handoff"
	"github.com/planbridge/planbridge/httpapi"
	"github.com/planbridge/planbridge/integrations"
	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/readcache"
	"github.com/planbridge/planbridge/relay"
	"github.com/planbridge/planbridge/store"
)

// DurableOptions configure the durable engine: the outbox over a store and
// the relay that feeds it.
type DurableOptions struct {
	// Store holds the work; required. The caller closes it.
	Store store.Store
	// Outbox are the outbox's settings; Store, Logger and Observer are filled in.
	Outbox outbox.Options
	// Relay are the relay's settings; Store, Outbox, NewClient and Logger are filled in.
	Relay relay.Options
	// Limiters pace the delivery clients with every other client of the
	// same token; nil gives each delivery client the default pace of its own.
	Limiters *planhat.Limiters
	// ReadCache, when set, is told of every write the delivery clients make, so the reads
	// it answers never predate them.
	ReadCache *readcache.Cache
	// Policy guards the stored Planhat URLs the delivery clients connect to.
	Policy integrations.HostPolicy
	// Metrics, when set, counts deliveries and the delivery clients' calls.
	Metrics *httpapi.Metrics
	// OnDelivery, when set, is told of every finished delivery too (the
	// console's per-minute history).
	OnDelivery func(outbox.Delivery)
	// UserAgent is sent to Planhat.
	UserAgent string
	// Logger receives diagnostics; nil discards.
	Logger *slog.Logger
	// Handoff, when set, runs the Planfix hand-off engine over the same
	// store and outbox (Store, Outbox and Logger are filled in).
	Handoff *handoff.Options
}

// Durable is the running outbox and relay over one store.
type Durable struct {
	Store  store.Store
	Outbox *outbox.Outbox
	Relay  *relay.Relay
	// Handoff is nil unless DurableOptions.Handoff was set.
	Handoff *handoff.Engine
}

// NewDurable builds the outbox and the relay and registers the relay's
// deliverers; Run starts delivering.
func NewDurable(opts DurableOptions) (*Durable, error) {
	if opts.Store == nil {
		return nil, fmt.Errorf("server: DurableOptions.Store is required")
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	oo := opts.Outbox
	oo.Store, oo.Logger = opts.Store, logger
	if m, also := opts.Metrics, opts.OnDelivery; m != nil || also != nil {
		oo.Observer = func(d outbox.Delivery) {
			if m != nil {
				counts := make(map[string]int, len(d.Verdicts))
				for v, n := range d.Verdicts {
					counts[v.String()] = n
				}
				m.ObserveDelivery(d.Kind, counts, d.Duration)
			}
			if also != nil {
				also(d)
			}
		}
	}
	ob, err := outbox.New(oo)
	if err != nil {
		return nil, err
	}
	policy := opts.Policy
	if len(policy.Suffixes) == 0 {
		policy.Suffixes = []string{".planhat.com"}
	}
	newClient := func(c planhat.Credentials) (*planhat.Client, error) {
		// The stored URLs passed the host policy when they arrived; they
		// are checked again, and the policy's dialer checks every
		// connection, because the policy may have narrowed since.
		for _, raw := range []string{c.BaseURL, c.AnalyticsURL} {
			if raw == "" {
				continue
			}
			if _, err := policy.CheckURL(raw); err != nil {
				return nil, fmt.Errorf("the stored Planhat URL is no longer allowed: %w", err)
			}
		}
		fp := integrations.TokenFingerprint(c.Token)
		var lim *planhat.Limiter
		if opts.Limiters != nil && c.Token != "" {
			// Held for the life of the process: deliveries to a tenant go
			// on as long as the server runs.
			lim, _ = opts.Limiters.Acquire(c.Token, strings.TrimRight(c.BaseURL, "/"))
		}
		var wrap func(http.RoundTripper) http.RoundTripper
		if opts.Metrics != nil {
			wrap = func(rt http.RoundTripper) http.RoundTripper { return opts.Metrics.PlanhatTransport(rt, fp) }
		}
		return planhat.NewClient(planhat.Options{
			Token: c.Token, BaseURL: c.BaseURL, AnalyticsURL: c.AnalyticsURL, TenantToken: c.TenantToken, Auth: c.Auth,
			HTTPClient: policy.HTTPClient(wrap),
			Limiter:    lim,
			// Background work waits for the budget as long as it takes.
			MaxWait:   -1,
			ReadCache: opts.ReadCache.For(readcache.Scope(c.Token, strings.TrimRight(c.BaseURL, "/"))),
			UserAgent: opts.UserAgent,
			Logger:    logger.With("planhat_token", fp),
		})
	}
	ro := opts.Relay
	ro.Store, ro.Outbox, ro.NewClient, ro.Logger = opts.Store, ob, newClient, logger
	rl, err := relay.New(ro)
	if err != nil {
		return nil, err
	}
	for kind, d := range rl.Deliverers() {
		ob.Register(kind, d)
	}
	d := &Durable{Store: opts.Store, Outbox: ob, Relay: rl}
	if opts.Handoff != nil {
		ho := *opts.Handoff
		ho.Store, ho.Outbox, ho.Logger = opts.Store, ob, logger
		if d.Handoff, err = handoff.New(ho); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Run delivers until ctx ends; the channel closes when delivery has stopped.
func (d *Durable) Run(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if d.Handoff != nil {
			stopped := make(chan struct{})
			go func() { defer close(stopped); d.Handoff.Run(ctx) }()
			defer func() { <-stopped }()
		}
		_ = d.Outbox.Run(ctx)
	}()
	return done
}
