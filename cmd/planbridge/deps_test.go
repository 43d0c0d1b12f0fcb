package main

import (
	"bufio"
	"bytes"
	"errors"
	"os/exec"
	"testing"
)

// TestBinaryLinksNoTestingPackages keeps the shipped binary free of the
// testing machinery: sandbox mode and `planbridge emulate` use the emulator
// cores (planhatemu, planfixemu, botpressemu), never their *test wrappers.
func TestBinaryLinksNoTestingPackages(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH:", err)
	}
	out, err := exec.Command(gobin, "list", "-deps", ".").Output()
	if err != nil {
		var stderr []byte
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			stderr = ee.Stderr
		}
		t.Fatalf("go list -deps: %v\n%s", err, stderr)
	}
	forbidden := map[string]bool{"testing": true, "net/http/httptest": true}
	sc := bufio.NewScanner(bytes.NewReader(out))
	n := 0
	for sc.Scan() {
		n++
		if pkg := sc.Text(); forbidden[pkg] {
			t.Errorf("the planbridge binary depends on %q; import the emulator core (…emu), not its test wrapper", pkg)
		}
	}
	if n < 10 {
		// A handful of lines means go list answered about something else.
		t.Fatalf("go list -deps listed only %d packages:\n%s", n, out)
	}
}
