package httpapi_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/httpapi"
	"github.com/planbridge/planbridge/integrations"
	"github.com/planbridge/planbridge/internal/roundtrip"
	"github.com/planbridge/planbridge/internal/syncbuffer"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/planhat/planhatemu"
	"github.com/planbridge/planbridge/planhat/planhattest"
	"github.com/planbridge/planbridge/readcache"
)

const testKey = "test-api-key-0123456789"

type restEnv struct {
	url     string
	planhat *planhatemu.Server
	metrics *httpapi.Metrics
	reg     *actions.Registry
}

// newRESTEnv serves the REST door over the emulator; the options change the door's
// Planhat client and its own.
func newRESTEnv(t *testing.T, mutate ...func(*planhat.Options, *httpapi.RESTOptions)) *restEnv {
	t.Helper()
	emu := planhattest.NewServer(t, planhatemu.WithSeed(3), planhatemu.WithRateLimit(0, 0))
	metrics := httpapi.NewMetrics()
	po := planhat.Options{
		Token: emu.Token, BaseURL: emu.URL, AnalyticsURL: emu.AnalyticsURL, TenantToken: emu.Tenant,
		HTTPClient: &http.Client{Transport: metrics.PlanhatTransport(nil, integrations.TokenFingerprint(emu.Token))},
		RateLimit:  &planhat.RateLimit{Requests: 100000, Window: time.Second, PerSecond: 100000},
	}
	reg, err := actions.PlanhatRegistry()
	if err != nil {
		t.Fatal(err)
	}
	ro := httpapi.RESTOptions{Registry: reg, MaxBodyBytes: 4096, Version: "test"}
	for _, m := range mutate {
		m(&po, &ro)
	}
	client, err := planhat.NewClient(po)
	if err != nil {
		t.Fatal(err)
	}
	ro.Deps = actions.Deps{Planhat: client}
	reg.Observe(metrics.ActionObserver())
	rest, err := httpapi.REST(ro)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := httpapi.New(httpapi.Config{
		Metrics: metrics,
		APIKeys: httpapi.ParseAPIKeys(testKey + ",second-key"),
		Doors:   []httpapi.Door{rest},
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &restEnv{url: hs.URL, planhat: emu, metrics: metrics, reg: reg}
}

type result struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request to the server, with auth as the Authorization
// header when not empty.
func (e *restEnv) do(t *testing.T, method, path, auth, contentType, body string) result {
	t.Helper()
	var header http.Header
	if auth != "" {
		header = http.Header{"Authorization": {auth}}
	}
	a := roundtrip.Do(t, method, e.url+path, contentType, body, header)
	return result{status: a.Status, header: a.Header, body: []byte(a.Body)}
}

func errorOf(t *testing.T, r result) httpapi.ErrorDetail {
	t.Helper()
	var body httpapi.ErrorBody
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("status %d body is not error JSON: %v\n%s", r.status, err, r.body)
	}
	if body.Error.RequestID == "" || body.Error.RequestID != r.header.Get("X-Request-Id") {
		t.Errorf("error requestId %q does not match X-Request-Id %q", body.Error.RequestID, r.header.Get("X-Request-Id"))
	}
	return body.Error
}

func TestRESTDoorErrors(t *testing.T) {
	t.Parallel()
	env := newRESTEnv(t)
	companyID := env.planhat.Objects("companies")[0]["_id"].(string)
	bearer := "Bearer " + testKey
	tests := []struct {
		name        string
		method      string
		path        string
		auth        string
		contentType string
		body        string
		wantStatus  int
		wantCode    actions.Code
	}{
		{"no key", "POST", "/v1/actions/getCompany", "", "application/json", `{}`, 401, actions.CodeUnauthenticated},
		{"wrong key", "POST", "/v1/actions/getCompany", "Bearer nope", "application/json", `{}`, 401, actions.CodeUnauthenticated},
		{"basic auth", "POST", "/v1/actions/getCompany", "Basic " + testKey, "application/json", `{}`, 401, actions.CodeUnauthenticated},
		{"list without key", "GET", "/v1/actions", "", "", "", 401, actions.CodeUnauthenticated},
		{"unknown action", "POST", "/v1/actions/getCompanny", bearer, "application/json", `{}`, 404, actions.CodeUnknownAction},
		{"wrong content type", "POST", "/v1/actions/getCompany", bearer, "text/plain", `{"id":"x"}`, 415, actions.CodeUnsupportedMediaType},
		{"form body", "POST", "/v1/actions/getCompany", bearer, "application/x-www-form-urlencoded", `id=x`, 415, actions.CodeUnsupportedMediaType},
		{"malformed json", "POST", "/v1/actions/getCompany", bearer, "application/json", `{"id":`, 400, actions.CodeMalformedJSON},
		{"array body", "POST", "/v1/actions/getCompany", bearer, "application/json", `[]`, 400, actions.CodeMalformedJSON},
		{"oversized", "POST", "/v1/actions/getCompany", bearer, "application/json", `{"id":"` + strings.Repeat("a", 5000) + `"}`, 413, actions.CodePayloadTooLarge},
		{"missing field", "POST", "/v1/actions/getCompany", bearer, "application/json", `{}`, 400, actions.CodeInvalidInput},
		{"not found", "POST", "/v1/actions/getCompany", bearer, "application/json", `{"id":"extid-does-not-exist"}`, 404, actions.CodeNotFound},
		{"wrong method", "GET", "/v1/actions/getCompany", bearer, "", "", 405, actions.CodeMethodNotAllowed},
		{"no route", "GET", "/v2/nothing", bearer, "", "", 404, actions.CodeRouteNotFound},
		{"ok", "POST", "/v1/actions/getCompany", bearer, "application/json", `{"id":"` + companyID + `"}`, 200, ""},
		{"second key ok", "POST", "/v1/actions/getCompany", "Bearer second-key", "application/json", `{"id":"` + companyID + `"}`, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := env.do(t, tt.method, tt.path, tt.auth, tt.contentType, tt.body)
			if r.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", r.status, tt.wantStatus, r.body)
			}
			if tt.wantCode == "" {
				var out map[string]any
				if err := json.Unmarshal(r.body, &out); err != nil {
					t.Fatalf("output is not a JSON object: %s", r.body)
				}
				return
			}
			e := errorOf(t, r)
			if e.Code != tt.wantCode {
				t.Errorf("code = %q, want %q (%s)", e.Code, tt.wantCode, e.Message)
			}
			if e.Message == "" || strings.Contains(e.Message, testKey) {
				t.Errorf("message %q is empty or leaks the key", e.Message)
			}
		})
	}
}

func TestRESTUnknownActionSuggests(t *testing.T) {
	t.Parallel()
	env := newRESTEnv(t)
	r := env.do(t, "POST", "/v1/actions/getcompany", "Bearer "+testKey, "application/json", `{}`)
	e := errorOf(t, r)
	if !strings.Contains(e.Message, `"getCompany"`) {
		t.Errorf("message %q does not suggest getCompany", e.Message)
	}
}

func TestRESTListActions(t *testing.T) {
	t.Parallel()
	env := newRESTEnv(t)
	r := env.do(t, "GET", "/v1/actions", "Bearer "+testKey, "", "")
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var got struct {
		Actions []struct {
			Name         string          `json:"name"`
			Title        string          `json:"title"`
			InputSchema  json.RawMessage `json:"inputSchema"`
			OutputSchema json.RawMessage `json:"outputSchema"`
		} `json:"actions"`
	}
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	var names, want []string
	for _, a := range got.Actions {
		names = append(names, a.Name)
		if a.Title == "" || len(a.InputSchema) == 0 || len(a.OutputSchema) == 0 {
			t.Errorf("%s lacks title or schemas", a.Name)
		}
	}
	for _, a := range env.reg.All() {
		want = append(want, a.Name)
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("listed actions (-want +got):\n%s", diff)
	}
}

func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	env := newRESTEnv(t)
	r := env.do(t, "GET", "/openapi.json", "", "", "")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d, type %q", r.status, r.header.Get("Content-Type"))
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
		Info    struct {
			Title, Version string
		} `json:"info"`
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Summary     string `json:"summary"`
			RequestBody *struct {
				Content map[string]struct {
					Schema map[string]any `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
			Responses map[string]struct {
				Content map[string]struct {
					Schema map[string]any `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
		Components struct {
			SecuritySchemes map[string]any `json:"securitySchemes"`
			Schemas         map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	if doc.OpenAPI != "3.1.0" || doc.Info.Title == "" || doc.Info.Version != "test" {
		t.Errorf("header fields: %q %q %q", doc.OpenAPI, doc.Info.Title, doc.Info.Version)
	}
	if doc.Components.SecuritySchemes["apiKey"] == nil || doc.Components.Schemas["Error"] == nil {
		t.Error("components lack the apiKey scheme or the Error schema")
	}
	seenIDs := map[string]bool{}
	for _, a := range env.reg.All() {
		item, ok := doc.Paths["/v1/actions/"+a.Name]
		if !ok {
			t.Errorf("no path for action %s", a.Name)
			continue
		}
		op, ok := item["post"]
		if !ok {
			t.Errorf("%s: no post operation", a.Name)
			continue
		}
		if op.OperationID != a.Name || seenIDs[op.OperationID] {
			t.Errorf("%s: operationId %q missing or duplicate", a.Name, op.OperationID)
		}
		seenIDs[op.OperationID] = true
		if op.RequestBody == nil || op.RequestBody.Content["application/json"].Schema["type"] != "object" {
			t.Errorf("%s: request body schema is not an object schema", a.Name)
		}
		if op.Responses["200"].Content["application/json"].Schema["type"] != "object" {
			t.Errorf("%s: 200 response schema is not an object schema", a.Name)
		}
		for _, code := range []string{"400", "401", "404", "413", "415", "429", "502"} {
			if _, ok := op.Responses[code]; !ok {
				t.Errorf("%s: no %s response", a.Name, code)
			}
		}
	}
	if _, ok := doc.Paths["/v1/actions"]["get"]; !ok {
		t.Error("no GET /v1/actions")
	}
}

func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	env := newRESTEnv(t)
	if r := env.do(t, "GET", "/health", "", "", ""); r.status != 200 || string(r.body) != "ok" {
		t.Errorf("/health = %d %q, want 200 ok", r.status, r.body)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if r := env.do(t, "GET", p, "", "", ""); r.status != 200 {
			t.Errorf("%s = %d", p, r.status)
		}
	}
	companyID := env.planhat.Objects("companies")[0]["_id"].(string)
	env.do(t, "POST", "/v1/actions/getCompany", "Bearer "+testKey, "application/json", `{"id":"`+companyID+`"}`)
	r := env.do(t, "GET", "/metrics", "", "", "")
	text := string(r.body)
	fp := integrations.TokenFingerprint(env.planhat.Token)
	for _, want := range []string{
		`planbridge_http_requests_total{code="200",route="POST /v1/actions/{name}"} 1`,
		`planbridge_actions_total{action="getCompany",door="rest",outcome="ok"} 1`,
		`planbridge_planhat_requests_total{code="200",token="` + fp + `"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(text, env.planhat.Token) || strings.Contains(text, testKey) {
		t.Error("metrics contain a token or key")
	}
}

func TestReadyzDrains(t *testing.T) {
	t.Parallel()
	reg, err := actions.PlanhatRegistry()
	if err != nil {
		t.Fatal(err)
	}
	rest, err := httpapi.REST(httpapi.RESTOptions{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := httpapi.New(httpapi.Config{Doors: []httpapi.Door{rest}})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 200 {
		t.Fatalf("readyz before drain = %d", rec.Code)
	}
	srv.Drain()
	rec = httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 {
		t.Errorf("readyz after drain = %d, want 503", rec.Code)
	}
	// Without API keys the REST door refuses, and says how to fix it.
	rec = httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/v1/actions/getCompany", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer anything")
	srv.ServeHTTP(rec, req)
	if rec.Code != 401 || !strings.Contains(rec.Body.String(), "PLANBRIDGE_API_KEYS") {
		t.Errorf("no-keys call = %d %s", rec.Code, rec.Body)
	}
}

// TestRESTMarksStaleAnswers reads a company through a read cache whose TTL has passed
// while Planhat answers 429: the old answer comes back, unchanged in shape, with a
// Planbridge-Cache header saying it is stale, and the log says so too. A fresh answer
// carries no header.
func TestRESTMarksStaleAnswers(t *testing.T) {
	tests := []struct {
		name       string
		rateLimit  bool
		wantHeader string // its prefix; "" means none
	}{
		{"fresh answer", false, ""},
		{"stale on a rate limit", true, "stale; age=0; reason=rate-limited"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs syncbuffer.Buffer
			cache := readcache.New(readcache.Options{TTL: 20 * time.Millisecond, StaleIfRateLimited: time.Minute})
			e := newRESTEnv(t, func(po *planhat.Options, ro *httpapi.RESTOptions) {
				po.ReadCache = cache.For(readcache.Scope(po.Token, po.BaseURL))
				po.Retry = &planhat.RetryPolicy{MaxRetries: 0}
				ro.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			})
			id, _ := e.planhat.Objects("companies")[0]["_id"].(string)
			call := func() result {
				return e.do(t, "POST", "/v1/actions/getCompany", "Bearer "+testKey, "application/json", `{"id":"`+id+`"}`)
			}
			first := call()
			time.Sleep(40 * time.Millisecond)
			if tt.rateLimit {
				e.planhat.FailNext(1, http.StatusTooManyRequests)
			}
			second := call()
			if first.status != 200 || second.status != 200 {
				t.Fatalf("statuses %d, %d, want 200s: %s", first.status, second.status, second.body)
			}
			if string(first.body) != string(second.body) && tt.rateLimit {
				t.Errorf("the stale answer differs from the cached one:\n%s\n%s", first.body, second.body)
			}
			if got := first.header.Get(httpapi.CacheHeader); got != "" {
				t.Errorf("first answer %s = %q, want none", httpapi.CacheHeader, got)
			}
			if got := second.header.Get(httpapi.CacheHeader); got != tt.wantHeader {
				t.Errorf("second answer %s = %q, want %q", httpapi.CacheHeader, got, tt.wantHeader)
			}
			if logged := strings.Contains(logs.String(), "action answered from a stale cache"); logged != tt.rateLimit {
				t.Errorf("logged the stale answer: %t, want %t:\n%s", logged, tt.rateLimit, logs.String())
			}
		})
	}
}
