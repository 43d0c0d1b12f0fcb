package planhatemu

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// resp is one HTTP answer, decoded where JSON.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t testing.TB) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("response is not JSON (%v): %s", err, r.body)
	}
	return v
}

func (r resp) object(t testing.TB) map[string]any {
	t.Helper()
	m, ok := r.json(t).(map[string]any)
	if !ok {
		t.Fatalf("response is not a JSON object: %s", r.body)
	}
	return m
}

func (r resp) array(t testing.TB) []any {
	t.Helper()
	a, ok := r.json(t).([]any)
	if !ok {
		t.Fatalf("response is not a JSON array: %s", r.body)
	}
	return a
}

// call sends one request with the server's Bearer token.
func call(t testing.TB, srv *Server, method, url string, body any) resp {
	t.Helper()
	return send(t, method, url, body, map[string]string{"Authorization": "Bearer " + srv.Token})
}

// send sends one request with the given headers; a string, []byte or
// io.Reader body is sent raw (an io.Reader of unknown length chunked),
// anything else as JSON.
func send(t testing.TB, method, url string, body any, headers map[string]string) resp {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: raw}
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// mustStatus fails unless r has status want.
func mustStatus(t testing.TB, r resp, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status = %d, want %d; body: %s", r.status, want, r.body)
	}
}

// startServer is planhattest.NewServer for this package's own tests, which
// cannot import planhattest (it imports this package).
func startServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := New(opts...)
	mainSrv := httptest.NewServer(s.MainHandler())
	analyticsSrv := httptest.NewServer(s.AnalyticsHandler())
	s.Attach(mainSrv.URL, analyticsSrv.URL, func() {
		mainSrv.CloseClientConnections()
		mainSrv.Close()
		analyticsSrv.CloseClientConnections()
		analyticsSrv.Close()
	})
	tb.Cleanup(s.Close)
	return s
}

// newTestServer is startServer with rate limiting off, so functional tests
// never trip it.
func newTestServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	return startServer(t, append([]Option{WithRateLimit(0, 0)}, opts...)...)
}

// createCompany makes a company over HTTP and returns its _id.
func createCompany(t testing.TB, srv *Server, body map[string]any) string {
	t.Helper()
	r := call(t, srv, "POST", srv.URL+"/companies", body)
	mustStatus(t, r, 200)
	return r.object(t)["_id"].(string)
}

func ids(t testing.TB, items []any) []string {
	t.Helper()
	var out []string
	for _, it := range items {
		out = append(out, it.(map[string]any)["_id"].(string))
	}
	return out
}
