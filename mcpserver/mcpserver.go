// Package mcpserver is planbridge's MCP door: every action of the registry
// as a Model Context Protocol tool, with the action's title, description,
// JSON Schemas and annotations, served over stdio (planbridge mcp) or
// streamable HTTP (/mcp on planbridge serve, stateless so any replica can
// answer). Calls go through Registry.Invoke like every other door, so they
// are validated, classified and counted the same way; failures come back as
// MCP tool errors carrying the stable code and the instructive message.
//
// Because a hundred-odd tools flood an agent's context, a discovery mode
// replaces them with three (listActions, describeAction, callAction) backed
// by the same actions; and filters (read-only, no delete, toolsets, an
// allowlist) narrow what an agent may call.
package mcpserver

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/httpapi"
)

// Door is the name the MCP door's calls carry in metrics and logs.
const Door = "mcp"

// Path is where planbridge serve answers MCP over streamable HTTP.
const Path = "/mcp"

// StdioWording tells an agent's operator where settings of planbridge mcp
// live: in the environment the MCP client starts it with.
var StdioWording = actions.Wording{
	Token:       "set it as PLANHAT_TOKEN in the \"env\" of planbridge's entry in the MCP client's configuration",
	Tenant:      "into PLANHAT_TENANT in the \"env\" of planbridge's entry in the MCP client's configuration",
	Region:      "PLANHAT_REGION or PLANHAT_API_URL in the MCP client's configuration",
	ListActions: "list the tools (or call listActions in discovery mode) to find the right name",
	Where:       "planbridge's MCP server",
	Operator:    "planbridge's maintainers",
}

// HTTPWording tells callers of /mcp that settings live on the server, in
// its operator's hands.
var HTTPWording = actions.Wording{
	Token:       "have the server's operator set it as PLANHAT_TOKEN",
	Tenant:      "into the server's PLANHAT_TENANT (ask its operator)",
	Region:      "the server's PLANHAT_REGION or PLANHAT_API_URL",
	ListActions: "list the tools (or call listActions in discovery mode) to find the right name",
	Where:       "the planbridge server",
	Operator:    "the server's operator",
}

// Options configure one MCP server.
type Options struct {
	// Registry holds the actions to expose; required.
	Registry *actions.Registry
	// Deps are the dependencies every call runs with; actions needing one
	// it lacks answer not_configured.
	Deps actions.Deps
	// Filter narrows the actions exposed.
	Filter Filter
	// Discovery replaces the one-tool-per-action listing with listActions,
	// describeAction and callAction.
	Discovery bool
	// Wording phrases error messages; nil means StdioWording.
	Wording *actions.Wording
	// Version is reported to clients as the server's version.
	Version string
	// Logger receives failed calls and the SDK's diagnostics; nil discards.
	Logger *slog.Logger
}

// Filter selects the actions an MCP server exposes. The zero Filter
// exposes every action.
type Filter struct {
	// ReadOnly keeps only actions that change nothing, whatever else is
	// selected: an operator's guarantee must not be undone by an allowlist.
	ReadOnly bool
	// NoDelete drops destructive actions (the deletes).
	NoDelete bool
	// Toolsets keeps only actions of these groups (e.g. "companies",
	// "end users"), matched case-insensitively; empty means every group.
	Toolsets []string
	// Tools keeps only these action names; empty means every action.
	// With Toolsets, an action in either is kept.
	Tools []string
}

// Allows reports whether a is exposed.
func (f Filter) Allows(a *actions.Action) bool {
	if f.ReadOnly && !a.ReadOnly {
		return false
	}
	if f.NoDelete && a.Destructive {
		return false
	}
	if len(f.Toolsets) == 0 && len(f.Tools) == 0 {
		return true
	}
	inSet := slices.ContainsFunc(f.Toolsets, func(g string) bool { return strings.EqualFold(strings.TrimSpace(g), a.Group) })
	return inSet || slices.Contains(f.Tools, a.Name)
}

// Check refuses toolsets and tools the registry does not have, so a typo in
// an operator's configuration fails at start-up instead of silently
// exposing nothing.
func (f Filter) Check(reg *actions.Registry) error {
	all := reg.All()
	var groups []string
	for _, a := range all {
		if a.Group != "" && !slices.Contains(groups, a.Group) {
			groups = append(groups, a.Group)
		}
	}
	slices.Sort(groups)
	var errs []error
	for _, g := range f.Toolsets {
		if !slices.ContainsFunc(groups, func(have string) bool { return strings.EqualFold(have, strings.TrimSpace(g)) }) {
			errs = append(errs, fmt.Errorf("mcp: unknown toolset %q; use one of: %s", g, strings.ToLower(strings.Join(groups, ", "))))
		}
	}
	for _, name := range f.Tools {
		if _, err := reg.Lookup(name); err != nil {
			errs = append(errs, fmt.Errorf("mcp: --tools: %w ('planbridge actions' lists them)", err))
		}
	}
	return errors.Join(errs...)
}

// Selected returns the actions f exposes, sorted by name.
func (f Filter) Selected(reg *actions.Registry) []*actions.Action {
	var out []*actions.Action
	for _, a := range reg.All() {
		if f.Allows(a) {
			out = append(out, a)
		}
	}
	return out
}

// New builds the MCP server: one tool per selected action, or the three
// discovery tools. It refuses a filter naming unknown toolsets or tools.
func New(opts Options) (*mcp.Server, error) {
	if opts.Registry == nil {
		return nil, errors.New("mcpserver: Options.Registry is required")
	}
	if err := opts.Filter.Check(opts.Registry); err != nil {
		return nil, err
	}
	if opts.Wording == nil {
		opts.Wording = &StdioWording
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := mcp.NewServer(&mcp.Implementation{Name: "planbridge", Title: "planbridge", Version: cmp.Or(opts.Version, "dev")}, &mcp.ServerOptions{
		Instructions: instructions(opts),
		Logger:       opts.Logger,
		// Only tools: no logging capability an agent would wait on.
		Capabilities: &mcp.ServerCapabilities{},
	})
	d := &door{opts: opts}
	if opts.Discovery {
		d.addDiscoveryTools(s)
		return s, nil
	}
	for _, a := range opts.Filter.Selected(opts.Registry) {
		s.AddTool(Tool(a), d.handler(a.Name))
	}
	return s, nil
}

func instructions(opts Options) string {
	var b strings.Builder
	b.WriteString("planbridge reads and writes Planhat (customer-success data: companies, end users, conversations, …) through typed, validated actions. ")
	if opts.Discovery {
		b.WriteString("Call listActions (optionally with a group) to find an action, describeAction for its input and output schemas, then callAction with its name and input. ")
	}
	b.WriteString("A failed call returns an error whose text starts with a stable code (invalid_input, not_found, rate_limited, …) followed by what to do.")
	if opts.Filter.ReadOnly {
		b.WriteString(" This server is read-only: actions that change data are not available.")
	}
	return b.String()
}

// Tool describes a as an MCP tool: its name, title, description, the
// schemas the REST door publishes, and its hints.
func Tool(a *actions.Action) *mcp.Tool {
	destructive := a.Destructive
	openWorld := true // every action reaches Planhat or the outbox feeding it
	return &mcp.Tool{
		Name:         a.Name,
		Title:        a.Title,
		Description:  a.Description,
		InputSchema:  a.Input,
		OutputSchema: a.Output,
		Annotations: &mcp.ToolAnnotations{
			Title:           a.Title,
			ReadOnlyHint:    a.ReadOnly,
			DestructiveHint: &destructive,
			IdempotentHint:  a.Idempotent,
			OpenWorldHint:   &openWorld,
		},
	}
}

// door runs tool calls through the registry.
type door struct {
	opts Options
}

// handler calls the named action with the tool call's arguments.
func (d *door) handler(name string) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		var args json.RawMessage
		if req.Params != nil {
			args = req.Params.Arguments
		}
		return d.invoke(ctx, name, args), nil
	}
}

// invoke runs one action and turns its outcome into a tool result; failures
// are tool errors (not protocol errors) so the agent sees them and can
// correct its call.
func (d *door) invoke(ctx context.Context, name string, input json.RawMessage) *mcp.CallToolResult {
	out, failure := d.opts.Registry.Invoke(ctx, actions.Invocation{
		Door: Door, Action: name, Input: input, Deps: d.opts.Deps, Wording: d.opts.Wording, Logger: d.opts.Logger,
	})
	if failure != nil {
		return ErrorResult(failure)
	}
	return &mcp.CallToolResult{
		Content:           []mcp.Content{&mcp.TextContent{Text: string(out)}},
		StructuredContent: out,
	}
}

// ToolError is the structured content of a failed tool call.
type ToolError struct {
	// Code is the stable code, e.g. "not_found".
	Code actions.Code `json:"code"`
	// Message says what went wrong and what to do.
	Message string `json:"message"`
	// Retryable says whether the same call may succeed later unchanged.
	Retryable bool `json:"retryable"`
	// RetryAfterSeconds is how long to wait before retrying, when known.
	RetryAfterSeconds int `json:"retryAfterSeconds,omitempty"`
	// Fields are the field-level problems of invalid input.
	Fields []actions.FieldError `json:"fields,omitempty"`
}

// ErrorResult is the tool error for a failed call: its text is
// "code: message" so agents that only read text still see the code.
func ErrorResult(e *actions.Error) *mcp.CallToolResult {
	te := ToolError{Code: e.Code, Message: e.Message, Retryable: e.Retryable, Fields: e.Fields}
	if e.RetryAfter > 0 {
		// Rounded up, like the REST door's Retry-After: retrying early only fails again.
		te.RetryAfterSeconds = int((e.RetryAfter + time.Second - 1) / time.Second)
	}
	return toolError(te)
}

func toolError(te ToolError) *mcp.CallToolResult {
	text := string(te.Code) + ": " + te.Message
	if te.RetryAfterSeconds > 0 {
		text += fmt.Sprintf(" (retry after %d s)", te.RetryAfterSeconds)
	}
	return &mcp.CallToolResult{
		IsError:           true,
		Content:           []mcp.Content{&mcp.TextContent{Text: text}},
		StructuredContent: te,
	}
}

// HTTPHandler serves MCP over streamable HTTP: stateless, so any replica
// can answer any request, with JSON responses rather than event streams.
// It carries no authentication of its own; HTTPDoor puts it behind the
// server's API keys.
func HTTPHandler(opts Options) (http.Handler, error) {
	if opts.Wording == nil {
		opts.Wording = &HTTPWording
	}
	s, err := New(opts)
	if err != nil {
		return nil, err
	}
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, &mcp.StreamableHTTPOptions{
		Stateless:    true,
		JSONResponse: true,
		Logger:       opts.Logger,
		// Behind a load balancer or a tunnel the Host is the public name; the
		// API key, not the address, is what protects the door.
		DisableLocalhostProtection: true,
		MaxRequestBodyBytes:        httpapi.DefaultMaxBodyBytes,
	}), nil
}

// HTTPDoor is the /mcp door of planbridge serve, behind the same API keys
// as the REST door.
func HTTPDoor(opts Options) (httpapi.Door, error) {
	h, err := HTTPHandler(opts)
	if err != nil {
		return httpapi.Door{}, err
	}
	return httpapi.Door{
		Name: "mcp",
		Hint: "MCP clients use streamable HTTP on POST " + Path + " (Authorization: Bearer YOUR_KEY)",
		Routes: []httpapi.Route{
			// GET and DELETE are answered too (405 in stateless mode), so
			// clients probing for an event stream learn there is none.
			{Pattern: Path, Handler: h, NeedsAPIKey: true},
		},
	}, nil
}
