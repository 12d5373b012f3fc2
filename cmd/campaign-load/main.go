// Command campaign-load drives a running campaign server with signatures or
// page views and prints throughput and latency percentiles; "seed" fills a
// database with signatures so a run can start from a large campaign.
//
//	campaign-load -mode sign -c 64 -d 30s -url http://127.0.0.1:8080
//	campaign-load -mode article -c 64 -d 30s
//	campaign-load seed -n 1000000 -database sqlite://./data/campaign.db
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/cambodia-sanctions/campaign/internal/loadtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := loadtest.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
