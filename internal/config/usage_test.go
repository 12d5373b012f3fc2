package config

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestUsageListsEveryVariable(t *testing.T) {
	var buf bytes.Buffer
	Usage(&buf)
	usage := buf.String()
	rows := map[string]string{} // variable name -> its row
	for line := range strings.SplitSeq(usage, "\n") {
		if fields := strings.Fields(line); len(fields) > 0 && strings.HasPrefix(fields[0], "CAMPAIGN_") {
			rows[strings.TrimSuffix(fields[0], "[_FILE]")] = line
		}
	}
	for _, s := range settings() {
		t.Run(s.name, func(t *testing.T) {
			row, ok := rows[s.name]
			if !ok {
				t.Fatalf("usage has no row for %s:\n%s", s.name, usage)
			}
			if marked := strings.Contains(row, s.name+"[_FILE]"); marked != s.file {
				t.Errorf("row %q: [_FILE] marker is %v, want %v", row, marked, s.file)
			}
			if !strings.Contains(row, s.desc) {
				t.Errorf("row %q lacks the description %q", row, s.desc)
			}
			if def := usageDefault(s, Default()); !strings.Contains(row, " "+def+" ") {
				t.Errorf("row %q lacks the default %q", row, def)
			}
		})
	}
}

func TestUsageDefaults(t *testing.T) {
	var buf bytes.Buffer
	Usage(&buf)
	for _, want := range [][]string{
		{"CAMPAIGN_ADDR", ":8080"},
		{"CAMPAIGN_DATABASE[_FILE]", "sqlite://DATA_DIR/campaign.db"},
		{"CAMPAIGN_RATE_LIMIT", "20/1m"},
		{"CAMPAIGN_EMAIL_RETENTION", "30d"},
		{"CAMPAIGN_RETENTION_AFTER_CLOSE", "180d"},
		{"CAMPAIGN_MAX_BODY_BYTES", "65536"},
		{"CAMPAIGN_SMTP_URL[_FILE]", "(none)"},
	} {
		found := false
		for line := range strings.SplitSeq(buf.String(), "\n") {
			f := strings.Fields(line)
			found = found || (len(f) > 1 && f[0] == want[0] && f[1] == want[1])
		}
		if !found {
			t.Errorf("usage does not show %s with default %s:\n%s", want[0], want[1], buf.String())
		}
	}
}

// Every variable Load asks for, _FILE variants included, must be in Usage,
// so that the loader and the help text cannot drift apart.
func TestUsageCoversEverythingLoadReads(t *testing.T) {
	asked := map[string]bool{}
	lookup := func(k string) (string, bool) {
		asked[k] = true
		return "", false
	}
	if _, err := Load(lookup, ""); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	envFile := dir + "/e.env"
	if err := os.WriteFile(envFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(lookup, envFile); err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{} // first column of each usage row
	var buf bytes.Buffer
	Usage(&buf)
	for line := range strings.SplitSeq(buf.String(), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			listed[f[0]] = true
		}
	}
	for name := range asked {
		ok := listed[name] || listed[name+"[_FILE]"]
		if base, isFile := strings.CutSuffix(name, "_FILE"); isFile && name != envFileVar {
			ok = listed[base+"[_FILE]"]
		}
		if !ok {
			t.Errorf("Load reads %s but usage does not list it:\n%s", name, buf.String())
		}
	}
	if len(asked) < len(settings()) {
		t.Errorf("Load asked for %d variables, fewer than the %d settings defined", len(asked), len(settings()))
	}
}
