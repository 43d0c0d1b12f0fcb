package botpress

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Definition is the body of the Admin API's createIntegration and
// updateIntegration: everything Botpress knows about an integration.
//
// Schema fields take anything that marshals to a JSON Schema object
// (json.RawMessage, map[string]any, *jsonschema.Schema). Botpress expects
// draft 7 with ZUI extensions: a property's title is "x-zui": {"title"}
// (a plain "title" is accepted by LintDefinition too), and secrets are
// marked "x-zui": {"secret": true}.
type Definition struct {
	// Name is "<workspaceHandle>/<name>" outside Botpress's own workspace.
	Name    string `json:"name"`
	Version string `json:"version"`
	Title   string `json:"title,omitempty"`
	// Description is the one-line summary shown on the Hub.
	Description string `json:"description,omitempty"`
	// Icon is the SVG file's content; JSON carries it base64-encoded.
	Icon []byte `json:"icon,omitempty"`
	// Readme is hub.md's content; JSON carries it base64-encoded.
	Readme []byte `json:"readme,omitempty"`
	// Visibility is public, private or unlisted.
	Visibility string `json:"visibility,omitempty"`
	// Attributes carry Hub metadata such as "category".
	Attributes map[string]string `json:"attributes,omitempty"`
	// URL is where Botpress sends operations for a self-hosted integration.
	URL string `json:"url,omitempty"`
	// Dev marks a development integration (bp dev).
	Dev bool `json:"dev,omitempty"`

	Configuration  *ConfigurationDefinition            `json:"configuration,omitempty"`
	Configurations map[string]*ConfigurationDefinition `json:"configurations,omitempty"`
	Actions        map[string]*ActionDefinition        `json:"actions,omitempty"`
	Events         map[string]*EventDefinition         `json:"events,omitempty"`
	Channels       map[string]*ChannelDefinition       `json:"channels,omitempty"`
	States         map[string]*StateDefinition         `json:"states,omitempty"`
	User           *UserDefinition                     `json:"user,omitempty"`
	Entities       map[string]*EntityDefinition        `json:"entities,omitempty"`
	Interfaces     map[string]*InterfaceImplementation `json:"interfaces,omitempty"`
	// Secrets declares publisher-set values (values are sent at deploy time).
	Secrets map[string]*SecretDefinition `json:"secrets,omitempty"`
}

// ConfigurationDefinition is the installation form a bot builder fills in.
type ConfigurationDefinition struct {
	// Title and Description are used only in Definition.Configurations.
	Title       string                   `json:"title,omitempty"`
	Description string                   `json:"description,omitempty"`
	Schema      any                      `json:"schema"`
	Identifier  *ConfigurationIdentifier `json:"identifier,omitempty"`
}

// ConfigurationIdentifier configures OAuth-style "link" installs.
type ConfigurationIdentifier struct {
	Required           bool   `json:"required,omitempty"`
	LinkTemplateScript string `json:"linkTemplateScript,omitempty"`
}

// SchemaRef wraps an action's input or output schema ({"schema": ...}).
type SchemaRef struct {
	Schema any `json:"schema"`
}

// Action attributes Botpress recognises.
const (
	AttrHiddenInStudio = "bpActionHiddenInStudio"
	AttrAwaitReturn    = "bpActionAwaitReturn"
)

// ActionDefinition declares one action.
type ActionDefinition struct {
	Title       string            `json:"title,omitempty"`
	Description string            `json:"description,omitempty"`
	Input       SchemaRef         `json:"input"`
	Output      SchemaRef         `json:"output"`
	Billable    bool              `json:"billable,omitempty"`
	Cacheable   bool              `json:"cacheable,omitempty"`
	Attributes  map[string]string `json:"attributes,omitempty"`
}

// EventDefinition declares one event the integration emits.
type EventDefinition struct {
	Title       string            `json:"title,omitempty"`
	Description string            `json:"description,omitempty"`
	Schema      any               `json:"schema"`
	Attributes  map[string]string `json:"attributes,omitempty"`
}

// ChannelDefinition declares a messaging channel.
type ChannelDefinition struct {
	Title        string                        `json:"title,omitempty"`
	Description  string                        `json:"description,omitempty"`
	Messages     map[string]*MessageDefinition `json:"messages"`
	Message      *TagsDefinition               `json:"message,omitempty"`
	Conversation *TagsDefinition               `json:"conversation,omitempty"`
}

// MessageDefinition declares one message type's payload.
type MessageDefinition struct {
	Schema any `json:"schema"`
}

// TagsDefinition declares tags on users, conversations or messages.
type TagsDefinition struct {
	Tags map[string]*TagDefinition `json:"tags,omitempty"`
}

// TagDefinition documents one tag.
type TagDefinition struct {
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
}

// UserDefinition declares user tags.
type UserDefinition = TagsDefinition

// StateDefinition declares a state and its scope.
type StateDefinition struct {
	Type   StateType `json:"type"`
	Schema any       `json:"schema"`
}

// EntityDefinition declares an entity, used as an interface's type argument.
type EntityDefinition struct {
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	Schema      any    `json:"schema"`
}

// SecretDefinition declares a publisher secret (SECRET_<NAME> at runtime).
type SecretDefinition struct {
	Description string `json:"description,omitempty"`
	Optional    bool   `json:"optional,omitempty"`
}

// InterfaceImplementation states that the integration implements an
// interface such as hitl, mapping the interface's names to its own.
type InterfaceImplementation struct {
	ID       string             `json:"id"`
	Name     string             `json:"name"`
	Version  string             `json:"version"`
	Entities map[string]NameRef `json:"entities,omitempty"`
	Actions  map[string]NameRef `json:"actions,omitempty"`
	Events   map[string]NameRef `json:"events,omitempty"`
	Channels map[string]NameRef `json:"channels,omitempty"`
}

// NameRef names the integration's own item an interface item maps to.
type NameRef struct {
	Name string `json:"name"`
}

// JSON returns the createIntegration body, indented for review and diffs
// (without HTML escaping, so "&" in a category stays readable).
func (d *Definition) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("botpress: encode definition: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
