package planhat_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/planhat/planhatemu"
)

func TestBaseURLForRegion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		region, want string
		wantErr      bool
	}{
		{"", "https://api.planhat.com", false},
		{"us", "https://api.planhat.com", false},
		{"eu", "https://api-eu.planhat.com", false},
		{"EU2", "https://api-eu2.planhat.com", false},
		{"api-eu3", "https://api-eu3.planhat.com", false},
		{"us2", "https://api-us2.planhat.com", false},
		{"eu.evil.com/", "", true},
		{"e", "", true},
	}
	for _, tt := range tests {
		got, err := planhat.BaseURLForRegion(tt.region)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("BaseURLForRegion(%q) = %q, %v; want %q, err %v", tt.region, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestNewClientOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		opts          planhat.Options
		wantBase      string
		wantAnalytics string
		wantErr       string
	}{
		{"region eu keeps the analytics host", planhat.Options{Token: "t", Region: "eu"}, "https://api-eu.planhat.com", "https://analytics.planhat.com", ""},
		{"base URL wins over region", planhat.Options{Token: "t", Region: "eu", BaseURL: "http://127.0.0.1:9/prefix/"}, "http://127.0.0.1:9/prefix", "https://analytics.planhat.com", ""},
		{"tenant token alone is enough", planhat.Options{TenantToken: "199627f7-0d65-52cd-89b9-45b5ff561bea"}, "https://api.planhat.com", "https://analytics.planhat.com", ""},
		{"no credentials", planhat.Options{}, "", "", "no credentials"},
		{"token with a newline", planhat.Options{Token: "abc\ndef"}, "", "", "spaces or control characters"},
		{"relative base URL", planhat.Options{Token: "t", BaseURL: "api.planhat.com"}, "", "", "absolute http(s) URL"},
		{"base URL with credentials", planhat.Options{Token: "t", BaseURL: "https://u:p@api.planhat.com"}, "", "", "credentials"},
		{"non-http base URL with credentials", planhat.Options{Token: "t", BaseURL: "ftp://me:s3cret@api.planhat.com"}, "", "", "absolute http(s) URL"},
		{"unparsable base URL with credentials", planhat.Options{Token: "t", BaseURL: "http://me:s3cret@api.planhat.com:port"}, "", "", "not a valid URL (parse: invalid port"},
		{"non-http analytics URL with credentials", planhat.Options{Token: "t", AnalyticsURL: "ws://me:s3cret@analytics.planhat.com"}, "", "", "absolute http(s) URL"},
		{"unknown region", planhat.Options{Token: "t", Region: "mars!"}, "", "", "unknown region"},
		{"unknown auth scheme", planhat.Options{Token: "t", Auth: 7}, "", "", "auth scheme"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := planhat.NewClient(tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("err = %v prints the URL's password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.BaseURL() != tt.wantBase || c.AnalyticsURL() != tt.wantAnalytics {
				t.Errorf("base %s analytics %s; want %s %s", c.BaseURL(), c.AnalyticsURL(), tt.wantBase, tt.wantAnalytics)
			}
		})
	}
	if s := fmt.Sprint(planhat.Options{Token: "secret-token", TenantToken: "tenant-secret"}); strings.Contains(s, "secret") {
		t.Errorf("Options print their secrets: %s", s)
	}
}

func TestAuthSchemes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		auth planhat.AuthScheme
		want string
	}{
		{"bearer", planhat.AuthBearer, "Bearer " + testToken},
		{"basic with the trailing colon", planhat.AuthBasic, "Basic " + base64.StdEncoding.EncodeToString([]byte(testToken+":"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil, func(o *planhat.Options) { o.Auth = tt.auth })
			if err := e.c.Ping(t.Context()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			if got := e.rec.authHeaders()[0]; got != tt.want {
				t.Errorf("Authorization = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	tests := []struct {
		name     string
		switches planhatemu.Switches
		token    string
		call     func(c *planhat.Client) error
		wantIs   error
		status   int
		contains []string
	}{
		{"wrong token", planhatemu.Switches{}, "wrong-token", func(c *planhat.Client) error { return c.Ping(ctx) },
			planhat.ErrUnauthorized, 401, []string{"check the API token", "region"}},
		{"token of another region", planhatemu.Switches{RegionTokens: map[string]string{testToken: "eu"}}, testToken, func(c *planhat.Client) error { return c.Ping(ctx) },
			planhat.ErrUnauthorized, 401, []string{"api-eu.planhat.com"}},
		{"unknown id", planhatemu.Switches{}, testToken, func(c *planhat.Client) error {
			_, err := c.Companies().Get(ctx, planhat.ExtID("missing"))
			return err
		}, planhat.ErrNotFound, 404, []string{"GET /companies/extid-missing", "404"}},
		{"bad payload with a JSON body", planhatemu.Switches{}, testToken, func(c *planhat.Client) error {
			// A model without client-side required fields lets the emulator judge the payload.
			lax := &planhat.Model{Name: "company", Path: "companies", Keyables: []string{"_id"}, MaxLimit: 5000, Ops: planhat.OpsCRUD}
			_, err := c.Objects(lax).Create(ctx, planhat.Object{"slug": "no-name"})
			return err
		}, planhat.ErrBadRequest, 400, nil},
		{"bad payload with a string body", planhatemu.Switches{StringErrors: true}, testToken, func(c *planhat.Client) error {
			lax := &planhat.Model{Name: "company", Path: "companies", Keyables: []string{"_id"}, MaxLimit: 5000, Ops: planhat.OpsCRUD}
			_, err := c.Objects(lax).Create(ctx, planhat.Object{"slug": "no-name"})
			return err
		}, planhat.ErrBadRequest, 400, []string{"name"}},
		{"string error body", planhatemu.Switches{StringErrors: true}, testToken, func(c *planhat.Client) error {
			_, err := c.Companies().Get(ctx, "000000000000000000000000")
			return err
		}, planhat.ErrNotFound, 404, nil},
		{"forbidden model", planhatemu.Switches{DeniedModels: []string{"companies"}}, testToken, func(c *planhat.Client) error {
			_, err := c.Companies().Create(ctx, planhat.Company{Name: "x"})
			return err
		}, planhat.ErrForbidden, 403, []string{"permission"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, []planhatemu.Option{planhatemu.WithSwitches(tt.switches)}, func(o *planhat.Options) { o.Token = tt.token })
			err := tt.call(e.c)
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("err = %v, want %v", err, tt.wantIs)
			}
			var apiErr *planhat.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status {
				t.Fatalf("err = %#v, want an *APIError with status %d", err, tt.status)
			}
			if apiErr.Message == "" {
				t.Errorf("no message extracted from body %q", apiErr.Body)
			}
			if len(apiErr.Body) > 1100 {
				t.Errorf("body excerpt of %d bytes", len(apiErr.Body))
			}
			for _, s := range tt.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message %q lacks %q", err, s)
				}
			}
			if strings.Contains(err.Error(), tt.token) || strings.Contains(fmt.Sprintf("%#v", apiErr), tt.token) {
				t.Errorf("the token leaked into the error: %v", err)
			}
			if apiErr.RateLimit.Limit != 200 || apiErr.RateLimit.Remaining < 0 {
				t.Errorf("rate-limit state = %+v, want the emulator's headers", apiErr.RateLimit)
			}
		})
	}
}

func TestNoSecretsInLogs(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	e := newEnv(t, nil, func(o *planhat.Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	e.srv.FailNext(1, http.StatusServiceUnavailable)
	ctx := t.Context()
	if err := e.c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.c.Track(ctx, planhat.Activity{Email: "a@b.c", Action: "Logged in"}); err != nil {
		t.Fatal(err)
	}
	if err := e.c.LogOpenCall(ctx, planhat.Call{Nr: "+1"}); err != nil {
		t.Fatal(err)
	}
	if dump := fmt.Sprintf("%+v %#v", e.c, e.c); strings.Contains(dump, testToken) || strings.Contains(dump, testTenant) {
		t.Errorf("printing the client reveals a secret: %s", dump)
	}
	out := logs.String()
	if !strings.Contains(out, "will be retried") || !strings.Contains(out, "/analytics/{tenant}") {
		t.Errorf("logs lack the expected records:\n%s", out)
	}
	for _, s := range []string{testToken, testTenant} {
		if strings.Contains(out, s) {
			t.Errorf("logs contain a secret:\n%s", out)
		}
	}
}

func TestOpenEndpointsNeedTheTenant(t *testing.T) {
	t.Parallel()
	c, err := planhat.NewClient(planhat.Options{Token: "t", BaseURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for name, err := range map[string]error{
		"Track":       c.Track(ctx, planhat.Activity{Email: "a@b.c"}),
		"TrackBatch":  c.TrackBatch(ctx, []planhat.Activity{{Email: "a@b.c"}}),
		"LogOpenCall": c.LogOpenCall(ctx, planhat.Call{Nr: "1"}),
	} {
		if !errors.Is(err, planhat.ErrNoTenantToken) {
			t.Errorf("%s: err = %v, want ErrNoTenantToken", name, err)
		}
	}
	tenantOnly, err := planhat.NewClient(planhat.Options{TenantToken: testTenant, BaseURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := tenantOnly.Ping(ctx); !errors.Is(err, planhat.ErrNoToken) {
		t.Errorf("Ping without a token: err = %v, want ErrNoToken", err)
	}
}

func TestDoEscapeHatch(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newEnv(t, nil, nil)
	var profile map[string]any
	if err := e.c.Do(ctx, http.MethodGet, "/myprofile", nil, nil, &profile); err != nil {
		t.Fatalf("GET /myprofile: %v", err)
	}
	if len(profile) == 0 {
		t.Error("empty profile")
	}
	e.srv.FailNext(1, http.StatusServiceUnavailable)
	var tags []map[string]any
	if err := e.c.Do(ctx, http.MethodGet, "/activitytags", nil, nil, &tags); err != nil {
		t.Fatalf("GET /activitytags after a 503: %v", err)
	}
	e.srv.FailNext(1, http.StatusServiceUnavailable)
	if err := e.c.Do(ctx, http.MethodPost, "/companies", nil, map[string]any{"name": "x"}, nil); !errors.Is(err, planhat.ErrServer) {
		t.Errorf("POST after a 503: err = %v, want ErrServer without retry", err)
	}
	if err := e.c.Do(ctx, http.MethodGet, "companies?limit=1", nil, nil, nil); !isValidation(err) {
		t.Errorf("bad path: err = %v", err)
	}
	if got := e.srv.Stats().ByRoute["POST /companies"]; got != 1 {
		t.Errorf("POST sent %d times", got)
	}
}

func TestObserver(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var mu sync.Mutex
	var calls []planhat.CallInfo
	e := newEnv(t, nil, func(o *planhat.Options) {
		o.BulkChunkSize = 2
		o.Observer = func(ci planhat.CallInfo) {
			mu.Lock()
			calls = append(calls, ci)
			mu.Unlock()
		}
	})
	e.srv.FailNext(1, http.StatusServiceUnavailable)
	if err := e.c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Companies().BulkUpsert(ctx, companiesN(3, "obs")); err != nil {
		t.Fatal(err)
	}
	if err := e.c.Track(ctx, planhat.Activity{Email: "a@b.c"}); err != nil {
		t.Fatal(err)
	}
	type brief struct {
		Method, Path       string
		Analytics          bool
		Attempt, Status, N int
	}
	var got []brief
	for _, ci := range calls {
		got = append(got, brief{ci.Method, ci.Path, ci.Analytics, ci.Attempt, ci.StatusCode, ci.Items})
		if ci.Duration <= 0 || ci.Err != nil {
			t.Errorf("call info %+v", ci)
		}
	}
	want := []brief{
		{"GET", "/companies", false, 0, 503, 0},
		{"GET", "/companies", false, 1, 200, 0},
		{"PUT", "/companies", false, 0, 200, 2},
		{"PUT", "/companies", false, 0, 200, 1},
		{"POST", "/analytics/{tenant}", true, 0, 200, 0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("observed calls (-want +got):\n%s", diff)
	}
}

// TestCustomUserAgent checks Options.UserAgent replaces the default on every host, as the
// emulator received it: operators use it to tell one integration's calls from another's in
// Planhat's audit logs.
func TestCustomUserAgent(t *testing.T) {
	t.Parallel()
	const ua = "acme-sync/2.1 (+https://acme.example/ops)"
	ctx := t.Context()
	e := newEnv(t, nil, func(o *planhat.Options) { o.UserAgent = ua })
	if err := e.c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.c.Track(ctx, planhat.Activity{Email: "a@b.c", Action: "Logged in"}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range e.srv.Requests() {
		got = append(got, r.Route+": "+r.Header.Get("User-Agent"))
	}
	want := []string{"GET /companies: " + ua, "POST /analytics/{tenant}: " + ua}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("User-Agent the emulator recorded (-want +got):\n%s", diff)
	}
}

// TestCallRequiredFields checks the open and the authenticated call endpoints apply one
// rule, ModelCall.Required: a call that LogCall accepts is not refused by LogOpenCall (or
// the other way round), and a call naming neither contact nor team member is refused by
// both before anything is sent.
func TestCallRequiredFields(t *testing.T) {
	t.Parallel()
	const agent = "60ccb1c5965cc9e0f3848075"
	tests := []struct {
		name    string
		call    planhat.Call
		wantErr string // empty: accepted
	}{
		{"phone number", planhat.Call{Nr: "+4670123456"}, ""},
		{"team member's userId", planhat.Call{UserID: agent}, ""},
		{"phUserId only", planhat.Call{Extra: map[string]json.RawMessage{"phUserId": json.RawMessage(`"` + agent + `"`)}}, ""},
		{"neither contact nor team member", planhat.Call{ExternalUserID: "max123", Waiting: 10},
			`planhat: call: one of "nr", "userId", "phUserId" is required (set Nr to the contact's phone number, or UserID, or phUserId through Extra, to the contact's Planhat _id)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil, nil)
			ctx := t.Context()
			_, logErr := e.c.LogCall(ctx, tt.call)
			for name, err := range map[string]error{"LogOpenCall": e.c.LogOpenCall(ctx, tt.call), "LogCall": logErr} {
				if tt.wantErr == "" {
					if err != nil {
						t.Errorf("%s: %v, want the call accepted", name, err)
					}
					continue
				}
				var v *planhat.ValidationError
				if !errors.As(err, &v) || v.Field != "nr" || err.Error() != tt.wantErr {
					t.Errorf("%s: err = %v, want a *ValidationError on nr saying %q", name, err, tt.wantErr)
				}
			}
			wantStored := 2
			if tt.wantErr != "" {
				wantStored = 0
			}
			if n := e.srv.Count("calls"); n != wantStored {
				t.Errorf("the emulator stored %d calls, want %d", n, wantStored)
			}
			if n := e.srv.Stats().Total; tt.wantErr != "" && n != 0 {
				t.Errorf("the emulator received %d requests; a refused call must not be sent", n)
			}
		})
	}
}
