// Package faults holds the fault rules the emulators' control APIs accept
// (POST/GET/DELETE /_emulator/faults), so a script outside Go can rehearse
// a 429 storm, slow answers, resets or a moved host against a standalone
// emulator. Each emulator decides how a Fault looks on its wire.
package faults

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MaxBody bounds a POSTed rule; a real one is a few dozen bytes.
const MaxBody = 16 << 10

// MaxLatency bounds injected latency, so a typo ("5000s") cannot hang a
// client for hours.
const MaxLatency = 10 * time.Minute

// Duration is a time.Duration written in JSON as Go writes it ("250ms", "5s").
type Duration time.Duration

// MarshalJSON writes the duration as a string such as "5s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a string such as "250ms" or "5s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration string such as \"250ms\" or \"5s\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration string such as \"250ms\" or \"5s\": %w", err)
	}
	*d = Duration(v)
	return nil
}

// Spec is one rule as POST /_emulator/faults takes it. Exactly one of
// Status, Drop and Redirect says what happens, or none when Latency alone
// slows requests down.
type Spec struct {
	// Paths limits the rule to requests whose path is one of these or lies
	// under one (segment-wise: "/companies" covers "/companies/x", not
	// "/companiesx"); empty means every request.
	Paths []string `json:"paths,omitempty"`
	// Count is how many requests the rule applies to; 0 means until cleared.
	Count int `json:"count,omitempty"`
	// Status answers this 4xx/5xx status without touching data.
	Status int `json:"status,omitempty"`
	// RetryAfter sets Retry-After (whole seconds, rounded up) on Status answers.
	RetryAfter Duration `json:"retryAfter,omitempty"`
	// Latency delays each matching request before anything else happens.
	Latency Duration `json:"latency,omitempty"`
	// Drop closes the connection without an answer, as a reset network does.
	Drop bool `json:"drop,omitempty"`
	// Redirect answers RedirectStatus with this absolute URL as Location.
	Redirect string `json:"redirect,omitempty"`
	// RedirectStatus is the redirect's status: 301, 302 (default), 303, 307 or 308.
	RedirectStatus int `json:"redirectStatus,omitempty"`
}

// Rule is an active rule as GET /_emulator/faults shows it.
type Rule struct {
	ID int `json:"id"`
	Spec
	// Remaining is how many more requests the rule applies to; absent when
	// it lasts until cleared.
	Remaining *int `json:"remaining,omitempty"`
	// Hits counts the requests the rule has applied to so far.
	Hits int `json:"hits"`
}

// Fault is what an emulator does to one request.
type Fault struct {
	Latency        time.Duration
	Status         int
	RetryAfter     time.Duration
	Drop           bool
	Redirect       string
	RedirectStatus int
}

// RetryAfterSeconds is the Retry-After header value (0: send none).
func (f Fault) RetryAfterSeconds() int {
	if f.RetryAfter <= 0 {
		return 0
	}
	return int((f.RetryAfter + time.Second - 1) / time.Second)
}

// Validate explains the first thing wrong with s, or returns nil.
func (s *Spec) Validate() error {
	if s.Count < 0 {
		return fmt.Errorf("count %d is negative: give how many requests the fault applies to, or 0 (or nothing) for every request until DELETE /_emulator/faults", s.Count)
	}
	if s.Latency < 0 || s.RetryAfter < 0 {
		return errors.New("latency and retryAfter must not be negative")
	}
	if time.Duration(s.Latency) > MaxLatency {
		return fmt.Errorf("latency %s is over the %s limit", time.Duration(s.Latency), MaxLatency)
	}
	effects := 0
	for _, on := range []bool{s.Status != 0, s.Drop, s.Redirect != ""} {
		if on {
			effects++
		}
	}
	switch {
	case effects > 1:
		return errors.New(`give only one of "status", "drop" and "redirect" per fault; POST several faults to combine them`)
	case effects == 0 && s.Latency == 0:
		return errors.New(`nothing to inject: give "status" (e.g. 429), "drop": true, "redirect" (a URL) or "latency" (e.g. "2s")`)
	}
	if s.Status != 0 && (s.Status < 400 || s.Status > 599) {
		return fmt.Errorf("status %d is not an error status: give 400 to 599 (use \"redirect\" for 3xx)", s.Status)
	}
	if s.RetryAfter != 0 && s.Status == 0 {
		return errors.New(`"retryAfter" goes with "status" (e.g. 429 or 503)`)
	}
	if s.Redirect != "" {
		u, err := url.Parse(s.Redirect)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("redirect %q is not an absolute http(s) URL", s.Redirect)
		}
	}
	switch s.RedirectStatus {
	case 0:
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		if s.Redirect == "" {
			return errors.New(`"redirectStatus" goes with "redirect"`)
		}
	default:
		return fmt.Errorf("redirectStatus %d: give 301, 302, 303, 307 or 308", s.RedirectStatus)
	}
	for _, p := range s.Paths {
		if !strings.HasPrefix(p, "/") {
			return fmt.Errorf("path %q must start with /", p)
		}
	}
	return nil
}

// matches reports whether path is one of s.Paths or under one.
func (s *Spec) matches(path string) bool {
	if len(s.Paths) == 0 {
		return true
	}
	for _, p := range s.Paths {
		if path == p || strings.HasPrefix(path, strings.TrimSuffix(p, "/")+"/") {
			return true
		}
	}
	return false
}

// rule is an active rule; remaining is meaningful when spec.Count > 0.
type rule struct {
	id        int
	spec      Spec
	remaining int
	hits      int
}

// Set is the active rules of one emulator, tried in the order they were
// added. The zero Set is empty and ready; it is safe for concurrent use.
type Set struct {
	mu     sync.Mutex
	rules  []*rule
	nextID int
}

// Add validates spec and appends it as a rule.
func (fs *Set) Add(spec Spec) (Rule, error) {
	if err := spec.Validate(); err != nil {
		return Rule{}, err
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.nextID++
	r := &rule{id: fs.nextID, spec: spec, remaining: spec.Count}
	fs.rules = append(fs.rules, r)
	return r.view(), nil
}

// Take returns the fault of the first rule matching path and counts the
// request against it; a rule whose count is used up is removed.
func (fs *Set) Take(path string) (Fault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, r := range fs.rules {
		if !r.spec.matches(path) {
			continue
		}
		r.hits++
		if r.spec.Count > 0 {
			r.remaining--
			if r.remaining == 0 {
				fs.rules = append(fs.rules[:i:i], fs.rules[i+1:]...)
			}
		}
		status := r.spec.RedirectStatus
		if r.spec.Redirect != "" && status == 0 {
			status = http.StatusFound
		}
		return Fault{Latency: time.Duration(r.spec.Latency), Status: r.spec.Status, RetryAfter: time.Duration(r.spec.RetryAfter),
			Drop: r.spec.Drop, Redirect: r.spec.Redirect, RedirectStatus: status}, true
	}
	return Fault{}, false
}

// List returns the active rules in the order they are tried.
func (fs *Set) List() []Rule {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]Rule, 0, len(fs.rules))
	for _, r := range fs.rules {
		out = append(out, r.view())
	}
	return out
}

// Clear removes every rule and returns how many there were.
func (fs *Set) Clear() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n := len(fs.rules)
	fs.rules = nil
	return n
}

// Remove removes the rule with this id and reports whether there was one.
func (fs *Set) Remove(id int) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, r := range fs.rules {
		if r.id == id {
			fs.rules = append(fs.rules[:i:i], fs.rules[i+1:]...)
			return true
		}
	}
	return false
}

func (r *rule) view() Rule {
	v := Rule{ID: r.id, Spec: r.spec, Hits: r.hits}
	if r.spec.Count > 0 {
		n := r.remaining
		v.Remaining = &n
	}
	return v
}

// ServeHTTP is the control API on the collection, /_emulator/faults: POST
// adds a rule (201 with it), GET lists them, DELETE clears them.
func (fs *Set) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"faults": fs.List()})
	case http.MethodPost:
		spec, err := decode(w, r)
		if err != nil {
			writeError(w, err)
			return
		}
		rule, err := fs.Add(spec)
		if err != nil {
			writeError(w, &httpError{http.StatusBadRequest, "invalid fault: " + err.Error()})
			return
		}
		writeJSON(w, http.StatusCreated, rule)
	case http.MethodDelete:
		writeJSON(w, http.StatusOK, map[string]int{"cleared": fs.Clear()})
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		writeError(w, &httpError{http.StatusMethodNotAllowed, r.Method + " /_emulator/faults: use GET to list, POST to add, DELETE to clear"})
	}
}

// ServeOne is the control API on one rule, /_emulator/faults/{id}: DELETE
// removes it, GET shows it.
func (fs *Set) ServeOne(w http.ResponseWriter, r *http.Request, id string) {
	n, err := strconv.Atoi(id)
	if err != nil || n <= 0 {
		writeError(w, &httpError{http.StatusBadRequest, fmt.Sprintf("fault id %q is not a positive number; see GET /_emulator/faults", id)})
		return
	}
	switch r.Method {
	case http.MethodGet:
		for _, rule := range fs.List() {
			if rule.ID == n {
				writeJSON(w, http.StatusOK, rule)
				return
			}
		}
	case http.MethodDelete:
		if fs.Remove(n) {
			writeJSON(w, http.StatusOK, map[string]int{"cleared": 1})
			return
		}
	default:
		w.Header().Set("Allow", "GET, DELETE")
		writeError(w, &httpError{http.StatusMethodNotAllowed, r.Method + " /_emulator/faults/{id}: use GET to show, DELETE to remove"})
		return
	}
	writeError(w, &httpError{http.StatusNotFound, fmt.Sprintf("no active fault %d (used up or cleared); see GET /_emulator/faults", n)})
}

// httpError is a control API refusal with its status.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

// decode reads one Spec strictly: an unknown field is a typo the caller
// should hear about, not a fault silently not injected.
func decode(w http.ResponseWriter, r *http.Request) (Spec, error) {
	var spec Spec
	if mt := r.Header.Get("Content-Type"); mt != "" && !strings.HasPrefix(mt, "application/json") {
		return spec, &httpError{http.StatusUnsupportedMediaType, "send the fault as JSON with Content-Type: application/json (curl: -H 'Content-Type: application/json')"}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return spec, &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("fault body over %d bytes", MaxBody)}
		}
		return spec, &httpError{http.StatusBadRequest, "malformed fault JSON: " + err.Error() +
			`; fields are paths, count, status, retryAfter, latency, drop, redirect, redirectStatus, e.g. {"status":429,"count":10,"retryAfter":"5s"}`}
	}
	if _, err := dec.Token(); err != io.EOF {
		return spec, &httpError{http.StatusBadRequest, "malformed fault JSON: one object per request, nothing after it"}
	}
	return spec, nil
}

func writeError(w http.ResponseWriter, err error) {
	status := http.StatusBadRequest
	var he *httpError
	if errors.As(err, &he) {
		status = he.status
	}
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "emulator could not encode the answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
