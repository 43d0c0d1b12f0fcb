package planhat_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/planhat"
)

func TestKeyableLookups(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newEnv(t, nil, nil)
	id := e.srv.Insert("companies", map[string]any{"name": "Acme", "externalId": "acme/42?x", "sourceId": "sf-001"})

	tests := []struct {
		name     string
		id       planhat.ID
		wantPath string
	}{
		{"object id", planhat.ID(id), "/companies/" + id},
		{"external id with reserved characters", planhat.ExtID("acme/42?x"), "/companies/extid-acme%2F42%3Fx"},
		{"source id", planhat.SrcID("sf-001"), "/companies/srcid-sf-001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.rec.reset()
			got, err := e.c.Companies().Get(ctx, tt.id)
			if err != nil {
				t.Fatalf("Get(%s): %v", tt.id, err)
			}
			if got.ID != id || got.Name != "Acme" {
				t.Errorf("Get(%s) = %+v", tt.id, got)
			}
			if p := e.rec.requests()[0].Path; p != tt.wantPath {
				t.Errorf("path = %s, want %s", p, tt.wantPath)
			}
			upd, err := e.c.Companies().Update(ctx, tt.id, map[string]any{"phase": "phase " + tt.name})
			if err != nil {
				t.Fatalf("Update(%s): %v", tt.id, err)
			}
			if upd.Phase != "phase "+tt.name || upd.ID != id {
				t.Errorf("Update(%s) = %+v", tt.id, upd)
			}
		})
	}

	// Delete by keyable resolves the _id first (DELETE by keyable is unverified).
	e.rec.reset()
	res, err := e.c.Companies().Delete(ctx, planhat.SrcID("sf-001"))
	if err != nil {
		t.Fatalf("Delete by srcid: %v", err)
	}
	if res.DeletedCount != 1 {
		t.Errorf("delete result = %+v", res)
	}
	var got []string
	for _, r := range e.rec.requests() {
		got = append(got, r.Method+" "+r.Path)
	}
	want := []string{"GET /companies/srcid-sf-001", "DELETE /companies/" + id}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("delete requests (-want +got):\n%s", diff)
	}
	if e.srv.Count("companies") != 0 {
		t.Errorf("company still stored after delete")
	}
}

func TestRefusedBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newEnv(t, nil, nil)

	tests := []struct {
		name  string
		call  func() error
		check func(error) bool
		want  string
	}{
		{"empty id", func() error { _, err := e.c.Companies().Get(ctx, ""); return err },
			func(err error) bool { return errors.Is(err, planhat.ErrEmptyID) }, "empty id"},
		{"blank id", func() error { _, err := e.c.Companies().Update(ctx, "  ", map[string]any{"name": "x"}); return err },
			func(err error) bool { return errors.Is(err, planhat.ErrEmptyID) }, "empty id"},
		{"empty external id", func() error { _, err := e.c.EndUsers().Delete(ctx, planhat.ExtID("")); return err },
			func(err error) bool { return errors.Is(err, planhat.ErrEmptyID) }, "empty id"},
		{"dot-segment id", func() error { _, err := e.c.Companies().Delete(ctx, ".."); return err },
			isValidation, "dot segment"},
		{"single-dot id", func() error { _, err := e.c.Companies().Update(ctx, ".", map[string]any{"name": "x"}); return err },
			isValidation, "dot segment"},
		{"contacts of a blank company", func() error {
			for _, err := range e.c.EndUsersOfCompany(ctx, "") {
				return err
			}
			return nil
		}, isValidation, "companyId"},
		{"blank company in a list filter", func() error {
			_, err := e.c.Assets().List(ctx, &planhat.ListOptions{CompanyIDs: []string{"61006bc89a3e0b702ed8ea49", " "}})
			return err
		}, isValidation, "companyId"},
		{"keyable the model lacks", func() error { _, err := e.c.Churn().Get(ctx, planhat.ExtID("x")); return err },
			isValidation, "cannot be addressed by externalId"},
		{"reserved conversation type", func() error {
			_, err := e.c.Conversations().Create(ctx, planhat.Conversation{Type: "email", CompanyID: "61006bc89a3e0b702ed8ea49"})
			return err
		}, isValidation, `type "email" is reserved`},
		{"reserved type in any case", func() error {
			_, err := e.c.Objects(planhat.ModelConversation).Create(ctx, planhat.Object{"type": " Chat", "companyId": "x"})
			return err
		}, isValidation, "reserved"},
		{"reserved type set by update", func() error {
			_, err := e.c.Conversations().Update(ctx, "6102e3b08084189dcbf0e3f0", map[string]any{"type": "ticket"})
			return err
		}, isValidation, "reserved"},
		{"reserved type in bulk create", func() error {
			_, err := e.c.Conversations().BulkUpsert(ctx, []planhat.Conversation{{Type: "note", CompanyID: "c"}, {Type: "call", CompanyID: "c"}})
			return err
		}, isValidation, "item 1"},
		// An externalId that matches nothing creates the record, so a keyable does not
		// make a reserved type safe.
		{"reserved type in bulk upsert with a keyable", func() error {
			_, err := e.c.Conversations().BulkUpsert(ctx, []planhat.Conversation{
				{Type: "note", CompanyID: "61006bc89a3e0b702ed8ea49", ExternalID: "new-0"},
				{Type: "email", CompanyID: "61006bc89a3e0b702ed8ea49", ExternalID: "new-1"},
			})
			return err
		}, isValidation, `item 1: type "email" is reserved`},
		{"reserved type in untyped bulk upsert by _id", func() error {
			_, err := e.c.Objects(planhat.ModelConversation).BulkUpsert(ctx, []planhat.Object{{"_id": "6102e3b08084189dcbf0e3f0", "type": "Chat"}})
			return err
		}, isValidation, `item 0: type "Chat" is reserved`},
		{"missing required field", func() error { _, err := e.c.Companies().Create(ctx, planhat.Company{Slug: "x"}); return err },
			isValidation, `"name" is required`},
		{"one of several required", func() error {
			_, err := e.c.Conversations().Create(ctx, planhat.Conversation{Type: "note"})
			return err
		},
			isValidation, "one of"},
		{"ticket without email", func() error {
			_, err := e.c.UpsertTickets(ctx, []planhat.Ticket{{SourceID: "t1", Email: "a@b.c"}, {SourceID: "t2"}})
			return err
		}, isValidation, "drops tickets without email"},
		{"unsupported operation", func() error { _, err := e.c.Users().Create(ctx, planhat.User{Email: "a@b.c"}); return err },
			func(err error) bool { return errors.Is(err, planhat.ErrUnsupported) }, "not available"},
		{"single ticket create", func() error {
			_, err := e.c.Tickets().Create(ctx, planhat.Ticket{SourceID: "1", Email: "a@b.c"})
			return err
		},
			func(err error) bool { return errors.Is(err, planhat.ErrUnsupported) }, "not available"},
		{"activity without contact", func() error { return e.c.Track(ctx, planhat.Activity{Action: "Logged in"}) },
			isValidation, "Email or ExternalID"},
		{"metric without dimension", func() error {
			_, err := e.c.PushMetrics(ctx, []planhat.Metric{{Value: 1, ExternalID: "x"}})
			return err
		},
			isValidation, "dimensionId is required"},
		{"metric with unknown model", func() error {
			_, err := e.c.PushMetrics(ctx, []planhat.Metric{{DimensionID: "d", Value: 1, ExternalID: "x", Model: "Ticket"}})
			return err
		}, isValidation, "not one of"},
		{"note without company", func() error { _, err := e.c.LogNote(ctx, planhat.Note{Subject: "x"}); return err },
			isValidation, "company"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil || !tt.check(err) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want an error containing %q of the right kind", err, tt.want)
			}
		})
	}
	if n := e.srv.Stats().Total; n != 0 {
		t.Errorf("the emulator received %d requests; refusals must happen before sending", n)
	}
}

func isValidation(err error) bool {
	var v *planhat.ValidationError
	return errors.As(err, &v)
}

func TestPagination(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newEnv(t, nil, nil)
	const n = 4501 // companies page at 5,000; limit 2,000 gives 3 pages
	for i := range n {
		e.srv.Insert("companies", map[string]any{"name": fmt.Sprintf("co-%05d", i), "externalId": fmt.Sprintf("ext-%05d", i)})
	}

	tests := []struct {
		name      string
		opts      *planhat.ListOptions
		wantItems int
		wantCalls int
		wantFirst string
	}{
		{"default page size is the model maximum", nil, n, 1, "co-00000"},
		{"page size 2000", &planhat.ListOptions{Limit: 2000}, n, 3, "co-00000"},
		{"exact multiple needs a final empty page", &planhat.ListOptions{Limit: 4501}, n, 2, "co-00000"},
		{"offset and sort descending", &planhat.ListOptions{Limit: 1000, Offset: 1, Sort: "-name", Select: []string{"name"}}, n - 1, 5, "co-04499"},
		{"limit above the maximum is lowered", &planhat.ListOptions{Limit: 9000}, n, 1, "co-00000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.srv.ResetStats()
			var names []string
			for co, err := range e.c.Companies().All(ctx, tt.opts) {
				if err != nil {
					t.Fatalf("All: %v", err)
				}
				names = append(names, co.Name)
			}
			if len(names) != tt.wantItems {
				t.Fatalf("got %d companies, want %d", len(names), tt.wantItems)
			}
			if names[0] != tt.wantFirst {
				t.Errorf("first = %s, want %s", names[0], tt.wantFirst)
			}
			seen := map[string]bool{}
			for _, nm := range names {
				if seen[nm] {
					t.Fatalf("duplicate %s across pages", nm)
				}
				seen[nm] = true
			}
			if got := e.srv.Stats().ByRoute["GET /companies"]; got != tt.wantCalls {
				t.Errorf("list calls = %d, want %d", got, tt.wantCalls)
			}
		})
	}

	t.Run("breaking out of the loop stops paging", func(t *testing.T) {
		e.srv.ResetStats()
		count := 0
		for _, err := range e.c.Companies().All(ctx, &planhat.ListOptions{Limit: 100}) {
			if err != nil {
				t.Fatal(err)
			}
			count++
			if count == 150 {
				break
			}
		}
		if got := e.srv.Stats().ByRoute["GET /companies"]; got != 2 {
			t.Errorf("list calls = %d, want 2", got)
		}
	})

	t.Run("an error ends the iteration", func(t *testing.T) {
		e.srv.FailNext(10, http.StatusUnauthorized)
		var errs []error
		for _, err := range e.c.Companies().All(ctx, nil) {
			errs = append(errs, err)
		}
		e.srv.FailNext(0, 0)
		if len(errs) != 1 || !errors.Is(errs[0], planhat.ErrUnauthorized) {
			t.Errorf("errors = %v, want one ErrUnauthorized", errs)
		}
	})
}

func TestListFilters(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newEnv(t, nil, nil)
	var companies []string
	for i := range 3 {
		companies = append(companies, e.srv.Insert("companies", map[string]any{"name": fmt.Sprintf("c%d", i)}))
	}
	for i := range 9 {
		e.srv.Insert("endusers", map[string]any{"email": fmt.Sprintf("u%d@x.test", i), "companyId": companies[i%3], "primary": i == 4})
	}
	e.srv.Insert("endusers", map[string]any{"email": "u4@x.test", "companyId": companies[0]})

	var got []string
	for u, err := range e.c.EndUsers().All(ctx, &planhat.ListOptions{CompanyIDs: companies[:2], Sort: "email"}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, u.Email)
	}
	want := []string{"u0@x.test", "u1@x.test", "u3@x.test", "u4@x.test", "u4@x.test", "u6@x.test", "u7@x.test"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("endusers of two companies (-want +got):\n%s", diff)
	}
	if q := e.rec.requests()[0].Query; q != "companyId="+url.QueryEscape(companies[0]+","+companies[1])+"&limit=2000&sort=email" {
		t.Errorf("query = %s", q)
	}

	u, err := e.c.FindEndUserByEmail(ctx, "U4@x.test")
	if err != nil {
		t.Fatal(err)
	}
	if !bool(u.Primary) || u.CompanyID != companies[1] {
		t.Errorf("FindEndUserByEmail picked %+v, want the primary one", u)
	}
	all, err := e.c.FindEndUsersByEmail(ctx, "u4@x.test")
	if err != nil || len(all) != 2 {
		t.Errorf("FindEndUsersByEmail = %d users, %v; want 2", len(all), err)
	}
	if _, err := e.c.FindEndUserByEmail(ctx, "nobody@x.test"); !errors.Is(err, planhat.ErrNotFound) {
		t.Errorf("missing email: err = %v, want ErrNotFound", err)
	}
	if _, err := e.c.FindUserByEmail(ctx, "nobody@x.test"); !errors.Is(err, planhat.ErrNotFound) {
		t.Errorf("missing team member: err = %v, want ErrNotFound", err)
	}
}

func TestLongCompanyFilterIsSplit(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newEnv(t, nil, nil)
	var ids []string
	for i := range 150 { // 150 × 25 bytes > 1,500: three groups
		ids = append(ids, e.srv.Insert("companies", map[string]any{"name": fmt.Sprintf("c%d", i)}))
		e.srv.Insert("endusers", map[string]any{"email": fmt.Sprintf("u%d@x.test", i), "companyId": ids[i]})
	}
	n := 0
	for _, err := range e.c.EndUsers().All(ctx, &planhat.ListOptions{CompanyIDs: ids}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 150 {
		t.Errorf("got %d end users, want 150", n)
	}
	for _, r := range e.rec.requests() {
		if len(r.Query) > 2000 {
			t.Errorf("query of %d bytes", len(r.Query))
		}
	}
	if calls := len(e.rec.requests()); calls != 3 {
		t.Errorf("calls = %d, want 3", calls)
	}
}

// TestAllStopsWhenOffsetIsIgnored uses a server that always answers the same full page, as
// a proxy or a future API change could: no iterator may loop forever.
func TestAllStopsWhenOffsetIsIgnored(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `[{"_id":"a","name":"A"},{"_id":"b","name":"B"}]`)
	}))
	defer ts.Close()
	c, err := planhat.NewClient(planhat.Options{Token: "t", BaseURL: ts.URL, RateLimit: highLimit})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		errs func(yield func(error) bool)
	}{
		{"records", func(yield func(error) bool) {
			for _, err := range c.Companies().All(t.Context(), &planhat.ListOptions{Limit: 2}) {
				if !yield(err) {
					return
				}
			}
		}},
		{"dimension data", func(yield func(error) bool) {
			for _, err := range c.AllDimensionData(t.Context(), planhat.DimensionDataQuery{Limit: 2}) {
				if !yield(err) {
					return
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			var last error
			for err := range tt.errs {
				if err != nil {
					last = err
					break
				}
				if n++; n > 100 {
					break // the iterator would never end
				}
			}
			if n != 2 || last == nil || !strings.Contains(last.Error(), "ignores offset") {
				t.Errorf("got %d records and err %v; want 2 and an offset error", n, last)
			}
		})
	}
}
