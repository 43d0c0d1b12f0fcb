package actions

import "github.com/google/jsonschema-go/jsonschema"

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

// fieldBounds are the numeric ranges Planhat enforces on documented input
// fields, checked before a call so the bot builder hears it from the
// schema rather than from a Planhat refusal.
var fieldBounds = map[string]map[string][2]float64{
	"timeentry": {"hours": {0.1, 24}},
}

// dimensionIDPattern is what Planhat accepts as a metric id.
const dimensionIDPattern = `^[^\s/?#]+$`

// fieldDoc describes one well-known field of a Planhat model. Records accept
// and return more fields than these; the listed ones are what bot builders
// and LLMs most need, so they get a schema entry with a description.
type fieldDoc struct {
	name, typ, desc string
	ref             bool // a reference to another record: id or extid-/srcid- keyable
}

// Shared field descriptions.
var (
	fExternalID = fieldDoc{"externalId", "string", "Your own system's id for this record; unique per model (per company for most models). Use it to find or update the record later with extid-<externalId>.", false}
	fSourceID   = fieldDoc{"sourceId", "string", "The id of this record in an integrated source such as Salesforce or HubSpot; unique per model. Address it later with srcid-<sourceId>.", false}
	fCompanyID  = fieldDoc{"companyId", "string", "The company this record belongs to: its Planhat _id, extid-<company externalId> or srcid-<company sourceId>.", true}
	fName       = fieldDoc{"name", "string", "The display name.", false}
	fCustom     = fieldDoc{"custom", "object", "Custom field values keyed by the custom field's display name, e.g. {\"Tier\": \"Gold\"}; values are strings, numbers, booleans, dates or lists.", false}
	fCurrency   = fieldDoc{"_currency", "string", "ISO 4217 currency code, e.g. \"USD\".", false}
	fOwner      = fieldDoc{"ownerId", "string", "The Planhat user (team member) who owns the record: their _id.", false}
)

// modelFields lists the well-known fields per Planhat model name. Assets
// have none: their actions keep the upstream integration's own fields.
var modelFields = map[string][]fieldDoc{
	"campaign": {fName, fCompanyID, fExternalID, fSourceID, fCustom,
		{"campaignPurpose", "string", "What the campaign is for.", false}},
	"churn": {fCompanyID, fSourceID,
		{"churnDate", "string", "When the customer churned (ISO 8601 date).", false},
		{"reasons", "array", "Why the customer churned, as a list of reason names.", false},
		{"value", "number", "The churned value.", false},
		{"comment", "string", "A free-text comment on the churn.", false}, fCurrency},
	"company": {fName, fExternalID, fSourceID, fCustom,
		{"status", "string", "Lifecycle status: prospect, coming, customer, canceled or lost.", false},
		{"phase", "string", "The lifecycle phase; must match a phase name configured in Planhat.", false},
		{"owner", "string", "The Planhat user who owns the account: their _id.", false},
		{"domains", "array", "The company's web domains, used to match end users by email.", false}},
	"conversation": {fCompanyID, fExternalID, fSourceID, fCustom,
		{"type", "string", "The conversation type; must exist in Planhat (unknown types become \"note\"); email, chat, ticket and call are reserved and cannot be created over the API.", false},
		{"subject", "string", "The subject line.", false},
		{"description", "string", "The body text (HTML allowed).", false},
		{"date", "string", "When it happened (ISO 8601 date-time).", false},
		{"endusers", "array", "The end users involved: their _ids.", false}},
	"customfield": {fName,
		{"type", "string", "The field type, e.g. text, number, date, list, checkbox.", false},
		{"parent", "string", "The model the field belongs to, e.g. Company.", false}},
	"deal": {fCompanyID, fExternalID, fSourceID, fCustom},
	"enduser": {fCompanyID, fExternalID, fSourceID, fCustom,
		{"email", "string", "The contact's email address; matches records on bulk upserts when unique.", false},
		{"firstName", "string", "The contact's first name.", false},
		{"lastName", "string", "The contact's last name.", false},
		{"position", "string", "The contact's job title.", false},
		{"phone", "string", "The contact's phone number.", false},
		{"primary", "boolean", "Whether this is the primary contact of the company.", false}},
	"invoice": {fSourceID, fCustom,
		{"cId", "string", "The company the invoice belongs to: its _id, extid-<externalId> or srcid-<sourceId> (Planhat names this field cId on invoices).", true},
		{"extId", "string", "Your own system's id for the invoice (Planhat names this field extId on invoices).", false},
		{"currency", "string", "ISO 4217 currency code, e.g. \"USD\".", false},
		{"invoiceDate", "integer", "The invoice date, in days since 1970-01-01.", false},
		{"dueDate", "integer", "The due date, in days since 1970-01-01.", false},
		{"status", "string", "pending, paid or overdue.", false}},
	"issue": {fSourceID, fCustom,
		{"title", "string", "The issue title.", false},
		{"companyIds", "array", "The companies affected: their _ids.", false},
		{"priority", "string", "The issue priority.", false},
		{"status", "string", "The issue status.", false}},
	"license": {fCompanyID, fExternalID, fSourceID, fCustom, fCurrency,
		{"fromDate", "string", "When the license starts (ISO 8601 date).", false},
		{"toDate", "string", "When the license ends (ISO 8601 date).", false},
		{"mrr", "number", "Monthly recurring revenue; required when fixedPeriod is false.", false},
		{"value", "number", "The total value; required when fixedPeriod is true.", false},
		{"fixedPeriod", "boolean", "Whether the license runs for a fixed period.", false},
		{"product", "string", "The product licensed.", false}},
	"nps": {fSourceID,
		{"email", "string", "The respondent's email address.", false},
		{"score", "integer", "The NPS score, 0 to 10.", false},
		{"comment", "string", "The respondent's comment.", false},
		{"cId", "string", "The respondent's company: its _id.", true}},
	"objective": {fName, fCompanyID, fExternalID, fSourceID, fCustom,
		{"health", "number", "The objective's health, which can feed the health score.", false}},
	"opportunity": {fCompanyID, fExternalID, fSourceID, fCustom, fCurrency,
		{"title", "string", "The opportunity title.", false},
		{"salesStage", "string", "The sales stage.", false},
		{"status", "string", "active, won or lost.", false},
		{"mrr", "number", "Monthly recurring revenue.", false},
		{"closeDate", "string", "The expected or actual close date (ISO 8601).", false}},
	"project": {fName, fCompanyID, fExternalID, fSourceID, fCustom,
		{"startDate", "string", "When the project starts (ISO 8601 date).", false},
		{"endDate", "string", "When the project ends (ISO 8601 date).", false}},
	"sale": {fCompanyID, fExternalID, fSourceID, fCustom, fCurrency,
		{"salesDate", "string", "The date of the sale (ISO 8601 date).", false},
		{"value", "number", "The sale value; must be greater than 0.", false},
		{"product", "string", "The product sold.", false}},
	"task": {fCompanyID, fExternalID, fSourceID, fCustom, fOwner,
		{"action", "string", "The task's title.", false},
		{"description", "string", "The task's details.", false},
		{"mainType", "string", "\"task\" (the default) or \"event\" for calendar items.", false},
		{"startTime", "string", "When the task is due or starts (ISO 8601 date-time).", false},
		{"status", "string", "The task status.", false}},
	"ticket": {fCompanyID, fSourceID, fCustom,
		{"email", "string", "The requester's email address; Planhat silently drops tickets without one.", false},
		{"subject", "string", "The ticket subject.", false},
		{"description", "string", "The ticket body.", false},
		{"status", "string", "The ticket status.", false},
		{"companyExternalId", "string", "The company's externalId, as an alternative to companyId.", false}},
	// Without these entries hours would get the fallback string schema of an
	// undocumented required field, which Planhat refuses: it wants a number.
	"timeentry": {fCompanyID,
		{"date", "string", "The day the time was spent (ISO 8601 date, e.g. 2026-01-31).", false},
		{"hours", "number", "The hours spent, 0.1 to 24.", false}},
	"user": {fExternalID,
		{"email", "string", "The team member's email address.", false},
		{"nickName", "string", "The team member's nickname.", false},
		{"firstName", "string", "The team member's first name.", false},
		{"lastName", "string", "The team member's last name.", false}},
}

// fieldSchema returns the schema of one documented field; input reference
// fields are checked against idPattern.
func fieldSchema(f fieldDoc, input bool) *jsonschema.Schema {
	var s *jsonschema.Schema
	switch f.typ {
	case "object":
		s = mapProp(f.desc, &jsonschema.Schema{})
	case "array":
		s = arrayProp(f.desc, &jsonschema.Schema{})
	default:
		s = prop(f.typ, f.desc)
	}
	if input && f.ref {
		s.Pattern = idPattern
	}
	return s
}
