package planhatemu

import (
	"io"
	"maps"
	"net/http"
	"slices"
	"time"
)

// Stats counts the requests the emulator answered, for assertions such as
// "the client made exactly 20 bulk calls".
type Stats struct {
	// Total counts every request on either host (emulator control routes excluded).
	Total int `json:"total"`
	// ByRoute counts per method and route pattern, e.g. "PUT /companies" or
	// "GET /companies/{id}".
	ByRoute map[string]int `json:"byRoute"`
	// ByMethod counts per HTTP method.
	ByMethod map[string]int `json:"byMethod"`
	// ByStatus counts per response status (0: connection dropped).
	ByStatus map[int]int `json:"byStatus"`
	// RateLimited counts 429 answers, injected or real.
	RateLimited int `json:"rateLimited"`
}

func newStats() Stats {
	return Stats{ByRoute: map[string]int{}, ByMethod: map[string]int{}, ByStatus: map[int]int{}}
}

// Request is one logged request.
type Request struct {
	Time     time.Time     `json:"time"`
	Method   string        `json:"method"`
	Path     string        `json:"path"`
	Query    string        `json:"query,omitempty"`
	Route    string        `json:"route"`
	Status   int           `json:"status"`
	Body     []byte        `json:"body,omitempty"` // the first bytes only (see WithRequestLog)
	BodySize int64         `json:"bodySize"`       // bytes the handler read
	Header   http.Header   `json:"header"`         // without Authorization
	Duration time.Duration `json:"duration"`
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	out := s.stats
	out.ByRoute = maps.Clone(s.stats.ByRoute)
	out.ByMethod = maps.Clone(s.stats.ByMethod)
	out.ByStatus = maps.Clone(s.stats.ByStatus)
	return out
}

// Requests returns the request log, oldest first.
func (s *Server) Requests() []Request {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	out := make([]Request, 0, len(s.reqLog))
	out = append(out, s.reqLog[s.reqLogStart:]...)
	out = append(out, s.reqLog[:s.reqLogStart]...)
	return out
}

// ResetStats clears the counters and the request log.
func (s *Server) ResetStats() {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.stats = newStats()
	s.reqLog, s.reqLogStart = nil, 0
}

func (s *Server) account(r *http.Request, route string, status int, body *bodyCapture, start time.Time) {
	h := r.Header.Clone()
	h.Del("Authorization")
	entry := Request{Time: start, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Route: route,
		Status: status, Body: slices.Clip(body.buf), BodySize: body.n, Header: h, Duration: s.cfg.now().Sub(start)}
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.stats.Total++
	s.stats.ByRoute[route]++
	s.stats.ByMethod[r.Method]++
	s.stats.ByStatus[status]++
	if status == http.StatusTooManyRequests {
		s.stats.RateLimited++
	}
	if s.cfg.requestLogSize <= 0 {
		return
	}
	if len(s.reqLog) < s.cfg.requestLogSize {
		s.reqLog = append(s.reqLog, entry)
		return
	}
	s.reqLog[s.reqLogStart] = entry
	s.reqLogStart = (s.reqLogStart + 1) % len(s.reqLog)
}

// bodyCapture keeps the first limit bytes of a request body and counts all.
type bodyCapture struct {
	buf   []byte
	n     int64
	limit int
}

type teeBody struct {
	rc io.ReadCloser
	c  *bodyCapture
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	if n > 0 {
		t.c.n += int64(n)
		if room := t.c.limit - len(t.c.buf); room > 0 {
			t.c.buf = append(t.c.buf, p[:min(n, room)]...)
		}
	}
	return n, err
}

func (t *teeBody) Close() error { return t.rc.Close() }
