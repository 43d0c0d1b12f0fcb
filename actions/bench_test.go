package actions

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

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

// interleave times each of calls over b.N rounds, the calls taking turns
// in batches so that noise from the shared machine falls on all of them
// alike, and returns each one's mean time per call.
func interleave(b *testing.B, calls ...func()) []time.Duration {
	b.Helper()
	const batch = 25
	total := make([]time.Duration, len(calls))
	for _, c := range calls {
		for range batch {
			c() // warm connections and caches
		}
	}
	b.ResetTimer()
	n := 0
	for b.Loop() {
		if n%batch == 0 {
			for i, c := range calls {
				start := time.Now()
				for range batch {
					c()
				}
				total[i] += time.Since(start)
			}
		}
		n++
	}
	b.StopTimer()
	rounds := time.Duration((n + batch - 1) / batch * batch)
	for i := range total {
		total[i] /= rounds
	}
	return total
}

// BenchmarkGetCompanyRatio measures the registry's overhead for getCompany
// as a ratio in one run: the registry call over the same read through the
// client directly (Objects, as the generic actions use, and the typed
// Companies accessor), interleaved so both see the same machine.
func BenchmarkGetCompanyRatio(b *testing.B) {
	e := newEnv(b)
	id := e.srv.Insert("companies", map[string]any{"name": "Acme", "externalId": "acme", "custom": map[string]any{"tier": "gold"}})
	input := json.RawMessage(`{"id":"` + id + `"}`)
	t := interleave(b,
		func() {
			if _, err := e.reg.testCall(e.ctx, "getCompany", input); err != nil {
				b.Fatal(err)
			}
		},
		func() {
			if _, err := e.client.Objects(planhat.ModelCompany).Get(e.ctx, planhat.ID(id)); err != nil {
				b.Fatal(err)
			}
		},
		func() {
			if _, err := e.client.Companies().Get(e.ctx, planhat.ID(id)); err != nil {
				b.Fatal(err)
			}
		})
	b.ReportMetric(float64(t[0].Nanoseconds())/1000, "registry-µs")
	b.ReportMetric(float64(t[1].Nanoseconds())/1000, "objects-µs")
	b.ReportMetric(float64(t[2].Nanoseconds())/1000, "typed-µs")
	b.ReportMetric(float64(t[0])/float64(t[1]), "registry/objects-x")
	b.ReportMetric(float64(t[0])/float64(t[2]), "registry/typed-x")
}

// BenchmarkListAssets compares a 100-record listAssets through the registry
// with the same page read through the client directly.
func BenchmarkListAssets(b *testing.B) {
	e := newEnv(b)
	company := e.srv.Insert("companies", map[string]any{"name": "Acme"})
	for i := range 100 {
		e.srv.Insert("assets", map[string]any{"name": fmt.Sprintf("Router %d", i), "companyId": company, "externalId": fmt.Sprintf("r%d", i),
			"custom": map[string]any{"Tier": "gold", "Seats": i}, "usage": map[string]any{"logins": i}})
	}
	input := json.RawMessage(`{"companyId":"` + company + `","limit":100}`)
	opts := &planhat.ListOptions{CompanyIDs: []string{company}, Limit: 100}
	t := interleave(b,
		func() {
			if _, err := e.reg.testCall(e.ctx, "listAssets", input); err != nil {
				b.Fatal(err)
			}
		},
		func() {
			if _, err := e.client.Objects(planhat.ModelAsset).List(e.ctx, opts); err != nil {
				b.Fatal(err)
			}
		})
	b.ReportMetric(float64(t[0].Nanoseconds())/1000, "registry-µs")
	b.ReportMetric(float64(t[1].Nanoseconds())/1000, "objects-µs")
	b.ReportMetric(float64(t[0])/float64(t[1]), "registry/objects-x")
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
