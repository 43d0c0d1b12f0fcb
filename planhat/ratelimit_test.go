package planhat_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/internal/closedport"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/planhat/planhatemu"
	"github.com/planbridge/planbridge/planhat/planhattest"
)

// TestLimiterPrevents429 drives two clients sharing one token from 8 goroutines against an
// emulator window of 20 calls per 2 s: the shared limiter keeps every call under the quota.
// Without it (the control case) the same load is refused.
func TestLimiterPrevents429(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	tests := []struct {
		name    string
		limit   *planhat.RateLimit
		retry   *planhat.RetryPolicy
		want429 bool
	}{
		{"shared limiter under the window", &planhat.RateLimit{Requests: 16, Window: 2 * time.Second}, fastRetry, false},
		{"control: no effective limiter", highLimit, &planhat.RetryPolicy{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := planhattest.NewServer(t, planhatemu.WithToken(testToken), planhatemu.WithRateLimit(20, 2*time.Second))
			id := srv.Insert("companies", map[string]any{"name": "Acme"})
			lim := planhat.NewLimiter(*tt.limit)
			newClient := func() *planhat.Client {
				c, err := planhat.NewClient(planhat.Options{Token: testToken, BaseURL: srv.URL, AnalyticsURL: srv.AnalyticsURL, Limiter: lim, Retry: tt.retry})
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			clients := []*planhat.Client{newClient(), newClient()}
			if clients[0].Limiter() != clients[1].Limiter() {
				t.Fatal("two clients with the same token and base URL must share one limiter")
			}
			const goroutines, perGoroutine = 8, 5
			var wg sync.WaitGroup
			errs := make(chan error, goroutines*perGoroutine)
			for g := range goroutines {
				wg.Go(func() {
					c := clients[g%2]
					for range perGoroutine {
						if _, err := c.Companies().Get(ctx, planhat.ID(id)); err != nil {
							errs <- err
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			st := srv.Stats()
			if tt.want429 {
				if st.RateLimited == 0 {
					t.Errorf("control run saw no 429; the test cannot tell a working limiter from none")
				}
				return
			}
			for err := range errs {
				t.Errorf("call failed: %v", err)
			}
			if st.RateLimited != 0 {
				t.Errorf("emulator answered %d requests with 429", st.RateLimited)
			}
			if st.Total != goroutines*perGoroutine {
				t.Errorf("emulator saw %d requests, want %d", st.Total, goroutines*perGoroutine)
			}
		})
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	type fault struct {
		n, status int
		drop      bool
	}
	tests := []struct {
		name      string
		fault     fault
		call      func(c *planhat.Client, id string) error
		route     string
		wantCalls int
		wantIs    error
	}{
		{"GET after a 429 is retried", fault{n: 1, status: 429}, getCompany, "GET /companies/{id}", 2, nil},
		{"GET after two 503s is retried", fault{n: 2, status: 503}, getCompany, "GET /companies/{id}", 3, nil},
		{"GET gives up after MaxRetries", fault{n: 10, status: 502}, getCompany, "GET /companies/{id}", 4, planhat.ErrServer},
		{"GET after a dropped connection is retried", fault{n: 1, drop: true}, getCompany, "GET /companies/{id}", 2, nil},
		{"PUT by id after a 500 is retried", fault{n: 1, status: 500}, func(c *planhat.Client, id string) error {
			_, err := c.Companies().Update(ctx, planhat.ID(id), map[string]any{"phase": "x"})
			return err
		}, "PUT /companies/{id}", 2, nil},
		{"DELETE after a 504 is retried", fault{n: 1, status: 504}, func(c *planhat.Client, id string) error {
			_, err := c.Companies().Delete(ctx, planhat.ID(id))
			return err
		}, "DELETE /companies/{id}", 2, nil},
		{"POST after a 503 is not retried", fault{n: 1, status: 503}, createCompany, "POST /companies", 1, planhat.ErrServer},
		{"POST after a 429 is not retried", fault{n: 1, status: 429}, createCompany, "POST /companies", 1, planhat.ErrRateLimited},
		{"POST after a dropped connection is not retried", fault{n: 1, drop: true}, createCompany, "POST /companies", 1, nil},
		{"4xx is not retried", fault{n: 1, status: 400}, getCompany, "GET /companies/{id}", 1, planhat.ErrBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil, nil)
			id := e.srv.Insert("companies", map[string]any{"name": "Acme"})
			if tt.fault.drop {
				e.srv.DropNextConnections(tt.fault.n)
			} else {
				e.srv.FailNext(tt.fault.n, tt.fault.status)
			}
			err := tt.call(e.c, id)
			wantErr := tt.wantIs != nil || tt.wantCalls == 1
			if (err != nil) != wantErr {
				t.Errorf("err = %v, want error: %v", err, wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("err = %v, want %v", err, tt.wantIs)
			}
			if got := e.srv.Stats().ByRoute[tt.route]; got != tt.wantCalls {
				t.Errorf("%s calls = %d, want %d", tt.route, got, tt.wantCalls)
			}
		})
	}
}

func getCompany(c *planhat.Client, id string) error {
	_, err := c.Companies().Get(context.Background(), planhat.ID(id))
	return err
}

func createCompany(c *planhat.Client, _ string) error {
	_, err := c.Companies().Create(context.Background(), planhat.Company{Name: "New"})
	return err
}

// TestRateLimitedPausesEveryone checks that one 429 pauses the whole shared limiter, and
// that Retry-After, when the server sends it, sets the pause.
func TestRateLimitedPausesEveryone(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	tests := []struct {
		name     string
		switches planhatemu.Switches
		cooldown time.Duration
		minPause time.Duration
		maxPause time.Duration
	}{
		{"no Retry-After: the cooldown", planhatemu.Switches{}, 300 * time.Millisecond, 250 * time.Millisecond, 1300 * time.Millisecond},
		{"Retry-After wins", planhatemu.Switches{RetryAfter: true}, 10 * time.Millisecond, 500 * time.Millisecond, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, []planhatemu.Option{planhatemu.WithSwitches(tt.switches), planhatemu.WithRateLimit(1000, 2*time.Second)}, func(o *planhat.Options) {
				o.Retry = &planhat.RetryPolicy{}
				o.RateLimit = &planhat.RateLimit{Requests: 1000, Window: time.Second, Burst: 100, Cooldown: tt.cooldown}
			})
			id := e.srv.Insert("companies", map[string]any{"name": "Acme"})
			e.srv.FailNext(1, http.StatusTooManyRequests)
			start := time.Now()
			_, err := e.c.Companies().Get(ctx, planhat.ID(id))
			var apiErr *planhat.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 {
				t.Fatalf("err = %v, want the 429", err)
			}
			until := e.c.Limiter().PausedUntil()
			if pause := until.Sub(start); pause < tt.minPause || pause > tt.maxPause {
				t.Errorf("paused for %v, want between %v and %v", pause, tt.minPause, tt.maxPause)
			}
			// Another client sharing the limiter waits out the pause too.
			other, err := planhat.NewClient(planhat.Options{Token: testToken, BaseURL: e.srv.URL, Limiter: e.c.Limiter(), MaxWait: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := other.Companies().Get(ctx, planhat.ID(id)); err != nil {
				t.Fatal(err)
			}
			if time.Now().Before(until) {
				t.Errorf("a call went out %v before the pause ended", until.Sub(time.Now()))
			}
		})
	}
}

func TestTimeoutsAndCancellation(t *testing.T) {
	t.Parallel()
	t.Run("the caller's deadline stops a slow call", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil, nil)
		e.srv.SetLatency(300 * time.Millisecond)
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := e.c.Ping(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 250*time.Millisecond {
			t.Errorf("returned after %v, want about 50ms", d)
		}
	})
	t.Run("the per-attempt timeout retries a GET and gives up", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil, func(o *planhat.Options) { o.Timeout = 30 * time.Millisecond })
		e.srv.SetLatency(200 * time.Millisecond)
		err := e.c.Ping(t.Context())
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want DeadlineExceeded", err)
		}
		if n := len(e.rec.requests()); n != 4 {
			t.Errorf("attempts = %d, want 4 (1 + 3 retries)", n)
		}
	})
	// Bulk upserts, lean companies and analytics pushes move thousands of records and
	// get BulkTimeout; an ordinary call on the same slow host still times out at Timeout.
	// The margins are wide (100 ms against 600 ms against the 5 min default) for loaded CI.
	t.Run("bulk, lean and analytics calls get the longer bulk timeout", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil, func(o *planhat.Options) { o.Timeout = 100 * time.Millisecond })
		e.srv.SetLatency(600 * time.Millisecond)
		ctx := t.Context()
		calls := []struct {
			name string
			call func() error
		}{
			{"BulkUpsert", func() error { _, err := e.c.Companies().BulkUpsert(ctx, companiesN(2, "slow")); return err }},
			{"LeanCompanies", func() error { _, err := e.c.LeanCompanies(ctx, planhat.LeanCompanyFilter{}); return err }},
			{"PushMetrics", func() error {
				_, err := e.c.PushMetrics(ctx, []planhat.Metric{{DimensionID: "seats", Value: 3, ExternalID: "slow-1"}})
				return err
			}},
		}
		var wg sync.WaitGroup
		for _, c := range calls {
			wg.Go(func() {
				if err := c.call(); err != nil {
					t.Errorf("%s behind 600ms of latency with a 100ms Timeout: %v, want success within BulkTimeout", c.name, err)
				}
			})
		}
		wg.Wait()
		err := e.c.Ping(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "100ms per-attempt timeout") {
			t.Errorf("Ping behind 600ms of latency: err = %v, want DeadlineExceeded after the 100ms Timeout", err)
		}
	})
	t.Run("a cancelled bulk run returns what was merged so far", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		e := newEnv(t, nil, func(o *planhat.Options) {
			o.BulkChunkSize = 2
			o.Observer = func(ci planhat.CallInfo) {
				if ci.StatusCode == 200 {
					cancel() // after the first chunk is in
				}
			}
		})
		res, err := e.c.Companies().BulkUpsert(ctx, companiesN(6, "cancel"))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want Canceled", err)
		}
		if res == nil || res.Created != 2 || len(res.Chunks) != 1 {
			t.Errorf("result = %+v, want the first chunk's 2 creations", res)
		}
	})
}

// stripRateHeaders forwards requests over real HTTP and removes Planhat's quota headers from
// the answers, as a proxy that drops them would.
type stripRateHeaders struct{ next http.RoundTripper }

func (s stripRateHeaders) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.next.RoundTrip(r)
	if resp != nil {
		resp.Header.Del("X-Rate-Limit-Limit")
		resp.Header.Del("X-Rate-Limit-Remaining")
	}
	return resp, err
}

// TestLimiterFollowsRemainingHeader has another consumer of the same token (another app, or
// another process) spend most of a 20-per-2 s window before the client starts. The client's
// own bucket is full, but it reads X-Rate-Limit-Remaining, spends only what is left, pauses
// when Planhat reports zero, and never meets a 429. The control run hides the headers: the
// same client then bursts into the 429.
func TestLimiterFollowsRemainingHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		hide      bool
		want429   bool
		wantPause bool
	}{
		{"headers honoured: no 429", false, false, true},
		{"control: headers hidden, the burst is refused", true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			srv := planhattest.NewServer(t, planhatemu.WithToken(testToken), planhatemu.WithRateLimit(20, 2*time.Second))
			id := srv.Insert("companies", map[string]any{"name": "Acme"})
			// The other consumer: 17 plain requests with the same token.
			for range 17 {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/companies/"+id, nil)
				req.Header.Set("Authorization", "Bearer "+testToken)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("other consumer got %d", resp.StatusCode)
				}
			}
			var rt http.RoundTripper = http.DefaultTransport.(*http.Transport).Clone()
			if tt.hide {
				rt = stripRateHeaders{rt}
			}
			// Its own limiter (not the shared one): only the headers can tell it about the
			// other consumer. Burst 10 would overrun the 3 calls left in the window.
			lim := planhat.NewLimiter(planhat.RateLimit{Requests: 20, Window: 2 * time.Second, Burst: 10, Cooldown: 2 * time.Second})
			c, err := planhat.NewClient(planhat.Options{Token: testToken, BaseURL: srv.URL, HTTPClient: &http.Client{Transport: rt},
				Limiter: lim, Retry: &planhat.RetryPolicy{}, MaxWait: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			paused := false
			var callErr error
			for i := range 6 {
				if _, err := c.Companies().Get(ctx, planhat.ID(id)); err != nil {
					callErr = fmt.Errorf("call %d: %w", i, err)
					break
				}
				paused = paused || !lim.PausedUntil().IsZero()
			}
			got429 := srv.Stats().RateLimited > 0
			if got429 != tt.want429 {
				t.Errorf("429 seen = %t, want %t (call error: %v)", got429, tt.want429, callErr)
			}
			if tt.want429 && !errors.Is(callErr, planhat.ErrRateLimited) {
				t.Errorf("control run: err = %v, want ErrRateLimited", callErr)
			}
			if !tt.want429 && callErr != nil {
				t.Error(callErr)
			}
			if paused != tt.wantPause {
				t.Errorf("limiter paused = %t, want %t (pausing on Remaining: 0 is what avoids the 429)", paused, tt.wantPause)
			}
			if tt.want429 && c.RateLimit().Remaining != -1 {
				t.Errorf("control run saw Remaining %d; the headers were not hidden", c.RateLimit().Remaining)
			}
		})
	}
}

// TestTransportErrorsSayWhatToDo checks that a call which got no answer says why and what to
// check, while staying matchable as the underlying network or deadline error.
func TestTransportErrorsSayWhatToDo(t *testing.T) {
	t.Parallel()
	closed := "http://" + closedport.Addr(t)
	e := newEnv(t, nil, func(o *planhat.Options) { o.Timeout = 20 * time.Millisecond })
	e.srv.SetLatency(200 * time.Millisecond)
	down, err := planhat.NewClient(planhat.Options{Token: testToken, BaseURL: closed, Retry: fastRetry, RateLimit: highLimit})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		c      *planhat.Client
		want   string
		wantAs func(error) bool
	}{
		{"nothing listening", down, "(Planhat could not be reached at " + closed + "; check the region or base URL, and the network)",
			func(err error) bool { var ne net.Error; return errors.As(err, &ne) }},
		{"no answer in time", e.c, "did not answer within the 20ms per-attempt timeout; retry later, or raise Options.Timeout",
			func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Ping(t.Context())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if !tt.wantAs(err) {
				t.Errorf("err = %v no longer matches the underlying error", err)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("err = %v carries the token", err)
			}
		})
	}
}

// TestDefaultRateLimit pins the documented defaults, which keep a client under Planhat's
// limits (about 200 calls a minute, 150 a second, 50 in parallel) with no configuration,
// and the rules that fill the fields a caller leaves zero.
func TestDefaultRateLimit(t *testing.T) {
	t.Parallel()
	documented := planhat.RateLimit{Requests: 180, Window: time.Minute, Burst: 9, PerSecond: 150, MaxInFlight: 50, Cooldown: time.Minute, BackgroundShare: 0.2}
	client, err := planhat.NewClient(planhat.Options{Token: "default-rate-limit-" + t.Name(), BaseURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  planhat.RateLimit
		want planhat.RateLimit
	}{
		{"DefaultRateLimit", planhat.DefaultRateLimit(), documented},
		{"NewLimiter with a zero config", planhat.NewLimiter(planhat.RateLimit{}).Config(), documented},
		{"a client without RateLimit or Limiter", client.Limiter().Config(), documented},
		// Burst is a twentieth of Requests and the cooldown one Window; the caps stay.
		{"a custom quota", planhat.NewLimiter(planhat.RateLimit{Requests: 600, Window: 2 * time.Minute}).Config(),
			planhat.RateLimit{Requests: 600, Window: 2 * time.Minute, Burst: 30, PerSecond: 150, MaxInFlight: 50, Cooldown: 2 * time.Minute, BackgroundShare: 0.2}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

// TestDefaultMaxInFlight sends 120 calls at once through a limiter whose quota is out of the
// way but whose concurrency cap is the default, to an emulator that answers after one
// second. Client and emulator talk HTTP over in-memory pipes inside a synctest bubble, so
// the fake clock only moves once every admitted call is waiting in the emulator: the peak
// the emulator sees is exactly the cap, and 120 calls take three one-second waves.
func TestDefaultMaxInFlight(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := planhatemu.New(planhatemu.WithToken(testToken), planhatemu.WithRateLimit(0, 0))
		srv.SetLatency(time.Second)
		var mu sync.Mutex
		inFlight, peak, served := 0, 0, 0
		counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			inFlight++
			peak = max(peak, inFlight)
			served++
			mu.Unlock()
			defer func() {
				mu.Lock()
				inFlight--
				mu.Unlock()
			}()
			srv.Handler().ServeHTTP(w, r)
		})
		// The limiter is built here rather than taken from the shared registry: a
		// registry entry would outlive the bubble, and its channels cannot cross bubbles.
		lim := planhat.NewLimiter(planhat.RateLimit{Requests: 1_000_000, Window: time.Minute, Burst: 1000})
		c, err := planhat.NewClient(planhat.Options{Token: testToken, BaseURL: "http://planhat.pipe", HTTPClient: servePipe(t, counted), Limiter: lim, MaxWait: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		var wg sync.WaitGroup
		for range 120 {
			wg.Go(func() {
				if err := c.Ping(t.Context()); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		mu.Lock()
		defer mu.Unlock()
		if peak != 50 || served != 120 {
			t.Errorf("the emulator saw at most %d calls in flight and %d in all, want 50 (the default MaxInFlight) and 120", peak, served)
		}
		if elapsed != 3*time.Second {
			t.Errorf("120 one-second calls took %v, want 3s (waves of 50, 50 and 20)", elapsed)
		}
	})
}
