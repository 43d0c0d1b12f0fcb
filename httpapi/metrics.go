package httpapi

import (
	"context"
	"github.com/planbridge/planbridge/actions"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is planbridge's Prometheus instrumentation on a private registry,
// so tests and several servers in one process never collide on the global
// one. Tokens appear only as the short fingerprints callers pass in.
type Metrics struct {
	registry *prometheus.Registry

	// tokenMu guards tokens, the fingerprints admitted as label values.
	tokenMu sync.Mutex
	tokens  map[string]bool

	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	actions         *prometheus.CounterVec
	actionDuration  *prometheus.HistogramVec
	planhatCalls    *prometheus.CounterVec
	planhat429      *prometheus.CounterVec
	planhatDuration *prometheus.HistogramVec

	deliveries       *prometheus.CounterVec
	deliveryDuration *prometheus.HistogramVec
	// outboxMu guards outbox, registered by the first ObserveOutbox.
	outboxMu sync.Mutex
	outbox   *outboxCollector
}

// OtherTokensLabel is the token label shared by every token seen after the
// first maxTokenLabels: tokens arrive with untrusted Botpress configurations,
// so their number must not decide how many series the registry holds.
const OtherTokensLabel = "other"

// maxTokenLabels bounds the distinct token fingerprints used as label values.
const maxTokenLabels = 256

// NewMetrics registers planbridge's collectors, plus the Go runtime and
// process ones, on a fresh registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		tokens:   make(map[string]bool),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "planbridge_http_requests_total",
			Help: "HTTP requests served, by route pattern and status code.",
		}, []string{"route", "code"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "planbridge_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route pattern.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12),
		}, []string{"route"}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "planbridge_actions_total",
			Help: "Action calls, by door (botpress, rest, cli), action name and outcome (ok or the error code).",
		}, []string{"door", "action", "outcome"}),
		actionDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "planbridge_action_duration_seconds",
			Help:    "Time to run an action, by door and action name.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12),
		}, []string{"door", "action"}),
		planhatCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "planbridge_planhat_requests_total",
			Help: "Requests sent to Planhat, by token fingerprint and status code (\"error\" when no response came back).",
		}, []string{"token", "code"}),
		planhat429: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "planbridge_planhat_rate_limited_total",
			Help: "Planhat 429 Too Many Requests answers, by token fingerprint.",
		}, []string{"token"}),
		planhatDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "planbridge_planhat_request_duration_seconds",
			Help:    "Round-trip time of requests to Planhat, by token fingerprint.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12),
		}, []string{"token"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "planbridge_outbox_deliveries_total",
			Help: "Outbox items delivered, by kind and outcome (delivered, retry, snoozed, isolated, dead).",
		}, []string{"kind", "outcome"}),
		deliveryDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "planbridge_outbox_delivery_seconds",
			Help:    "Time of one outbox delivery (one batch of items sent to a destination), by kind.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 12),
		}, []string{"kind"}),
	}
	m.registry.MustRegister(
		m.requests, m.requestDuration, m.actions, m.actionDuration,
		m.planhatCalls, m.planhat429, m.planhatDuration,
		m.deliveries, m.deliveryDuration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Registry exposes the private registry so tests can gather from it.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

func (m *Metrics) observeRequest(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.requestDuration.WithLabelValues(route).Observe(d.Seconds())
}

// ObserveAction records one action call; outcome is "ok" or the classified
// error code, so dashboards can tell user mistakes from Planhat trouble.
func (m *Metrics) ObserveAction(door, action, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.actions.WithLabelValues(door, action, outcome).Inc()
	m.actionDuration.WithLabelValues(door, action).Observe(d.Seconds())
}

// ActionObserver counts every action call of a registry under its door,
// action and outcome ("ok" or the error code); register it once with
// Registry.Observe.
func (m *Metrics) ActionObserver() actions.Observer {
	return func(_ context.Context, o actions.Outcome) {
		outcome := "ok"
		if o.Err != nil {
			outcome = string(o.Err.Code)
		}
		m.ObserveAction(o.Door, o.Action, outcome, o.Duration)
	}
}

// PlanhatTransport wraps base (http.DefaultTransport when nil) so every
// request to Planhat is counted under tokenLabel, a fingerprint of the token
// (never the token); past the first few hundred fingerprints, under
// OtherTokensLabel. The planhat package stays free of Prometheus: this is
// plugged in through its HTTPClient option.
func (m *Metrics) PlanhatTransport(base http.RoundTripper, tokenLabel string) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if m == nil {
		return base
	}
	tokenLabel = m.tokenLabel(tokenLabel)
	return &countingTransport{
		base:     base,
		calls:    m.planhatCalls.MustCurryWith(prometheus.Labels{"token": tokenLabel}),
		limited:  m.planhat429.WithLabelValues(tokenLabel),
		duration: m.planhatDuration.WithLabelValues(tokenLabel),
	}
}

// tokenLabel admits fp as a label value while fewer than maxTokenLabels
// tokens have been seen, and maps every later one to OtherTokensLabel.
func (m *Metrics) tokenLabel(fp string) string {
	m.tokenMu.Lock()
	defer m.tokenMu.Unlock()
	if m.tokens[fp] {
		return fp
	}
	if len(m.tokens) >= maxTokenLabels {
		return OtherTokensLabel
	}
	m.tokens[fp] = true
	return fp
}

type countingTransport struct {
	base     http.RoundTripper
	calls    *prometheus.CounterVec
	limited  prometheus.Counter
	duration prometheus.Observer
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	t.duration.Observe(time.Since(start).Seconds())
	if err != nil {
		t.calls.WithLabelValues("error").Inc()
		return resp, err
	}
	t.calls.WithLabelValues(strconv.Itoa(resp.StatusCode)).Inc()
	if resp.StatusCode == http.StatusTooManyRequests {
		t.limited.Inc()
	}
	return resp, nil
}
