package planhat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/planhat/planhatemu"
	"github.com/planbridge/planbridge/planhat/planhattest"
)

// Fixed credentials so golden files are stable.
const (
	testToken  = "test-token-0123456789"
	testTenant = "199627f7-0d65-52cd-89b9-45b5ff561bea"
)

// recorded is one request as the client sent it, minus the Authorization header.
type recorded struct {
	Method string
	Path   string // escaped
	Query  string
	Header http.Header
	Body   []byte
}

// recorder is an http.RoundTripper that records requests and forwards them over real HTTP.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []recorded
	auth []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	h := req.Header.Clone()
	r.mu.Lock()
	r.auth = append(r.auth, h.Get("Authorization"))
	h.Del("Authorization")
	r.reqs = append(r.reqs, recorded{Method: req.Method, Path: req.URL.EscapedPath(), Query: req.URL.RawQuery, Header: h, Body: body})
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

func (r *recorder) requests() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reqs)
}

func (r *recorder) authHeaders() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.auth)
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.reqs, r.auth = nil, nil
	r.mu.Unlock()
}

// env is a client wired to a fresh emulator through a recorder.
type env struct {
	srv *planhatemu.Server
	c   *planhat.Client
	rec *recorder
}

// fastRetry retries quickly so tests never sleep long.
var fastRetry = &planhat.RetryPolicy{MaxRetries: 3, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxRetryAfter: 50 * time.Millisecond}

// highLimit keeps the client's limiter out of the way of functional tests.
var highLimit = &planhat.RateLimit{Requests: 100000, Window: time.Second, Burst: 1000, PerSecond: 100000, MaxInFlight: 50, Cooldown: 50 * time.Millisecond}

func newEnv(t testing.TB, srvOpts []planhatemu.Option, mutate func(*planhat.Options)) *env {
	t.Helper()
	srvOpts = append([]planhatemu.Option{planhatemu.WithToken(testToken), planhatemu.WithTenant(testTenant)}, srvOpts...)
	srv := planhattest.NewServer(t, srvOpts...)
	rec := &recorder{next: http.DefaultTransport.(*http.Transport).Clone()}
	opts := planhat.Options{
		Token:        testToken,
		TenantToken:  testTenant,
		BaseURL:      srv.URL,
		AnalyticsURL: srv.AnalyticsURL,
		HTTPClient:   &http.Client{Transport: rec},
		Retry:        fastRetry,
		RateLimit:    highLimit,
	}
	if mutate != nil {
		mutate(&opts)
	}
	c, err := planhat.NewClient(opts)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return &env{srv: srv, c: c, rec: rec}
}

// mustJSON round-trips v into a generic value for comparisons.
func mustJSON(t testing.TB, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// formatRequests renders requests for golden files: method, path, query, sorted headers
// (without Authorization) and an indented body.
func formatRequests(reqs []recorded) []byte {
	var b strings.Builder
	for i, r := range reqs {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(r.Method + " " + r.Path + "\n")
		if r.Query != "" {
			b.WriteString("Query: " + r.Query + "\n")
		}
		keys := make([]string, 0, len(r.Header))
		for k := range r.Header {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			b.WriteString(k + ": " + strings.Join(r.Header[k], ", ") + "\n")
		}
		if len(r.Body) > 0 {
			var out bytes.Buffer
			if json.Indent(&out, r.Body, "", "  ") == nil {
				b.WriteString("\n" + out.String() + "\n")
			} else {
				b.WriteString("\n" + string(r.Body) + "\n")
			}
		}
	}
	return []byte(b.String())
}

// pipeNet serves HTTP over in-memory pipes, so that a client and the emulator can run
// inside a synctest bubble: goroutines blocked on loopback sockets are not durably blocked,
// and would keep the bubble's fake clock from advancing.
type pipeNet struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

// servePipe serves h over a pipeNet and returns a client that reaches it at any URL; the
// server and the client's connections are closed when the test (or bubble) ends.
func servePipe(t testing.TB, h http.Handler) *http.Client {
	t.Helper()
	p := &pipeNet{conns: make(chan net.Conn), done: make(chan struct{})}
	hs := &http.Server{Handler: h}
	go hs.Serve(p)
	tr := &http.Transport{DialContext: p.dial}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		hs.Close()
	})
	return &http.Client{Transport: tr}
}

func (p *pipeNet) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case p.conns <- server:
		return client, nil
	case <-p.done:
		client.Close()
		server.Close()
		return nil, net.ErrClosed
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, ctx.Err()
	}
}

// Accept implements net.Listener.
func (p *pipeNet) Accept() (net.Conn, error) {
	select {
	case c := <-p.conns:
		return c, nil
	case <-p.done:
		return nil, net.ErrClosed
	}
}

// Close implements net.Listener.
func (p *pipeNet) Close() error {
	p.once.Do(func() { close(p.done) })
	return nil
}

// Addr implements net.Listener.
func (p *pipeNet) Addr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }
