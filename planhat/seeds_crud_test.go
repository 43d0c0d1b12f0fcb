package planhat_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/planbridge/planbridge/planhat"
)

// TestSeedReferenceEndpoints replays the rest of the 2017 API reference (seed 002): the
// token check GET /myprofile in both documented Authorization forms, the quota headers the
// introduction shows, and the item endpoints listed for companies, contacts and calls
// (POST, GET /:id, PUT /:id, DELETE /:id), checking the documented fields on each answer.
func TestSeedReferenceEndpoints(t *testing.T) {
	t.Parallel()
	ctx := t.Context()

	t.Run("authentication: GET /myprofile with Bearer and with Basic base64(token:)", func(t *testing.T) {
		t.Parallel()
		for _, scheme := range []planhat.AuthScheme{planhat.AuthBearer, planhat.AuthBasic} {
			e := newEnv(t, nil, func(o *planhat.Options) { o.Auth = scheme })
			var profile map[string]any
			if err := e.c.Do(ctx, http.MethodGet, "/myprofile", nil, nil, &profile); err != nil {
				t.Fatalf("auth scheme %d: %v", scheme, err)
			}
			if id, _ := profile["_id"].(string); !objectIDRE.MatchString(id) {
				t.Errorf("auth scheme %d: profile = %v, want the token's user with a 24-hex _id", scheme, profile)
			}
			want := map[planhat.AuthScheme]string{planhat.AuthBearer: "Bearer " + testToken, planhat.AuthBasic: "Basic dGVzdC10b2tlbi0wMTIzNDU2Nzg5Og=="}[scheme]
			if got := e.rec.authHeaders()[0]; got != want {
				t.Errorf("auth scheme %d: Authorization = %q, want %q", scheme, got, want)
			}
			// "each response includes information about your limit and how many calls you have left"
			if rl := e.c.RateLimit(); rl.Limit != 200 || rl.Remaining != 199 {
				t.Errorf("auth scheme %d: rate-limit state = %+v, want Limit 200, Remaining 199", scheme, rl)
			}
			// A wrong token is refused with a message that says what to check.
			bad, err := planhat.NewClient(planhat.Options{Token: "wrong", BaseURL: e.srv.URL, Auth: scheme, Retry: &planhat.RetryPolicy{}})
			if err != nil {
				t.Fatal(err)
			}
			err = bad.Do(ctx, http.MethodGet, "/myprofile", nil, nil, nil)
			if !errors.Is(err, planhat.ErrUnauthorized) {
				t.Errorf("wrong token: err = %v, want ErrUnauthorized", err)
			}
		}
	})

	t.Run("companies: POST, GET /:id, PUT /:id, DELETE /:id", func(t *testing.T) {
		t.Parallel()
		e := seedEnv(t)
		co := e.c.Companies()
		created, err := co.Create(ctx, planhat.Company{Name: "Google", Slug: "google", Owner: planhat.UserRef{ID: seedOwnerID},
			ExternalID: "12345", Phase: "onboarding", Tags: planhat.FlexStrings{"Gold", "East Coast"}, Custom: map[string]any{"referenceOk": true}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := co.Get(ctx, planhat.ID(created.ID))
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Google" || got.Slug != "google" || got.Owner.ID != seedOwnerID || got.Phase != "onboarding" || got.Custom["referenceOk"] != true {
			t.Errorf("GET /companies/:id = %+v", got)
		}
		// "if you're going to update some of the tags ... you'd have to update the whole array"
		updated, err := co.Update(ctx, planhat.ID(created.ID), map[string]any{"tags": []string{"Gold"}, "phase": "live"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(planhat.FlexStrings{"Gold"}, updated.Tags); diff != "" || updated.Phase != "live" || updated.Name != "Google" {
			t.Errorf("PUT /companies/:id: tags diff %s; company %+v", diff, updated)
		}
		del, err := co.Delete(ctx, planhat.ID(created.ID))
		if err != nil || del.DeletedCount != 1 || del.N != 1 || del.OK != 1 {
			t.Fatalf("DELETE /companies/:id = %+v, %v; want {n:1, ok:1, deletedCount:1}", del, err)
		}
		if _, err := co.Get(ctx, planhat.ID(created.ID)); !errors.Is(err, planhat.ErrNotFound) {
			t.Errorf("GET after DELETE: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("contacts: POST, GET /:id, PUT /:id, DELETE /:id", func(t *testing.T) {
		t.Parallel()
		e := seedEnv(t)
		eu := e.c.EndUsers()
		created, err := eu.Create(ctx, planhat.EndUser{CompanyID: seedCompanyID, Email: "cfo@tenet.example", ExternalID: "u-77",
			FirstName: "Carl", LastName: "Finance", Position: "CFO", Phone: "+46 70 123", Featured: true, Tags: planhat.FlexStrings{"exec"}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := eu.Get(ctx, planhat.ID(created.ID))
		if err != nil {
			t.Fatal(err)
		}
		want := planhat.EndUser{ID: created.ID, CompanyID: seedCompanyID, CompanyName: "Tenet", Email: "cfo@tenet.example", ExternalID: "u-77",
			FirstName: "Carl", LastName: "Finance", Name: "Carl Finance", Position: "CFO", Phone: "+46 70 123", Featured: true, Tags: planhat.FlexStrings{"exec"}}
		got.CreateDate, got.UpdatedAt, got.Extra = planhat.FlexTime{}, planhat.FlexTime{}, nil
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GET /endusers/:id (-want +got):\n%s", diff)
		}
		if !objectIDRE.MatchString(created.ID) || created.CreateDate.IsZero() {
			t.Errorf("created contact lacks a 24-hex _id or a createDate: %+v", created)
		}
		updated, err := eu.Update(ctx, planhat.ExtID("u-77"), map[string]any{"position": "CEO"})
		if err != nil {
			t.Fatal(err)
		}
		if updated.Position != "CEO" || updated.Email != "cfo@tenet.example" {
			t.Errorf("PUT /endusers/:id is a partial update: got %+v", updated)
		}
		if del, err := eu.Delete(ctx, planhat.ID(created.ID)); err != nil || del.DeletedCount != 1 {
			t.Fatalf("DELETE /endusers/:id = %+v, %v", del, err)
		}
		if n := e.srv.Count("endusers"); n != 1 {
			t.Errorf("%d end users stored after the delete, want Lara Croft only", n)
		}
	})

	t.Run("calls: POST, GET /:id, PUT /:id, DELETE /:id", func(t *testing.T) {
		t.Parallel()
		e := seedEnv(t)
		call := planhat.Call{Nr: "+4670123456", ExternalUserID: "max123", Waiting: 10}
		logged, err := e.c.LogCall(ctx, call)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.c.Calls().Get(ctx, planhat.ID(logged.ID))
		if err != nil || got.Nr != "+4670123456" || got.ExternalUserID != "max123" || got.Waiting != 10 {
			t.Fatalf("GET /calls/:id = %+v, %v", got, err)
		}
		upd, err := e.c.Calls().Update(ctx, planhat.ID(logged.ID), map[string]any{"waiting": 25})
		if err != nil || upd.Waiting != 25 || upd.Nr != "+4670123456" {
			t.Fatalf("PUT /calls/:id = %+v, %v", upd, err)
		}
		if del, err := e.c.Calls().Delete(ctx, planhat.ID(logged.ID)); err != nil || del.DeletedCount != 1 {
			t.Fatalf("DELETE /calls/:id = %+v, %v", del, err)
		}
	})
}
