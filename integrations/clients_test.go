package integrations

import (
	"errors"
	"fmt"
	"github.com/planbridge/planbridge/planhat/planhatemu"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/planhat/planhattest"
)

// TestEvictedClientsLeaveNoConnections proves that a stream of distinct
// tokens (each Botpress configuration brings its own, so anyone who reaches
// the door chooses how many) cannot pile up open connections: clients the
// cache has evicted must not keep idle connections of their own alive.
func TestEvictedClientsLeaveNoConnections(t *testing.T) {
	t.Parallel()
	var (
		mu   sync.Mutex
		open = map[net.Conn]bool{}
	)
	upstream := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("[]"))
	}))
	upstream.Config.ConnState = func(c net.Conn, s http.ConnState) {
		mu.Lock()
		defer mu.Unlock()
		switch s {
		case http.StateNew:
			open[c] = true
		case http.StateClosed, http.StateHijacked:
			delete(open, c)
		}
	}
	upstream.Start()
	t.Cleanup(upstream.Close)

	reg, err := actions.PlanhatRegistry()
	if err != nil {
		t.Fatal(err)
	}
	const maxClients = 2
	p, err := NewPlanhat(PlanhatOptions{
		Registry:   reg,
		Policy:     HostPolicy{AllowLoopback: true},
		MaxClients: maxClients,
		RateLimit:  &planhat.RateLimit{Requests: 100000, Window: time.Second, PerSecond: 100000},
	})
	if err != nil {
		t.Fatal(err)
	}
	const tokens = 12
	for i := range tokens {
		c, err := p.client(&resolved{cfg: PlanhatConfig{APIToken: fmt.Sprintf("token-%d", i)}, apiURL: upstream.URL, analyticsURL: upstream.URL})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Ping(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if got := p.clients.len(); got != maxClients {
		t.Fatalf("cache holds %d clients, want %d", got, maxClients)
	}
	mu.Lock()
	n := len(open)
	mu.Unlock()
	if n > maxClients {
		t.Errorf("%d connections stay open after %d tokens with %d clients cached, want at most %d", n, tokens, maxClients, maxClients)
	}
}

// TestEvictionKeepsThePause evicts the only client of a token right after
// Planhat answered it 429: the client built next for that token must get
// the same, still paused, limiter and fail fast with the remaining wait
// instead of sending a fresh burst.
func TestEvictionKeepsThePause(t *testing.T) {
	t.Parallel()
	srv := planhattest.NewServer(t, planhatemu.WithRateLimit(0, 0))
	p, err := NewPlanhat(PlanhatOptions{
		Registry:   &actions.Registry{},
		Policy:     HostPolicy{AllowLoopback: true},
		MaxClients: 1,
		RateLimit:  &planhat.RateLimit{Requests: 100000, Window: time.Second, PerSecond: 100000, Cooldown: time.Minute},
		Retry:      &planhat.RetryPolicy{MaxRetries: 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := func(token string) *resolved {
		return &resolved{cfg: PlanhatConfig{APIToken: token}, apiURL: srv.URL, analyticsURL: srv.AnalyticsURL}
	}
	first, err := p.client(cfg(srv.Token))
	if err != nil {
		t.Fatal(err)
	}
	srv.FailNext(1, http.StatusTooManyRequests)
	if err := first.Ping(t.Context()); !errors.Is(err, planhat.ErrRateLimited) {
		t.Fatalf("err = %v, want the 429", err)
	}
	if _, err := p.client(cfg("another-token")); err != nil { // evicts first
		t.Fatal(err)
	}
	again, err := p.client(cfg(srv.Token))
	if err != nil {
		t.Fatal(err)
	}
	if again == first {
		t.Fatal("the first client was not evicted; the test proves nothing")
	}
	before := srv.Stats().Total
	err = again.Ping(t.Context())
	wait, ok := planhat.RetryAfter(err)
	got := struct {
		SameLimiter, RateLimited, HasWait bool
		Sent                              int
	}{again.Limiter() == first.Limiter(), errors.Is(err, planhat.ErrRateLimited), ok && wait > 50*time.Second, srv.Stats().Total - before}
	want := got
	want.SameLimiter, want.RateLimited, want.HasWait, want.Sent = true, true, true, 0
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s\nerr = %v", diff, err)
	}
}
