package e2e_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/planbridge/planbridge/internal/roundtrip"
	"github.com/planbridge/planbridge/planhat"
)

func doBench(b *testing.B, client *http.Client, req *http.Request) {
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d", resp.StatusCode)
	}
}

// BenchmarkActionTriggered measures a getCompany action_triggered through
// the whole server (Botpress door, configuration decoding, cached client,
// registry validation, Planhat call to the in-process emulator, output
// wrapping) one request at a time. It reports requests/s, p50 and p99, and
// the overhead ratio: server time over calling the planhat client directly
// against the same emulator.
func BenchmarkActionTriggered(b *testing.B) {
	s := newStack(b)
	companyID := s.firstID(b, "companies")
	newReq := botpressRequest(b, s, "getCompany", map[string]any{"id": companyID})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	ctx := context.Background()

	// Baseline: the planhat client alone, same emulator, same call.
	const baselineN = 300
	for range 20 {
		if _, err := s.phClient.Companies().Get(ctx, planhat.ID(companyID)); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	for range baselineN {
		if _, err := s.phClient.Companies().Get(ctx, planhat.ID(companyID)); err != nil {
			b.Fatal(err)
		}
	}
	direct := time.Since(start) / baselineN

	for range 20 {
		doBench(b, client, newReq())
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	begin := time.Now()
	for b.Loop() {
		t0 := time.Now()
		doBench(b, client, newReq())
		lat = append(lat, time.Since(t0))
	}
	elapsed := time.Since(begin)
	b.StopTimer()
	slices.Sort(lat)
	n := len(lat)
	mean := elapsed / time.Duration(n)
	b.ReportMetric(float64(n)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(lat[n/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[min(n-1, n*99/100)].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(direct.Microseconds())/1000, "direct-ms")
	b.ReportMetric(float64(mean)/float64(direct), "overhead-x")
}

// BenchmarkActionTriggeredParallel measures throughput with concurrent
// callers, as Botpress sends operations for many conversations at once.
func BenchmarkActionTriggeredParallel(b *testing.B) {
	s := newStack(b)
	companyID := s.firstID(b, "companies")
	newReq := botpressRequest(b, s, "getCompany", map[string]any{"id": companyID})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			doBench(b, client, newReq())
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkRESTGetCompany measures the REST door (API key check, body
// decoding, registry, Planhat call) for comparison with the Botpress door.
func BenchmarkRESTGetCompany(b *testing.B) {
	s := newStack(b)
	body := string(mustJSON(map[string]any{"id": s.firstID(b, "companies")}))
	header := http.Header{"Authorization": {"Bearer " + apiKey}}
	for b.Loop() {
		if a := roundtrip.Do(b, http.MethodPost, s.url+"/v1/actions/getCompany", "application/json", body, header); a.Status != http.StatusOK {
			b.Fatalf("status %d", a.Status)
		}
	}
}
