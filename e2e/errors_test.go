package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/botpress/botpressemu"
	"github.com/planbridge/planbridge/internal/syncbuffer"
)

// TestExtraActions covers the task-shaped actions beyond CRUD, including
// the analytics host (activities, metrics).
func TestExtraActions(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	company := s.planhat.Objects("companies")[0]
	companyID := company["_id"].(string)
	extID, _ := company["externalId"].(string)

	found := s.output(t, "findCompany", map[string]any{"externalId": extID})
	if found["found"] != true {
		t.Errorf("findCompany(%q) = %v", extID, found)
	}
	note := s.output(t, "logNote", map[string]any{"companyId": companyID, "description": "Chat summary", "externalId": "conv_note_1"})
	if idOf(note) == "" {
		t.Errorf("logNote = %v", note)
	}
	s.output(t, "createTicket", map[string]any{"sourceId": "desk-1", "email": "buyer@example.com", "subject": "Help", "companyId": companyID})

	// The seed gives every company a primary contact and the tenant three
	// team members, each with an email of their own.
	var contact map[string]any
	for _, eu := range s.planhat.Objects("endusers") {
		if eu["companyId"] == companyID && eu["primary"] == true {
			contact = eu
		}
	}
	if contact == nil {
		t.Fatalf("the seed has no primary contact at %s", companyID)
	}
	member := s.planhat.Objects("users")[0]
	finds := []struct {
		action string
		input  map[string]any
		want   map[string]any // found and matchCount, and the id under record
		record string
	}{
		{"findEndUserByEmail", map[string]any{"email": strings.ToUpper(contact["email"].(string))},
			map[string]any{"found": true, "matchCount": 1.0, "id": contact["_id"]}, "endUser"},
		{"findEndUserByEmail", map[string]any{"email": contact["email"], "companyId": s.planhat.Objects("companies")[1]["_id"]},
			map[string]any{"found": false, "matchCount": 0.0}, "endUser"},
		{"findEndUserByEmail", map[string]any{"email": "nobody@nowhere.example"}, map[string]any{"found": false, "matchCount": 0.0}, "endUser"},
		{"findUserByEmail", map[string]any{"email": member["email"]}, map[string]any{"found": true, "id": member["_id"]}, "user"},
		{"findUserByEmail", map[string]any{"email": "nobody@vendor.example"}, map[string]any{"found": false}, "user"},
	}
	for _, tt := range finds {
		out := s.output(t, tt.action, tt.input)
		got := map[string]any{"found": out["found"]}
		if _, ok := tt.want["matchCount"]; ok {
			got["matchCount"] = out["matchCount"]
		}
		if rec, ok := out[tt.record].(map[string]any); ok {
			got["id"] = rec["id"]
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s(%v) (-want +got):\n%s", tt.action, tt.input, diff)
		}
	}

	call := s.output(t, "logCall", map[string]any{"nr": "+46 70 123 45 67", "agentId": member["_id"],
		"start": "2026-03-02T09:00:00Z", "end": "2026-03-02T09:04:00Z", "waiting": 12})
	stored, ok := s.planhat.Object("calls", idOf(call))
	if !ok {
		t.Fatalf("logCall = %v, but the emulator holds no such call", call)
	}
	// The emulator keeps numbers as json.Number: compare them as text.
	if diff := cmp.Diff(map[string]any{"nr": "+46 70 123 45 67", "agentId": member["_id"], "waiting": "12"},
		map[string]any{"nr": stored["nr"], "agentId": stored["agentId"], "waiting": fmt.Sprint(stored["waiting"])}); diff != "" {
		t.Errorf("stored call (-want +got):\n%s", diff)
	}
	if call["nr"] != stored["nr"] {
		t.Errorf("logCall answered nr %v, the emulator stored %v", call["nr"], stored["nr"])
	}

	before := len(s.planhat.Activities())
	s.output(t, "trackActivity", map[string]any{"email": "buyer@example.com", "action": "Talked to the bot"})
	s.output(t, "trackActivities", map[string]any{"activities": []map[string]any{
		{"email": "a@example.com", "action": "x"}, {"externalId": "eu-2", "action": "y"},
	}})
	s.deliver(t)
	if got := len(s.planhat.Activities()) - before; got != 3 {
		t.Errorf("emulator recorded %d activities, want 3", got)
	}
	out := s.output(t, "pushMetrics", map[string]any{"metrics": []map[string]any{{"dimensionId": "botConversations", "value": 3, "externalId": extID}}})
	if out["processed"] == nil {
		t.Errorf("pushMetrics = %v", out)
	}

	// Without the tenant token, analytics actions say what to configure.
	resp, err := s.bp.CallAction(context.Background(), "", s.configWith(map[string]any{"tenantToken": nil}), "trackActivity",
		map[string]any{"email": "a@example.com", "action": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if e := apiError(t, resp, http.StatusBadRequest, botpress.TypeRuntime); !strings.Contains(e.Message, "tenant") {
		t.Errorf("no-tenant message: %s", e.Message)
	}
}

// TestErrorClasses drives every classified error through the Botpress door
// and checks status, type and an instructive message.
func TestErrorClasses(t *testing.T) {
	t.Parallel()
	var logs syncbuffer.Buffer
	s := newStack(t, withLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	companyID := s.firstID(t, "companies")
	// The emulator has no switch for a 200 whose body is not JSON, so a
	// stand-in Planhat answers every request that way; loopback is allowed
	// by the stack's host policy.
	notJSON := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("not json"))
	}))
	t.Cleanup(notJSON.Close)
	tests := []struct {
		name       string
		config     map[string]any
		fail       int // status the emulator fails the next calls with
		action     string
		input      any
		wantStatus int
		wantType   string
		mention    string
		internal   bool // the cause must be logged at error level and not answered
	}{
		{name: "invalid input", action: "getCompany", input: map[string]any{"id": "not an id"},
			wantStatus: 400, wantType: botpress.TypeInvalidPayload, mention: "id"},
		{name: "unknown field", action: "getCompany", input: map[string]any{"id": companyID, "bogus": 1},
			wantStatus: 400, wantType: botpress.TypeInvalidPayload, mention: "bogus"},
		{name: "input not an object", action: "getCompany", input: []int{1},
			wantStatus: 400, wantType: botpress.TypeInvalidPayload, mention: "object"},
		{name: "unknown action", action: "getCompanny", input: map[string]any{},
			wantStatus: 400, wantType: botpress.TypeInvalidPayload, mention: "getCompany"},
		{name: "planhat refuses data", action: "createEndUser", input: map[string]any{"email": "nocompany@example.com", "externalId": "no-co"},
			wantStatus: 400, wantType: botpress.TypeRuntime, mention: "Planhat refused the data"},
		{name: "not found", action: "getCompany", input: map[string]any{"id": "extid-nobody"},
			wantStatus: 400, wantType: botpress.TypeRuntime, mention: "check the id"},
		{name: "unauthorized", config: s.configWith(map[string]any{"apiToken": "wrong"}), action: "getCompany", input: map[string]any{"id": companyID},
			wantStatus: 400, wantType: botpress.TypeRuntime, mention: "Settings > Private Apps"},
		{name: "forbidden", fail: 403, action: "getCompany", input: map[string]any{"id": companyID},
			wantStatus: 400, wantType: botpress.TypeRuntime, mention: "permission"},
		{name: "rate limited", fail: 429, action: "getCompany", input: map[string]any{"id": companyID},
			wantStatus: 429, wantType: botpress.TypeRateLimited, mention: "wait a minute"},
		{name: "planhat down", fail: 503, action: "getCompany", input: map[string]any{"id": companyID},
			wantStatus: 502, wantType: botpress.TypeRuntime, mention: "try again"},
		{name: "bad configuration", config: s.configWith(map[string]any{"apiUrl": "https://evil.example"}), action: "getCompany", input: map[string]any{"id": companyID},
			wantStatus: 400, wantType: botpress.TypeRuntime, mention: "not allowed"},
		{name: "bulk failure", action: "bulkUpsertEndUsers", input: map[string]any{"endUsers": []map[string]any{
			{"firstName": "no email", "externalId": "bad-1"}, {"firstName": "no email either", "externalId": "bad-2"},
		}}, wantStatus: 400, wantType: botpress.TypeRuntime, mention: "failed"},
		{name: "unexpected failure", config: s.configWith(map[string]any{"apiUrl": notJSON.URL}), action: "getCompany", input: map[string]any{"id": companyID},
			wantStatus: 500, wantType: botpress.TypeRuntime, mention: botpress.GenericErrorMessage, internal: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel: FailNext affects the shared emulator, and each
			// row reads only the log lines written during its own call.
			if tt.fail != 0 {
				s.planhat.FailNext(100, tt.fail)
				defer s.planhat.FailNext(0, 0)
			}
			cfg := tt.config
			if cfg == nil {
				cfg = s.config
			}
			logged := len(logs.String())
			resp, err := s.bp.CallAction(context.Background(), "", cfg, tt.action, tt.input)
			if err != nil {
				t.Fatal(err)
			}
			e := apiError(t, resp, tt.wantStatus, tt.wantType)
			if !strings.Contains(e.Message, tt.mention) {
				t.Errorf("message lacks %q: %s", tt.mention, e.Message)
			}
			if strings.Contains(e.Message, s.planhat.Token) {
				t.Errorf("message leaks the token")
			}
			if tt.internal {
				if e.Message != botpress.GenericErrorMessage {
					t.Errorf("message = %q, want only the generic one", e.Message)
				}
				cause := failureCause(t, logs.String()[logged:], tt.action)
				if strings.Contains(string(resp.Body), cause) || strings.Contains(string(resp.Body), "not json") {
					t.Errorf("the answer reveals the cause %q: %s", cause, resp.Body)
				}
			}
		})
	}
}

// failureCause returns the error logged for an internal failure of action:
// it must be on an error-level "action failed" line classified internal.
func failureCause(t *testing.T, logs, action string) string {
	t.Helper()
	for raw := range strings.SplitSeq(logs, "\n") {
		var l struct {
			Level, Msg, Action, Code, Error string
		}
		if json.Unmarshal([]byte(raw), &l) != nil || l.Msg != "action failed" || l.Action != action {
			continue
		}
		if l.Level != slog.LevelError.String() || l.Code != "internal" || l.Error == "" {
			t.Errorf("failure logged as level %s, code %q, error %q; want ERROR, internal and the cause", l.Level, l.Code, l.Error)
		}
		return l.Error
	}
	t.Fatalf("no \"action failed\" line for %s in the log:\n%s", action, logs)
	return ""
}

// TestBulkPartialSuccess answers 200 with the per-item errors, as Planhat
// and the upstream integration do, so the bot can act on the failed items.
func TestBulkPartialSuccess(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	out := s.output(t, "bulkUpsertEndUsers", map[string]any{"endUsers": []map[string]any{
		{"email": "ok@example.com", "companyId": s.firstID(t, "companies"), "externalId": "ok-1"},
		{"firstName": "missing company and email", "externalId": "bad-1"},
	}})
	errs, _ := out["createdErrors"].([]any)
	if out["created"] != float64(1) || len(errs) != 1 {
		t.Errorf("partial bulk = %v", out)
	}
}

// TestUpstreamTimeout answers 504 with advice when Planhat is too slow.
func TestUpstreamTimeout(t *testing.T) {
	t.Parallel()
	s := newStack(t, withTimeout(50*time.Millisecond))
	companyID := s.firstID(t, "companies")
	s.planhat.SetLatency(300 * time.Millisecond)
	resp := s.action(t, "getCompany", map[string]any{"id": companyID})
	s.planhat.SetLatency(0)
	if e := apiError(t, resp, http.StatusGatewayTimeout, botpress.TypeRuntime); !strings.Contains(e.Message, "did not answer in time") {
		t.Errorf("timeout message: %s", e.Message)
	}
}

// TestBotpressDoorSecret refuses operations without the shared secret.
func TestBotpressDoorSecret(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()
	for name, url := range map[string]string{
		"no secret":    s.url + "/botpress/planhat",
		"wrong secret": s.url + "/botpress/planhat/wrong-secret",
	} {
		resp, err := s.bp.Ping(ctx, url, s.config)
		if err != nil {
			t.Fatal(err)
		}
		if e := apiError(t, resp, http.StatusUnauthorized, botpress.TypeUnauthorized); strings.Contains(e.Message, doorSecret) {
			t.Errorf("%s: message leaks the secret", name)
		}
	}
	// The header works too.
	resp, err := s.bp.Do(ctx, s.url+"/botpress/planhat", botpressemu.CallOptions{
		Operation: botpress.OpPing, Header: http.Header{"X-Planbridge-Secret": {doorSecret}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusOK {
		t.Errorf("ping with header secret = %d %s", resp.Status, resp.Body)
	}
	// Health needs no secret.
	r, err := http.Get(s.url + "/botpress/planhat/health")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusOK {
		t.Errorf("health = %d", r.StatusCode)
	}
}

// TestBotpressDoorBadBodies sends what Botpress never should: a body over
// the limit, a form instead of JSON, a configuration header that is not
// base64(JSON). Each gets a Botpress-shaped error saying what is wrong, and
// nothing reaches Planhat.
func TestBotpressDoorBadBodies(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	before := s.planhat.Count("companies")
	notBase64 := "%%%"
	huge := []byte(`{"type":"createCompany","input":{"name":"` + strings.Repeat("x", botpress.DefaultMaxBodyBytes) + `"}}`)
	tests := []struct {
		name    string
		opts    botpressemu.CallOptions
		status  int
		typ     string
		mention string
	}{
		{name: "oversized body", opts: botpressemu.CallOptions{Operation: botpress.OpActionTriggered, Payload: huge},
			status: http.StatusRequestEntityTooLarge, typ: botpress.TypePayloadTooLarge, mention: "smaller"},
		{name: "form body", opts: botpressemu.CallOptions{Operation: botpress.OpActionTriggered,
			Payload: []byte(`type=createCompany&input=x`), Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}},
			status: http.StatusUnsupportedMediaType, typ: botpress.TypeUnsupportedMedia, mention: "application/json"},
		{name: "configuration not base64", opts: botpressemu.CallOptions{Operation: botpress.OpActionTriggered,
			Payload: map[string]any{"type": "createCompany", "input": map[string]any{"name": "Nope Inc"}}, RawConfiguration: &notBase64},
			status: http.StatusBadRequest, typ: botpress.TypeInvalidPayload, mention: "x-bp-configuration"},
		{name: "malformed JSON", opts: botpressemu.CallOptions{Operation: botpress.OpActionTriggered, Payload: []byte(`{"type":"createCompany","input":`)},
			status: http.StatusBadRequest, typ: botpress.TypeInvalidPayload, mention: "JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := s.bp.Do(t.Context(), "", tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			e := apiError(t, resp, tt.status, tt.typ)
			if !strings.Contains(e.Message, tt.mention) {
				t.Errorf("message lacks %q: %s", tt.mention, e.Message)
			}
		})
	}
	if got := s.planhat.Count("companies"); got != before {
		t.Errorf("companies = %d after refused calls, want %d", got, before)
	}
}
