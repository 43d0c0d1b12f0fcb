package planhatemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkGetCompanyHTTP measures one authenticated GET /companies/{id}
// over loopback HTTP, the emulator's per-request cost as a client sees it.
func BenchmarkGetCompanyHTTP(b *testing.B) {
	srv := startServer(b, WithRateLimit(0, 0), WithRequestLog(0, 0), WithSeed(100))
	id := srv.Objects("companies")[50]["_id"].(string)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/companies/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := http.DefaultClient.Do(req.Clone(req.Context()))
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Fatalf("status %d", res.StatusCode)
			}
		}
	})
}

// BenchmarkGetCompanyHandler is the same GET without the network.
func BenchmarkGetCompanyHandler(b *testing.B) {
	srv := New(WithRateLimit(0, 0), WithRequestLog(0, 0), WithSeed(100))
	id := srv.Objects("companies")[50]["_id"].(string)
	h := srv.MainHandler()
	b.ReportAllocs()
	for b.Loop() {
		rec := serveLocal(h, http.MethodGet, "/companies/"+id, srv.Token, "")
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// BenchmarkBulkUpsert5000 loads 5,000 new companies per call, the shape of
// the client's 100k-in-20-calls benchmark.
func BenchmarkBulkUpsert5000(b *testing.B) {
	srv := New(WithRateLimit(0, 0), WithRequestLog(0, 0))
	h := srv.MainHandler()
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		items := make([]map[string]any, MaxBulkItems)
		for i := range items {
			n++
			items[i] = map[string]any{"name": fmt.Sprint("Company ", n), "externalId": fmt.Sprint("ext-", n), "custom": map[string]any{"Plan": "Pro"}}
		}
		raw, _ := json.Marshal(items)
		// Built by hand rather than with serveLocal, so the timed loop copies no body.
		req := httptest.NewRequest(http.MethodPut, "/companies", bytes.NewReader(raw))
		req.Header.Set("Authorization", "Bearer "+srv.Token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d: %.300s", rec.Code, rec.Body.String())
		}
	}
	b.ReportMetric(float64(MaxBulkItems*b.N)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkListConversations pages through 25,000 conversations at the
// 2,000 maximum, as the client benchmark does.
func BenchmarkListConversations(b *testing.B) {
	srv := New(WithRateLimit(0, 0), WithRequestLog(0, 0))
	cid := srv.Insert("companies", map[string]any{"name": "Big"})
	for i := 0; i < 25000; i++ {
		srv.Insert("conversations", map[string]any{"companyId": cid, "type": "note", "subject": fmt.Sprint("s", i)})
	}
	h := srv.MainHandler()
	b.ReportAllocs()
	for b.Loop() {
		total := 0
		for offset := 0; ; offset += 2000 {
			rec := serveLocal(h, http.MethodGet, fmt.Sprintf("/conversations?limit=2000&offset=%d", offset), srv.Token, "")
			var page []json.RawMessage
			if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
				b.Fatal(err)
			}
			total += len(page)
			if len(page) < 2000 {
				break
			}
		}
		if total != 25000 {
			b.Fatalf("listed %d", total)
		}
	}
}

// BenchmarkSortedPage lists one page of 100,000 companies sorted by name,
// the worst case of a sorted scan.
func BenchmarkSortedPage(b *testing.B) {
	srv := New(WithRateLimit(0, 0), WithRequestLog(0, 0))
	for i := range 100_000 {
		srv.Insert("companies", map[string]any{"name": fmt.Sprintf("Company %06d", (i*7919)%100_000), "mrr": i % 977})
	}
	h := srv.MainHandler()
	b.ReportAllocs()
	for b.Loop() {
		rec := serveLocal(h, http.MethodGet, "/companies?sort=-mrr&limit=5000&offset=50000", srv.Token, "")
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
