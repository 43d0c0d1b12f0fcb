package storetest

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/planbridge/planbridge/store"
)

// BenchmarkAppendMessages measures Writes of ten messages each from 32
// concurrent writers (16 per GOMAXPROCS on two cores), each writer to a
// conversation of its own, and reports messages/s.
func BenchmarkAppendMessages(b *testing.B, s store.Store) {
	ctx := context.Background()
	const perWrite = 10
	var writer atomic.Int64
	b.SetParallelism(max(1, 32/runtimeProcs()))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		conv := "bench-" + strconv.FormatInt(writer.Add(1), 10)
		if err := s.Write(ctx, func(tx store.Tx) error {
			return tx.UpsertConversation(ctx, store.ConversationUpdate{Dest: "d", ID: conv, Now: base})
		}); err != nil {
			b.Error(err)
			return
		}
		msgs := make([]store.Message, perWrite)
		for n := 0; pb.Next(); n++ {
			for i := range msgs {
				msgs[i] = store.Message{MessageID: fmt.Sprintf("%d-%d", n, i), Author: "user", Text: "a message of a typical length, a sentence or two", ReceivedAt: base}
			}
			if err := s.Write(ctx, func(tx store.Tx) error {
				_, err := tx.AppendMessages(ctx, "d", conv, msgs)
				return err
			}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N*perWrite)/time.Since(start).Seconds(), "messages/s")
}

// BenchmarkClaimFinish measures one deliverer claiming ten items at a time
// and finishing them completed, and reports items/s.
func BenchmarkClaimFinish(b *testing.B, s store.Store) {
	ctx := context.Background()
	const chunk = 1000
	for done := 0; done < b.N; done += chunk {
		if err := s.Write(ctx, func(tx store.Tx) error {
			for range min(chunk, b.N-done) {
				if _, err := tx.Enqueue(ctx, store.NewItem{Kind: "k", Dest: "d", Payload: []byte(`{"id":"123","name":"Acme"}`)}, base); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	outs := make([]store.Outcome, 0, 10)
	for done := 0; done < b.N; {
		items, err := s.ClaimItems(ctx, store.Claim{Dest: "d", Kind: "k", Limit: min(10, b.N-done), Owner: "o", Now: at(1), Until: at(60)})
		if err != nil {
			b.Fatal(err)
		}
		if len(items) == 0 {
			b.Fatalf("nothing to claim after %d of %d", done, b.N)
		}
		outs = outs[:0]
		for _, it := range items {
			outs = append(outs, store.Outcome{ID: it.ID, State: store.StateCompleted})
		}
		if _, err := s.Finish(ctx, "o", at(2), outs); err != nil {
			b.Fatal(err)
		}
		done += len(items)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "items/s")
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
