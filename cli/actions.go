package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"text/tabwriter"

	"github.com/planbridge/planbridge/actions"
)

// actionsCmd lists the actions, this binary's or a running server's.
type actionsCmd struct {
	remoteFlags `embed:""`

	JSON bool `name:"json" help:"Print a JSON array of {name, title, group, description, readOnly, destructive} instead of the table."`
}

// actionInfo is one action as actions --json prints it.
type actionInfo struct {
	Name        string `json:"name"`
	Title       string `json:"title"`
	Group       string `json:"group"`
	Description string `json:"description"`
	ReadOnly    bool   `json:"readOnly"`
	Destructive bool   `json:"destructive"`
}

// Help is the detail of actions --help.
func (c *actionsCmd) Help() string {
	return "Lists the actions 'planbridge call' runs: this binary's own, or with --server (PLANBRIDGE_SERVER) those of a running server, through its GET /v1/actions with --api-key (PLANBRIDGE_API_KEY). " +
		"GET /v1/actions and /openapi.json also give each action's input and output schemas.\n\n" + exitCodesHelp
}

// Run prints the list as an aligned table, or as JSON with --json.
func (c *actionsCmd) Run(env *Env) error {
	var list []actionInfo
	if c.Server != "" {
		r, code, err := newRemote(c.remoteFlags)
		if err != nil {
			fmt.Fprintf(env.Stderr, "planbridge: %v\n", err)
			return exitError{code: code}
		}
		body, err := r.do(env.Ctx, http.MethodGet, "/v1/actions", nil)
		if err != nil {
			return reportRemote(env, err)
		}
		var out struct {
			Actions []actionInfo `json:"actions"`
		}
		if err := json.Unmarshal(body, &out); err != nil {
			fmt.Fprintf(env.Stderr, "planbridge: %s answered GET /v1/actions with something other than the action list (%v): check that --server (PLANBRIDGE_SERVER) is a planbridge server\n", r.shown, err)
			return exitError{code: exitUpstream}
		}
		list = out.Actions
	} else {
		reg, err := actions.PlanhatRegistry()
		if err != nil {
			return fmt.Errorf("building the action registry: %w", err)
		}
		for _, a := range reg.All() {
			list = append(list, actionInfo{Name: a.Name, Title: a.Title, Group: a.Group, Description: a.Description, ReadOnly: a.ReadOnly, Destructive: a.Destructive})
		}
	}
	if list == nil {
		list = []actionInfo{} // [] rather than null for scripts
	}
	if c.JSON {
		b, err := json.MarshalIndent(list, "", "  ")
		if err != nil {
			return fmt.Errorf("encoding the action list: %w", err)
		}
		_, err = fmt.Fprintf(env.Stdout, "%s\n", b)
		return err
	}
	return writeActionTable(env.Stdout, list)
}

// writeActionTable aligns name, title and group in columns.
func writeActionTable(w io.Writer, list []actionInfo) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTITLE\tGROUP")
	for _, a := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", a.Name, a.Title, a.Group)
	}
	return tw.Flush()
}
