package actions

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/planbridge/planbridge/planhat"
)

// Action is one operation a bot, an agent or a person can call by name. Its
// input and output are JSON objects described by JSON Schemas, so every door
// (Botpress, REST, MCP, CLI) can publish and validate them the same way.
type Action struct {
	// Name is the stable identifier, lowerCamelCase (e.g. "getCompany").
	Name string
	// Title is the short human label shown in the Botpress Studio.
	Title string
	// Description says what the action does, which keys it accepts and its
	// limits, for bot builders and LLMs alike.
	Description string
	// Group gathers related actions in listings (e.g. "Companies").
	Group string
	// Input is the JSON Schema of the input object.
	Input *jsonschema.Schema
	// Output is the JSON Schema of the output object.
	Output *jsonschema.Schema
	// ReadOnly marks actions that change nothing (MCP readOnlyHint).
	ReadOnly bool
	// Destructive marks actions that delete or overwrite data (MCP destructiveHint).
	Destructive bool
	// Idempotent marks actions whose repetition with the same input has no
	// further effect (MCP idempotentHint).
	Idempotent bool

	// Needs lists the dependencies the action's run function uses; the
	// constructor sets it from the function's signature.
	Needs Need

	resolveOnce sync.Once
	resolved    *jsonschema.Resolved
	resolveErr  error
	run         func(ctx context.Context, deps Deps, obj map[string]any, raw []byte) (any, error)
}

// Option adjusts an Action built by New.
type Option func(*Action)

// WithInputSchema replaces the inferred input schema; actions whose input is
// a free-form map (Planhat records) describe their known fields this way.
func WithInputSchema(s *jsonschema.Schema) Option { return func(a *Action) { a.Input = s } }

// WithOutputSchema replaces the inferred output schema.
func WithOutputSchema(s *jsonschema.Schema) Option { return func(a *Action) { a.Output = s } }

// FreshInput is the input field of every Planhat read action that asks for an answer from
// Planhat rather than planbridge's read cache.
const FreshInput = "fresh"

const freshDescription = "Read from Planhat now instead of planbridge's short-lived cache (answers are cached for seconds per token, and forgotten when planbridge writes the record or a Planhat webhook reports a change). Costs one call of the tenant's rate budget; leave it out normally."

// ReadOnly marks the action as changing nothing.
func ReadOnly() Option { return func(a *Action) { a.ReadOnly, a.Idempotent = true, true } }

// Destructive marks the action as deleting or overwriting data.
func Destructive() Option { return func(a *Action) { a.Destructive = true } }

// Idempotent marks the action as safe to repeat.
func Idempotent() Option { return func(a *Action) { a.Idempotent = true } }

// InGroup sets the action's group.
func InGroup(group string) Option { return func(a *Action) { a.Group = group } }

// New builds an Action that needs no dependency, whose input decodes into
// In and whose output is Out; the schemas are inferred from the types
// (descriptions come from `jsonschema:"…"` struct tags, titles from the
// property names) unless an option replaces them. New panics when a schema
// cannot be built, because action sets are fixed at start-up and such a
// mistake must fail every test.
func New[In, Out any](name, title, description string, run func(context.Context, In) (Out, error), opts ...Option) *Action {
	return NewWith(name, title, description, 0, func(ctx context.Context, _ Deps, in In) (Out, error) { return run(ctx, in) }, opts...)
}

// NewPlanhat builds an Action that calls Planhat: its run function receives
// the door's Planhat client, never nil, so the action cannot run without one.
func NewPlanhat[In, Out any](name, title, description string, run func(context.Context, *planhat.Client, In) (Out, error), opts ...Option) *Action {
	return NewWith(name, title, description, NeedPlanhat, func(ctx context.Context, d Deps, in In) (Out, error) { return run(ctx, d.Planhat, in) }, opts...)
}

// NewWith builds an Action whose run function receives the door's Deps; the
// pipeline runs it only when the door provides every dependency in needs,
// so run may use those fields without checking them.
func NewWith[In, Out any](name, title, description string, needs Need, run func(context.Context, Deps, In) (Out, error), opts ...Option) *Action {
	a := &Action{Name: name, Title: title, Description: description, Needs: needs}
	for _, o := range opts {
		o(a)
	}
	if a.Input == nil {
		s, err := schemaFor[In]()
		if err != nil {
			panic(fmt.Sprintf("actions: input schema of %s: %v", name, err))
		}
		a.Input = s
	}
	if a.Output == nil {
		s, err := schemaFor[Out]()
		if err != nil {
			panic(fmt.Sprintf("actions: output schema of %s: %v", name, err))
		}
		a.Output = s
	}
	if a.Input.Type != "object" || a.Output.Type != "object" {
		panic(fmt.Sprintf("actions: %s: input and output must be JSON objects", name))
	}
	if a.ReadOnly && needs&NeedPlanhat != 0 && a.Input.Properties != nil {
		if _, taken := a.Input.Properties[FreshInput]; !taken {
			a.Input.Properties[FreshInput] = &jsonschema.Schema{Type: "boolean", Title: "Fresh", Description: freshDescription}
			if len(a.Input.PropertyOrder) > 0 {
				a.Input.PropertyOrder = append(a.Input.PropertyOrder, FreshInput)
			}
		}
	}
	inType := reflect.TypeFor[In]()
	fromMap := inType.Kind() == reflect.Map && inType.Key().Kind() == reflect.String && inType.Elem().Kind() == reflect.Interface
	a.run = func(ctx context.Context, deps Deps, obj map[string]any, raw []byte) (any, error) {
		var in In
		if fromMap {
			in = reflect.ValueOf(obj).Convert(inType).Interface().(In)
		} else if err := json.Unmarshal(raw, &in); err != nil {
			// The schema accepted it, so this is a type the schema could not
			// express (e.g. an integer too large); still the caller's input.
			return nil, &InputError{Problem: "the input does not fit the action's fields (" + jsonProblem(err) + ")"}
		}
		return run(ctx, deps, in)
	}
	return a
}

// call validates the input against the action's schema in one pass, runs
// the action with deps and returns its output as JSON. Invalid input yields
// an *InputError listing every problem field by field; nothing is called
// upstream in that case. A door lacking one of the action's needs gets a
// *MissingDepsError before anything runs.
func (a *Action) call(ctx context.Context, deps Deps, input json.RawMessage) (_ json.RawMessage, err error) {
	obj, err := parseInput(input)
	if err != nil {
		err.(*InputError).Action = a.Name
		return nil, err
	}
	if len(obj) == 0 {
		input = json.RawMessage(`{}`) // "", "null" and whitespace mean no fields
	}
	if fields := validateInput(a.Input, obj); len(fields) > 0 {
		return nil, &InputError{Action: a.Name, Fields: fields}
	}
	if missing := a.Needs &^ deps.Provides(); missing != 0 {
		return nil, &MissingDepsError{Action: a.Name, Missing: missing}
	}
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Action: a.Name, Value: fmt.Sprint(p)}
		}
	}()
	if fresh, ok := obj[FreshInput].(bool); ok && a.ReadOnly && a.Needs&NeedPlanhat != 0 {
		delete(obj, FreshInput) // typed inputs ignore it; map inputs must not pass it to Planhat
		if fresh {
			ctx = planhat.WithFreshRead(ctx)
		}
	}
	out, err := a.run(ctx, deps, obj, input)
	if err != nil {
		if ie, ok := err.(*InputError); ok && ie.Action == "" {
			ie.Action = a.Name
		}
		return nil, err
	}
	if raw, ok := out.(json.RawMessage); ok {
		// Actions that stream Planhat's answer through (lists) hand it over
		// already encoded.
		return raw, nil
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("actions: %s: encoding output: %w", a.Name, err)
	}
	return b, nil
}

// resolve prepares the input schema for validation once; schemas are
// adjusted after New (patterns, limits), so this happens on first use or
// when the action is registered, and they must not change afterwards.
func (a *Action) resolve() (*jsonschema.Resolved, error) {
	a.resolveOnce.Do(func() {
		a.resolved, a.resolveErr = a.Input.Resolve(nil)
		if a.resolveErr != nil {
			a.resolveErr = fmt.Errorf("actions: input schema of %s: %w", a.Name, a.resolveErr)
		}
	})
	return a.resolved, a.resolveErr
}

// MissingDepsError reports an action called through a door that lacks a
// dependency the action needs: a wiring or configuration gap of the door,
// which it learns at start-up from Registry.Needs.
type MissingDepsError struct {
	// Action is the action that could not run.
	Action string
	// Missing is what the door lacks.
	Missing Need
}

// Error names the action and what it lacks.
func (e *MissingDepsError) Error() string {
	return "actions: " + e.Action + " needs " + e.Missing.String() + ", which this door does not provide"
}

// PanicError reports an action that panicked; the registry turns the panic
// into an error so one bad call cannot take the server down.
type PanicError struct {
	// Action is the action that panicked.
	Action string
	// Value is the panic value, for logs; it is never shown to callers.
	Value string
}

// Error names the action and the panic value.
func (e *PanicError) Error() string { return "actions: " + e.Action + " panicked: " + e.Value }
