package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// SessionCookie is the name of the console's login cookie.
const SessionCookie = "planbridge_console"

// loginCookie carries the login form's anti-forgery token before a session exists.
const loginCookie = "planbridge_console_login"

// DefaultSessionLifetime is how long a console login lasts.
const DefaultSessionLifetime = 12 * time.Hour

// sessionKeys are the keys a console session is signed with, one per
// accepted admin key. A session is signed with the key of the admin key
// that logged in, so it needs no server-side state (any replica can check
// it) and ends when that admin key is removed from the configuration.
type sessionKeys struct {
	keys [][]byte
}

func newSessionKeys(adminKeys []string) *sessionKeys {
	s := &sessionKeys{}
	for _, k := range adminKeys {
		if k = strings.TrimSpace(k); k == "" {
			continue
		}
		// The admin key itself is never a MAC key: a derived one means a
		// leaked cookie says nothing about the key.
		m := hmac.New(sha256.New, []byte(k))
		m.Write([]byte("planbridge console session v1"))
		s.keys = append(s.keys, m.Sum(nil))
	}
	return s
}

// match returns the session key of the admin key presented, comparing
// against every configured key in constant time.
func (s *sessionKeys) match(adminKey string) []byte {
	if adminKey == "" {
		return nil
	}
	m := hmac.New(sha256.New, []byte(adminKey))
	m.Write([]byte("planbridge console session v1"))
	got := m.Sum(nil)
	var found []byte
	for _, k := range s.keys {
		if subtle.ConstantTimeCompare(got, k) == 1 {
			found = k
		}
	}
	return found
}

// session is a verified console login.
type session struct {
	key     []byte
	payload string
	expires time.Time
}

// csrf is the anti-forgery token of the session's forms: bound to the
// session, so a token seen by one login is useless to another.
func (s session) csrf() string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("csrf|" + s.payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func sign(key []byte, payload string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// issue makes a cookie value for a new session until expires.
func (s *sessionKeys) issue(key []byte, expires time.Time) (string, session) {
	var raw [24]byte
	binary.BigEndian.PutUint64(raw[:8], uint64(expires.Unix()))
	_, _ = rand.Read(raw[8:])
	payload := base64.RawURLEncoding.EncodeToString(raw[:])
	return payload + "." + sign(key, payload), session{key: key, payload: payload, expires: expires}
}

var errNoSession = errors.New("console: no valid session")

// verify checks a cookie value at now.
func (s *sessionKeys) verify(value string, now time.Time) (session, error) {
	payload, mac, ok := strings.Cut(value, ".")
	if !ok || len(value) > 200 {
		return session{}, errNoSession
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || len(raw) != 24 {
		return session{}, errNoSession
	}
	var found []byte
	for _, k := range s.keys {
		if subtle.ConstantTimeCompare([]byte(sign(k, payload)), []byte(mac)) == 1 {
			found = k
		}
	}
	if found == nil {
		return session{}, errNoSession
	}
	expires := time.Unix(int64(binary.BigEndian.Uint64(raw[:8])), 0)
	if !now.Before(expires) {
		return session{}, errNoSession
	}
	return session{key: found, payload: payload, expires: expires}, nil
}

// randomToken is an unguessable token for the login form.
func randomToken() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// sameOrigin reports whether a state-changing request came from the
// console's own pages: browsers send Origin (or at least Referer) on
// POSTs, and a cross-site form carries another origin. A request with
// neither (a script) is left to the CSRF token.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		ref := r.Header.Get("Referer")
		if ref == "" {
			return true
		}
		u, err := url.Parse(ref)
		if err != nil {
			return false
		}
		origin = u.Scheme + "://" + u.Host
	}
	if origin == "null" {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// tokenEqual compares a presented form token with the expected one in constant time.
func tokenEqual(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
