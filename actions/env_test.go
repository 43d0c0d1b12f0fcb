package actions

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/planbridge/planbridge/internal/golden"
	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/planhat/planhatemu"
	"github.com/planbridge/planbridge/planhat/planhattest"
	"github.com/planbridge/planbridge/relay"
	"github.com/planbridge/planbridge/store/sqlitestore"
)

// env is one emulated Planhat tenant, a client for it and the Planhat
// registry, wired exactly as a door wires them.
type env struct {
	srv    *planhatemu.Server
	client *planhat.Client
	reg    *Registry
	ctx    context.Context
	outbox *outbox.Outbox
}

// newEnv starts an emulator and a client without retries or pacing, so
// faults surface at once and tests stay fast.
func newEnv(tb testing.TB, opts ...planhatemu.Option) *env {
	tb.Helper()
	srv := planhattest.NewServer(tb, append([]planhatemu.Option{planhatemu.WithRateLimit(1_000_000, time.Minute)}, opts...)...)
	c := newClient(tb, srv, srv.Token)
	reg, err := PlanhatRegistry()
	if err != nil {
		tb.Fatal(err)
	}
	ob, rl := newRelay(tb)
	return &env{srv: srv, client: c, reg: reg, ctx: withRelay(withPlanhat(context.Background(), c), rl), outbox: ob}
}

// newRelay is the durable intake over a store of the test's own, with
// delivery clients as fast as newClient's.
func newRelay(tb testing.TB) (*outbox.Outbox, *relay.Relay) {
	tb.Helper()
	st, err := sqlitestore.Open(context.Background(), filepath.Join(tb.TempDir(), "actions.db"), sqlitestore.Options{Synchronous: "NORMAL"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	ob, err := outbox.New(outbox.Options{Store: st})
	if err != nil {
		tb.Fatal(err)
	}
	rl, err := relay.New(relay.Options{Store: st, Outbox: ob, NewClient: func(c planhat.Credentials) (*planhat.Client, error) {
		return planhat.NewClient(planhat.Options{Token: c.Token, BaseURL: c.BaseURL, AnalyticsURL: c.AnalyticsURL, TenantToken: c.TenantToken,
			RateLimit: &planhat.RateLimit{Unlimited: true}, Retry: &planhat.RetryPolicy{MaxRetries: 0}})
	}})
	if err != nil {
		tb.Fatal(err)
	}
	for k, d := range rl.Deliverers() {
		ob.Register(k, d)
	}
	return ob, rl
}

// deliver runs the outbox once, so what the relay stored reaches the emulator.
func (e *env) deliver(tb testing.TB) {
	tb.Helper()
	if held, err := e.outbox.Drain(context.Background()); err != nil || !held {
		tb.Fatalf("delivering: %v, %v", held, err)
	}
}

// newClient builds a client for srv with its own limiter (so a 429 in one
// test never pauses another) and no retries.
func newClient(tb testing.TB, srv *planhatemu.Server, token string) *planhat.Client {
	tb.Helper()
	lim := planhat.NewLimiter(planhat.RateLimit{Requests: 1_000_000, Window: time.Minute, Burst: 100_000, PerSecond: 1_000_000,
		MaxInFlight: 100, Cooldown: time.Millisecond})
	c, err := planhat.NewClient(planhat.Options{Token: token, BaseURL: srv.URL, AnalyticsURL: srv.AnalyticsURL, TenantToken: srv.Tenant,
		Limiter: lim, Retry: &planhat.RetryPolicy{MaxRetries: 0}})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// call runs an action with input marshalled from v and decodes the output.
func (e *env) call(tb testing.TB, name string, v any) (map[string]any, error) {
	tb.Helper()
	return e.callCtx(tb, e.ctx, name, v)
}

func (e *env) callCtx(tb testing.TB, ctx context.Context, name string, v any) (map[string]any, error) {
	tb.Helper()
	raw, ok := v.(string)
	if !ok {
		b, err := json.Marshal(v)
		if err != nil {
			tb.Fatal(err)
		}
		raw = string(b)
	}
	out, err := e.reg.testCall(ctx, name, json.RawMessage(raw))
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		tb.Fatalf("%s: output is not a JSON object: %v\n%s", name, err, out)
	}
	e.checkOutput(tb, name, m)
	return m, nil
}

// mustCall is call for steps that must succeed.
func (e *env) mustCall(tb testing.TB, name string, v any) map[string]any {
	tb.Helper()
	out, err := e.call(tb, name, v)
	if err != nil {
		tb.Fatalf("%s(%v): %v", name, v, err)
	}
	return out
}

// checkOutput validates an output against the action's output schema, so
// the published schemas cannot drift from what actions return.
func (e *env) checkOutput(tb testing.TB, name string, out map[string]any) {
	tb.Helper()
	a, _ := e.reg.Get(name)
	rs, err := a.Output.Resolve(nil)
	if err != nil {
		tb.Fatalf("%s: output schema: %v", name, err)
	}
	if err := rs.Validate(out); err != nil {
		tb.Errorf("%s: output does not match its schema: %v\noutput: %v", name, err, out)
	}
}

// goldenJSON compares got (as indented JSON) with testdata/name.golden,
// rewriting the file under -update.
func goldenJSON(tb testing.TB, name string, got any) {
	tb.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(got); err != nil {
		tb.Fatal(err)
	}
	golden.Check(tb, filepath.Join("testdata", name+".golden"), buf.Bytes())
}
