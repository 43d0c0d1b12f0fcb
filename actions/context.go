package actions

import (
	"context"

	"github.com/planbridge/planbridge/planhat"
)

type planhatKey struct{}

// WithPlanhat returns a context carrying the Planhat client the Planhat
// actions use; each door decides which client (the Botpress door builds one
// from the request's configuration, the REST door uses the server's).
func WithPlanhat(ctx context.Context, c *planhat.Client) context.Context {
	return context.WithValue(ctx, planhatKey{}, c)
}

// PlanhatFrom returns the Planhat client stored by WithPlanhat.
func PlanhatFrom(ctx context.Context) (*planhat.Client, bool) {
	c, ok := ctx.Value(planhatKey{}).(*planhat.Client)
	return c, ok && c != nil
}

// planhatClient returns the context's client or ErrNoPlanhat.
func planhatClient(ctx context.Context) (*planhat.Client, error) {
	c, ok := PlanhatFrom(ctx)
	if !ok {
		return nil, ErrNoPlanhat
	}
	return c, nil
}
