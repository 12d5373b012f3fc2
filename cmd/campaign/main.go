// Command campaign runs the sanctions campaign: the public site, the
// organizer tools and the maintenance commands. See `campaign help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/cambodia-sanctions/campaign/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
