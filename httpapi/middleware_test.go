package httpapi

import (
	"github.com/planbridge/planbridge/actions"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/planbridge/planbridge/internal/syncbuffer"
)

func TestAPIKeysValid(t *testing.T) {
	t.Parallel()
	keys := ParseAPIKeys(" alpha , ,beta-key,")
	if keys.Len() != 2 {
		t.Fatalf("Len = %d, want 2", keys.Len())
	}
	tests := []struct {
		key  string
		want bool
	}{
		{"alpha", true},
		{"beta-key", true},
		{"", false},
		{"alph", false},
		{"alpha ", false},
		{"ALPHA", false},
		{"beta-key-and-more", false},
	}
	for _, tt := range tests {
		if got := keys.Valid(tt.key); got != tt.want {
			t.Errorf("Valid(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
	if (*APIKeys)(nil).Valid("alpha") || ParseAPIKeys("").Valid("") {
		t.Error("empty key sets must accept nothing")
	}
}

func TestBearerToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header  string
		want    string
		wantErr error
	}{
		{"", "", errNoCredentials},
		{"Bearer abc", "abc", nil},
		{"bearer  abc ", "abc", nil},
		{"Basic abc", "", errBadCredentials},
		{"Bearer", "", errBadCredentials},
		{"Bearer    ", "", errBadCredentials},
		{"abc", "", errBadCredentials},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if tt.header != "" {
			r.Header.Set("Authorization", tt.header)
		}
		got, err := bearerToken(r)
		if got != tt.want || err != tt.wantErr {
			t.Errorf("bearerToken(%q) = %q, %v; want %q, %v", tt.header, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestAcceptableRequestID(t *testing.T) {
	t.Parallel()
	for id, want := range map[string]bool{
		"abc-123_X.y":           true,
		"":                      false,
		strings.Repeat("a", 64): true,
		strings.Repeat("a", 65): false,
		"has space":             false,
		"new\nline":             false,
		"quote\"":               false,
	} {
		if got := acceptableRequestID(id); got != want {
			t.Errorf("acceptableRequestID(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestObserveRequestIDLogAndRecover(t *testing.T) {
	t.Parallel()
	var logs syncbuffer.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := NewMetrics()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ok/{secret}", func(w http.ResponseWriter, r *http.Request) {
		if RequestID(r.Context()) == "" {
			t.Error("handler sees no request id")
		}
		_, _ = w.Write([]byte("fine"))
	})
	mux.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) { panic("kaboom") })
	h := observe(mux, logger, m)

	// A caller's plain id is kept and echoed.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/ok/s3cr3t-path-value", nil)
	req.Header.Set(RequestIDHeader, "caller-id-1")
	req.Header.Set("Authorization", "Bearer very-secret-key")
	h.ServeHTTP(rec, req)
	if got := rec.Header().Get(RequestIDHeader); got != "caller-id-1" {
		t.Errorf("request id = %q, want the caller's", got)
	}

	// A forged id is replaced.
	rec = httptest.NewRecorder()
	req = httptest.NewRequest(http.MethodGet, "/ok/x", nil)
	req.Header.Set(RequestIDHeader, "evil\" id")
	h.ServeHTTP(rec, req)
	if got := rec.Header().Get(RequestIDHeader); got == "evil\" id" || len(got) != 16 {
		t.Errorf("request id = %q, want a generated 16-hex id", got)
	}

	// A panic becomes a JSON 500 with the request id, and is logged.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/boom", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("panic status = %d, want 500", rec.Code)
	}
	if !strings.Contains(rec.Body.String(), `"code":"internal"`) || !strings.Contains(rec.Body.String(), rec.Header().Get(RequestIDHeader)) {
		t.Errorf("panic body = %s, want internal code and request id", rec.Body)
	}

	out := logs.String()
	for _, secret := range []string{"very-secret-key", "s3cr3t-path-value"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains secret %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{"route=\"GET /ok/{secret}\"", "request_id=caller-id-1", "panic serving request", "status=500"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestMethodNotAllowedIsJSON(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /only-post", func(w http.ResponseWriter, r *http.Request) {})
	h := observe(muxErrorsAsJSON(mux, "No such endpoint."), slog.New(slog.DiscardHandler), nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/only-post", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("status = %d", rec.Code)
	}
	var body ErrorBody
	decodeJSONBody(t, rec.Body.Bytes(), &body)
	if diff := cmp.Diff(actions.CodeMethodNotAllowed, body.Error.Code); diff != "" {
		t.Errorf("code (-want +got):\n%s", diff)
	}
	if rec.Header().Get("Allow") != "POST" {
		t.Errorf("Allow = %q, want POST", rec.Header().Get("Allow"))
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/nowhere", nil))
	decodeJSONBody(t, rec.Body.Bytes(), &body)
	if rec.Code != http.StatusNotFound || body.Error.Code != actions.CodeRouteNotFound {
		t.Errorf("unknown path = %d %s", rec.Code, rec.Body)
	}
}
