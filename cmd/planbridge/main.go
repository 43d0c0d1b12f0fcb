// Command planbridge connects chatbots to Planhat and Planfix: it serves the
// Botpress integrations, the REST door and MCP, runs the emulators, and calls
// actions from the shell.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/planbridge/planbridge/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first interrupt asks for a graceful stop (serve drains, import
	// finishes its chunk); restoring the default handling then makes a
	// second one stop the process at once, as people expect of Ctrl-C.
	// Nothing accepted is lost that way: what was answered is stored.
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
