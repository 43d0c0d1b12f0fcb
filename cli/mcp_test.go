package cli_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/planbridge/planbridge/cli"
	"github.com/planbridge/planbridge/internal/syncbuffer"
)

// startMCPStdio runs `planbridge mcp args...` in-process with its standard
// input and output piped to an SDK client, as an MCP client would start it.
func startMCPStdio(t *testing.T, env map[string]string, args ...string) (*mcp.ClientSession, *syncbuffer.Buffer) {
	t.Helper()
	env = withTestDB(t, env)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	var stderr syncbuffer.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, append([]string{"mcp"}, args...), inR, outW, &stderr, lookupIn(env))
		outW.Close()
	}()
	client := mcp.NewClient(&mcp.Implementation{Name: "cli-test", Version: "1"}, nil)
	cctx, ccancel := context.WithTimeout(context.Background(), commandWait)
	defer ccancel()
	cs, err := client.Connect(cctx, &mcp.IOTransport{Reader: outR, Writer: inW}, nil)
	if err != nil {
		cancel()
		t.Fatalf("connecting to planbridge mcp: %v\nstderr:\n%s", err, &stderr)
	}
	t.Cleanup(func() {
		cs.Close()
		inW.Close()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("planbridge mcp exited %d after its client left\nstderr:\n%s", code, &stderr)
			}
		case <-time.After(commandWait):
			t.Errorf("planbridge mcp kept running after its client left\nstderr:\n%s", &stderr)
		}
		cancel()
	})
	return cs, &stderr
}

func toolNames(t *testing.T, cs *mcp.ClientSession) []string {
	t.Helper()
	var names []string
	for tool, err := range cs.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	return names
}

func callTool(t *testing.T, cs *mcp.ClientSession, name string, args any) (text string, isError bool) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String(), res.IsError
}

// TestMCPStdioSandbox: planbridge mcp without PLANHAT_TOKEN serves the
// sandbox emulator; read-only and toolset flags narrow the tools; the
// store-backed logConversation works through the temporary store.
func TestMCPStdioSandbox(t *testing.T) {
	t.Parallel()
	cs, stderr := startMCPStdio(t, map[string]string{})
	names := toolNames(t, cs)
	if len(names) < 100 || !slices.Contains(names, "deleteCompany") {
		t.Fatalf("listed %d tools: %v", len(names), names)
	}
	if !strings.Contains(stderr.String(), "sandbox mode") {
		t.Errorf("stderr does not say sandbox mode:\n%s", stderr)
	}
	out, isErr := callTool(t, cs, "createCompany", map[string]any{"name": "Stdio Acme", "externalId": "stdio-acme"})
	if isErr || !strings.Contains(out, `"Stdio Acme"`) {
		t.Fatalf("createCompany: %s", out)
	}
	out, isErr = callTool(t, cs, "getCompany", map[string]any{"externalId": "stdio-acme"})
	if isErr || !strings.Contains(out, `"Stdio Acme"`) {
		t.Fatalf("getCompany: %s", out)
	}
	out, isErr = callTool(t, cs, "getCompany", map[string]any{"id": "not-an-id"})
	if !isErr || !strings.HasPrefix(out, "invalid_input: ") {
		t.Errorf("getCompany with a bad id: isError %v, %q", isErr, out)
	}

	filtered, _ := startMCPStdio(t, map[string]string{"PLANBRIDGE_MCP_TOOLSETS": "end users"}, "--read-only")
	var want []string
	for _, n := range names {
		if n == "findEndUserByEmail" || n == "getEndUser" || n == "listEndUsers" {
			want = append(want, n)
		}
	}
	if diff := cmp.Diff(want, toolNames(t, filtered)); diff != "" {
		t.Errorf("--read-only, PLANBRIDGE_MCP_TOOLSETS=end users (-want +got):\n%s", diff)
	}

	discovery, _ := startMCPStdio(t, map[string]string{}, "--discovery", "--no-delete")
	if diff := cmp.Diff([]string{"callAction", "describeAction", "listActions"}, toolNames(t, discovery)); diff != "" {
		t.Errorf("--discovery (-want +got):\n%s", diff)
	}
	out, isErr = callTool(t, discovery, "callAction", map[string]any{"name": "listCompanies", "input": map[string]any{"limit": 1}})
	if isErr || !strings.Contains(out, `"companies"`) {
		t.Errorf("callAction listCompanies: %s", out)
	}
}

// TestMCPStdioBadToolset: a typo in a toolset fails at start-up and names
// the valid ones.
func TestMCPStdioBadToolset(t *testing.T) {
	t.Parallel()
	code, _, stderr := runUntilExit(t, map[string]string{}, "", "mcp", "--toolsets", "compnies")
	if code == 0 || !strings.Contains(stderr, "compnies") || !strings.Contains(stderr, "companies") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// TestServeMCP: /mcp on a sandbox serve answers the SDK's streamable HTTP
// client behind the API key, with serve's MCP filters applied.
func TestServeMCP(t *testing.T) {
	t.Parallel()
	c := startServeCommand(t, map[string]string{"PLANBRIDGE_MCP_NO_DELETE": "true"})
	t.Cleanup(func() { c.stopOK(t) })
	key := sandboxKey.FindString(c.Stdout.String())
	if key == "" {
		t.Fatalf("banner shows no API key:\n%s", c.Stdout)
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "cli-test", Version: "1"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{
		Endpoint: c.BaseURL + "/mcp", HTTPClient: &http.Client{Transport: bearerKey(key)}, DisableStandaloneSSE: true, MaxRetries: -1,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	names := toolNames(t, cs)
	if len(names) < 100 || slices.Contains(names, "deleteCompany") {
		t.Errorf("PLANBRIDGE_MCP_NO_DELETE: listed %d tools, deleteCompany among them: %v", len(names), slices.Contains(names, "deleteCompany"))
	}
	out, isErr := callTool(t, cs, "listCompanies", map[string]any{"limit": 1})
	var list struct {
		Companies []json.RawMessage `json:"companies"`
	}
	if isErr || json.Unmarshal([]byte(out), &list) != nil || len(list.Companies) != 1 {
		t.Errorf("listCompanies: %s", out)
	}

	status, body := postJSON(t, c.BaseURL+"/mcp", "wrong-key", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
	if status != http.StatusUnauthorized {
		t.Errorf("wrong key: %d %s", status, body)
	}
}

type bearerKey string

func (k bearerKey) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(k))
	return http.DefaultTransport.RoundTrip(r)
}
