// Package cli holds planbridge's commands. Run is the whole program minus
// signal handling, so tests drive every command in-process with their own
// arguments, standard streams and environment.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strings"

	"github.com/alecthomas/kong"
)

// Env is what every command receives: the context, the standard streams and
// the environment lookup, so nothing reads os.* directly.
type Env struct {
	Ctx    context.Context
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	Logger *slog.Logger
}

// root is the command tree; each command lives in a file of its own.
type root struct {
	LogLevel  string `name:"log-level" env:"PLANBRIDGE_LOG_LEVEL" default:"info" enum:"debug,info,warn,error" help:"Log level (debug, info, warn, error)."`
	LogFormat string `name:"log-format" env:"PLANBRIDGE_LOG_FORMAT" default:"text" enum:"text,json" help:"Log format (text or json)."`

	Version  versionCmd  `cmd:"" help:"Print the version of planbridge."`
	Serve    serveCmd    `cmd:"" help:"Run the server: Botpress integrations, REST door, OpenAPI, health and metrics (sandbox mode when nothing is configured)."`
	Call     callCmd     `cmd:"" help:"Run one action from the shell and print its output JSON."`
	Actions  actionsCmd  `cmd:"" help:"List the actions (name, title, group); --json for scripts, --server for a running server's."`
	MCP      mcpCmd      `cmd:"" name:"mcp" help:"Serve the actions as MCP tools over stdio, for an LLM agent's MCP client (sandbox mode without PLANHAT_TOKEN)."`
	Botpress botpressCmd `cmd:"" help:"Botpress tooling (integration definitions)."`
	Emulate  emulateCmd  `cmd:"" help:"Run an emulator of an outside system (planhat, planfix, botpress) for demos and tests."`
	Import   importCmd   `cmd:"" help:"Bulk-upsert a CSV or JSONL file into a Planhat model (validated first; --dry-run sends nothing)."`
	Export   exportCmd   `cmd:"" help:"Write every record of a Planhat model as CSV or JSONL, ready to edit and import back."`
	Outbox   outboxCmd   `cmd:"" help:"Inspect and repair the outbox of --db (PLANBRIDGE_DB): stats, list, retry, discard."`
	Migrate  migrateCmd  `cmd:"" help:"Bring the database schema of --db (PLANBRIDGE_DB) up to date and print what was applied."`
}

// emulateCmd groups the emulators.
type emulateCmd struct {
	Planhat  emulatePlanhatCmd  `cmd:"" help:"Run the Planhat API emulator (main and analytics hosts on one listener)."`
	Planfix  emulatePlanfixCmd  `cmd:"" help:"Run the Planfix chat API emulator (POST /webchat/api; agents reply to --chat-url)."`
	Botpress emulateBotpressCmd `cmd:"" help:"Run the Botpress Cloud emulator (Runtime API, webhook host, /_emulator control API; sends operations to --integration-url)."`
}

// exitError carries a specific exit status out of a command.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// Run parses args, runs the chosen command and returns the process exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	var cli root
	exited := false
	code := 0
	parser, err := kong.New(&cli,
		kong.Name("planbridge"),
		kong.Description("Connect chatbots to Planhat (customer-success data) and Planfix (human agents)."),
		kong.Writers(stdout, stderr),
		kong.Exit(func(c int) { exited, code = true, c }),
		kong.UsageOnError(),
		kong.Resolvers(envResolver(getenv)),
	)
	if err != nil {
		fmt.Fprintf(stderr, "planbridge: %v\n", err)
		return 2
	}
	kctx, err := parser.Parse(args)
	if exited {
		return code
	}
	if eve, ok := errors.AsType[*envValueError](err); ok {
		// Without kong's "--flag: " prefix: the message names both.
		fmt.Fprintf(stderr, "planbridge: %v\n", eve)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "planbridge: %v\n", err)
		return 2
	}
	env := &Env{Ctx: ctx, Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: getenv}
	env.Logger = newLogger(stderr, cli.LogLevel, cli.LogFormat)
	if err := kctx.Run(env); err != nil {
		if ee, ok := errors.AsType[exitError](err); ok {
			return ee.code
		}
		fmt.Fprintf(stderr, "planbridge: %v\n", err)
		return 1
	}
	return 0
}

// envResolver fills flags from their env tags through getenv, so tests can
// inject an environment without touching the process's own. A value that
// does not parse is reported as an *envValueError naming the variable, since
// that, not the flag, is what the user set.
func envResolver(getenv func(string) string) kong.Resolver {
	return kong.ResolverFunc(func(_ *kong.Context, _ *kong.Path, flag *kong.Flag) (any, error) {
		if getenv == nil {
			return nil, nil
		}
		for _, name := range flag.Envs {
			if v := getenv(name); v != "" {
				if err := checkFlagValue(flag, v); err != nil {
					return nil, &envValueError{Env: name, Flag: "--" + flag.Name, Err: err}
				}
				return v, nil
			}
		}
		return nil, nil
	})
}

// checkFlagValue decodes v as flag would, into a scratch value, and checks
// it against the flag's enum: kong would report either problem under the
// flag's name only.
func checkFlagValue(flag *kong.Flag, v string) error {
	target := reflect.New(flag.Target.Type()).Elem()
	if target.Kind() == reflect.Pointer {
		target.Set(reflect.New(target.Type().Elem()))
	}
	scan := kong.ScanFromTokens(kong.Token{Type: kong.FlagValueToken, Value: v})
	if err := flag.Mapper.Decode(&kong.DecodeContext{Value: flag.Value, Scan: scan}, target); err != nil {
		return err
	}
	if flag.Enum != "" && target.Kind() != reflect.Slice && target.Kind() != reflect.Map {
		enums := flag.EnumSlice()
		if !slices.Contains(enums, v) {
			return fmt.Errorf("must be one of %s, not %q", strings.Join(enums, ", "), v)
		}
	}
	return nil
}

// envValueError is a flag's environment variable holding a value the flag
// cannot take.
type envValueError struct {
	Env  string // the variable, e.g. PLANBRIDGE_BOTPRESS_TIMEOUT
	Flag string // the flag it feeds, e.g. --botpress-timeout
	Err  error
}

// Error names the variable first; the value itself is left to Err, which
// only quotes it for typed values (durations, numbers, enums), never for
// free-form strings such as tokens.
func (e *envValueError) Error() string {
	return fmt.Sprintf("environment variable %s (for %s): %v; fix it or unset it", e.Env, e.Flag, e.Err)
}

func (e *envValueError) Unwrap() error { return e.Err }

func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(strings.ToUpper(level)))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
