package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/planbridge/planbridge/actions"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/planbridge/planbridge/internal/secret"
)

type requestIDKey struct{}

// RequestIDHeader carries the request id in and out; a caller's own id is
// kept when it is short and plain, so logs on both sides line up.
const RequestIDHeader = "X-Request-Id"

// RequestID returns the id the observe middleware gave this request, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// WithRequestID returns ctx carrying id, for code that runs outside a request
// (the CLI) but logs with the same attribute.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// newRequestID returns 16 random hex characters: enough to be unique in the
// logs, short enough to read out on a support call.
func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// acceptableRequestID reports whether a caller-supplied id may be echoed into
// our logs and headers: bounded, and only characters that cannot forge a log
// line or a header.
func acceptableRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// statusRecorder remembers the status and size written, for the access log
// and metrics; Unwrap lets http.ResponseController reach the real writer.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		if s.status == 0 {
			s.status = http.StatusOK
		}
		f.Flush()
	}
}

// observe is the outermost middleware: it gives the request an id, recovers
// panics, and after the handler ran logs one access line and records metrics.
// It passes the very same *http.Request to next so that the ServeMux's
// r.Pattern (the route, never the raw path, which may hold a secret) is
// visible here afterwards.
func observe(next http.Handler, logger *slog.Logger, m *Metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(RequestIDHeader)
		if !acceptableRequestID(id) {
			id = newRequestID()
		}
		r = r.WithContext(WithRequestID(r.Context(), id))
		w.Header().Set(RequestIDHeader, id)
		rec := &statusRecorder{ResponseWriter: w}

		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger.ErrorContext(r.Context(), "panic serving request",
					"request_id", id, "route", routeOf(r), "panic", panicSummary(v), "stack", string(debug.Stack()))
				if rec.status == 0 {
					WriteError(rec, r, actions.CodeInternal,
						"The server hit an unexpected error; it was logged with this request id. Retry later or report the id to the operator.")
				}
			}
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			elapsed := time.Since(start)
			route := routeOf(r)
			if m != nil {
				m.observeRequest(route, status, elapsed)
			}
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			logger.LogAttrs(r.Context(), level, "request",
				slog.String("request_id", id),
				slog.String("method", r.Method),
				slog.String("route", route),
				slog.Int("status", status),
				slog.Int64("bytes", rec.bytes),
				slog.Duration("duration", elapsed),
				slog.String("remote", r.RemoteAddr),
			)
		}()
		next.ServeHTTP(rec, r)
	})
}

// routeOf names the request's route for logs and metric labels. It is the
// ServeMux pattern, never the raw path: paths can carry a shared secret and
// would give metrics unbounded cardinality.
func routeOf(r *http.Request) string {
	if r.Pattern == "" {
		return "unmatched"
	}
	return r.Pattern
}

// panicSummary bounds what a panic value can put in the log.
func panicSummary(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// limitBody caps the request body at limit bytes; readers then fail with
// *http.MaxBytesError, which the decoders turn into 413.
func limitBody(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			WriteError(w, r, actions.CodePayloadTooLarge,
				fmt.Sprintf("The request body is %d bytes; the limit is %d. Send less data per call (split bulk inputs).", r.ContentLength, limit))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// APIKeys holds the accepted REST/MCP API keys as a secret.Set, so the
// comparison is constant-time regardless of key length and the keys
// themselves are not kept in memory longer than parsing.
type APIKeys struct {
	set *secret.Set
}

// ParseAPIKeys reads a comma-separated key list (PLANBRIDGE_API_KEYS),
// ignoring blanks around commas.
func ParseAPIKeys(list string) *APIKeys {
	var keys []string
	for part := range strings.SplitSeq(list, ",") {
		if part = strings.TrimSpace(part); part != "" {
			keys = append(keys, part)
		}
	}
	return &APIKeys{set: secret.NewSet(keys...)}
}

// Len reports how many keys are configured.
func (k *APIKeys) Len() int {
	if k == nil {
		return 0
	}
	return k.set.Len()
}

// Valid reports whether key is one of the configured keys, in constant
// time (see secret.Set.Match); an empty key is never valid.
func (k *APIKeys) Valid(key string) bool {
	return k != nil && k.set.Match(key)
}

// errNoCredentials and errBadCredentials tell the two 401 cases apart so the
// message can say which fix applies.
var (
	errNoCredentials  = errors.New("no API key")
	errBadCredentials = errors.New("wrong API key")
)

// bearerToken extracts the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", errNoCredentials
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", errBadCredentials
	}
	return strings.TrimSpace(token), nil
}

// requireAPIKey lets a request through only with a valid Bearer API key.
func requireAPIKey(keys *APIKeys, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, err := bearerToken(r)
		if err == nil && !keys.Valid(token) {
			err = errBadCredentials
		}
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="planbridge"`)
			msg := "This endpoint needs an API key: send \"Authorization: Bearer <key>\" with one of the keys in the server's PLANBRIDGE_API_KEYS."
			if errors.Is(err, errBadCredentials) {
				msg = "The API key is not accepted: send \"Authorization: Bearer <key>\" with one of the keys in the server's PLANBRIDGE_API_KEYS (ask the operator for one)."
			}
			WriteError(w, r, actions.CodeUnauthenticated, msg)
			return
		}
		next.ServeHTTP(w, r)
	})
}
