package planhat

import (
	"slices"
	"strings"
)

// Ops is a set of operations a model supports.
type Ops uint

// Operations a Planhat model can offer.
const (
	// OpCreate is POST /<model>.
	OpCreate Ops = 1 << iota
	// OpGet is GET /<model>/<id>.
	OpGet
	// OpUpdate is PUT /<model>/<id>.
	OpUpdate
	// OpDelete is DELETE /<model>/<id>.
	OpDelete
	// OpList is GET /<model>.
	OpList
	// OpBulk is PUT /<model> with an array (bulk upsert).
	OpBulk

	// OpsCRUD is every operation.
	OpsCRUD = OpCreate | OpGet | OpUpdate | OpDelete | OpList | OpBulk
	// OpsRead is get and list.
	OpsRead = OpGet | OpList
)

// Has reports whether every operation in op is in the set.
func (o Ops) Has(op Ops) bool { return o&op == op }

// String lists the operations, e.g. "create|get|list".
func (o Ops) String() string {
	var names []string
	for i, n := range []string{"create", "get", "update", "delete", "list", "bulk"} {
		if o&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return strings.Join(names, "|")
}

// Model describes one Planhat object family as data, so that the generic Resource serves it
// and adding a model (or a custom one) needs no code: a built-in model is one entry in
// models.go, which the client, the actions and their schemas all read.
type Model struct {
	// Name is the singular machine name, e.g. "company", "enduser".
	Name string
	// Title is the human name, e.g. "Company", "End user".
	Title string
	// Path is the collection path without slashes, e.g. "companies".
	Path string
	// Keyables are the unique fields that address a record: "_id" and usually "externalId"
	// and "sourceId" (invoices spell it "extId").
	Keyables []string
	// EmailKeyable marks models that also match by email in bulk upserts; email is not
	// enforced unique, so it never makes a bulk call safe to retry.
	EmailKeyable bool
	// CompanyField is the field that references the company ("companyId", "cId", "companyIds").
	CompanyField string
	// DefaultLimit is the page size Planhat uses when no limit is sent.
	DefaultLimit int
	// MaxLimit is the largest page Planhat serves; iterators page at this size.
	MaxLimit int
	// Required lists fields a create must carry, every one of them.
	Required []string
	// RequiredOneOf lists groups of fields a create must carry at least one of each, for
	// records Planhat can tie to a contact or company in more than one way.
	RequiredOneOf [][]string
	// RequiredOnBulk also enforces Required on every bulk item (tickets, which Planhat
	// otherwise drops silently).
	RequiredOnBulk bool
	// Defaults are set on creates that lack them (tasks get mainType "task").
	Defaults map[string]any
	// Reserved lists field values Planhat forbids creating over the API (conversation types).
	Reserved map[string][]string
	// Ops is the set of operations the model supports.
	Ops Ops

	// Singular and Plural name the records in action names (getEndUser, listEndUsers),
	// where English or Planhat usage makes the title a poor guide.
	Singular, Plural string
	// Noun and Nouns name the records in action descriptions ("end user",
	// "end users (contacts)").
	Noun, Nouns string
	// Fields documents the well-known fields that action schemas describe; records accept
	// and return more.
	Fields []FieldDoc
	// DedicatedActions are the operations whose generic action is left out because a
	// hand-written action serves them better (assets keep the upstream integration's
	// shapes; a call is logged with logCall, which checks the contact and the times).
	DedicatedActions Ops

	// requiredHint is appended to a missing-required-field message, for models whose
	// rule needs explaining; it starts with a space.
	requiredHint string
}

// FieldDoc documents one well-known field of a model, for schemas shown to bot builders
// and LLMs.
type FieldDoc struct {
	// Name is the JSON member name, e.g. "companyId".
	Name string
	// Type is the JSON Schema type: string, number, integer, boolean, array or object.
	Type string
	// Doc is the one-line description shown in schemas.
	Doc string
	// Ref marks a reference to another record, which accepts an _id or extid-/srcid- keyable.
	Ref bool
	// Min and Max are the numeric range Planhat enforces on input, when it enforces one.
	Min, Max *float64
}

// Supports reports whether the model offers every operation in op.
func (m *Model) Supports(op Ops) bool { return m.Ops.Has(op) }

func (m *Model) hasKeyable(field string) bool { return slices.Contains(m.Keyables, field) }

// allModels is filled by builtin as the table in models.go initialises, so a model's entry
// there is all it takes to list it.
var allModels []*Model

// builtin records m as a built-in model.
func builtin(m *Model) *Model {
	allModels = append(allModels, m)
	return m
}

func init() {
	slices.SortFunc(allModels, func(a, b *Model) int { return strings.Compare(a.Name, b.Name) })
}

// Models returns every built-in model, sorted by name. The slice is a copy; the models are
// shared and must not be modified.
func Models() []*Model { return slices.Clone(allModels) }

// ModelByName finds a built-in model by name, title or path, case-insensitively
// ("company", "Company", "companies").
func ModelByName(name string) (*Model, bool) {
	for _, m := range allModels {
		if strings.EqualFold(m.Name, name) || strings.EqualFold(m.Path, name) || strings.EqualFold(m.Title, name) {
			return m, true
		}
	}
	return nil, false
}
