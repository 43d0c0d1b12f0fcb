package actions

import (
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/planbridge/planbridge/planhat"
)

// TestPlanhatActionsDocumented walks every input and output schema of every
// Planhat action and fails on any property without a title and a
// description: the Botpress linter rejects such definitions.
func TestPlanhatActionsDocumented(t *testing.T) {
	t.Parallel()
	for _, a := range Planhat() {
		for _, err := range checkSchemaDocs(a.Input, a.Name+".input") {
			t.Error(err)
		}
		for _, err := range checkSchemaDocs(a.Output, a.Name+".output") {
			t.Error(err)
		}
		if strings.TrimSpace(a.Title) == "" || len(a.Description) < 40 {
			t.Errorf("%s: title %q / description %q too thin for a bot builder", a.Name, a.Title, a.Description)
		}
		if a.Input.Type != "object" || a.Output.Type != "object" {
			t.Errorf("%s: schemas must be objects", a.Name)
		}
		if _, err := json.Marshal(a.Input); err != nil {
			t.Errorf("%s: input schema does not marshal: %v", a.Name, err)
		}
		if _, err := a.Output.Resolve(nil); err != nil {
			t.Errorf("%s: output schema does not resolve: %v", a.Name, err)
		}
	}
}

// TestCheckSchemaDocsCatchesGaps makes sure the walk above can fail.
func TestCheckSchemaDocsCatchesGaps(t *testing.T) {
	t.Parallel()
	s := objectSchema(map[string]*jsonschema.Schema{
		"ok":     prop("string", "Fine."),
		"nodesc": {Type: "string"},
		"nested": arrayProp("A list.", objectSchema(map[string]*jsonschema.Schema{"inner": {Type: "string", Title: "Inner"}}, nil, false)),
	}, nil, false)
	var got []string
	for _, err := range checkSchemaDocs(s, "in") {
		got = append(got, err.Error())
	}
	want := []string{"in.nested[].inner: no description", "in.nodesc: no description"}
	if !slices.Equal(got, want) {
		t.Errorf("checkSchemaDocs = %q, want %q", got, want)
	}
}

var actionName = regexp.MustCompile(`^[a-z][A-Za-z]+$`)

// TestPlanhatActionNames pins the naming scheme and the families every
// model gets, so renames are deliberate.
func TestPlanhatActionNames(t *testing.T) {
	t.Parallel()
	r, err := PlanhatRegistry()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range r.All() {
		if !actionName.MatchString(a.Name) {
			t.Errorf("action name %q is not lowerCamelCase", a.Name)
		}
		if a.ReadOnly && a.Destructive {
			t.Errorf("%s is both read-only and destructive", a.Name)
		}
		if a.Group == "" {
			t.Errorf("%s has no group", a.Name)
		}
	}
	for _, name := range []string{
		"createCompany", "getCompany", "updateCompany", "deleteCompany", "listCompanies", "bulkUpsertCompanies",
		"createEndUser", "getEndUser", "listEndUsers", "bulkUpsertEndUsers",
		"getUser", "listUsers", "getCustomField", "listCustomFields",
		"createConversation", "listConversations", "createLicense", "createTask", "createIssue", "createOpportunity",
		"createProject", "createSale", "createInvoice", "createNps", "createChurn", "createCampaign", "createObjective",
		"createDeal", "getDeal", "updateDeal", "deleteDeal", "listDeals", "bulkUpsertDeals",
		"createTimeEntry", "listTimeEntries", "bulkUpsertTimeEntries", "createWorkspace", "listWorkspaces", "bulkUpsertWorkspaces",
		"getTimesheet", "listTimesheets", "getWorkflow", "listWorkflows",
		"getCall", "updateCall", "deleteCall", "listCalls",
		"listTickets", "deleteTicket", "bulkUpsertTickets",
		"createAsset", "updateAsset", "getAsset", "listAssets", "deleteAsset", "bulkUpsertAssets",
		"findCompany", "findEndUserByEmail", "findUserByEmail", "logNote", "createTicket", "logCall",
		"trackActivity", "trackActivities", "pushMetrics",
	} {
		if _, ok := r.Get(name); !ok {
			t.Errorf("missing action %s", name)
		}
	}
	for _, name := range []string{"createUser", "updateUser", "createCustomField", "bulkUpsertCustomFields", "getTicket", "createCall", "bulkUpsertCalls"} {
		if _, ok := r.Get(name); ok {
			t.Errorf("action %s exists, but the model does not support it here", name)
		}
	}
	if a, _ := r.Get("deleteCompany"); !a.Destructive {
		t.Error("deleteCompany is not marked destructive")
	}
	if a, _ := r.Get("listCompanies"); !a.ReadOnly {
		t.Error("listCompanies is not marked read-only")
	}
	for model, name := range dedicatedCreates {
		m, _ := planhat.ModelByName(model)
		a, ok := r.Get(name)
		if !ok {
			t.Errorf("%s records are created with %s, which is missing", model, name)
			continue
		}
		if want := newFamily(m).group; a.Group != want {
			t.Errorf("%s is in group %q, want its family's %q", name, a.Group, want)
		}
	}
	if got, want := len(r.All()), countFamilies()+6+10; got != want {
		t.Errorf("%d actions, want %d", got, want)
	}
}

// dedicatedCreates names the hand-written action that creates the records
// of a model whose generic create is left out (DedicatedActions), apart
// from assets, whose whole family is hand-written.
var dedicatedCreates = map[string]string{"call": "logCall"}

func countFamilies() int {
	n := 0
	for _, m := range planhat.Models() {
		for _, op := range []planhat.Ops{planhat.OpCreate, planhat.OpGet, planhat.OpUpdate, planhat.OpDelete, planhat.OpList, planhat.OpBulk} {
			if m.DedicatedActions.Has(op) {
				continue // counted among the assets and extras
			}
			if m.Supports(op) {
				n++
			}
		}
	}
	return n
}

// TestPlanhatReturnsFreshActions lets a door adjust its copy (e.g. hide an
// action's field) without touching another door's.
func TestPlanhatReturnsFreshActions(t *testing.T) {
	t.Parallel()
	a, b := Planhat(), Planhat()
	for i := range a {
		if a[i] == b[i] || a[i].Input == b[i].Input || a[i].Output == b[i].Output {
			t.Fatalf("%s: two calls share values", a[i].Name)
		}
	}
	a[0].Input.Properties = nil
	if b[0].Input.Properties == nil {
		t.Error("changing one copy changed the other")
	}
}

// TestRequiredFieldsDocumented makes every field a generic create requires
// a documented field: an undocumented one falls back to a plain string
// schema, which is wrong for numbers (a time entry's hours) and skips the
// reference check of ids, so the create could never succeed or would
// accept any text.
func TestRequiredFieldsDocumented(t *testing.T) {
	t.Parallel()
	for _, m := range planhat.Models() {
		if !m.Supports(planhat.OpCreate) || m.DedicatedActions.Has(planhat.OpCreate) {
			continue
		}
		simple, _ := newFamily(m).required()
		for _, field := range simple {
			if !slices.ContainsFunc(m.Fields, func(f planhat.FieldDoc) bool { return f.Name == field }) {
				t.Errorf("%s requires %s, which its Fields do not document", m.Name, field)
			}
		}
	}
}

// TestLocatorsFollowTheModelsKeyables checks that ids are validated against
// the keyables each model really has, before any call: an extid- for a
// model Planhat can only address by _id is refused with words saying so,
// and the descriptions promise no lookup the model lacks.
func TestLocatorsFollowTheModelsKeyables(t *testing.T) {
	t.Parallel()
	reg, err := PlanhatRegistry()
	if err != nil {
		t.Fatal(err)
	}
	const objectID = "65927f100001010000000004"
	tests := []struct {
		action, input string
		problem       string // "" means the input passes validation
	}{
		{"getCall", `{"id":"` + objectID + `"}`, ""},
		{"getCall", `{"id":"extid-c1"}`, "must be a 24-character Planhat id (24 hex characters)"},
		{"deleteTimeEntry", `{"id":"srcid-t1"}`, "must be a 24-character Planhat id (24 hex characters)"},
		{"getChurn", `{"id":"srcid-ch1"}`, ""},
		{"getChurn", `{"id":"extid-ch1"}`, "must be a 24-character Planhat id or srcid-<sourceId>"},
		{"updateIssue", `{"id":"extid-i1","title":"x"}`, "must be a 24-character Planhat id or srcid-<sourceId>"},
		{"getCompany", `{"id":"extid-acme"}`, ""},
		{"getCompany", `{"id":"srcid-acme"}`, ""},
		{"createTimeEntry", `{"companyId":"` + objectID + `","date":"2026-01-31","hours":30}`, "hours"},
		{"createTimeEntry", `{"companyId":"` + objectID + `","date":"2026-01-31","hours":0}`, "hours"},
	}
	for _, tt := range tests {
		t.Run(tt.action+" "+tt.input, func(t *testing.T) {
			t.Parallel()
			if _, ok := reg.Get(tt.action); !ok {
				t.Fatalf("no action %s", tt.action)
			}
			_, err := reg.testCall(t.Context(), tt.action, json.RawMessage(tt.input))
			var ie *InputError
			isInput := errors.As(err, &ie)
			if tt.problem == "" {
				if isInput {
					t.Fatalf("valid input refused: %v", err)
				}
				return
			}
			if !isInput || !strings.Contains(err.Error(), tt.problem) {
				t.Fatalf("err = %v, want an input error mentioning %q", err, tt.problem)
			}
		})
	}
	for _, name := range []string{"getCall", "deleteCall", "updateCall", "getTimeEntry", "deleteTimeEntry"} {
		a, ok := reg.Get(name)
		if !ok {
			t.Fatalf("no action %s", name)
		}
		if strings.Contains(a.Description, "externalId") || strings.Contains(a.Description, "sourceId") {
			t.Errorf("%s promises a lookup its model lacks: %s", name, a.Description)
		}
	}
	for _, name := range []string{"createTimeEntry", "bulkUpsertTimeEntries"} {
		a, ok := reg.Get(name)
		if !ok {
			t.Fatalf("no action %s", name)
		}
		if strings.Contains(a.Description, "never duplicates") || strings.Contains(a.Description, "avoid duplicates") {
			t.Errorf("%s promises duplicate-free retries its model cannot give: %s", name, a.Description)
		}
	}
}

// TestModelTableHasWhatActionsNeed makes a model's entry in planhat's table
// the only thing a new model needs for its action family: names for the
// actions and their descriptions, and a type and description on every
// documented field.
func TestModelTableHasWhatActionsNeed(t *testing.T) {
	t.Parallel()
	ident := regexp.MustCompile(`^[A-Z][A-Za-z]*$`)
	types := []string{"string", "number", "integer", "boolean", "array", "object"}
	for _, m := range planhat.Models() {
		if len(modelActions(m)) == 0 {
			continue
		}
		if !ident.MatchString(m.Singular) || !ident.MatchString(m.Plural) {
			t.Errorf("%s: Singular %q and Plural %q must be CamelCase action name parts", m.Name, m.Singular, m.Plural)
		}
		if m.Noun == "" || m.Nouns == "" {
			t.Errorf("%s: Noun %q and Nouns %q must both be set for descriptions", m.Name, m.Noun, m.Nouns)
		}
		seen := map[string]bool{}
		for _, f := range m.Fields {
			if seen[f.Name] {
				t.Errorf("%s: field %q is documented twice", m.Name, f.Name)
			}
			seen[f.Name] = true
			if f.Name == "" || f.Doc == "" || !slices.Contains(types, f.Type) {
				t.Errorf("%s: field %+v needs a name, a description and one of the types %v", m.Name, f, types)
			}
			if f.Min != nil && f.Max != nil && *f.Min > *f.Max {
				t.Errorf("%s: field %s has Min %v above Max %v", m.Name, f.Name, *f.Min, *f.Max)
			}
		}
	}
}
