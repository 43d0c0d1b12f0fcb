package console

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Failed logins are limited per client address, so a guessed key costs a
// minute per few tries: admin keys are often typed by people, not generated.
const (
	maxLoginFailures = 5
	loginWindow      = time.Minute
	// maxLoginHosts bounds the addresses remembered; past it the oldest
	// windows are forgotten first.
	maxLoginHosts = 4096
)

// loginGuard counts failed logins per address within a window.
type loginGuard struct {
	mu    sync.Mutex
	hosts map[string]*loginWindowCount
}

type loginWindowCount struct {
	start    time.Time
	failures int
}

// allow reports whether host may try to log in at now.
func (g *loginGuard) allow(host string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	w := g.hosts[host]
	return w == nil || now.Sub(w.start) >= loginWindow || w.failures < maxLoginFailures
}

// failed counts a refused login of host at now.
func (g *loginGuard) failed(host string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.hosts == nil {
		g.hosts = map[string]*loginWindowCount{}
	}
	w := g.hosts[host]
	if w == nil || now.Sub(w.start) >= loginWindow {
		if w == nil && len(g.hosts) >= maxLoginHosts {
			g.forgetOld(now)
		}
		w = &loginWindowCount{start: now}
		g.hosts[host] = w
	}
	w.failures++
}

// forgetOld drops lapsed windows, and when none has lapsed, all of them:
// a flood of addresses must not grow the map without bound.
func (g *loginGuard) forgetOld(now time.Time) {
	for h, w := range g.hosts {
		if now.Sub(w.start) >= loginWindow {
			delete(g.hosts, h)
		}
	}
	if len(g.hosts) >= maxLoginHosts {
		clear(g.hosts)
	}
}

// remoteHost is the client's address without the port. Behind a proxy
// every client shares the proxy's address, so the limit then applies to
// all of them together, which errs on the safe side.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
