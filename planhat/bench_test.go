package planhat_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/planhat/planhatemu"
)

// benchEnv is an emulator without a quota and a client whose limiter is out of the way.
func benchEnv(b *testing.B) *env {
	b.Helper()
	return newEnv(b, []planhatemu.Option{planhatemu.WithRateLimit(0, time.Minute), planhatemu.WithRequestLog(100, 256)}, func(o *planhat.Options) {
		o.HTTPClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	})
}

// BenchmarkBulkUpsertCompanies upserts 100,000 companies per operation: 20 chunks of 5,000.
func BenchmarkBulkUpsertCompanies(b *testing.B) {
	e := benchEnv(b)
	items := companiesN(100_000, "bench")
	ctx := b.Context()
	b.ReportAllocs()
	start := time.Now()
	ops := 0
	for b.Loop() {
		e.srv.ResetStats()
		res, err := e.c.Companies().BulkUpsert(ctx, items)
		if err != nil {
			b.Fatal(err)
		}
		if calls := e.srv.Stats().ByRoute["PUT /companies"]; calls != 20 {
			b.Fatalf("bulk calls = %d, want 20", calls)
		}
		if got := res.Created + res.Updated + res.NonUpdates; got != 100_000 {
			b.Fatalf("result covers %d items, want 100000", got)
		}
		ops++
	}
	b.ReportMetric(float64(ops*len(items))/time.Since(start).Seconds(), "items/s")
	b.ReportMetric(20, "calls/op")
}

// BenchmarkListConversations iterates over 25,000 conversations: 13 pages of 2,000.
func BenchmarkListConversations(b *testing.B) {
	e := benchEnv(b)
	co := e.srv.Insert("companies", map[string]any{"name": "Acme"})
	for i := range 25_000 {
		e.srv.Insert("conversations", map[string]any{
			"type": "note", "companyId": co, "companyName": "Acme", "subject": fmt.Sprintf("chat %d", i),
			"description": "Little call with the client.", "snippet": "Little call with the client.",
			"date": "2021-07-29T15:29:34.330Z", "users": []any{map[string]any{"id": "58e231b14246fc73139f29e8", "name": "Alex", "isOwner": true}},
			"endusers": []any{map[string]any{"id": "610091916d643a7c418aef42", "name": "Lara Croft"}}, "activityTags": []any{}, "tags": []any{},
			"starred": false, "pinned": false, "archived": false, "custom": map[string]any{"Logins": 0},
		})
	}
	ctx := b.Context()
	b.ReportAllocs()
	start := time.Now()
	ops := 0
	for b.Loop() {
		e.srv.ResetStats()
		n := 0
		for _, err := range e.c.Conversations().All(ctx, nil) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 25_000 {
			b.Fatalf("listed %d conversations, want 25000", n)
		}
		if calls := e.srv.Stats().ByRoute["GET /conversations"]; calls != 13 {
			b.Fatalf("list calls = %d, want 13", calls)
		}
		ops++
	}
	b.ReportMetric(float64(ops*25_000)/time.Since(start).Seconds(), "items/s")
	b.ReportMetric(13, "calls/op")
}

// BenchmarkGetCompany measures one GET by id through client and emulator (the emulator's
// own throughput on its cheapest authenticated route).
func BenchmarkGetCompany(b *testing.B) {
	e := benchEnv(b)
	id := e.srv.Insert("companies", map[string]any{"name": "Acme", "externalId": "acme"})
	ctx := b.Context()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.c.Companies().Get(ctx, planhat.ID(id)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkDecodeConversation measures the tolerant decoder on the seed document's record.
func BenchmarkDecodeConversation(b *testing.B) {
	data := []byte(`{"date":"2021-07-29T15:29:34.330Z","userIds":["58e231b14246fc73139f29e8"],"hasMore":false,"isCustomType":false,"subject":"Chat with the client","snippet":"Slack chat with the client.","_id":"6102e3b08084189dcbf0e3f0","type":"note","tags":[],"createDate":"2021-07-29T17:21:52.347Z","companyId":"61006bc89a3e0b702ed8ea49","companyName":"Leo company","users":[{"id":"58e231b14246fc73139f29e8","name":"Alex","isOwner":true}],"endusers":[{"id":"610091916d643a7c418aef42","name":"Lara Croft"}],"assigneeName":"","activityTags":[],"hasAttachments":false,"isSeen":false,"starred":false,"pinned":false,"archived":false,"custom":{"Logins":0}}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var c planhat.Conversation
		if err := c.UnmarshalJSON(data); err != nil {
			b.Fatal(err)
		}
	}
}
