// Package httpapi is planbridge's HTTP surface on one listener: the
// Botpress integration doors, the REST door over the action registry with
// its OpenAPI document, health and readiness probes and Prometheus metrics,
// behind middleware that gives every request an id, logs it without secrets,
// recovers panics, limits bodies and checks API keys.
package httpapi

import (
	"context"
	"fmt"
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

// Config wires the server from a list of doors. Every field has a safe
// zero value (no doors, no REST access without keys, metrics off).
type Config struct {
	// Logger receives access logs and errors; nil discards.
	Logger *slog.Logger
	// Metrics, when set, instruments every route and is served on /metrics.
	Metrics *Metrics
	// APIKeys are the keys routes with NeedsAPIKey accept; none means those
	// routes refuse every call (with a message saying how to configure keys).
	APIKeys *APIKeys
	// Doors are the front doors the server serves: the REST door, one
	// Botpress door per integration, and whatever comes next.
	Doors []Door
	// Ready reports whether dependencies are usable for /readyz; nil means
	// ready whenever the server is not shutting down.
	Ready func(context.Context) error
}

// Door is one front door: the routes it serves and, for the answer to an
// unknown path, a phrase saying how to reach it.
type Door struct {
	// Name identifies the door in errors, e.g. "rest" or "botpress/planhat".
	Name string
	// Hint completes the route-not-found message, e.g. "Botpress calls POST /botpress/planhat".
	Hint string
	// Routes are the door's patterns and handlers.
	Routes []Route
	// OpenAPIPaths are the OpenAPI entries of the routes, by path, for
	// the server's one document (server.New hands them to the REST door).
	OpenAPIPaths map[string]any
}

// Route is one pattern of a door.
type Route struct {
	// Pattern is a net/http ServeMux pattern, e.g. "POST /v1/actions/{name}".
	Pattern string
	// Handler serves it.
	Handler http.Handler
	// NeedsAPIKey puts the route behind Config.APIKeys.
	NeedsAPIKey bool
	// MaxBodyBytes, when positive, bounds the request body (413 beyond).
	MaxBodyBytes int64
}

// Server is the HTTP handler of planbridge serve.
type Server struct {
	handler  http.Handler
	draining atomic.Bool
	cfg      Config
}

// New builds the routes of every door plus the probes and /metrics. Two
// doors claiming one pattern are refused.
func New(cfg Config) (s *Server, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.APIKeys == nil {
		cfg.APIKeys = &APIKeys{}
	}
	s = &Server{cfg: cfg}
	mux := http.NewServeMux()
	defer func() {
		// ServeMux panics on a conflicting or malformed pattern; a door list
		// is configuration, so say which door caused it.
		if p := recover(); p != nil {
			s, err = nil, fmt.Errorf("httpapi: %v", p)
		}
	}()
	var hints []string
	for _, d := range cfg.Doors {
		if d.Hint != "" {
			hints = append(hints, d.Hint)
		}
		for _, rt := range d.Routes {
			if rt.Handler == nil {
				return nil, fmt.Errorf("httpapi: door %s: route %q has no handler", d.Name, rt.Pattern)
			}
			h := rt.Handler
			if rt.MaxBodyBytes > 0 {
				h = limitBody(rt.MaxBodyBytes, h)
			}
			if rt.NeedsAPIKey {
				h = requireAPIKey(cfg.APIKeys, h)
			}
			mux.Handle(rt.Pattern, h)
		}
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
	notFound := "No such endpoint."
	if len(hints) > 0 {
		notFound += " " + strings.Join(hints, "; ") + "."
	}
	s.handler = observe(muxErrorsAsJSON(mux, notFound), cfg.Logger, cfg.Metrics)
	return s, nil
}

// BotpressDoor serves a Botpress integration handler at /botpress/{name}
// (and below it, where a path-carried secret goes), behind the shared
// secret when one is set.
func BotpressDoor(name string, handler http.Handler, doorSecret string) Door {
	h := botpressDoor(name, doorSecret, handler)
	return Door{
		Name: "botpress/" + name,
		Hint: "Botpress calls POST /botpress/" + name,
		Routes: []Route{
			{Pattern: "/botpress/" + name, Handler: h},
			{Pattern: "/botpress/" + name + "/{rest...}", Handler: h},
		},
	}
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
func muxErrorsAsJSON(next http.Handler, notFound string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&muxErrorWriter{ResponseWriter: w, r: r, notFound: notFound}, r)
	})
}

type muxErrorWriter struct {
	http.ResponseWriter
	r        *http.Request
	notFound string
	replaced bool
}

func (m *muxErrorWriter) WriteHeader(code int) {
	if !m.replaced && m.r.Pattern == "" && (code == http.StatusMethodNotAllowed || code == http.StatusNotFound) {
		m.replaced = true
		m.Header().Del("Content-Type")
		m.Header().Del("X-Content-Type-Options")
		if code == http.StatusMethodNotAllowed {
			WriteError(m.ResponseWriter, m.r, actions.CodeMethodNotAllowed,
				"This endpoint does not accept "+m.r.Method+"; use "+m.Header().Get("Allow")+".")
			return
		}
		WriteError(m.ResponseWriter, m.r, actions.CodeRouteNotFound, m.notFound)
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
func botpressDoor(name, doorSecret string, next http.Handler) http.Handler {
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
					"Unauthorized: this planbridge server expects its shared secret; put it at the end of the integration URL (/botpress/"+name+"/YOUR_SECRET) or in the X-Planbridge-Secret header."))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
