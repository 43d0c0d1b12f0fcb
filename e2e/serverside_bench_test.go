package e2e_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/httpapi"
	"github.com/planbridge/planbridge/integrations"
	"github.com/planbridge/planbridge/internal/server"
	"github.com/planbridge/planbridge/planhat"
)

// cannedAssets is a Planhat page of n assets as the emulator would send it,
// encoded once, so a stub upstream can answer it for the cost of a write.
func cannedAssets(n int) []byte {
	recs := make([]map[string]any, n)
	for i := range recs {
		recs[i] = map[string]any{
			"_id": fmt.Sprintf("6979fa40%016x", i), "name": fmt.Sprintf("Router %d – Zürich ☃", i),
			"companyId": "6979fa400000000000000001", "companyName": "Bench Co",
			"externalId": fmt.Sprintf("r-%04d", i), "sourceId": fmt.Sprintf("sf-%04d", i),
			"custom":    map[string]any{"Tier": "gold", "Seats": i, "Owner": nil, "Tags": []any{"a", "b"}, "Nested": map[string]any{"k": 1.5}},
			"usage":     map[string]any{"logins": i * 3, "lastSeen": "2026-01-02T03:04:05.000Z"},
			"createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-02T00:00:00.000Z",
		}
	}
	b, _ := json.Marshal(recs)
	return b
}

// BenchmarkServerSideListAssets isolates planbridge's own CPU per
// listAssets-100 request through the REST door: the upstream is a stub
// writing a pre-encoded page, so the only other work in the process is the
// stub's write and the benchmark client's read, which the "upstream"
// sub-benchmark measures alone (the same page, fetched directly). The
// difference of the two cpu-µs/op is the server's share. The "botpress"
// sub-benchmark sends the same call as Botpress's action_triggered.
func BenchmarkServerSideListAssets(b *testing.B) {
	page := cannedAssets(100)
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(page)
	}))
	b.Cleanup(stub.Close)
	c, err := planhat.NewClient(planhat.Options{Token: "bench-token", BaseURL: stub.URL, AnalyticsURL: stub.URL, RateLimit: fastLimits, Retry: fastRetry})
	if err != nil {
		b.Fatal(err)
	}
	reg, err := actions.PlanhatRegistry()
	if err != nil {
		b.Fatal(err)
	}
	h, err := server.New(server.Options{Registry: reg, APIKeys: httpapi.ParseAPIKeys(apiKey), REST: actions.Deps{Planhat: c},
		Planhat: integrations.PlanhatOptions{Policy: integrations.HostPolicy{AllowLoopback: true}, RateLimit: fastLimits, Retry: fastRetry}})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	body := []byte(`{"companyId":"6979fa400000000000000001","limit":100}`)

	b.Run("rest", func(b *testing.B) {
		measure(b, func() {
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/actions/listAssets", bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+apiKey)
			req.Header.Set("Content-Type", "application/json")
			doBench(b, client, req)
		})
	})
	cfg := base64.StdEncoding.EncodeToString(mustJSON(map[string]string{"apiToken": "bench-token", "apiUrl": stub.URL, "analyticsUrl": stub.URL}))
	action := mustJSON(map[string]any{"type": "listAssets", "input": json.RawMessage(body)})
	b.Run("botpress", func(b *testing.B) {
		measure(b, func() {
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/botpress/planhat", bytes.NewReader(action))
			if err != nil {
				b.Fatal(err)
			}
			for k, v := range map[string]string{
				botpress.HeaderOperation: "action_triggered", botpress.HeaderBotID: "bot_bench", botpress.HeaderBotUserID: "user_bench",
				botpress.HeaderIntegrationID: "int_bench", botpress.HeaderIntegrationAlias: "planhat", botpress.HeaderWebhookID: "wh_bench",
				botpress.HeaderConfiguration: cfg, "Content-Type": "application/json",
			} {
				req.Header.Set(k, v)
			}
			doBench(b, client, req)
		})
	})
	b.Run("upstream", func(b *testing.B) {
		measure(b, func() {
			req, err := http.NewRequest(http.MethodGet, stub.URL+"/assets", nil)
			if err != nil {
				b.Fatal(err)
			}
			doBench(b, client, req)
		})
	})
}
