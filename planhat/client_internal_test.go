package planhat

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestOversizedAnswerIsNotRetried answers a GET with a body over the client's response cap.
// Asking again returns the same body, so the call must fail at once instead of downloading
// it MaxRetries more times.
func TestOversizedAnswerIsNotRetried(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`[{"_id":"` + strings.Repeat("a", 4096) + `"}]`))
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(Options{Token: "t", BaseURL: srv.URL,
		Retry:     &RetryPolicy{MaxRetries: 3, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond},
		RateLimit: &RateLimit{Requests: 1000, Window: time.Second, Burst: 100}})
	if err != nil {
		t.Fatal(err)
	}
	c.maxResponse = 1024
	err = c.Ping(t.Context())
	if err == nil || !strings.Contains(err.Error(), "request smaller pages") {
		t.Fatalf("err = %v, want the oversized-answer error", err)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("the oversized answer was requested %d times, want 1 (no retry)", n)
	}
}
