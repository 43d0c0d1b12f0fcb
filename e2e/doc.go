// Package e2e holds planbridge's end-to-end tests: the Botpress emulator
// sends operations over real HTTP to the planbridge server (httpapi with
// the planhat integration), which calls the Planhat emulator. It has no
// production code; see the _test.go files.
package e2e
