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
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
