package httpapi

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestPlanhatTokenLabelsBounded proves that the token label cannot grow
// without bound: every Botpress configuration brings its own token, so
// whoever reaches the Botpress door decides how many fingerprints there are.
func TestPlanhatTokenLabelsBounded(t *testing.T) {
	t.Parallel()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	t.Cleanup(upstream.Close)
	m := NewMetrics()
	const tokens = maxTokenLabels + 50
	for i := range tokens {
		rt := m.PlanhatTransport(upstream.Client().Transport, fmt.Sprintf("%012x", i))
		if i%25 != 0 {
			continue
		}
		req := httptest.NewRequest(http.MethodGet, upstream.URL, nil)
		req.RequestURI = ""
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// The first tokens keep their own label; later ones share one.
	first := m.PlanhatTransport(upstream.Client().Transport, fmt.Sprintf("%012x", 0))
	req := httptest.NewRequest(http.MethodGet, upstream.URL, nil)
	req.RequestURI = ""
	resp, err := first.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		switch f.GetName() {
		case "planbridge_planhat_requests_total", "planbridge_planhat_rate_limited_total", "planbridge_planhat_request_duration_seconds":
		default:
			continue
		}
		labels := map[string]bool{}
		for _, metric := range f.GetMetric() {
			for _, l := range metric.GetLabel() {
				if l.GetName() == "token" {
					labels[l.GetValue()] = true
				}
			}
		}
		if len(labels) > maxTokenLabels+1 {
			t.Errorf("%s has %d token label values, want at most %d", f.GetName(), len(labels), maxTokenLabels+1)
		}
		if f.GetName() == "planbridge_planhat_rate_limited_total" {
			if !labels[fmt.Sprintf("%012x", 0)] || !labels[OtherTokensLabel] {
				t.Errorf("%s labels lack the first token or %q", f.GetName(), OtherTokensLabel)
			}
		}
	}
}
