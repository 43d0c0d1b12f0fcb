package cli_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/planbridge/planbridge/internal/closedport"
)

// sandboxKey is the REST API key a sandbox banner shows.
var sandboxKey = regexp.MustCompile(`pbk_sandbox_[0-9a-f]+`)

// startSandboxServe runs a sandbox serve and returns its URL and API key.
func startSandboxServe(t *testing.T) (base, key string) {
	t.Helper()
	base, banner := startServe(t, map[string]string{})
	key = sandboxKey.FindString(banner)
	if key == "" {
		t.Fatalf("banner shows no API key:\n%s", banner)
	}
	return base, key
}

// closedAddress is a loopback URL nothing listens on.
func closedAddress(t *testing.T) string {
	t.Helper()
	return "http://" + closedport.Addr(t)
}

// TestCallServerKeepsRecords is the point of --server: a record created by
// one call is there for the next, because both reach the same server.
func TestCallServerKeepsRecords(t *testing.T) {
	t.Parallel()
	base, key := startSandboxServe(t)
	code, stdout, stderr := runUntilExit(t, nil, "", "call", "--server", base, "--api-key", key,
		"createCompany", "--input", `{"name": "Remote Acme", "externalId": "remote-acme-1"}`)
	if code != 0 || !strings.Contains(stdout, `"Remote Acme"`) {
		t.Fatalf("createCompany: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if strings.Contains(stderr, "sandbox mode") {
		t.Errorf("a --server call started its own sandbox:\n%s", stderr)
	}
	// The second call finds the server through the environment, as after
	// pasting the banner's export line.
	env := map[string]string{"PLANBRIDGE_SERVER": base, "PLANBRIDGE_API_KEY": key}
	code, stdout, stderr = runUntilExit(t, env, "", "call", "getCompany", "--input", `{"id": "extid-remote-acme-1"}`)
	if code != 0 || !strings.Contains(stdout, `"Remote Acme"`) {
		t.Fatalf("getCompany: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	assertNoSecrets(t, []string{key}, stdout, stderr)
}

// TestCallServerErrors checks each class of failure reaches stderr as an
// instructive message with its exit status, and never shows the key.
func TestCallServerErrors(t *testing.T) {
	t.Parallel()
	base, key := startSandboxServe(t)
	planfixOnly, _ := startServe(t, map[string]string{"PLANFIX_URL": "https://example.planfix.com", "PLANFIX_TOKEN": "pf-token-secret-1", "PLANFIX_PROVIDER_ID": "planbridge", "PLANFIX_CHAT_TOKEN": "chat-token-secret-0123456789", "PLANBRIDGE_API_KEYS": "pf-key-123"})
	nonPlanbridge := startRecorder(t, http.StatusBadGateway, "text/html", "<html>bad gateway</html>")
	withKey := func(server string, args ...string) []string {
		return append([]string{"call", "--server", server, "--api-key", key}, args...)
	}
	checkFlagErrors(t, []string{key, "pf-key-123"}, []flagErrorCase{
		{name: "wrong key", args: []string{"call", "--server", base, "--api-key", "wrong-key", "listCompanies"},
			wantCode: 4, wantStderr: []string{"(unauthenticated, request ", "Check --api-key (PLANBRIDGE_API_KEY)"}},
		{name: "no key", env: map[string]string{"PLANBRIDGE_SERVER": base}, args: []string{"call", "listCompanies"},
			wantCode: 4, wantStderr: []string{"needs an API key: set PLANBRIDGE_API_KEY"}},
		{name: "unknown action", args: withKey(base, "getCompanny"),
			wantCode: 1, wantStderr: []string{`"getCompany"`, "(unknown_action, request ", "Run 'planbridge actions --server " + base + "'"}},
		{name: "invalid input", args: withKey(base, "getCompany", "--input", `{"id": "not an id"}`),
			wantCode: 1, wantStderr: []string{"(invalid_input, request "}},
		{name: "not found", args: withKey(base, "getCompany", "--input", `{"id": "extid-nobody"}`),
			wantCode: 1, wantStderr: []string{"(not_found, request "}},
		{name: "input not JSON", args: withKey(base, "getCompany", "--input", `id=1`),
			wantCode: 1, wantStderr: []string{"one JSON object"}},
		{name: "server URL with /v1", args: withKey(base+"/v1", "listCompanies"),
			wantCode: 1, wantStderr: []string{"route_not_found", "without /v1"}},
		{name: "server URL without scheme", args: withKey(strings.TrimPrefix(base, "http://"), "listCompanies"),
			wantCode: 2, wantStderr: []string{"--server (PLANBRIDGE_SERVER) must be the base URL"}},
		{name: "server down", args: withKey(closedAddress(t), "listCompanies"),
			wantCode: 3, wantStderr: []string{"Cannot reach the planbridge server at http://127.0.0.1:", "(upstream_error, retryable)"}},
		{name: "server without Planhat", args: []string{"call", "--server", planfixOnly, "--api-key", "pf-key-123", "listCompanies"},
			wantCode: 4, wantStderr: []string{"PLANHAT_TOKEN", "(not_configured, request "}},
		{name: "not a planbridge server", args: withKey(nonPlanbridge.URL, "listCompanies"),
			wantCode: 3, wantStderr: []string{"answered HTTP 502 without planbridge's error shape", "retryable"}},
	})
}

// TestCallServerRequest checks what call sends: the action's REST route,
// the key as a bearer token, the input as JSON; and that it prints the
// answer as received, indented unless --no-pretty.
func TestCallServerRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		server     string // appended to the recorder's URL
		args       []string
		wantStdout string
	}{
		{"pretty", "", []string{"listCompanies", "--input", `{"limit": 2}`}, "{\n  \"companies\": []\n}\n"},
		{"compact, trailing slash", "/", []string{"listCompanies", "--input", `{"limit": 2}`, "--no-pretty"}, `{"companies":[]}` + "\n"},
		{"behind a path prefix", "/planbridge", []string{"listCompanies", "--input", `{"limit": 2}`, "--no-pretty"}, `{"companies":[]}` + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := startRecorder(t, http.StatusOK, "application/json", `{"companies":[]}`)
			env := map[string]string{"PLANBRIDGE_SERVER": rec.URL + tc.server, "PLANBRIDGE_API_KEY": "k-123"}
			code, stdout, stderr := runUntilExit(t, env, "", append([]string{"call"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d\nstderr:\n%s", code, stderr)
			}
			if diff := cmp.Diff(tc.wantStdout, stdout); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			reqs := rec.Requests()
			if len(reqs) != 1 {
				t.Fatalf("server got %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			wantPath := strings.TrimSuffix(tc.server, "/") + "/v1/actions/listCompanies"
			if r.Method != http.MethodPost || r.Path != wantPath {
				t.Errorf("request = %s %s, want POST %s", r.Method, r.Path, wantPath)
			}
			if got := r.Header.Get("Authorization"); got != "Bearer k-123" {
				t.Errorf("Authorization = %q", got)
			}
			if got := r.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q", got)
			}
			var in map[string]any
			if err := json.Unmarshal(r.Body, &in); err != nil || in["limit"] != 2.0 {
				t.Errorf("body = %s (%v)", r.Body, err)
			}
		})
	}
}
