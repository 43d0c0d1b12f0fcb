package planhat_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/planhat/planhatemu"
)

func TestModelRegistry(t *testing.T) {
	t.Parallel()
	ms := planhat.Models()
	if !slices.IsSortedFunc(ms, func(a, b *planhat.Model) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("Models() is not sorted by name")
	}
	seen := map[string]bool{}
	for _, m := range ms {
		if seen[m.Name] || seen[m.Path] {
			t.Errorf("duplicate model %s", m.Name)
		}
		seen[m.Name], seen[m.Path] = true, true
		if m.MaxLimit < m.DefaultLimit || m.MaxLimit <= 0 || !slices.Contains(m.Keyables, "_id") || m.Ops == 0 {
			t.Errorf("model %s is inconsistent: %+v", m.Name, m)
		}
		for _, key := range []string{m.Name, m.Path, strings.ToUpper(m.Title)} {
			if got, ok := planhat.ModelByName(key); !ok || got != m {
				t.Errorf("ModelByName(%q) = %v, %v", key, got, ok)
			}
		}
	}
	if _, ok := planhat.ModelByName("notes"); ok {
		t.Error("notes must not be a model: /notes answers 404 on live tenants; use LogNote")
	}
}

// TestEveryModel runs each model's supported operations, untyped and typed, against the
// emulator with a minimal valid record.
func TestEveryModel(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newEnv(t, nil, nil)
	co := e.srv.Insert("companies", map[string]any{"name": "Acme", "externalId": "acme"})
	samples := map[string]planhat.Object{
		"asset":        {"name": "Router", "companyId": co, "externalId": "as-1"},
		"call":         {"nr": "+4670123456", "externalUserId": "max123"},
		"campaign":     {"name": "Q4", "companyId": co, "externalId": "ca-1"},
		"churn":        {"companyId": co, "sourceId": "ch-1", "reasons": []any{"price"}, "value": 10},
		"company":      {"name": "Beta", "externalId": "beta"},
		"conversation": {"type": "note", "companyId": co, "subject": "Hi", "externalId": "cv-1"},
		"deal":         {"companyId": co, "externalId": "de-1", "title": "Upsell"},
		"enduser":      {"email": "ann@acme.test", "companyId": co, "externalId": "eu-1"},
		"invoice":      {"currency": "EUR", "cId": co, "extId": "in-1", "invoiceDate": 20777},
		"issue":        {"title": "Bug", "companyIds": []any{co}, "sourceId": "is-1"},
		"license":      {"_currency": "EUR", "companyId": co, "fromDate": "2026-01-01", "mrr": 100, "externalId": "li-1"},
		"nps":          {"email": "ann@acme.test", "score": 9, "cId": co, "sourceId": "np-1"},
		"objective":    {"name": "Adoption", "companyId": co, "externalId": "ob-1"},
		"opportunity":  {"companyId": co, "title": "Renewal", "externalId": "op-1"},
		"project":      {"name": "Rollout", "companyId": co, "externalId": "pr-1"},
		"sale":         {"_currency": "EUR", "companyId": co, "salesDate": "2026-01-01", "value": 500, "externalId": "sa-1"},
		"task":         {"action": "Call", "companyId": co, "externalId": "ta-1"},
		"ticket":       {"sourceId": "tk-1", "email": "ann@acme.test", "companyId": co, "subject": "Help"},
		"timeentry":    {"date": "2026-01-01", "hours": 2, "companyId": co},
		"workspace":    {"name": "EMEA", "companyId": co, "externalId": "ws-1"},
		"customfield":  {"name": "Plan", "type": "text", "parent": "company"},
		"timesheet":    {"dateFrom": 20777, "dateTo": 20783},
		"user":         {"email": "alex@example.com", "nickName": "Alex", "firstName": "Alex", "lastName": "Smith"},
		"workflow":     {"name": "Onboarding"},
	}
	for _, m := range planhat.Models() {
		t.Run(m.Name, func(t *testing.T) {
			sample, ok := samples[m.Name]
			if !ok {
				t.Fatalf("no sample for %s", m.Name)
			}
			r := e.c.Objects(m)
			var id string
			if m.Supports(planhat.OpCreate) {
				got, err := r.Create(ctx, sample)
				if err != nil {
					t.Fatalf("Create: %v", err)
				}
				id = got.ID()
				if id == "" {
					t.Fatalf("created without _id: %v", got)
				}
			} else {
				raw, _ := json.Marshal(sample)
				var rec map[string]any
				_ = json.Unmarshal(raw, &rec)
				id = e.srv.Insert(m.Path, rec)
			}
			if m.Supports(planhat.OpGet) {
				got, err := r.Get(ctx, planhat.ID(id))
				if err != nil || got.ID() != id {
					t.Fatalf("Get: %v %v", got, err)
				}
			}
			if m.Supports(planhat.OpUpdate) {
				got, err := r.Update(ctx, planhat.ID(id), planhat.Object{"custom": map[string]any{"Checked": true}})
				if err != nil {
					t.Fatalf("Update: %v", err)
				}
				if c, _ := got["custom"].(map[string]any); c["Checked"] != true {
					t.Errorf("Update returned %v", got)
				}
			}
			if m.Supports(planhat.OpList) {
				found := false
				for o, err := range r.All(ctx, nil) {
					if err != nil {
						t.Fatalf("All: %v", err)
					}
					found = found || o.ID() == id
				}
				if !found {
					t.Errorf("record %s not listed", id)
				}
			}
			if m.Supports(planhat.OpBulk) {
				again := planhat.Object{"_id": id, "custom": map[string]any{"Bulk": 1}}
				if m == planhat.ModelTicket {
					again = planhat.Object{"sourceId": "tk-1", "email": "ann@acme.test", "companyId": co, "subject": "Help again"}
				}
				res, err := r.BulkUpsert(ctx, []planhat.Object{again})
				if err != nil {
					t.Fatalf("BulkUpsert: %v", err)
				}
				if res.Updated != 1 || res.Created != 0 {
					t.Errorf("BulkUpsert result = %+v, want one update", res)
				}
			}
			if m.Supports(planhat.OpDelete) {
				res, err := r.Delete(ctx, planhat.ID(id))
				if err != nil || res.DeletedCount != 1 {
					t.Fatalf("Delete: %+v %v", res, err)
				}
			}
		})
	}
}

// TestTypedWrappers checks that each typed model decodes what its untyped twin stored.
func TestTypedWrappers(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newEnv(t, nil, nil)
	co := e.srv.Insert("companies", map[string]any{"name": "Acme", "externalId": "acme", "owner": "58e231b14246fc73139f29e8"})

	inv, err := e.c.Invoices().Create(ctx, planhat.Invoice{CompanyID: co, Currency: "EUR", ExtID: "inv-9", InvoiceDate: 20777, DueDate: 20807})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.c.Invoices().Get(ctx, planhat.ExtID("inv-9"))
	if err != nil || got.ID != inv.ID || got.InvoiceDate.String() != "2026-11-20" || got.DueDate != 20807 {
		t.Errorf("invoice = %+v, %v", got, err)
	}
	task, err := e.c.Tasks().Create(ctx, planhat.Task{Action: "Call back", CompanyID: co})
	if err != nil || task.MainType != "task" {
		t.Errorf("task = %+v, %v; want mainType task by default", task, err)
	}
	zero := planhat.FlexNumber(0)
	nps, err := e.c.NPS().Create(ctx, planhat.NPS{Email: "ann@acme.test", Score: &zero, CompanyID: co})
	if err != nil || nps.Score == nil || *nps.Score != 0 {
		t.Errorf("nps = %+v, %v; a score of 0 must be sent and kept", nps, err)
	}
	issue, err := e.c.Issues().Create(ctx, planhat.Issue{Title: "Bug", CompanyIDs: planhat.FlexStrings{co}})
	if err != nil || len(issue.CompanyIDs) != 1 {
		t.Errorf("issue = %+v, %v", issue, err)
	}
	res, err := e.c.UpsertTickets(ctx, []planhat.Ticket{{SourceID: "zd-1", Email: "ann@acme.test", CompanyID: co, Subject: "Help"}})
	if err != nil || res.Created != 1 {
		t.Errorf("tickets = %+v, %v", res, err)
	}
	lic, err := e.c.Licenses().Create(ctx, planhat.License{CompanyID: co, Currency: "EUR", FromDate: planhat.NewTime(planhat.EpochDays(20777).Time()), MRR: 100})
	if err != nil || lic.MRR != 100 || lic.FromDate.IsZero() {
		t.Errorf("license = %+v, %v", lic, err)
	}
	for _, err := range []error{
		func() error { _, err := e.c.Assets().Create(ctx, planhat.Asset{Name: "A", CompanyID: co}); return err }(),
		func() error {
			_, err := e.c.Projects().Create(ctx, planhat.Project{Name: "P", CompanyID: co})
			return err
		}(),
		func() error {
			_, err := e.c.Campaigns().Create(ctx, planhat.Campaign{Name: "C", CompanyID: co})
			return err
		}(),
		func() error {
			_, err := e.c.Objectives().Create(ctx, planhat.Objective{Name: "O", CompanyID: co})
			return err
		}(),
		func() error {
			_, err := e.c.Opportunities().Create(ctx, planhat.Opportunity{CompanyID: co, Title: "T"})
			return err
		}(),
		func() error {
			_, err := e.c.Sales().Create(ctx, planhat.Sale{CompanyID: co, Currency: "EUR", SalesDate: planhat.NewTime(planhat.EpochDays(20777).Time()), Value: 5})
			return err
		}(),
		func() error { _, err := e.c.Churn().Create(ctx, planhat.Churn{CompanyID: co, Value: 5}); return err }(),
		func() error { _, err := e.c.CustomFields().List(ctx, nil); return err }(),
		func() error { _, err := e.c.Users().List(ctx, nil); return err }(),
		func() error { _, err := e.c.Calls().List(ctx, nil); return err }(),
		func() error { _, err := e.c.Tickets().List(ctx, nil); return err }(),
	} {
		if err != nil {
			t.Error(err)
		}
	}
}

// TestModelLimitsMatchTheEmulator checks each listable model's maximum page size in the
// client's registry is exactly the emulator's (spec §2.4): with over-max limits refused, the
// maximum is accepted and one more is not. A mismatch would make iterators page short (and
// stop early) or ask for pages Planhat clamps.
func TestModelLimitsMatchTheEmulator(t *testing.T) {
	t.Parallel()
	e := newEnv(t, []planhatemu.Option{planhatemu.WithSwitches(planhatemu.Switches{RejectOverMaxLimit: true})}, nil)
	served := map[string]bool{}
	for _, p := range planhatemu.Models() {
		served[p] = true
	}
	for _, m := range planhat.Models() {
		if !m.Supports(planhat.OpList) || !served[m.Path] {
			continue
		}
		t.Run(m.Name, func(t *testing.T) {
			get := func(limit int) error {
				return e.c.Do(t.Context(), http.MethodGet, "/"+m.Path, url.Values{"limit": {strconv.Itoa(limit)}}, nil, nil)
			}
			if err := get(m.MaxLimit); err != nil {
				t.Errorf("limit=%d (the client's maximum) refused: %v", m.MaxLimit, err)
			}
			if err := get(m.MaxLimit + 1); !errors.Is(err, planhat.ErrBadRequest) {
				t.Errorf("limit=%d accepted (err %v): the emulator's maximum is larger than the client's %d", m.MaxLimit+1, err, m.MaxLimit)
			}
		})
	}
}

// TestModelDefaultLimitsMatchTheEmulator checks each listable model's default page size in
// the client's registry is exactly the emulator's (spec §2.4): with DefaultLimit+1 records
// stored, a list without a limit returns DefaultLimit of them. Callers read DefaultLimit to
// know whether an unbounded List saw everything; a wrong value hides records. The records
// are stored directly, not over HTTP, so users' 10,001 take milliseconds.
func TestModelDefaultLimitsMatchTheEmulator(t *testing.T) {
	t.Parallel()
	served := map[string]bool{}
	for _, p := range planhatemu.Models() {
		served[p] = true
	}
	for _, m := range planhat.Models() {
		if !m.Supports(planhat.OpList) {
			continue
		}
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			if !served[m.Path] {
				t.Fatalf("the emulator does not serve /%s, so its default page size is unchecked", m.Path)
			}
			e := newEnv(t, nil, nil)
			for i := range m.DefaultLimit + 1 {
				e.srv.Insert(m.Path, map[string]any{"name": fmt.Sprintf("%s %d", m.Name, i)})
			}
			got, err := e.c.Objects(m).List(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != m.DefaultLimit {
				t.Errorf("a list without a limit over %d records returned %d, want the client's DefaultLimit %d", m.DefaultLimit+1, len(got), m.DefaultLimit)
			}
			if q := e.rec.requests()[0].Query; q != "" {
				t.Errorf("the list sent the query %q, want none (the server's default page)", q)
			}
		})
	}
}
