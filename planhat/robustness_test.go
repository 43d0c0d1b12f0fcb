package planhat_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/planbridge/planbridge/planhat"
)

// panicOnce panics in the first round trip, as a faulty instrumentation transport might,
// and forwards the rest over real HTTP.
type panicOnce struct {
	next   http.RoundTripper
	panics atomic.Int32
}

func (p *panicOnce) RoundTrip(r *http.Request) (*http.Response, error) {
	if p.panics.Add(1) == 1 {
		panic("transport exploded")
	}
	return p.next.RoundTrip(r)
}

// TestPanicReleasesTheSlot recovers a panic raised while a call held the limiter's only
// in-flight slot (an HTTP server recovers handler panics the same way). The slot must come
// back: otherwise every later call with the same token blocks for good.
func TestPanicReleasesTheSlot(t *testing.T) {
	t.Parallel()
	lim := planhat.NewLimiter(planhat.RateLimit{Requests: 1000, Window: time.Second, Burst: 100, MaxInFlight: 1})
	e := newEnv(t, nil, func(o *planhat.Options) {
		o.Limiter = lim
		o.HTTPClient = &http.Client{Transport: &panicOnce{next: http.DefaultTransport.(*http.Transport).Clone()}}
	})
	func() {
		defer func() {
			if r := recover(); r == nil {
				t.Fatal("the transport's panic did not reach the caller")
			}
		}()
		_ = e.c.Ping(t.Context())
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if err := e.c.Ping(ctx); err != nil {
		t.Fatalf("the call after the recovered panic failed: %v (the in-flight slot leaked)", err)
	}
}

// TestErrorBodiesAreBounded answers a GET with a 500 whose body is a 64 MiB error page. Only
// an excerpt of an error body is kept, so the client must stop reading early and hang up
// instead of pulling the whole page into memory.
func TestErrorBodiesAreBounded(t *testing.T) {
	t.Parallel()
	const pageSize = 64 << 20
	var written atomic.Int64
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		chunk := []byte("<p>" + strings.Repeat("upstream failure ", 4090) + "</p>\n")
		for written.Load() < pageSize {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	c, err := planhat.NewClient(planhat.Options{Token: testToken, BaseURL: srv.URL, Retry: &planhat.RetryPolicy{}, RateLimit: highLimit,
		HTTPClient: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Ping(t.Context())
	var apiErr *planhat.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusInternalServerError {
		t.Fatalf("err = %v, want the 500", err)
	}
	if !strings.HasPrefix(apiErr.Body, "<p>upstream failure") {
		t.Errorf("APIError.Body = %.40q…, want the start of the error page", apiErr.Body)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the server is still writing the error page: the client neither read it nor hung up")
	}
	if n := written.Load(); n >= pageSize/2 {
		t.Errorf("the client let the server write %d MiB of an error page, want it to hang up after an excerpt", n>>20)
	}
}

// TestActivityErrorsNameTheActivity checks that a single tracked activity's validation error
// does not speak of an "activity -1".
func TestActivityErrorsNameTheActivity(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	tests := []struct {
		name string
		a    planhat.Activity
		want string
	}{
		{"no contact", planhat.Activity{Action: "Logged in"}, "needs the contact's Email or ExternalID"},
		{"negative weight", planhat.Activity{Email: "a@example.com", Weight: -1}, "weight and count must not be negative"},
		{"negative count", planhat.Activity{Email: "a@example.com", Count: -2}, "weight and count must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.c.Track(t.Context(), tt.a)
			var ve *planhat.ValidationError
			if !errors.As(err, &ve) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want a ValidationError saying %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "-1") {
				t.Errorf("err = %q names a nonexistent activity -1", err)
			}
		})
	}
	if n := len(e.rec.requests()); n != 0 {
		t.Errorf("%d requests sent for invalid activities, want none", n)
	}
}

// TestDoRefusesBadPaths checks that a path Client.Do cannot send is refused before any
// attempt, instead of failing the same way on every retry.
func TestDoRefusesBadPaths(t *testing.T) {
	t.Parallel()
	var attempts atomic.Int32
	e := newEnv(t, nil, func(o *planhat.Options) {
		o.Observer = func(planhat.CallInfo) { attempts.Add(1) }
	})
	tests := []struct {
		name string
		path string
		want string
	}{
		{"query in the path", "/companies?limit=1", "carry no query"},
		{"relative path", "companies", `start with "/"`},
		{"broken escape", "/companies/50%zz", "escape"},
		{"truncated escape", "/companies/50%2", "escape"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.c.Do(t.Context(), http.MethodGet, tt.path, nil, nil, nil)
			var ve *planhat.ValidationError
			if !errors.As(err, &ve) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want a ValidationError saying %q", err, tt.want)
			}
		})
	}
	if n := attempts.Load(); n != 0 {
		t.Errorf("%d attempts made for paths that cannot be sent, want none", n)
	}
}

// TestCancelCauseSurvivesEveryWait cancels the caller's context with a cause right after a
// retryable answer arrives. Whichever wait notices it (a backoff, or the limiter's pause
// after a 429), the returned error must carry the cause, as every other cancellation does.
func TestCancelCauseSurvivesEveryWait(t *testing.T) {
	t.Parallel()
	errShutdown := errors.New("shutting down")
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancelCause(t.Context())
			defer cancel(nil)
			e := newEnv(t, nil, func(o *planhat.Options) {
				o.Observer = func(ci planhat.CallInfo) {
					if ci.StatusCode == status {
						cancel(errShutdown)
					}
				}
			})
			e.srv.FailNext(1, status)
			err := e.c.Ping(ctx)
			if !errors.Is(err, errShutdown) {
				t.Errorf("err = %v, want it to carry the cancel cause", err)
			}
		})
	}
}
