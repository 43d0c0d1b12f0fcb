package actions

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"

	"github.com/google/jsonschema-go/jsonschema"
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

	resolveOnce sync.Once
	resolved    *jsonschema.Resolved
	resolveErr  error
	run         func(ctx context.Context, obj map[string]any, raw []byte) (any, error)
}

// Option adjusts an Action built by New.
type Option func(*Action)

// WithInputSchema replaces the inferred input schema; actions whose input is
// a free-form map (Planhat records) describe their known fields this way.
func WithInputSchema(s *jsonschema.Schema) Option { return func(a *Action) { a.Input = s } }

// WithOutputSchema replaces the inferred output schema.
func WithOutputSchema(s *jsonschema.Schema) Option { return func(a *Action) { a.Output = s } }

// ReadOnly marks the action as changing nothing.
func ReadOnly() Option { return func(a *Action) { a.ReadOnly, a.Idempotent = true, true } }

// Destructive marks the action as deleting or overwriting data.
func Destructive() Option { return func(a *Action) { a.Destructive = true } }

// Idempotent marks the action as safe to repeat.
func Idempotent() Option { return func(a *Action) { a.Idempotent = true } }

// InGroup sets the action's group.
func InGroup(group string) Option { return func(a *Action) { a.Group = group } }

// New builds an Action whose input decodes into In and whose output is Out;
// the schemas are inferred from the types (descriptions come from
// `jsonschema:"…"` struct tags, titles from the property names) unless an
// option replaces them. New panics when a schema cannot be built, because
// action sets are fixed at start-up and such a mistake must fail every test.
func New[In, Out any](name, title, description string, run func(context.Context, In) (Out, error), opts ...Option) *Action {
	a := &Action{Name: name, Title: title, Description: description}
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
	inType := reflect.TypeFor[In]()
	fromMap := inType.Kind() == reflect.Map && inType.Key().Kind() == reflect.String && inType.Elem().Kind() == reflect.Interface
	a.run = func(ctx context.Context, obj map[string]any, raw []byte) (any, error) {
		var in In
		if fromMap {
			in = reflect.ValueOf(obj).Convert(inType).Interface().(In)
		} else if err := json.Unmarshal(raw, &in); err != nil {
			// The schema accepted it, so this is a type the schema could not
			// express (e.g. an integer too large); still the caller's input.
			return nil, &InputError{Problem: "the input does not fit the action's fields (" + jsonProblem(err) + ")"}
		}
		return run(ctx, in)
	}
	return a
}

// Call validates the input against the action's schema, runs the action and
// returns its output as JSON. Invalid input yields an *InputError listing
// every problem field by field; nothing is called upstream in that case.
func (a *Action) Call(ctx context.Context, input json.RawMessage) (_ json.RawMessage, err error) {
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
	// A second opinion from the reference validator, for any keyword the
	// field-level walk does not implement.
	rs, err := a.resolve()
	if err != nil {
		return nil, err
	}
	if verr := rs.Validate(obj); verr != nil {
		return nil, &InputError{Action: a.Name, Problem: "the input does not match the schema: " + verr.Error()}
	}
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Action: a.Name, Value: fmt.Sprint(p)}
		}
	}()
	out, err := a.run(ctx, obj, input)
	if err != nil {
		if ie, ok := err.(*InputError); ok && ie.Action == "" {
			ie.Action = a.Name
		}
		return nil, err
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
