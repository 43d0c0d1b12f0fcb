package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/planbridge/planbridge/actions"
)

// maxCallInput bounds --input, whatever its source.
const maxCallInput = 64 << 20

// callCmd runs one action from the shell.
type callCmd struct {
	planhatFlags `embed:""`
	remoteFlags  `embed:""`

	Action string `arg:"" name:"action" help:"Action name, e.g. getCompany; run 'planbridge actions' to list them."`
	Input  string `name:"input" short:"i" default:"{}" help:"Action input: JSON, @file to read a file, or - to read standard input."`
	Pretty bool   `name:"pretty" negatable:"" default:"true" help:"Indent the output JSON."`
}

// Run prints the action's output JSON, or the classified error on stderr
// with the exit status of its class (exitCodeFor).
func (c *callCmd) Run(env *Env) error {
	if c.Server != "" {
		return c.runRemote(env)
	}
	warnIgnoredPlanhat(env.Stderr, &c.planhatFlags, env.Getenv)
	reg, err := actions.PlanhatRegistry()
	if err != nil {
		return fmt.Errorf("building the action registry: %w", err)
	}
	if _, ok := reg.Get(c.Action); !ok {
		_, err := reg.Call(env.Ctx, c.Action, nil)
		fmt.Fprintf(env.Stderr, "planbridge: %s %s\n", actions.Classify(err).Message, listActionsHint)
		return exitError{code: exitInput}
	}
	input, err := readCallInput(c.Input, env.Stdin)
	if err != nil {
		fmt.Fprintf(env.Stderr, "planbridge: %v\n", err)
		return exitError{code: 1}
	}
	flags := c.planhatFlags
	if flags.sandboxWanted(env.Getenv) {
		sb, err := startSandbox(&flags, env.Logger)
		if err != nil {
			return err
		}
		defer sb.close()
		fmt.Fprintf(env.Stderr, "planbridge: sandbox mode: no PLANHAT_TOKEN set, so this runs against the built-in Planhat emulator (seeded demo data, discarded on exit).\n")
	}
	client, err := flags.planhatClient(nil, env.Logger)
	if err != nil {
		fmt.Fprintf(env.Stderr, "planbridge: configuring Planhat (PLANHAT_TOKEN, PLANHAT_REGION, PLANHAT_API_URL): %v\n", err)
		return exitError{code: 1}
	}
	out, err := reg.Call(actions.WithPlanhat(env.Ctx, client), c.Action, input)
	if err != nil {
		info := actions.Classify(err)
		env.Logger.Debug("action failed", "action", c.Action, "code", info.Code, "error", err.Error())
		fmt.Fprintf(env.Stderr, "planbridge: %s (%s)\n", info.Message, info.Code)
		return exitError{code: exitCodeFor(info.Code, info.Retryable, info.HTTPStatus)}
	}
	if c.Pretty {
		var b bytes.Buffer
		if json.Indent(&b, out, "", "  ") == nil {
			out = b.Bytes()
		}
	}
	_, err = fmt.Fprintf(env.Stdout, "%s\n", out)
	return err
}

// readCallInput resolves --input: literal JSON, @file, or - for stdin.
func readCallInput(spec string, stdin io.Reader) (json.RawMessage, error) {
	var raw []byte
	switch {
	case spec == "-":
		if stdin == nil {
			return nil, errors.New("--input - reads standard input, but there is none")
		}
		b, err := io.ReadAll(io.LimitReader(stdin, maxCallInput+1))
		if err != nil {
			return nil, fmt.Errorf("reading the input from standard input: %w", err)
		}
		raw = b
	case strings.HasPrefix(spec, "@"):
		path := strings.TrimPrefix(spec, "@")
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("reading the input file: %w", err)
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxCallInput+1))
		if err != nil {
			return nil, fmt.Errorf("reading the input file %s: %w", path, err)
		}
		raw = b
	default:
		raw = []byte(spec)
	}
	if len(raw) > maxCallInput {
		return nil, fmt.Errorf("the input is larger than %d MiB; split it into several calls", maxCallInput>>20)
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return json.RawMessage("{}"), nil
	}
	if !json.Valid(raw) || raw[0] != '{' {
		return nil, errors.New(`--input must be one JSON object, e.g. --input '{"id": "extid-acme"}' (or @file.json, or - for standard input)`)
	}
	return json.RawMessage(raw), nil
}
