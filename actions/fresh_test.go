package actions

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/planbridge/planbridge/planhat"
)

// recordingCache answers every read with an empty object and records whether it was asked
// for a fresh one.
type recordingCache struct{ fresh []bool }

func (r *recordingCache) Read(_ context.Context, cr planhat.CachedRead, _ func(context.Context) (*planhat.CachedAnswer, error)) (*planhat.CachedAnswer, error) {
	r.fresh = append(r.fresh, cr.Fresh)
	body := `{"_id":"6b16103bd226000000000001","name":"Acme"}`
	if cr.Model == "endusers" {
		body = "[]"
	}
	return &planhat.CachedAnswer{Status: 200, Body: []byte(body)}, nil
}

func (r *recordingCache) Wrote(string) {}

func TestFreshInputReachesTheCache(t *testing.T) {
	reg, err := PlanhatRegistry()
	if err != nil {
		t.Fatal(err)
	}
	rc := &recordingCache{}
	c, err := planhat.NewClient(planhat.Options{Token: "t", BaseURL: "http://127.0.0.1:1", ReadCache: rc})
	if err != nil {
		t.Fatal(err)
	}
	ctx := withPlanhat(t.Context(), c)
	calls := []struct{ action, input string }{
		{"getCompany", `{"id":"6b16103bd226000000000001"}`},
		{"getCompany", `{"id":"6b16103bd226000000000001","fresh":true}`},
		{"findEndUserByEmail", `{"email":"ann@example.com","fresh":true}`},
		{"getCompany", `{"id":"6b16103bd226000000000001","fresh":false}`},
	}
	for _, call := range calls {
		if _, err := reg.testCall(ctx, call.action, json.RawMessage(call.input)); err != nil {
			t.Fatalf("%s %s: %v", call.action, call.input, err)
		}
	}
	if diff := cmp.Diff([]bool{false, true, true, false}, rc.fresh); diff != "" {
		t.Errorf("fresh reads (-want +got):\n%s", diff)
	}
	// Writes have no such input: it would be refused as an unknown field.
	if a, _ := reg.Get("updateCompany"); a.Input.Properties[FreshInput] != nil {
		t.Error("updateCompany offers fresh")
	}
}
