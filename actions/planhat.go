package actions

import "github.com/planbridge/planbridge/planhat"

// Planhat returns every Planhat action, freshly built: the generic families
// derived from the planhat client's model registry, the upstream-compatible
// asset actions, and the task-shaped helpers. Each call returns new values,
// so callers may adjust them before registering.
func Planhat() []*Action {
	var out []*Action
	for _, m := range planhat.Models() {
		out = append(out, modelActions(m)...)
	}
	out = append(out, assetActions()...)
	out = append(out, extraActions()...)
	return out
}

// PlanhatRegistry returns a registry holding exactly the Planhat actions.
func PlanhatRegistry() (*Registry, error) {
	return NewRegistry(Planhat()...)
}
