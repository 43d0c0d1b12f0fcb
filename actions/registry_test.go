package actions

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// greetInput exercises every schema feature the validator must handle.
type greetInput struct {
	Name  string            `json:"name" jsonschema:"Who to greet."`
	Times int               `json:"times,omitempty" jsonschema:"How many times, 1 to 5."`
	Tags  []string          `json:"tags,omitempty" jsonschema:"Labels to attach."`
	Meta  map[string]string `json:"meta,omitempty" jsonschema:"Free-form labels."`
	Loud  *bool             `json:"loud,omitempty" jsonschema:"Shout the greeting."`
	Items []greetItem       `json:"items,omitempty" jsonschema:"Nested items."`
}

type greetItem struct {
	Key   string  `json:"key" jsonschema:"The item key."`
	Score float64 `json:"score,omitempty" jsonschema:"The item score."`
}

type greetOutput struct {
	Greeting string `json:"greeting" jsonschema:"The greeting."`
	Count    int    `json:"count" jsonschema:"How many items were given."`
}

func greetAction() *Action {
	a := New("greet", "Greet", "Greets someone by name.", func(ctx context.Context, in greetInput) (greetOutput, error) {
		if in.Name == "boom" {
			panic("boom")
		}
		if in.Name == "fail" {
			return greetOutput{}, fieldError("name", "must not be fail")
		}
		g := "hello " + in.Name
		if in.Loud != nil && *in.Loud {
			g = strings.ToUpper(g)
		}
		return greetOutput{Greeting: g, Count: len(in.Items)}, nil
	}, ReadOnly())
	one, five := 1.0, 5.0
	a.Input.Properties["times"].Minimum = &one
	a.Input.Properties["times"].Maximum = &five
	a.Input.Properties["name"].MinLength = ptr(1)
	a.Input.Properties["items"].MaxItems = ptr(3)
	return a
}

func ptr[T any](v T) *T { return &v }

func TestCallValidation(t *testing.T) {
	t.Parallel()
	r, err := NewRegistry(greetAction())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		input   string
		want    string // output JSON, when no error
		wantErr []string
		problem string // substring of the whole-input problem
	}{
		{name: "ok", input: `{"name":"ann"}`, want: `{"greeting":"hello ann","count":0}`},
		{name: "null optional fields are absent", input: `{"name":"ann","times":null,"tags":null,"loud":null}`, want: `{"greeting":"hello ann","count":0}`},
		{name: "pointer bool", input: `{"name":"ann","loud":true}`, want: `{"greeting":"HELLO ANN","count":0}`},
		{name: "nested ok", input: `{"name":"ann","items":[{"key":"a"},{"key":"b","score":1.5}]}`, want: `{"greeting":"hello ann","count":2}`},
		{name: "missing required", input: `{}`, wantErr: []string{"name: required"}},
		{name: "null required", input: `{"name":null}`, wantErr: []string{"name: required"}},
		{name: "empty required string", input: `{"name":""}`, wantErr: []string{"name: must not be empty"}},
		{name: "wrong type", input: `{"name":5}`, wantErr: []string{"name: must be a string, not an integer"}},
		{name: "not integer", input: `{"name":"a","times":1.5}`, wantErr: []string{"times: must be an integer, not a number"}},
		{name: "maximum", input: `{"name":"a","times":6}`, wantErr: []string{"times: must be <= 5"}},
		{name: "minimum", input: `{"name":"a","times":0}`, wantErr: []string{"times: must be >= 1"}},
		{name: "several problems at once", input: `{"times":"x","tags":[1]}`, wantErr: []string{"name: required", "tags[0]: must be a string, not an integer", "times: must be an integer, not a string"}},
		{name: "unknown field", input: `{"name":"a","nmae":"b"}`, wantErr: []string{"nmae: unknown field: remove it (accepted fields: items, loud, meta, name, tags, times)"}},
		{name: "nested missing", input: `{"name":"a","items":[{"score":2}]}`, wantErr: []string{"items[0].key: required"}},
		{name: "max items", input: `{"name":"a","items":[{"key":"a"},{"key":"a"},{"key":"a"},{"key":"a"}]}`, wantErr: []string{"items: must have at most 3 items, not 4: split it into several calls"}},
		{name: "map values", input: `{"name":"a","meta":{"k":true}}`, wantErr: []string{"meta.k: must be a string, not a boolean"}},
		{name: "null unknown field is still unknown", input: `{"name":"a","":null}`, wantErr: []string{"(input): unknown field: remove it (accepted fields: items, loud, meta, name, tags, times)"}},
		{name: "bad json", input: `{"name":`, problem: "not valid JSON"},
		{name: "not an object", input: `[1,2]`, problem: "must be a JSON object, not a list"},
		{name: "trailing data", input: `{"name":"a"} {}`, problem: "extra data"},
		{name: "empty input means no fields", input: ``, wantErr: []string{"name: required"}},
		{name: "error from the action", input: `{"name":"fail"}`, wantErr: []string{"name: must not be fail"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := r.testCall(t.Context(), "greet", json.RawMessage(tt.input))
			if tt.wantErr == nil && tt.problem == "" {
				if err != nil {
					t.Fatalf("Call: %v", err)
				}
				if diff := cmp.Diff(tt.want, string(out)); diff != "" {
					t.Errorf("output (-want +got):\n%s", diff)
				}
				return
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("Call error = %v (%T), want *InputError", err, err)
			}
			if ie.Action != "greet" {
				t.Errorf("Action = %q, want greet", ie.Action)
			}
			if tt.problem != "" && !strings.Contains(ie.Problem, tt.problem) {
				t.Errorf("Problem = %q, want it to contain %q", ie.Problem, tt.problem)
			}
			if tt.wantErr != nil {
				var got []string
				for _, f := range ie.Fields {
					got = append(got, f.String())
				}
				if diff := cmp.Diff(tt.wantErr, got); diff != "" {
					t.Errorf("field errors (-want +got):\n%s", diff)
				}
			}
			if info := classifyT(err); info.Code != CodeInvalidInput || !info.UserFixable {
				t.Errorf("Classify = %+v, want a user-fixable invalid_input", info)
			}
		})
	}
}

func TestCallPanicBecomesError(t *testing.T) {
	t.Parallel()
	r, _ := NewRegistry(greetAction())
	_, err := r.testCall(t.Context(), "greet", json.RawMessage(`{"name":"boom"}`))
	var pe *PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *PanicError", err)
	}
	info := classifyT(err)
	if info.Code != CodeInternal || info.UserFixable || strings.Contains(info.Message, "boom") {
		t.Errorf("Classify = %+v, want a generic internal error", info)
	}
}

func TestCallOversizedInput(t *testing.T) {
	t.Parallel()
	r, _ := NewRegistry(greetAction())
	big := make([]byte, MaxInputBytes+1)
	_, err := r.testCall(t.Context(), "greet", big)
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(ie.Problem, "limit") {
		t.Fatalf("err = %v, want an InputError about the size limit", err)
	}
}

func TestRegistryUnknownAction(t *testing.T) {
	t.Parallel()
	r, _ := NewRegistry(greetAction())
	tests := []struct{ name, wantSuggestion string }{
		{"greet2", "greet"},
		{"GREET", "greet"},
		{"somethingElseEntirely", ""},
	}
	for _, tt := range tests {
		_, err := r.testCall(t.Context(), tt.name, nil)
		var ue *UnknownActionError
		if !errors.As(err, &ue) {
			t.Fatalf("Call(%q) = %v, want *UnknownActionError", tt.name, err)
		}
		if ue.Suggestion != tt.wantSuggestion {
			t.Errorf("Call(%q) suggestion = %q, want %q", tt.name, ue.Suggestion, tt.wantSuggestion)
		}
		if info := classifyT(err); info.Code != CodeUnknownAction || info.HTTPStatus() != 404 {
			t.Errorf("Classify = %+v", info)
		}
	}
}

func TestRegistryAdd(t *testing.T) {
	t.Parallel()
	type undocumented struct {
		X string `json:"x"`
	}
	noop := func(context.Context, undocumented) (greetOutput, error) { return greetOutput{}, nil }
	tests := []struct {
		name    string
		actions []*Action
		wantErr string
	}{
		{"duplicate", []*Action{greetAction(), greetAction()}, `"greet" is already registered`},
		{"property without description", []*Action{New("u", "U", "Undocumented.", noop)}, "input.x: no description"},
		{"no description", []*Action{New("d", "D", " ", func(context.Context, greetInput) (greetOutput, error) { return greetOutput{}, nil })}, "needs a title and a description"},
		{"unbuilt", []*Action{{Name: "raw"}}, "not built with actions.New"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := &Registry{}
			err := r.Add(tt.actions...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Add error = %v, want it to contain %q", err, tt.wantErr)
			}
			if n := len(r.All()); n != 0 {
				t.Errorf("a refused Add registered %d actions", n)
			}
		})
	}
}

func TestRegistryAllSorted(t *testing.T) {
	t.Parallel()
	mk := func(name string) *Action {
		return New(name, "T", "D.", func(context.Context, greetInput) (greetOutput, error) { return greetOutput{}, nil })
	}
	r, err := NewRegistry(mk("b"), mk("c"), mk("a"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range r.All() {
		names = append(names, a.Name)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, names); diff != "" {
		t.Errorf("All order (-want +got):\n%s", diff)
	}
	if a, ok := r.Get("b"); !ok || a.Name != "b" {
		t.Errorf("Get(b) = %v, %v", a, ok)
	}
}

func TestInferredSchema(t *testing.T) {
	t.Parallel()
	a := greetAction()
	b, err := json.Marshal(a.Input.Properties["tags"])
	if err != nil {
		t.Fatal(err)
	}
	// Nullable unions are flattened: Botpress and OpenAPI get a plain type.
	if diff := cmp.Diff(`{"type":"array","items":{"type":"string"},"title":"Tags","description":"Labels to attach."}`, string(b)); diff != "" {
		t.Errorf("tags schema (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"name"}, a.Input.Required); diff != "" {
		t.Errorf("required (-want +got):\n%s", diff)
	}
	if !a.ReadOnly || !a.Idempotent || a.Destructive {
		t.Errorf("flags = ro %v idem %v destr %v", a.ReadOnly, a.Idempotent, a.Destructive)
	}
}

func TestHumanize(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"companyId":        "Company ID",
		"insertsKeys":      "Inserts Keys",
		"upsertedIds":      "Upserted IDs",
		"_currency":        "Currency",
		"deletedCount":     "Deleted Count",
		"cId":              "C ID",
		"companyID":        "Company ID",
		"nps":              "NPS",
		"HTMLBody":         "HTML Body",
		"firstName":        "First Name",
		"sourceId":         "Source ID",
		"permissionErrors": "Permission Errors",
	}
	for in, want := range tests {
		if got := humanize(in); got != want {
			t.Errorf("humanize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCallWithoutInput(t *testing.T) {
	t.Parallel()
	type optional struct {
		Limit int `json:"limit,omitempty" jsonschema:"An optional limit."`
	}
	a := New("count", "Count", "Echoes the limit.", func(_ context.Context, in optional) (optional, error) { return in, nil })
	for _, input := range []string{"", "  ", "null", "{}", `{"limit":null}`} {
		out, err := a.call(t.Context(), Deps{}, json.RawMessage(input))
		if err != nil || string(out) != `{}` {
			t.Errorf("Call(%q) = %s, %v; want {}", input, out, err)
		}
	}
}
