package planhatemu

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestListLimits(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	cid := srv.Insert("companies", map[string]any{"name": "Big"})
	for i := 0; i < 2105; i++ {
		srv.Insert("conversations", map[string]any{"companyId": cid, "subject": fmt.Sprint(i), "type": "note"})
	}
	for i := 0; i < 120; i++ {
		srv.Insert("companies", map[string]any{"name": fmt.Sprintf("C%03d", i)})
	}
	tests := []struct {
		name, query string
		want        int
	}{
		{"conversations default 30", "/conversations", 30},
		{"companies default 100", "/companies", 100},
		{"explicit limit", "/conversations?limit=7", 7},
		{"limit 0 means default", "/conversations?limit=0", 30},
		{"over max clamps to 2000", "/conversations?limit=5000", 2000},
		{"offset near the end", "/conversations?limit=2000&offset=2100", 5},
		{"offset past the end", "/conversations?offset=9999", 0},
		{"companies max 5000", "/companies?limit=9000", 121},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, srv, "GET", srv.URL+tc.query, nil)
			mustStatus(t, r, 200)
			if got := len(r.array(t)); got != tc.want {
				t.Errorf("got %d items, want %d", got, tc.want)
			}
		})
	}
	for _, bad := range []string{"limit=-1", "limit=abc", "offset=-3", "offset=1.5"} {
		mustStatus(t, call(t, srv, "GET", srv.URL+"/companies?"+bad, nil), 400)
	}
	srv.SetSwitches(func(s *Switches) { s.RejectOverMaxLimit = true })
	r := call(t, srv, "GET", srv.URL+"/conversations?limit=2001", nil)
	mustStatus(t, r, 400)
	mustStatus(t, call(t, srv, "GET", srv.URL+"/conversations?limit=2000", nil), 200)
}

func TestListSortSelectFilter(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	a := srv.Insert("companies", map[string]any{"_id": "000000000000000000000001", "name": "Acme", "mrr": 30, "externalId": "a"})
	b := srv.Insert("companies", map[string]any{"_id": "000000000000000000000002", "name": "beta", "mrr": 10})
	c := srv.Insert("companies", map[string]any{"_id": "000000000000000000000003", "name": "Cargo", "mrr": 30})
	d := srv.Insert("companies", map[string]any{"_id": "000000000000000000000004", "name": "Delta"}) // no mrr
	for i, cid := range []string{a, a, b, c} {
		srv.Insert("endusers", map[string]any{"email": fmt.Sprintf("u%d@x.example", i), "companyId": cid, "name": fmt.Sprint(i)})
	}
	srv.Insert("endusers", map[string]any{"email": "Hidden@x.example", "companyId": a, "archived": true})
	srv.Insert("endusers", map[string]any{"email": "U0@x.example", "companyId": c})
	sortTests := []struct {
		sort string
		want []string
	}{
		{"mrr", []string{d, b, a, c}},    // missing first, then ascending, ties by _id
		{"-mrr", []string{a, c, b, d}},   // descending, ties still by _id
		{"name", []string{a, c, d, b}},   // case-sensitive: upper case first
		{"-name", []string{b, d, c, a}},  //
		{"nosuch", []string{a, b, c, d}}, // all missing: _id order
	}
	for _, tc := range sortTests {
		t.Run("sort "+tc.sort, func(t *testing.T) {
			got := ids(t, call(t, srv, "GET", srv.URL+"/companies?sort="+tc.sort, nil).array(t))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("select keeps _id", func(t *testing.T) {
		got := call(t, srv, "GET", srv.URL+"/companies?select=name,%20externalId&limit=1", nil).array(t)
		want := []any{map[string]any{"_id": a, "name": "Acme", "externalId": "a"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("select (-want +got):\n%s", diff)
		}
	})
	filterTests := []struct {
		name, query string
		want        int
	}{
		{"companyId", "companyId=" + a, 2},
		{"companyId comma list", "companyId=" + a + "," + b, 3},
		{"companyId keyable", "companyId=extid-a", 2},
		{"legacy c alias", "c=" + c, 2},
		{"email case-insensitive", "email=U0@X.example", 2},
		{"email and company", "email=u0@x.example&companyId=" + c, 1},
		{"archived hidden", "email=hidden@x.example", 0},
		{"field filter", "name=3", 1},
		{"no match", "companyId=ffffffffffffffffffffffff", 0},
	}
	for _, tc := range filterTests {
		t.Run(tc.name, func(t *testing.T) {
			got := call(t, srv, "GET", srv.URL+"/endusers?"+tc.query, nil).array(t)
			if len(got) != tc.want {
				t.Errorf("%s matched %d, want %d", tc.query, len(got), tc.want)
			}
		})
	}
}

func TestLeanCompanies(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	for i := 0; i < 5100; i++ {
		status := []string{"customer", "prospect", "lost"}[i%3]
		srv.Insert("companies", map[string]any{"name": fmt.Sprint("C", i), "externalId": fmt.Sprint("e", i), "sourceId": fmt.Sprint("s", i), "status": status, "slug": fmt.Sprint("c", i), "mrr": i})
	}
	tests := []struct {
		query string
		want  int
	}{
		{"", 5100}, // no 5,000 cap
		{"?externalId=e7", 1},
		{"?externalId=e7,e8", 2},
		{"?sourceId=s9", 1},
		{"?status=lost", 1700},
		{"?status=lost,prospect", 3400},
		{"?status=customer&limit=10&offset=5", 10},
	}
	for _, tc := range tests {
		r := call(t, srv, "GET", srv.URL+"/leancompanies"+tc.query, nil)
		mustStatus(t, r, 200)
		got := r.array(t)
		if len(got) != tc.want {
			t.Errorf("%q: %d items, want %d", tc.query, len(got), tc.want)
		}
	}
	first := call(t, srv, "GET", srv.URL+"/leancompanies?externalId=e1", nil).array(t)[0].(map[string]any)
	if got := strings.Join(slices.Sorted(maps.Keys(first)), ","); got != "_id,externalId,name,slug,sourceId" {
		t.Errorf("lean keys = %s", got)
	}
}

func TestListShapeAndQuirks(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, WithSeed(1))
	owner := srv.Objects("users")[0]
	cid := srv.Insert("companies", map[string]any{"name": "Q", "owner": owner["_id"], "orgPath": []any{"p1", "p2"}, "domains": []any{"q.example"}, "featured": false, "orgUnits": "3"})
	srv.Insert("endusers", map[string]any{"email": "e@q.example", "companyId": cid, "beatTrend": "2", "experience": "x"})
	conv := srv.Insert("conversations", map[string]any{"companyId": cid, "type": "note", "endusers": []any{map[string]any{"id": "e1", "name": "E"}}})

	get := func(path string) map[string]any { return call(t, srv, "GET", srv.URL+path, nil).object(t) }
	if get("/companies/" + cid)["owner"] != owner["_id"] {
		t.Errorf("owner on GET must be an id string by default")
	}
	srv.SetSwitches(func(s *Switches) { s.ListShapeOwners = true })
	list := call(t, srv, "GET", srv.URL+"/companies?name=Q", nil).array(t)
	if diff := cmp.Diff(map[string]any{"_id": owner["_id"], "nickName": owner["nickName"]}, list[0].(map[string]any)["owner"]); diff != "" {
		t.Errorf("list-shape owner (-want +got):\n%s", diff)
	}
	if get("/companies/" + cid)["owner"] != owner["_id"] {
		t.Errorf("owner on GET by id must stay a string with ListShapeOwners")
	}
	srv.SetSwitches(func(s *Switches) {
		*s = Switches{CommaStringLists: true, EmptyStringBooleans: true, NumbersForStrings: true, ConversationEnduserIDs: true}
	})
	got := get("/companies/" + cid)
	if got["orgPath"] != ",p1,p2," || got["domains"] != ",q.example," {
		t.Errorf("comma-string lists: orgPath=%v domains=%v", got["orgPath"], got["domains"])
	}
	if got["featured"] != "" {
		t.Errorf(`false boolean = %v, want ""`, got["featured"])
	}
	if fmt.Sprint(got["orgUnits"]) != "3" || fmt.Sprintf("%T", got["orgUnits"]) == "string" {
		t.Errorf("orgUnits = %#v, want the number 3", got["orgUnits"])
	}
	eu := call(t, srv, "GET", srv.URL+"/endusers?email=e@q.example", nil).array(t)[0].(map[string]any)
	if fmt.Sprintf("%T", eu["beatTrend"]) == "string" || eu["experience"] != "x" {
		t.Errorf("beatTrend=%#v experience=%#v", eu["beatTrend"], eu["experience"])
	}
	if diff := cmp.Diff([]any{"e1"}, get("/conversations/" + conv)["endusers"]); diff != "" {
		t.Errorf("conversation endusers as ids (-want +got):\n%s", diff)
	}
	// The stored data itself is untouched by rendering quirks.
	stored, _ := srv.Object("companies", cid)
	if _, ok := stored["orgPath"].([]any); !ok {
		t.Errorf("quirk rendering changed stored data: %v", stored["orgPath"])
	}
}
