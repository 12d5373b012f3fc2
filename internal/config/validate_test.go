package config

import (
	"strings"
	"testing"
	"time"
)

func TestLoadRejectsInvalidValues(t *testing.T) {
	tests := []struct {
		name  string // the variable under test
		value string
		extra map[string]string
		want  string // a part of the message that says what would be right
	}{
		{"CAMPAIGN_ADDR", "8080", nil, `CAMPAIGN_ADDR: "8080" is not valid; use HOST:PORT or :PORT`},
		{"CAMPAIGN_ADDR", "localhost:http", nil, `CAMPAIGN_ADDR: "localhost:http" is not valid`},
		{"CAMPAIGN_ADDR", ":70000", nil, `CAMPAIGN_ADDR: ":70000" is not valid`},
		{"CAMPAIGN_DATA_DIR", "   ", nil, `CAMPAIGN_DATA_DIR: is empty; use a directory path`},
		{"CAMPAIGN_DATABASE", "mysql://db/c", nil, `CAMPAIGN_DATABASE: scheme "mysql" is not supported; use sqlite://PATH`},
		{"CAMPAIGN_DATABASE", "./data/c.db", nil, `CAMPAIGN_DATABASE: is not a database URL; use sqlite://PATH`},
		{"CAMPAIGN_DATABASE", "sqlite://", nil, `CAMPAIGN_DATABASE: sqlite:// has no path`},
		{"CAMPAIGN_DATABASE", "postgres:///campaign", nil, `CAMPAIGN_DATABASE: postgres URL has no host; use sqlite://PATH`},
		{"CAMPAIGN_BASE_URL", "example.org", nil, `CAMPAIGN_BASE_URL: "example.org" is not valid; use an absolute http:// or https:// URL`},
		{"CAMPAIGN_BASE_URL", "ftp://example.org", nil, `CAMPAIGN_BASE_URL: "ftp://example.org" is not valid`},
		{"CAMPAIGN_BASE_URL", "https://example.org/?a=1", nil, `CAMPAIGN_BASE_URL: "https://example.org/?a=1" is not valid`},
		{"CAMPAIGN_BASE_URL", "https://example.org/#top", nil, `CAMPAIGN_BASE_URL: "https://example.org/#top" is not valid`},
		{"CAMPAIGN_BASE_URL", "https://me:pw@example.org", nil, `CAMPAIGN_BASE_URL: "https://me:pw@example.org" is not valid`},
		{"CAMPAIGN_SECRET_KEY", "abc", nil, `CAMPAIGN_SECRET_KEY: is not valid (3 characters); use 64 hexadecimal characters`},
		{"CAMPAIGN_SECRET_KEY", strings.Repeat("zz", 32), nil, `CAMPAIGN_SECRET_KEY: is not valid (64 characters)`},
		{"CAMPAIGN_SMTP_URL", "http://mail.example.org", map[string]string{"CAMPAIGN_MAIL_FROM": "a@example.org"},
			`CAMPAIGN_SMTP_URL: scheme "http" is not valid; use smtp://USER:PASS@HOST:587 or smtps://`},
		{"CAMPAIGN_SMTP_URL", "smtp://", map[string]string{"CAMPAIGN_MAIL_FROM": "a@example.org"},
			`CAMPAIGN_SMTP_URL: has no host; use smtp://`},
		{"CAMPAIGN_MAIL_FROM", "not an address", nil, `CAMPAIGN_MAIL_FROM: "not an address" is not a valid address; use e.g. "Campaign <noreply@example.org>"`},
		{"CAMPAIGN_MAIL_FROM", "", map[string]string{"CAMPAIGN_SMTP_URL": "smtp://mail.example.org"},
			`CAMPAIGN_MAIL_FROM: is required when CAMPAIGN_SMTP_URL is set`},
		{"CAMPAIGN_MAIL_TRANSPORT", "pigeon", nil, `CAMPAIGN_MAIL_TRANSPORT: "pigeon" is not valid; use "smtp" or "file"`},
		{"CAMPAIGN_VERIFY", "maybe", nil, `CAMPAIGN_VERIFY: "maybe" is not valid; use "email" or "none"`},
		{"CAMPAIGN_VERIFY", "email", nil, `CAMPAIGN_VERIFY=email needs CAMPAIGN_SMTP_URL`},
		{"CAMPAIGN_LOG_FORMAT", "xml", nil, `CAMPAIGN_LOG_FORMAT: "xml" is not valid; use "text" or "json"`},
		{"CAMPAIGN_LOG_LEVEL", "verbose", nil, `CAMPAIGN_LOG_LEVEL: "verbose" is not valid; use "debug", "info", "warn" or "error"`},
		{"CAMPAIGN_TRUSTED_PROXIES", "10.0.0.1,proxy.local", nil, `CAMPAIGN_TRUSTED_PROXIES: "proxy.local" is not an IP address or CIDR`},
		{"CAMPAIGN_TRUSTED_PROXIES", "10.0.0.0/33", nil, `CAMPAIGN_TRUSTED_PROXIES: "10.0.0.0/33" is not an IP address or CIDR`},
		{"CAMPAIGN_EMBED_ORIGINS", "partner.example", nil,
			`CAMPAIGN_EMBED_ORIGINS: "partner.example" is not an origin (no scheme); write the scheme, host and optional port only, such as https://partner.example`},
		{"CAMPAIGN_EMBED_ORIGINS", "https://partner.example/", nil,
			`CAMPAIGN_EMBED_ORIGINS: "https://partner.example/" is not an origin (no path, query or fragment, not even a final /)`},
		{"CAMPAIGN_EMBED_ORIGINS", "https://ok.example,https://partner.example/petition", nil,
			`CAMPAIGN_EMBED_ORIGINS: "https://partner.example/petition" is not an origin (no path`},
		{"CAMPAIGN_EMBED_ORIGINS", "https://partner.example?a=1", nil, `"https://partner.example?a=1" is not an origin (no path, query or fragment`},
		{"CAMPAIGN_EMBED_ORIGINS", "ftp://partner.example", nil, `"ftp://partner.example" is not an origin (the scheme must be https or http)`},
		{"CAMPAIGN_EMBED_ORIGINS", "*", nil, `"*" is not an origin (no scheme)`},
		{"CAMPAIGN_EMBED_ORIGINS", "https://*.partner.example", nil, `"https://*.partner.example" is not an origin (the host must be a domain name or an IP address)`},
		{"CAMPAIGN_EMBED_ORIGINS", "https://partner.example:99999", nil, `(the port must be a number from 1 to 65535)`},
		{"CAMPAIGN_EMBED_ORIGINS", "https://me@partner.example", nil, `(no user name or password)`},
		{"CAMPAIGN_EMBED_ORIGINS", "https://partner.example; script-src *", nil, `is not an origin`},
		{"CAMPAIGN_EMBED_ORIGINS", "'self'", nil, `"'self'" is not an origin`},
		{"CAMPAIGN_CONTENT_DIR", " ", nil, `CAMPAIGN_CONTENT_DIR: is empty; use a directory path`},
		{"CAMPAIGN_MIN_PUBLIC_COUNT", "ten", nil, `CAMPAIGN_MIN_PUBLIC_COUNT: "ten" is not a whole number; use e.g. 10`},
		{"CAMPAIGN_MIN_PUBLIC_COUNT", "0", nil, `CAMPAIGN_MIN_PUBLIC_COUNT: 0 is too small; use a whole number of at least 1`},
		{"CAMPAIGN_RATE_LIMIT", "fast", nil, `CAMPAIGN_RATE_LIMIT: "fast" is not valid; use N/DURATION such as "20/1m"`},
		{"CAMPAIGN_RATE_LIMIT", "20", nil, `CAMPAIGN_RATE_LIMIT: "20" is not valid; use N/DURATION`},
		{"CAMPAIGN_RATE_LIMIT", "20/fortnight", nil, `CAMPAIGN_RATE_LIMIT: "20/fortnight" is not valid`},
		{"CAMPAIGN_RATE_LIMIT", "0/1m", nil, `CAMPAIGN_RATE_LIMIT: "0/1m" is not valid; use N/DURATION with N at least 1`},
		{"CAMPAIGN_RATE_LIMIT", "20/0s", nil, `CAMPAIGN_RATE_LIMIT: "20/0s" is not valid`},
		{"CAMPAIGN_MIN_FILL_TIME", "soon", nil, `CAMPAIGN_MIN_FILL_TIME: "soon" is not a duration; use e.g. "3s"`},
		{"CAMPAIGN_MIN_FILL_TIME", "-1s", nil, `CAMPAIGN_MIN_FILL_TIME: -1s is negative; use a duration of 0s or more`},
		{"CAMPAIGN_CONFIRM_TTL", "week", nil, `CAMPAIGN_CONFIRM_TTL: "week" is not a duration; use e.g. "7d"`},
		{"CAMPAIGN_CONFIRM_TTL", "0s", nil, `CAMPAIGN_CONFIRM_TTL: 0s is not positive; use a duration above zero, e.g. "168h"`},
		{"CAMPAIGN_EMAIL_RETENTION", "30 days", nil, `CAMPAIGN_EMAIL_RETENTION: "30 days" is not a duration; use e.g. "30d"`},
		{"CAMPAIGN_EMAIL_RETENTION", "-720h", nil, `CAMPAIGN_EMAIL_RETENTION: -720h0m0s is not positive`},
		{"CAMPAIGN_RETENTION_AFTER_CLOSE", "six months", nil, `CAMPAIGN_RETENTION_AFTER_CLOSE: "six months" is not a duration; use e.g. "180d"`},
		{"CAMPAIGN_RETENTION_AFTER_CLOSE", "0d", nil, `CAMPAIGN_RETENTION_AFTER_CLOSE: 0s is not positive; use a duration above zero, e.g. "180d"`},
		{"CAMPAIGN_SHUTDOWN_TIMEOUT", "0", nil, `CAMPAIGN_SHUTDOWN_TIMEOUT: 0s is not positive; use a duration above zero, e.g. "30s"`},
		{"CAMPAIGN_MAX_BODY_BYTES", "64k", nil, `CAMPAIGN_MAX_BODY_BYTES: "64k" is not a whole number of bytes; use e.g. 65536`},
		{"CAMPAIGN_MAX_BODY_BYTES", "100", nil, `CAMPAIGN_MAX_BODY_BYTES: 100 is too small; use a number of bytes of at least 1024`},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			vars := map[string]string{tt.name: tt.value}
			for k, v := range tt.extra {
				vars[k] = v
			}
			c, err := Load(env(vars), "")
			if err == nil {
				t.Fatalf("Load accepted %s=%q (got %+v), want an error", tt.name, tt.value, c)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error for %s=%q does not say what is wrong and what is right:\n got: %v\nwant it to contain: %s",
					tt.name, tt.value, err, tt.want)
			}
		})
	}
}

func TestLoadListsEveryProblemOnItsOwnLine(t *testing.T) {
	_, err := Load(env(map[string]string{
		"CAMPAIGN_VERIFY":           "maybe",
		"CAMPAIGN_LOG_FORMAT":       "xml",
		"CAMPAIGN_MIN_PUBLIC_COUNT": "ten",
		"CAMPAIGN_RATE_LIMIT":       "fast",
	}), "")
	if err == nil {
		t.Fatal("Load accepted four invalid values")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %d lines, want one per problem (4):\n%v", len(lines), err)
	}
	for _, line := range lines {
		if !strings.HasPrefix(line, "CAMPAIGN_") {
			t.Errorf("line %q does not start with the variable name", line)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Config)
		want   string // start of the only message; "" means valid
	}{
		{"defaults", func(c *Config) {}, ""},
		{"rate limit off", func(c *Config) { c.RateLimit = RateLimit{Off: true} }, ""},
		{"postgresql scheme", func(c *Config) { c.Database = "postgresql://u:p@db.internal:5432/c" }, ""},
		{"https base URL with path", func(c *Config) { c.BaseURL = "https://example.org/campaign" }, ""},
		{"IPv6 proxy and prefix", func(c *Config) { c.TrustedProxies = []string{"::1", "fd00::/8"} }, ""},
		{"zero fill time disables the check", func(c *Config) { c.MinFillTime = 0 }, ""},
		{"upper-case hex key", func(c *Config) { c.SecretKey = NewSecret(strings.ToUpper(testKey)) }, ""},
		{"bad verify", func(c *Config) { c.Verify = "maybe" },
			`CAMPAIGN_VERIFY: "maybe" is not valid; use "email" or "none"`},
		{"negative rate", func(c *Config) { c.RateLimit = RateLimit{Requests: -1, Per: time.Second} },
			`CAMPAIGN_RATE_LIMIT: "-1/1s" is not valid`},
		{"empty addr", func(c *Config) { c.Addr = "" }, `CAMPAIGN_ADDR: "" is not valid`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.change(c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && err == nil:
				t.Errorf("Validate() = nil, want an error containing %q", tt.want)
			case tt.want != "" && (!strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "\n")):
				t.Errorf("Validate() =\n%v\nwant a single line starting with:\n%s", err, tt.want)
			}
		})
	}
}

func TestErrorsNeverQuoteSecrets(t *testing.T) {
	tests := []struct {
		name   string
		vars   map[string]string
		secret string
	}{
		{"bad secret key", map[string]string{"CAMPAIGN_SECRET_KEY": "hunter2-hunter2"}, "hunter2"},
		{"bad SMTP scheme", map[string]string{"CAMPAIGN_SMTP_URL": "http://u:hunter2@mail", "CAMPAIGN_MAIL_FROM": "a@b.org"}, "hunter2"},
		{"unparsable SMTP URL", map[string]string{"CAMPAIGN_SMTP_URL": "smtp://u:hunter2@[bad", "CAMPAIGN_MAIL_FROM": "a@b.org"}, "hunter2"},
		{"postgres without host", map[string]string{"CAMPAIGN_DATABASE": "postgres://u:hunter2@/db"}, "hunter2"},
		{"bad database scheme", map[string]string{"CAMPAIGN_DATABASE": "mysql://u:hunter2@db/c"}, "hunter2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.vars), "")
			if err == nil {
				t.Fatalf("Load(%v) succeeded, want an error", tt.vars)
			}
			if strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error message reveals the secret %q:\n%v", tt.secret, err)
			}
		})
	}
}
