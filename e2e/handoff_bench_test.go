package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/planbridge/planbridge/planfix/planfixemu"
)

// arrivals records when Botpress received each agent message.
type arrivals struct {
	mu sync.Mutex
	at map[string]time.Time // planfixMessageId -> arrival
}

// proxy fronts the Botpress emulator's Runtime API and timestamps every
// message creation as it arrives, before Botpress handles it.
func (a *arrivals) proxy(tb testing.TB) func(string) string {
	return func(target string) string {
		u, _ := url.Parse(target)
		rp := httputil.NewSingleHostReverseProxy(u)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && (r.URL.Path == "/v1/chat/messages" || r.URL.Path == "/v1/chat/messages/get-or-create") {
				now := time.Now()
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				var in struct {
					Tags map[string]string `json:"tags"`
				}
				_ = json.Unmarshal(body, &in)
				a.mu.Lock()
				if _, seen := a.at[in.Tags["planfixMessageId"]]; !seen {
					a.at[in.Tags["planfixMessageId"]] = now
				}
				a.mu.Unlock()
			}
			rp.ServeHTTP(w, r)
		}))
		tb.Cleanup(srv.Close)
		return srv.URL
	}
}

func (a *arrivals) get(id string) (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, ok := a.at[id]
	return t, ok
}

// BenchmarkPlanfixToBotpress measures agent replies from Planfix's request
// to the chat until Botpress's createMessage arrives, over loopback HTTP
// through the Botpress webhook relay, the store (SQLite) and the outbox:
// deliveries/s, p50 and p99, with one chat and with 8 chats replying at once.
func BenchmarkPlanfixToBotpress(b *testing.B) {
	for _, chats := range []int{1, 8} {
		b.Run(fmt.Sprintf("chats=%d", chats), func(b *testing.B) { benchPlanfixToBotpress(b, chats) })
	}
}

func benchPlanfixToBotpress(b *testing.B, chats int) {
	arr := &arrivals{at: map[string]time.Time{}}
	defer func(d time.Duration) { hitlPollInterval = d }(hitlPollInterval)
	hitlPollInterval = -1
	s := newHitlStack(b, "", nil, nil, arr.proxy(b))
	var chatIDs []string
	for range chats {
		_, chat, _ := s.start(b)
		chatIDs = append(chatIDs, chat)
	}
	for _, chat := range chatIDs {
		waitUntil(b, "the tasks", 10*time.Second, func() bool { return len(taskComments(s, chat)) == 1 })
	}
	ctx := context.Background()
	var mu sync.Mutex
	var lat []time.Duration
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	per := max(1, b.N/chats)
	for c := range chats {
		wg.Go(func() {
			for i := range per {
				p, err := s.pf.PrepareReply(chatIDs[c], planfixemu.Reply{Text: fmt.Sprintf("reply %d", i)})
				if err != nil {
					b.Error(err)
					return
				}
				sent := time.Now()
				if d, err := s.pf.Deliver(ctx, p); err != nil || d.Status != http.StatusOK {
					b.Errorf("delivery: %v %+v", err, d)
					return
				}
				var got time.Time
				for {
					if t, ok := arr.get(p.Message.MessageID); ok {
						got = t
						break
					}
					time.Sleep(100 * time.Microsecond)
				}
				mu.Lock()
				lat = append(lat, got.Sub(sent))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) == 0 {
		return
	}
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
