package actions

import (
	"strings"

	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/relay"
)

// Need is a set of dependencies an action requires; a door compares the
// union of its actions' needs with what it provides at start-up.
type Need uint8

// The dependencies an action can need.
const (
	// NeedPlanhat: a Planhat client (Deps.Planhat).
	NeedPlanhat Need = 1 << iota
	// NeedRelay: the durable intake of conversation logs and activities (Deps.Relay).
	NeedRelay
)

// needNames names each dependency in messages, in bit order.
var needNames = []string{"a Planhat client", "the durable outbox (a store)"}

// String lists the dependencies, e.g. "a Planhat client".
func (n Need) String() string {
	var parts []string
	for i, name := range needNames {
		if n&(1<<i) != 0 {
			parts = append(parts, name)
		}
	}
	if n>>len(needNames) != 0 {
		parts = append(parts, "an unknown dependency")
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, " and ")
}

// Deps are what a door hands to the actions it runs: the Botpress door the
// client of the request's installation, the REST door and the CLI the
// server's own. A nil field is a dependency the door does not have.
type Deps struct {
	// Planhat is the Planhat client the Planhat actions call.
	Planhat *planhat.Client
	// Relay stores conversation logs and activities for the outbox to
	// deliver; doors with a store (serve, call) provide it.
	Relay *relay.Relay
}

// Provides returns the set of dependencies d holds.
func (d Deps) Provides() Need {
	var n Need
	if d.Planhat != nil {
		n |= NeedPlanhat
	}
	if d.Relay != nil {
		n |= NeedRelay
	}
	return n
}
