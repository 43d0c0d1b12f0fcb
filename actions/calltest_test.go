package actions

import (
	"context"
	"encoding/json"

	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/relay"
)

// testWording is the Botpress door's wording, so the parity goldens keep
// the messages the Botpress integration answers with.
var testWording = Wording{
	Token:       "paste it into the integration's configuration",
	Tenant:      "into the integration's configuration",
	ListActions: "list the available actions to find the right name",
	Where:       "the integration",
	Operator:    "the integration's operator",
}

type testPlanhatKey struct{}

type testRelayKey struct{}

// withRelay carries the durable intake to testCall.
func withRelay(ctx context.Context, r *relay.Relay) context.Context {
	return context.WithValue(ctx, testRelayKey{}, r)
}

// withPlanhat carries a Planhat client to testCall, so table tests can
// pick the client per case.
func withPlanhat(ctx context.Context, c *planhat.Client) context.Context {
	return context.WithValue(ctx, testPlanhatKey{}, c)
}

// testCall runs an action through Invoke as a door would, with the client
// withPlanhat stored in ctx, and returns the error as a plain error.
func (r *Registry) testCall(ctx context.Context, name string, input json.RawMessage) (json.RawMessage, error) {
	c, _ := ctx.Value(testPlanhatKey{}).(*planhat.Client)
	rl, _ := ctx.Value(testRelayKey{}).(*relay.Relay)
	out, e := r.Invoke(ctx, Invocation{Door: "test", Action: name, Input: input, Deps: Deps{Planhat: c, Relay: rl}, Wording: &testWording})
	if e != nil {
		return nil, e
	}
	return out, nil
}

// classifyT classifies in the test wording.
func classifyT(err error) *Error { return Classify(err, &testWording) }
