package httpapi

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/readcache"
)

func TestBudgetMetrics(t *testing.T) {
	t.Parallel()
	const token = "budget-metrics-secret-token"
	m := NewMetrics()
	lims := planhat.NewLimiters(planhat.DefaultRateLimit())
	cache := readcache.New(readcache.Options{})
	m.ObserveBudget(lims, cache)
	lim, release := lims.Acquire(token, "https://api.planhat.com")
	defer release()
	// One call through the limiter and one cached read, so every series has a value.
	c, err := planhat.NewClient(planhat.Options{Token: token, BaseURL: "http://127.0.0.1:1", Limiter: lim, ReadCache: cache.For(readcache.Scope(token, "x")),
		Retry: &planhat.RetryPolicy{}})
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Ping(context.Background()) // refused connection: the wait is still counted
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Result().Body)
	text := string(body)
	fp := lim.Fingerprint()
	for _, want := range []string{
		`planbridge_planhat_budget_calls_per_minute{token="` + fp + `"} 180`,
		`planbridge_planhat_budget_available{token="` + fp + `"}`,
		`planbridge_planhat_budget_waiting{priority="background",token="` + fp + `"} 0`,
		`planbridge_planhat_budget_wait_seconds_count{priority="interactive"} 1`,
		`planbridge_planhat_budget_refused_total{priority="interactive"} 0`,
		`planbridge_read_cache_misses_total 1`,
		`planbridge_read_cache_stale_total{reason="rate_limited"} 0`,
		`planbridge_read_cache_bytes 0`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(text, token) {
		t.Error("/metrics shows the token")
	}
}
