package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/cli"
)

// run runs the CLI with only the given CAMPAIGN_* variables set.
func run(t *testing.T, ctx context.Context, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	code = cli.RunEnv(ctx, args, cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Lookup: lookup})
	return code, out.String(), errb.String()
}

func TestExitStatuses(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		args     []string
		vars     map[string]string
		wantCode int
		wantOut  string // in stdout or stderr
	}{
		{"no command", nil, nil, 2, "Usage: campaign COMMAND"},
		{"help", []string{"help"}, nil, 0, "serve"},
		{"help of a command", []string{"help", "serve"}, nil, 0, "CAMPAIGN_DATABASE"},
		{"unknown command", []string{"frobnicate"}, nil, 2, `unknown command "frobnicate"`},
		{"unknown flag", []string{"serve", "--nope"}, nil, 2, "flag provided but not defined"},
		{"stray argument", []string{"migrate", "extra"}, nil, 2, `unexpected argument "extra"`},
		{"bad setting", []string{"migrate"}, map[string]string{"CAMPAIGN_VERIFY": "maybe"}, 2, "CAMPAIGN_VERIFY"},
		{"serve -h", []string{"serve", "-h"}, nil, 0, "CAMPAIGN_SECRET_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, ctx, tt.vars, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit status %d, want %d (stderr: %s)", code, tt.wantCode, errOut)
			}
			if !strings.Contains(out+errOut, tt.wantOut) {
				t.Errorf("output does not mention %q:\n%s%s", tt.wantOut, out, errOut)
			}
		})
	}
}

func TestServeHelpListsEverySetting(t *testing.T) {
	_, out, errOut := run(t, context.Background(), nil, "serve", "-h")
	for _, v := range []string{"CAMPAIGN_ADDR", "CAMPAIGN_DATA_DIR", "CAMPAIGN_DATABASE", "CAMPAIGN_BASE_URL",
		"CAMPAIGN_SECRET_KEY", "CAMPAIGN_SMTP_URL", "CAMPAIGN_MAIL_FROM", "CAMPAIGN_VERIFY", "CAMPAIGN_LOG_FORMAT",
		"CAMPAIGN_TRUSTED_PROXIES", ":8080", "./data"} {
		if !strings.Contains(out+errOut, v) {
			t.Errorf("serve -h does not list %s", v)
		}
	}
}

func TestMigrateCreatesDatabase(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"CAMPAIGN_DATA_DIR": dir}
	code, out, errOut := run(t, context.Background(), vars, "migrate")
	if code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "applied") {
		t.Errorf("first migrate says %q, want it to report applied migrations", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "campaign.db")); err != nil {
		t.Errorf("database not created: %v", err)
	}
	code, out, _ = run(t, context.Background(), vars, "migrate")
	if code != 0 || !strings.Contains(out, "up to date") {
		t.Errorf("second migrate: exit %d, %q; want 0 and 'up to date'", code, out)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestServeFirstRunAndGracefulStop runs `campaign serve` with nothing but a
// data directory and a port: it must create the key (0600) and database,
// load the campaign content, take a signature and stop cleanly.
func TestServeFirstRunAndGracefulStop(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	vars := map[string]string{"CAMPAIGN_DATA_DIR": dir, "CAMPAIGN_ADDR": addr, "CAMPAIGN_CONTENT_DIR": "../../config"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	var errOut string
	go func() {
		code, _, e := run(t, ctx, vars, "serve")
		errOut = e
		done <- code
	}()
	base := "http://" + addr
	waitReady(t, base+"/readyz")

	info, err := os.Stat(filepath.Join(dir, "secret.key"))
	if err != nil {
		t.Fatalf("secret key not created: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("secret key mode %v, want 0600", info.Mode().Perm())
	}
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET / = %d, want 200", resp.StatusCode)
	}
	body := `{"name":"Chan Sophea","email":"sophea@example.org","country":"FR"}`
	resp, err = http.Post(base+"/petitions/coordinated-sanctions/signatures", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("JSON sign = %d, want 201", resp.StatusCode)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d after SIGTERM-equivalent, want 0: %s", code, errOut)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop within 15s of cancellation")
	}
	if strings.Contains(errOut, "sophea") || strings.Contains(errOut, "Chan Sophea") {
		t.Errorf("logs contain personal data:\n%s", errOut)
	}
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal(fmt.Sprintf("%s not ready within 20s", url))
}
