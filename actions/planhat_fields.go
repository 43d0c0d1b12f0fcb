package actions

import (
	"github.com/google/jsonschema-go/jsonschema"
	"github.com/planbridge/planbridge/planhat"
)

// idPattern accepts what Planhat resolves as a record reference: a 24-hex
// ObjectId or an extid-/srcid- keyable.
const idPattern = `^([0-9a-fA-F]{24}|extid-.+|srcid-.+)$`

// objectIDPattern accepts only a Planhat _id.
const objectIDPattern = `^[0-9a-fA-F]{24}$`

// extIDPattern and srcIDPattern accept an _id or the one keyable prefix
// models with only externalId or only sourceId resolve.
const (
	extIDPattern = `^([0-9a-fA-F]{24}|extid-.+)$`
	srcIDPattern = `^([0-9a-fA-F]{24}|srcid-.+)$`
)

// dimensionIDPattern is what Planhat accepts as a metric id.
const dimensionIDPattern = `^[^\s/?#]+$`

// fieldSchema returns the schema of one documented field; input reference
// fields are checked against idPattern, and input numbers against the range
// Planhat enforces, so the bot builder hears of it from the schema rather
// than from a Planhat refusal.
func fieldSchema(f planhat.FieldDoc, input bool) *jsonschema.Schema {
	var s *jsonschema.Schema
	switch f.Type {
	case "object":
		s = mapProp(f.Doc, &jsonschema.Schema{})
	case "array":
		s = arrayProp(f.Doc, &jsonschema.Schema{})
	default:
		s = prop(f.Type, f.Doc)
	}
	if input && f.Ref {
		s.Pattern = idPattern
	}
	// Copies, so that a caller adjusting a built schema leaves the model alone.
	if input && f.Min != nil {
		s.Minimum = jsonschema.Ptr(*f.Min)
	}
	if input && f.Max != nil {
		s.Maximum = jsonschema.Ptr(*f.Max)
	}
	return s
}
