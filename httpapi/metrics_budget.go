package httpapi

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/readcache"
)

// ObserveBudget exposes each token's Planhat budget and the read cache on /metrics, read on
// scrape, and counts every call's wait for the budget. Call it once, before the first
// client takes a limiter from lims; either argument may be nil.
//
//   - planbridge_planhat_budget_calls_per_minute{token}: the budget in force (lowered when
//     Planhat's X-Rate-Limit-Limit asks for less);
//   - planbridge_planhat_budget_available{token}: calls that could go at once;
//   - planbridge_planhat_budget_reported_remaining{token}: Planhat's X-Rate-Limit-Remaining;
//   - planbridge_planhat_budget_waiting{token,priority}: callers queued;
//   - planbridge_planhat_budget_wait_seconds{priority} and
//     planbridge_planhat_budget_refused_total{priority}: waits, and calls refused at their bound;
//   - planbridge_read_cache_{hits,negative_hits,misses,coalesced,evictions,invalidations}_total,
//     planbridge_read_cache_stale_total{reason} (rate_limited, revalidating),
//     planbridge_read_cache_bytes and planbridge_read_cache_entries.
//
// 429s are planbridge_planhat_rate_limited_total{token}, counted by PlanhatTransport.
func (m *Metrics) ObserveBudget(lims *planhat.Limiters, cache *readcache.Cache) {
	if m == nil {
		return
	}
	if lims != nil {
		wait := prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "planbridge_planhat_budget_wait_seconds",
			Help:    "How long Planhat calls waited for their token's budget, by priority.",
			Buckets: []float64{0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 15, 60},
		}, []string{"priority"})
		refused := prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "planbridge_planhat_budget_refused_total",
			Help: "Planhat calls not sent because their wait for the budget would exceed their bound, by priority.",
		}, []string{"priority"})
		for _, p := range []planhat.Priority{planhat.Interactive, planhat.Background} {
			wait.WithLabelValues(p.String())
			refused.WithLabelValues(p.String())
		}
		m.registry.MustRegister(wait, refused)
		lims.OnWait(func(w planhat.WaitInfo) {
			if w.Refused {
				refused.WithLabelValues(w.Priority.String()).Inc()
				return
			}
			wait.WithLabelValues(w.Priority.String()).Observe(w.Wait.Seconds())
		})
	}
	m.registry.MustRegister(&budgetCollector{m: m, lims: lims, cache: cache})
}

var (
	budgetPerMinuteDesc = prometheus.NewDesc("planbridge_planhat_budget_calls_per_minute",
		"The Planhat calls per minute a token may make (0 when unpaced).", []string{"token"}, nil)
	budgetAvailableDesc = prometheus.NewDesc("planbridge_planhat_budget_available",
		"Planhat calls a token could make at once now.", []string{"token"}, nil)
	budgetRemainingDesc = prometheus.NewDesc("planbridge_planhat_budget_reported_remaining",
		"The X-Rate-Limit-Remaining Planhat last reported for a token (absent until it does).", []string{"token"}, nil)
	budgetWaitingDesc = prometheus.NewDesc("planbridge_planhat_budget_waiting",
		"Planhat calls queued for their token's budget, by priority.", []string{"token", "priority"}, nil)

	cacheCounterDescs = map[string]*prometheus.Desc{}
	cacheStaleDesc    = prometheus.NewDesc("planbridge_read_cache_stale_total",
		"Reads answered past their TTL: rate_limited (the refresh was refused), revalidating (while it ran).", []string{"reason"}, nil)
	cacheBytesDesc   = prometheus.NewDesc("planbridge_read_cache_bytes", "Memory the read cache's answers take.", nil, nil)
	cacheEntriesDesc = prometheus.NewDesc("planbridge_read_cache_entries", "Answers the read cache holds.", nil, nil)
)

// cacheCounters are the read cache's plain counters, by metric name.
var cacheCounters = []struct {
	name, help string
	value      func(readcache.Stats) uint64
}{
	{"planbridge_read_cache_hits_total", "Reads answered from the read cache.", func(s readcache.Stats) uint64 { return s.Hits }},
	{"planbridge_read_cache_negative_hits_total", "Reads answered not-found from the read cache.", func(s readcache.Stats) uint64 { return s.NegativeHits }},
	{"planbridge_read_cache_misses_total", "Reads that called Planhat.", func(s readcache.Stats) uint64 { return s.Misses }},
	{"planbridge_read_cache_coalesced_total", "Reads that shared an identical read's Planhat call.", func(s readcache.Stats) uint64 { return s.Coalesced }},
	{"planbridge_read_cache_evictions_total", "Answers dropped to keep the read cache within its bytes.", func(s readcache.Stats) uint64 { return s.Evictions }},
	{"planbridge_read_cache_invalidations_total", "Models forgotten after a write or a webhook.", func(s readcache.Stats) uint64 { return s.Invalidations }},
}

func init() {
	for _, c := range cacheCounters {
		cacheCounterDescs[c.name] = prometheus.NewDesc(c.name, c.help, nil, nil)
	}
}

type budgetCollector struct {
	m     *Metrics
	lims  *planhat.Limiters
	cache *readcache.Cache
}

func (c *budgetCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- budgetPerMinuteDesc
	ch <- budgetAvailableDesc
	ch <- budgetRemainingDesc
	ch <- budgetWaitingDesc
	for _, d := range cacheCounterDescs {
		ch <- d
	}
	ch <- cacheStaleDesc
	ch <- cacheBytesDesc
	ch <- cacheEntriesDesc
}

func (c *budgetCollector) Collect(ch chan<- prometheus.Metric) {
	if c.lims != nil {
		type sums struct {
			perMinute, available float64
			remaining            float64
			reported             bool
			waiting              [2]float64
		}
		// Past maxTokenLabels tokens the rest add up under OtherTokensLabel.
		by := map[string]*sums{}
		for _, st := range c.lims.Stats() {
			label := c.m.tokenLabel(st.Fingerprint)
			s := by[label]
			if s == nil {
				s = &sums{}
				by[label] = s
			}
			if st.Window > 0 {
				s.perMinute += float64(st.Requests) * 60 / st.Window.Seconds()
			}
			s.available += st.Tokens
			if st.ReportedRemaining >= 0 {
				s.remaining += float64(st.ReportedRemaining)
				s.reported = true
			}
			s.waiting[0] += float64(st.Waiting[0])
			s.waiting[1] += float64(st.Waiting[1])
		}
		for label, s := range by {
			ch <- prometheus.MustNewConstMetric(budgetPerMinuteDesc, prometheus.GaugeValue, s.perMinute, label)
			ch <- prometheus.MustNewConstMetric(budgetAvailableDesc, prometheus.GaugeValue, s.available, label)
			if s.reported {
				ch <- prometheus.MustNewConstMetric(budgetRemainingDesc, prometheus.GaugeValue, s.remaining, label)
			}
			for _, p := range []planhat.Priority{planhat.Interactive, planhat.Background} {
				ch <- prometheus.MustNewConstMetric(budgetWaitingDesc, prometheus.GaugeValue, s.waiting[p], label, p.String())
			}
		}
	}
	if c.cache != nil {
		st := c.cache.Stats()
		for _, cc := range cacheCounters {
			ch <- prometheus.MustNewConstMetric(cacheCounterDescs[cc.name], prometheus.CounterValue, float64(cc.value(st)))
		}
		ch <- prometheus.MustNewConstMetric(cacheStaleDesc, prometheus.CounterValue, float64(st.StaleRateLimited), "rate_limited")
		ch <- prometheus.MustNewConstMetric(cacheStaleDesc, prometheus.CounterValue, float64(st.StaleRevalidating), "revalidating")
		ch <- prometheus.MustNewConstMetric(cacheBytesDesc, prometheus.GaugeValue, float64(st.Bytes))
		ch <- prometheus.MustNewConstMetric(cacheEntriesDesc, prometheus.GaugeValue, float64(st.Entries))
	}
}
