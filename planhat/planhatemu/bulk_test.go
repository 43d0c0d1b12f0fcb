package planhatemu

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// bulk sends PUT /<model> and decodes the result.
func bulk(t *testing.T, srv *Server, model string, items any) (int, BulkResult) {
	t.Helper()
	r := call(t, srv, "PUT", srv.URL+"/"+model, items)
	var res BulkResult
	if err := json.Unmarshal(r.body, &res); err != nil {
		t.Fatalf("bulk answer is not a bulk result (%v): %s", err, r.body)
	}
	return r.status, res
}

// counts summarises a result for table comparisons.
type counts struct {
	Status                                  int
	Created, Updated, Nonupdates            int
	CreatedErrs, UpdatedErrs, PermissionErr int
	Modified, Upserted                      int
}

func countsOf(status int, r BulkResult) counts {
	return counts{status, r.Created, r.Updated, r.Nonupdates, len(r.CreatedErrors), len(r.UpdatedErrors), len(r.PermissionErrors), len(r.Modified), len(r.UpsertedIDs)}
}

func TestBulkUpsert(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	status, res := bulk(t, srv, "companies", []any{
		map[string]any{"name": "A", "externalId": "a"},
		map[string]any{"name": "B", "sourceId": "sb"},
		map[string]any{"name": "C"},
	})
	if diff := cmp.Diff(counts{Status: 200, Created: 3, Upserted: 3}, countsOf(status, res)); diff != "" {
		t.Fatalf("first load (-want +got):\n%s", diff)
	}
	aID := res.InsertsKeys[0]["_id"].(string)
	if diff := cmp.Diff(map[string]any{"_id": aID, "externalId": "a"}, res.InsertsKeys[0]); diff != "" {
		t.Errorf("insertsKeys[0] (-want +got):\n%s", diff)
	}
	tests := []struct {
		name  string
		items []any
		want  counts
	}{
		{"update by externalId", []any{map[string]any{"externalId": "a", "phase": "x"}}, counts{Status: 200, Updated: 1, Modified: 1, Upserted: 1}},
		{"same again is a nonupdate", []any{map[string]any{"externalId": "a", "phase": "x"}}, counts{Status: 200, Nonupdates: 1}},
		{"update by sourceId", []any{map[string]any{"sourceId": "sb", "name": "B2"}}, counts{Status: 200, Updated: 1, Modified: 1, Upserted: 1}},
		{"update by _id", []any{map[string]any{"_id": aID, "name": "A2"}}, counts{Status: 200, Updated: 1, Modified: 1, Upserted: 1}},
		{"_id wins over externalId", []any{map[string]any{"_id": aID, "externalId": "new-ext"}}, counts{Status: 200, Updated: 1, Modified: 1, Upserted: 1}},
		{"unknown _id", []any{map[string]any{"_id": "ffffffffffffffffffffffff", "name": "Z"}}, counts{Status: 400, UpdatedErrs: 1}},
		{"missing name on create", []any{map[string]any{"externalId": "zzz"}}, counts{Status: 400, CreatedErrs: 1}},
		{"partial success", []any{map[string]any{"name": "D"}, map[string]any{"phase": "p"}}, counts{Status: 206, Created: 1, CreatedErrs: 1, Upserted: 1}},
		{"non-object item", []any{"x", map[string]any{"name": "E"}}, counts{Status: 206, Created: 1, CreatedErrs: 1, Upserted: 1}},
		{"duplicate keyable in payload", []any{map[string]any{"name": "F", "externalId": "f"}, map[string]any{"name": "F2", "externalId": "f"}}, counts{Status: 206, Created: 1, CreatedErrs: 1, Upserted: 1}},
		{"empty payload", []any{}, counts{Status: 200}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, res := bulk(t, srv, "companies", tc.items)
			if diff := cmp.Diff(tc.want, countsOf(status, res)); diff != "" {
				t.Errorf("(-want +got):\n%s\n%+v", diff, res)
			}
		})
	}
	a, _ := srv.Object("companies", aID)
	if a["name"] != "A2" || a["phase"] != "x" || a["externalId"] != "new-ext" {
		t.Errorf("company A after updates = %v", a)
	}
	if n := srv.Count("companies"); n != 6 {
		t.Errorf("companies = %d, want 6", n)
	}
}

func TestBulkResultShape(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	r := call(t, srv, "PUT", srv.URL+"/companies", []any{map[string]any{"externalId": "x"}})
	mustStatus(t, r, 400)
	got := r.object(t)
	want := map[string]any{
		"created": json.Number("0"), "createdErrors": []any{map[string]any{"item": map[string]any{"externalId": "x"}, "error": "name is required: check the required fields of companies in Planhat's API reference"}},
		"insertsKeys": []any{}, "updated": json.Number("0"), "updatedErrors": []any{}, "updatesKeys": []any{},
		"nonupdates": json.Number("0"), "modified": []any{}, "upsertedIds": []any{}, "permissionErrors": []any{},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bulk body (-want +got):\n%s", diff)
	}
	srv.SetSwitches(func(s *Switches) { s.StringBulkErrors = true })
	_, res := bulk(t, srv, "companies", []any{map[string]any{"externalId": "x"}})
	if _, ok := res.CreatedErrors[0].(string); !ok {
		t.Errorf("StringBulkErrors: element = %#v, want a string", res.CreatedErrors[0])
	}
}

func TestBulkLimitsAndSwitches(t *testing.T) {
	t.Parallel()
	t.Run("over 5000 items", func(t *testing.T) {
		t.Parallel()
		srv := newTestServer(t)
		items := make([]any, MaxBulkItems+1)
		for i := range items {
			items[i] = map[string]any{"name": fmt.Sprint(i)}
		}
		mustStatus(t, call(t, srv, "PUT", srv.URL+"/companies", items), 400)
		if srv.Count("companies") != 0 {
			t.Errorf("refused bulk stored data")
		}
		status, res := bulk(t, srv, "companies", items[:MaxBulkItems])
		if status != 200 || res.Created != MaxBulkItems {
			t.Errorf("5000 items: status %d created %d", status, res.Created)
		}
	})
	t.Run("duplicates fail the whole payload", func(t *testing.T) {
		t.Parallel()
		srv := newTestServer(t, WithSwitches(Switches{BulkDuplicatesFail: true}))
		status, res := bulk(t, srv, "companies", []any{map[string]any{"name": "A", "sourceId": "s"}, map[string]any{"name": "B", "sourceId": "s"}})
		if status != 400 || len(res.CreatedErrors) != 1 || srv.Count("companies") != 0 {
			t.Errorf("status %d errors %v count %d", status, res.CreatedErrors, srv.Count("companies"))
		}
	})
	t.Run("permission errors are 403", func(t *testing.T) {
		t.Parallel()
		srv := newTestServer(t, WithSwitches(Switches{DeniedFields: map[string][]string{"companies": {"mrr"}}}))
		status, res := bulk(t, srv, "companies", []any{map[string]any{"name": "A", "mrr": 1}})
		if diff := cmp.Diff(counts{Status: 403, PermissionErr: 1}, countsOf(status, res)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		status, res = bulk(t, srv, "companies", []any{map[string]any{"name": "A", "mrr": 1}, map[string]any{"name": "B"}})
		if diff := cmp.Diff(counts{Status: 206, Created: 1, PermissionErr: 1, Upserted: 1}, countsOf(status, res)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("match order switch", func(t *testing.T) {
		t.Parallel()
		srv := newTestServer(t)
		srv.Insert("companies", map[string]any{"name": "BySource", "sourceId": "s"})
		srv.Insert("companies", map[string]any{"name": "ByExt", "externalId": "e"})
		item := []any{map[string]any{"sourceId": "s", "externalId": "e", "phase": "p"}}
		// Default order matches by sourceId first, so the item's externalId
		// then collides with ByExt; externalId-first collides on sourceId.
		for _, tc := range []struct {
			order []string
			want  string
		}{
			{nil, "externalId \"e\" duplicated"},
			{[]string{"externalId", "sourceId"}, "sourceId \"s\" duplicated"},
		} {
			srv.SetSwitches(func(s *Switches) { s.BulkMatchOrder = tc.order })
			_, res := bulk(t, srv, "companies", item)
			if len(res.UpdatedErrors) != 1 || !strings.Contains(fmt.Sprint(res.UpdatedErrors[0]), tc.want) {
				t.Errorf("order %v: updatedErrors %v, want one containing %s", tc.order, res.UpdatedErrors, tc.want)
			}
		}
	})
	t.Run("custom fields have no bulk", func(t *testing.T) {
		t.Parallel()
		srv := newTestServer(t)
		mustStatus(t, call(t, srv, "PUT", srv.URL+"/customfields", []any{}), 404)
	})
}

func TestBulkEndusers(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	a := createCompany(t, srv, map[string]any{"name": "A", "externalId": "ca"})
	b := createCompany(t, srv, map[string]any{"name": "B", "externalId": "cb"})
	status, res := bulk(t, srv, "endusers", []any{
		map[string]any{"email": "one@x.example", "companyId": "extid-ca", "externalId": "u1"},
		map[string]any{"email": "one@x.example", "companyId": b, "externalId": "u1"}, // same externalId, other company
		map[string]any{"email": "solo@x.example", "companyId": a},
	})
	if diff := cmp.Diff(counts{Status: 200, Created: 3, Upserted: 3}, countsOf(status, res)); diff != "" {
		t.Fatalf("(-want +got):\n%s\n%+v", diff, res)
	}
	tests := []struct {
		name  string
		item  map[string]any
		want  counts
		check func(t *testing.T)
	}{
		{"email unique matches", map[string]any{"email": "solo@x.example", "position": "CFO"}, counts{Status: 200, Updated: 1, Modified: 1, Upserted: 1}, nil},
		{"ambiguous email scoped by company", map[string]any{"email": "one@x.example", "companyId": b, "position": "CTO"}, counts{Status: 200, Updated: 1, Modified: 1, Upserted: 1}, nil},
		{"externalId scoped by company", map[string]any{"externalId": "u1", "companyId": "extid-ca", "position": "CEO"}, counts{Status: 200, Updated: 1, Modified: 1, Upserted: 1}, nil},
		{"ambiguous email without company creates", map[string]any{"email": "one@x.example", "companyId": nil}, counts{Status: 400, CreatedErrs: 1}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, res := bulk(t, srv, "endusers", []any{tc.item})
			if diff := cmp.Diff(tc.want, countsOf(status, res)); diff != "" {
				t.Errorf("(-want +got):\n%s\n%+v", diff, res)
			}
		})
	}
	positions := map[string]any{}
	for _, eu := range srv.Objects("endusers") {
		positions[fmt.Sprint(eu["companyId"], "/", eu["email"])] = eu["position"]
	}
	want := map[string]any{a + "/one@x.example": "CEO", b + "/one@x.example": "CTO", a + "/solo@x.example": "CFO"}
	if diff := cmp.Diff(want, positions); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}
}

func TestTickets(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	cid := createCompany(t, srv, map[string]any{"name": "Help", "externalId": "help", "domains": []any{"help.example"}})
	status, res := bulk(t, srv, "tickets", []any{
		map[string]any{"sourceId": "t1", "email": "new@help.example", "subject": "Broken"},    // company by domain
		map[string]any{"sourceId": "t2", "companyExternalId": "help", "subject": "No email"},  // dropped silently
		map[string]any{"sourceId": "t3", "email": "x@elsewhere.example", "subject": "Orphan"}, // no company
		map[string]any{"email": "y@help.example", "companyId": cid},                           // no sourceId
	})
	if diff := cmp.Diff(counts{Status: 206, Created: 1, CreatedErrs: 2, Upserted: 1}, countsOf(status, res)); diff != "" {
		t.Fatalf("(-want +got):\n%s\n%+v", diff, res)
	}
	// A single object is accepted too, and sourceId matches.
	r := call(t, srv, "PUT", srv.URL+"/tickets", map[string]any{"sourceId": "t1", "email": "new@help.example", "subject": "Fixed"})
	mustStatus(t, r, 200)
	tickets := call(t, srv, "GET", srv.URL+"/tickets", nil).array(t)
	if len(tickets) != 1 || tickets[0].(map[string]any)["subject"] != "Fixed" || tickets[0].(map[string]any)["type"] != "ticket" {
		t.Errorf("tickets = %v", tickets)
	}
	eus := srv.Objects("endusers")
	if len(eus) != 1 || eus[0]["email"] != "new@help.example" || eus[0]["companyId"] != cid {
		t.Errorf("auto-created endusers = %v", eus)
	}
	mustStatus(t, call(t, srv, "POST", srv.URL+"/tickets", map[string]any{"sourceId": "t9", "email": "a@help.example"}), 404)
	tid := tickets[0].(map[string]any)["_id"].(string)
	mustStatus(t, call(t, srv, "DELETE", srv.URL+"/tickets/"+tid, nil), 200)
	if n := srv.Count("tickets"); n != 0 {
		t.Errorf("tickets after delete = %d", n)
	}
}

func TestBulkConversationPeople(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	cid := srv.Insert("companies", map[string]any{"name": "Tenet"})
	alex := srv.Insert("users", map[string]any{"nickName": "Alex", "email": "alex@v.example"})
	lara := srv.Insert("endusers", map[string]any{"name": "Lara Croft", "email": "lara@t.example", "companyId": cid})
	item := map[string]any{"externalId": "c1", "companyId": cid, "subject": "Hi", "users": []any{map[string]any{"id": alex}}, "endusers": []any{lara}}
	status, res := bulk(t, srv, "conversations", []any{item})
	if status != 200 || res.Created != 1 {
		t.Fatalf("create: %d %+v", status, res)
	}
	conv, _ := srv.Object("conversations", "extid-c1")
	wantUsers := []any{map[string]any{"id": alex, "name": "Alex", "isOwner": true}}
	wantEndusers := []any{map[string]any{"id": lara, "name": "Lara Croft"}}
	if diff := cmp.Diff(wantUsers, conv["users"]); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantEndusers, conv["endusers"]); diff != "" {
		t.Errorf("endusers (-want +got):\n%s", diff)
	}
	// Sending the same ids again changes nothing.
	status, res = bulk(t, srv, "conversations", []any{item})
	if status != 200 || res.Nonupdates != 1 {
		t.Errorf("resend: %d %+v", status, res)
	}
}
