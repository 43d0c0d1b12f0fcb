package closedport_test

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/planbridge/planbridge/internal/closedport"
)

func TestAddrRefusesAndStaysReserved(t *testing.T) {
	t.Parallel()
	addr := closedport.Addr(t)
	for range 3 {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			t.Fatalf("dial %s succeeded, want connection refused", addr)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("dial %s = %v, want connection refused", addr, err)
		}
	}
	if ln, err := net.Listen("tcp", addr); err == nil {
		ln.Close()
		t.Errorf("another listener could bind %s while it was reserved", addr)
	}
}
