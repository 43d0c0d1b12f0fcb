package cli_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/planbridge/planbridge/planhat"
)

// addFault POSTs one rule to an emulator's /_emulator/faults.
func addFault(t *testing.T, base, spec string) {
	t.Helper()
	if a := sendForHeaders(t, http.MethodPost, base+"/_emulator/faults", "application/json", spec, nil); a.Status != http.StatusCreated {
		t.Fatalf("POST /_emulator/faults %s: status %d, want 201: %s", spec, a.Status, a.Body)
	}
}

// noRedirects answers a redirect itself instead of following it.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// TestEmulatePlanhatFaults rehearses, from outside Go, what the in-process
// fault options do: a 429 storm with Retry-After, a server error the
// planhat client reports, a dropped connection, latency and a redirect,
// each on the paths it names, then cleared.
func TestEmulatePlanhatFaults(t *testing.T) {
	t.Parallel()
	cmd := startCommand(t, nil, "emulate", "planhat", "--addr", "127.0.0.1:0",
		"--token", planhatToken, "--tenant", planhatTenant, "--rate", "0", "--seed", "1")
	base := cmd.BaseURL
	auth := planhatBearer(planhatToken)

	addFault(t, base, `{"status":429,"count":2,"retryAfter":"5s","paths":["/companies"]}`)
	for i := range 2 {
		a := sendForHeaders(t, http.MethodGet, base+"/companies", "", "", auth)
		if a.Status != http.StatusTooManyRequests || a.Header.Get("Retry-After") != "5" || a.Body != "Too many requests" {
			t.Errorf("request %d under the 429 fault: %d Retry-After %q %q, want 429, 5 and Planhat's text", i+1, a.Status, a.Header.Get("Retry-After"), a.Body)
		}
	}
	if a := sendForHeaders(t, http.MethodGet, base+"/endusers", "", "", auth); a.Status != http.StatusOK {
		t.Errorf("GET /endusers, outside the fault's paths: %d, want 200: %s", a.Status, a.Body)
	}
	if a := sendForHeaders(t, http.MethodGet, base+"/companies", "", "", auth); a.Status != http.StatusOK {
		t.Errorf("GET /companies after the fault's count: %d, want 200: %s", a.Status, a.Body)
	}
	if st := planhatStats(t, base); st.ByStatus[http.StatusTooManyRequests] != 2 {
		t.Errorf("stats count %d answers 429, want the 2 injected", st.ByStatus[http.StatusTooManyRequests])
	}

	// The planhat client sees what a real outage looks like.
	client, err := planhat.NewClient(planhat.Options{Token: planhatToken, TenantToken: planhatTenant, BaseURL: base, AnalyticsURL: base,
		Retry: &planhat.RetryPolicy{MaxRetries: 0}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	addFault(t, base, `{"status":503,"paths":["/companies"]}`)
	if _, err := client.Companies().Get(ctx, planhat.ExtID("seed-company-1")); !errors.Is(err, planhat.ErrServer) {
		t.Errorf("Get under a 503 fault: %v, want planhat.ErrServer", err)
	}
	if a := sendForHeaders(t, http.MethodGet, base+"/_emulator/faults", "", "", nil); !strings.Contains(a.Body, `"status":503`) || !strings.Contains(a.Body, `"hits":1`) {
		t.Errorf("GET /_emulator/faults: %d %s, want the 503 rule with one hit", a.Status, a.Body)
	}
	if a := sendForHeaders(t, http.MethodDelete, base+"/_emulator/faults", "", "", nil); a.Status != http.StatusOK || strings.TrimSpace(a.Body) != `{"cleared":1}` {
		t.Errorf("DELETE /_emulator/faults: %d %s, want 200 {\"cleared\":1}", a.Status, a.Body)
	}
	if _, err := client.Companies().Get(ctx, planhat.ExtID("seed-company-1")); err != nil {
		t.Errorf("Get after clearing: %v", err)
	}

	// A POST, because net/http itself resends an idempotent request whose
	// reused connection closed before any answer.
	addFault(t, base, `{"drop":true,"count":1}`)
	if _, err := client.Companies().Create(ctx, planhat.Company{Name: "Dropped"}); err == nil || errors.As(err, new(*planhat.APIError)) {
		t.Errorf("Create over a dropped connection: %v, want a transport error", err)
	}

	addFault(t, base, `{"latency":"300ms","count":1,"paths":["/analytics"]}`)
	start := time.Now()
	if err := client.Track(ctx, planhat.Activity{Email: "a@b.example", Action: "Logged in"}); err != nil {
		t.Errorf("Track under latency: %v", err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("Track took %s under a 300ms latency fault", d)
	}

	addFault(t, base, `{"redirect":"http://127.0.0.1:9/moved","count":1}`)
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, base+"/companies", nil)
	req.Header = auth
	res, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "http://127.0.0.1:9/moved" {
		t.Errorf("redirect fault: %d Location %q, want 302 to http://127.0.0.1:9/moved", res.StatusCode, res.Header.Get("Location"))
	}

	// Reset clears faults too.
	addFault(t, base, `{"status":500}`)
	if a := sendForHeaders(t, http.MethodPost, base+"/_emulator/reset", "", "", nil); a.Status != http.StatusOK {
		t.Fatalf("POST /_emulator/reset: %d %s", a.Status, a.Body)
	}
	if a := sendForHeaders(t, http.MethodGet, base+"/_emulator/faults", "", "", nil); strings.TrimSpace(a.Body) != `{"faults":[]}` {
		t.Errorf("faults after reset: %s, want none", a.Body)
	}
	if a := sendForHeaders(t, http.MethodPost, base+"/_emulator/faults", "application/json", `{"status":429,"count":-3}`, nil); a.Status != http.StatusBadRequest || !strings.Contains(a.Body, "negative") {
		t.Errorf("negative count: %d %s, want 400 explaining it", a.Status, a.Body)
	}
	cmd.stopOK(t)
}

// TestEmulatePlanfixFaults injects faults into /webchat/api over HTTP: an
// HTML 502 from a proxy, a redirect to another host, then a clean answer.
func TestEmulatePlanfixFaults(t *testing.T) {
	t.Parallel()
	const token, providerID = "pf-fault-token", "fault-bot"
	cmd := startCommand(t, nil, "emulate", "planfix", "--addr", "127.0.0.1:0", "--planfix-token", token, "--provider-id", providerID)
	api := cmd.BaseURL + "/webchat/api"
	msg := planfixMessage(token, providerID, "chat-f", "Hello")

	addFault(t, cmd.BaseURL, `{"status":502,"count":1,"retryAfter":"2s","paths":["/webchat/api"]}`)
	a := sendForHeaders(t, http.MethodPost, api, formType, msg, nil)
	if a.Status != http.StatusBadGateway || a.Header.Get("Retry-After") != "2" || !strings.Contains(a.Header.Get("Content-Type"), "text/html") {
		t.Errorf("under the 502 fault: %d Retry-After %q %q, want an HTML 502 with Retry-After 2", a.Status, a.Header.Get("Retry-After"), a.Header.Get("Content-Type"))
	}
	if tasks := planfixTasks(t, cmd.BaseURL); len(tasks) != 0 {
		t.Errorf("a failed call created tasks: %+v", tasks)
	}

	addFault(t, cmd.BaseURL, `{"redirect":"https://acme.planfix.example/webchat/api","redirectStatus":308}`)
	res, err := noRedirects.Post(api, formType, strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusPermanentRedirect || res.Header.Get("Location") != "https://acme.planfix.example/webchat/api" {
		t.Errorf("redirect fault: %d Location %q, want 308 to the new host", res.StatusCode, res.Header.Get("Location"))
	}
	if a := sendForHeaders(t, http.MethodDelete, cmd.BaseURL+"/_emulator/faults", "", "", nil); strings.TrimSpace(a.Body) != `{"cleared":1}` {
		t.Errorf("DELETE /_emulator/faults: %d %s", a.Status, a.Body)
	}
	if status, body := send(t, http.MethodPost, api, formType, msg, nil); status != http.StatusOK {
		t.Errorf("after clearing: %d %s, want 200", status, body)
	}
	if tasks := planfixTasks(t, cmd.BaseURL); len(tasks) != 1 {
		t.Errorf("after clearing: %d tasks, want 1", len(tasks))
	}
	cmd.stopOK(t)
}

// TestEmulateFaultsHelp checks both emulators' --help document the fault
// control API, since scripts outside Go have nothing else to read.
func TestEmulateFaultsHelp(t *testing.T) {
	t.Parallel()
	for _, emulator := range []string{"planhat", "planfix"} {
		code, stdout, stderr := runUntilExit(t, nil, "", "emulate", emulator, "--help")
		if code != 0 {
			t.Errorf("emulate %s --help: exit code %d\nstderr:\n%s", emulator, code, stderr)
		}
		for _, want := range []string{"POST /_emulator/faults", "GET /_emulator/faults", "DELETE /_emulator/faults", `"retryAfter"`, `"drop"`, `"redirect"`, `"latency"`, `"paths"`, `"count"`} {
			if !strings.Contains(stdout, want) {
				t.Errorf("emulate %s --help lacks %s:\n%s", emulator, want, stdout)
			}
		}
	}
}
