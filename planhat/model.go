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
// and adding a model (or a custom one) needs no code.
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
	// Required lists fields a create must carry; "a|b" means at least one of them.
	Required []string
	// RequiredOnBulk also enforces Required on every bulk item (tickets, which Planhat
	// otherwise drops silently).
	RequiredOnBulk bool
	// Defaults are set on creates that lack them (tasks get mainType "task").
	Defaults map[string]any
	// Reserved lists field values Planhat forbids creating over the API (conversation types).
	Reserved map[string][]string
	// Ops is the set of operations the model supports.
	Ops Ops

	// requiredHint is appended to a missing-required-field message, for models whose
	// rule needs explaining; it starts with a space.
	requiredHint string
}

// Supports reports whether the model offers every operation in op.
func (m *Model) Supports(op Ops) bool { return m.Ops.Has(op) }

func (m *Model) hasKeyable(field string) bool { return slices.Contains(m.Keyables, field) }

// Models known to the client, in alphabetical order of Name.
var (
	// ModelAsset is /assets.
	ModelAsset = &Model{Name: "asset", Title: "Asset", Path: "assets", Keyables: stdKeyables, CompanyField: "companyId", DefaultLimit: 100, MaxLimit: 2000, Required: []string{"name", "companyId"}, Ops: OpsCRUD}
	// ModelCall is the authenticated /calls log (legacy).
	ModelCall = &Model{Name: "call", Title: "Call", Path: "calls", Keyables: []string{"_id"}, DefaultLimit: 100, MaxLimit: 2000, Required: []string{"nr|userId|phUserId"}, Ops: OpCreate | OpGet | OpUpdate | OpDelete | OpList,
		requiredHint: " (set Nr to the contact's phone number, or UserID, or phUserId through Extra, to the contact's Planhat _id)"}
	// ModelCampaign is /campaigns.
	ModelCampaign = &Model{Name: "campaign", Title: "Campaign", Path: "campaigns", Keyables: stdKeyables, CompanyField: "companyId", DefaultLimit: 100, MaxLimit: 2000, Required: []string{"name", "companyId"}, Ops: OpsCRUD}
	// ModelChurn is /churn; its max page size is unverified (1,000 or 2,000), so 1,000 is used.
	ModelChurn = &Model{Name: "churn", Title: "Churn", Path: "churn", Keyables: []string{"_id", "sourceId"}, CompanyField: "companyId", DefaultLimit: 100, MaxLimit: 1000, Required: []string{"companyId"}, Ops: OpsCRUD}
	// ModelCompany is /companies.
	ModelCompany = &Model{Name: "company", Title: "Company", Path: "companies", Keyables: stdKeyables, DefaultLimit: 100, MaxLimit: 5000, Required: []string{"name"}, Ops: OpsCRUD}
	// ModelConversation is /conversations; the reserved types cannot be created over the API.
	ModelConversation = &Model{Name: "conversation", Title: "Conversation", Path: "conversations", Keyables: stdKeyables, CompanyField: "companyId", DefaultLimit: 30, MaxLimit: 2000, Required: []string{"companyId|companyExternalId"}, Reserved: map[string][]string{"type": ReservedConversationTypes}, Ops: OpsCRUD}
	// ModelCustomField is /customfields (read only here; no bulk upsert exists).
	ModelCustomField = &Model{Name: "customfield", Title: "Custom field", Path: "customfields", Keyables: []string{"_id"}, DefaultLimit: 100, MaxLimit: 2000, Required: []string{"name", "type", "parent"}, Ops: OpsRead}
	// ModelDeal is /deals, the newer opportunity model; served untyped through Client.Objects.
	ModelDeal = &Model{Name: "deal", Title: "Deal", Path: "deals", Keyables: stdKeyables, CompanyField: "companyId", DefaultLimit: 100, MaxLimit: 2000, Required: []string{"companyId"}, Ops: OpsCRUD}
	// ModelEndUser is /endusers (contacts).
	ModelEndUser = &Model{Name: "enduser", Title: "End user", Path: "endusers", Keyables: stdKeyables, EmailKeyable: true, CompanyField: "companyId", DefaultLimit: 100, MaxLimit: 2000, Required: []string{"email|externalId|sourceId"}, Ops: OpsCRUD}
	// ModelInvoice is /invoices; note cId and extId, and dates in days since 1970.
	ModelInvoice = &Model{Name: "invoice", Title: "Invoice", Path: "invoices", Keyables: []string{"_id", "extId", "sourceId"}, CompanyField: "cId", DefaultLimit: 100, MaxLimit: 2000, Required: []string{"currency", "cId"}, Ops: OpsCRUD}
	// ModelIssue is /issues; companies are referenced by the companyIds array.
	ModelIssue = &Model{Name: "issue", Title: "Issue", Path: "issues", Keyables: []string{"_id", "sourceId"}, CompanyField: "companyIds", DefaultLimit: 100, MaxLimit: 2000, Required: []string{"title"}, Ops: OpsCRUD}
	// ModelLicense is /licenses.
	ModelLicense = &Model{Name: "license", Title: "License", Path: "licenses", Keyables: stdKeyables, CompanyField: "companyId", DefaultLimit: 100, MaxLimit: 2000, Required: []string{"_currency", "companyId", "fromDate"}, Ops: OpsCRUD}
	// ModelNPS is /nps.
	ModelNPS = &Model{Name: "nps", Title: "NPS", Path: "nps", Keyables: []string{"_id", "sourceId"}, CompanyField: "cId", DefaultLimit: 100, MaxLimit: 10000, Required: []string{"email", "score"}, Ops: OpsCRUD}
	// ModelObjective is /objectives.
	ModelObjective = &Model{Name: "objective", Title: "Objective", Path: "objectives", Keyables: stdKeyables, CompanyField: "companyId", DefaultLimit: 100, MaxLimit: 2000, Required: []string{"name", "companyId"}, Ops: OpsCRUD}
	// ModelOpportunity is /opportunities.
	ModelOpportunity = &Model{Name: "opportunity", Title: "Opportunity", Path: "opportunities", Keyables: stdKeyables, CompanyField: "companyId", DefaultLimit: 100, MaxLimit: 2000, Required: []string{"companyId"}, Ops: OpsCRUD}
	// ModelProject is /projects.
	ModelProject = &Model{Name: "project", Title: "Project", Path: "projects", Keyables: stdKeyables, CompanyField: "companyId", DefaultLimit: 100, MaxLimit: 2000, Required: []string{"name", "companyId"}, Ops: OpsCRUD}
	// ModelSale is /sales.
	ModelSale = &Model{Name: "sale", Title: "Sale", Path: "sales", Keyables: stdKeyables, CompanyField: "companyId", DefaultLimit: 100, MaxLimit: 2000, Required: []string{"_currency", "companyId", "salesDate", "value"}, Ops: OpsCRUD}
	// ModelTask is /tasks; creates default mainType to "task".
	ModelTask = &Model{Name: "task", Title: "Task", Path: "tasks", Keyables: stdKeyables, CompanyField: "companyId", DefaultLimit: 500, MaxLimit: 10000, Required: []string{"mainType", "companyId"}, Defaults: map[string]any{"mainType": "task"}, Ops: OpsCRUD}
	// ModelTimeEntry is /timeentries (hours between 0.1 and 24); served untyped.
	ModelTimeEntry = &Model{Name: "timeentry", Title: "Time entry", Path: "timeentries", Keyables: []string{"_id"}, CompanyField: "companyId", DefaultLimit: 100, MaxLimit: 2000, Required: []string{"date", "hours"}, Ops: OpsCRUD}
	// ModelTimesheet is /timesheets (read only here; periods are days since 1970); served untyped.
	ModelTimesheet = &Model{Name: "timesheet", Title: "Timesheet", Path: "timesheets", Keyables: []string{"_id"}, DefaultLimit: 100, MaxLimit: 2000, Ops: OpsRead}
	// ModelTicket is /tickets: bulk upsert (PUT), list and delete only; items need sourceId and email.
	ModelTicket = &Model{Name: "ticket", Title: "Ticket", Path: "tickets", Keyables: []string{"_id", "sourceId"}, CompanyField: "companyId", DefaultLimit: 100, MaxLimit: 10000, Required: []string{"sourceId", "email"}, RequiredOnBulk: true, Ops: OpList | OpDelete | OpBulk,
		requiredHint: " (Planhat silently drops tickets without email, and matches them by sourceId)"}
	// ModelWorkflow is /workflows (read only); served untyped.
	ModelWorkflow = &Model{Name: "workflow", Title: "Workflow", Path: "workflows", Keyables: []string{"_id"}, DefaultLimit: 100, MaxLimit: 2000, Ops: OpsRead}
	// ModelWorkspace is /workspaces; served untyped.
	ModelWorkspace = &Model{Name: "workspace", Title: "Workspace", Path: "workspaces", Keyables: stdKeyables, CompanyField: "companyId", DefaultLimit: 100, MaxLimit: 2000, Ops: OpsCRUD}
	// ModelUser is /users (team members); read only here.
	ModelUser = &Model{Name: "user", Title: "User", Path: "users", Keyables: []string{"_id", "externalId"}, DefaultLimit: 10000, MaxLimit: 10000, Required: []string{"email", "nickName", "firstName", "lastName"}, Ops: OpsRead}
)

// ReservedConversationTypes are Planhat's built-in conversation types, which must not be
// created over the API.
var ReservedConversationTypes = []string{"email", "chat", "ticket", "call"}

var stdKeyables = []string{"_id", "externalId", "sourceId"}

var allModels = []*Model{
	ModelAsset, ModelCall, ModelCampaign, ModelChurn, ModelCompany, ModelConversation,
	ModelCustomField, ModelDeal, ModelEndUser, ModelInvoice, ModelIssue, ModelLicense, ModelNPS,
	ModelObjective, ModelOpportunity, ModelProject, ModelSale, ModelTask, ModelTicket,
	ModelTimeEntry, ModelTimesheet, ModelUser, ModelWorkflow, ModelWorkspace,
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
