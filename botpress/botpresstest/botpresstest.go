// Package botpresstest starts the Botpress emulator of package botpressemu
// on a loopback listener for the length of a test. It is the only part of
// the emulator that imports testing, so the planbridge binary can link the
// emulator without it.
package botpresstest

import (
	"net/http/httptest"
	"testing"

	"github.com/planbridge/planbridge/botpress/botpressemu"
)

// NewServer starts an emulator on a loopback port and closes it when the
// test ends.
func NewServer(tb testing.TB, opts ...botpressemu.Option) *botpressemu.Server {
	tb.Helper()
	s := botpressemu.New(opts...)
	hs := httptest.NewServer(s.Handler())
	s.Attach(hs.URL, hs.Close)
	tb.Cleanup(s.Close)
	return s
}
