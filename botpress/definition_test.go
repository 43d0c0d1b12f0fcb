package botpress_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/jsonschema-go/jsonschema"
	"github.com/planbridge/planbridge/botpress"
)

func zuiProp(typ, title, desc string) map[string]any {
	return map[string]any{"type": typ, "description": desc, "x-zui": map[string]any{"title": title}}
}

func objectSchema(props map[string]any, required ...string) map[string]any {
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// cleanDefinition is a small but complete definition that passes the lint.
func cleanDefinition() *botpress.Definition {
	secret := zuiProp("string", "API Token", "Your Planhat API token (Settings › Private Apps)")
	secret["x-zui"].(map[string]any)["secret"] = true
	secret["minLength"] = 1
	tag := func(title, desc string) *botpress.TagDefinition {
		return &botpress.TagDefinition{Title: title, Description: desc}
	}
	return &botpress.Definition{
		Name:        "planbridge/planhat",
		Version:     "1.2.0",
		Title:       "Planhat",
		Description: "Read and write Planhat customer-success data from your bot.",
		Icon:        []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`),
		Readme:      []byte("# Planhat\n"),
		Attributes:  map[string]string{"category": "CRM & Sales"},
		URL:         "https://bridge.example.com/botpress/planhat",
		Configuration: &botpress.ConfigurationDefinition{Schema: objectSchema(map[string]any{
			"apiToken": secret,
			"apiUrl":   zuiProp("string", "API URL", "Planhat API base URL; leave empty for https://api.planhat.com"),
		}, "apiToken")},
		Actions: map[string]*botpress.ActionDefinition{
			"getAsset": {
				Title: "Get Asset", Description: "Fetch one asset by id, extid- or srcid-",
				Input: botpress.SchemaRef{Schema: objectSchema(map[string]any{"assetId": zuiProp("string", "Asset ID", "The asset's id")}, "assetId")},
				Output: botpress.SchemaRef{Schema: &jsonschema.Schema{Type: "object", Properties: map[string]*jsonschema.Schema{
					"id":   {Type: "string", Title: "ID", Description: "Planhat id"},
					"tags": {Type: "array", Title: "Tags", Description: "Labels", Items: &jsonschema.Schema{Type: "object", Properties: map[string]*jsonschema.Schema{"name": {Type: "string", Title: "Name", Description: "Label name"}}}},
				}}},
			},
		},
		Events: map[string]*botpress.EventDefinition{
			"companyCreated": {Title: "Company Created", Description: "A company was created in Planhat",
				Schema: objectSchema(map[string]any{"companyId": zuiProp("string", "Company ID", "The new company's id")})},
		},
		Channels: map[string]*botpress.ChannelDefinition{
			"hitl": {Title: "HITL", Description: "Human hand-off conversations",
				Messages:     map[string]*botpress.MessageDefinition{"text": {Schema: objectSchema(map[string]any{"text": zuiProp("string", "Text", "Message text")})}},
				Conversation: &botpress.TagsDefinition{Tags: map[string]*botpress.TagDefinition{"id": tag("Ticket ID", "Planfix task id")}},
				Message:      &botpress.TagsDefinition{Tags: map[string]*botpress.TagDefinition{"id": tag("Message ID", "Planfix message id")}},
			},
		},
		States: map[string]*botpress.StateDefinition{
			"webhooks": {Type: botpress.StateIntegration, Schema: objectSchema(map[string]any{"ids": map[string]any{"type": "array", "title": "IDs", "description": "Webhook ids", "items": map[string]any{"type": "string"}}})},
		},
		User:    &botpress.UserDefinition{Tags: map[string]*botpress.TagDefinition{"email": tag("Email", "The user's email")}},
		Secrets: map[string]*botpress.SecretDefinition{"SIGNING_KEY": {Description: "Key used to sign outgoing webhooks"}},
	}
}

func TestLintCleanDefinition(t *testing.T) {
	t.Parallel()
	if errs := botpress.LintDefinition(cleanDefinition()); errs != nil {
		t.Fatalf("clean definition has lint errors:\n%v", errors.Join(errs...))
	}
}

func TestDefinitionJSONGolden(t *testing.T) {
	t.Parallel()
	b, err := cleanDefinition().JSON()
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "definition.golden.json", append(b, '\n'))
	var wire map[string]any
	if err := json.Unmarshal(b, &wire); err != nil {
		t.Fatal(err)
	}
	if wire["icon"] != "PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=" || wire["readme"] != "IyBQbGFuaGF0Cg==" {
		t.Errorf("icon/readme not base64: %v %v", wire["icon"], wire["readme"])
	}
}

// upstreamLikeDefinition mimics the upstream Planhat integration's problems
// (spec §6) plus the maintainers' merge-checklist violations.
func upstreamLikeDefinition() *botpress.Definition {
	return &botpress.Definition{
		Name:    "plus/planhat",
		Version: "0.1",
		Icon:    []byte("PNG..."),
		Configuration: &botpress.ConfigurationDefinition{Schema: objectSchema(map[string]any{
			"apiToken": zuiProp("string", "API Token", "Your Planhat API Token"),
		})},
		Actions: map[string]*botpress.ActionDefinition{
			"bulkUpsertAssets": {
				Title: "Bulk Upsert Assets",
				Input: botpress.SchemaRef{Schema: objectSchema(map[string]any{"assets": map[string]any{"type": "array", "description": "Assets", "x-zui": map[string]any{"title": "Assets"}}})},
				Output: botpress.SchemaRef{Schema: objectSchema(map[string]any{
					"created":     map[string]any{"type": "number", "description": "Created count"},
					"insertsKeys": map[string]any{"type": "array", "description": "Inserted keys", "items": objectSchema(map[string]any{"id": map[string]any{"type": "string"}})},
				})},
			},
			"bad name": {Title: "x", Description: "y", Input: botpress.SchemaRef{Schema: map[string]any{"type": "string"}}},
		},
		Channels: map[string]*botpress.ChannelDefinition{
			"channel": {Title: "Channel", Description: "Chat", Messages: map[string]*botpress.MessageDefinition{"markdown": {Schema: objectSchema(nil)}}},
		},
		States:  map[string]*botpress.StateDefinition{"s": {Type: "global", Schema: objectSchema(nil)}},
		User:    &botpress.UserDefinition{Tags: map[string]*botpress.TagDefinition{"email": {}}},
		Secrets: map[string]*botpress.SecretDefinition{"KEY": {}},
	}
}

func TestLintFindsProblemsGolden(t *testing.T) {
	t.Parallel()
	errs := botpress.LintDefinition(upstreamLikeDefinition())
	var lines []string
	for _, err := range errs {
		var le *botpress.LintError
		if !errors.As(err, &le) {
			t.Fatalf("%T is not *LintError", err)
		}
		lines = append(lines, le.Rule+"\t"+le.Error())
	}
	checkGolden(t, "lint_upstream.golden.txt", []byte(strings.Join(lines, "\n")+"\n"))
}

func TestLintRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		edit     func(*botpress.Definition)
		wantRule string
		wantPath string
	}{
		{"missing title", func(d *botpress.Definition) { d.Title = "" }, "title", "title"},
		{"missing readme", func(d *botpress.Definition) { d.Readme = nil }, "readme", "readme"},
		{"icon not svg", func(d *botpress.Definition) { d.Icon = []byte("GIF89a") }, "icon", "icon"},
		{"bad version", func(d *botpress.Definition) { d.Version = "v1" }, "version", "version"},
		{"upper-case name", func(d *botpress.Definition) { d.Name = "Planhat" }, "name", "name"},
		{"no category", func(d *botpress.Definition) { d.Attributes = nil }, "category", "attributes.category"},
		{"relative url", func(d *botpress.Definition) { d.URL = "/botpress" }, "url", "url"},
		{"no configuration", func(d *botpress.Definition) { d.Configuration = nil }, "configuration", "configuration"},
		{"action without description", func(d *botpress.Definition) { d.Actions["getAsset"].Description = " " }, "description", "actions.getAsset.description"},
		{"action without output schema", func(d *botpress.Definition) { d.Actions["getAsset"].Output.Schema = nil }, "schema", "actions.getAsset.output.schema"},
		{"nested property without title", func(d *botpress.Definition) {
			d.Actions["getAsset"].Output.Schema.(*jsonschema.Schema).Properties["tags"].Items.Properties["name"].Title = ""
		}, "property-title", "actions.getAsset.output.schema.properties.tags.items.properties.name"},
		{"event property without description", func(d *botpress.Definition) {
			d.Events["companyCreated"].Schema = objectSchema(map[string]any{"x": map[string]any{"type": "string", "title": "X"}})
		}, "property-description", "events.companyCreated.schema.properties.x"},
		{"unmarked secret", func(d *botpress.Definition) {
			d.Configuration.Schema = objectSchema(map[string]any{"clientSecret": zuiProp("string", "Secret", "OAuth secret")})
		}, "secret", "configuration.schema.properties.clientSecret"},
		{"state type", func(d *botpress.Definition) { d.States["webhooks"].Type = "global" }, "state-type", "states.webhooks.type"},
		{"tag without title", func(d *botpress.Definition) { d.User.Tags["email"].Title = "" }, "title", "user.tags.email.title"},
		{"channel named channel", func(d *botpress.Definition) { d.Channels["channel"] = d.Channels["hitl"] }, "channel-name", "channels.channel"},
		{"markdown message", func(d *botpress.Definition) {
			d.Channels["hitl"].Messages["markdown"] = &botpress.MessageDefinition{Schema: objectSchema(nil)}
		}, "markdown", "channels.hitl.messages.markdown"},
		{"anyOf branch property", func(d *botpress.Definition) {
			d.Events["companyCreated"].Schema = map[string]any{"type": "object", "anyOf": []any{objectSchema(map[string]any{"y": map[string]any{"type": "string", "description": "Y"}})}}
		}, "property-title", "events.companyCreated.schema.anyOf.0.properties.y"},
		{"interface maps to undeclared action", func(d *botpress.Definition) {
			d.Interfaces = map[string]*botpress.InterfaceImplementation{"hitl<ticket>": {ID: "intf_1", Name: "hitl", Version: "2.1.0", Actions: map[string]botpress.NameRef{"startHitl": {Name: "startHitl"}}}}
		}, "interface", "interfaces.hitl<ticket>.actions.startHitl"},
		{"top-level schema not object", func(d *botpress.Definition) { d.Events["companyCreated"].Schema = map[string]any{"type": "string"} }, "schema-object", "events.companyCreated.schema.type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := cleanDefinition()
			tt.edit(d)
			errs := botpress.LintDefinition(d)
			var got []string
			for _, err := range errs {
				le := err.(*botpress.LintError)
				got = append(got, le.Rule+" @ "+le.Path)
			}
			if diff := cmp.Diff([]string{tt.wantRule + " @ " + tt.wantPath}, got); diff != "" {
				t.Errorf("lint errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLintNil(t *testing.T) {
	t.Parallel()
	if errs := botpress.LintDefinition(nil); len(errs) != 1 {
		t.Errorf("nil definition: %v", errs)
	}
}
