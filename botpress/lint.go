package botpress

import (
	"bytes"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// LintError is one publication-checklist violation found by LintDefinition.
type LintError struct {
	// Path locates the problem, e.g. "actions.getAsset.input.properties.assetId".
	Path string
	// Rule names the rule, e.g. "property-title", so tests and tools can filter.
	Rule string
	// Message says what is wrong and what to do.
	Message string
}

// Error renders the problem with its location.
func (e *LintError) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

var (
	nameRE    = regexp.MustCompile(`^([a-z0-9][a-z0-9-]*/)?[a-z0-9][a-z0-9-]*$`)
	semverRE  = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
	secretRE  = regexp.MustCompile(`(?i)(token|secret|password|passwd|apikey|api_key|privatekey|private_key|accesskey|access_key)`)
	stateKind = []StateType{StateIntegration, StateConversation, StateUser, "bot", "task", "workflow"}
)

// LintDefinition checks def against the publication checklist rules that can
// be checked mechanically (spec §5 and bp lint): integration identity and
// assets; a title and a description on every action, event, channel, tag,
// entity and on every schema property, recursively; secret marking of
// credential fields; valid names, versions and state types; the
// maintainers' merge rules (no "plus/" prefix, no markdown message types, no
// channel named "channel"). It returns nil for a clean definition and
// otherwise one *LintError per problem, in a stable order.
func LintDefinition(def *Definition) []error {
	l := &linter{}
	if def == nil {
		l.add("", "definition", "the definition is nil; build a botpress.Definition")
		return l.errs
	}
	l.identity(def)
	if def.Configuration != nil {
		l.schema("configuration.schema", def.Configuration.Schema, true, true)
	}
	for name, c := range declared(l, "configurations", "configuration", def.Configurations) {
		p := "configurations." + name
		l.titled(p, c.Title, c.Description)
		l.schema(p+".schema", c.Schema, true, true)
	}
	for name, a := range declared(l, "actions", "action", def.Actions) {
		p := "actions." + name
		l.identifier(p, name)
		l.titled(p, a.Title, a.Description)
		l.schema(p+".input.schema", a.Input.Schema, true, false)
		l.schema(p+".output.schema", a.Output.Schema, true, false)
	}
	for name, e := range declared(l, "events", "event", def.Events) {
		p := "events." + name
		l.identifier(p, name)
		l.titled(p, e.Title, e.Description)
		l.schema(p+".schema", e.Schema, true, false)
	}
	for name, ch := range declared(l, "channels", "channel", def.Channels) {
		l.channel(name, ch)
	}
	for name, s := range declared(l, "states", "state", def.States) {
		p := "states." + name
		if !slices.Contains(stateKind, s.Type) {
			l.add(p+".type", "state-type", fmt.Sprintf("state type %q is not one of integration, conversation, user", s.Type))
		}
		l.schema(p+".schema", s.Schema, true, false)
	}
	if def.User != nil {
		l.tags("user.tags", def.User.Tags)
	}
	for name, e := range declared(l, "entities", "entity", def.Entities) {
		p := "entities." + name
		l.titled(p, e.Title, e.Description)
		l.schema(p+".schema", e.Schema, true, false)
	}
	for _, name := range sortedKeys(def.Secrets) {
		s := def.Secrets[name]
		if s == nil || strings.TrimSpace(s.Description) == "" {
			l.add("secrets."+name, "secret-description", "add a description saying what the secret is and where to get it")
		}
	}
	for _, key := range sortedKeys(def.Interfaces) {
		it := def.Interfaces[key]
		p := "interfaces." + key
		if it == nil || it.ID == "" || it.Name == "" || it.Version == "" {
			l.add(p, "interface", "an interface implementation needs id, name and version (resolve the id with getPublicInterface)")
			continue
		}
		implemented(l, p, "action", "Actions", it.Actions, def.Actions)
		implemented(l, p, "event", "Events", it.Events, def.Events)
		implemented(l, p, "channel", "Channels", it.Channels, def.Channels)
	}
	sort.SliceStable(l.errs, func(i, j int) bool {
		return l.errs[i].(*LintError).Path < l.errs[j].(*LintError).Path
	})
	return l.errs
}

type linter struct{ errs []error }

func (l *linter) add(path, rule, msg string) {
	l.errs = append(l.errs, &LintError{Path: path, Rule: rule, Message: msg})
}

// declared yields the entries of one section of the definition in name
// order; a nil entry is reported instead of yielded.
func declared[V any](l *linter, section, kind string, entries map[string]*V) iter.Seq2[string, *V] {
	return func(yield func(string, *V) bool) {
		for _, name := range sortedKeys(entries) {
			v := entries[name]
			if v == nil {
				l.add(section+"."+name, "definition", "the "+kind+" is nil; remove it or define it")
				continue
			}
			if !yield(name, v) {
				return
			}
		}
	}
}

// implemented reports each entry of an interface implementation (under
// path, e.g. "interfaces.hitl") that maps to a kind the definition does not
// declare; field names the Definition field the entry belongs in.
func implemented[V any](l *linter, path, kind, field string, refs map[string]NameRef, defined map[string]V) {
	for iname, ref := range refs {
		if _, ok := defined[ref.Name]; !ok {
			l.add(path+"."+kind+"s."+iname, "interface", fmt.Sprintf("maps to %s %q, which the definition does not declare; merge the interface's %ss into %s", kind, ref.Name, kind, field))
		}
	}
}

func (l *linter) identity(def *Definition) {
	switch {
	case def.Name == "":
		l.add("name", "name", `set the name, "<workspaceHandle>/<name>" for a non-Botpress workspace`)
	case strings.HasPrefix(def.Name, "plus/"):
		l.add("name", "name", `drop the "plus/" prefix; use your workspace handle`)
	case !nameRE.MatchString(def.Name):
		l.add("name", "name", fmt.Sprintf("name %q must be lower-case letters, digits and dashes, optionally prefixed by \"<workspaceHandle>/\"", def.Name))
	}
	if !semverRE.MatchString(def.Version) {
		l.add("version", "version", fmt.Sprintf("version %q is not semantic (MAJOR.MINOR.PATCH)", def.Version))
	}
	if strings.TrimSpace(def.Title) == "" {
		l.add("title", "title", "set the integration title shown on the Hub")
	}
	if strings.TrimSpace(def.Description) == "" {
		l.add("description", "description", "set the integration description shown on the Hub")
	}
	if len(def.Icon) == 0 {
		l.add("icon", "icon", "add an SVG icon (icon.svg)")
	} else if !bytes.Contains(def.Icon, []byte("<svg")) {
		l.add("icon", "icon", "the icon must be an SVG document")
	}
	if len(bytes.TrimSpace(def.Readme)) == 0 {
		l.add("readme", "readme", "add a readme (hub.md) explaining configuration, usage and limitations")
	}
	if def.Attributes["category"] == "" {
		l.add("attributes.category", "category", `set attributes["category"] (e.g. "CRM & Sales") so the Hub lists the integration`)
	}
	if def.URL != "" {
		u, err := url.Parse(def.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			l.add("url", "url", "url must be the absolute http(s) URL of the integration server")
		}
	}
	if def.Configuration == nil && len(def.Configurations) == 0 {
		l.add("configuration", "configuration", `declare a configuration schema (an empty object schema if none is needed)`)
	}
}

func (l *linter) identifier(path, name string) {
	if name == "" || strings.ContainsAny(name, " .:/") {
		l.add(path, "identifier", fmt.Sprintf("%q is not a valid identifier; use camelCase letters and digits", name))
	}
}

func (l *linter) titled(path, title, description string) {
	if strings.TrimSpace(title) == "" {
		l.add(path+".title", "title", "add a title")
	}
	if strings.TrimSpace(description) == "" {
		l.add(path+".description", "description", "add a description")
	}
}

// channel checks one channel; declared has already reported a nil one.
func (l *linter) channel(name string, ch *ChannelDefinition) {
	p := "channels." + name
	if name == "channel" {
		l.add(p, "channel-name", `don't name a channel "channel"; name it after what it carries (e.g. "hitl", "comments")`)
	}
	l.titled(p, ch.Title, ch.Description)
	if len(ch.Messages) == 0 {
		l.add(p+".messages", "channel-messages", "declare at least one message type (e.g. text)")
	}
	for _, mt := range sortedKeys(ch.Messages) {
		mp := p + ".messages." + mt
		if mt == "markdown" || mt == "markdownBloc" {
			l.add(mp, "markdown", "remove the deprecated Markdown message type")
		}
		if m := ch.Messages[mt]; m == nil {
			l.add(mp, "definition", "the message type is nil; give it a schema")
		} else {
			l.schema(mp+".schema", m.Schema, true, false)
		}
	}
	if ch.Message != nil {
		l.tags(p+".message.tags", ch.Message.Tags)
	}
	if ch.Conversation != nil {
		l.tags(p+".conversation.tags", ch.Conversation.Tags)
	}
}

func (l *linter) tags(path string, tags map[string]*TagDefinition) {
	for _, k := range sortedKeys(tags) {
		t := tags[k]
		if t == nil {
			t = &TagDefinition{}
		}
		l.titled(path+"."+k, t.Title, t.Description)
	}
}

// schema checks one schema: it must be an object schema, and every property
// anywhere inside must have a title and a description.
func (l *linter) schema(path string, schema any, required, config bool) {
	if schema == nil {
		if required {
			l.add(path, "schema", "add a JSON Schema (an object schema)")
		}
		return
	}
	raw, err := json.Marshal(schema)
	if err != nil {
		l.add(path, "schema", fmt.Sprintf("the schema does not marshal to JSON: %v", err))
		return
	}
	var root map[string]any
	if err := json.Unmarshal(raw, &root); err != nil || root == nil {
		l.add(path, "schema", "the schema must be a JSON object")
		return
	}
	if t, ok := root["type"]; ok && t != "object" {
		l.add(path+".type", "schema-object", fmt.Sprintf(`the top-level schema must have type "object", not %v`, t))
	}
	l.walk(path, root, config)
}

func (l *linter) walk(path string, s map[string]any, config bool) {
	if props, ok := s["properties"].(map[string]any); ok {
		for _, name := range sortedKeys(props) {
			pp := path + ".properties." + name
			prop, ok := props[name].(map[string]any)
			if !ok {
				l.add(pp, "schema", "the property schema must be an object")
				continue
			}
			if schemaTitle(prop) == "" {
				l.add(pp, "property-title", `add a title ("x-zui": {"title": ...})`)
			}
			if d, _ := prop["description"].(string); strings.TrimSpace(d) == "" {
				l.add(pp, "property-description", `add a "description"`)
			}
			if config && secretRE.MatchString(name) && isStringSchema(prop) && !isSecret(prop) {
				l.add(pp, "secret", `this looks like a credential: mark it "x-zui": {"secret": true}`)
			}
			l.walk(pp, prop, config)
		}
	}
	for _, k := range []string{"items", "additionalProperties", "not"} {
		if sub, ok := s[k].(map[string]any); ok {
			l.walk(path+"."+k, sub, config)
		}
	}
	if items, ok := s["items"].([]any); ok {
		for i, it := range items {
			if sub, ok := it.(map[string]any); ok {
				l.walk(fmt.Sprintf("%s.items.%d", path, i), sub, config)
			}
		}
	}
	for _, k := range []string{"anyOf", "oneOf", "allOf"} {
		if alts, ok := s[k].([]any); ok {
			for i, a := range alts {
				if sub, ok := a.(map[string]any); ok {
					l.walk(fmt.Sprintf("%s.%s.%d", path, k, i), sub, config)
				}
			}
		}
	}
	for _, k := range []string{"definitions", "$defs", "patternProperties"} {
		if defs, ok := s[k].(map[string]any); ok {
			for _, name := range sortedKeys(defs) {
				if sub, ok := defs[name].(map[string]any); ok {
					l.walk(path+"."+k+"."+name, sub, config)
				}
			}
		}
	}
}

func schemaTitle(s map[string]any) string {
	if z, ok := s["x-zui"].(map[string]any); ok {
		if t, _ := z["title"].(string); strings.TrimSpace(t) != "" {
			return t
		}
	}
	t, _ := s["title"].(string)
	return strings.TrimSpace(t)
}

func isSecret(s map[string]any) bool {
	z, _ := s["x-zui"].(map[string]any)
	b, _ := z["secret"].(bool)
	return b
}

func isStringSchema(s map[string]any) bool {
	switch t := s["type"].(type) {
	case string:
		return t == "string"
	case []any:
		return slices.Contains(t, any("string"))
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
