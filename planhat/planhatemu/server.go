package planhatemu

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/planbridge/planbridge/internal/faults"
)

// Server is an in-memory Planhat: the main REST host and the analytics host,
// with accounting and fault injection for tests. All methods are safe for
// concurrent use.
type Server struct {
	// URL is the main API host (set by Attach).
	URL string
	// AnalyticsURL is the analytics host (set by Attach).
	AnalyticsURL string
	// Token is the first accepted API token.
	Token string
	// Tenant is the tenant UUID of the open and analytics endpoints.
	Tenant string

	cfg    config
	tokens [][]byte

	mu         sync.RWMutex // guards the data below
	cols       map[string]*collection
	activities []Activity
	metrics    []record
	convTypes  map[string]bool
	apiUser    record

	idCounter atomic.Uint64
	idNonce   uint16

	swMu sync.RWMutex
	sw   Switches

	fmu         sync.Mutex // faults and rate windows
	failN       int
	failStatus  int
	dropN       int
	latency     time.Duration
	winStart    time.Time
	winCount    int
	secStart    time.Time
	secCount    int
	inFlight    atomic.Int64
	statsMu     sync.Mutex
	stats       Stats
	reqLog      []Request
	reqLogStart int

	faults faults.Set // rules set over HTTP: /_emulator/faults

	stop func() // closes the listeners recorded by Attach
}

// New builds an emulator without listeners; serve Handler (both hosts on
// one handler) yourself, or use MainHandler and AnalyticsHandler.
func New(opts ...Option) *Server {
	cfg := config{rateN: 200, ratePer: time.Minute, maxBody: 32 << 20, maxAnalyticsBody: 32 << 20,
		requestLogSize: 10000, requestBodyLogSize: 4 << 10}
	for _, o := range opts {
		o(&cfg)
	}
	fixedClock := cfg.now != nil
	if cfg.now == nil {
		cfg.now = time.Now
	}
	if len(cfg.tokens) == 0 {
		cfg.tokens = []string{randomHex(32)}
	}
	if cfg.tenant == "" {
		cfg.tenant = newUUID()
	}
	s := &Server{cfg: cfg, Token: cfg.tokens[0], Tenant: cfg.tenant, sw: cfg.switches}
	for _, t := range cfg.tokens {
		s.tokens = append(s.tokens, []byte(t))
	}
	var nonce [2]byte
	_, _ = rand.Read(nonce[:])
	s.idNonce = binary.BigEndian.Uint16(nonce[:])
	// A seed or a clock asks for reproducible answers, ids included.
	switch {
	case cfg.seed > 0:
		s.idNonce = uint16(cfg.seed)
	case fixedClock:
		s.idNonce = 0
	}
	s.resetData()
	s.stats = newStats()
	return s
}

// Attach records where the emulator is served, filling URL and
// AnalyticsURL, and what Close must call to stop those listeners; call it
// once, before the Server is shared (planhattest.NewServer does).
func (s *Server) Attach(mainURL, analyticsURL string, stop func()) {
	s.URL, s.AnalyticsURL, s.stop = mainURL, analyticsURL, stop
}

// Close stops the listeners recorded by Attach; without them it does
// nothing.
func (s *Server) Close() {
	if s.stop != nil {
		s.stop()
	}
}

// apiUserID is the team user behind the emulator's token (the Private App),
// fixed so answers are reproducible; it is the owner of Planhat's docs
// example.
const apiUserID = "60ccb1c5965cc9e0f3848075"

// resetData empties every collection and re-applies the seed.
func (s *Server) resetData() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cols = map[string]*collection{}
	for _, name := range collectionNames() {
		ext := "externalId"
		if name == "invoices" {
			ext = "extId"
		}
		s.cols[name] = newCollection(ext)
	}
	s.activities, s.metrics = nil, nil
	s.convTypes = map[string]bool{"note": true, "email": true, "chat": true, "ticket": true, "call": true}
	for _, t := range s.cfg.conversationTypes {
		s.convTypes[t] = true
	}
	s.apiUser = record{"_id": apiUserID, "nickName": "Private App", "firstName": "Private", "lastName": "App",
		"email": "private-app@planhat.invalid", "isExposedAsSenderOption": false}
	if s.cfg.seed > 0 {
		s.seedLocked(s.cfg.seed)
	}
}

// Reset clears data, statistics, the request log, faults and the rate
// window, then re-applies the seed: a fresh emulator with the same tokens.
func (s *Server) Reset() {
	s.resetData()
	s.ResetStats()
	s.fmu.Lock()
	s.failN, s.dropN, s.latency = 0, 0, 0
	s.winStart, s.winCount, s.secStart, s.secCount = time.Time{}, 0, time.Time{}, 0
	s.fmu.Unlock()
	s.faults.Clear()
}

// Switches returns the current switches.
func (s *Server) Switches() Switches {
	s.swMu.RLock()
	defer s.swMu.RUnlock()
	return s.sw
}

// SetSwitches changes switches at run time, e.g. between subtests.
func (s *Server) SetSwitches(fn func(*Switches)) {
	s.swMu.Lock()
	defer s.swMu.Unlock()
	fn(&s.sw)
}

// FailNext makes the next n requests (either host) answer status without
// touching data: 429 comes with "Too many requests", 5xx with a text body.
func (s *Server) FailNext(n, status int) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.failN, s.failStatus = n, status
}

// SetLatency delays every request by d before it is handled (0 disables).
func (s *Server) SetLatency(d time.Duration) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.latency = d
}

// DropNextConnections makes the next n requests end with the connection
// closed and no response, as a reset network would.
func (s *Server) DropNextConnections(n int) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.dropN = n
}

// Handler serves both hosts' routes on one handler, as the standalone
// command does, plus GET /_emulator/stats, POST /_emulator/reset and the
// fault rules at /_emulator/faults (see the package doc).
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt := s.resolveAnalytics(r); rt.name != "" {
			s.serve(w, r, rt, true)
			return
		}
		s.serve(w, r, s.resolveMain(r, true), false)
	})
}

// MainHandler serves only the main API host.
func (s *Server) MainHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, s.resolveMain(r, false), false)
	})
}

// AnalyticsHandler serves only the analytics host; unknown paths get 404.
func (s *Server) AnalyticsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt := s.resolveAnalytics(r)
		if rt.name == "" {
			rt = route{name: r.Method + " (unmatched)", open: true}
		}
		s.serve(w, r, rt, true)
	})
}

// route is a resolved request: its pattern name for accounting and the
// function that answers it (nil: no such route).
type route struct {
	name     string
	open     bool // no token needed
	internal bool // /_emulator: not counted, not limited
	h        func(w http.ResponseWriter, r *http.Request)
}

// serve runs the pipeline every request goes through: accounting, faults,
// auth, rate limit, body cap, then the route.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, rt route, analytics bool) {
	if rt.internal {
		rt.h(w, r)
		return
	}
	start := s.cfg.now()
	rec := &recorder{ResponseWriter: w, status: 200}
	capture := &bodyCapture{limit: s.cfg.requestBodyLogSize}
	if r.Body != nil {
		r.Body = &teeBody{rc: r.Body, c: capture}
	}
	accounted := false
	defer func() {
		if accounted {
			return
		}
		s.account(r, rt.name, rec.status, capture, start)
		if s.cfg.logger != nil {
			s.cfg.logger.Debug("planhat emulator", slog.String("route", rt.name), slog.String("path", r.URL.Path), slog.Int("status", rec.status))
		}
	}()
	w = rec
	// A request is in flight from arrival (latency included); it is over
	// the parallel limit when more were in flight on its arrival.
	overParallel := false
	if !analytics {
		n := s.inFlight.Add(1)
		defer s.inFlight.Add(-1)
		if max := s.Switches().MaxInFlight; max > 0 && n > int64(max) {
			overParallel = true
		}
	}

	s.fmu.Lock()
	drop := s.dropN > 0
	if drop {
		s.dropN--
	}
	fail := 0
	if !drop && s.failN > 0 {
		s.failN--
		fail = s.failStatus
	}
	latency := s.latency
	s.fmu.Unlock()
	// Rules set over HTTP come after the Go API's counters, which tests
	// expect to take effect on the very next request.
	var rule faults.Fault
	if !drop && fail == 0 {
		if f, ok := s.faults.Take(r.URL.Path); ok {
			rule = f
			latency += f.Latency
			drop, fail = f.Drop, f.Status
		}
	}

	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	if drop {
		if hj, ok := rec.ResponseWriter.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				// Account first: the client sees the reset the moment the
				// connection closes and may read Stats right away.
				accounted = true
				s.account(r, rt.name, 0, capture, start)
				_ = conn.Close()
				return
			}
		}
		rec.status = 0
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream instead
	}
	if !analytics {
		s.setRateHeaders(w)
	}
	if rule.Redirect != "" {
		w.Header().Set("Location", rule.Redirect)
		w.WriteHeader(rule.RedirectStatus)
		return
	}
	if fail != 0 {
		if secs := rule.RetryAfterSeconds(); secs > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(secs))
		}
		if fail == http.StatusTooManyRequests {
			if rule.RetryAfter > 0 {
				writeText(w, fail, "Too many requests")
				return
			}
			s.tooMany(w, s.windowLeft())
			return
		}
		http.Error(w, http.StatusText(fail), fail)
		return
	}
	if !rt.open {
		if !s.authorized(r) {
			writeUnauthorized(w)
			return
		}
	}
	if !analytics {
		if ok, wait := s.takeRate(w); !ok {
			s.tooMany(w, wait)
			return
		}
		if overParallel {
			s.tooMany(w, time.Second)
			return
		}
	}
	limit := s.cfg.maxBody
	if analytics {
		limit = s.cfg.maxAnalyticsBody
	}
	if r.ContentLength > limit && limit > 0 {
		s.oversize(w, limit)
		return
	}
	if limit > 0 && r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
	}
	if rt.h == nil {
		s.writeError(w, http.StatusNotFound, fmt.Sprintf("Cannot %s %s: no such route on the Planhat API", r.Method, r.URL.Path))
		return
	}
	rt.h(w, r)
}

func (s *Server) oversize(w http.ResponseWriter, limit int64) {
	st := s.Switches().OversizeStatus
	if st == 0 {
		st = http.StatusRequestEntityTooLarge
	}
	s.writeError(w, st, fmt.Sprintf("request body too large: the limit is %d bytes; split the payload into smaller requests", limit))
}

// authorized checks Bearer and Basic base64(token:) credentials in
// constant time; region-bound tokens from another region fail.
func (s *Server) authorized(r *http.Request) bool {
	tok, ok := tokenFrom(r.Header.Get("Authorization"))
	if !ok {
		return false
	}
	return s.validToken(tok)
}

func (s *Server) validToken(tok string) bool {
	if reg, bound := s.Switches().RegionTokens[tok]; bound && reg != s.cfg.region {
		return false
	}
	good := 0
	b := []byte(tok)
	for _, t := range s.tokens {
		good |= subtle.ConstantTimeCompare(b, t)
	}
	return good == 1
}

// tokenFrom extracts the token of "Bearer t" or "Basic base64(t:)".
func tokenFrom(h string) (string, bool) {
	scheme, cred, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok {
		return "", false
	}
	cred = strings.TrimSpace(cred)
	switch strings.ToLower(scheme) {
	case "bearer":
		return cred, cred != ""
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			return "", false
		}
		user, pass, hasColon := strings.Cut(string(raw), ":")
		if !hasColon || pass != "" || user == "" {
			return "", false
		}
		return user, true
	}
	return "", false
}

// basicUser returns the username of Basic credentials (the Segment ingest
// sends the tenant token that way).
func basicUser(h string) (string, bool) {
	scheme, cred, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "basic") {
		return "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return "", false
	}
	user, _, _ := strings.Cut(string(raw), ":")
	return user, user != ""
}

// setRateHeaders reports the window's quota before the request counts.
func (s *Server) setRateHeaders(w http.ResponseWriter) {
	if s.cfg.rateN <= 0 || s.Switches().NoRateLimitHeaders {
		return
	}
	s.fmu.Lock()
	s.rollWindow()
	remaining := s.cfg.rateN - s.winCount
	s.fmu.Unlock()
	if remaining < 0 {
		remaining = 0
	}
	w.Header().Set("X-Rate-Limit-Limit", strconv.Itoa(s.cfg.rateN))
	w.Header().Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
}

// rollWindow starts a new fixed window when the current one is over.
// Callers hold fmu.
func (s *Server) rollWindow() {
	now := s.cfg.now()
	if s.winStart.IsZero() || !now.Before(s.winStart.Add(s.cfg.ratePer)) {
		s.winStart, s.winCount = now, 0
	}
}

// takeRate counts the request against the windows; when it is refused it
// returns how long until the refusing window ends.
func (s *Server) takeRate(w http.ResponseWriter) (bool, time.Duration) {
	perSec := s.Switches().PerSecondLimit
	s.fmu.Lock()
	defer s.fmu.Unlock()
	now := s.cfg.now()
	if perSec > 0 {
		if s.secStart.IsZero() || !now.Before(s.secStart.Add(time.Second)) {
			s.secStart, s.secCount = now, 0
		}
		if s.secCount >= perSec {
			return false, s.secStart.Add(time.Second).Sub(now)
		}
		s.secCount++
	}
	if s.cfg.rateN <= 0 {
		return true, 0
	}
	s.rollWindow()
	if s.winCount >= s.cfg.rateN {
		return false, s.winStart.Add(s.cfg.ratePer).Sub(now)
	}
	s.winCount++
	if w.Header().Get("X-Rate-Limit-Remaining") != "" { // set by setRateHeaders unless switched off
		w.Header().Set("X-Rate-Limit-Remaining", strconv.Itoa(s.cfg.rateN-s.winCount))
	}
	return true, 0
}

// windowLeft is the time to the end of the quota window (1s when there is
// none), the Retry-After of injected 429s.
func (s *Server) windowLeft() time.Duration {
	if s.cfg.rateN <= 0 {
		return time.Second
	}
	s.fmu.Lock()
	defer s.fmu.Unlock()
	if s.winStart.IsZero() {
		return time.Second
	}
	return s.winStart.Add(s.cfg.ratePer).Sub(s.cfg.now())
}

// tooMany writes Planhat's 429: a text body and, when switched on,
// Retry-After in whole seconds (at least 1).
func (s *Server) tooMany(w http.ResponseWriter, wait time.Duration) {
	if s.Switches().RetryAfter {
		secs := max(1, int((wait+time.Second-1)/time.Second))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	writeText(w, http.StatusTooManyRequests, "Too many requests")
}

// recorder remembers the status a handler wrote.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// newID returns a fresh ObjectId: 4 bytes of seconds, 2 of server nonce,
// 6 of counter, so ids sort by creation.
func (s *Server) newID() string {
	return s.fixedID(uint32(s.cfg.now().Unix()), s.idCounter.Add(1))
}

func (s *Server) fixedID(ts uint32, counter uint64) string {
	var b [12]byte
	binary.BigEndian.PutUint32(b[0:4], ts)
	binary.BigEndian.PutUint16(b[4:6], s.idNonce)
	var c [8]byte
	binary.BigEndian.PutUint64(c[:], counter)
	copy(b[6:], c[2:])
	return hex.EncodeToString(b[:])
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// isoTime formats t as Planhat does: UTC with milliseconds.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// AddFault adds a fault rule, as POST /_emulator/faults does: tests of
// outages (429 storms, 5xx, dropped connections, latency) set them here.
func (s *Server) AddFault(spec faults.Spec) (faults.Rule, error) { return s.faults.Add(spec) }

// ClearFaults removes every fault rule and reports how many there were.
func (s *Server) ClearFaults() int { return s.faults.Clear() }
