// Package planhattest starts the Planhat emulator of package planhatemu on
// loopback listeners for the length of a test. It is the only part of the
// emulator that imports testing, so the planbridge binary can link the
// emulator without it.
package planhattest

import (
	"net/http/httptest"
	"testing"

	"github.com/planbridge/planbridge/planhat/planhatemu"
)

// NewServer starts an emulator on two loopback listeners (URL for the main
// API, AnalyticsURL for the analytics host) and closes them when tb ends.
func NewServer(tb testing.TB, opts ...planhatemu.Option) *planhatemu.Server {
	tb.Helper()
	s := planhatemu.New(opts...)
	mainSrv := httptest.NewServer(s.MainHandler())
	analyticsSrv := httptest.NewServer(s.AnalyticsHandler())
	s.Attach(mainSrv.URL, analyticsSrv.URL, func() {
		// Client connections first: a test that left a request hanging
		// (latency, dropped bodies) must not block Close.
		mainSrv.CloseClientConnections()
		mainSrv.Close()
		analyticsSrv.CloseClientConnections()
		analyticsSrv.Close()
	})
	tb.Cleanup(s.Close)
	return s
}
