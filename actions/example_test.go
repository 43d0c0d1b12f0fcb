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
	out, err := reg.Call(context.Background(), "greet", json.RawMessage(`{"name":"Ann"}`))
	fmt.Println(string(out), err)

	_, err = reg.Call(context.Background(), "greet", json.RawMessage(`{"nmae":"Ann"}`))
	info := actions.Classify(err)
	fmt.Println(info.Code, info.UserFixable)
	fmt.Println(info.Message)
	// Output:
	// {"greeting":"Hello, Ann!"} <nil>
	// invalid_input true
	// The input is invalid: name: required; nmae: unknown field: remove it (accepted fields: name). Fix it and call greet again.
}

// ExampleRegistry_Call runs a Planhat action against the in-process
// emulator: the door puts a Planhat client into the context, the registry
// validates the input and shapes the output.
func ExampleRegistry_Call() {
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
	ctx := actions.WithPlanhat(context.Background(), client)

	out, err := reg.Call(ctx, "findCompany", json.RawMessage(`{"externalId":"acme-42"}`))
	if err != nil {
		fmt.Println(actions.Classify(err).Message)
		return
	}
	var found struct {
		Found   bool
		Company struct{ Name, ExternalID string }
	}
	_ = json.Unmarshal(out, &found)
	fmt.Println(found.Found, found.Company.Name)

	_, err = reg.Call(ctx, "getCompany", json.RawMessage(`{"externalId":"nobody"}`))
	fmt.Println(actions.Classify(err).Code)
	// Output:
	// true Acme
	// not_found
}

// ExampleClassify shows the answer every door gives when Planhat rejects the
// configured token: a stable code and advice, never the token.
func ExampleClassify() {
	err := fmt.Errorf("getting company: %w", &planhat.APIError{StatusCode: 401, Method: "GET", Path: "/companies/extid-acme"})
	info := actions.Classify(err)
	fmt.Println(info.Code, info.UserFixable, info.Retryable)
	fmt.Println(info.Message)

	info = actions.Classify(errors.New("something nobody anticipated"))
	fmt.Println(info.Code, info.HTTPStatus)
	// Output:
	// unauthorized true false
	// Planhat rejected the API token: create one under Settings > Private Apps and paste it into the integration's configuration; if the token is right, check the region: a token only works on its own cluster (api-eu.planhat.com for app-eu.planhat.com, api-us2.planhat.com for app-us2, and so on).
	// internal 500
}
