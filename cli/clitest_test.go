package cli_test

import (
	"context"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/planbridge/planbridge/cli"
	"github.com/planbridge/planbridge/internal/roundtrip"
	"github.com/planbridge/planbridge/internal/syncbuffer"
)

// commandWait bounds every wait on a command started in-process; a healthy
// command starts and stops in milliseconds, so hitting it means a hang.
const commandWait = 30 * time.Second

// lookupIn is the getenv a command sees: only the given variables, never the
// test process's own environment.
func lookupIn(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// runningCommand is one cli.Run call serving in a goroutine.
type runningCommand struct {
	// BaseURL is the first http://127.0.0.1:PORT address the command printed.
	BaseURL string
	Stdout  *syncbuffer.Buffer
	Stderr  *syncbuffer.Buffer

	cancel  context.CancelFunc
	done    chan struct{}
	code    int
	stopped bool
}

// listeningAddress finds the address a command announces on stdout.
var listeningAddress = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+`)

// startCommand runs `planbridge args...` until it prints its listening
// address; the command is cancelled and awaited at cleanup if the test did
// not stop it. Pass --addr 127.0.0.1:0 so parallel tests never share a port.
func startCommand(t *testing.T, env map[string]string, args ...string) *runningCommand {
	t.Helper()
	return startCommandUntil(t, env, func(out string) bool { return listeningAddress.MatchString(out) }, args...)
}

// startCommandUntil runs `planbridge args...` until ready holds for its
// stdout, then sets BaseURL to the first http://127.0.0.1:PORT it printed.
func startCommandUntil(t *testing.T, env map[string]string, ready func(stdout string) bool, args ...string) *runningCommand {
	t.Helper()
	env = withTestDB(t, env)
	ctx, cancel := context.WithCancel(context.Background())
	c := &runningCommand{Stdout: &syncbuffer.Buffer{}, Stderr: &syncbuffer.Buffer{}, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		c.code = cli.Run(ctx, args, strings.NewReader(""), c.Stdout, c.Stderr, lookupIn(env))
	}()
	t.Cleanup(func() {
		if !c.stopped {
			c.stop(t)
		}
	})
	waitCtx, stopWaiting := context.WithTimeout(t.Context(), commandWait)
	defer stopWaiting()
	go func() {
		select {
		case <-c.done:
			stopWaiting()
		case <-waitCtx.Done():
		}
	}()
	out, err := c.Stdout.Wait(waitCtx, ready)
	if err == nil {
		c.BaseURL = listeningAddress.FindString(out)
		return c
	}
	select {
	case <-c.done:
		c.stopped = true
		t.Fatalf("planbridge %s exited with %d before it was ready\nstdout:\n%s\nstderr:\n%s",
			strings.Join(args, " "), c.code, c.Stdout, c.Stderr)
	default:
		t.Fatalf("planbridge %s was not ready within %s\nstdout:\n%s\nstderr:\n%s",
			strings.Join(args, " "), commandWait, c.Stdout, c.Stderr)
	}
	return nil
}

// stopOK stops the command and fails the test unless it exited 0, as a
// command stopped by a signal must.
func (c *runningCommand) stopOK(t *testing.T) {
	t.Helper()
	if code := c.stop(t); code != 0 {
		t.Errorf("exit code after cancel = %d, want 0\nstderr:\n%s", code, c.Stderr)
	}
}

// stop cancels the command's context as a signal would and returns its exit
// code.
func (c *runningCommand) stop(t *testing.T) int {
	t.Helper()
	c.stopped = true
	c.cancel()
	select {
	case <-c.done:
		return c.code
	case <-time.After(commandWait):
		t.Fatalf("command did not return within %s of cancellation\nstderr:\n%s", commandWait, c.Stderr)
		return -1
	}
}

// withTestDB gives a command outside sandbox mode a store of the test's
// own: without PLANBRIDGE_DB it would open planbridge.db in the package
// directory, shared by every test running at once.
func withTestDB(t *testing.T, env map[string]string) map[string]string {
	t.Helper()
	if env["PLANBRIDGE_DB"] != "" || (env["PLANHAT_TOKEN"] == "" && env["PLANFIX_URL"] == "") {
		return env
	}
	out := maps.Clone(env)
	out["PLANBRIDGE_DB"] = filepath.Join(t.TempDir(), "planbridge.db")
	return out
}

// runUntilExit runs a command that is expected to return on its own (a flag
// error, a one-shot command) and returns its exit code and output. A command
// that starts serving instead is cancelled and reported.
func runUntilExit(t *testing.T, env map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	env = withTestDB(t, env)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncbuffer.Buffer
	done := make(chan int, 1)
	go func() { done <- cli.Run(ctx, args, strings.NewReader(stdin), &out, &errOut, lookupIn(env)) }()
	select {
	case code = <-done:
		return code, out.String(), errOut.String()
	case <-time.After(commandWait):
		cancel()
		code = <-done
		t.Fatalf("planbridge %s kept running (it exited %d only when cancelled)\nstdout:\n%s\nstderr:\n%s",
			strings.Join(args, " "), code, &out, &errOut)
		return code, out.String(), errOut.String()
	}
}

// recordedRequest is one request an httptest peer received.
type recordedRequest struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// requestRecorder is a peer of an emulator (a chat URL, an integration URL)
// that records what it receives and answers with a fixed response.
type requestRecorder struct {
	URL string

	mu       sync.Mutex
	requests []recordedRequest
}

// startRecorder starts a peer that answers every request with status and
// body as contentType.
func startRecorder(t *testing.T, status int, contentType, body string) *requestRecorder {
	t.Helper()
	rec := &requestRecorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		rec.mu.Lock()
		rec.requests = append(rec.requests, recordedRequest{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: b})
		rec.mu.Unlock()
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	rec.URL = srv.URL
	return rec
}

// Requests returns a copy of what the peer received so far.
func (r *requestRecorder) Requests() []recordedRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recordedRequest(nil), r.requests...)
}

// answer is one HTTP answer, headers included: the rate-limit state of
// the Planhat emulator is only visible in them.
type answer = roundtrip.Answer

// send makes one HTTP request and returns the status and body.
func send(t *testing.T, method, url, contentType, body string, header http.Header) (int, []byte) {
	t.Helper()
	a := roundtrip.Do(t, method, url, contentType, body, header)
	return a.Status, []byte(a.Body)
}

// sendForHeaders makes one HTTP request and returns the whole answer.
func sendForHeaders(t *testing.T, method, url, contentType, body string, header http.Header) answer {
	t.Helper()
	return roundtrip.Do(t, method, url, contentType, body, header)
}

// assertNoSecrets fails when any secret appears in any of the outputs:
// tokens must never reach logs, errors or banners.
func assertNoSecrets(t *testing.T, secrets []string, outputs ...string) {
	t.Helper()
	for _, s := range secrets {
		for _, out := range outputs {
			if strings.Contains(out, s) {
				t.Errorf("output contains the secret %q:\n%s", s, out)
			}
		}
	}
}

// occupiedAddress returns a 127.0.0.1 address something already listens
// on, held until the test ends, for "address in use" cases.
func occupiedAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// flagErrorCase is one invocation that must fail before serving.
type flagErrorCase struct {
	name     string
	args     []string
	env      map[string]string
	wantCode int
	// wantStderr are substrings the message must contain: what went wrong
	// and what to do.
	wantStderr []string
}

// checkFlagErrors runs each case and checks its exit code, its message, and
// that no secret leaks into stdout or stderr.
func checkFlagErrors(t *testing.T, secrets []string, tests []flagErrorCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runUntilExit(t, tc.env, "", tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit code = %d, want %d\nstderr:\n%s", code, tc.wantCode, stderr)
			}
			for _, want := range tc.wantStderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			assertNoSecrets(t, secrets, stdout, stderr)
		})
	}
}
