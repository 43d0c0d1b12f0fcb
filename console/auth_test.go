package console

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestSessionRoundTripAndExpiry(t *testing.T) {
	t.Parallel()
	keys := newSessionKeys([]string{"key-one", " key-two "})
	now := time.Unix(1_800_000_000, 0)
	k := keys.match("key-two")
	if k == nil || keys.match("key-three") != nil || keys.match("") != nil {
		t.Fatal("match accepts the wrong keys")
	}
	value, s := keys.issue(k, now.Add(time.Hour))
	got, err := keys.verify(value, now)
	if err != nil || got.csrf() != s.csrf() {
		t.Fatalf("verify(issued) = %v, %v", got, err)
	}
	if _, err := keys.verify(value, now.Add(time.Hour)); err == nil {
		t.Error("an expired session verified")
	}
	// A session signed for a key that is no longer configured is refused.
	if _, err := newSessionKeys([]string{"key-one"}).verify(value, now); err == nil {
		t.Error("a session of a removed key verified")
	}
	payload, _, _ := strings.Cut(value, ".")
	if _, err := keys.verify(payload+"."+sign(keys.match("key-one"), payload+"x"), now); err == nil {
		t.Error("a forged signature verified")
	}
	other, _ := keys.issue(k, now.Add(time.Hour))
	o, _ := keys.verify(other, now)
	if o.csrf() == s.csrf() {
		t.Error("two sessions share a CSRF token")
	}
}

// FuzzVerifySession feeds arbitrary cookie values to the session check:
// it must never panic and never accept what it did not issue.
func FuzzVerifySession(f *testing.F) {
	keys := newSessionKeys([]string{"fuzz-key"})
	now := time.Unix(1_800_000_000, 0)
	good, _ := keys.issue(keys.match("fuzz-key"), now.Add(time.Hour))
	for _, seed := range []string{good, "", ".", "a.b", good + "x", strings.Repeat("A", 32) + "." + strings.Repeat("B", 43)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		s, err := keys.verify(v, now)
		if err == nil && v != good {
			// Only the issued value (or an equivalent base64 spelling of
			// it) may pass; its payload must re-sign to the same MAC.
			payload, mac, _ := strings.Cut(v, ".")
			if sign(s.key, payload) != mac {
				t.Fatalf("accepted %q", v)
			}
		}
	})
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/console/outbox?state=dead": "/console/outbox?state=dead",
		"":                           "/console",
		"https://evil.example/":      "/console",
		"//evil.example/console":     "/console",
		"/console\\@evil":            "/console",
		"/v1/admin/overview":         "/console",
		"/console/../metrics":        "/console/../metrics",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSameOrigin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		origin, referer string
		want            bool
	}{
		{"", "", true},
		{"http://console.test", "", true},
		{"http://evil.test", "", false},
		{"null", "", false},
		{"", "http://console.test/console/outbox", true},
		{"", "http://evil.test/console", false},
	} {
		r := httptestRequest(tc.origin, tc.referer)
		if got := sameOrigin(r); got != tc.want {
			t.Errorf("origin %q referer %q: %v, want %v", tc.origin, tc.referer, got, tc.want)
		}
	}
}

func TestLoginGuard(t *testing.T) {
	t.Parallel()
	var g loginGuard
	now := time.Unix(1_800_000_000, 0)
	for i := range maxLoginFailures {
		if !g.allow("10.0.0.1", now) {
			t.Fatalf("refused after %d failures", i)
		}
		g.failed("10.0.0.1", now)
	}
	if g.allow("10.0.0.1", now.Add(time.Second)) {
		t.Error("allowed after the limit")
	}
	if !g.allow("10.0.0.2", now) {
		t.Error("another address is limited too")
	}
	if !g.allow("10.0.0.1", now.Add(loginWindow)) {
		t.Error("still refused after the window")
	}
	for i := range maxLoginHosts + 10 {
		g.failed(fmt.Sprintf("h%d", i), now)
	}
	if len(g.hosts) > maxLoginHosts {
		t.Errorf("remembers %d addresses, over %d", len(g.hosts), maxLoginHosts)
	}
}
