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
	group    string // the actions' group, e.g. "Companies"
	singular string // e.g. "Company"
	plural   string // e.g. "Companies"
	listKey  string // the list output's array field
	create   func(companyID string) map[string]any
	idField  string // the id input's name; "id" when empty
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
}

// TestActionFamilies runs create, get, list, update and delete of every
// model family through Botpress → planbridge → Planhat, and checks the
// emulator's data after each write.
func TestActionFamilies(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	companyID := s.firstID(t, "companies")
	covered := map[string]bool{}
	for _, f := range families {
		t.Run(f.group, func(t *testing.T) {
			get, list, update, del, create := "get"+f.singular, "list"+f.plural, "update"+f.singular, "delete"+f.singular, "create"+f.singular
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
		})
	}
	t.Run("read-only families", func(t *testing.T) {
		users := s.output(t, "listUsers", map[string]any{})
		if len(users) == 0 {
			t.Error("listUsers returned nothing")
		}
		fields := s.output(t, "listCustomFields", map[string]any{})
		if fields == nil {
			t.Error("listCustomFields returned nothing")
		}
		covered["listUsers"], covered["listCustomFields"] = true, true
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
		covered["bulkUpsertCompanies"], covered["bulkUpsertTickets"] = true, true
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
	collection := strings.ToLower(f.plural[:1]) + f.plural[1:]
	switch f.group {
	case "Churn":
		collection = "churn"
	case "Nps":
		collection = "nps"
	case "EndUsers":
		collection = "endusers"
	}
	for _, o := range s.planhat.Objects(collection) {
		if o["_id"] == id {
			for _, n := range names {
				if v, ok := o[n].(string); ok {
					return v
				}
			}
			return ""
		}
	}
	t.Fatalf("emulator collection %q has no %s", collection, id)
	return ""
}
