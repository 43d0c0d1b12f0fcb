// Package httpapi is planbridge's HTTP surface on one listener: the
// Botpress integration doors, the REST door over the action registry with
// its OpenAPI document, health and readiness probes and Prometheus metrics,
// behind middleware that gives every request an id, logs it without secrets,
// recovers panics, limits bodies and checks API keys.
package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/internal/secret"
)

// DefaultMaxBodyBytes bounds REST bodies unless Config says otherwise; it
// fits a full 5,000-item bulk upsert.
const DefaultMaxBodyBytes = 8 << 20

// BotpressSecretHeader carries the Botpress door's shared secret when it is
// not in the path; set it on the integration's URL in Botpress or in a proxy.
const BotpressSecretHeader = "X-Planbridge-Secret"

// Config wires the server. Registry is required; every other field has a
// safe zero value (no Botpress door, no REST access without keys, metrics
// off).
type Config struct {
	// Logger receives access logs and errors; nil discards.
	Logger *slog.Logger
	// Metrics, when set, instruments every route and is served on /metrics.
	Metrics *Metrics
	// Registry holds the actions of the REST door.
	Registry *actions.Registry
	// ActionContext prepares the context of a REST action call, e.g. with
	// actions.WithPlanhat and the server's configured client. An error
	// (e.g. no Planhat token configured) answers 503 not_configured with the
	// error's text, which must say what the operator should set.
	ActionContext func(context.Context) (context.Context, error)
	// APIKeys are the keys the REST door accepts; none means the door
	// refuses every call (with a message saying how to configure keys).
	APIKeys *APIKeys
	// BotpressPlanhat serves the planhat integration (botpress.NewHandler).
	BotpressPlanhat http.Handler
	// BotpressSecret, when set, must be presented by Botpress either as the
	// path segment after the door (/botpress/planhat/{secret}) or in the
	// X-Planbridge-Secret header.
	BotpressSecret string
	// MaxBodyBytes bounds REST bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Version appears in the OpenAPI document.
	Version string
	// Ready reports whether dependencies are usable for /readyz; nil means
	// ready whenever the server is not shutting down.
	Ready func(context.Context) error
}

func (c *Config) maxBody() int64 {
	if c.MaxBodyBytes > 0 {
		return c.MaxBodyBytes
	}
	return DefaultMaxBodyBytes
}

// Server is the HTTP handler of planbridge serve.
type Server struct {
	handler  http.Handler
	draining atomic.Bool
	cfg      Config
}

// New builds the routes of DESIGN.md.
func New(cfg Config) (*Server, error) {
	if cfg.Registry == nil {
		return nil, errors.New("httpapi: Config.Registry is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.APIKeys == nil {
		cfg.APIKeys = &APIKeys{}
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	doc, err := OpenAPI(cfg.Registry, cfg.Version)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg}
	rest := &restDoor{cfg: &s.cfg}
	mux := http.NewServeMux()

	mux.Handle("POST /v1/actions/{name}", requireAPIKey(cfg.APIKeys, limitBody(cfg.maxBody(), http.HandlerFunc(rest.call))))
	mux.Handle("GET /v1/actions", requireAPIKey(cfg.APIKeys, http.HandlerFunc(rest.list)))
	mux.Handle("GET /openapi.json", openAPIHandler(doc))

	if cfg.BotpressPlanhat != nil {
		door := botpressDoor(cfg.BotpressSecret, cfg.BotpressPlanhat)
		mux.Handle("/botpress/planhat", door)
		mux.Handle("/botpress/planhat/{rest...}", door)
	}

	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		// The Botpress SDK answers exactly this: 200, "ok".
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok")
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	if cfg.Metrics != nil {
		mux.Handle("GET /metrics", cfg.Metrics.Handler())
	}
	s.handler = observe(muxErrorsAsJSON(mux), cfg.Logger, cfg.Metrics)
	return s, nil
}

// ServeHTTP serves every route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Drain makes /readyz fail so load balancers stop sending new requests
// while in-flight ones finish; serve calls it when shutting down.
func (s *Server) Drain() { s.draining.Store(true) }

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "draining"})
		return
	}
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(r.Context()); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": err.Error()})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// muxErrorsAsJSON rewrites the ServeMux's own plain-text answers (404 for
// an unknown path, 405 with Allow for a wrong method) into the REST error
// JSON. Only unmatched requests (no r.Pattern) are touched, so handlers'
// own 404s pass through.
func muxErrorsAsJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&muxErrorWriter{ResponseWriter: w, r: r}, r)
	})
}

type muxErrorWriter struct {
	http.ResponseWriter
	r        *http.Request
	replaced bool
}

func (m *muxErrorWriter) WriteHeader(code int) {
	if !m.replaced && m.r.Pattern == "" && (code == http.StatusMethodNotAllowed || code == http.StatusNotFound) {
		m.replaced = true
		m.Header().Del("Content-Type")
		m.Header().Del("X-Content-Type-Options")
		if code == http.StatusMethodNotAllowed {
			WriteError(m.ResponseWriter, m.r, code, CodeMethodNotAllowed,
				"This endpoint does not accept "+m.r.Method+"; use "+m.Header().Get("Allow")+".")
			return
		}
		WriteError(m.ResponseWriter, m.r, code, CodeRouteNotFound,
			"No such endpoint. The REST door is POST /v1/actions/{name} (GET /v1/actions lists actions, GET /openapi.json describes them); Botpress calls POST /botpress/planhat.")
		return
	}
	m.ResponseWriter.WriteHeader(code)
}

func (m *muxErrorWriter) Write(b []byte) (int, error) {
	if m.replaced {
		return len(b), nil
	}
	return m.ResponseWriter.Write(b)
}

func (m *muxErrorWriter) Unwrap() http.ResponseWriter { return m.ResponseWriter }

// botpressDoor checks the shared secret, when one is configured, before
// handing the request to the integration handler. A wrong secret answers
// like the SDK's signature check would: 401 {"error":"Unauthorized"}.
// GET …/health stays open so probes need no secret, but only as a probe:
// the handler runs any request that names an x-bp-operation as that
// operation, whatever its method and path, so such a request needs the
// secret too.
func botpressDoor(doorSecret string, next http.Handler) http.Handler {
	want := secret.NewSet(doorSecret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		probe := r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/health") && r.Header.Get(botpress.HeaderOperation) == ""
		if doorSecret != "" && !probe {
			got, _, _ := strings.Cut(r.PathValue("rest"), "/")
			if h := r.Header.Get(BotpressSecretHeader); h != "" {
				got = h
			}
			if !want.Match(got) {
				botpress.WriteError(w, botpress.NewError(http.StatusUnauthorized, botpress.TypeUnauthorized,
					"Unauthorized: this planbridge server expects its shared secret; put it at the end of the integration URL (/botpress/planhat/<secret>) or in the X-Planbridge-Secret header."))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
