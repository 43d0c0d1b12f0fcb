package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// errShutdownIncomplete marks a graceful shutdown that ran out of time, so
// a command that treats a forced stop as normal can tell it from a failure
// to serve.
var errShutdownIncomplete = errors.New("shutdown did not finish")

// serveUntilDone serves hs on ln until ctx ends, then shuts it down: stopping
// (when not nil) runs first, requests in flight get up to grace to finish,
// and whatever is still open after that is closed. It returns why serving
// failed, an error wrapping errShutdownIncomplete when grace ran out, or
// nil after a clean stop.
func serveUntilDone(ctx context.Context, hs *http.Server, ln net.Listener, grace time.Duration, stopping func()) error {
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if stopping != nil {
		stopping()
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		_ = hs.Close()
		return fmt.Errorf("%w in %s: %w", errShutdownIncomplete, grace, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// listenTCP listens on addr and, when it cannot, says what to do: every
// command that serves gives the same hint, naming where the address came
// from (setting, e.g. "--addr" or "--addr (PLANBRIDGE_ADDR)").
func listenTCP(addr, setting string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w (pick another %s, or stop whatever uses that port)", addr, err, setting)
	}
	return ln, nil
}
