package e2e_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/planbridge/planbridge/integrations"
	"github.com/planbridge/planbridge/internal/roundtrip"
	"github.com/planbridge/planbridge/planhat/planhatemu"
)

// scrape reads the server's /metrics text.
func (s *stack) scrape(t *testing.T) string {
	t.Helper()
	a := roundtrip.Do(t, http.MethodGet, s.url+"/metrics", "", "", nil)
	if a.Status != http.StatusOK {
		t.Fatalf("/metrics = %d, %s", a.Status, a.Body)
	}
	return a.Body
}

// TestMetricsPerToken drives two installations with different Planhat
// tokens through the Botpress door, makes Planhat answer 429 to one of
// them, and reads /metrics: Planhat calls and 429s are counted per token
// fingerprint, never under the token itself.
func TestMetricsPerToken(t *testing.T) {
	t.Parallel()
	const tokenA, tokenB = "metrics-token-alpha-0123456789", "metrics-token-beta-0123456789"
	s := newStack(t, withPlanhat(planhatemu.WithToken(tokenA, tokenB)))
	fpA, fpB := integrations.TokenFingerprint(tokenA), integrations.TokenFingerprint(tokenB)
	cfgB := s.configWith(map[string]any{"apiToken": tokenB})
	companyID := s.firstID(t, "companies")

	// B: two successful calls.
	for range 2 {
		resp, err := s.bp.CallAction(t.Context(), "", cfgB, "getCompany", map[string]any{"id": companyID})
		if err != nil || resp.Status != http.StatusOK {
			t.Fatalf("getCompany with token B: %v %v", err, resp)
		}
	}
	// A: Planhat answers 429 to every attempt (first try and both retries).
	s.planhat.FailNext(3, http.StatusTooManyRequests)
	resp := s.action(t, "getCompany", map[string]any{"id": companyID})
	if resp.Status != http.StatusTooManyRequests {
		t.Fatalf("rate-limited getCompany = %d %s, want 429", resp.Status, resp.Body)
	}
	// A: then one success.
	if resp := s.action(t, "getCompany", map[string]any{"id": companyID}); resp.Status != http.StatusOK {
		t.Fatalf("getCompany after the 429s = %d %s", resp.Status, resp.Body)
	}

	text := s.scrape(t)
	for _, want := range []string{
		`planbridge_planhat_requests_total{code="429",token="` + fpA + `"} 3`,
		`planbridge_planhat_requests_total{code="200",token="` + fpA + `"} 1`,
		`planbridge_planhat_rate_limited_total{token="` + fpA + `"} 3`,
		`planbridge_planhat_requests_total{code="200",token="` + fpB + `"} 2`,
		`planbridge_planhat_rate_limited_total{token="` + fpB + `"} 0`,
		`planbridge_actions_total{action="getCompany",door="botpress",outcome="rate_limited"} 1`,
		`planbridge_actions_total{action="getCompany",door="botpress",outcome="ok"} 3`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(text, `token="`+fpB+`",code="429"`) || strings.Contains(text, `code="429",token="`+fpB+`"`) {
		t.Error("token B was charged with token A's 429s")
	}
	for _, secret := range []string{tokenA, tokenB, webhookSecret, doorSecret} {
		if strings.Contains(text, secret) {
			t.Errorf("metrics contain a secret (%.8s…)", secret)
		}
	}
}
