package cli

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/planbridge/planbridge/handoff"
	"github.com/planbridge/planbridge/httpapi"
	"github.com/planbridge/planbridge/integrations"
	"github.com/planbridge/planbridge/internal/server"
	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/readcache"
	"github.com/planbridge/planbridge/relay"
	"github.com/planbridge/planbridge/store"
)

// durableFlags are the settings of the store, the outbox and the relay.
type durableFlags struct {
	DB                 string        `name:"db" env:"PLANBRIDGE_DB" help:"The store: a SQLite file path (default planbridge.db; a temporary file in sandbox mode) or a postgres:// URL for several replicas."`
	DBSynchronous      string        `name:"db-synchronous" env:"PLANBRIDGE_DB_SYNCHRONOUS" default:"full" enum:"full,normal" help:"SQLite durability: full (an fsync per commit: survives power loss) or normal (survives a crash of planbridge, not of the machine)."`
	OutboxFlush        time.Duration `name:"outbox-flush-interval" env:"PLANBRIDGE_OUTBOX_FLUSH_INTERVAL" help:"Least time between two bulk deliveries of one kind to one Planhat tenant: work arriving meanwhile is coalesced (default 5s; 500ms in sandbox mode)."`
	OutboxMaxBacklog   int           `name:"outbox-max-backlog" env:"PLANBRIDGE_OUTBOX_MAX_BACKLOG" default:"200000" help:"Undelivered items beyond which new work is refused with 503 backlog_full; -1 for no bound."`
	OutboxRetention    time.Duration `name:"outbox-retention" env:"PLANBRIDGE_OUTBOX_RETENTION" default:"24h" help:"How long delivered and discarded items are kept before they are pruned."`
	OutboxMaxAttempts  int           `name:"outbox-max-attempts" env:"PLANBRIDGE_OUTBOX_MAX_ATTEMPTS" default:"25" help:"Deliveries an item gets before it becomes a dead letter (429 answers do not count)."`
	ConversationType   string        `name:"conversation-type" env:"PLANBRIDGE_CONVERSATION_TYPE" default:"Chatbot" help:"The Planhat conversation type of logged bot conversations; create it in Planhat first (an unknown type becomes note; email, chat, ticket and call are reserved)."`
	ConversationPrefix string        `name:"conversation-prefix" env:"PLANBRIDGE_CONVERSATION_PREFIX" default:"bot-" help:"Prefix of the externalId of logged conversations (prefix + the bot's conversation id)."`
	NoEngagement       bool          `name:"no-engagement" env:"PLANBRIDGE_NO_ENGAGEMENT" help:"Do not count logged conversations as the end user's activity."`
}

// durableDeps are what the durable engine shares with the rest of the server.
type durableDeps struct {
	Limiters  *planhat.Limiters
	ReadCache *readcache.Cache
	Policy    integrations.HostPolicy
	Metrics   *httpapi.Metrics
	Logger    *slog.Logger
	// Handoff, when set, runs the Planfix hand-off engine too.
	Handoff *handoff.Options
	// OnDelivery, when set, hears of every delivery (the console's history).
	OnDelivery func(outbox.Delivery)
}

// newDurable builds the outbox and relay over st; the caller runs the
// outbox and closes st.
func (f *durableFlags) newDurable(st store.Store, deps durableDeps) (*server.Durable, error) {
	if err := relay.CheckConversationType(f.ConversationType); err != nil {
		return nil, fmt.Errorf("PLANBRIDGE_CONVERSATION_TYPE (--conversation-type): %w", err)
	}
	return server.NewDurable(server.DurableOptions{
		Store: st,
		Outbox: outbox.Options{
			FlushInterval: f.OutboxFlush,
			MaxBacklog:    f.OutboxMaxBacklog,
			Retention:     f.OutboxRetention,
		},
		Relay: relay.Options{
			ConversationType: f.ConversationType, ExternalIDPrefix: f.ConversationPrefix,
			NoEngagement: f.NoEngagement, MaxAttempts: f.OutboxMaxAttempts,
		},
		Limiters:  deps.Limiters,
		ReadCache: deps.ReadCache,
		Policy:    deps.Policy,
		Metrics:   deps.Metrics,
		UserAgent: "planbridge/" + Version + " (outbox)",
		Logger:    deps.Logger,
		Handoff:   deps.Handoff,

		OnDelivery: deps.OnDelivery,
	})
}

// trustedOrigins are the operator's own Planhat URLs, which the delivery
// clients may reach whatever their address (the sandbox's loopback
// emulator, a self-hosted proxy).
func trustedOrigins(urls ...string) []string {
	var out []string
	for _, raw := range urls {
		if u, err := url.Parse(strings.TrimSpace(raw)); err == nil && u.Host != "" {
			out = append(out, u.Scheme+"://"+u.Host)
		}
	}
	return out
}

// deliverNow sends what a short-lived command queued, unless a server on
// the same store holds the delivery lease, and says on stderr which
// happened; a failure leaves the work queued for the next delivery.
func deliverNow(d *server.Durable, env *Env, db string) {
	ctx, cancel := context.WithTimeout(env.Ctx, 60*time.Second)
	defer cancel()
	held, err := d.Outbox.Drain(ctx)
	where := cmp.Or(db, defaultDB)
	switch {
	case err != nil:
		fmt.Fprintf(env.Stderr, "planbridge: stored in %s, but delivering it now failed (%v): a planbridge serve on the same PLANBRIDGE_DB will deliver it\n", where, err)
	case !held:
		fmt.Fprintf(env.Stderr, "planbridge: stored in %s; the planbridge serve running on it delivers it\n", where)
	default:
		n, _ := d.Store.Backlog(ctx)
		if n > 0 {
			fmt.Fprintf(env.Stderr, "planbridge: stored in %s; %d items wait for a retry (see planbridge outbox list --db %s)\n", where, n, where)
		}
	}
}
