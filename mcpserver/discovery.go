package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/planbridge/planbridge/actions"
)

// The discovery tools' names.
const (
	ListActionsTool    = "listActions"
	DescribeActionTool = "describeAction"
	CallActionTool     = "callAction"
)

// ListActionsInput is the input of listActions.
type ListActionsInput struct {
	Group string `json:"group,omitempty" jsonschema:"Only actions of this group (case-insensitive), e.g. companies, end users, conversations; empty lists every group."`
	Query string `json:"query,omitempty" jsonschema:"Only actions whose name, title or description contains this text (case-insensitive)."`
}

// ActionSummary is one action in listActions' answer.
type ActionSummary struct {
	Name        string `json:"name" jsonschema:"The action name to pass to describeAction and callAction."`
	Title       string `json:"title" jsonschema:"Short human label."`
	Group       string `json:"group,omitempty" jsonschema:"The action's group."`
	ReadOnly    bool   `json:"readOnly" jsonschema:"True when the action changes nothing."`
	Destructive bool   `json:"destructive" jsonschema:"True when the action deletes data."`
}

// ListActionsOutput is the answer of listActions.
type ListActionsOutput struct {
	Actions []ActionSummary `json:"actions" jsonschema:"The matching actions, sorted by name."`
	Groups  []string        `json:"groups" jsonschema:"Every group this server exposes, for the group filter."`
}

// DescribeActionInput is the input of describeAction.
type DescribeActionInput struct {
	Name string `json:"name" jsonschema:"The action name, as listActions gives it (e.g. getCompany)."`
}

// ActionDescription is the answer of describeAction.
type ActionDescription struct {
	Name        string `json:"name" jsonschema:"The action name."`
	Title       string `json:"title" jsonschema:"Short human label."`
	Description string `json:"description" jsonschema:"What the action does, which keys it accepts and its limits."`
	Group       string `json:"group,omitempty" jsonschema:"The action's group."`
	ReadOnly    bool   `json:"readOnly" jsonschema:"True when the action changes nothing."`
	Destructive bool   `json:"destructive" jsonschema:"True when the action deletes data."`
	Idempotent  bool   `json:"idempotent" jsonschema:"True when repeating the call with the same input has no further effect."`
	// InputSchema and OutputSchema hold the action's *jsonschema.Schema;
	// typed any so this type's own schema does not describe JSON Schema.
	InputSchema  any `json:"inputSchema" jsonschema:"JSON Schema of the input callAction expects."`
	OutputSchema any `json:"outputSchema" jsonschema:"JSON Schema of the action's output."`
}

// CallActionInput is the input of callAction.
type CallActionInput struct {
	Name  string         `json:"name" jsonschema:"The action name, as listActions gives it."`
	Input map[string]any `json:"input,omitempty" jsonschema:"The action input, one object matching the inputSchema describeAction gives; empty means {}."`
}

// addDiscoveryTools registers listActions, describeAction and callAction.
func (d *door) addDiscoveryTools(s *mcp.Server) {
	notDestructive, openWorld := false, true
	s.AddTool(&mcp.Tool{
		Name:  ListActionsTool,
		Title: "List actions",
		Description: "Lists the Planhat actions this server can run (name, title, group, read-only and destructive flags), " +
			"optionally only those of one group or matching a text. Next: describeAction for an action's schemas, then callAction.",
		InputSchema:  mustSchema[ListActionsInput](),
		OutputSchema: mustSchema[ListActionsOutput](),
		Annotations:  &mcp.ToolAnnotations{Title: "List actions", ReadOnlyHint: true, IdempotentHint: true, DestructiveHint: &notDestructive, OpenWorldHint: &notDestructive},
	}, typed(d.listActions))
	s.AddTool(&mcp.Tool{
		Name:         DescribeActionTool,
		Title:        "Describe an action",
		Description:  "Describes one action: what it does, its input JSON Schema (what callAction's input must match) and its output JSON Schema.",
		InputSchema:  mustSchema[DescribeActionInput](),
		OutputSchema: mustSchema[ActionDescription](),
		Annotations:  &mcp.ToolAnnotations{Title: "Describe an action", ReadOnlyHint: true, IdempotentHint: true, DestructiveHint: &notDestructive, OpenWorldHint: &notDestructive},
	}, typed(d.describeAction))
	// callAction may run any exposed action, so its hints are the most
	// cautious ones unless the server is read-only.
	destructive := !d.opts.Filter.ReadOnly && !d.opts.Filter.NoDelete
	s.AddTool(&mcp.Tool{
		Name:  CallActionTool,
		Title: "Call an action",
		Description: "Runs one action with its input (validated against the action's input schema) and returns its output. " +
			"Failures return an error whose text starts with a stable code (invalid_input, not_found, rate_limited, …) and says what to do.",
		InputSchema: mustSchema[CallActionInput](),
		Annotations: &mcp.ToolAnnotations{Title: "Call an action", ReadOnlyHint: d.opts.Filter.ReadOnly, DestructiveHint: &destructive, OpenWorldHint: &openWorld},
	}, func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		var in CallActionInput
		if res := decode(req, &in); res != nil {
			return res, nil
		}
		if res := d.exposed(in.Name); res != nil {
			return res, nil
		}
		input := json.RawMessage(`{}`)
		if len(in.Input) > 0 {
			b, err := json.Marshal(in.Input)
			if err != nil {
				return toolError(ToolError{Code: actions.CodeInvalidInput, Message: "The input could not be re-encoded as JSON; send one JSON object."}), nil
			}
			input = b
		}
		return d.invoke(ctx, in.Name, input), nil
	})
}

// typed decodes a discovery tool's input and encodes its answer.
func typed[In, Out any](f func(In) (Out, *mcp.CallToolResult)) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		var in In
		if res := decode(req, &in); res != nil {
			return res, nil
		}
		out, res := f(in)
		if res != nil {
			return res, nil
		}
		b, err := json.Marshal(out)
		if err != nil {
			return nil, fmt.Errorf("mcpserver: encoding the answer: %w", err)
		}
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(b)}}, StructuredContent: json.RawMessage(b)}, nil
	}
}

// decode reads a discovery tool's arguments strictly, so a misspelt field
// is reported rather than ignored.
func decode(req *mcp.CallToolRequest, v any) *mcp.CallToolResult {
	if req.Params == nil || len(req.Params.Arguments) == 0 || string(req.Params.Arguments) == "null" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(req.Params.Arguments)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return toolError(ToolError{Code: actions.CodeInvalidInput, Message: "The arguments do not fit the tool's input schema (" + err.Error() + "); see the tool's inputSchema."})
	}
	return nil
}

// exposed refuses an action name the server does not expose, suggesting the
// closest one, or naming the filter that hides it.
func (d *door) exposed(name string) *mcp.CallToolResult {
	if strings.TrimSpace(name) == "" {
		return toolError(ToolError{Code: actions.CodeInvalidInput, Message: "name: required; call listActions to find the action name.",
			Fields: []actions.FieldError{{Field: "name", Message: "required"}}})
	}
	a, err := d.opts.Registry.Lookup(name)
	if err != nil {
		return toolError(ToolError{Code: actions.CodeUnknownAction, Message: err.Error() + "; call listActions to find the right name."})
	}
	if !d.opts.Filter.Allows(a) {
		why := "this server's --tools and --toolsets selection"
		switch {
		case d.opts.Filter.ReadOnly && !a.ReadOnly:
			why = "read-only mode (it changes data)"
		case d.opts.Filter.NoDelete && a.Destructive:
			why = "no-delete mode (it deletes data)"
		}
		return toolError(ToolError{Code: actions.CodeUnknownAction,
			Message: fmt.Sprintf("%s is not available on this MCP server because of %s; call listActions to see what is, or ask the operator to change the selection.", a.Name, why)})
	}
	return nil
}

func (d *door) listActions(in ListActionsInput) (ListActionsOutput, *mcp.CallToolResult) {
	out := ListActionsOutput{Actions: []ActionSummary{}, Groups: []string{}}
	group, query := strings.TrimSpace(in.Group), strings.ToLower(strings.TrimSpace(in.Query))
	for _, a := range d.opts.Filter.Selected(d.opts.Registry) {
		if a.Group != "" && !slices.Contains(out.Groups, a.Group) {
			out.Groups = append(out.Groups, a.Group)
		}
		if group != "" && !strings.EqualFold(group, a.Group) {
			continue
		}
		if query != "" && !strings.Contains(strings.ToLower(a.Name+"\n"+a.Title+"\n"+a.Description), query) {
			continue
		}
		out.Actions = append(out.Actions, ActionSummary{Name: a.Name, Title: a.Title, Group: a.Group, ReadOnly: a.ReadOnly, Destructive: a.Destructive})
	}
	slices.Sort(out.Groups)
	if group != "" && !slices.ContainsFunc(out.Groups, func(g string) bool { return strings.EqualFold(g, group) }) {
		return out, toolError(ToolError{Code: actions.CodeInvalidInput,
			Message: fmt.Sprintf("group: no group %q on this server; use one of: %s.", group, strings.ToLower(strings.Join(out.Groups, ", "))),
			Fields:  []actions.FieldError{{Field: "group", Message: "unknown group"}}})
	}
	return out, nil
}

func (d *door) describeAction(in DescribeActionInput) (ActionDescription, *mcp.CallToolResult) {
	if res := d.exposed(in.Name); res != nil {
		return ActionDescription{}, res
	}
	a, _ := d.opts.Registry.Get(in.Name)
	return ActionDescription{
		Name: a.Name, Title: a.Title, Description: a.Description, Group: a.Group,
		ReadOnly: a.ReadOnly, Destructive: a.Destructive, Idempotent: a.Idempotent,
		InputSchema: a.Input, OutputSchema: a.Output,
	}, nil
}

// mustSchema infers the schema of a discovery tool's own type; the types
// are fixed, so a failure is a bug every test catches.
func mustSchema[T any]() *jsonschema.Schema {
	s, err := jsonschema.For[T](nil)
	if err != nil {
		panic(fmt.Sprintf("mcpserver: schema of %T: %v", *new(T), err))
	}
	return s
}
