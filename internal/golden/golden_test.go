package golden_test

import (
	"path/filepath"
	"testing"

	"github.com/planbridge/planbridge/internal/golden"
)

func TestCheckMatches(t *testing.T) {
	t.Parallel()
	golden.Check(t, filepath.Join("testdata", "hello.golden"), []byte("hello, golden\n"))
}

func TestCheckReportsADifference(t *testing.T) {
	t.Parallel()
	if golden.Updating() {
		t.Skip("nothing to compare under -update")
	}
	var rec recorder
	golden.Check(&rec, filepath.Join("testdata", "hello.golden"), []byte("hello, changed\n"))
	if !rec.failed {
		t.Fatal("a different output passed the golden check")
	}
}

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }
func (r *recorder) Fatal(...any)          { r.failed = true }
