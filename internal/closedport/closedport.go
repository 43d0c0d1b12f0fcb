// Package closedport gives tests a loopback address that refuses every
// connection for as long as the test runs.
//
// The usual trick, listening on port 0 and closing the listener, frees the
// port for the next test that listens, so a parallel test's server can take
// it and answer calls meant to fail. A socket that is bound but never listens
// keeps the port reserved and still refuses connections.
package closedport

import "testing"

// Addr returns "127.0.0.1:PORT" where nothing listens and no other listener
// can bind until t ends.
func Addr(t testing.TB) string {
	t.Helper()
	addr, release, err := reserve()
	if err != nil {
		t.Fatalf("closedport: reserve a loopback port: %v", err)
	}
	t.Cleanup(release)
	return addr
}
