package botpress_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"

	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/botpress/botpressemu"
)

// greeter is a one-action integration.
type greeter struct {
	botpress.UnimplementedIntegration
}

func (greeter) Action(ctx context.Context, req *botpress.Request, name string, input json.RawMessage) (any, error) {
	if name != "greet" {
		return nil, botpress.InvalidPayloadError("Action " + name + " not found")
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(input, &in); err != nil || in.Name == "" {
		return nil, botpress.RuntimeError(`Input "name" is required: pass the person's name.`)
	}
	return map[string]string{"greeting": "Hello, " + in.Name}, nil
}

func ExampleNewHandler() {
	srv := httptest.NewServer(botpress.NewHandler(greeter{}, botpress.HandlerOptions{}))
	defer srv.Close()

	// The emulator sends action_triggered exactly as Botpress Cloud would.
	bp := botpressemu.New()
	resp, _ := bp.CallAction(context.Background(), srv.URL, map[string]string{}, "greet", map[string]string{"name": "Ada"})
	fmt.Println(resp.Status, string(resp.Body))

	resp, _ = bp.CallAction(context.Background(), srv.URL, map[string]string{}, "greet", map[string]string{})
	e := resp.APIError()
	fmt.Println(resp.Status, e.Type, e.Message)
	// Output:
	// 200 {"output":{"greeting":"Hello, Ada"},"meta":{"cost":0}}
	// 400 Runtime Input "name" is required: pass the person's name.
}

func ExampleRuntimeError() {
	err := botpress.RuntimeError("The Planhat token was rejected. Create a new one under Settings › Private Apps.")
	fmt.Println(err.Code, err.Type)
	// Output: 400 Runtime
}

func ExampleDecodeConfiguration() {
	cfg, _ := botpress.DecodeConfiguration("eyJhcGlUb2tlbiI6InQifQ") // unpadded base64
	fmt.Println(string(cfg))
	empty, _ := botpress.DecodeConfiguration("")
	fmt.Println(string(empty))
	// Output:
	// {"apiToken":"t"}
	// {}
}

func ExampleLintDefinition() {
	def := &botpress.Definition{
		Name: "acme/crm", Version: "1.0.0", Title: "Acme CRM", Description: "Acme CRM records for your bot.",
		Icon: []byte("<svg/>"), Readme: []byte("# Acme"), Attributes: map[string]string{"category": "CRM & Sales"},
		Configuration: &botpress.ConfigurationDefinition{Schema: json.RawMessage(`{"type":"object","properties":{}}`)},
		Actions: map[string]*botpress.ActionDefinition{"getRecord": {
			Title: "Get Record", Description: "Fetch one record",
			Input:  botpress.SchemaRef{Schema: json.RawMessage(`{"type":"object","properties":{"id":{"type":"string","description":"Record id"}}}`)},
			Output: botpress.SchemaRef{Schema: json.RawMessage(`{"type":"object"}`)},
		}},
	}
	for _, err := range botpress.LintDefinition(def) {
		fmt.Println(err)
	}
	// Output: actions.getRecord.input.schema.properties.id: add a title ("x-zui": {"title": ...})
}

func ExampleClient_GetOrCreateUser() {
	bp := botpressemu.New()
	srv := httptest.NewServer(bp.Handler())
	defer srv.Close()
	bp.URL = srv.URL

	client, err := botpress.NewClient(bp.ClientOptions())
	if err != nil {
		fmt.Println(err)
		return
	}
	u, _ := client.GetOrCreateUser(context.Background(), botpress.GetOrCreateUserInput{Tags: map[string]string{"email": "ada@example.com"}, Name: "Ada"})
	fmt.Println(u.Name, u.Tags["email"])
	// Output: Ada ada@example.com
}
