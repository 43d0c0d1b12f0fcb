package integrations

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/planhat"
)

func TestHostPolicyCheckURL(t *testing.T) {
	t.Parallel()
	strict := &HostPolicy{Suffixes: []string{".planhat.com"}}
	widened := &HostPolicy{Suffixes: []string{".planhat.com"}, Extra: ParseAllowHosts("planhat.corp.example, *.internal.example ,10.1.0.0/16, proxy.example:8443")}
	loopback := &HostPolicy{Suffixes: []string{".planhat.com"}, AllowLoopback: true}
	tests := []struct {
		policy *HostPolicy
		url    string
		ok     bool
	}{
		{strict, "https://api.planhat.com", true},
		{strict, "https://api-eu.planhat.com/", true},
		{strict, "https://API-US2.PLANHAT.COM", true},
		{strict, "https://planhat.com", true},
		{strict, "https://api.planhat.com:443", true},
		{strict, "http://api.planhat.com", false},
		{strict, "https://api.planhat.com:8443", false},
		{strict, "https://api.planhat.com.evil.example", false},
		{strict, "https://evilplanhat.com", false},
		{strict, "https://user:pw@api.planhat.com", false},
		{strict, "https://127.0.0.1", false},
		{strict, "http://localhost:9100", false},
		{strict, "https://169.254.169.254/latest/meta-data", false},
		{strict, "ftp://api.planhat.com", false},
		{strict, "api.planhat.com", false},
		{strict, "", false},
		{strict, "://", false},
		{widened, "https://planhat.corp.example", true},
		{widened, "http://planhat.corp.example:9000", true},
		{widened, "https://a.internal.example", true},
		{widened, "https://internal.example.evil", false},
		{widened, "http://10.1.2.3:8080", true},
		{widened, "http://10.2.0.1", false},
		{widened, "https://proxy.example:8443", true},
		{widened, "https://proxy.example:9443", false},
		{loopback, "http://127.0.0.1:9100", true},
		{loopback, "http://localhost:9100", true},
		{loopback, "http://[::1]:9100", true},
		{loopback, "http://10.0.0.1", false},
	}
	for _, tt := range tests {
		_, err := tt.policy.CheckURL(tt.url)
		if (err == nil) != tt.ok {
			t.Errorf("CheckURL(%q) with %+v = %v, want ok=%v", tt.url, *tt.policy, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrHostNotAllowed) {
			t.Errorf("CheckURL(%q) error %v does not wrap ErrHostNotAllowed", tt.url, err)
		}
		if err != nil && strings.Contains(err.Error(), "pw@") {
			t.Errorf("CheckURL error leaks credentials: %v", err)
		}
	}
}

func TestPublicAddr(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"8.8.8.8":         true,
		"2606:4700::1111": true,
		"127.0.0.1":       false,
		"10.0.0.1":        false,
		"172.16.5.4":      false,
		"192.168.1.1":     false,
		"169.254.169.254": false,
		"100.64.0.1":      false,
		"0.0.0.0":         false,
		"::1":             false,
		"fe80::1":         false,
		"fc00::1":         false,
		"::ffff:10.0.0.1": false,
		"224.0.0.1":       false,
		"198.18.0.1":      false,
	} {
		if got := publicAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("publicAddr(%s) = %v, want %v", addr, got, want)
		}
	}
}

// TestHostPolicyDialRefusesLoopback proves the check happens at dial time
// on the resolved address: a name that passes CheckURL ("localhost" via an
// operator entry) or a literal loopback still cannot be reached unless
// loopback is allowed.
func TestHostPolicyDialRefusesLoopback(t *testing.T) {
	t.Parallel()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("reached")) }))
	t.Cleanup(hs.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(hs.URL, "http://"))

	strict := &HostPolicy{Suffixes: []string{".planhat.com"}}
	client := strict.HTTPClient(nil)
	_, err := client.Get("http://127.0.0.1:" + port)
	if !errors.Is(err, ErrHostNotAllowed) {
		t.Errorf("strict dial to loopback: err = %v, want ErrHostNotAllowed", err)
	}
	if _, err := strict.DialContext(context.Background(), "tcp", "localhost:"+port); !errors.Is(err, ErrHostNotAllowed) {
		t.Errorf("strict dial to localhost: err = %v, want ErrHostNotAllowed", err)
	}

	open := &HostPolicy{Suffixes: []string{".planhat.com"}, AllowLoopback: true}
	resp, err := open.HTTPClient(nil).Get(hs.URL)
	if err != nil {
		t.Fatalf("loopback-allowed dial: %v", err)
	}
	resp.Body.Close()

	named := &HostPolicy{Suffixes: []string{".planhat.com"}, Extra: []string{"localhost"}}
	resp, err = named.HTTPClient(nil).Get("http://localhost:" + port)
	if err != nil {
		t.Fatalf("operator-listed name: %v", err)
	}
	resp.Body.Close()
}

// TestHostPolicyRedirects checks that the policy's client follows no
// redirect, not even to a host the policy allows: the target must get no
// request (it would carry the token), and the refusal matches
// planhat.ErrDestinationRefused.
func TestHostPolicyRedirects(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(target.Close)
	tests := []struct {
		name, location string
	}{
		{"to link-local", "http://169.254.169.254/latest"},
		{"to another allowed (loopback) host", strings.Replace(target.URL, "127.0.0.1", "localhost", 1)},
		{"to the same host", target.URL + "/elsewhere"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, tt.location, http.StatusFound)
			}))
			t.Cleanup(redirector.Close)
			p := &HostPolicy{Suffixes: []string{".planhat.com"}, AllowLoopback: true}
			req, _ := http.NewRequest(http.MethodGet, redirector.URL, nil)
			req.Header.Set("Authorization", "Bearer secret")
			_, err := p.HTTPClient(nil).Do(req)
			if !errors.Is(err, planhat.ErrDestinationRefused) {
				t.Errorf("err = %v, want planhat.ErrDestinationRefused", err)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests, want none", n)
	}
}

// TestPublicAddrEmbeddedIPv4 covers IPv6 forms that carry (or once
// carried) an IPv4 address: a NAT64 gateway or an old stack reaches the
// embedded address, so a private one there is as forbidden as itself.
func TestPublicAddrEmbeddedIPv4(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"64:ff9b::8.8.8.8":         true,  // NAT64 of a public address (DNS64 networks)
		"64:ff9b::10.0.0.1":        false, // NAT64 of a private address
		"64:ff9b::127.0.0.1":       false,
		"64:ff9b::169.254.169.254": false,
		"::127.0.0.1":              false, // IPv4-compatible (deprecated)
		"::10.0.0.1":               false,
		"::8.8.8.8":                false,
		"::ffff:0:10.0.0.1":        false, // IPv4-translated (SIIT)
		"fec0::1":                  false, // site-local (deprecated, private)
		"100::1":                   false, // discard-only
	} {
		if got := publicAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("publicAddr(%s) = %v, want %v", addr, got, want)
		}
	}
}

// TestCheckURLEchoesOnlySchemeAndHost proves that a value pasted into a URL
// field by mistake (an API token, say) is not repeated in the refusal, which
// is logged and shown in Botpress: only a scheme and host are echoed.
func TestCheckURLEchoesOnlySchemeAndHost(t *testing.T) {
	t.Parallel()
	const token = "pk_live_9f8e7d6c5b4a39281706"
	p := &HostPolicy{Suffixes: []string{".planhat.com"}}
	for _, raw := range []string{
		token,
		"api.planhat.com/" + token,
		"https:" + token,
		"https:/" + token,
		"ftp://api.planhat.com/" + token,
		"//" + token,
	} {
		_, err := p.CheckURL(raw)
		if err == nil {
			t.Fatalf("CheckURL(%q) accepted", raw)
		}
		if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), token[8:20]) {
			t.Errorf("CheckURL(%q) error repeats the value: %v", raw, err)
		}
	}
	_, err := p.CheckURL("ftp://files.example/" + token)
	if err == nil || !strings.Contains(err.Error(), "ftp://files.example") {
		t.Errorf("the refusal should still name scheme and host: %v", err)
	}
}

// TestOperatorOriginIsTrustedExactly checks that the operator's default
// Planhat URL is trusted as scheme, host and port together: its neighbours
// (plain http, another port) take the ordinary rules.
func TestOperatorOriginIsTrustedExactly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		defaultURL string
		url        string
		ok         bool
	}{
		{"region eu: the origin itself", "https://api-eu.planhat.com", "https://api-eu.planhat.com", true},
		{"region eu: explicit default port", "https://api-eu.planhat.com", "https://API-EU.planhat.com:443/", true},
		{"region eu: plain http on another port", "https://api-eu.planhat.com", "http://api-eu.planhat.com:9601", false},
		{"region eu: plain http", "https://api-eu.planhat.com", "http://api-eu.planhat.com", false},
		{"region eu: https on another port", "https://api-eu.planhat.com", "https://api-eu.planhat.com:9601", false},
		{"region eu: another planhat host, ordinary rules", "https://api-eu.planhat.com", "https://api.planhat.com", true},
		{"sandbox: the emulator's origin", "http://127.0.0.1:9603", "http://127.0.0.1:9603", true},
		{"sandbox: another loopback port", "http://127.0.0.1:9603", "http://127.0.0.1:9604", false},
		{"sandbox: https on the same port", "http://127.0.0.1:9603", "https://127.0.0.1:9603", false},
		{"sandbox: localhost is another origin", "http://127.0.0.1:9603", "http://localhost:9603", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newTestPlanhat(t, PlanhatOptions{DefaultAPIURL: tt.defaultURL})
			_, err := p.opts.Policy.CheckURL(tt.url)
			if (err == nil) != tt.ok {
				t.Errorf("CheckURL(%q) = %v, want ok=%t", tt.url, err, tt.ok)
			}
		})
	}
}

// TestOperatorOriginDial checks the dial guard against two loopback
// listeners when only the first is the operator's origin: the second is
// refused as a non-public address.
func TestOperatorOriginDial(t *testing.T) {
	t.Parallel()
	trusted := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(trusted.Close)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(other.Close)
	p := newTestPlanhat(t, PlanhatOptions{DefaultAPIURL: trusted.URL})
	for _, tt := range []struct {
		url string
		ok  bool
	}{{trusted.URL, true}, {other.URL, false}} {
		resp, err := p.opts.Policy.HTTPClient(nil).Get(tt.url)
		if err == nil {
			resp.Body.Close()
		}
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrHostNotAllowed)) {
			t.Errorf("GET %s: err = %v, want ok=%t (or ErrHostNotAllowed)", tt.url, err, tt.ok)
		}
	}
}

// TestRefusedDialIsAConfigurationError checks that a connection the guard
// refuses reaches the planhat client's caller as planhat.ErrDestinationRefused
// (and ErrHostNotAllowed) after one attempt: retrying cannot help.
func TestRefusedDialIsAConfigurationError(t *testing.T) {
	t.Parallel()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(hs.Close)
	strict := &HostPolicy{Suffixes: []string{".planhat.com"}}
	var attempts atomic.Int32
	c, err := planhat.NewClient(planhat.Options{Token: "tok", BaseURL: hs.URL, HTTPClient: strict.HTTPClient(nil),
		Observer: func(planhat.CallInfo) { attempts.Add(1) },
		Retry:    &planhat.RetryPolicy{MaxRetries: 3, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Ping(t.Context())
	got := []bool{errors.Is(err, planhat.ErrDestinationRefused), errors.Is(err, ErrHostNotAllowed), attempts.Load() == 1}
	if !got[0] || !got[1] || !got[2] {
		t.Errorf("refused, host not allowed, one attempt = %v (%d attempts), want all true; err = %v", got, attempts.Load(), err)
	}
	if strings.Contains(err.Error(), "try again") || strings.Contains(err.Error(), "could not be reached") {
		t.Errorf("err = %v invites a retry", err)
	}
}

// newTestPlanhat builds the integration with an empty registry unless opts
// names one.
func newTestPlanhat(t *testing.T, opts PlanhatOptions) *Planhat {
	t.Helper()
	if opts.Registry == nil {
		opts.Registry = &actions.Registry{}
	}
	p, err := NewPlanhat(opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
