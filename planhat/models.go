// The built-in models: everything the client, the actions and their schemas know about each
// Planhat model sits in its entry here.

package planhat

// Models known to the client, in alphabetical order of Name.
var (
	// ModelAsset is /assets.
	ModelAsset = builtin(&Model{
		Name:             "asset",
		Title:            "Asset",
		Path:             "assets",
		Keyables:         stdKeyables,
		CompanyField:     "companyId",
		DefaultLimit:     100,
		MaxLimit:         2000,
		Required:         []string{"name", "companyId"},
		Ops:              OpsCRUD,
		Singular:         "Asset",
		Plural:           "Assets",
		Noun:             "asset",
		Nouns:            "assets",
		DedicatedActions: OpsCRUD,
	})
	// ModelCall is the authenticated /calls log (legacy).
	ModelCall = builtin(&Model{
		Name:             "call",
		Title:            "Call",
		Path:             "calls",
		Keyables:         []string{"_id"},
		DefaultLimit:     100,
		MaxLimit:         2000,
		RequiredOneOf:    [][]string{{"nr", "userId", "phUserId"}},
		Ops:              OpCreate | OpGet | OpUpdate | OpDelete | OpList,
		requiredHint:     " (set Nr to the contact's phone number, or UserID, or phUserId through Extra, to the contact's Planhat _id)",
		Singular:         "Call",
		Plural:           "Calls",
		Noun:             "call",
		Nouns:            "calls",
		DedicatedActions: OpCreate,
	})
	// ModelCampaign is /campaigns.
	ModelCampaign = builtin(&Model{
		Name:         "campaign",
		Title:        "Campaign",
		Path:         "campaigns",
		Keyables:     stdKeyables,
		CompanyField: "companyId",
		DefaultLimit: 100,
		MaxLimit:     2000,
		Required:     []string{"name", "companyId"},
		Ops:          OpsCRUD,
		Singular:     "Campaign",
		Plural:       "Campaigns",
		Noun:         "campaign",
		Nouns:        "campaigns",
		Fields: []FieldDoc{fName, fCompanyID, fExternalID, fSourceID, fCustom,
			field("campaignPurpose", "string", "What the campaign is for."),
		},
	})
	// ModelChurn is /churn; its max page size is unverified (1,000 or 2,000), so 1,000 is used.
	ModelChurn = builtin(&Model{
		Name:         "churn",
		Title:        "Churn",
		Path:         "churn",
		Keyables:     []string{"_id", "sourceId"},
		CompanyField: "companyId",
		DefaultLimit: 100,
		MaxLimit:     1000,
		Required:     []string{"companyId"},
		Ops:          OpsCRUD,
		Singular:     "Churn",
		Plural:       "Churn",
		Noun:         "churn",
		Nouns:        "churn records",
		Fields: []FieldDoc{fCompanyID, fSourceID,
			field("churnDate", "string", "When the customer churned (ISO 8601 date)."),
			field("reasons", "array", "Why the customer churned, as a list of reason names."),
			field("value", "number", "The churned value."),
			field("comment", "string", "A free-text comment on the churn."), fCurrency,
		},
	})
	// ModelCompany is /companies.
	ModelCompany = builtin(&Model{
		Name:         "company",
		Title:        "Company",
		Path:         "companies",
		Keyables:     stdKeyables,
		DefaultLimit: 100,
		MaxLimit:     5000,
		Required:     []string{"name"},
		Ops:          OpsCRUD,
		Singular:     "Company",
		Plural:       "Companies",
		Noun:         "company",
		Nouns:        "companies",
		Fields: []FieldDoc{fName, fExternalID, fSourceID, fCustom,
			field("status", "string", "Lifecycle status: prospect, coming, customer, canceled or lost."),
			field("phase", "string", "The lifecycle phase; must match a phase name configured in Planhat."),
			field("owner", "string", "The Planhat user who owns the account: their _id."),
			field("domains", "array", "The company's web domains, used to match end users by email."),
		},
	})
	// ModelConversation is /conversations; the reserved types cannot be created over the API.
	ModelConversation = builtin(&Model{
		Name:          "conversation",
		Title:         "Conversation",
		Path:          "conversations",
		Keyables:      stdKeyables,
		CompanyField:  "companyId",
		DefaultLimit:  30,
		MaxLimit:      2000,
		RequiredOneOf: [][]string{{"companyId", "companyExternalId"}},
		Reserved:      map[string][]string{"type": ReservedConversationTypes},
		Ops:           OpsCRUD,
		Singular:      "Conversation",
		Plural:        "Conversations",
		Noun:          "conversation",
		Nouns:         "conversations",
		Fields: []FieldDoc{fCompanyID, fExternalID, fSourceID, fCustom,
			field("type", "string", "The conversation type; must exist in Planhat (unknown types become \"note\"); email, chat, ticket and call are reserved and cannot be created over the API."),
			field("subject", "string", "The subject line."),
			field("description", "string", "The body text (HTML allowed)."),
			field("date", "string", "When it happened (ISO 8601 date-time)."),
			field("endusers", "array", "The end users involved: their _ids."),
		},
	})
	// ModelCustomField is /customfields (read only here; no bulk upsert exists).
	ModelCustomField = builtin(&Model{
		Name:         "customfield",
		Title:        "Custom field",
		Path:         "customfields",
		Keyables:     []string{"_id"},
		DefaultLimit: 100,
		MaxLimit:     2000,
		Required:     []string{"name", "type", "parent"},
		Ops:          OpsRead,
		Singular:     "CustomField",
		Plural:       "CustomFields",
		Noun:         "custom field",
		Nouns:        "custom fields",
		Fields: []FieldDoc{fName,
			field("type", "string", "The field type, e.g. text, number, date, list, checkbox."),
			field("parent", "string", "The model the field belongs to, e.g. Company."),
		},
	})
	// ModelDeal is /deals, the newer opportunity model; served untyped through Client.Objects.
	ModelDeal = builtin(&Model{
		Name:         "deal",
		Title:        "Deal",
		Path:         "deals",
		Keyables:     stdKeyables,
		CompanyField: "companyId",
		DefaultLimit: 100,
		MaxLimit:     2000,
		Required:     []string{"companyId"},
		Ops:          OpsCRUD,
		Singular:     "Deal",
		Plural:       "Deals",
		Noun:         "deal",
		Nouns:        "deals",
		Fields:       []FieldDoc{fCompanyID, fExternalID, fSourceID, fCustom},
	})
	// ModelEndUser is /endusers (contacts).
	ModelEndUser = builtin(&Model{
		Name:          "enduser",
		Title:         "End user",
		Path:          "endusers",
		Keyables:      stdKeyables,
		EmailKeyable:  true,
		CompanyField:  "companyId",
		DefaultLimit:  100,
		MaxLimit:      2000,
		RequiredOneOf: [][]string{{"email", "externalId", "sourceId"}},
		Ops:           OpsCRUD,
		Singular:      "EndUser",
		Plural:        "EndUsers",
		Noun:          "end user",
		Nouns:         "end users (contacts)",
		Fields: []FieldDoc{fCompanyID, fExternalID, fSourceID, fCustom,
			field("email", "string", "The contact's email address; matches records on bulk upserts when unique."),
			field("firstName", "string", "The contact's first name."),
			field("lastName", "string", "The contact's last name."),
			field("position", "string", "The contact's job title."),
			field("phone", "string", "The contact's phone number."),
			field("primary", "boolean", "Whether this is the primary contact of the company."),
		},
	})
	// ModelInvoice is /invoices; note cId and extId, and dates in days since 1970.
	ModelInvoice = builtin(&Model{
		Name:         "invoice",
		Title:        "Invoice",
		Path:         "invoices",
		Keyables:     []string{"_id", "extId", "sourceId"},
		CompanyField: "cId",
		DefaultLimit: 100,
		MaxLimit:     2000,
		Required:     []string{"currency", "cId"},
		Ops:          OpsCRUD,
		Singular:     "Invoice",
		Plural:       "Invoices",
		Noun:         "invoice",
		Nouns:        "invoices",
		Fields: []FieldDoc{fSourceID, fCustom,
			ref("cId", "The company the invoice belongs to: its _id, extid-<externalId> or srcid-<sourceId> (Planhat names this field cId on invoices)."),
			field("extId", "string", "Your own system's id for the invoice (Planhat names this field extId on invoices)."),
			field("currency", "string", "ISO 4217 currency code, e.g. \"USD\"."),
			field("invoiceDate", "integer", "The invoice date, in days since 1970-01-01."),
			field("dueDate", "integer", "The due date, in days since 1970-01-01."),
			field("status", "string", "pending, paid or overdue."),
		},
	})
	// ModelIssue is /issues; companies are referenced by the companyIds array.
	ModelIssue = builtin(&Model{
		Name:         "issue",
		Title:        "Issue",
		Path:         "issues",
		Keyables:     []string{"_id", "sourceId"},
		CompanyField: "companyIds",
		DefaultLimit: 100,
		MaxLimit:     2000,
		Required:     []string{"title"},
		Ops:          OpsCRUD,
		Singular:     "Issue",
		Plural:       "Issues",
		Noun:         "issue",
		Nouns:        "issues",
		Fields: []FieldDoc{fSourceID, fCustom,
			field("title", "string", "The issue title."),
			field("companyIds", "array", "The companies affected: their _ids."),
			field("priority", "string", "The issue priority."),
			field("status", "string", "The issue status."),
		},
	})
	// ModelLicense is /licenses.
	ModelLicense = builtin(&Model{
		Name:         "license",
		Title:        "License",
		Path:         "licenses",
		Keyables:     stdKeyables,
		CompanyField: "companyId",
		DefaultLimit: 100,
		MaxLimit:     2000,
		Required:     []string{"_currency", "companyId", "fromDate"},
		Ops:          OpsCRUD,
		Singular:     "License",
		Plural:       "Licenses",
		Noun:         "license",
		Nouns:        "licenses",
		Fields: []FieldDoc{fCompanyID, fExternalID, fSourceID, fCustom, fCurrency,
			field("fromDate", "string", "When the license starts (ISO 8601 date)."),
			field("toDate", "string", "When the license ends (ISO 8601 date)."),
			field("mrr", "number", "Monthly recurring revenue; required when fixedPeriod is false."),
			field("value", "number", "The total value; required when fixedPeriod is true."),
			field("fixedPeriod", "boolean", "Whether the license runs for a fixed period."),
			field("product", "string", "The product licensed."),
		},
	})
	// ModelNPS is /nps.
	ModelNPS = builtin(&Model{
		Name:         "nps",
		Title:        "NPS",
		Path:         "nps",
		Keyables:     []string{"_id", "sourceId"},
		CompanyField: "cId",
		DefaultLimit: 100,
		MaxLimit:     10000,
		Required:     []string{"email", "score"},
		Ops:          OpsCRUD,
		Singular:     "Nps",
		Plural:       "Nps",
		Noun:         "NPS response",
		Nouns:        "NPS responses",
		Fields: []FieldDoc{fSourceID,
			field("email", "string", "The respondent's email address."),
			field("score", "integer", "The NPS score, 0 to 10."),
			field("comment", "string", "The respondent's comment."),
			ref("cId", "The respondent's company: its _id."),
		},
	})
	// ModelObjective is /objectives.
	ModelObjective = builtin(&Model{
		Name:         "objective",
		Title:        "Objective",
		Path:         "objectives",
		Keyables:     stdKeyables,
		CompanyField: "companyId",
		DefaultLimit: 100,
		MaxLimit:     2000,
		Required:     []string{"name", "companyId"},
		Ops:          OpsCRUD,
		Singular:     "Objective",
		Plural:       "Objectives",
		Noun:         "objective",
		Nouns:        "objectives",
		Fields: []FieldDoc{fName, fCompanyID, fExternalID, fSourceID, fCustom,
			field("health", "number", "The objective's health, which can feed the health score."),
		},
	})
	// ModelOpportunity is /opportunities.
	ModelOpportunity = builtin(&Model{
		Name:         "opportunity",
		Title:        "Opportunity",
		Path:         "opportunities",
		Keyables:     stdKeyables,
		CompanyField: "companyId",
		DefaultLimit: 100,
		MaxLimit:     2000,
		Required:     []string{"companyId"},
		Ops:          OpsCRUD,
		Singular:     "Opportunity",
		Plural:       "Opportunities",
		Noun:         "opportunity",
		Nouns:        "opportunities",
		Fields: []FieldDoc{fCompanyID, fExternalID, fSourceID, fCustom, fCurrency,
			field("title", "string", "The opportunity title."),
			field("salesStage", "string", "The sales stage."),
			field("status", "string", "active, won or lost."),
			field("mrr", "number", "Monthly recurring revenue."),
			field("closeDate", "string", "The expected or actual close date (ISO 8601)."),
		},
	})
	// ModelProject is /projects.
	ModelProject = builtin(&Model{
		Name:         "project",
		Title:        "Project",
		Path:         "projects",
		Keyables:     stdKeyables,
		CompanyField: "companyId",
		DefaultLimit: 100,
		MaxLimit:     2000,
		Required:     []string{"name", "companyId"},
		Ops:          OpsCRUD,
		Singular:     "Project",
		Plural:       "Projects",
		Noun:         "project",
		Nouns:        "projects",
		Fields: []FieldDoc{fName, fCompanyID, fExternalID, fSourceID, fCustom,
			field("startDate", "string", "When the project starts (ISO 8601 date)."),
			field("endDate", "string", "When the project ends (ISO 8601 date)."),
		},
	})
	// ModelSale is /sales.
	ModelSale = builtin(&Model{
		Name:         "sale",
		Title:        "Sale",
		Path:         "sales",
		Keyables:     stdKeyables,
		CompanyField: "companyId",
		DefaultLimit: 100,
		MaxLimit:     2000,
		Required:     []string{"_currency", "companyId", "salesDate", "value"},
		Ops:          OpsCRUD,
		Singular:     "Sale",
		Plural:       "Sales",
		Noun:         "sale",
		Nouns:        "sales",
		Fields: []FieldDoc{fCompanyID, fExternalID, fSourceID, fCustom, fCurrency,
			field("salesDate", "string", "The date of the sale (ISO 8601 date)."),
			field("value", "number", "The sale value; must be greater than 0."),
			field("product", "string", "The product sold."),
		},
	})
	// ModelTask is /tasks; creates default mainType to "task".
	ModelTask = builtin(&Model{
		Name:         "task",
		Title:        "Task",
		Path:         "tasks",
		Keyables:     stdKeyables,
		CompanyField: "companyId",
		DefaultLimit: 500,
		MaxLimit:     10000,
		Required:     []string{"mainType", "companyId"},
		Defaults:     map[string]any{"mainType": "task"},
		Ops:          OpsCRUD,
		Singular:     "Task",
		Plural:       "Tasks",
		Noun:         "task",
		Nouns:        "tasks",
		Fields: []FieldDoc{fCompanyID, fExternalID, fSourceID, fCustom, fOwner,
			field("action", "string", "The task's title."),
			field("description", "string", "The task's details."),
			field("mainType", "string", "\"task\" (the default) or \"event\" for calendar items."),
			field("startTime", "string", "When the task is due or starts (ISO 8601 date-time)."),
			field("status", "string", "The task status."),
		},
	})
	// ModelTimeEntry is /timeentries (hours between 0.1 and 24); served untyped.
	ModelTimeEntry = builtin(&Model{
		Name:         "timeentry",
		Title:        "Time entry",
		Path:         "timeentries",
		Keyables:     []string{"_id"},
		CompanyField: "companyId",
		DefaultLimit: 100,
		MaxLimit:     2000,
		Required:     []string{"date", "hours"},
		Ops:          OpsCRUD,
		Singular:     "TimeEntry",
		Plural:       "TimeEntries",
		Noun:         "time entry",
		Nouns:        "time entries",
		// Without these docs hours would get the fallback string schema of an undocumented
		// required field, which Planhat refuses: it wants a number.
		Fields: []FieldDoc{fCompanyID,
			field("date", "string", "The day the time was spent (ISO 8601 date, e.g. 2026-01-31)."),
			bounded(field("hours", "number", "The hours spent, 0.1 to 24."), 0.1, 24),
		},
	})
	// ModelTimesheet is /timesheets (read only here; periods are days since 1970); served untyped.
	ModelTimesheet = builtin(&Model{
		Name:         "timesheet",
		Title:        "Timesheet",
		Path:         "timesheets",
		Keyables:     []string{"_id"},
		DefaultLimit: 100,
		MaxLimit:     2000,
		Ops:          OpsRead,
		Singular:     "Timesheet",
		Plural:       "Timesheets",
		Noun:         "timesheet",
		Nouns:        "timesheets",
	})
	// ModelTicket is /tickets: bulk upsert (PUT), list and delete only; items need sourceId and email.
	ModelTicket = builtin(&Model{
		Name:           "ticket",
		Title:          "Ticket",
		Path:           "tickets",
		Keyables:       []string{"_id", "sourceId"},
		CompanyField:   "companyId",
		DefaultLimit:   100,
		MaxLimit:       10000,
		Required:       []string{"sourceId", "email"},
		RequiredOnBulk: true,
		Ops:            OpList | OpDelete | OpBulk,
		requiredHint:   " (Planhat silently drops tickets without email, and matches them by sourceId)",
		Singular:       "Ticket",
		Plural:         "Tickets",
		Noun:           "ticket",
		Nouns:          "tickets",
		Fields: []FieldDoc{fCompanyID, fSourceID, fCustom,
			field("email", "string", "The requester's email address; Planhat silently drops tickets without one."),
			field("subject", "string", "The ticket subject."),
			field("description", "string", "The ticket body."),
			field("status", "string", "The ticket status."),
			field("companyExternalId", "string", "The company's externalId, as an alternative to companyId."),
		},
	})
	// ModelWorkflow is /workflows (read only); served untyped.
	ModelWorkflow = builtin(&Model{
		Name:         "workflow",
		Title:        "Workflow",
		Path:         "workflows",
		Keyables:     []string{"_id"},
		DefaultLimit: 100,
		MaxLimit:     2000,
		Ops:          OpsRead,
		Singular:     "Workflow",
		Plural:       "Workflows",
		Noun:         "workflow",
		Nouns:        "workflows",
	})
	// ModelWorkspace is /workspaces; served untyped.
	ModelWorkspace = builtin(&Model{
		Name:         "workspace",
		Title:        "Workspace",
		Path:         "workspaces",
		Keyables:     stdKeyables,
		CompanyField: "companyId",
		DefaultLimit: 100,
		MaxLimit:     2000,
		Ops:          OpsCRUD,
		Singular:     "Workspace",
		Plural:       "Workspaces",
		Noun:         "workspace",
		Nouns:        "workspaces",
	})
	// ModelUser is /users (team members); read only here.
	ModelUser = builtin(&Model{
		Name:         "user",
		Title:        "User",
		Path:         "users",
		Keyables:     []string{"_id", "externalId"},
		DefaultLimit: 10000,
		MaxLimit:     10000,
		Required:     []string{"email", "nickName", "firstName", "lastName"},
		Ops:          OpsRead,
		Singular:     "User",
		Plural:       "Users",
		Noun:         "user",
		Nouns:        "users (your team members)",
		Fields: []FieldDoc{fExternalID,
			field("email", "string", "The team member's email address."),
			field("nickName", "string", "The team member's nickname."),
			field("firstName", "string", "The team member's first name."),
			field("lastName", "string", "The team member's last name."),
		},
	})
)

// ReservedConversationTypes are Planhat's built-in conversation types, which must not be
// created over the API.
var ReservedConversationTypes = []string{"email", "chat", "ticket", "call"}

var stdKeyables = []string{"_id", "externalId", "sourceId"}

// Shared field documentation.
var (
	fExternalID = field("externalId", "string", "Your own system's id for this record; unique per model (per company for most models). Use it to find or update the record later with extid-<externalId>.")
	fSourceID   = field("sourceId", "string", "The id of this record in an integrated source such as Salesforce or HubSpot; unique per model. Address it later with srcid-<sourceId>.")
	fCompanyID  = ref("companyId", "The company this record belongs to: its Planhat _id, extid-<company externalId> or srcid-<company sourceId>.")
	fName       = field("name", "string", "The display name.")
	fCustom     = field("custom", "object", "Custom field values keyed by the custom field's display name, e.g. {\"Tier\": \"Gold\"}; values are strings, numbers, booleans, dates or lists.")
	fCurrency   = field("_currency", "string", "ISO 4217 currency code, e.g. \"USD\".")
	fOwner      = field("ownerId", "string", "The Planhat user (team member) who owns the record: their _id.")
)

func field(name, typ, doc string) FieldDoc { return FieldDoc{Name: name, Type: typ, Doc: doc} }

// ref documents a field naming another record, so input schemas check it is an id.
func ref(name, doc string) FieldDoc { return FieldDoc{Name: name, Type: "string", Doc: doc, Ref: true} }

func bounded(f FieldDoc, lo, hi float64) FieldDoc {
	f.Min, f.Max = &lo, &hi
	return f
}
