package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// runHealthcheck asks the local server's /healthz; the container image's
// HEALTHCHECK uses it because the runtime image has no curl.
func runHealthcheck(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "healthcheck", "", `
Exit 0 when the server on CAMPAIGN_ADDR answers /healthz, 1 otherwise.`, nil)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(env)
	if err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return usageError{"CAMPAIGN_ADDR: " + err.Error()}
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("server not answering: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz answered %d", resp.StatusCode)
	}
	return nil
}
