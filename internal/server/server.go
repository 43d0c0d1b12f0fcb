// Package server wires planbridge's HTTP handler: the Planhat Botpress
// integration behind the Botpress door, the REST door, and the metrics
// both report to. planbridge serve and the end-to-end tests build their
// server here, so the tests exercise the wiring that runs in production;
// every setting in which they differ is an explicit option.
package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/httpapi"
	"github.com/planbridge/planbridge/integrations"
	"github.com/planbridge/planbridge/planhat"
)

// Options are the settings of one server; zero values mean the defaults of
// the package each setting is handed to.
type Options struct {
	// Registry holds the actions both doors expose; required.
	Registry *actions.Registry
	// Metrics counts requests, Planhat calls and action outcomes and is
	// served on /metrics; nil means a fresh set. Pass one when something
	// built outside (such as the REST door's own Planhat client) reports
	// to it too.
	Metrics *httpapi.Metrics
	// Logger receives access logs and diagnostics; nil discards.
	Logger *slog.Logger
	// Version appears in the OpenAPI document.
	Version string
	// UserAgent is sent to Planhat by the integration's clients.
	UserAgent string

	// Policy guards the Planhat URLs that arrive in Botpress configurations.
	Policy integrations.HostPolicy
	// DefaultAPIURL and DefaultAnalyticsURL are the operator's Planhat URLs,
	// used when a configuration names neither a region nor a URL.
	DefaultAPIURL       string
	DefaultAnalyticsURL string
	// PlanhatTimeout bounds each ordinary request to Planhat; 0 means the
	// planhat client's default.
	PlanhatTimeout time.Duration
	// RateLimit paces each token's calls; nil means planhat.DefaultRateLimit.
	RateLimit *planhat.RateLimit
	// Retry is the planhat clients' retry policy; nil means its default.
	Retry *planhat.RetryPolicy

	// Runtime is the Botpress Runtime API the integration emits events to.
	Runtime botpress.ClientOptions
	// MaxBodyBytes bounds Botpress door bodies; 0 means
	// botpress.DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// BotpressTimeout bounds each Botpress operation; 0 means no bound.
	BotpressTimeout time.Duration
	// BotpressSecret, when set, must be presented by Botpress on the door.
	BotpressSecret string

	// APIKeys are the keys the REST door accepts; none refuses every call.
	APIKeys *httpapi.APIKeys
	// ActionContext prepares the context of a REST action call; its error
	// answers 503 and must say what the operator should set.
	ActionContext func(context.Context) (context.Context, error)
}

// New builds the server's handler from opts.
func New(opts Options) (*httpapi.Server, error) {
	metrics := opts.Metrics
	if metrics == nil {
		metrics = httpapi.NewMetrics()
	}
	integration, err := integrations.NewPlanhat(integrations.PlanhatOptions{
		Registry:            opts.Registry,
		Policy:              opts.Policy,
		DefaultAPIURL:       opts.DefaultAPIURL,
		DefaultAnalyticsURL: opts.DefaultAnalyticsURL,
		Timeout:             opts.PlanhatTimeout,
		RateLimit:           opts.RateLimit,
		Retry:               opts.Retry,
		// Every installation's Planhat calls are counted under its token's
		// fingerprint, and every action under the door it came through.
		WrapTransport: metrics.PlanhatTransport,
		ObserveAction: func(action, outcome string, d time.Duration) {
			metrics.ObserveAction("botpress", action, outcome, d)
		},
		Logger:    opts.Logger,
		UserAgent: opts.UserAgent,
	})
	if err != nil {
		return nil, err
	}
	door := botpress.NewHandler(integration, botpress.HandlerOptions{
		Logger:       opts.Logger,
		Runtime:      opts.Runtime,
		MaxBodyBytes: opts.MaxBodyBytes,
		// The door logs under the request id of the server's access log,
		// so an operator can follow one operation through both.
		RequestID: httpapi.RequestID,
		Timeout:   opts.BotpressTimeout,
	})
	return httpapi.New(httpapi.Config{
		Logger:          opts.Logger,
		Metrics:         metrics,
		Registry:        opts.Registry,
		ActionContext:   opts.ActionContext,
		APIKeys:         opts.APIKeys,
		BotpressPlanhat: door,
		BotpressSecret:  opts.BotpressSecret,
		Version:         opts.Version,
	})
}
