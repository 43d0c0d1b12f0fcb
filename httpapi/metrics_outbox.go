package httpapi

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/planbridge/planbridge/internal/outboxadmin"
	"github.com/planbridge/planbridge/store"
	"github.com/prometheus/client_golang/prometheus"
)

// Outbox statistics are read from the store at most once per
// outboxStatsTTL, however many scrapers there are, and a read taking longer
// than outboxStatsTimeout is given up so a slow database never hangs /metrics.
const (
	outboxStatsTTL     = time.Second
	outboxStatsTimeout = 2 * time.Second
)

// maxBacklogGroups bounds the destination and kind pairs of
// planbridge_outbox_backlog: destinations come from untrusted Botpress
// configurations, so their number must not decide how many series there are.
const maxBacklogGroups = 256

// ObserveOutbox exposes the outbox of st on /metrics, read on scrape:
// planbridge_outbox_items{state}, planbridge_outbox_dead_letters,
// planbridge_outbox_oldest_pending_seconds, planbridge_outbox_backlog{dest,kind}
// and planbridge_outbox_store_up. Calling it again switches to another store.
func (m *Metrics) ObserveOutbox(st store.Store) {
	if m == nil {
		return
	}
	m.outboxMu.Lock()
	defer m.outboxMu.Unlock()
	if m.outbox != nil {
		m.outbox.setStore(st)
		return
	}
	m.outbox = newOutboxCollector(st)
	m.registry.MustRegister(m.outbox)
}

// ObserveDelivery records one outbox delivery of kind: verdicts maps each
// verdict's name (delivered, retry, snoozed, isolated, dead) to how many
// items got it, and d is how long the delivery took. The outbox engine
// feeds it from its delivery observer.
func (m *Metrics) ObserveDelivery(kind string, verdicts map[string]int, d time.Duration) {
	if m == nil {
		return
	}
	for outcome, n := range verdicts {
		if n > 0 {
			m.deliveries.WithLabelValues(kind, outcome).Add(float64(n))
		}
	}
	m.deliveryDuration.WithLabelValues(kind).Observe(d.Seconds())
}

// outboxCollector reads the store's statistics when scraped, caching them
// (and failures) for ttl.
type outboxCollector struct {
	items, dead, oldest, backlog, up *prometheus.Desc

	now     func() time.Time
	ttl     time.Duration
	timeout time.Duration

	// mu serialises scrapes, so concurrent ones share one store read.
	mu     sync.Mutex
	st     store.Store
	readAt time.Time
	stats  store.Stats
	err    error
}

func newOutboxCollector(st store.Store) *outboxCollector {
	return &outboxCollector{
		items: prometheus.NewDesc("planbridge_outbox_items",
			"Outbox items, by state.", []string{"state"}, nil),
		dead: prometheus.NewDesc("planbridge_outbox_dead_letters",
			"Dead outbox items: they failed every attempt and wait for an operator (planbridge outbox retry or discard).", nil, nil),
		oldest: prometheus.NewDesc("planbridge_outbox_oldest_pending_seconds",
			"Age of the oldest available or running outbox item (0 when there is none).", nil, nil),
		backlog: prometheus.NewDesc("planbridge_outbox_backlog",
			"Available and running outbox items, by destination fingerprint and kind (past 256 pairs, the rest count under dest=\"other\").", []string{"dest", "kind"}, nil),
		up: prometheus.NewDesc("planbridge_outbox_store_up",
			"1 when the outbox statistics could be read from the store at the last scrape, 0 when that failed or timed out (the other outbox gauges are then absent).", nil, nil),
		now:     time.Now,
		ttl:     outboxStatsTTL,
		timeout: outboxStatsTimeout,
		st:      st,
	}
}

func (c *outboxCollector) setStore(st store.Store) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.st, c.readAt = st, time.Time{}
}

// Describe sends the descriptions of every outbox metric.
func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.items, c.dead, c.oldest, c.backlog, c.up} {
		ch <- d
	}
}

// Collect reads (or reuses) the statistics and sends the gauges.
func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	now := c.now()
	if c.readAt.IsZero() || now.Sub(c.readAt) >= c.ttl || now.Before(c.readAt) {
		ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		c.stats, c.err = c.st.Stats(ctx)
		cancel()
		c.readAt = now
	}
	stats, err := c.stats, c.err
	c.mu.Unlock()

	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	view := outboxadmin.NewStats(stats, now)
	for state, n := range view.ByState {
		ch <- prometheus.MustNewConstMetric(c.items, prometheus.GaugeValue, float64(n), string(state))
	}
	ch <- prometheus.MustNewConstMetric(c.dead, prometheus.GaugeValue, float64(view.DeadLetters))
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, view.OldestPendingSeconds)
	for _, g := range backlogSeries(stats.Groups) {
		ch <- prometheus.MustNewConstMetric(c.backlog, prometheus.GaugeValue, float64(g.n), g.dest, g.kind)
	}
}

type backlogPoint struct {
	dest, kind string
	n          int
}

// backlogSeries sums the groups' backlogs per destination and kind,
// keeping the maxBacklogGroups largest pairs and adding the rest up per
// kind under OtherTokensLabel.
func backlogSeries(groups []store.GroupStats) []backlogPoint {
	type key struct{ dest, kind string }
	sums := make(map[key]int, len(groups))
	for _, g := range groups {
		sums[key{g.Dest, g.Kind}] += g.Available + g.Running
	}
	points := make([]backlogPoint, 0, len(sums))
	for k, n := range sums {
		points = append(points, backlogPoint{k.dest, k.kind, n})
	}
	slices.SortFunc(points, func(a, b backlogPoint) int {
		return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.dest, b.dest), cmp.Compare(a.kind, b.kind))
	})
	if len(points) <= maxBacklogGroups {
		return points
	}
	other := map[string]int{}
	for _, p := range points[maxBacklogGroups:] {
		other[p.kind] += p.n
	}
	points = points[:maxBacklogGroups]
	for i, p := range points {
		// Fingerprints are hex, but a destination literally named "other"
		// must not make a second series with the same labels.
		if n, ok := other[p.kind]; ok && p.dest == OtherTokensLabel {
			points[i].n += n
			delete(other, p.kind)
		}
	}
	for kind, n := range other {
		points = append(points, backlogPoint{OtherTokensLabel, kind, n})
	}
	return points
}
