package actions_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/planhat/planhatemu"
)

type greetInput struct {
	Name string `json:"name" jsonschema:"Who to greet."`
}

type greetOutput struct {
	Greeting string `json:"greeting" jsonschema:"The greeting."`
}

// Example builds an action from a plain function, registers it and calls it
// with JSON, as every door does; invalid input is refused field by field.
func Example() {
	greet := actions.New("greet", "Greet", "Greets someone by name.",
		func(ctx context.Context, in greetInput) (greetOutput, error) {
			return greetOutput{Greeting: "Hello, " + in.Name + "!"}, nil
		}, actions.ReadOnly())
	reg, err := actions.NewRegistry(greet)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	out, failure := reg.Invoke(ctx, actions.Invocation{Door: "example", Action: "greet", Input: json.RawMessage(`{"name":"Ann"}`)})
	fmt.Println(string(out), failure == nil)

	_, failure = reg.Invoke(ctx, actions.Invocation{Door: "example", Action: "greet", Input: json.RawMessage(`{"nmae":"Ann"}`)})
	fmt.Println(failure.Code, failure.UserFixable)
	fmt.Println(failure.Message)
	// Output:
	// {"greeting":"Hello, Ann!"} true
	// invalid_input true
	// The input is invalid: name: required; nmae: unknown field: remove it (accepted fields: name). Fix it and call greet again.
}

// ExampleRegistry_Invoke runs a Planhat action against the in-process
// emulator: the door hands its Planhat client over in Deps, the registry
// validates the input, runs the action and classifies any failure.
func ExampleRegistry_Invoke() {
	emu := planhatemu.New(planhatemu.WithToken("demo-token"), planhatemu.WithRateLimit(1000, time.Minute))
	hs := httptest.NewServer(emu.Handler())
	defer hs.Close()
	emu.Insert("companies", map[string]any{"name": "Acme", "externalId": "acme-42"})

	client, err := planhat.NewClient(planhat.Options{Token: "demo-token", BaseURL: hs.URL, AnalyticsURL: hs.URL})
	if err != nil {
		fmt.Println(err)
		return
	}
	reg, err := actions.PlanhatRegistry()
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, deps := context.Background(), actions.Deps{Planhat: client}

	out, failure := reg.Invoke(ctx, actions.Invocation{Door: "example", Action: "findCompany", Deps: deps, Input: json.RawMessage(`{"externalId":"acme-42"}`)})
	if failure != nil {
		fmt.Println(failure.Message)
		return
	}
	var found struct {
		Found   bool
		Company struct{ Name, ExternalID string }
	}
	_ = json.Unmarshal(out, &found)
	fmt.Println(found.Found, found.Company.Name)

	_, failure = reg.Invoke(ctx, actions.Invocation{Door: "example", Action: "getCompany", Deps: deps, Input: json.RawMessage(`{"externalId":"nobody"}`)})
	fmt.Println(failure.Code)
	// Output:
	// true Acme
	// not_found
}

// ExampleClassify shows the answer every door gives when Planhat rejects the
// configured token: a stable code and advice in the door's own words, never
// the token.
func ExampleClassify() {
	err := fmt.Errorf("getting company: %w", &planhat.APIError{StatusCode: 401, Method: "GET", Path: "/companies/extid-acme"})
	cli := &actions.Wording{Token: "set PLANHAT_TOKEN", Region: "PLANHAT_REGION or PLANHAT_API_URL", Where: "planbridge", Operator: "planbridge's maintainers"}
	info := actions.Classify(err, cli)
	fmt.Println(info.Code, info.UserFixable, info.Retryable, info.Code.Spec().Exit)
	fmt.Println(info.Message)

	info = actions.Classify(errors.New("something nobody anticipated"), nil)
	fmt.Println(info.Code, info.HTTPStatus())
	// Output:
	// unauthorized true false 4
	// Planhat rejected the API token: create one under Settings > Private Apps and set PLANHAT_TOKEN; if the token is right, check the region (PLANHAT_REGION or PLANHAT_API_URL): a token only works on its own cluster (api-eu.planhat.com for app-eu.planhat.com, api-us2.planhat.com for app-us2, and so on).
	// internal 500
}
