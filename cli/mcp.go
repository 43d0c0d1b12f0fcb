package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/mcpserver"
)

// mcpFlags select the tools of an MCP server: planbridge mcp's flags, and
// serve's with an "mcp-" prefix; the environment variables are the same.
type mcpFlags struct {
	ReadOnly  bool     `name:"read-only" env:"PLANBRIDGE_MCP_READ_ONLY" help:"Expose only actions that change nothing; overrides --toolsets and --tools."`
	NoDelete  bool     `name:"no-delete" env:"PLANBRIDGE_MCP_NO_DELETE" help:"Leave out the actions that delete data."`
	Toolsets  []string `name:"toolsets" env:"PLANBRIDGE_MCP_TOOLSETS" sep:"," help:"Comma-separated action groups to expose (case-insensitive: companies, end users, conversations, ...); default all."`
	Tools     []string `name:"tools" env:"PLANBRIDGE_MCP_TOOLS" sep:"," help:"Comma-separated action names to expose (with --toolsets, an action in either is exposed); default all."`
	Discovery bool     `name:"discovery" env:"PLANBRIDGE_MCP_DISCOVERY" help:"Expose three tools (listActions, describeAction, callAction) instead of one per action, to keep an agent's context small."`
}

// filter is the selection the flags describe.
func (f *mcpFlags) filter() mcpserver.Filter {
	trim := func(in []string) []string {
		var out []string
		for _, s := range in {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return mcpserver.Filter{ReadOnly: f.ReadOnly, NoDelete: f.NoDelete, Toolsets: trim(f.Toolsets), Tools: trim(f.Tools)}
}

// mcpCmd serves the actions to an MCP client over standard input and output.
type mcpCmd struct {
	planhatFlags `embed:""`
	durableFlags `embed:""`
	mcpFlags     `embed:""`
}

// Run serves MCP on stdin/stdout until the client closes stdin or the
// context ends. Standard output carries only the protocol, so every
// message for people goes to standard error.
func (c *mcpCmd) Run(env *Env) error {
	warnIgnoredPlanhat(env.Stderr, &c.planhatFlags, env.Getenv)
	reg, err := actions.PlanhatRegistry()
	if err != nil {
		return fmt.Errorf("building the action registry: %w", err)
	}
	filter := c.filter()
	if err := filter.Check(reg); err != nil {
		return err
	}
	flags := c.planhatFlags
	client, sandboxed, stopSandbox, err := flags.commandClient(env, c.ConversationType, "the tools run against the built-in Planhat emulator (seeded demo data, discarded on exit)")
	defer stopSandbox()
	if err != nil {
		return err
	}
	deps := actions.Deps{Planhat: client}
	if needs := relayTools(filter, reg); len(needs) > 0 {
		// Only the actions that queue work for the outbox need the store,
		// so a store that cannot be opened costs those, not the server.
		dur, closeStore, err := c.openDurable(env, sandboxed, &flags)
		if err != nil {
			fmt.Fprintf(env.Stderr, "planbridge: %s will answer not_configured: %v\n", strings.Join(needs, ", "), err)
		} else {
			defer closeStore()
			deps.Relay = dur.Relay
			ctx, stop := context.WithCancel(env.Ctx)
			delivering := dur.Run(ctx)
			defer func() {
				stop()
				<-delivering
			}()
		}
	}
	s, err := mcpserver.New(mcpserver.Options{
		Registry: reg, Deps: deps, Filter: filter, Discovery: c.Discovery,
		Wording: &mcpserver.StdioWording, Version: Version, Logger: env.Logger,
	})
	if err != nil {
		return err
	}
	err = s.Run(env.Ctx, &mcp.IOTransport{Reader: io.NopCloser(env.Stdin), Writer: nopWriteCloser{env.Stdout}})
	if err == nil || errors.Is(err, io.EOF) || env.Ctx.Err() != nil {
		// The client closing stdin, or Ctrl-C, is the normal end.
		return nil
	}
	return fmt.Errorf("mcp: %w", err)
}

// relayTools names the selected actions that need the durable outbox.
func relayTools(filter mcpserver.Filter, reg *actions.Registry) []string {
	var names []string
	for _, a := range filter.Selected(reg) {
		if a.Needs&actions.NeedRelay != 0 {
			names = append(names, a.Name)
		}
	}
	return names
}

// nopWriteCloser keeps the command's stdout open when the transport closes:
// Run's caller owns it.
type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
