// Package planfixtest starts the Planfix emulator of package planfixemu on a
// loopback listener for the length of a test. It is the only part of the
// emulator that imports testing, so the planbridge binary can link the
// emulator without it.
package planfixtest

import (
	"net/http/httptest"
	"testing"

	"github.com/planbridge/planbridge/planfix/planfixemu"
)

// NewServer starts the emulator on a loopback httptest server closed by
// tb.Cleanup.
func NewServer(tb testing.TB, opts ...planfixemu.Option) *planfixemu.Server {
	tb.Helper()
	s := planfixemu.New(opts...)
	hs := httptest.NewServer(s.Handler())
	s.Attach(hs.URL, hs.Close)
	tb.Cleanup(s.Close)
	return s
}
