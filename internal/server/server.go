// Package server composes planbridge's HTTP handler from its doors: the
// REST door, one Botpress door per integration, and any door the caller
// adds. planbridge serve and the end-to-end tests build their server here,
// so the tests exercise the wiring that runs in production; every setting
// in which they differ is an explicit option.
package server

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/httpapi"
	"github.com/planbridge/planbridge/integrations"
)

// Options are the settings of one server; zero values mean the defaults of
// the package each setting is handed to.
type Options struct {
	// Registry holds the actions every door exposes; required.
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

	// APIKeys are the keys the REST door accepts; none refuses every call.
	APIKeys *httpapi.APIKeys
	// REST are the dependencies of REST calls: the server's own Planhat
	// client, when PLANHAT_TOKEN is set.
	REST actions.Deps

	// Botpress are the settings every Botpress door shares.
	Botpress Botpress
	// Planhat are the planhat integration's own settings; its Registry,
	// Logger and WrapTransport are filled in by New.
	Planhat integrations.PlanhatOptions

	// Planfix, when set, serves the planfix integration (Botpress's HITL
	// interface over Planfix) on /botpress/planfix.
	Planfix *integrations.PlanfixOptions

	// Doors are served after the built-in ones (REST, Botpress planhat).
	Doors []httpapi.Door
}

// Botpress are the settings shared by every Botpress integration door.
type Botpress struct {
	// Runtime is the Botpress Runtime API integrations emit events to.
	Runtime botpress.ClientOptions
	// MaxBodyBytes bounds Botpress door bodies; 0 means
	// botpress.DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Timeout bounds each Botpress operation; 0 means no bound.
	Timeout time.Duration
	// Secret, when set, must be presented by Botpress on every door.
	Secret string
}

// door serves one integration through the Botpress protocol.
func (b Botpress) door(name string, integration botpress.Integration, logger *slog.Logger) httpapi.Door {
	h := botpress.NewHandler(integration, botpress.HandlerOptions{
		Logger:       logger,
		Runtime:      b.Runtime,
		MaxBodyBytes: b.MaxBodyBytes,
		// The door logs under the request id of the server's access log,
		// so an operator can follow one operation through both.
		RequestID: httpapi.RequestID,
		Timeout:   b.Timeout,
	})
	return httpapi.BotpressDoor(name, h, b.Secret)
}

// New builds the server's handler from opts. It refuses a registry whose
// actions need a dependency no door can provide; REST calls of actions
// whose needs opts.REST lacks answer not_configured (serve warns of that
// at start-up, where it knows which setting is missing).
func New(opts Options) (*httpapi.Server, error) {
	if opts.Registry == nil {
		return nil, errors.New("server: Options.Registry is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	metrics := opts.Metrics
	if metrics == nil {
		metrics = httpapi.NewMetrics()
	}
	// Every call through every door is counted under its door and outcome.
	opts.Registry.Observe(metrics.ActionObserver())
	opts.Registry.SetLogger(opts.Logger)

	// The Botpress planhat door builds a Planhat client for every
	// installation, so it provides whatever the Planhat actions need, and
	// the relay when the server has a store.
	provided := actions.NeedPlanhat
	if opts.Planhat.Relay != nil {
		provided |= actions.NeedRelay
	}
	if unmet := opts.Registry.Unmet(provided); len(unmet) > 0 {
		return nil, fmt.Errorf("server: no door provides what %s needs (%s): give the server a store (Options.Planhat.Relay)", unmet[0].Name, unmet[0].Needs&^provided)
	}

	var paths []map[string]any
	for _, d := range opts.Doors {
		if d.OpenAPIPaths != nil {
			paths = append(paths, d.OpenAPIPaths)
		}
	}
	rest, err := httpapi.REST(httpapi.RESTOptions{Registry: opts.Registry, Deps: opts.REST, Version: opts.Version, Logger: opts.Logger, Paths: paths})
	if err != nil {
		return nil, err
	}

	ph := opts.Planhat
	ph.Registry = opts.Registry
	ph.Logger = opts.Logger
	// Every installation's Planhat calls are counted under its token's
	// fingerprint.
	ph.WrapTransport = metrics.PlanhatTransport
	planhatIntegration, err := integrations.NewPlanhat(ph)
	if err != nil {
		return nil, err
	}

	doors := []httpapi.Door{rest, opts.Botpress.door(integrations.PlanhatName, planhatIntegration, opts.Logger)}
	if opts.Planfix != nil {
		pf := *opts.Planfix
		pf.Logger = opts.Logger
		planfixIntegration, err := integrations.NewPlanfix(pf)
		if err != nil {
			return nil, err
		}
		doors = append(doors, opts.Botpress.door(integrations.PlanfixName, planfixIntegration, opts.Logger))
	}
	doors = append(doors, opts.Doors...)
	return httpapi.New(httpapi.Config{
		Logger:  opts.Logger,
		Metrics: metrics,
		APIKeys: opts.APIKeys,
		Doors:   doors,
	})
}
