package loadtest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

// Main is campaign-load's command line; it returns the exit status.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "seed" {
		return seedMain(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("campaign-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o Options
	fs.StringVar(&o.BaseURL, "url", "http://127.0.0.1:8080", "base URL of the running server; several, comma-separated, share the connections (instances on one database)")
	fs.StringVar(&o.Mode, "mode", "sign", "sign (POST JSON signatures with unique emails) or article (GET /)")
	fs.StringVar(&o.Petition, "petition", "coordinated-sanctions", "petition slug to sign")
	fs.IntVar(&o.Concurrency, "c", 64, "concurrent connections")
	fs.DurationVar(&o.Duration, "d", 30*time.Second, "measured duration")
	fs.DurationVar(&o.Warmup, "warmup", 2*time.Second, "unmeasured warm-up before the measured duration")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: campaign-load [flags]          drive a running server\n       campaign-load seed [flags]     fill a database with signatures\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	fmt.Fprintf(stderr, "driving %s: mode=%s c=%d d=%s (after %s warm-up)\n", o.BaseURL, o.Mode, o.Concurrency, o.Duration, o.Warmup)
	r, err := Run(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, "campaign-load:", err)
		return 2
	}
	fmt.Fprint(stdout, r.String())
	if r.Errors > 0 {
		return 1
	}
	return 0
}
