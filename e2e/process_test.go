//go:build linux

package e2e_test

// Helpers that run the real planbridge binary as a child process, so tests
// can kill it with SIGKILL the way an operator's machine or the kernel's
// OOM killer does, and helpers to drive it over its REST door.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The binary is built once per run of the test binary and removed by TestMain.
var (
	buildOnce sync.Once
	buildDir  string
	buildPath string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// moduleRoot is the directory of planbridge's go.mod, found upwards from
// the test's working directory (the package directory under go test).
func moduleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/planbridge/planbridge\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("cannot find planbridge's go.mod above the working directory: run the test with go test from inside the repository")
		}
		dir = parent
	}
}

// planbridgeBinary builds ./cmd/planbridge (once) and returns its path.
func planbridgeBinary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		root := moduleRoot(tb)
		buildDir, buildErr = os.MkdirTemp("", "planbridge-e2e-bin-")
		if buildErr != nil {
			return
		}
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		out := filepath.Join(buildDir, "planbridge")
		cmd := exec.Command(goTool, "build", "-o", out, "./cmd/planbridge")
		cmd.Dir = root
		start := time.Now()
		if msg, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/planbridge in %s: %v\n%s", root, err, msg)
			return
		}
		tb.Logf("built planbridge in %s", time.Since(start).Round(time.Millisecond))
		buildPath = out
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return buildPath
}

// serveProc is one `planbridge serve` child process in a process group of
// its own.
type serveProc struct {
	name    string
	cmd     *exec.Cmd
	url     string // base URL, from the "listening on" line
	logPath string // stdout and stderr after the address line
	exited  chan struct{}
	waitErr error
	started time.Time // when the process was started
	ready   time.Duration
}

// childEnv is the test's environment without any planbridge, Planhat,
// Planfix or Botpress setting, so a developer's shell cannot change what
// the child does, plus settings.
func childEnv(settings map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "PLANBRIDGE_"), strings.HasPrefix(name, "PLANHAT_"),
			strings.HasPrefix(name, "PLANFIX_"), strings.HasPrefix(name, "BP_"):
			continue
		}
		env = append(env, kv)
	}
	for k, v := range settings {
		env = append(env, k+"="+v)
	}
	return env
}

// startServe runs `planbridge serve` with settings and waits until it
// prints its address. t.Cleanup kills whatever is left of it.
func startServe(tb testing.TB, name string, settings map[string]string) *serveProc {
	tb.Helper()
	bin := planbridgeBinary(tb)
	logPath := filepath.Join(tb.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = childEnv(settings)
	cmd.Stderr = logFile
	// Its own process group, so a kill reaches anything it started; and
	// killed with the test binary, so a crashed test leaves no server behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	addr := make(chan string, 1)
	cmd.Stdout = &addrWriter{w: logFile, addr: addr}
	p := &serveProc{name: name, cmd: cmd, logPath: logPath, exited: make(chan struct{}), started: time.Now()}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("starting %s: %v", bin, err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.exited)
	}()
	tb.Cleanup(func() { p.kill(tb) })
	select {
	case u := <-addr:
		p.url = u
		p.ready = time.Since(p.started)
	case <-p.exited:
		tb.Fatalf("%s exited before listening (%v); its output:\n%s", name, p.waitErr, p.logTail(4000))
	case <-time.After(30 * time.Second):
		tb.Fatalf("%s did not print its address within 30 s; its output:\n%s", name, p.logTail(4000))
	}
	return p
}

// addrWriter copies the child's stdout to w and sends the address of the
// first "planbridge VERSION listening on URL" line to addr.
type addrWriter struct {
	w    io.Writer
	addr chan string
	line []byte
	done bool
}

func (a *addrWriter) Write(b []byte) (int, error) {
	if !a.done {
		a.line = append(a.line, b...)
		for {
			i := bytes.IndexByte(a.line, '\n')
			if i < 0 {
				break
			}
			line := string(a.line[:i])
			a.line = a.line[i+1:]
			if _, rest, ok := strings.Cut(line, " listening on "); ok && strings.HasPrefix(line, "planbridge ") {
				a.addr <- strings.TrimSpace(rest)
				a.done, a.line = true, nil
				break
			}
		}
	}
	return a.w.Write(b)
}

// kill sends SIGKILL to the process group and waits for the process to
// be gone; killing a gone process is a no-op.
func (p *serveProc) kill(tb testing.TB) {
	tb.Helper()
	select {
	case <-p.exited:
		return
	default:
	}
	if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		tb.Errorf("kill %s: %v", p.name, err)
	}
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		tb.Errorf("%s survived SIGKILL for 10 s", p.name)
	}
}

// pid is the child's process id.
func (p *serveProc) pid() int { return p.cmd.Process.Pid }

// logTail is the end of the process's output, for failure messages.
func (p *serveProc) logTail(n int) string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", p.logPath, err)
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// leaseTakenAt is when the process logged that it took the outbox's
// delivery lease (zero when it has not).
func (p *serveProc) leaseTakenAt() time.Time {
	b, _ := os.ReadFile(p.logPath)
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.Contains(line, `msg="outbox: delivery lease" held=true`) {
			continue
		}
		v, _, _ := strings.Cut(strings.TrimPrefix(line, "time="), " ")
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t
		}
	}
	return time.Time{}
}

// outboxStats is what GET /v1/admin/outbox answers, in part.
type outboxStats struct {
	Backlog     int            `json:"backlog"`
	DeadLetters int            `json:"deadLetters"`
	ByState     map[string]int `json:"byState"`
}

// stats reads the outbox statistics through the admin door.
func (p *serveProc) stats(client *http.Client, key string) (outboxStats, error) {
	req, err := http.NewRequest(http.MethodGet, p.url+"/v1/admin/outbox", nil)
	if err != nil {
		return outboxStats{}, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := client.Do(req)
	if err != nil {
		return outboxStats{}, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return outboxStats{}, fmt.Errorf("GET /v1/admin/outbox = %d %s", resp.StatusCode, body)
	}
	var s outboxStats
	if err := json.Unmarshal(body, &s); err != nil {
		return outboxStats{}, fmt.Errorf("GET /v1/admin/outbox: %v in %s", err, body)
	}
	return s, nil
}

// waitDrained polls the admin door until the backlog is 0 and returns how
// long it took; it fails the test after limit, with the process's log.
func (p *serveProc) waitDrained(tb testing.TB, client *http.Client, key string, limit time.Duration) time.Duration {
	tb.Helper()
	start := time.Now()
	var last outboxStats
	var lastErr error
	for time.Since(start) < limit {
		last, lastErr = p.stats(client, key)
		if lastErr == nil && last.Backlog == 0 {
			return time.Since(start)
		}
		time.Sleep(100 * time.Millisecond)
	}
	tb.Fatalf("%s: the outbox still holds %d items after %s (by state %v, last error %v); its log ends:\n%s",
		p.name, last.Backlog, limit, last.ByState, lastErr, p.logTail(3000))
	return 0
}
