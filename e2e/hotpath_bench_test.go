package e2e_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/readcache"
)

// cpuTime is the process's user plus system CPU time so far; the servers,
// the emulator and the benchmark's own client all run in this process, so
// a delta over a loop is the CPU the whole round trip costs.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs do b.N times after a warm-up and reports the process CPU per
// call as cpu-µs/op next to the usual time and allocations.
func measure(b *testing.B, do func()) {
	b.Helper()
	for range 20 {
		do()
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime(b)
	for b.Loop() {
		do()
	}
	cpu := cpuTime(b) - cpu0
	b.StopTimer()
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
}

// seedAssets stores n assets of varied shapes on one new company and
// returns the company's _id: the listAssets benchmarks read them back as
// one page.
func seedAssets(s *stack, n int) string {
	company := s.planhat.Insert("companies", map[string]any{"name": "Bench Co", "externalId": "bench-co"})
	for i := range n {
		s.planhat.Insert("assets", map[string]any{
			"name": fmt.Sprintf("Router %d – Zürich ☃", i), "companyId": company, "companyName": "Bench Co",
			"externalId": fmt.Sprintf("r-%04d", i), "sourceId": fmt.Sprintf("sf-%04d", i),
			"custom":    map[string]any{"Tier": "gold", "Seats": i, "Owner": nil, "Tags": []any{"a", "b"}, "Nested": map[string]any{"k": 1.5}},
			"usage":     map[string]any{"logins": i * 3, "lastSeen": "2026-01-02T03:04:05.000Z"},
			"createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-02T00:00:00.000Z",
		})
	}
	return company
}

// doorCase is one action call measured through both doors.
type doorCase struct {
	action string
	input  func(b *testing.B, s *stack) any
	// upstream is the emulator request the action makes, for measuring the
	// emulator alone.
	upstream func(b *testing.B, s *stack, in any) string
}

var hotpathCases = []doorCase{
	{
		action: "getCompany",
		input:  func(b *testing.B, s *stack) any { return map[string]any{"id": s.firstID(b, "companies")} },
		upstream: func(b *testing.B, s *stack, in any) string {
			return "/companies/" + in.(map[string]any)["id"].(string)
		},
	},
	{
		action: "listAssets",
		input:  func(b *testing.B, s *stack) any { return map[string]any{"companyId": seedAssets(s, 100), "limit": 100} },
		upstream: func(b *testing.B, s *stack, in any) string {
			return "/assets?" + url.Values{"companyId": {in.(map[string]any)["companyId"].(string)}, "limit": {"100"}}.Encode()
		},
	},
}

// botpressRequest builds the exact action_triggered request Botpress sends
// for action with input.
func botpressRequest(b *testing.B, s *stack, action string, input any) func() *http.Request {
	cfg := base64.StdEncoding.EncodeToString(mustJSON(s.config))
	body := mustJSON(map[string]any{"type": action, "input": input})
	header := http.Header{}
	for k, v := range map[string]string{
		botpress.HeaderOperation: "action_triggered", botpress.HeaderBotID: s.bp.BotID, botpress.HeaderBotUserID: s.bp.BotUserID,
		botpress.HeaderIntegrationID: s.bp.IntegrationID, botpress.HeaderIntegrationAlias: s.bp.IntegrationAlias,
		botpress.HeaderWebhookID: s.bp.WebhookID, botpress.HeaderConfiguration: cfg, "Content-Type": "application/json",
	} {
		header.Set(k, v)
	}
	return func() *http.Request {
		req, err := http.NewRequest(http.MethodPost, s.door, bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header = header.Clone()
		return req
	}
}

// BenchmarkHotpath measures getCompany and a 100-record listAssets through
// the REST door, through the Botpress door, and the emulator alone answering
// the same Planhat request: the emulator runs in this process, so its
// cpu-µs/op is the share to subtract from a door's to get planbridge's own.
func BenchmarkHotpath(b *testing.B) {
	for _, tc := range hotpathCases {
		s := newStack(b)
		in := tc.input(b, s)
		body := mustJSON(in)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		b.Run(tc.action+"/rest", func(b *testing.B) {
			measure(b, func() {
				req, err := http.NewRequest(http.MethodPost, s.url+"/v1/actions/"+tc.action, bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer "+apiKey)
				req.Header.Set("Content-Type", "application/json")
				doBench(b, client, req)
			})
		})
		newReq := botpressRequest(b, s, tc.action, in)
		b.Run(tc.action+"/botpress", func(b *testing.B) {
			measure(b, func() { doBench(b, client, newReq()) })
		})
		// The same call with the budget at its default and the read cache, as serve runs:
		// every call after the first is answered from memory.
		cs := newStack(b, withBudget(planhat.DefaultRateLimit(), planhat.DefaultMaxWait), withReadCache(readcache.New(readcache.Options{})))
		cachedReq := botpressRequest(b, cs, tc.action, tc.input(b, cs))
		b.Run(tc.action+"/botpress-default-budget-cached", func(b *testing.B) {
			measure(b, func() { doBench(b, client, cachedReq()) })
		})
		target := s.planhat.URL + tc.upstream(b, s, in)
		b.Run(tc.action+"/emulator", func(b *testing.B) {
			measure(b, func() {
				req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, target, nil)
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer "+s.planhat.Token)
				doBench(b, client, req)
			})
		})
	}
}
