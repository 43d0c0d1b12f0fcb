package actions

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/planhat/planhatemu"
)

var objectID = regexp.MustCompile(`^[0-9a-f]{24}$`)

// familyCase drives one model through create, get, update, list, bulk
// upsert and delete. "$company" in create is replaced by a company's _id.
// Models addressed only by _id leave keyField and locator empty; models
// without bulk upsert skip that step, and a model in dedicatedCreates is
// created with its dedicated action.
type familyCase struct {
	model    string
	create   map[string]any
	keyField string // the record field holding its key ("externalId", "extId", "sourceId")
	locator  string // the get/delete input field for that key ("externalId" or "sourceId")
	patch    map[string]any
}

func TestModelFamilies(t *testing.T) {
	t.Parallel()
	cases := []familyCase{
		{"company", map[string]any{"name": "Acme", "externalId": "k1"}, "externalId", "externalId", map[string]any{"phase": "Onboarding"}},
		{"enduser", map[string]any{"email": "ann@acme.test", "companyId": "$company", "externalId": "k1"}, "externalId", "externalId", map[string]any{"firstName": "Ann"}},
		{"conversation", map[string]any{"companyId": "$company", "subject": "Hello", "externalId": "k1"}, "externalId", "externalId", map[string]any{"subject": "Hi"}},
		{"license", map[string]any{"_currency": "USD", "companyId": "$company", "fromDate": "2026-01-01", "mrr": 100.0, "externalId": "k1"}, "externalId", "externalId", map[string]any{"mrr": 200.0}},
		{"task", map[string]any{"companyId": "$company", "action": "Call back", "externalId": "k1"}, "externalId", "externalId", map[string]any{"action": "Call again"}},
		{"issue", map[string]any{"title": "Bug", "companyIds": []any{"$company"}, "sourceId": "k1"}, "sourceId", "sourceId", map[string]any{"priority": "high"}},
		{"opportunity", map[string]any{"companyId": "$company", "title": "Upsell", "externalId": "k1"}, "externalId", "externalId", map[string]any{"salesStage": "Won"}},
		{"project", map[string]any{"name": "Rollout", "companyId": "$company", "externalId": "k1"}, "externalId", "externalId", map[string]any{"name": "Rollout 2"}},
		{"sale", map[string]any{"_currency": "USD", "companyId": "$company", "salesDate": "2026-01-02", "value": 50.0, "externalId": "k1"}, "externalId", "externalId", map[string]any{"value": 60.0}},
		{"invoice", map[string]any{"currency": "USD", "cId": "$company", "extId": "k1"}, "extId", "externalId", map[string]any{"status": "paid"}},
		{"nps", map[string]any{"email": "ann@acme.test", "score": 9.0, "sourceId": "k1"}, "sourceId", "sourceId", map[string]any{"score": 10.0}},
		{"churn", map[string]any{"companyId": "$company", "value": 10.0, "sourceId": "k1"}, "sourceId", "sourceId", map[string]any{"comment": "price"}},
		{"campaign", map[string]any{"name": "Spring", "companyId": "$company", "externalId": "k1"}, "externalId", "externalId", map[string]any{"name": "Summer"}},
		{"objective", map[string]any{"name": "Adopt", "companyId": "$company", "externalId": "k1"}, "externalId", "externalId", map[string]any{"health": 5.0}},
		{"deal", map[string]any{"companyId": "$company", "title": "Renewal", "externalId": "k1"}, "externalId", "externalId", map[string]any{"title": "Renewal 2027"}},
		{"timeentry", map[string]any{"companyId": "$company", "date": "2026-01-05", "hours": 2.0}, "", "", map[string]any{"hours": 3.5}},
		{"workspace", map[string]any{"name": "Support", "companyId": "$company", "externalId": "k1"}, "externalId", "externalId", map[string]any{"name": "Support EU"}},
		{"call", map[string]any{"nr": "+46700000000", "start": "2026-01-31T10:00:00Z", "end": "2026-01-31T10:05:00Z"}, "", "", map[string]any{"waiting": 30.0}},
	}
	e := newEnv(t)
	for _, tc := range cases {
		t.Run(tc.model, func(t *testing.T) {
			t.Parallel()
			m, ok := planhat.ModelByName(tc.model)
			if !ok {
				t.Fatalf("no model %q", tc.model)
			}
			f := newFamily(m)
			companyID := e.srv.Insert("companies", map[string]any{"name": "Owner of " + tc.model, "externalId": "owner-" + tc.model})
			fill := func(in map[string]any, key string) map[string]any {
				out := map[string]any{}
				for k, v := range in {
					switch v := v.(type) {
					case string:
						if v == "$company" {
							out[k] = companyID
							continue
						}
					case []any:
						out[k] = []any{companyID}
						continue
					}
					out[k] = v
				}
				if tc.keyField != "" {
					out[tc.keyField] = key
				}
				if tc.model == "company" {
					out["name"] = "Acme " + key
				}
				if email, ok := out["email"].(string); ok {
					// Emails match in bulk upserts too: keep records apart.
					out["email"] = key + "." + email
				}
				return out
			}
			key := tc.model + "-1"

			// create
			create := "create" + f.singular
			if name := dedicatedCreates[tc.model]; name != "" {
				create = name
			}
			created := e.mustCall(t, create, fill(tc.create, key))
			id, _ := created["id"].(string)
			if !objectID.MatchString(id) {
				t.Fatalf("create: id = %q, want a 24-hex _id (output %v)", id, created)
			}
			if _, ok := created["_id"]; ok {
				t.Errorf("create: output still has _id: %v", created)
			}

			// get by id, by keyable in id, and by the separate key field
			gets := []map[string]any{{"id": id}}
			if tc.locator != "" {
				gets = append(gets,
					map[string]any{"id": keyablePrefix(tc.locator) + key},
					map[string]any{tc.locator: key},
					map[string]any{"id": "", tc.locator: key}, // a form with the id field left empty
				)
			}
			for _, in := range gets {
				got := e.mustCall(t, "get"+f.singular, in)
				if got["id"] != id || (tc.keyField != "" && got[tc.keyField] != key) {
					t.Errorf("get(%v) = id %v key %v, want %s %s", in, got["id"], got[tc.keyField], id, key)
				}
			}

			// update
			upd := maps.Clone(tc.patch)
			upd["id"] = id
			updated := e.mustCall(t, "update"+f.singular, upd)
			for k, v := range tc.patch {
				if !cmp.Equal(updated[k], v) {
					t.Errorf("update: %s = %v, want %v", k, updated[k], v)
				}
			}
			stored, _ := e.srv.Object(m.Path, id)
			for k, v := range tc.patch {
				if fmt.Sprint(stored[k]) != fmt.Sprint(v) {
					t.Errorf("update: stored %s = %v, want %v", k, stored[k], v)
				}
			}

			// list
			listIn := map[string]any{"limit": 50}
			if _, ok := tc.create[m.CompanyField]; ok {
				listIn["companyId"] = companyID
			}
			listed := e.mustCall(t, "list"+f.plural, listIn)
			items, _ := listed[f.key].([]any)
			if !slices.ContainsFunc(items, func(it any) bool { return it.(map[string]any)["id"] == id }) {
				t.Errorf("list(%v) = %v, want it to contain %s", listIn, listed, id)
			}
			if listed["count"] != float64(len(items)) {
				t.Errorf("list count = %v, want %d", listed["count"], len(items))
			}

			// bulk upsert: one update matched by key (or by id when the model
			// has no other key), one create
			if m.Supports(planhat.OpBulk) {
				change := fill(tc.create, key)
				maps.Copy(change, tc.patch)
				if tc.keyField == "" {
					change["id"] = id
				}
				if tc.model == "company" {
					delete(change, "name")
				}
				for k := range tc.patch {
					if s, ok := change[k].(string); ok {
						change[k] = s + " (bulk)"
					}
				}
				fresh := fill(tc.create, tc.model+"-2")
				if tc.model == "task" {
					// Bulk upserts do not apply create defaults: Planhat needs mainType.
					fresh["mainType"] = "task"
				}
				bulk := e.mustCall(t, "bulkUpsert"+f.plural, map[string]any{f.key: []any{change, fresh}})
				if bulk["created"] != 1.0 || bulk["updated"].(float64)+bulk["nonupdates"].(float64) != 1 {
					t.Errorf("bulk = %v, want 1 created and 1 updated or unchanged", bulk)
				}
				if n := len(bulk["insertsKeys"].([]any)); n != 1 {
					t.Errorf("bulk insertsKeys = %v, want one", bulk["insertsKeys"])
				}
			}

			// delete, then get fails with not_found
			del := e.mustCall(t, "delete"+f.singular, map[string]any{"id": id})
			if diff := cmp.Diff(map[string]any{"success": true, "deletedCount": 1.0}, del); diff != "" {
				t.Errorf("delete (-want +got):\n%s", diff)
			}
			_, err := e.call(t, "get"+f.singular, map[string]any{"id": id})
			if info := classifyT(err); info.Code != CodeNotFound {
				t.Errorf("get after delete: %v classified %+v, want not_found", err, info)
			}
		})
	}
}

func keyablePrefix(locator string) string {
	if locator == "sourceId" {
		return "srcid-"
	}
	return "extid-"
}

func TestDeleteByKeyable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.srv.Insert("companies", map[string]any{"name": "Gone", "externalId": "gone-1"})
	out := e.mustCall(t, "deleteCompany", map[string]any{"externalId": "gone-1"})
	if out["success"] != true || out["deletedCount"] != 1.0 {
		t.Fatalf("deleteCompany = %v", out)
	}
	if _, ok := e.srv.Object("companies", id); ok {
		t.Error("the company is still stored")
	}
}

func TestListPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := range 5 {
		e.srv.Insert("companies", map[string]any{"name": fmt.Sprintf("Co %d", i)})
	}
	first := e.mustCall(t, "listCompanies", map[string]any{"limit": 2, "sort": "name", "select": "name"})
	if first["count"] != 2.0 || first["nextOffset"] != 2.0 {
		t.Fatalf("first page = %v, want 2 records and nextOffset 2", first)
	}
	names := func(page map[string]any) []string {
		var out []string
		for _, it := range page["companies"].([]any) {
			out = append(out, it.(map[string]any)["name"].(string))
		}
		return out
	}
	last := e.mustCall(t, "listCompanies", map[string]any{"limit": 4, "offset": 2, "sort": "-name"})
	if diff := cmp.Diff([]string{"Co 2", "Co 1", "Co 0"}, names(last)); diff != "" {
		t.Errorf("last page names (-want +got):\n%s", diff)
	}
	if _, ok := last["nextOffset"]; ok {
		t.Errorf("a short page has nextOffset: %v", last)
	}
	if diff := cmp.Diff([]string{"Co 0", "Co 1"}, names(first)); diff != "" {
		t.Errorf("first page names (-want +got):\n%s", diff)
	}
	e.srv.Insert("endusers", map[string]any{"email": "x@y.test", "companyId": "0123456789abcdef01234567"})
	byEmail := e.mustCall(t, "listEndUsers", map[string]any{"filters": map[string]any{"email": "x@y.test"}})
	if byEmail["count"] != 1.0 {
		t.Errorf("listEndUsers by email filter = %v", byEmail)
	}
}

func TestReadOnlyModels(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	uid := e.srv.Insert("users", map[string]any{"email": "csm@us.test", "nickName": "csm", "firstName": "Cee", "lastName": "Sem", "externalId": "csm-1"})
	e.srv.Insert("users", map[string]any{"email": "other@us.test", "nickName": "o", "firstName": "O", "lastName": "T"})
	if got := e.mustCall(t, "getUser", map[string]any{"externalId": "csm-1"}); got["id"] != uid {
		t.Errorf("getUser = %v", got)
	}
	if got := e.mustCall(t, "listUsers", map[string]any{}); got["count"] != 2.0 {
		t.Errorf("listUsers = %v", got)
	}
	found := e.mustCall(t, "findUserByEmail", map[string]any{"email": "CSM@us.test"})
	if found["found"] != true || found["user"].(map[string]any)["id"] != uid {
		t.Errorf("findUserByEmail = %v", found)
	}
	if got := e.mustCall(t, "findUserByEmail", map[string]any{"email": "nobody@us.test"}); got["found"] != false {
		t.Errorf("findUserByEmail(nobody) = %v", got)
	}
	cf := e.srv.Insert("customfields", map[string]any{"name": "Tier", "type": "text", "parent": "Company"})
	if got := e.mustCall(t, "getCustomField", map[string]any{"id": cf}); got["name"] != "Tier" {
		t.Errorf("getCustomField = %v", got)
	}
	if got := e.mustCall(t, "listCustomFields", nil); got["count"] != 1.0 {
		t.Errorf("listCustomFields = %v", got)
	}
	for _, tt := range []struct {
		collection, singular, plural, key string
		record                            map[string]any
	}{
		{"timesheets", "Timesheet", "Timesheets", "timesheets", map[string]any{"userId": uid, "periodStart": 20514.0, "periodEnd": 20520.0}},
		{"workflows", "Workflow", "Workflows", "workflows", map[string]any{"name": "Onboarding", "status": "active"}},
	} {
		id := e.srv.Insert(tt.collection, tt.record)
		got := e.mustCall(t, "get"+tt.singular, map[string]any{"id": id})
		delete(got, "id")
		if diff := cmp.Diff(tt.record, got); diff != "" {
			t.Errorf("get%s (-want +got):\n%s", tt.singular, diff)
		}
		listed := e.mustCall(t, "list"+tt.plural, map[string]any{})
		if items, _ := listed[tt.key].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != id {
			t.Errorf("list%s = %v, want just %s", tt.plural, listed, id)
		}
	}
}

func TestTickets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	co := e.srv.Insert("companies", map[string]any{"name": "Acme"})
	in := map[string]any{"sourceId": "zd-1", "email": "ann@acme.test", "subject": "Broken", "companyId": co, "date": "2026-01-31"}
	first := e.mustCall(t, "createTicket", in)
	if first["created"] != true || !objectID.MatchString(first["id"].(string)) {
		t.Fatalf("createTicket = %v, want created with an id", first)
	}
	in["subject"] = "Still broken"
	second := e.mustCall(t, "createTicket", in)
	if second["updated"] != true || second["created"] != false || second["id"] != first["id"] {
		t.Errorf("createTicket again = %v, want the same ticket updated", second)
	}
	listed := e.mustCall(t, "listTickets", map[string]any{"companyId": co})
	if listed["count"] != 1.0 {
		t.Fatalf("listTickets = %v, want 1 ticket", listed)
	}
	bulk := e.mustCall(t, "bulkUpsertTickets", map[string]any{"tickets": []any{
		map[string]any{"sourceId": "zd-2", "email": "bob@acme.test", "companyId": co},
	}})
	if bulk["created"] != 1.0 {
		t.Errorf("bulkUpsertTickets = %v", bulk)
	}
	_, err := e.call(t, "bulkUpsertTickets", map[string]any{"tickets": []any{map[string]any{"sourceId": "zd-3", "companyId": co}}})
	if info := classifyT(err); info.Code != CodeInvalidInput || !strings.Contains(info.Message, "email") {
		t.Errorf("ticket without email: %v classified %+v, want invalid_input about email", err, info)
	}
	del := e.mustCall(t, "deleteTicket", map[string]any{"id": first["id"]})
	if del["deletedCount"] != 1.0 {
		t.Errorf("deleteTicket = %v", del)
	}
}

func TestFindCompany(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	acme := e.srv.Insert("companies", map[string]any{"name": "Acme", "externalId": "acme-1", "sourceId": "sf-1"})
	e.srv.Insert("companies", map[string]any{"name": "Acme Labs", "externalId": "acme-2"})
	e.srv.Insert("companies", map[string]any{"name": "Globex", "externalId": "globex"})
	tests := []struct {
		name      string
		in        map[string]any
		wantID    string
		wantCount float64
	}{
		{"by externalId", map[string]any{"externalId": "acme-1"}, acme, 1},
		{"by sourceId", map[string]any{"sourceId": "sf-1"}, acme, 1},
		{"exact name first, ignoring case", map[string]any{"name": "acme"}, acme, 2},
		{"nothing", map[string]any{"externalId": "nope"}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := e.mustCall(t, "findCompany", tt.in)
			if out["matchCount"] != tt.wantCount {
				t.Errorf("matchCount = %v, want %v (%v)", out["matchCount"], tt.wantCount, out)
			}
			if tt.wantID == "" {
				if out["found"] != false || out["company"] != nil {
					t.Errorf("out = %v, want found=false", out)
				}
				return
			}
			if c, _ := out["company"].(map[string]any); out["found"] != true || c["id"] != tt.wantID {
				t.Errorf("out = %v, want company %s", out, tt.wantID)
			}
		})
	}
	_, err := e.call(t, "findCompany", map[string]any{})
	var ie *InputError
	if !errors.As(err, &ie) || ie.Fields[0].Field != "externalId" {
		t.Errorf("findCompany({}) = %v, want a field error", err)
	}
}

func TestFindEndUserByEmail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c1 := e.srv.Insert("companies", map[string]any{"name": "One"})
	c2 := e.srv.Insert("companies", map[string]any{"name": "Two"})
	u1 := e.srv.Insert("endusers", map[string]any{"email": "ann@x.test", "companyId": c1})
	u2 := e.srv.Insert("endusers", map[string]any{"email": "ann@x.test", "companyId": c2, "primary": true})
	tests := []struct {
		name      string
		in        map[string]any
		wantID    string
		wantCount float64
	}{
		{"primary wins", map[string]any{"email": "ANN@x.test"}, u2, 2},
		{"company picks", map[string]any{"email": "ann@x.test", "companyId": c1}, u1, 1},
		{"unknown", map[string]any{"email": "bob@x.test"}, "", 0},
		{"not at that company", map[string]any{"email": "ann@x.test", "companyId": "0123456789abcdef01234567"}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := e.mustCall(t, "findEndUserByEmail", tt.in)
			if out["matchCount"] != tt.wantCount {
				t.Errorf("matchCount = %v, want %v", out["matchCount"], tt.wantCount)
			}
			u, _ := out["endUser"].(map[string]any)
			if tt.wantID == "" {
				if out["found"] != false || u != nil {
					t.Errorf("out = %v, want found=false", out)
				}
				return
			}
			if out["found"] != true || u["id"] != tt.wantID {
				t.Errorf("out = %v, want end user %s", out, tt.wantID)
			}
		})
	}
}

func TestLogNoteAndCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	co := e.srv.Insert("companies", map[string]any{"name": "Acme", "externalId": "acme"})
	note := e.mustCall(t, "logNote", map[string]any{"companyId": "extid-acme", "subject": "Bot chat", "description": "Asked about <b>billing</b>",
		"date": "2026-01-31T10:00:00Z", "externalId": "chat-1", "activityTags": []string{"bot"}})
	if note["type"] != "note" || note["companyId"] != co || !objectID.MatchString(note["id"].(string)) {
		t.Errorf("logNote = %v", note)
	}
	again := e.mustCall(t, "logNote", map[string]any{"companyId": "extid-acme", "subject": "Bot chat", "description": "Asked about billing, then left",
		"externalId": "chat-1"})
	if again["id"] != note["id"] || again["description"] != "Asked about billing, then left" {
		t.Errorf("logNote with the same externalId = %v, want note %v updated", again, note["id"])
	}
	plain := e.mustCall(t, "logNote", map[string]any{"companyId": co, "description": "No external id"})
	if plain["id"] == note["id"] || plain["type"] != "note" {
		t.Errorf("logNote without externalId = %v, want a new note", plain)
	}
	if n := len(e.srv.Objects("conversations")); n != 2 {
		t.Errorf("%d conversations stored, want 2", n)
	}
	_, err := e.call(t, "logNote", map[string]any{"companyId": co, "description": "x", "date": "yesterday"})
	var ie *InputError
	if !errors.As(err, &ie) || ie.Fields[0].Field != "date" {
		t.Errorf("logNote with a bad date = %v, want a date field error", err)
	}
	call := e.mustCall(t, "logCall", map[string]any{"nr": "+46700000000", "start": "2026-01-31T10:00:00Z", "end": "2026-01-31T10:05:00Z", "waiting": 12})
	if call["nr"] != "+46700000000" || !objectID.MatchString(call["id"].(string)) {
		t.Errorf("logCall = %v", call)
	}
	_, err = e.call(t, "logCall", map[string]any{"agentId": "x"})
	if !errors.As(err, &ie) || ie.Fields[0].Field != "nr" {
		t.Errorf("logCall without contact = %v, want an nr field error", err)
	}
	_, err = e.call(t, "logCall", map[string]any{"nr": "1", "start": "2026-01-31T10:00:00Z", "end": "2026-01-31T09:00:00Z"})
	if !errors.As(err, &ie) || ie.Fields[0].Field != "end" {
		t.Errorf("logCall ending before it starts = %v, want an end field error", err)
	}
}

func TestAnalytics(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out := e.mustCall(t, "trackActivity", map[string]any{"email": "ann@acme.test", "action": "Talked to the bot", "companyExternalId": "acme", "date": "2026-01-31"})
	if out["accepted"] != 1.0 {
		t.Errorf("trackActivity = %v", out)
	}
	batch := e.mustCall(t, "trackActivities", map[string]any{"activities": []any{
		map[string]any{"email": "a@acme.test", "action": "x"}, map[string]any{"externalId": "u2", "action": "y", "weight": 2},
	}})
	if batch["accepted"] != 2.0 || batch["queued"] != true {
		t.Errorf("trackActivities = %v", batch)
	}
	if n := len(e.srv.Activities()); n != 0 {
		t.Errorf("the activities reached Planhat before the outbox ran: %d", n)
	}
	e.deliver(t)
	if n := len(e.srv.Activities()); n != 3 {
		t.Errorf("emulator recorded %d activities, want 3", n)
	}
	_, err := e.call(t, "trackActivities", map[string]any{"activities": []any{map[string]any{"email": "a@acme.test", "action": "x"}, map[string]any{"action": "y"}}})
	var ie *InputError
	if !errors.As(err, &ie) || ie.Fields[0].Field != "activities[1].email" {
		t.Errorf("activity without a contact = %v, want activities[1].email", err)
	}

	e.srv.Insert("companies", map[string]any{"name": "Acme", "externalId": "acme"})
	metrics := e.mustCall(t, "pushMetrics", map[string]any{"metrics": []any{
		map[string]any{"dimensionId": "botChats", "value": 3, "externalId": "acme", "date": "2026-01-31"},
		map[string]any{"dimensionId": "botChats", "value": 1, "externalId": "acme", "model": "Company"},
	}})
	if metrics["processed"] != 2.0 || len(metrics["errors"].([]any)) != 0 {
		t.Errorf("pushMetrics = %v", metrics)
	}
	_, err = e.call(t, "pushMetrics", map[string]any{"metrics": []any{map[string]any{"dimensionId": "bot chats", "value": 1, "externalId": "acme", "model": "Deal"}}})
	if !errors.As(err, &ie) || len(ie.Fields) != 2 {
		t.Errorf("bad metric = %v, want dimensionId and model field errors", err)
	}

	// Without the tenant token tracking cannot work; the message says where to find it.
	c, err := planhat.NewClient(planhat.Options{Token: e.srv.Token, BaseURL: e.srv.URL, AnalyticsURL: e.srv.AnalyticsURL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.callCtx(t, withPlanhat(e.ctx, c), "trackActivity", map[string]any{"email": "a@b.test", "action": "x"})
	if info := classifyT(err); info.Code != CodeNotConfigured || !strings.Contains(info.Message, "tenant") {
		t.Errorf("no tenant token: %v classified %+v", err, info)
	}
}

// TestInputValidationNeverCallsPlanhat checks field-level messages on the
// real actions, and that refused input never reaches Planhat.
func TestInputValidationNeverCallsPlanhat(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		action string
		input  string
		want   []string
	}{
		{"createCompany", `{}`, []string{"name: required"}},
		{"createCompany", `{"name":""}`, []string{"name: must not be empty"}},
		{"createAsset", `{"name":"Router"}`, []string{"companyId: required"}},
		{"createAsset", `{"name":"Router","companyId":"acme"}`, []string{"companyId: must be a 24-character Planhat id, extid-<externalId> or srcid-<sourceId>"}},
		{"createAsset", `{"name":"Router","companyId":"extid-a","colour":"red"}`, []string{"colour: unknown field: remove it (accepted fields: companyId, custom, externalId, name, sourceId)"}},
		{"listCompanies", `{"limit":5001}`, []string{"limit: must be <= 5000"}},
		{"listAssets", `{"limit":5000,"offset":-1}`, []string{"limit: must be <= 2000", "offset: must be >= 0"}},
		{"listCompanies", `{"limit":"10"}`, []string{"limit: must be an integer, not a string"}},
		{"listEndUsers", `{"filters":{"limit":"5"}}`, []string{"filters.limit: use the top-level limit field instead"}},
		{"getCompany", `{}`, []string{"id: required: give the record's id, externalId or sourceId"}},
		{"getCompany", `{"id":"","externalId":"","sourceId":null}`, []string{"id: required: give the record's id, externalId or sourceId"}},
		{"updateCompany", `{"id":"","name":"x"}`, []string{"id: must not be empty"}},
		{"getCompany", `{"id":"5f1b2c3d4e5f6a7b8c9d0e1f","externalId":"x"}`, []string{"id: give only one of id, externalId and sourceId"}},
		{"getIssue", `{"externalId":"x"}`, []string{"externalId: unknown field: remove it (accepted fields: fresh, id, sourceId)"}},
		{"getAsset", `{"assetId":"nope"}`, []string{"assetId: must be a 24-character Planhat id, extid-<externalId> or srcid-<sourceId>"}},
		{"updateCompany", `{"id":"extid-x"}`, []string{"(input): give at least one field to change besides id"}},
		{"updateCompany", `{"id":"extid-x","_id":"5f1b2c3d4e5f6a7b8c9d0e1f"}`, []string{"_id: the record is picked by id: remove _id"}},
		{"updateAsset", `{"assetId":"extid-x","name":""}`, []string{"(input): give at least one field to change besides assetId"}},
		{"bulkUpsertCompanies", `{"companies":[]}`, []string{"companies: must have at least 1 item"}},
		{"bulkUpsertAssets", `{"assets":[{"name":"a"},{"name":5}]}`, []string{"assets[1].name: must be a string, not an integer"}},
		{"bulkUpsertAssets", `{"assets":[{"id":"extid-x"}]}`, []string{"assets[0].id: must be a 24-character Planhat id (24 hex characters)"}},
		{"createConversation", `{"companyExternalId":""}`, []string{"companyId: required (or companyExternalId)"}},
		{"createNps", `{"email":"a@b.test"}`, []string{"score: required"}},
		{"findEndUserByEmail", `{"email":"a@b.test","companyId":"extid-x"}`, []string{"companyId: must be a 24-character Planhat id (24 hex characters)"}},
		{"createTicket", `{"sourceId":"1"}`, []string{"email: required"}},
		{"deleteAsset", `not json`, nil},
	}
	for _, tt := range tests {
		_, err := e.call(t, tt.action, tt.input)
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Errorf("%s(%s) = %v, want *InputError", tt.action, tt.input, err)
			continue
		}
		var got []string
		for _, f := range ie.Fields {
			got = append(got, f.String())
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s(%s) field errors (-want +got):\n%s", tt.action, tt.input, diff)
		}
	}
	if st := e.srv.Stats(); st.Total != 0 {
		t.Errorf("invalid input reached Planhat: %d requests (%v)", st.Total, st.ByRoute)
	}
}

// TestClassifyPlanhatErrors provokes each class of Planhat failure through
// the emulator and checks code, presentation and message.
func TestClassifyPlanhatErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		setup       func(e *env) context.Context
		action      string
		input       any
		code        Code
		retryable   bool
		msgContains string
	}{
		{"wrong token", func(e *env) context.Context {
			return withPlanhat(context.Background(), newClient(t, e.srv, "not-the-token"))
		}, "getCompany", map[string]any{"externalId": "x"}, CodeUnauthorized, false, "Settings > Private Apps"},
		{"not found", nil, "getCompany", map[string]any{"id": "5f1b2c3d4e5f6a7b8c9d0e1f"}, CodeNotFound, false, "has no such company"},
		{"rate limited", func(e *env) context.Context { e.srv.FailNext(1, 429); return e.ctx }, "listCompanies", map[string]any{}, CodeRateLimited, true, "wait a minute"},
		{"server error", func(e *env) context.Context { e.srv.FailNext(1, 503); return e.ctx }, "listCompanies", map[string]any{}, CodeUpstreamError, true, "HTTP 503"},
		{"forbidden", func(e *env) context.Context {
			e.srv.SetSwitches(func(s *planhatemu.Switches) { s.DeniedModels = []string{"licenses"} })
			return e.ctx
		}, "createLicense", map[string]any{"_currency": "USD", "companyId": "extid-acme", "fromDate": "2026-01-01", "mrr": 1}, CodeForbidden, false, "licenses"},
		{"planhat refuses the payload", nil, "createNps", map[string]any{"email": "a@b.test", "score": 11}, CodeInvalidInput, false, "between 0 and 10"},
		{"unknown company reference", nil, "createAsset", map[string]any{"name": "R", "companyId": "extid-nobody"}, CodeInvalidInput, false, "not found"},
		{"reserved conversation type", nil, "createConversation", map[string]any{"companyId": "extid-acme", "type": "email"}, CodeInvalidInput, false, "reserved"},
		{"nothing in a bulk succeeded", nil, "bulkUpsertCompanies", map[string]any{"companies": []any{map[string]any{"externalId": "no-name"}}}, CodePartialFailure, false, "name is required"},
		{"timeout", func(e *env) context.Context {
			e.srv.SetLatency(300 * time.Millisecond)
			ctx, cancel := context.WithTimeout(e.ctx, 20*time.Millisecond)
			t.Cleanup(cancel)
			return ctx
		}, "listCompanies", map[string]any{}, CodeUpstreamTimeout, true, "did not answer in time"},
		{"connection dropped", func(e *env) context.Context { e.srv.DropNextConnections(1); return e.ctx }, "listCompanies", map[string]any{}, CodeUpstreamError, true, "Could not reach Planhat"},
		{"door without a Planhat client", func(e *env) context.Context { return context.Background() }, "listCompanies", map[string]any{}, CodeNotConfigured, false, "No Planhat API token is configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.srv.Insert("companies", map[string]any{"name": "Acme", "externalId": "acme"})
			ctx := e.ctx
			if tt.setup != nil {
				ctx = tt.setup(e)
			}
			_, err := e.callCtx(t, ctx, tt.action, tt.input)
			if err == nil {
				t.Fatal("no error")
			}
			info := classifyT(err)
			if info.Code != tt.code || info.Retryable != tt.retryable || !strings.Contains(info.Message, tt.msgContains) {
				t.Errorf("classifyT(%v) = %+v, want code %s retryable %v and a message containing %q", err, info, tt.code, tt.retryable, tt.msgContains)
			}
			if info.UserFixable != (tt.code != CodeInternal) {
				t.Errorf("UserFixable = %v for %s", info.UserFixable, tt.code)
			}
			for _, secret := range []string{e.srv.Token, "not-the-token", e.srv.Tenant} {
				if strings.Contains(info.Message, secret) || strings.Contains(err.Error(), secret) {
					t.Errorf("a secret leaked into the error: %v / %s", err, info.Message)
				}
			}
		})
	}
}

func TestBulkPartialSuccessIsOutput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out := e.mustCall(t, "bulkUpsertCompanies", map[string]any{"companies": []any{
		map[string]any{"name": "Good", "externalId": "g"}, map[string]any{"externalId": "bad"},
	}})
	if out["created"] != 1.0 || len(out["createdErrors"].([]any)) != 1 {
		t.Errorf("partial bulk = %v, want 1 created and 1 createdErrors entry", out)
	}
}

func TestClassifyBulkError(t *testing.T) {
	t.Parallel()
	perm := &planhat.BulkError{Model: "license", StatusCode: 403, Result: &planhat.BulkResult{
		PermissionErrors: []planhat.BulkItemError{{Message: "no access"}, {Message: "no access"}}}}
	if info := classifyT(perm); info.Code != CodeForbidden || !strings.Contains(info.Message, "all 2 items") {
		t.Errorf("classifyT(permission-only bulk) = %+v", info)
	}
	partial := &planhat.BulkError{Model: "company", StatusCode: 206, Result: &planhat.BulkResult{Created: 3, Updated: 1,
		CreatedErrors: []planhat.BulkItemError{{Message: "name is required"}}}}
	info := classifyT(fmt.Errorf("importing: %w", partial))
	want := "Planhat upserted only part of the company items: 3 created, 1 updated, 0 unchanged, 1 failed (first error: name is required)"
	if info.Code != CodePartialFailure || !strings.HasPrefix(info.Message, want) {
		t.Errorf("classifyT(partial bulk) = %+v", info)
	}
	if got := classifyT(nil); got != nil {
		t.Errorf("classifyT(nil) = %+v", got)
	}
	if got := classifyT(errors.New("token=abc123 leaked")); got.Code != CodeInternal || strings.Contains(got.Message, "abc123") {
		t.Errorf("classifyT(unknown) = %+v", got)
	}
	if got := classifyT(context.Canceled); got.Code != CodeCanceled {
		t.Errorf("classifyT(canceled) = %+v", got)
	}
}

// TestQuirkyPlanhatData turns on every data quirk the emulator knows (""
// booleans, numbers for strings, comma-string lists, populated owners, bare
// enduser ids) and checks that outputs still match their schemas.
func TestQuirkyPlanhatData(t *testing.T) {
	t.Parallel()
	e := newEnv(t, planhatemu.WithSwitches(planhatemu.Switches{EmptyStringBooleans: true, NumbersForStrings: true,
		CommaStringLists: true, ListShapeOwners: true, ConversationEnduserIDs: true, StringBulkErrors: true, StringErrors: true}))
	owner := e.srv.Insert("users", map[string]any{"email": "csm@us.test", "nickName": "csm", "firstName": "C", "lastName": "S"})
	co := e.srv.Insert("companies", map[string]any{"name": "Acme", "externalId": "acme", "owner": owner, "domains": []any{"acme.test"},
		"orgPath": []any{"a", "b"}, "orgUnits": "3"})
	eu := e.srv.Insert("endusers", map[string]any{"email": "ann@acme.test", "companyId": co, "primary": false, "beatTrend": "2", "experience": "5"})
	e.srv.Insert("conversations", map[string]any{"companyId": co, "type": "note", "endusers": []any{map[string]any{"id": eu, "name": "Ann"}}})
	for _, step := range []struct {
		action string
		input  map[string]any
	}{
		{"getCompany", map[string]any{"id": co}},
		{"listCompanies", map[string]any{}},
		{"getEndUser", map[string]any{"id": eu}},
		{"listEndUsers", map[string]any{"companyId": co}},
		{"findEndUserByEmail", map[string]any{"email": "ann@acme.test"}},
		{"listConversations", map[string]any{"companyId": co}},
		{"findCompany", map[string]any{"name": "acme"}},
		{"findUserByEmail", map[string]any{"email": "csm@us.test"}},
		{"bulkUpsertCompanies", map[string]any{"companies": []any{map[string]any{"name": "B", "externalId": "b"}, map[string]any{"externalId": "c"}}}},
	} {
		if _, err := e.call(t, step.action, step.input); err != nil {
			t.Errorf("%s: %v", step.action, err)
		}
	}
	_, err := e.call(t, "getCompany", map[string]any{"externalId": "nobody"})
	if info := classifyT(err); info.Code != CodeNotFound {
		t.Errorf("not found with a text error body: %+v", info)
	}
}

// TestClassifyTable covers classifications that are hard to provoke over
// the wire.
func TestClassifyTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		code Code
		want string
	}{
		{"empty id", fmt.Errorf("planhat: company: %w", planhat.ErrEmptyID), CodeInvalidInput, "An id is empty"},
		{"no token", planhat.ErrNoToken, CodeNotConfigured, "Settings > Private Apps"},
		{"unsupported", &planhat.ValidationError{Model: "user", Message: "create is not available for user records", Err: planhat.ErrUnsupported}, CodeInvalidInput, "Planhat cannot accept this user: create is not available"},
		{"validation with field", &planhat.ValidationError{Model: "metric", Field: "dimensionId", Message: "must not contain spaces"}, CodeInvalidInput, "dimensionId: must not contain spaces"},
		{"teapot", &planhat.APIError{StatusCode: 302, Method: "GET", Path: "/companies"}, CodeUpstreamError, "unexpected HTTP 302"},
		{"bad request with message", &planhat.APIError{StatusCode: 400, Message: "companyId is required."}, CodeInvalidInput, "Planhat refused the data: companyId is required. Check"},
		{"forbidden model", &planhat.APIError{StatusCode: 403, Path: "/licenses/abc"}, CodeForbidden, "lacks permission for licenses"},
		{"network", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, CodeUpstreamError, "Could not reach Planhat"},
		{"deadline", fmt.Errorf("get: %w", context.DeadlineExceeded), CodeUpstreamTimeout, "did not answer in time"},
		{"unknown action", &UnknownActionError{Name: "getCompnay", Suggestion: "getCompany"}, CodeUnknownAction, `Unknown action "getCompnay": did you mean "getCompany"?`},
	}
	for _, tt := range tests {
		info := classifyT(tt.err)
		if info.Code != tt.code || !strings.Contains(info.Message, tt.want) || info.HTTPStatus() == 0 {
			t.Errorf("%s: Classify = %+v, want %s containing %q", tt.name, info, tt.code, tt.want)
		}
	}
}

// TestBulkUpsertBeyondOneCallIsQueued proves bulk actions over 5,000 items
// go through the outbox: stored at once, then upserted in consecutive
// calls of 5,000, and refused when an item lacks the keyable a retry needs.
func TestBulkUpsertBeyondOneCallIsQueued(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	items := make([]any, 6001)
	for i := range items {
		items[i] = map[string]any{"name": fmt.Sprintf("Queued %d", i), "externalId": fmt.Sprintf("queued-%d", i)}
	}
	out := e.mustCall(t, "bulkUpsertCompanies", map[string]any{"companies": items})
	if out["queued"] != true || out["accepted"] != 6001.0 {
		t.Fatalf("bulkUpsertCompanies of 6001 = %v, want queued and 6001 accepted", out)
	}
	if got := e.srv.Stats().ByRoute["PUT /companies"]; got != 0 {
		t.Fatalf("%d bulk calls before the outbox ran", got)
	}
	e.deliver(t)
	if got := e.srv.Stats().ByRoute["PUT /companies"]; got != 2 {
		t.Errorf("%d bulk calls, want 2 (5,000 + 1,001)", got)
	}
	n := 0
	for _, c := range e.srv.Objects("companies") {
		if strings.HasPrefix(fmt.Sprint(c["externalId"]), "queued-") {
			n++
		}
	}
	if n != 6001 {
		t.Errorf("%d companies arrived, want 6001", n)
	}

	items[42] = map[string]any{"name": "No keyable"}
	_, err := e.call(t, "bulkUpsertCompanies", map[string]any{"companies": items})
	var ie *InputError
	if !errors.As(err, &ie) || ie.Fields[0].Field != "companies[42]" {
		t.Fatalf("queued bulk with an item lacking a keyable = %v, want a companies[42] field error", err)
	}
}
