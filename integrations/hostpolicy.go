package integrations

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/planbridge/planbridge/planhat"
)

// ErrHostNotAllowed is wrapped by every refusal of a configured URL or of a
// connection to a forbidden address. It also matches
// planhat.ErrDestinationRefused, so the planhat client, and whoever
// classifies its errors, see a configuration error rather than an outage.
var ErrHostNotAllowed error = hostNotAllowed{}

type hostNotAllowed struct{}

func (hostNotAllowed) Error() string { return "host not allowed" }

func (hostNotAllowed) Is(target error) bool { return target == planhat.ErrDestinationRefused }

// HostPolicy decides which URLs from a Botpress configuration (untrusted:
// anyone who can reach the server sends one) may be contacted. By default it
// allows HTTPS to the given domain suffixes only, and refuses to connect to
// loopback, private, link-local and other non-public addresses, checked on
// the resolved IP at dial time so DNS tricks cannot get around it.
type HostPolicy struct {
	// Suffixes are the domains allowed by default, e.g. ".planhat.com"
	// (the domain itself and any subdomain), HTTPS on port 443 only.
	Suffixes []string
	// Extra are operator-allowed entries (PLANBRIDGE_ALLOW_HOSTS): a host
	// name, "*.domain", "host:port", an IP or a CIDR. Listed hosts may use
	// any port and plain HTTP, and may resolve to private addresses: the
	// operator asked for them on purpose.
	Extra []string
	// AllowLoopback admits loopback hosts and addresses (plain HTTP too);
	// tests set it to reach in-process emulators.
	AllowLoopback bool
	// TrustedOrigins are the operator's own Planhat URLs (PLANHAT_API_URL,
	// PLANHAT_REGION, PLANHAT_ANALYTICS_URL): a configured URL with exactly
	// the same scheme, host and port is allowed whatever its address (the
	// sandbox's loopback emulator, say). Nothing around them is: another
	// scheme or port of the same host takes the ordinary rules.
	TrustedOrigins []string
}

// originKey is scheme://host:port in lower case with the scheme's default
// port made explicit, so "https://API.planhat.com" and
// "https://api.planhat.com:443" compare equal.
func originKey(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	return strings.ToLower(u.Scheme) + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// trustedOrigin reports whether u is exactly one of the operator's origins.
func (p *HostPolicy) trustedOrigin(u *url.URL) bool {
	key := originKey(u)
	for _, o := range p.TrustedOrigins {
		if tu, err := url.Parse(o); err == nil && tu.Host != "" && originKey(tu) == key {
			return true
		}
	}
	return false
}

// trustedDial reports whether host:port is the host and port of one of the
// operator's origins. The dialer sees no scheme; CheckURL has already
// refused any other scheme on that host and port.
func (p *HostPolicy) trustedDial(host, port string) bool {
	for _, o := range p.TrustedOrigins {
		tu, err := url.Parse(o)
		if err != nil || tu.Host == "" {
			continue
		}
		k := originKey(tu)
		if strings.HasSuffix(k, "://"+net.JoinHostPort(host, port)) {
			return true
		}
	}
	return false
}

// ParseAllowHosts splits a comma-separated PLANBRIDGE_ALLOW_HOSTS value.
func ParseAllowHosts(list string) []string {
	var out []string
	for part := range strings.SplitSeq(list, ",") {
		if part = strings.ToLower(strings.TrimSpace(part)); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// CheckURL validates a configured base URL before any connection is made.
// The error message says what is allowed, so it can be shown to a bot
// builder as is.
func (p *HostPolicy) CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("%w: %s is not an absolute http(s) URL such as https://api.planhat.com", ErrHostNotAllowed, describeURL(u, err))
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: URLs with credentials are refused; put tokens in their own fields", ErrHostNotAllowed)
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if p.trustedOrigin(u) {
		return u, nil
	}
	if p.extraAllows(host, port) {
		return u, nil
	}
	if p.AllowLoopback && isLoopbackHost(host) {
		return u, nil
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("%w: %s must use https", ErrHostNotAllowed, host)
	}
	if port != "" && port != "443" {
		return nil, fmt.Errorf("%w: %s: only the standard https port is allowed", ErrHostNotAllowed, host)
	}
	if !p.suffixAllows(host) {
		return nil, fmt.Errorf("%w: %s is not a %s host", ErrHostNotAllowed, host, strings.Join(p.Suffixes, " or "))
	}
	return u, nil
}

func (p *HostPolicy) suffixAllows(host string) bool {
	for _, s := range p.Suffixes {
		s = strings.ToLower(s)
		if host == strings.TrimPrefix(s, ".") || strings.HasSuffix(host, "."+strings.TrimPrefix(s, ".")) {
			return true
		}
	}
	return false
}

// extraAllows matches host[:port] against the operator's entries.
func (p *HostPolicy) extraAllows(host, port string) bool {
	for _, e := range p.Extra {
		if pfx, err := netip.ParsePrefix(e); err == nil {
			if a, err := netip.ParseAddr(host); err == nil && pfx.Contains(a.Unmap()) {
				return true
			}
			continue
		}
		eh, ep := e, ""
		if h, pt, err := net.SplitHostPort(e); err == nil {
			eh, ep = h, pt
		}
		if ep != "" && ep != port {
			continue
		}
		if strings.HasPrefix(eh, "*.") {
			if strings.HasSuffix(host, eh[1:]) {
				return true
			}
			continue
		}
		if host == strings.Trim(eh, "[]") {
			return true
		}
	}
	return false
}

// addrAllowedByExtra reports whether an operator CIDR or IP entry covers a.
func (p *HostPolicy) addrAllowedByExtra(a netip.Addr) bool {
	for _, e := range p.Extra {
		if pfx, err := netip.ParsePrefix(e); err == nil && pfx.Contains(a) {
			return true
		}
		if ip, err := netip.ParseAddr(strings.Trim(e, "[]")); err == nil && ip.Unmap() == a {
			return true
		}
	}
	return false
}

func isLoopbackHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && a.Unmap().IsLoopback()
}

// publicAddr reports whether a is a globally routable unicast address.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap()
	switch {
	case !a.IsValid(), a.IsUnspecified(), a.IsLoopback(), a.IsPrivate(), a.IsLinkLocalUnicast(),
		a.IsLinkLocalMulticast(), a.IsInterfaceLocalMulticast(), a.IsMulticast():
		return false
	}
	if nat64.Contains(a) {
		// A NAT64 gateway connects to the embedded IPv4 address.
		b := a.As16()
		return publicAddr(netip.AddrFrom4([4]byte(b[12:])))
	}
	for _, p := range nonPublicPrefixes {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// nat64 is the well-known NAT64 prefix (RFC 6052): DNS64 networks give
// public IPv4 hosts such addresses, so it is judged by the embedded one.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// nonPublicPrefixes are special-purpose ranges netip has no predicate for:
// carrier-grade NAT, benchmarking, documentation, 6to4/Teredo relays of
// private space, the "this network" block, and IPv6 forms that embed an
// IPv4 address outside NAT64 (IPv4-compatible, SIIT-translated) or are
// private or void by definition (site-local, discard-only).
var nonPublicPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"),
	netip.MustParsePrefix("2001::/32"),
	netip.MustParsePrefix("::/96"),
	netip.MustParsePrefix("::ffff:0:0:0/96"),
	netip.MustParsePrefix("fec0::/10"),
	netip.MustParsePrefix("100::/64"),
}

// DialContext dials like net.Dialer but refuses, after DNS resolution and
// before connecting, any address the policy does not allow. Hosts the
// operator listed by name may resolve anywhere.
func (p *HostPolicy) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	host = strings.ToLower(host)
	trustedName := p.extraAllows(host, port) || p.trustedDial(host, port)
	d := &net.Dialer{
		Timeout:   10 * time.Second,
		KeepAlive: 30 * time.Second,
		Control: func(_, addr string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(addr)
			if err != nil {
				return fmt.Errorf("%w: unparseable address", ErrHostNotAllowed)
			}
			a := ap.Addr().Unmap()
			switch {
			case trustedName, publicAddr(a), p.addrAllowedByExtra(a):
				return nil
			case p.AllowLoopback && a.IsLoopback():
				return nil
			}
			return fmt.Errorf("%w: %s resolves to a non-public address", ErrHostNotAllowed, host)
		},
	}
	return d.DialContext(ctx, network, address)
}

// HTTPClient returns a client whose every connection and redirect obeys the
// policy. It sets no overall timeout: the planhat client bounds each call
// itself (longer for bulk calls).
func (p *HostPolicy) HTTPClient(wrap func(http.RoundTripper) http.RoundTripper) *http.Client {
	return p.clientOver(p.newTransport(), wrap)
}

// newTransport is a transport that dials through the policy and never
// through a proxy from the environment, which would dial for it unchecked.
// One transport can serve every token: connections carry no credentials,
// each request brings its own Authorization header.
func (p *HostPolicy) newTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           p.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: 5 * time.Minute,
	}
}

// clientOver is a client on rt (wrapped by wrap when set) that follows no
// redirect: the planhat client's own rule, stated here too so the client
// refuses them whoever uses it.
func (p *HostPolicy) clientOver(rt http.RoundTripper, wrap func(http.RoundTripper) http.RoundTripper) *http.Client {
	if wrap != nil {
		rt = wrap(rt)
	}
	return &http.Client{Transport: rt, CheckRedirect: planhat.RefuseRedirect}
}

// describeURL names a refused URL by scheme and host only: whatever else is
// there may be a secret pasted into the wrong field, and refusals are
// logged and shown to the bot builder.
func describeURL(u *url.URL, err error) string {
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "the value"
	}
	return fmt.Sprintf("%q", u.Scheme+"://"+u.Host)
}

// redactURL keeps the scheme and host of a URL for messages: its path,
// query or userinfo may hold a pasted secret.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(unparseable URL)"
	}
	return u.Scheme + "://" + u.Host
}
