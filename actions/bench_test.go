package actions

import (
	"encoding/json"
	"testing"

	"github.com/planbridge/planbridge/planhat"
)

// BenchmarkGetCompany compares a getCompany call through the registry
// (input parse and validation, client call, output shaping) with the same
// read through the client directly, both over real HTTP to the in-process
// emulator; the difference is the registry's overhead.
func BenchmarkGetCompany(b *testing.B) {
	e := newEnv(b)
	id := e.srv.Insert("companies", map[string]any{"name": "Acme", "externalId": "acme", "custom": map[string]any{"tier": "gold"}})
	input := json.RawMessage(`{"id":"` + id + `"}`)
	b.Run("registry", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.reg.testCall(e.ctx, "getCompany", input); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("client-objects", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.client.Objects(planhat.ModelCompany).Get(e.ctx, planhat.ID(id)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("client-typed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.client.Companies().Get(e.ctx, planhat.ID(id)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkValidate measures input parsing and validation alone, for a
// 1,000-item bulk upsert (no Planhat call).
func BenchmarkValidate(b *testing.B) {
	a := assetActions()[5]
	items := make([]map[string]any, 1000)
	for i := range items {
		items[i] = map[string]any{"name": "Router", "companyId": "extid-acme", "externalId": "r" + string(rune('a'+i%26)), "custom": map[string]any{"tier": "gold"}}
	}
	raw, _ := json.Marshal(map[string]any{"assets": items})
	rs, err := a.resolve()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		obj, err := parseInput(raw)
		if err != nil {
			b.Fatal(err)
		}
		if fe := validateInput(a.Input, obj); len(fe) > 0 {
			b.Fatal(fe)
		}
		if err := rs.Validate(obj); err != nil {
			b.Fatal(err)
		}
	}
}
