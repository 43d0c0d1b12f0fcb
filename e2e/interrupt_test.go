//go:build linux

package e2e_test

import (
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSecondInterruptStopsAtOnce: the first interrupt lets a request in
// flight finish (here one whose body never arrives, so serve would wait
// out its whole minute of grace), and the second stops the process at once.
func TestSecondInterruptStopsAtOnce(t *testing.T) {
	t.Parallel()
	settings := serveSettings("http://127.0.0.1:9", filepath.Join(t.TempDir(), "p.db"), "0", time.Second)
	settings["PLANBRIDGE_SHUTDOWN_TIMEOUT"] = "60s"
	p := startServe(t, "interrupted", settings)

	// A request in flight: headers sent, the body promised but not sent.
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/actions/listCompanies HTTP/1.1\r\nHost: e2e\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{", procAPIKey)
	time.Sleep(300 * time.Millisecond) // the server reads the headers and waits for the body

	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	// Graceful: it announces the drain and keeps waiting for the request.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.logTail(4000), "interrupt again to stop at once") {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not announce the shutdown:\n%s", p.logTail(4000))
		}
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case <-p.exited:
		t.Fatalf("serve stopped before the request in flight finished (%v):\n%s", p.waitErr, p.logTail(4000))
	case <-time.After(time.Second):
	}

	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("the second interrupt did not stop serve within 10 s:\n%s", p.logTail(4000))
	}
	var exit *exec.ExitError
	if !errors.As(p.waitErr, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGINT {
		t.Errorf("serve ended with %v; want killed by the second SIGINT", p.waitErr)
	}
	t.Logf("stopped %s after the second interrupt", time.Since(start).Round(time.Millisecond))
}
