package cli_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/planbridge/planbridge/planhat/planhatemu"
)

const (
	planhatToken    = "ph-secret-8c1e4b"
	planhatTenant   = "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
	planhatJSONType = "application/json"
)

func planhatBearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

// planhatBasic is Planhat's Basic form: the token as user, an empty password.
func planhatBasic(userColonPassword string) http.Header {
	return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(userColonPassword))}}
}

// companyKey is the part of a company that WithSeed fixes.
type companyKey struct {
	ID         string `json:"_id"`
	ExternalID string `json:"externalId"`
	SourceID   string `json:"sourceId"`
}

func decodePlanhatList[T any](t *testing.T, what string, a answer) []T {
	t.Helper()
	if a.Status != http.StatusOK {
		t.Fatalf("%s: status %d, want 200: %s", what, a.Status, a.Body)
	}
	var out []T
	if err := json.Unmarshal([]byte(a.Body), &out); err != nil {
		t.Fatalf("%s: %v: %s", what, err, a.Body)
	}
	return out
}

// companyKeys lists the externalId and sourceId of each company.
func companyKeys(cs []companyKey) [][2]string {
	out := [][2]string{}
	for _, c := range cs {
		out = append(out, [2]string{c.ExternalID, c.SourceID})
	}
	return out
}

var seededPlanhatCompanies = [][2]string{
	{"seed-company-1", "crm-000001"},
	{"seed-company-2", "crm-000002"},
	{"seed-company-3", "crm-000003"},
}

func planhatStats(t *testing.T, base string) planhatemu.Stats {
	t.Helper()
	a := sendForHeaders(t, http.MethodGet, base+"/_emulator/stats", "", "", nil)
	if a.Status != http.StatusOK {
		t.Fatalf("GET /_emulator/stats: status %d: %s", a.Status, a.Body)
	}
	var st planhatemu.Stats
	if err := json.Unmarshal([]byte(a.Body), &st); err != nil {
		t.Fatalf("GET /_emulator/stats: %v: %s", err, a.Body)
	}
	return st
}

// checkRateHeaders compares the quota headers of an answer.
func checkRateHeaders(t *testing.T, what string, a answer, limit, remaining int) {
	t.Helper()
	got := [2]string{a.Header.Get("X-Rate-Limit-Limit"), a.Header.Get("X-Rate-Limit-Remaining")}
	want := [2]string{strconv.Itoa(limit), strconv.Itoa(remaining)}
	if got != want {
		t.Errorf("%s: X-Rate-Limit-Limit/Remaining = %q, want %q", what, got, want)
	}
}

// TestEmulatePlanhat drives the standalone Planhat emulator the way a
// client and a demo script do: authenticated reads in both credential
// forms, refused credentials, analytics without a token, the rate limit,
// the stats and reset control routes, and a clean stop.
func TestEmulatePlanhat(t *testing.T) {
	t.Parallel()
	cmd := startCommand(t, nil, "--log-level=debug", "emulate", "planhat", "--addr", "127.0.0.1:0",
		"--token", planhatToken, "--tenant", planhatTenant, "--rate", "5/60s", "--seed", "3")
	base := cmd.BaseURL
	for _, want := range []string{"Tenant:         " + planhatTenant, "Rate limit:     5 requests per 1m0s", "Seeded:         3 companies"} {
		if !strings.Contains(cmd.Stdout.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, cmd.Stdout)
		}
	}

	// Request 1 and 2 of the window of 5.
	byBearer := sendForHeaders(t, http.MethodGet, base+"/companies", "", "", planhatBearer(planhatToken))
	companies := decodePlanhatList[companyKey](t, "GET /companies with Bearer", byBearer)
	if diff := cmp.Diff(seededPlanhatCompanies, companyKeys(companies)); diff != "" {
		t.Errorf("seeded companies (-want +got):\n%s", diff)
	}
	checkRateHeaders(t, "first request", byBearer, 5, 4)
	byBasic := sendForHeaders(t, http.MethodGet, base+"/companies", "", "", planhatBasic(planhatToken+":"))
	if byBasic.Status != http.StatusOK || byBasic.Body != byBearer.Body {
		t.Errorf("GET /companies with Basic base64(token:): status %d, body differs from Bearer: %t\n%s",
			byBasic.Status, byBasic.Body != byBearer.Body, byBasic.Body)
	}
	checkRateHeaders(t, "second request", byBasic, 5, 3)

	// Refused credentials do not count against the quota.
	refused := []struct {
		name   string
		path   string
		header http.Header
	}{
		{"wrong bearer on a known path", "/companies", planhatBearer("not-" + planhatToken)},
		{"no token on a known path", "/companies", nil},
		{"basic without the trailing colon", "/companies", planhatBasic(planhatToken)},
		{"wrong bearer on an unknown path", "/no-such-model", planhatBearer("not-" + planhatToken)},
		{"no token on an unknown path", "/no-such-model", nil},
	}
	for _, tc := range refused {
		a := sendForHeaders(t, http.MethodGet, base+tc.path, "", "", tc.header)
		if a.Status != http.StatusUnauthorized || a.Body != "Unauthorized" {
			t.Errorf("%s: %d %q, want 401 \"Unauthorized\"", tc.name, a.Status, a.Body)
		}
	}

	// The analytics host needs no token and is not rate limited.
	event := `{"externalId":"analytics-user-1","companyExternalId":"seed-company-1","email":"ann@example.com","action":"Logged in"}`
	if a := sendForHeaders(t, http.MethodPost, base+"/analytics/"+planhatTenant, planhatJSONType, event, nil); a.Status != http.StatusOK || a.Body != "{}" {
		t.Errorf("POST /analytics/{tenant} without a token: %d %q, want 200 {}", a.Status, a.Body)
	}
	if a := sendForHeaders(t, http.MethodPost, base+"/analytics/00000000-0000-4000-8000-000000000000", planhatJSONType, event, nil); a.Status != http.StatusNotFound {
		t.Errorf("POST /analytics/{unknown tenant}: %d %q, want 404", a.Status, a.Body)
	}

	// Requests 3 to 5: the event created its end user; a company is added.
	type enduser struct {
		ExternalID string `json:"externalId"`
		CompanyID  string `json:"companyId"`
	}
	eus := decodePlanhatList[enduser](t, "GET /endusers after the event",
		sendForHeaders(t, http.MethodGet, base+"/endusers?externalId=analytics-user-1", "", "", planhatBearer(planhatToken)))
	if diff := cmp.Diff([]enduser{{ExternalID: "analytics-user-1", CompanyID: companies[0].ID}}, eus); diff != "" {
		t.Errorf("end user created by the analytics event (-want +got):\n%s", diff)
	}
	if a := sendForHeaders(t, http.MethodPost, base+"/companies", planhatJSONType, `{"name":"Temp Co","externalId":"temp-1"}`, planhatBearer(planhatToken)); a.Status != http.StatusOK {
		t.Errorf("POST /companies: status %d, want 200: %s", a.Status, a.Body)
	}
	fifth := sendForHeaders(t, http.MethodGet, base+"/companies", "", "", planhatBearer(planhatToken))
	withTemp := append(append([][2]string{}, seededPlanhatCompanies...), [2]string{"temp-1", ""})
	if diff := cmp.Diff(withTemp, companyKeys(decodePlanhatList[companyKey](t, "fifth request", fifth))); diff != "" {
		t.Errorf("companies after POST (-want +got):\n%s", diff)
	}
	checkRateHeaders(t, "fifth request", fifth, 5, 0)

	// Past the window, whatever the route.
	for _, path := range []string{"/companies", "/myprofile"} {
		a := sendForHeaders(t, http.MethodGet, base+path, "", "", planhatBearer(planhatToken))
		if a.Status != http.StatusTooManyRequests || a.Body != "Too many requests" {
			t.Errorf("GET %s past the quota: %d %q, want 429 \"Too many requests\"", path, a.Status, a.Body)
		}
		checkRateHeaders(t, "GET "+path+" past the quota", a, 5, 0)
		if ra := a.Header.Get("Retry-After"); ra != "" {
			t.Errorf("GET %s past the quota: Retry-After %q without --switch retry-after", path, ra)
		}
	}

	wantStats := planhatemu.Stats{
		Total: 14,
		ByRoute: map[string]int{"GET /companies": 7, "GET (unmatched)": 2, "POST /analytics/{tenant}": 2,
			"GET /endusers": 1, "POST /companies": 1, "GET /myprofile": 1},
		ByMethod:    map[string]int{"GET": 11, "POST": 3},
		ByStatus:    map[int]int{200: 6, 401: 5, 404: 1, 429: 2},
		RateLimited: 2,
	}
	if diff := cmp.Diff(wantStats, planhatStats(t, base)); diff != "" {
		t.Errorf("GET /_emulator/stats (-want +got):\n%s", diff)
	}

	// Reset: fresh stats, a fresh window, the seed back without Temp Co
	// and without the end user the event created; the token still works.
	if a := sendForHeaders(t, http.MethodPost, base+"/_emulator/reset", "", "", nil); a.Status != http.StatusOK || a.Body != `{"ok":true}` {
		t.Fatalf("POST /_emulator/reset: %d %q, want 200 {\"ok\":true}", a.Status, a.Body)
	}
	empty := planhatemu.Stats{ByRoute: map[string]int{}, ByMethod: map[string]int{}, ByStatus: map[int]int{}}
	if diff := cmp.Diff(empty, planhatStats(t, base)); diff != "" {
		t.Errorf("stats after reset (-want +got):\n%s", diff)
	}
	afterReset := sendForHeaders(t, http.MethodGet, base+"/companies", "", "", planhatBearer(planhatToken))
	if diff := cmp.Diff(companies, decodePlanhatList[companyKey](t, "GET /companies after reset", afterReset)); diff != "" {
		t.Errorf("companies after reset, want the same seed (-want +got):\n%s", diff)
	}
	checkRateHeaders(t, "first request after reset", afterReset, 5, 4)
	eus = decodePlanhatList[enduser](t, "GET /endusers after reset",
		sendForHeaders(t, http.MethodGet, base+"/endusers?externalId=analytics-user-1", "", "", planhatBearer(planhatToken)))
	if len(eus) != 0 {
		t.Errorf("end users after reset = %+v, want none", eus)
	}
	if got := planhatStats(t, base); got.Total != 2 || got.ByStatus[200] != 2 {
		t.Errorf("stats after reset and two reads = %+v, want total 2, all 200", got)
	}

	cmd.stopOK(t)
	if out := cmd.Stdout.String(); !strings.HasSuffix(out, "Planhat emulator stopped\n") {
		t.Errorf("stdout does not end with the stop line:\n%s", out)
	}
	if !strings.Contains(cmd.Stderr.String(), "planhat emulator") {
		t.Errorf("--log-level=debug logged no request lines:\n%s", cmd.Stderr)
	}
	// The banner shows the token on purpose; the request log must not.
	assertNoSecrets(t, []string{planhatToken, "not-" + planhatToken}, cmd.Stderr.String())
}

// TestEmulatePlanhatSwitches checks --switch reaches the emulator
// (repeatable) by the answers it changes: Retry-After on 429 and plain-text
// error bodies.
func TestEmulatePlanhatSwitches(t *testing.T) {
	t.Parallel()
	const notFoundText = "Cannot GET /no-such-model: no such route on the Planhat API"
	notFoundJSON, _ := json.Marshal(map[string]string{"error": notFoundText})
	tests := []struct {
		name           string
		switches       []string
		wantRetryAfter bool
		wantNotFound   string
	}{
		{name: "defaults", wantNotFound: string(notFoundJSON)},
		{name: "retry-after", switches: []string{"--switch", "retry-after"}, wantRetryAfter: true, wantNotFound: string(notFoundJSON)},
		{name: "string-errors", switches: []string{"--switch", "string-errors"}, wantNotFound: notFoundText},
		{name: "both, case and spaces ignored", switches: []string{"--switch", " Retry-After", "--switch", "string-errors=on"},
			wantRetryAfter: true, wantNotFound: notFoundText},
		{name: "turned off explicitly", switches: []string{"--switch", "retry-after=false"}, wantNotFound: string(notFoundJSON)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"emulate", "planhat", "--addr", "127.0.0.1:0", "--token", planhatToken, "--rate", "1/60s"}, tc.switches...)
			cmd := startCommand(t, nil, args...)

			nf := sendForHeaders(t, http.MethodGet, cmd.BaseURL+"/no-such-model", "", "", planhatBearer(planhatToken))
			if nf.Status != http.StatusNotFound || nf.Body != tc.wantNotFound {
				t.Errorf("GET /no-such-model: %d %q, want 404 %q", nf.Status, nf.Body, tc.wantNotFound)
			}
			limited := sendForHeaders(t, http.MethodGet, cmd.BaseURL+"/companies", "", "", planhatBearer(planhatToken))
			if limited.Status != http.StatusTooManyRequests {
				t.Fatalf("second request of a 1/60s window: status %d, want 429: %s", limited.Status, limited.Body)
			}
			ra := limited.Header.Get("Retry-After")
			if !tc.wantRetryAfter {
				if ra != "" {
					t.Errorf("Retry-After = %q, want none", ra)
				}
			} else if secs, err := strconv.Atoi(ra); err != nil || secs < 1 || secs > 60 {
				t.Errorf("Retry-After = %q, want whole seconds in 1..60 (the rest of the window)", ra)
			}
			cmd.stopOK(t)
		})
	}
}

// TestEmulatePlanhatFlagErrors checks bad flags fail before listening,
// with a message that says what is wrong and what to write instead, and
// without echoing the token.
func TestEmulatePlanhatFlagErrors(t *testing.T) {
	t.Parallel()
	args := func(extra ...string) []string {
		return append([]string{"emulate", "planhat", "--addr", "127.0.0.1:0", "--token", planhatToken}, extra...)
	}
	unknownSwitch := []string{`invalid --switch: unknown emulator switch "no-such-switch": choose one of`}
	unknownSwitch = append(unknownSwitch, planhatemu.SwitchNames()...)
	occupied := occupiedAddress(t)
	checkFlagErrors(t, []string{planhatToken}, []flagErrorCase{
		{name: "unknown switch lists the valid ones", args: args("--switch", "no-such-switch"), wantCode: 1, wantStderr: unknownSwitch},
		{name: "switch value not a boolean", args: args("--switch", "retry-after=maybe"), wantCode: 1,
			wantStderr: []string{`invalid --switch`, `"maybe" for retry-after: use true or false`}},
		{name: "rate not N/period", args: args("--rate", "abc"), wantCode: 1,
			wantStderr: []string{`invalid --rate "abc": write N/period, e.g. 200/60s`}},
		{name: "rate with a zero period", args: args("--rate", "0/0s"), wantCode: 1,
			wantStderr: []string{`invalid --rate "0/0s": the period must be a positive duration such as 60s or 1m`}},
		{name: "rate with a bad period", args: args("--rate", "5/soon"), wantCode: 1,
			wantStderr: []string{`invalid --rate "5/soon": the period must be a positive duration`}},
		{name: "negative rate", args: args("--rate=-1/60s"), wantCode: 1,
			wantStderr: []string{`invalid --rate "-1/60s": write N/period`}},
		{name: "address without a port", args: append(args(), "--addr", "127.0.0.1"), wantCode: 1,
			wantStderr: []string{"cannot listen on 127.0.0.1:", "pick another --addr"}},
		{name: "address in use", args: append(args(), "--addr", occupied), wantCode: 1,
			wantStderr: []string{"cannot listen on " + occupied, "pick another --addr, or stop whatever uses that port"}},
		{name: "seed not a number", args: args("--seed", "many"), wantCode: 2, wantStderr: []string{"--seed"}},
		{name: "negative seed", args: args("--seed=-1"), wantCode: 1,
			wantStderr: []string{`invalid --seed -1: give the number of companies to create (0 for none)`}},
		{name: "tenant truncated", args: args("--tenant", "199627f7-0d65-52cd-89b9-45b5ff561be"), wantCode: 1,
			wantStderr: []string{`invalid --tenant "199627f7-0d65-52cd-89b9-45b5ff561be": give a tenant token as Planhat shows it, 8-4-4-4-12 letters and digits`, "leave --tenant out"}},
		{name: "tenant an unexpanded variable", args: args("--tenant", "$PLANHAT_TENANT"), wantCode: 1,
			wantStderr: []string{`invalid --tenant "$PLANHAT_TENANT"`}},
		{name: "tenant with a slash", args: args("--tenant", "199627f7-0d65-52cd-89b9-45b5ff56/bem"), wantCode: 1,
			wantStderr: []string{`invalid --tenant`}},
		{name: "blank token", args: args("--token", " "), wantCode: 1,
			wantStderr: []string{"invalid --token: a token must be non-empty", "leave --token out to have one generated"}},
		{name: "token with a line break", args: args("--token", "abc\ndef"), wantCode: 1,
			wantStderr: []string{"invalid --token: a token must be non-empty and free of spaces and control characters"}},
	})
}

// TestEmulatePlanhatUnauthorizedEverywhere checks the standalone emulator answers 401
// "Unauthorized" to a missing or wrong token on every path and method, known or not
// (Planhat's API host is auth-gated before routing), writes nothing on refused writes, and
// accounts for every refusal in /_emulator/stats, which itself needs no token.
func TestEmulatePlanhatUnauthorizedEverywhere(t *testing.T) {
	t.Parallel()
	cmd := startCommand(t, nil, "emulate", "planhat", "--addr", "127.0.0.1:0", "--token", planhatToken, "--tenant", planhatTenant, "--seed", "2")
	base := cmd.BaseURL
	credentials := []struct {
		name   string
		header http.Header
	}{
		{"no token", nil},
		{"wrong bearer", planhatBearer("not-" + planhatToken)},
		{"basic without the trailing colon", planhatBasic(planhatToken)},
		{"empty bearer", http.Header{"Authorization": {"Bearer "}}},
	}
	requests := []struct{ method, path, body string }{
		{http.MethodGet, "/companies", ""},
		{http.MethodPost, "/companies", `{"name":"Intruder"}`},
		{http.MethodPut, "/companies", `[{"name":"Intruder"}]`},
		{http.MethodPut, "/companies/extid-seed-company-1", `{"name":"Renamed"}`},
		{http.MethodDelete, "/companies/extid-seed-company-1", ""},
		{http.MethodPatch, "/endusers", `{}`},
		{http.MethodGet, "/", ""},
		{http.MethodGet, "/no-such-model", ""},
		{http.MethodPost, "/no-such-model", `{}`},
		{http.MethodDelete, "/a/b/c/d", ""},
		{http.MethodGet, "/_emulator/reset", ""},            // control route, wrong method
		{http.MethodGet, "/analytics/" + planhatTenant, ""}, // analytics route, wrong method
	}
	n := 0
	for _, cred := range credentials {
		for _, rq := range requests {
			ct := ""
			if rq.body != "" {
				ct = planhatJSONType
			}
			a := sendForHeaders(t, rq.method, base+rq.path, ct, rq.body, cred.header)
			n++
			if a.Status != http.StatusUnauthorized || a.Body != "Unauthorized" {
				t.Errorf("%s %s with %s: %d %q, want 401 \"Unauthorized\"", rq.method, rq.path, cred.name, a.Status, a.Body)
			}
		}
	}
	st := planhatStats(t, base)
	if st.Total != n || st.ByStatus[http.StatusUnauthorized] != n || st.RateLimited != 0 {
		t.Errorf("stats = %+v, want %d requests, all 401", st, n)
	}
	// The refused writes changed nothing.
	companies := decodePlanhatList[companyKey](t, "GET /companies", sendForHeaders(t, http.MethodGet, base+"/companies", "", "", planhatBearer(planhatToken)))
	if diff := cmp.Diff(seededPlanhatCompanies[:2], companyKeys(companies)); diff != "" {
		t.Errorf("companies after refused writes (-want +got):\n%s", diff)
	}
}

// TestEmulatePlanhatDefaults checks the documented defaults of `emulate planhat`: without
// --rate the main host allows 200 requests a minute, like Planhat, and says so in the
// banner and in the quota headers; --help shows the default address 127.0.0.1:9100 that
// scripts and the docs point clients at.
func TestEmulatePlanhatDefaults(t *testing.T) {
	t.Parallel()
	t.Run("rate", func(t *testing.T) {
		t.Parallel()
		cmd := startCommand(t, nil, "emulate", "planhat", "--addr", "127.0.0.1:0", "--token", planhatToken)
		if want := "Rate limit:     200 requests per 1m0s\n"; !strings.Contains(cmd.Stdout.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, cmd.Stdout)
		}
		a := sendForHeaders(t, http.MethodGet, cmd.BaseURL+"/companies", "", "", planhatBearer(planhatToken))
		if a.Status != http.StatusOK {
			t.Fatalf("GET /companies: status %d, want 200: %s", a.Status, a.Body)
		}
		checkRateHeaders(t, "first request without --rate", a, 200, 199)
		cmd.stopOK(t)
	})
	t.Run("address in --help", func(t *testing.T) {
		t.Parallel()
		code, stdout, stderr := runUntilExit(t, nil, "", "emulate", "planhat", "--help")
		if code != 0 {
			t.Errorf("--help exit code = %d, want 0\nstderr:\n%s", code, stderr)
		}
		for _, want := range []string{`--addr="127.0.0.1:9100"`, `--rate="200/60s"`} {
			if !strings.Contains(stdout, want) {
				t.Errorf("--help output lacks %q:\n%s", want, stdout)
			}
		}
	})
}

// TestEmulatePlanhatDocsTenant starts the emulator with the sample tenant
// of Planhat's API docs, which is not hex ("…561bem"), and checks the
// analytics host answers for it and refuses any other tenant.
func TestEmulatePlanhatDocsTenant(t *testing.T) {
	t.Parallel()
	tests := []string{"199627f7-0d65-52cd-89b9-45b5ff561bem", "ABCDEFGH-0d65-52cd-89b9-45B5FF561BEM"}
	for _, tenant := range tests {
		t.Run(tenant, func(t *testing.T) {
			t.Parallel()
			cmd := startCommand(t, nil, "emulate", "planhat", "--addr", "127.0.0.1:0", "--token", planhatToken, "--tenant", tenant)
			if want := "Tenant:         " + tenant + "\n"; !strings.Contains(cmd.Stdout.String(), want) {
				t.Errorf("banner lacks %q:\n%s", want, cmd.Stdout)
			}
			event := `{"email":"a@b.example","action":"Logged in"}`
			if status, body := send(t, http.MethodPost, cmd.BaseURL+"/analytics/"+tenant, planhatJSONType, event, nil); status != http.StatusOK {
				t.Errorf("POST /analytics/%s: status %d, want 200: %s", tenant, status, body)
			}
			if status, body := send(t, http.MethodPost, cmd.BaseURL+"/analytics/"+planhatTenant, planhatJSONType, event, nil); status != http.StatusNotFound {
				t.Errorf("POST /analytics for another tenant: status %d, want 404: %s", status, body)
			}
			cmd.stopOK(t)
		})
	}
}
