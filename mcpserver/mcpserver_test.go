package mcpserver_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/httpapi"
	"github.com/planbridge/planbridge/mcpserver"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/planhat/planhatemu"
	"github.com/planbridge/planbridge/planhat/planhattest"
)

const testKey = "test-key-0123456789"

// newDeps starts an emulator and a Planhat client without pacing or retries.
func newDeps(t *testing.T) actions.Deps {
	t.Helper()
	emu := planhattest.NewServer(t, planhatemu.WithSeed(3), planhatemu.WithRateLimit(0, 0))
	client, err := planhat.NewClient(planhat.Options{
		Token: emu.Token, BaseURL: emu.URL, AnalyticsURL: emu.AnalyticsURL, TenantToken: emu.Tenant,
		RateLimit: &planhat.RateLimit{Unlimited: true}, Retry: &planhat.RetryPolicy{MaxRetries: 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	return actions.Deps{Planhat: client}
}

func registry(t *testing.T) *actions.Registry {
	t.Helper()
	reg, err := actions.PlanhatRegistry()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// connectMemory serves opts over the SDK's in-memory transport, the same
// code path as stdio without a process.
func connectMemory(t *testing.T, opts mcpserver.Options) *mcp.ClientSession {
	t.Helper()
	s, err := mcpserver.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ct, st := mcp.NewInMemoryTransports()
	ctx := context.Background()
	ss, err := s.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	return connect(t, ct)
}

func connect(t *testing.T, tr mcp.Transport) *mcp.ClientSession {
	t.Helper()
	c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	cs, err := c.Connect(context.Background(), tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// connectHTTP serves opts on /mcp of an httpapi server behind testKey.
func connectHTTP(t *testing.T, opts mcpserver.Options) (*mcp.ClientSession, string) {
	t.Helper()
	door, err := mcpserver.HTTPDoor(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := httpapi.New(httpapi.Config{APIKeys: httpapi.ParseAPIKeys(testKey), Doors: []httpapi.Door{door}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	tr := &mcp.StreamableClientTransport{
		Endpoint:             hs.URL + mcpserver.Path,
		HTTPClient:           &http.Client{Transport: bearer{testKey}},
		DisableStandaloneSSE: true,
		MaxRetries:           -1,
	}
	return connect(t, tr), hs.URL
}

type bearer struct{ key string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return http.DefaultTransport.RoundTrip(r)
}

func listTools(t *testing.T, cs *mcp.ClientSession) map[string]*mcp.Tool {
	t.Helper()
	tools := map[string]*mcp.Tool{}
	for tool, err := range cs.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		tools[tool.Name] = tool
	}
	return tools
}

func call(t *testing.T, cs *mcp.ClientSession, name string, args any) *mcp.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func structured(t *testing.T, res *mcp.CallToolResult) map[string]any {
	t.Helper()
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("structured content %s: %v", b, err)
	}
	return m
}

// TestTransports lists and calls tools against the emulator over the
// in-memory transport (stdio's code path) and streamable HTTP.
func TestTransports(t *testing.T) {
	t.Parallel()
	transports := map[string]func(*testing.T, mcpserver.Options) *mcp.ClientSession{
		"memory": connectMemory,
		"http": func(t *testing.T, o mcpserver.Options) *mcp.ClientSession {
			cs, _ := connectHTTP(t, o)
			return cs
		},
	}
	for name, connectTo := range transports {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			reg := registry(t)
			cs := connectTo(t, mcpserver.Options{Registry: reg, Deps: newDeps(t)})

			tools := listTools(t, cs)
			if len(tools) != len(reg.All()) {
				t.Errorf("listed %d tools, want one per action (%d)", len(tools), len(reg.All()))
			}
			get := tools["getCompany"]
			if get == nil {
				t.Fatal("no getCompany tool")
			}
			del := tools["deleteCompany"]
			type hints struct {
				Title                             string
				ReadOnly, Destructive, Idempotent bool
			}
			gotHints := []hints{
				{get.Title, get.Annotations.ReadOnlyHint, *get.Annotations.DestructiveHint, get.Annotations.IdempotentHint},
				{del.Title, del.Annotations.ReadOnlyHint, *del.Annotations.DestructiveHint, del.Annotations.IdempotentHint},
			}
			a, _ := reg.Get("getCompany")
			d, _ := reg.Get("deleteCompany")
			wantHints := []hints{{a.Title, true, false, true}, {d.Title, false, true, true}}
			if diff := cmp.Diff(wantHints, gotHints); diff != "" {
				t.Errorf("annotations (-want +got):\n%s", diff)
			}
			if get.OutputSchema == nil || get.Description != a.Description {
				t.Errorf("getCompany: output schema %v, description %q", get.OutputSchema, get.Description)
			}

			created := call(t, cs, "createCompany", map[string]any{"name": "MCP Acme", "externalId": "mcp-acme-" + name})
			if created.IsError {
				t.Fatalf("createCompany: %s", text(created))
			}
			id, _ := structured(t, created)["id"].(string)
			if id == "" {
				t.Fatalf("createCompany answered no id: %s", text(created))
			}
			got := call(t, cs, "getCompany", map[string]any{"externalId": "mcp-acme-" + name})
			if got.IsError || structured(t, got)["name"] != "MCP Acme" {
				t.Fatalf("getCompany: %s", text(got))
			}
			list := call(t, cs, "listCompanies", map[string]any{"limit": 2})
			if list.IsError {
				t.Fatalf("listCompanies: %s", text(list))
			}

			// Errors are tool errors with the stable code first.
			tests := []struct {
				tool     string
				args     map[string]any
				wantCode string
			}{
				{"getCompany", map[string]any{"externalId": "no-such-company"}, "not_found"},
				{"getCompany", map[string]any{}, "invalid_input"},
				{"createCompany", map[string]any{"name": 42}, "invalid_input"},
			}
			for _, tc := range tests {
				res := call(t, cs, tc.tool, tc.args)
				if !res.IsError || !strings.HasPrefix(text(res), tc.wantCode+": ") {
					t.Errorf("%s(%v): isError %v, text %q; want a tool error starting %q", tc.tool, tc.args, res.IsError, text(res), tc.wantCode)
					continue
				}
				sc := structured(t, res)
				if sc["code"] != tc.wantCode || sc["message"] == "" {
					t.Errorf("%s(%v): structured content %v", tc.tool, tc.args, sc)
				}
			}
		})
	}
}

// TestFilters checks which tools each selection exposes.
func TestFilters(t *testing.T) {
	t.Parallel()
	reg := registry(t)
	tests := []struct {
		name   string
		filter mcpserver.Filter
		check  func(a *actions.Action) bool
	}{
		{"read-only", mcpserver.Filter{ReadOnly: true}, func(a *actions.Action) bool { return a.ReadOnly }},
		{"no delete", mcpserver.Filter{NoDelete: true}, func(a *actions.Action) bool { return !a.Destructive }},
		{"toolsets", mcpserver.Filter{Toolsets: []string{"companies", "END USERS"}}, func(a *actions.Action) bool {
			return a.Group == "Companies" || a.Group == "End Users"
		}},
		{"tools", mcpserver.Filter{Tools: []string{"getCompany", "logNote"}}, func(a *actions.Action) bool {
			return a.Name == "getCompany" || a.Name == "logNote"
		}},
		{"read-only overrides the allowlist", mcpserver.Filter{ReadOnly: true, Tools: []string{"getCompany", "deleteCompany"}, Toolsets: []string{"end users"}}, func(a *actions.Action) bool {
			return a.ReadOnly && (a.Name == "getCompany" || a.Group == "End Users")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cs := connectMemory(t, mcpserver.Options{Registry: reg, Filter: tc.filter})
			var want []string
			for _, a := range reg.All() {
				if tc.check(a) {
					want = append(want, a.Name)
				}
			}
			got := slices.Sorted(maps.Keys(listTools(t, cs)))
			if len(want) == 0 {
				t.Fatal("the case selects nothing")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("tools (-want +got):\n%s", diff)
			}
		})
	}

	for _, bad := range []mcpserver.Filter{{Toolsets: []string{"compnies"}}, {Tools: []string{"getCompnay"}}} {
		if _, err := mcpserver.New(mcpserver.Options{Registry: reg, Filter: bad}); err == nil {
			t.Errorf("New accepted %+v", bad)
		}
	}
}

// TestDiscovery drives the three discovery tools against the emulator.
func TestDiscovery(t *testing.T) {
	t.Parallel()
	reg := registry(t)
	cs := connectMemory(t, mcpserver.Options{Registry: reg, Deps: newDeps(t), Discovery: true, Filter: mcpserver.Filter{NoDelete: true}})

	tools := listTools(t, cs)
	if diff := cmp.Diff([]string{"callAction", "describeAction", "listActions"}, slices.Sorted(maps.Keys(tools))); diff != "" {
		t.Fatalf("discovery tools (-want +got):\n%s", diff)
	}

	list := call(t, cs, "listActions", map[string]any{"group": "companies"})
	if list.IsError {
		t.Fatalf("listActions: %s", text(list))
	}
	var listed mcpserver.ListActionsOutput
	remarshal(t, list.StructuredContent, &listed)
	var names []string
	for _, a := range listed.Actions {
		names = append(names, a.Name)
	}
	var want []string
	for _, a := range reg.All() {
		if a.Group == "Companies" && !a.Destructive {
			want = append(want, a.Name)
		}
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("listActions companies (-want +got):\n%s", diff)
	}

	desc := call(t, cs, "describeAction", map[string]any{"name": "getCompany"})
	if desc.IsError {
		t.Fatalf("describeAction: %s", text(desc))
	}
	var described map[string]any
	remarshal(t, desc.StructuredContent, &described)
	a, _ := reg.Get("getCompany")
	var wantInput map[string]any
	remarshal(t, a.Input, &wantInput)
	if diff := cmp.Diff(wantInput, described["inputSchema"]); diff != "" {
		t.Errorf("describeAction input schema (-want +got):\n%s", diff)
	}

	got := call(t, cs, "callAction", map[string]any{"name": "createCompany", "input": map[string]any{"name": "Discovered", "externalId": "disc-1"}})
	if got.IsError || structured(t, got)["name"] != "Discovered" {
		t.Fatalf("callAction createCompany: %s", text(got))
	}

	tests := []struct {
		tool     string
		args     map[string]any
		wantCode string
		wantText string
	}{
		{"callAction", map[string]any{"name": "getCompany", "input": map[string]any{"externalId": "nope"}}, "not_found", ""},
		{"callAction", map[string]any{"name": "getCompany", "input": map[string]any{"bogus": true}}, "invalid_input", ""},
		{"callAction", map[string]any{"name": "getCompnay"}, "unknown_action", "getCompany"},
		{"callAction", map[string]any{"name": "deleteCompany", "input": map[string]any{"id": "x"}}, "unknown_action", "no-delete"},
		{"callAction", map[string]any{"nmae": "getCompany"}, "invalid_input", ""},
		{"describeAction", map[string]any{"name": "deleteCompany"}, "unknown_action", "no-delete"},
		{"listActions", map[string]any{"group": "nope"}, "invalid_input", "companies"},
	}
	for _, tc := range tests {
		res := call(t, cs, tc.tool, tc.args)
		if !res.IsError || !strings.HasPrefix(text(res), tc.wantCode+": ") || !strings.Contains(text(res), tc.wantText) {
			t.Errorf("%s(%v): isError %v, text %q; want %s mentioning %q", tc.tool, tc.args, res.IsError, text(res), tc.wantCode, tc.wantText)
		}
	}
}

// TestSchemaParity: each tool's input schema is the REST door's request
// schema for the action in /openapi.json.
func TestSchemaParity(t *testing.T) {
	t.Parallel()
	reg := registry(t)
	cs := connectMemory(t, mcpserver.Options{Registry: reg})
	doc, err := httpapi.OpenAPI(reg, "test")
	if err != nil {
		t.Fatal(err)
	}
	var openapi struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			RequestBody struct {
				Content map[string]struct {
					Schema any `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
			Responses map[string]struct {
				Content map[string]struct {
					Schema any `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(doc, &openapi); err != nil {
		t.Fatal(err)
	}
	tools := listTools(t, cs)
	checked := 0
	for _, item := range openapi.Paths {
		op, ok := item["post"]
		if !ok || tools[op.OperationID] == nil {
			continue
		}
		tool := tools[op.OperationID]
		if diff := cmp.Diff(op.RequestBody.Content["application/json"].Schema, tool.InputSchema); diff != "" {
			t.Errorf("%s: input schema differs from /openapi.json (-openapi +mcp):\n%s", op.OperationID, diff)
		}
		if diff := cmp.Diff(op.Responses["200"].Content["application/json"].Schema, tool.OutputSchema); diff != "" {
			t.Errorf("%s: output schema differs from /openapi.json (-openapi +mcp):\n%s", op.OperationID, diff)
		}
		checked++
	}
	if checked != len(reg.All()) {
		t.Errorf("compared %d actions, want all %d", checked, len(reg.All()))
	}
}

// TestHTTPNeedsAPIKey: /mcp is behind the REST door's keys.
func TestHTTPNeedsAPIKey(t *testing.T) {
	t.Parallel()
	_, base := connectHTTP(t, mcpserver.Options{Registry: registry(t)})
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
	for name, header := range map[string]string{"missing": "", "wrong": "Bearer not-the-key"} {
		req, _ := http.NewRequest(http.MethodPost, base+mcpserver.Path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s key: status %d, want 401", name, res.StatusCode)
		}
	}
}

func remarshal(t *testing.T, from, to any) {
	t.Helper()
	b, err := json.Marshal(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, to); err != nil {
		t.Fatal(err)
	}
}
