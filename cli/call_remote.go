package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/planbridge/planbridge/actions"
	"github.com/planbridge/planbridge/httpapi"
)

// Exit statuses of call (and of actions --server), one per class of
// failure, so scripts can tell "fix the input" from "retry later" from
// "fix the configuration" without parsing messages. They come from the one
// table of error codes (actions.Codes).
const (
	exitInput    = actions.ExitInput    // the input or the request was refused: fix it and call again
	exitUsage    = actions.ExitUsage    // the command line (flags, arguments, environment values) is wrong
	exitUpstream = actions.ExitTryLater // the server or Planhat failed, timed out or rate-limited: retry later
	exitAuth     = actions.ExitConfig   // a key, token or setting was refused or is missing
)

// exitCodeFor maps a stable error code (a REST answer's or the pipeline's)
// to call's exit status through the code table; status, the HTTP status
// when there is one, places codes this version does not know.
func exitCodeFor(code actions.Code, retryable bool, status int) int {
	if code.Known() {
		return code.Spec().Exit
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return exitAuth
	case retryable || status == http.StatusTooManyRequests || status >= 500:
		return exitUpstream
	}
	return exitInput
}

// exitCodesHelp is the exit-status table shown by call --help and kept in
// step with the README.
const exitCodesHelp = `Exit status: 0 success; 1 the input or request was refused (invalid_input, not_found, unknown_action, ...): fix it; 2 usage (flags, arguments, environment values); 3 Planhat or the server failed, timed out or rate-limited: retry later; 4 a key, token or setting was refused or is missing (unauthenticated, unauthorized, forbidden, not_configured, invalid_config); 5 a fault on planbridge's side (internal): report it.`

// remoteFlags point call and actions at a running planbridge server
// instead of a throwaway in-process one.
type remoteFlags struct {
	Server string `name:"server" env:"PLANBRIDGE_SERVER" placeholder:"URL" help:"Base URL of a running 'planbridge serve' (e.g. http://127.0.0.1:8080): call its REST door instead of an in-process sandbox, so records persist between calls."`
	APIKey string `name:"api-key" env:"PLANBRIDGE_API_KEY" placeholder:"KEY" help:"API key for --server (one of its PLANBRIDGE_API_KEYS; sandbox serve prints one). Prefer the environment variable: arguments show in ps."`
}

// Help is the detail of call --help: where the action runs, and the exit
// statuses.
func (c *callCmd) Help() string {
	return "Without --server the action runs in this process: against PLANHAT_TOKEN's Planhat, or a throwaway sandbox emulator when none is set. " +
		"With --server (PLANBRIDGE_SERVER) it is posted to that server's POST /v1/actions/ACTION with --api-key (PLANBRIDGE_API_KEY). " +
		"Run 'planbridge actions' to list the actions.\n\n" + exitCodesHelp
}

// maxRemoteOutput bounds what call reads from a server: a listing of 5,000
// large records fits many times over.
const maxRemoteOutput = 512 << 20

// remoteError is a refusal from a planbridge server, in its REST error
// shape or as close to it as the answer allowed.
type remoteError struct {
	Status    int
	Code      actions.Code
	Message   string
	RequestID string
	Retryable bool
}

func (e *remoteError) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	var notes []string
	if e.Code != "" {
		notes = append(notes, string(e.Code))
	}
	if e.RequestID != "" {
		notes = append(notes, "request "+e.RequestID)
	}
	if e.Retryable {
		notes = append(notes, "retryable")
	}
	if len(notes) > 0 {
		b.WriteString(" (" + strings.Join(notes, ", ") + ")")
	}
	return b.String()
}

// exitCode is the exit status for this refusal.
func (e *remoteError) exitCode() int { return exitCodeFor(e.Code, e.Retryable, e.Status) }

// remote is a planbridge server reached over its REST door.
type remote struct {
	base   string // no trailing slash
	shown  string // base without credentials, for messages
	apiKey string
	hc     *http.Client
}

// newRemote checks --server and --api-key; its errors are usage or auth
// errors, which the caller reports with the matching exit status.
func newRemote(f remoteFlags) (*remote, int, error) {
	u, err := url.Parse(strings.TrimSpace(f.Server))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, exitUsage, errors.New("--server (PLANBRIDGE_SERVER) must be the base URL of a planbridge server, such as http://127.0.0.1:8080 (what serve prints)")
	}
	if strings.TrimSpace(f.APIKey) == "" {
		return nil, exitAuth, fmt.Errorf("--server %s needs an API key: set PLANBRIDGE_API_KEY (or --api-key) to one of the server's PLANBRIDGE_API_KEYS; in sandbox mode serve prints one", u.Redacted())
	}
	base := strings.TrimRight(u.String(), "/")
	return &remote{base: base, shown: strings.TrimRight(u.Redacted(), "/"), apiKey: strings.TrimSpace(f.APIKey), hc: &http.Client{}}, 0, nil
}

// do sends one request to the REST door and returns the answer's body on
// 2xx; any other answer is a *remoteError, and a failure to reach the
// server an error saying so.
func (r *remote) do(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("building the request to %s: %w", r.shown, err)
	}
	req.Header.Set("Authorization", "Bearer "+r.apiKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "planbridge/"+Version)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, &remoteError{Code: actions.CodeCanceled, Message: "The call was interrupted before the server answered; it may or may not have run."}
		}
		// The *url.Error names the URL, which could carry credentials;
		// only its cause is shown.
		cause := err
		if ue, ok := errors.AsType[*url.Error](err); ok {
			cause = ue.Err
		}
		return nil, &remoteError{Code: actions.CodeUpstreamError, Retryable: true,
			Message: fmt.Sprintf("Cannot reach the planbridge server at %s: %v. Is 'planbridge serve' running there? Check --server (PLANBRIDGE_SERVER)", r.shown, cause)}
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, maxRemoteOutput+1))
	if err != nil {
		return nil, &remoteError{Status: resp.StatusCode, Code: actions.CodeUpstreamError, Retryable: true,
			Message: fmt.Sprintf("The answer from %s broke off: %v; retry the call (a write may already have run)", r.shown, err)}
	}
	if len(out) > maxRemoteOutput {
		return nil, &remoteError{Status: resp.StatusCode, Code: actions.CodeUpstreamError,
			Message: fmt.Sprintf("The answer from %s is larger than %d MiB; ask for less (limit, select)", r.shown, maxRemoteOutput>>20)}
	}
	if resp.StatusCode/100 == 2 {
		return out, nil
	}
	var eb httpapi.ErrorBody
	if json.Unmarshal(out, &eb) != nil || eb.Error.Code == "" {
		// A proxy's error page, or not a planbridge server at all.
		return nil, &remoteError{Status: resp.StatusCode, Retryable: resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests,
			Message: fmt.Sprintf("%s answered HTTP %d without planbridge's error shape: check that --server (PLANBRIDGE_SERVER) is a planbridge server's base URL", r.shown, resp.StatusCode)}
	}
	e := &remoteError{Status: resp.StatusCode, Code: eb.Error.Code, Message: strings.TrimSpace(eb.Error.Message), RequestID: eb.Error.RequestID, Retryable: eb.Error.Retryable}
	switch e.Code {
	case actions.CodeUnauthenticated:
		e.Message += " Check --api-key (PLANBRIDGE_API_KEY): it must be one of the server's PLANBRIDGE_API_KEYS."
	case actions.CodeRouteNotFound:
		e.Message += " Check --server (PLANBRIDGE_SERVER): give the server's base URL, without /v1."
	case actions.CodeUnknownAction:
		e.Message += " Run 'planbridge actions --server " + r.shown + "' to list this server's actions."
	}
	return nil, e
}

// runRemote posts the action to --server and prints its output, or the
// server's error on stderr with the exit status of its class.
func (c *callCmd) runRemote(env *Env) error {
	r, code, err := newRemote(c.remoteFlags)
	if err != nil {
		fmt.Fprintf(env.Stderr, "planbridge: %v\n", err)
		return exitError{code: code}
	}
	input, err := readCallInput(c.Input, env.Stdin)
	if err != nil {
		fmt.Fprintf(env.Stderr, "planbridge: %v\n", err)
		return exitError{code: exitInput}
	}
	out, err := r.do(env.Ctx, http.MethodPost, "/v1/actions/"+url.PathEscape(c.Action), input)
	if err != nil {
		return reportRemote(env, err)
	}
	return printJSON(env.Stdout, out, c.Pretty)
}

// reportRemote prints a failed remote request on stderr and returns the
// exit status of its class.
func reportRemote(env *Env, err error) error {
	if re, ok := errors.AsType[*remoteError](err); ok {
		env.Logger.Debug("remote call failed", "status", re.Status, "code", re.Code, "request_id", re.RequestID)
		fmt.Fprintf(env.Stderr, "planbridge: %v\n", re)
		return exitError{code: re.exitCode()}
	}
	fmt.Fprintf(env.Stderr, "planbridge: %v\n", err)
	return exitError{code: exitUpstream}
}

// printJSON writes a JSON answer, indented when pretty, with one final
// newline.
func printJSON(w io.Writer, out []byte, pretty bool) error {
	out = bytes.TrimSpace(out)
	if pretty {
		var b bytes.Buffer
		if json.Indent(&b, out, "", "  ") == nil {
			out = b.Bytes()
		}
	}
	_, err := fmt.Fprintf(w, "%s\n", out)
	return err
}
