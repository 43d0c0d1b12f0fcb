package integrations

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
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

// TestHostPolicyRedirects refuses a redirect to a host the policy forbids.
func TestHostPolicyRedirects(t *testing.T) {
	t.Parallel()
	gotAuth := make(chan string, 1)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { gotAuth <- r.Header.Get("Authorization") }))
	t.Cleanup(target.Close)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest", http.StatusFound)
	}))
	t.Cleanup(redirector.Close)
	p := &HostPolicy{Suffixes: []string{".planhat.com"}, AllowLoopback: true}
	_, err := p.HTTPClient(nil).Get(redirector.URL)
	if !errors.Is(err, ErrHostNotAllowed) {
		t.Errorf("redirect to link-local: err = %v, want ErrHostNotAllowed", err)
	}
	// A redirect to another allowed host drops the Authorization header.
	hop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.Replace(target.URL, "127.0.0.1", "localhost", 1), http.StatusFound)
	}))
	t.Cleanup(hop.Close)
	req, _ := http.NewRequest(http.MethodGet, hop.URL, nil)
	req.Header.Set("Authorization", "Bearer secret")
	resp, err := p.HTTPClient(nil).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if a := <-gotAuth; a != "" {
		t.Errorf("token forwarded across hosts: %q", a)
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
