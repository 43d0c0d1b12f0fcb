package e2e_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/planbridge/planbridge/botpress"
)

// family is one Planhat model's CRUD actions with a minimal valid create
// input; companyID is filled in at run time.
type family struct {
	group      string // the actions' group, e.g. "Companies"
	singular   string // e.g. "Company"
	plural     string // e.g. "Companies"
	listKey    string // the list output's array field
	create     func(companyID string) map[string]any
	idField    string // the id input's name; "id" when empty
	createName string // the create action when it is not create<singular>
}

// createAction names the action that creates the family's records.
func (f family) createAction() string {
	if f.createName != "" {
		return f.createName
	}
	return "create" + f.singular
}

// collection is the emulator collection holding the family's records.
func (f family) collection() string {
	switch f.group {
	case "Churn":
		return "churn"
	case "Nps":
		return "nps"
	}
	return strings.ToLower(f.plural)
}

func (f family) idInput(id string, more map[string]any) map[string]any {
	name := f.idField
	if name == "" {
		name = "id"
	}
	in := map[string]any{name: id}
	for k, v := range more {
		in[k] = v
	}
	return in
}

var families = []family{
	{group: "Companies", singular: "Company", plural: "Companies", listKey: "companies",
		create: func(string) map[string]any { return map[string]any{"name": "E2E Co", "externalId": "e2e-co"} }},
	{group: "EndUsers", singular: "EndUser", plural: "EndUsers", listKey: "endUsers",
		create: func(c string) map[string]any {
			return map[string]any{"companyId": c, "email": "e2e@example.com", "firstName": "Eve", "externalId": "e2e-eu"}
		}},
	{group: "Conversations", singular: "Conversation", plural: "Conversations", listKey: "conversations",
		create: func(c string) map[string]any {
			return map[string]any{"companyId": c, "subject": "Bot chat", "description": "Hello", "externalId": "e2e-conv"}
		}},
	{group: "Assets", singular: "Asset", plural: "Assets", listKey: "assets", idField: "assetId",
		create: func(c string) map[string]any {
			return map[string]any{"name": "E2E Asset", "companyId": c, "externalId": "e2e-asset"}
		}},
	{group: "Licenses", singular: "License", plural: "Licenses", listKey: "licenses",
		create: func(c string) map[string]any {
			return map[string]any{"companyId": c, "_currency": "USD", "fromDate": "2026-01-01", "toDate": "2026-12-31", "value": 1200, "mrr": 100, "product": "Pro", "externalId": "e2e-lic"}
		}},
	{group: "Opportunities", singular: "Opportunity", plural: "Opportunities", listKey: "opportunities",
		create: func(c string) map[string]any {
			return map[string]any{"companyId": c, "title": "Upsell", "externalId": "e2e-opp"}
		}},
	{group: "Projects", singular: "Project", plural: "Projects", listKey: "projects",
		create: func(c string) map[string]any {
			return map[string]any{"companyId": c, "name": "Rollout", "externalId": "e2e-proj"}
		}},
	{group: "Tasks", singular: "Task", plural: "Tasks", listKey: "tasks",
		create: func(c string) map[string]any {
			return map[string]any{"companyId": c, "title": "Call back", "externalId": "e2e-task"}
		}},
	{group: "Issues", singular: "Issue", plural: "Issues", listKey: "issues",
		create: func(c string) map[string]any {
			return map[string]any{"title": "Bug", "companyIds": []string{c}, "externalId": "e2e-issue"}
		}},
	{group: "Campaigns", singular: "Campaign", plural: "Campaigns", listKey: "campaigns",
		create: func(c string) map[string]any {
			return map[string]any{"companyId": c, "name": "Spring", "externalId": "e2e-camp"}
		}},
	{group: "Objectives", singular: "Objective", plural: "Objectives", listKey: "objectives",
		create: func(c string) map[string]any {
			return map[string]any{"companyId": c, "name": "Adoption", "externalId": "e2e-obj"}
		}},
	{group: "Churn", singular: "Churn", plural: "Churn", listKey: "churn",
		create: func(c string) map[string]any {
			return map[string]any{"companyId": c, "reasons": []string{"price"}, "externalId": "e2e-churn"}
		}},
	{group: "Nps", singular: "Nps", plural: "Nps", listKey: "nps",
		create: func(c string) map[string]any {
			return map[string]any{"email": "nps@example.com", "score": 9, "companyId": c, "externalId": "e2e-nps"}
		}},
	{group: "Sales", singular: "Sale", plural: "Sales", listKey: "sales",
		create: func(c string) map[string]any {
			return map[string]any{"companyId": c, "_currency": "USD", "salesDate": "2026-02-01", "value": 500, "externalId": "e2e-sale"}
		}},
	{group: "Invoices", singular: "Invoice", plural: "Invoices", listKey: "invoices",
		create: func(c string) map[string]any {
			return map[string]any{"cId": c, "currency": "USD", "invoiceDate": 20513, "dueDate": 20544, "extId": "e2e-inv"}
		}},
	{group: "Deals", singular: "Deal", plural: "Deals", listKey: "deals",
		create: func(c string) map[string]any {
			return map[string]any{"companyId": c, "title": "Renewal", "externalId": "e2e-deal"}
		}},
	{group: "TimeEntries", singular: "TimeEntry", plural: "TimeEntries", listKey: "timeEntries",
		create: func(c string) map[string]any {
			return map[string]any{"companyId": c, "date": "2026-03-02", "hours": 1.5}
		}},
	{group: "Workspaces", singular: "Workspace", plural: "Workspaces", listKey: "workspaces",
		create: func(c string) map[string]any {
			return map[string]any{"companyId": c, "name": "Support", "externalId": "e2e-ws"}
		}},
	{group: "Calls", singular: "Call", plural: "Calls", listKey: "calls", createName: "logCall",
		create: func(string) map[string]any {
			return map[string]any{"nr": "+46701234567", "start": "2026-03-02T09:00:00Z", "end": "2026-03-02T09:04:00Z", "waiting": 20}
		}},
}

// exercisedElsewhere are the actions other tests call with real inputs
// (TestExtraActions); every other action must be called by
// TestActionFamilies, so a new model family cannot go untested unnoticed.
var exercisedElsewhere = []string{
	"findCompany", "findEndUserByEmail", "findUserByEmail", "logNote", "createTicket", "logCall",
	"trackActivity", "trackActivities", "pushMetrics", "logConversation",
}

// TestActionFamilies runs create, get, list, update, delete and bulk upsert
// of every model family, and get and list of the read-only ones, through
// Botpress → planbridge → Planhat, and checks the emulator's data after each
// write.
func TestActionFamilies(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	companyID := s.firstID(t, "companies")
	covered := map[string]bool{}
	for _, f := range families {
		t.Run(f.group, func(t *testing.T) {
			get, list, update, del, create := "get"+f.singular, "list"+f.plural, "update"+f.singular, "delete"+f.singular, f.createAction()
			for _, n := range []string{get, list, update, del, create} {
				if _, ok := s.reg.Get(n); !ok {
					t.Fatalf("registry has no %s", n)
				}
				covered[n] = true
			}
			created := s.output(t, create, f.create(companyID))
			id := idOf(created)
			if len(id) != 24 {
				t.Fatalf("%s output has no 24-hex id: %v", create, created)
			}
			got := s.output(t, get, f.idInput(id, nil))
			if idOf(got) != id {
				t.Errorf("%s returned id %q, want %q", get, idOf(got), id)
			}
			listed := s.output(t, list, map[string]any{"limit": 1000})
			items, _ := listed[f.listKey].([]any)
			if !slices.ContainsFunc(items, func(x any) bool { m, _ := x.(map[string]any); return idOf(m) == id }) {
				t.Errorf("%s (%d items under %q) lacks %s; output keys %v", list, len(items), f.listKey, id, keys(listed))
			}
			s.output(t, update, f.idInput(id, map[string]any{"externalId": "e2e-updated-" + strings.ToLower(f.singular)}))
			if ext := s.emulatorField(t, f, id, "externalId", "extId"); ext != "e2e-updated-"+strings.ToLower(f.singular) {
				t.Errorf("after %s the emulator has externalId %q", update, ext)
			}
			out := s.output(t, del, f.idInput(id, nil))
			if out["success"] != true {
				t.Errorf("%s = %v, want success", del, out)
			}
			e := apiError(t, s.action(t, get, f.idInput(id, nil)), http.StatusBadRequest, botpress.TypeRuntime)
			if !strings.Contains(e.Message, "check the id") {
				t.Errorf("not-found message is not instructive: %s", e.Message)
			}

			bulk := "bulkUpsert" + f.plural
			if _, ok := s.reg.Get(bulk); !ok {
				return
			}
			covered[bulk] = true
			item := f.create(companyID)
			if f.group == "Tasks" {
				// Bulk upserts get no create defaults: Planhat needs mainType.
				item["mainType"] = "task"
			}
			bulkOut := s.output(t, bulk, map[string]any{f.listKey: []any{item}})
			inserted, _ := bulkOut["insertsKeys"].([]any)
			if bulkOut["created"] != 1.0 || len(inserted) != 1 {
				t.Fatalf("%s = %v, want one record created", bulk, bulkOut)
			}
			if _, ok := s.planhat.Object(f.collection(), idOf(inserted[0].(map[string]any))); !ok {
				t.Errorf("%s reported %v, which the emulator does not hold", bulk, inserted[0])
			}
		})
	}
	t.Run("read-only families", func(t *testing.T) {
		for _, tt := range []struct {
			collection string
			record     map[string]any
			singular   string
			plural     string
			listKey    string
			field      string // a field get must return as inserted
		}{
			{"users", map[string]any{"email": "csm@vendor.example", "nickName": "csm", "firstName": "Cee", "lastName": "Sem"}, "User", "Users", "users", "email"},
			{"customfields", map[string]any{"name": "Tier", "type": "text", "parent": "Company"}, "CustomField", "CustomFields", "customFields", "name"},
			{"timesheets", map[string]any{"userId": s.firstID(t, "users"), "periodStart": 20514, "periodEnd": 20520, "status": "submitted"}, "Timesheet", "Timesheets", "timesheets", "status"},
			{"workflows", map[string]any{"name": "Onboarding playbook", "companyId": companyID, "status": "active"}, "Workflow", "Workflows", "workflows", "name"},
		} {
			id := s.planhat.Insert(tt.collection, tt.record)
			got := s.output(t, "get"+tt.singular, map[string]any{"id": id})
			if idOf(got) != id || got[tt.field] != tt.record[tt.field] {
				t.Errorf("get%s(%s) = %v, want id %s and %s %v", tt.singular, id, got, id, tt.field, tt.record[tt.field])
			}
			listed := s.output(t, "list"+tt.plural, map[string]any{})
			items, _ := listed[tt.listKey].([]any)
			if !slices.ContainsFunc(items, func(x any) bool { m, _ := x.(map[string]any); return idOf(m) == id }) {
				t.Errorf("list%s = %v, want it to contain %s", tt.plural, listed, id)
			}
			covered["get"+tt.singular], covered["list"+tt.plural] = true, true
		}
	})
	t.Run("bulk upserts", func(t *testing.T) {
		out := s.output(t, "bulkUpsertCompanies", map[string]any{"companies": []map[string]any{
			{"name": "Bulk One", "externalId": "bulk-1"}, {"name": "Bulk Two", "externalId": "bulk-2"},
		}})
		if fmt.Sprint(out["created"]) != "2" {
			t.Errorf("bulkUpsertCompanies = %v, want created 2", out)
		}
		out = s.output(t, "bulkUpsertTickets", map[string]any{"tickets": []map[string]any{
			{"companyId": companyID, "title": "Ticket", "email": "t@example.com", "externalId": "tk-1", "sourceId": "tk-src-1"},
		}})
		if fmt.Sprint(out["created"]) != "1" {
			t.Errorf("bulkUpsertTickets = %v, want created 1", out)
		}
		ids, _ := out["upsertedIds"].([]any)
		if len(ids) != 1 {
			t.Fatalf("bulkUpsertTickets upsertedIds = %v, want one", out["upsertedIds"])
		}
		tickets := s.output(t, "listTickets", map[string]any{"companyId": companyID})
		if items, _ := tickets["tickets"].([]any); !slices.ContainsFunc(items, func(x any) bool { m, _ := x.(map[string]any); return idOf(m) == ids[0] }) {
			t.Errorf("listTickets = %v, want it to contain %v", tickets, ids[0])
		}
		if del := s.output(t, "deleteTicket", map[string]any{"id": ids[0]}); del["success"] != true {
			t.Errorf("deleteTicket = %v, want success", del)
		}
		if _, ok := s.planhat.Object("tickets", ids[0].(string)); ok {
			t.Error("the ticket is still stored after deleteTicket")
		}
		covered["bulkUpsertCompanies"], covered["bulkUpsertTickets"] = true, true
		covered["listTickets"], covered["deleteTicket"] = true, true
	})
	t.Run("extras", func(t *testing.T) {
		// Every action the registry has beyond the CRUD families gets at least
		// a schema-valid call with its required inputs missing: the answer
		// must be an instructive InvalidPayload, never a 500.
		for _, a := range s.reg.All() {
			if covered[a.Name] || len(a.Input.Required) == 0 {
				continue
			}
			resp := s.action(t, a.Name, map[string]any{})
			if resp.Status != http.StatusBadRequest {
				t.Errorf("%s with {} = %d %s, want 400", a.Name, resp.Status, resp.Body)
				continue
			}
			if e := resp.APIError(); e == nil || e.Type != botpress.TypeInvalidPayload || !strings.Contains(e.Message, a.Input.Required[0]) {
				t.Errorf("%s with {}: %s", a.Name, resp.Body)
			}
		}
	})
	for _, a := range s.reg.All() {
		if !covered[a.Name] && !slices.Contains(exercisedElsewhere, a.Name) {
			t.Errorf("%s is never called end to end: add its family to families or call it in TestExtraActions", a.Name)
		}
	}
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// emulatorField reads a field of a record straight from the emulator.
func (s *stack) emulatorField(t *testing.T, f family, id string, names ...string) string {
	t.Helper()
	collection := f.collection()
	o, ok := s.planhat.Object(collection, id)
	if !ok {
		t.Fatalf("emulator collection %q has no %s", collection, id)
	}
	for _, n := range names {
		if v, ok := o[n].(string); ok {
			return v
		}
	}
	return ""
}
