package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const leaked = "hunter2-very-secret"

func TestSecretNeverPrintsItsValue(t *testing.T) {
	s := NewSecret(leaked)
	if s.Value() != leaked || !s.IsSet() {
		t.Fatalf("Value() = %q, IsSet() = %v; want the wrapped value and true", s.Value(), s.IsSet())
	}
	if NewSecret("").IsSet() {
		t.Error("an empty secret reports IsSet() = true")
	}
	tests := []struct {
		format string
		want   string
	}{
		{"%v", "****"},
		{"%s", "****"},
		{"%+v", "****"},
		{"%#v", "****"},
		{"%q", `"****"`},
		{"%x", "****"},
		{"%d", "****"},
		{"%10s", "****"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			for _, arg := range []any{s, &s} {
				if got := fmt.Sprintf(tt.format, arg); got != tt.want {
					t.Errorf("Sprintf(%q, %T) = %q, want %q", tt.format, arg, got, tt.want)
				}
			}
		})
	}
	if got := s.String() + s.GoString(); strings.Contains(got, leaked) {
		t.Errorf("String/GoString reveal the value: %q", got)
	}
	if b, _ := s.MarshalText(); string(b) != "****" {
		t.Errorf("MarshalText() = %q, want ****", b)
	}
}

// secretKey is the key secretConfig uses; no output may contain it.
const secretKey = "abababababababababababababababababababababababababababababababab"

// secretConfig returns a valid Config that carries secrets everywhere.
func secretConfig(t *testing.T) *Config {
	t.Helper()
	return mustLoad(t, map[string]string{
		"CAMPAIGN_SECRET_KEY": secretKey,
		"CAMPAIGN_SMTP_URL":   "smtp://user:" + leaked + "@mail.example.org:587",
		"CAMPAIGN_DATABASE":   "postgres://app:" + leaked + "@db:5432/campaign",
		"CAMPAIGN_MAIL_FROM":  "Campaign <noreply@example.org>",
	})
}

func TestConfigNeverPrintsSecrets(t *testing.T) {
	c := secretConfig(t)
	// Database is a plain string, so only Summary redacts it; leave it out here.
	c.Database = "sqlite://./data/campaign.db"
	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("start", "config", c, "smtp", c.SMTPURL)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("start", "config", c, "smtp", c.SMTPURL)
	printed := map[string]string{
		"%v":        fmt.Sprintf("%v", c),
		"%+v":       fmt.Sprintf("%+v", *c),
		"%#v":       fmt.Sprintf("%#v", *c),
		"json":      string(j),
		"slog text": text.String(),
		"slog json": js.String(),
	}
	for how, out := range printed {
		if strings.Contains(out, leaked) || strings.Contains(out, secretKey) {
			t.Errorf("printing the config with %s reveals a secret:\n%s", how, out)
		}
		if !strings.Contains(out, "****") {
			t.Errorf("printing the config with %s shows no masked secret:\n%s", how, out)
		}
	}
}

func TestSummaryMasksSecrets(t *testing.T) {
	c := secretConfig(t)
	summary := strings.Join(c.Summary(), "\n")
	for _, want := range []string{
		"CAMPAIGN_SECRET_KEY=****",
		"CAMPAIGN_SMTP_URL=****",
		"CAMPAIGN_DATABASE=postgres://app:xxxxx@db:5432/campaign",
	} {
		if !strings.Contains(summary, want) {
			t.Errorf("Summary lacks %q:\n%s", want, summary)
		}
	}
	if strings.Contains(summary, leaked) || strings.Contains(summary, secretKey) {
		t.Errorf("Summary reveals a secret:\n%s", summary)
	}
	for _, line := range c.Summary() {
		if !strings.HasPrefix(line, "CAMPAIGN_") || !strings.Contains(line, "=") {
			t.Errorf("Summary line %q is not CAMPAIGN_X=value", line)
		}
	}
}
