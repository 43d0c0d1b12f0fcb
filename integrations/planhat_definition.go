package integrations

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"text/template"

	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/botpress"
)

//go:embed planhat_assets/icon.svg
var planhatIcon []byte

//go:embed planhat_assets/hub.md.tmpl
var planhatReadmeTemplate string

// PlanhatDefinition builds the createIntegration body of the planhat
// integration: identity, icon, README, configuration, every action of reg,
// the webhook events, states and user tags. url, when set, is where
// Botpress sends operations (the public address of POST /botpress/planhat).
func PlanhatDefinition(reg *actions.Registry, url string) (*botpress.Definition, error) {
	all := reg.All()
	readme, err := planhatReadme(all)
	if err != nil {
		return nil, err
	}
	def := &botpress.Definition{
		Name:        PlanhatName,
		Version:     PlanhatVersion,
		Title:       "Planhat",
		Description: "Read and update Planhat customer-success data (companies, end users, conversations, assets, licenses, tasks and more), track user activity and react to Planhat automations.",
		Icon:        planhatIcon,
		Readme:      readme,
		Attributes:  map[string]string{"category": "CRM & Sales", "repo": "planbridge"},
		URL:         url,
		Configuration: &botpress.ConfigurationDefinition{
			Schema: PlanhatConfigurationSchema(),
		},
		Actions: make(map[string]*botpress.ActionDefinition, len(all)),
		Events:  make(map[string]*botpress.EventDefinition),
		States: map[string]*botpress.StateDefinition{
			PlanhatStateName: {
				Type: botpress.StateIntegration,
				Schema: objectSchema(map[string]any{
					"apiHost":          stringProp("API Host", "The Planhat API host the configuration was validated against."),
					"tokenFingerprint": stringProp("Token Fingerprint", "The first 12 hex digits of the API token's SHA-256, to tell which token is in use without revealing it."),
					"validatedAt":      stringProp("Validated At", "When register last validated the configuration (RFC 3339)."),
				}, "apiHost", "tokenFingerprint", "validatedAt"),
			},
		},
		User: &botpress.UserDefinition{Tags: map[string]*botpress.TagDefinition{
			"endUserId": {Title: "Planhat End User ID", Description: "The Planhat _id of the end user this Botpress user is, set when a Planhat webhook links them (botpressUserId in an endUser automation)."},
			"companyId": {Title: "Planhat Company ID", Description: "The Planhat _id of the company the linked end user belongs to."},
		}},
	}
	for _, a := range all {
		ad := &botpress.ActionDefinition{
			Title:       a.Title,
			Description: a.Description,
			Input:       botpress.SchemaRef{Schema: draft7(a.Input)},
			Output:      botpress.SchemaRef{Schema: draft7(a.Output)},
		}
		def.Actions[a.Name] = ad
	}
	for _, name := range planhatEventNames() {
		def.Events[name] = planhatEventDefinition(name)
	}
	return def, nil
}

// workspaceHandleRE is what Botpress accepts as a workspace handle, the
// same shape LintDefinition checks in front of the "/".
var workspaceHandleRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// QualifiedName returns name as published from the workspace with the
// given handle: "<handle>/<name>", or name alone when handle is empty.
// Botpress requires the prefix outside its own workspace (spec §4.1), so a
// definition without it cannot be created there.
func QualifiedName(handle, name string) (string, error) {
	if handle == "" {
		return name, nil
	}
	if !workspaceHandleRE.MatchString(handle) {
		return "", fmt.Errorf("workspace handle %q is not valid: give the handle of your Botpress workspace alone (lower-case letters, digits and hyphens, starting with a letter or digit, e.g. acme-corp), without a slash or the integration name", handle)
	}
	return handle + "/" + name, nil
}

// PlanhatStateName is the integration state register writes.
const PlanhatStateName = "planhatConnection"

// PlanhatConfigurationSchema is the installation form: JSON Schema draft 7
// with Botpress's x-zui titles and secret marks.
func PlanhatConfigurationSchema() map[string]any {
	secret := func(title, desc string) map[string]any {
		p := stringProp(title, desc)
		p["x-zui"].(map[string]any)["secret"] = true
		return p
	}
	props := map[string]any{
		"apiToken": secret("API Token",
			"A Planhat API Access Token: in Planhat open Settings > Private Apps, create or open a Private App, generate a token and paste it here. It is shown once and never expires."),
		"region": stringProp("Region",
			`Your Planhat region: the part after "app-" in the address you sign in at ("eu" for app-eu.planhat.com, "us2" for app-us2.planhat.com). Leave empty for app.planhat.com.`),
		"apiUrl": stringProp("API URL",
			"Advanced: the Planhat API base URL, when Region is not enough. Must be https on a planhat.com host (the server operator can allow others). Leave empty normally."),
		"analyticsUrl": stringProp("Analytics URL",
			"Advanced: the Planhat analytics host for activity tracking and metrics; https://analytics.planhat.com when empty, which is right for every region."),
		"tenantToken": secret("Tenant Token",
			"Optional: your Planhat tenant UUID, needed only to track user activity and push metrics. It is the last part of your tracking script URL https://analytics.planhat.com/analytics/<tenant token>."),
		"webhookSecret": secret("Webhook Secret",
			"Optional: a random string of at least 16 characters (e.g. from \"openssl rand -hex 16\") that Planhat automations must send in the X-Webhook-Secret header or as the first path segment of the webhook URL. Webhooks are refused while it is empty."),
		"botName": stringProp("Bot Name",
			"Optional: the bot's display name. When you save the configuration, the bot's Botpress user gets this name, so conversations and events linked to Planhat show it. Planhat itself has no chat in which the bot speaks."),
		"botAvatarUrl": stringProp("Bot Avatar URL",
			"Optional: an https URL of the bot's picture. When you save the configuration, the bot's Botpress user gets this picture."),
		"rateLimit": stringProp("Rate Limit",
			"Advanced: how many Planhat calls this token may make, as calls per window such as 180/60s (Planhat allows about 200 a minute per tenant). Leave empty for the server's default (180/60s). Interactive calls from the bot go before background work, and repeated reads are answered from a short-lived cache."),
	}
	props["apiToken"].(map[string]any)["minLength"] = 1
	props["botAvatarUrl"].(map[string]any)["format"] = "uri"
	s := objectSchema(props, "apiToken")
	return s
}

// planhatEventDefinition documents one event.
func planhatEventDefinition(name string) *botpress.EventDefinition {
	title, desc := "Planhat Event", "A Planhat automation webhook that does not name a known model and action (created, updated, deleted of company, endUser, conversation, asset, license, opportunity, task or ticket). The payload carries what was sent."
	if name != GenericPlanhatEvent {
		stem, verb := splitEventName(name)
		title = humanTitle(stem) + " " + verb
		desc = fmt.Sprintf("A Planhat %s was %s: sent by a Planhat automation to the integration's webhook URL (path /%s/%s, or \"model\" and \"action\" in the body).",
			strings.ToLower(humanTitle(stem)), strings.ToLower(verb), stem, strings.ToLower(verb))
	}
	return &botpress.EventDefinition{Title: title, Description: desc, Schema: objectSchema(map[string]any{
		"model":      stringProp("Model", "The Planhat model as the automation named it, e.g. company or endUser."),
		"action":     stringProp("Action", "What happened: created, updated, deleted, or the automation's own word."),
		"objectId":   stringProp("Object ID", "The record's Planhat _id, when the webhook carried one."),
		"companyId":  stringProp("Company ID", "The Planhat _id of the company the record belongs to, when known."),
		"externalId": stringProp("External ID", "The record's externalId, when present."),
		"object": map[string]any{"type": "object", "additionalProperties": true, "description": "The record as the automation sent it.",
			"title": "Object", "x-zui": map[string]any{"title": "Object"}},
		"receivedAt": stringProp("Received At", "When planbridge received the webhook (RFC 3339)."),
	}, "model", "action", "object", "receivedAt")}
}

func splitEventName(name string) (stem, verb string) {
	for _, v := range []string{"Created", "Updated", "Deleted"} {
		if s, ok := strings.CutSuffix(name, v); ok {
			return s, v
		}
	}
	return name, ""
}

// humanTitle turns "endUser" into "End User".
func humanTitle(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i == 0 {
			b.WriteString(strings.ToUpper(string(r)))
			continue
		}
		if r >= 'A' && r <= 'Z' {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func stringProp(title, description string) map[string]any {
	return map[string]any{"type": "string", "title": title, "description": description, "x-zui": map[string]any{"title": title}}
}

func objectSchema(props map[string]any, required ...string) map[string]any {
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// draft7 converts an action schema (JSON Schema 2020-12 from jsonschema-go)
// into what Botpress expects: draft 7 with "x-zui" titles. Properties get
// their title mirrored into x-zui; {"not": {}} as additionalProperties
// becomes false; 2020-12 keywords without a draft-7 twin are dropped.
func draft7(s any) any {
	raw, err := json.Marshal(s)
	if err != nil {
		return s
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return s
	}
	delete(m, "$schema")
	delete(m, "$id")
	convertDraft7(m)
	return m
}

func convertDraft7(m map[string]any) {
	if t, ok := m["title"].(string); ok && t != "" {
		z, _ := m["x-zui"].(map[string]any)
		if z == nil {
			z = map[string]any{}
		}
		if _, has := z["title"]; !has {
			z["title"] = t
		}
		m["x-zui"] = z
	}
	if ap, ok := m["additionalProperties"].(map[string]any); ok {
		if not, ok := ap["not"].(map[string]any); ok && len(not) == 0 && len(ap) == 1 {
			m["additionalProperties"] = false
		} else {
			convertDraft7(ap)
		}
	}
	if defs, ok := m["$defs"]; ok {
		m["definitions"] = defs
		delete(m, "$defs")
	}
	for _, k := range []string{"properties", "definitions", "patternProperties"} {
		if props, ok := m[k].(map[string]any); ok {
			for _, p := range props {
				if pm, ok := p.(map[string]any); ok {
					convertDraft7(pm)
				}
			}
		}
	}
	for _, k := range []string{"items", "not", "if", "then", "else", "contains"} {
		if sub, ok := m[k].(map[string]any); ok {
			convertDraft7(sub)
		}
	}
	if pi, ok := m["prefixItems"].([]any); ok {
		m["items"] = pi
		delete(m, "prefixItems")
	}
	for _, k := range []string{"anyOf", "oneOf", "allOf", "items"} {
		if alts, ok := m[k].([]any); ok {
			for _, a := range alts {
				if am, ok := a.(map[string]any); ok {
					convertDraft7(am)
				}
			}
		}
	}
	if ref, ok := m["$ref"].(string); ok {
		m["$ref"] = strings.Replace(ref, "#/$defs/", "#/definitions/", 1)
	}
}

// planhatReadme renders hub.md with the action and event tables generated
// from the registry, so the documentation lists exactly what is served.
func planhatReadme(all []*actions.Action) ([]byte, error) {
	tmpl, err := template.New("hub.md").Parse(planhatReadmeTemplate)
	if err != nil {
		return nil, fmt.Errorf("integrations: hub.md template: %w", err)
	}
	type actionRow struct {
		Name, Title, Description, Kind, Inputs string
	}
	groups := map[string][]actionRow{}
	var order []string
	for _, a := range all {
		kind := "write"
		switch {
		case a.ReadOnly:
			kind = "read"
		case a.Destructive:
			kind = "delete"
		}
		g := a.Group
		if g == "" {
			g = "Other"
		}
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], actionRow{Name: a.Name, Title: a.Title, Description: oneLine(a.Description), Kind: kind, Inputs: requiredInputs(a)})
	}
	type group struct {
		Name    string
		Actions []actionRow
	}
	data := struct {
		Version     string
		ActionCount int
		Groups      []group
		Events      []string
	}{Version: PlanhatVersion, ActionCount: len(all), Events: planhatEventNames()}
	for _, g := range order {
		// Groups are already titles ("End Users", "NPS"); humanTitle would
		// space them again ("End  Users", "N P S").
		data.Groups = append(data.Groups, group{Name: g, Actions: groups[g]})
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("integrations: hub.md: %w", err)
	}
	return b.Bytes(), nil
}

func requiredInputs(a *actions.Action) string {
	if a.Input == nil || len(a.Input.Required) == 0 {
		return "—"
	}
	parts := make([]string, len(a.Input.Required))
	for i, r := range a.Input.Required {
		parts[i] = "`" + r + "`"
	}
	return strings.Join(parts, ", ")
}

// oneLine keeps a description table-safe: one line, pipes escaped, and
// angle brackets as entities so "<externalId>" is not taken for HTML.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.NewReplacer("|", "\\|", "<", "&lt;", ">", "&gt;").Replace(s)
}
