package e2e_test

// Benchmarks of conversation logging: the durable intake through the REST
// door, the Planhat calls a load costs, and the time to drain a backlog
// inside Planhat's rate limit. Each run is a whole load, so run them once:
//
//	go test ./e2e/ -run '^$' -bench 'LogConversation|PlanhatCalls|DrainBacklog' -benchtime 1x

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/planhat/planhatemu"
	"github.com/planbridge/planbridge/relay"
)

// benchRun numbers the runs of a benchmark, so every run logs
// conversations of its own.
var benchRun atomic.Int64

// logBody is a logConversation call of n messages, unique to call.
func logBody(run int64, call, conversations, n int, companyID, email string) []byte {
	var b bytes.Buffer
	conv := fmt.Sprintf("bench-%d-%05d", run, call%conversations)
	fmt.Fprintf(&b, `{"conversationId":%q,"companyId":%q,"botName":"BenchBot"`, conv, companyID)
	if email != "" {
		fmt.Fprintf(&b, `,"endUserEmail":%q`, email)
	}
	b.WriteString(`,"messages":[`)
	for j := range n {
		if j > 0 {
			b.WriteByte(',')
		}
		author := "user"
		if j%2 == 1 {
			author = "bot"
		}
		fmt.Fprintf(&b, `{"id":"%s-%d-%d","author":%q,"text":"message %d of call %d: where is my order, and when does it ship?"}`, conv, call, j, author, j, call)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// postLog sends one call and fails unless it was answered 200.
func postLog(client *http.Client, base string, body []byte) error {
	req, err := http.NewRequest(http.MethodPost, base+"/v1/actions/logConversation", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("logConversation answered %d %s", resp.StatusCode, got)
	}
	return nil
}

// sendLogs makes calls logConversation calls of perCall messages over
// conversations conversations with callers concurrent callers and returns
// each call's latency.
func sendLogs(tb testing.TB, s *stack, calls, conversations, perCall, callers int, email string) []time.Duration {
	tb.Helper()
	run := benchRun.Add(1)
	companyID := s.firstID(tb, "companies")
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 2 * callers}}
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			var mine []time.Duration
			for {
				i := int(next.Add(1)) - 1
				if i >= calls {
					break
				}
				body := logBody(run, i, conversations, perCall, companyID, email)
				start := time.Now()
				err := postLog(client, s.url, body)
				mine = append(mine, time.Since(start))
				if err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, err)
					mu.Unlock()
					break
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if firstErr != nil {
		tb.Fatal(firstErr)
	}
	return lat
}

// waitBacklog waits until the stack's outbox is empty, up to limit.
func waitBacklog(tb testing.TB, s *stack, limit time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for {
		n, err := s.durable.Store.Backlog(context.Background())
		if err != nil {
			tb.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d items still undelivered after %s", n, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// BenchmarkLogConversationIntake measures the durable intake of
// logConversation through the REST door of an in-process server: 32
// concurrent callers, 10 messages a call, each call answered only once its
// messages are committed. The outbox delivers beside it every 5 s (the
// default), as in production. One op is one call.
func BenchmarkLogConversationIntake(b *testing.B) {
	const callers, perCall, conversations = 32, 10, 1000
	for _, db := range []struct {
		name string
		opt  stackOption
	}{
		{"sqlite-full", withStore(openSQLiteFull)},
		{"postgres", withStore(openPostgres)},
	} {
		b.Run(db.name, func(b *testing.B) {
			s := newStack(b, db.opt, withPlanhat(planhatemu.WithConversationTypes("Chatbot")),
				withOutbox(outbox.Options{FlushInterval: outbox.DefaultFlushInterval}))
			b.ResetTimer()
			start := time.Now()
			lat := sendLogs(b, s, b.N, conversations, perCall, callers, "")
			elapsed := time.Since(start)
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(b.N*perCall)/elapsed.Seconds(), "msgs/s")
			b.ReportMetric(float64(percentile(lat, 50).Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(percentile(lat, 99).Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkPlanhatCallsPer10kMessages logs 10,000 messages over 1,000
// conversations through the REST door (32 callers, 2 messages a call)
// with a 1 s flush interval, waits for the delivery and
// counts Planhat's calls: in all, and per flush (one Deliver call of the
// outbox). With only companyId a flush is one bulk upsert; "email" gives
// every conversation an end user's email, which costs a contact lookup per
// conversation on its first delivery and an analytics call per flush.
func BenchmarkPlanhatCallsPer10kMessages(b *testing.B) {
	const messages, conversations, perCall = 10_000, 1_000, 2
	for _, variant := range []string{"company", "email"} {
		b.Run(variant, func(b *testing.B) {
			var flushes atomic.Int64
			// Unpaced: this counts calls; BenchmarkDrainBacklog times them.
			s := newStack(b, withPlanhat(planhatemu.WithConversationTypes("Chatbot")), withDeliveryRate(planhat.NoRateLimit()),
				withOutbox(outbox.Options{FlushInterval: time.Second, PollInterval: 100 * time.Millisecond,
					Observer: func(outbox.Delivery) { flushes.Add(1) }}))
			email := ""
			if variant == "email" {
				email = s.planhat.Objects("endusers")[0]["email"].(string)
			}
			var calls, bulk int
			var took time.Duration
			for b.Loop() {
				before := s.planhat.Stats()
				start := time.Now()
				sendLogs(b, s, messages/perCall, conversations, perCall, 32, email)
				waitBacklog(b, s, 5*time.Minute)
				took += time.Since(start)
				after := s.planhat.Stats()
				calls += after.Total - before.Total
				bulk += after.ByRoute["PUT /conversations"] - before.ByRoute["PUT /conversations"]
			}
			n := float64(b.N)
			b.ReportMetric(float64(calls)/n, "calls")
			b.ReportMetric(float64(bulk)/n, "bulk-calls")
			b.ReportMetric(float64(flushes.Load())/n, "flushes")
			b.ReportMetric(float64(calls)/float64(max(1, flushes.Load())), "calls/flush")
			b.ReportMetric(took.Seconds()/n, "s/load")
		})
	}
}

// BenchmarkDrainBacklog stores 100,000 messages over 10,000 conversations
// with the outbox stopped, then starts it against an emulator holding
// Planhat's 200 calls a minute, the delivery paced at 180 a minute, and
// measures the time to an empty backlog and the calls it took.
func BenchmarkDrainBacklog(b *testing.B) {
	const messages, conversations, perCall = 100_000, 10_000, 10
	for _, db := range []struct {
		name string
		opt  stackOption
	}{
		{"sqlite-full", withStore(openSQLiteFull)},
		{"postgres", withStore(openPostgres)},
	} {
		b.Run(db.name, func(b *testing.B) {
			var seconds float64
			var calls int
			for b.Loop() {
				b.StopTimer()
				s := newStack(b, db.opt, withManualDelivery(),
					withPlanhat(planhatemu.WithConversationTypes("Chatbot"), planhatemu.WithRateLimit(200, time.Minute)),
					withDeliveryRate(planhat.RateLimit{Requests: 180, Window: time.Minute}),
					withOutbox(outbox.Options{FlushInterval: time.Second, PollInterval: 100 * time.Millisecond}))
				fillBacklog(b, s, messages, conversations, perCall)
				b.StartTimer()
				start := time.Now()
				s.startDelivery()
				waitBacklog(b, s, 10*time.Minute)
				seconds += time.Since(start).Seconds()
				st := s.planhat.Stats()
				calls += st.Total
				if st.RateLimited != 0 {
					b.Errorf("the emulator answered 429 %d times", st.RateLimited)
				}
			}
			b.ReportMetric(seconds/float64(b.N), "drain-s")
			b.ReportMetric(float64(calls)/float64(b.N), "calls")
			b.ReportMetric(float64(messages)*float64(b.N)/seconds, "msgs/s")
		})
	}
}

// fillBacklog stores the messages through the relay, 16 writers at a time.
func fillBacklog(tb testing.TB, s *stack, messages, conversations, perCall int) {
	tb.Helper()
	companyID := s.firstID(tb, "companies")
	start := time.Now()
	var next atomic.Int64
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= messages/perCall {
					return
				}
				conv := relay.Conversation{ID: fmt.Sprintf("drain-%05d", i%conversations), CompanyID: companyID, BotName: "BenchBot"}
				for j := range perCall {
					conv.Messages = append(conv.Messages, relay.Message{ID: fmt.Sprintf("%d-%d", i, j), Author: relay.AuthorUser,
						Text: fmt.Sprintf("message %d of call %d: where is my order, and when does it ship?", j, i)})
				}
				if _, err := s.durable.Relay.LogConversation(context.Background(), s.phClient, conv); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		tb.Fatal(err)
	}
	n, err := s.durable.Store.Backlog(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Logf("stored %d messages over %d conversations in %s: a backlog of %d items", messages, conversations, time.Since(start).Round(time.Millisecond), n)
}
