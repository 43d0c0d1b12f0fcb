package planhat_test

import (
	"bytes"
	"errors"
	"github.com/planbridge/planbridge/planhat/planhatemu"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/planhat/planhattest"
)

// TestRedirectsAreRefused answers every call with a 302 to a second listener: whatever
// http.Client the planhat client is handed, the second listener must get no request (the
// token would go along), and the refusal is a non-retried ErrDestinationRefused.
func TestRedirectsAreRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		hc   *http.Client
	}{
		{"default client", nil},
		{"caller's client with Go's default redirect policy", &http.Client{}},
		{"caller's client that follows everything", &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stolen atomic.Int32
			target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				stolen.Add(1)
				w.Write([]byte("[]"))
			}))
			t.Cleanup(target.Close)
			var hits atomic.Int32
			redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				http.Redirect(w, r, target.URL+"/companies?secret=in-the-query", http.StatusFound)
			}))
			t.Cleanup(redirector.Close)
			c, err := planhat.NewClient(planhat.Options{Token: testToken, BaseURL: redirector.URL, HTTPClient: tt.hc, Retry: fastRetry, RateLimit: highLimit})
			if err != nil {
				t.Fatal(err)
			}
			err = c.Ping(t.Context())
			var re *planhat.RedirectError
			got := struct {
				Refused, Typed bool
				Status         int
				Location       string
				Hits, Stolen   int32
			}{errors.Is(err, planhat.ErrDestinationRefused), errors.As(err, &re), 0, "", hits.Load(), stolen.Load()}
			if re != nil {
				got.Status, got.Location = re.Status, re.Location
			}
			want := got
			want.Refused, want.Typed, want.Status, want.Location, want.Hits, want.Stolen = true, true, http.StatusFound, target.URL, 1, 0
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s\nerr = %v", diff, err)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("the error repeats the redirect's query: %v", err)
			}
		})
	}
}

// TestHandedClientIsNotMutated checks that refusing redirects does not change the caller's
// http.Client, which may serve other code.
func TestHandedClientIsNotMutated(t *testing.T) {
	hc := &http.Client{}
	if _, err := planhat.NewClient(planhat.Options{Token: testToken, HTTPClient: hc}); err != nil {
		t.Fatal(err)
	}
	if hc.CheckRedirect != nil {
		t.Error("NewClient set CheckRedirect on the caller's http.Client")
	}
}

// TestAnswersThatAreNotPlanhatsAPI points the client at a wrong base path (".../v1"), at an
// HTML 404 page, and, as controls, at the right URL: only real "no such record" answers
// match ErrNotFound.
func TestAnswersThatAreNotPlanhatsAPI(t *testing.T) {
	t.Parallel()
	srv := planhattest.NewServer(t, planhatemu.WithToken(testToken))
	texty := planhattest.NewServer(t, planhatemu.WithToken(testToken), planhatemu.WithSwitches(planhatemu.Switches{StringErrors: true}))
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte("<!doctype html><title>Not Found</title><h1>Page not found</h1>"))
	}))
	t.Cleanup(page.Close)
	get := func(c *planhat.Client) error {
		_, err := c.Companies().Get(t.Context(), planhat.ID("0123456789abcdef01234567"))
		return err
	}
	list := func(c *planhat.Client) error {
		_, err := c.Companies().List(t.Context(), nil)
		return err
	}
	type outcome struct{ NotAPI, NotFound bool }
	tests := []struct {
		name string
		base string
		call func(*planhat.Client) error
		want outcome
	}{
		{"wrong base path: list", srv.URL + "/v1", list, outcome{NotAPI: true}},
		{"wrong base path: get by id", srv.URL + "/v1", get, outcome{NotAPI: true}},
		{"wrong base path: ping", srv.URL + "/v1", func(c *planhat.Client) error { return c.Ping(t.Context()) }, outcome{NotAPI: true}},
		{"an HTML 404 page", page.URL, get, outcome{NotAPI: true}},
		{"control: unknown id", srv.URL, get, outcome{NotFound: true}},
		{"control: unknown id, plain-text error body", texty.URL, get, outcome{NotFound: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := planhat.NewClient(planhat.Options{Token: testToken, BaseURL: tt.base, Retry: fastRetry, RateLimit: highLimit})
			if err != nil {
				t.Fatal(err)
			}
			err = tt.call(c)
			got := outcome{errors.Is(err, planhat.ErrNotPlanhatAPI), errors.Is(err, planhat.ErrNotFound)}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s\nerr = %v", diff, err)
			}
			if tt.want.NotAPI && !strings.Contains(err.Error(), "check the configured API URL or region") {
				t.Errorf("err = %v, want it to say to check the configured API URL or region", err)
			}
			if tt.want.NotFound && strings.Contains(err.Error(), "API URL") {
				t.Errorf("err = %v blames the URL for a missing record", err)
			}
		})
	}
}

// TestNoRateLimitDoesNotPace sends 500 calls through an Unlimited limiter in fake time: none
// waits, though the default budget would take minutes.
func TestNoRateLimitDoesNotPace(t *testing.T) {
	tests := []struct {
		name  string
		limit planhat.RateLimit
		want  time.Duration
	}{
		{"unlimited", planhat.NoRateLimit(), 0},
		{"control: the default 180/min, burst 9", planhat.DefaultRateLimit(), (500 - 9) * time.Minute / 180},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := planhatemu.New(planhatemu.WithToken(testToken), planhatemu.WithRateLimit(0, 0))
				c := pipeClient(t, srv, func(o *planhat.Options) { o.RateLimit = &tt.limit; o.MaxWait = -1 })
				start := time.Now()
				for range 500 {
					if err := c.Ping(t.Context()); err != nil {
						t.Fatal(err)
					}
				}
				// The bucket's float arithmetic may round by a nanosecond per call.
				if got := time.Since(start); got < tt.want-time.Millisecond || got > tt.want+time.Millisecond {
					t.Errorf("500 calls took %v, want %v", got, tt.want)
				}
			})
		})
	}
}

// TestLogsKeepURLPathsOut configures a base URL whose path holds a pasted secret and checks
// that neither the client's log records nor its errors repeat it.
func TestLogsKeepURLPathsOut(t *testing.T) {
	t.Parallel()
	const pasted = "pasted-secret-0123456789"
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts := planhat.Options{Token: testToken, BaseURL: "http://127.0.0.1:1/" + pasted, AnalyticsURL: "http://127.0.0.1:1/" + pasted,
		Logger: logger, Retry: &planhat.RetryPolicy{MaxRetries: 1, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}}
	c, err := planhat.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Ping(t.Context())
	if err == nil {
		t.Fatal("a call to a closed port succeeded")
	}
	logger.Info("configured", "options", opts, "client", c)
	if _, err := planhat.NewClient(planhat.Options{Token: testToken, BaseURL: "ftp://example.com/" + pasted}); err == nil || strings.Contains(err.Error(), pasted) {
		t.Errorf("a refused base URL: err = %v, want an error without its path", err)
	}
	for what, s := range map[string]string{"log": buf.String(), "error": err.Error()} {
		if strings.Contains(s, pasted) {
			t.Errorf("the %s repeats the URL's path:\n%s", what, s)
		}
		if !strings.Contains(s, "127.0.0.1:1") {
			t.Errorf("the %s does not name the host:\n%s", what, s)
		}
	}
}
