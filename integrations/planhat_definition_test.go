package integrations_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/integrations"
	"github.com/planbridge/planbridge/internal/golden"
)

func definition(t *testing.T) (*botpress.Definition, *actions.Registry) {
	t.Helper()
	reg, err := actions.PlanhatRegistry()
	if err != nil {
		t.Fatal(err)
	}
	def, err := integrations.PlanhatDefinition(reg, "https://bridge.example.com/botpress/planhat/s3cret")
	if err != nil {
		t.Fatal(err)
	}
	return def, reg
}

func TestPlanhatDefinitionLints(t *testing.T) {
	t.Parallel()
	def, _ := definition(t)
	for _, err := range botpress.LintDefinition(def) {
		t.Error(err)
	}
}

func TestPlanhatDefinitionContents(t *testing.T) {
	t.Parallel()
	def, reg := definition(t)
	raw, err := def.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var wire struct {
		Name, Version, Title, Description, Icon, Readme, URL string
		Configuration                                        struct {
			Schema struct {
				Properties map[string]map[string]any `json:"properties"`
				Required   []string                  `json:"required"`
			} `json:"schema"`
		} `json:"configuration"`
		Actions map[string]json.RawMessage `json:"actions"`
		Events  map[string]json.RawMessage `json:"events"`
		States  map[string]json.RawMessage `json:"states"`
		User    struct {
			Tags map[string]json.RawMessage `json:"tags"`
		} `json:"user"`
	}
	if err := json.Unmarshal(raw, &wire); err != nil {
		t.Fatal(err)
	}
	if wire.Name != "planhat" || wire.Version != integrations.PlanhatVersion || wire.URL == "" {
		t.Errorf("identity: %q %q %q", wire.Name, wire.Version, wire.URL)
	}
	icon, err := base64.StdEncoding.DecodeString(wire.Icon)
	if err != nil || !bytes.HasPrefix(icon, []byte("<svg")) {
		t.Errorf("icon is not base64 SVG: %v", err)
	}
	readme, err := base64.StdEncoding.DecodeString(wire.Readme)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range reg.All() {
		if _, ok := wire.Actions[a.Name]; !ok {
			t.Errorf("definition lacks action %s", a.Name)
		}
		if !bytes.Contains(readme, []byte("`"+a.Name+"`")) {
			t.Errorf("readme does not document %s", a.Name)
		}
	}
	if len(wire.Actions) != len(reg.All()) {
		t.Errorf("definition has %d actions, registry %d", len(wire.Actions), len(reg.All()))
	}
	for _, section := range []string{"## Configuration", "## Actions", "## Events", "## Limits", "## Changelog", "Settings › Private Apps", "Webhook Secret"} {
		if !bytes.Contains(readme, []byte(section)) {
			t.Errorf("readme lacks %q", section)
		}
	}
	// Secrets are marked; the checklist's bot name and avatar are present.
	props := wire.Configuration.Schema.Properties
	for _, secret := range []string{"apiToken", "tenantToken", "webhookSecret"} {
		if z, _ := props[secret]["x-zui"].(map[string]any); z["secret"] != true {
			t.Errorf("%s is not marked secret", secret)
		}
	}
	for _, f := range []string{"region", "apiUrl", "botName", "botAvatarUrl"} {
		if props[f] == nil {
			t.Errorf("configuration lacks %s", f)
		}
	}
	if diff := cmp.Diff([]string{"apiToken"}, wire.Configuration.Schema.Required); diff != "" {
		t.Errorf("required (-want +got):\n%s", diff)
	}
	for _, ev := range []string{"companyUpdated", "endUserCreated", "conversationCreated", "planhatEvent"} {
		if _, ok := wire.Events[ev]; !ok {
			t.Errorf("definition lacks event %s", ev)
		}
	}
	if _, ok := wire.States[integrations.PlanhatStateName]; !ok || len(wire.User.Tags) == 0 {
		t.Error("definition lacks the state or user tags")
	}
	// Action schemas are draft 7: no 2020-12 leftovers.
	if bytes.Contains(raw, []byte(`"$defs"`)) || bytes.Contains(raw, []byte(`"not": {}`)) {
		t.Error("definition carries 2020-12 keywords")
	}
}

// TestPlanhatConfigurationGolden pins the installation form: changing it
// changes what every bot builder sees, so it is reviewed as a diff
// (go test ./integrations -run Golden -update).
func TestPlanhatConfigurationGolden(t *testing.T) {
	t.Parallel()
	got, err := json.MarshalIndent(integrations.PlanhatConfigurationSchema(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden.Check(t, filepath.Join("testdata", "planhat_configuration.golden.json"), got)
	if strings.Contains(string(got), "\"secret\": false") {
		t.Error("a field is explicitly not secret")
	}
}

// TestPlanhatReadmeHeadings checks that every heading of hub.md is spaced
// once between words, and that each action group heads its own section
// under its own name.
func TestPlanhatReadmeHeadings(t *testing.T) {
	t.Parallel()
	def, reg := definition(t)
	headings := map[string]bool{}
	for line := range strings.Lines(string(def.Readme)) {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimRight(line, "\n")
		if strings.Contains(line, "  ") {
			t.Errorf("heading %q has a double space", line)
		}
		headings[line] = true
	}
	missing := map[string]bool{}
	for _, a := range reg.All() {
		if h := "### " + a.Group; a.Group != "" && !headings[h] && !missing[h] {
			missing[h] = true
			t.Errorf("hub.md has no heading %q for the group of %s", h, a.Name)
		}
	}
}

// TestPlanhatReadmeChecklist checks that hub.md carries the seven items of
// Botpress's publication checklist word for word, each ticked and followed
// by the reason it holds, and that no item is left unticked.
func TestPlanhatReadmeChecklist(t *testing.T) {
	t.Parallel()
	def, _ := definition(t)
	readme := string(def.Readme)
	items := []string{
		"The register handler is implemented and validates the configuration.",
		"Title and descriptions for all schemas are present in `integration.definition.ts`.",
		"Events store `conversationId`, `userId` and `messageId` when available.",
		"Implement events & actions that are related to `channels`, `entities`, `user`, `conversations` and `messages`.",
		"Events related to messages are implemented as messages.",
		"When an action is required by the bot developer, a `RuntimeError` is thrown with instructions to fix the problem.",
		"Bot name and bot avatar URL fields are available in the integration configuration.",
	}
	_, section, ok := strings.Cut(readme, "## Integration publication checklist\n")
	if !ok {
		t.Fatal("hub.md has no publication checklist section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	if strings.Contains(section, "- [ ]") {
		t.Error("hub.md leaves a checklist item unticked")
	}
	for _, item := range items {
		_, after, ok := strings.Cut(section, "- [x] "+item+"\n")
		if !ok {
			t.Errorf("hub.md lacks the ticked item %q", item)
			continue
		}
		// The justification is the indented text right under the item.
		if !strings.HasPrefix(after, "  ") || len(strings.Fields(strings.SplitN(after, "\n- [", 2)[0])) < 8 {
			t.Errorf("item %q is ticked without saying why", item)
		}
	}
	if n := strings.Count(section, "- [x] "); n != len(items) {
		t.Errorf("checklist has %d ticked items, want %d", n, len(items))
	}
}

func TestQualifiedName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		handle  string
		want    string
		wantErr bool
	}{
		{"", "planhat", false},
		{"acme", "acme/planhat", false},
		{"acme-corp-2", "acme-corp-2/planhat", false},
		{"9lives", "9lives/planhat", false},
		{"Acme", "", true},
		{"-acme", "", true},
		{"acme/x", "", true},
		{"acme_corp", "", true},
		{"acme corp", "", true},
		{" acme", "", true},
		{"acmé", "", true},
	}
	for _, tt := range tests {
		got, err := integrations.QualifiedName(tt.handle, integrations.PlanhatName)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("QualifiedName(%q) = %q, %v; want %q, error %v", tt.handle, got, err, tt.want, tt.wantErr)
		}
		if err == nil {
			def, _ := definition(t)
			def.Name = got
			for _, e := range botpress.LintDefinition(def) {
				t.Errorf("%q: %v", got, e)
			}
		}
	}
}
