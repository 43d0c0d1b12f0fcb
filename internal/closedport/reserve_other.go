//go:build !unix

package closedport

import "net"

// reserve falls back to a closed listener where raw sockets are not at
// hand; the port may then be reused by a later listener.
func reserve() (addr string, release func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr = ln.Addr().String()
	ln.Close()
	return addr, func() {}, nil
}
