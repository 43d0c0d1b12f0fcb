package cli

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/integrations"
	"github.com/planbridge/planbridge/internal/server"
)

// maxCallInput bounds --input, whatever its source.
const maxCallInput = 64 << 20

// CLIWording tells people at the shell where settings live: in the
// environment of the command.
var CLIWording = actions.Wording{
	Token:       "set it in PLANHAT_TOKEN",
	Tenant:      "into PLANHAT_TENANT",
	Region:      "PLANHAT_REGION or PLANHAT_API_URL",
	ListActions: "run 'planbridge actions' to list them",
	Where:       "planbridge",
	Operator:    "planbridge's maintainers",
}

// callCmd runs one action from the shell.
type callCmd struct {
	planhatFlags `embed:""`
	remoteFlags  `embed:""`
	durableFlags `embed:""`

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
		// The pipeline answers an unknown name with the closest one.
		_, failure := reg.Invoke(env.Ctx, actions.Invocation{Door: "cli", Action: c.Action, Wording: &CLIWording})
		fmt.Fprintf(env.Stderr, "planbridge: %s\n", failure.Message)
		return exitError{code: failure.Code.Spec().Exit}
	}
	input, err := readCallInput(c.Input, env.Stdin)
	if err != nil {
		fmt.Fprintf(env.Stderr, "planbridge: %v\n", err)
		return exitError{code: 1}
	}
	flags := c.planhatFlags
	a, _ := reg.Get(c.Action)
	client, sandboxed, stopSandbox, err := flags.commandClient(env, c.ConversationType, "this runs against the built-in Planhat emulator (seeded demo data, discarded on exit)")
	defer stopSandbox()
	if err != nil {
		return reportCommandClient(env, err)
	}
	deps := actions.Deps{Planhat: client}
	var dur *server.Durable
	if a.Needs&actions.NeedRelay != 0 {
		var closeStore func()
		if dur, closeStore, err = c.openDurable(env, sandboxed, &flags); err != nil {
			return err
		}
		defer closeStore()
		deps.Relay = dur.Relay
	}
	out, failure := reg.Invoke(env.Ctx, actions.Invocation{Door: "cli", Action: c.Action, Input: input, Deps: deps, Wording: &CLIWording})
	if failure == nil && dur != nil {
		deliverNow(dur, env, c.DB)
	}
	if failure != nil {
		if failure.Err != nil {
			env.Logger.Debug("action failed", "action", c.Action, "code", failure.Code, "error", failure.Err.Error())
		}
		printFailure(env.Stderr, failure.Message, failure.Code, failure.Retryable, failure.RetryAfter)
		return exitError{code: failure.Code.Spec().Exit}
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

// openDurable opens the store for an action that queues its work; in
// sandbox mode the store is a temporary file, like the emulator it feeds.
func (c *durableFlags) openDurable(env *Env, sandboxed bool, flags *planhatFlags) (*server.Durable, func(), error) {
	path := cmp.Or(c.DB, defaultDB)
	tmp := ""
	if sandboxed && c.DB == "" {
		dir, err := os.MkdirTemp("", "planbridge-call-")
		if err != nil {
			return nil, nil, fmt.Errorf("sandbox: creating a temporary directory for the store: %w", err)
		}
		tmp, path = dir, filepath.Join(dir, "planbridge.db")
	}
	cleanup := func() {
		if tmp != "" {
			_ = os.RemoveAll(tmp)
		}
	}
	st, err := openStoreSync(env.Ctx, path, c.DBSynchronous, env.Logger)
	if err != nil {
		cleanup()
		return nil, nil, reportDB(env, err)
	}
	policy := integrations.HostPolicy{Suffixes: []string{".planhat.com"}, TrustedOrigins: trustedOrigins(flags.PlanhatAPIURL, flags.PlanhatAnalyticsURL)}
	dur, err := c.newDurable(st, durableDeps{Policy: policy, Logger: env.Logger})
	if err != nil {
		st.Close()
		cleanup()
		return nil, nil, err
	}
	return dur, func() { st.Close(); cleanup() }, nil
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

// printFailure writes a failed call to stderr: the message, then the
// stable code and, for calls worth repeating, when to retry, the same
// facts the REST door answers with.
func printFailure(w io.Writer, message string, code actions.Code, retryable bool, retryAfter time.Duration) {
	detail := string(code)
	switch {
	case retryAfter > 0:
		detail += fmt.Sprintf("; retryable after %ds", int((retryAfter+time.Second-1)/time.Second))
	case retryable:
		detail += "; retryable"
	}
	fmt.Fprintf(w, "planbridge: %s (%s)\n", message, detail)
}
