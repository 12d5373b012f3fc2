package cli_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/cli"
)

func runWithStdin(t *testing.T, vars map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	code := cli.RunEnv(context.Background(), args, cli.Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Lookup: lookup})
	return code, out.String(), errb.String()
}

func TestAdminAccounts(t *testing.T) {
	vars := map[string]string{"CAMPAIGN_DATA_DIR": t.TempDir()}
	tests := []struct {
		name     string
		stdin    string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"create owner", "a long enough password\n", []string{"admin", "create", "--email", "Owner@Example.org", "--role", "owner", "--password-stdin"}, 0, "created owner account owner@example.org"},
		{"short password", "short\n", []string{"admin", "create", "--email", "x@example.org", "--role", "viewer", "--password-stdin"}, 2, "at least 12 characters"},
		{"bad role", "a long enough password\n", []string{"admin", "create", "--email", "y@example.org", "--role", "boss", "--password-stdin"}, 2, `"owner", "organizer" or "viewer"`},
		{"duplicate", "a long enough password\n", []string{"admin", "create", "--email", "owner@example.org", "--role", "viewer", "--password-stdin"}, 2, "already exists"},
		{"no terminal, no stdin flag", "", []string{"admin", "create", "--email", "z@example.org", "--role", "viewer"}, 2, "--password-stdin"},
		{"missing email", "", []string{"admin", "disable"}, 2, "--email is required"},
		{"unknown subcommand", "", []string{"admin", "promote"}, 2, "unknown admin subcommand"},
		{"list", "", []string{"admin", "list"}, 0, "owner@example.org"},
		{"disable", "", []string{"admin", "disable", "--email", "owner@example.org"}, 0, "disabled owner@example.org"},
		{"list shows disabled", "", []string{"admin", "list"}, 0, "disabled"},
		{"disable unknown", "", []string{"admin", "disable", "--email", "ghost@example.org"}, 1, "no account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runWithStdin(t, vars, tt.stdin, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, out, errOut)
			}
			if !strings.Contains(out+errOut, tt.wantOut) {
				t.Errorf("output lacks %q:\n%s%s", tt.wantOut, out, errOut)
			}
			if strings.Contains(out+errOut, "a long enough password") {
				t.Error("the password was echoed")
			}
		})
	}
}
