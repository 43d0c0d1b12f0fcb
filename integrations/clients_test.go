package integrations

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/planhat"
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
