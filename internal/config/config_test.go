package config

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// testKey is a well-formed secret key used throughout the tests.
const testKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

// env returns a lookup function backed by m, like os.LookupEnv.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// mustLoad loads from m without an env file and fails the test on error.
func mustLoad(t *testing.T, m map[string]string) *Config {
	t.Helper()
	c, err := Load(env(m), "")
	if err != nil {
		t.Fatalf("Load(%v) failed:\n%v", m, err)
	}
	return c
}

// writeFile writes content to a new file in a temporary directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadEmptyEnvironmentGivesDefaults(t *testing.T) {
	c := mustLoad(t, nil)
	tests := []struct {
		field string
		got   any
		want  any
	}{
		{"Addr", c.Addr, ":8080"},
		{"DataDir", c.DataDir, "./data"},
		{"Database", c.Database, "sqlite://./data/campaign.db"},
		{"BaseURL", c.BaseURL, "http://localhost:8080"},
		{"SecretKey set", c.SecretKey.IsSet(), false},
		{"SMTPURL set", c.SMTPURL.IsSet(), false},
		{"MailFrom", c.MailFrom, ""},
		{"MailTransport", c.MailTransport, "file"},
		{"Verify", c.Verify, "none"},
		{"LogFormat", c.LogFormat, "text"},
		{"LogLevel", c.LogLevel, "info"},
		{"TrustedProxies", len(c.TrustedProxies), 0},
		{"ContentDir", c.ContentDir, "./config"},
		{"MinPublicCount", c.MinPublicCount, 10},
		{"RateLimit", c.RateLimit, RateLimit{Requests: 20, Per: time.Minute}},
		{"MinFillTime", c.MinFillTime, 3 * time.Second},
		{"ConfirmTokenTTL", c.ConfirmTokenTTL, 168 * time.Hour},
		{"EmailRetention", c.EmailRetention, 720 * time.Hour},
		{"RetentionAfterClose", c.RetentionAfterClose, 180 * 24 * time.Hour},
		{"ShutdownTimeout", c.ShutdownTimeout, 30 * time.Second},
		{"MaxBodyBytes", c.MaxBodyBytes, int64(65536)},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("with nothing set, %s = %#v, want the documented default %#v", tt.field, tt.got, tt.want)
		}
	}
	if got, want := c.Summary(), Default().Summary(); !slices.Equal(got, want) {
		t.Errorf("Load with nothing set differs from Default():\n got %q\nwant %q", got, want)
	}
	if err := Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v, want nil: the defaults must start a server", err)
	}
}

func TestLoadReadsEveryVariable(t *testing.T) {
	vars := map[string]string{
		"CAMPAIGN_ADDR":                  "127.0.0.1:9090",
		"CAMPAIGN_DATA_DIR":              "/var/lib/campaign",
		"CAMPAIGN_DATABASE":              "postgres://app:pw@db:5432/campaign?sslmode=disable",
		"CAMPAIGN_BASE_URL":              "https://sign.example.org/",
		"CAMPAIGN_SECRET_KEY":            testKey,
		"CAMPAIGN_SMTP_URL":              "smtps://user:pw@mail.example.org:465",
		"CAMPAIGN_MAIL_FROM":             "Campaign <noreply@example.org>",
		"CAMPAIGN_MAIL_TRANSPORT":        "SMTP",
		"CAMPAIGN_VERIFY":                "none",
		"CAMPAIGN_MAIL_SUBJECT":          "Your request",
		"CAMPAIGN_MAIL_NAME_PETITION":    "true",
		"CAMPAIGN_LOG_FORMAT":            "json",
		"CAMPAIGN_LOG_LEVEL":             "Debug",
		"CAMPAIGN_TRUSTED_PROXIES":       "10.0.0.1, 192.168.0.0/16,",
		"CAMPAIGN_CONTENT_DIR":           "/etc/campaign",
		"CAMPAIGN_MIN_PUBLIC_COUNT":      "25",
		"CAMPAIGN_RATE_LIMIT":            "100/h",
		"CAMPAIGN_MIN_FILL_TIME":         "1500ms",
		"CAMPAIGN_CONFIRM_TTL":           "48h",
		"CAMPAIGN_EMAIL_RETENTION":       "14d",
		"CAMPAIGN_RETENTION_AFTER_CLOSE": "90d",
		"CAMPAIGN_SHUTDOWN_TIMEOUT":      "1m",
		"CAMPAIGN_MAX_BODY_BYTES":        "131072",
		"CAMPAIGN_METRICS_ALLOW":         "10.0.0.0/8, ::1/128",
		"CAMPAIGN_EMBED_ORIGINS":         "https://Partner.Example, http://localhost:3000,https://[2001:db8::1]:8443,https://partner.example",
	}
	c := mustLoad(t, vars)
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"CAMPAIGN_ADDR", c.Addr, "127.0.0.1:9090"},
		{"CAMPAIGN_DATA_DIR", c.DataDir, "/var/lib/campaign"},
		{"CAMPAIGN_DATABASE", c.Database, "postgres://app:pw@db:5432/campaign?sslmode=disable"},
		{"CAMPAIGN_BASE_URL", c.BaseURL, "https://sign.example.org"},
		{"CAMPAIGN_SECRET_KEY", c.SecretKey.Value(), testKey},
		{"CAMPAIGN_SMTP_URL", c.SMTPURL.Value(), "smtps://user:pw@mail.example.org:465"},
		{"CAMPAIGN_MAIL_FROM", c.MailFrom, "Campaign <noreply@example.org>"},
		{"CAMPAIGN_MAIL_TRANSPORT", c.MailTransport, "smtp"},
		{"CAMPAIGN_VERIFY", c.Verify, "none"},
		{"CAMPAIGN_MAIL_SUBJECT", c.MailSubject, "Your request"},
		{"CAMPAIGN_MAIL_NAME_PETITION", c.MailNamePetition, true},
		{"CAMPAIGN_LOG_FORMAT", c.LogFormat, "json"},
		{"CAMPAIGN_LOG_LEVEL", c.LogLevel, "debug"},
		{"CAMPAIGN_TRUSTED_PROXIES", c.TrustedProxies, []string{"10.0.0.1", "192.168.0.0/16"}},
		{"CAMPAIGN_CONTENT_DIR", c.ContentDir, "/etc/campaign"},
		{"CAMPAIGN_MIN_PUBLIC_COUNT", c.MinPublicCount, 25},
		{"CAMPAIGN_RATE_LIMIT", c.RateLimit, RateLimit{Requests: 100, Per: time.Hour}},
		{"CAMPAIGN_MIN_FILL_TIME", c.MinFillTime, 1500 * time.Millisecond},
		{"CAMPAIGN_CONFIRM_TTL", c.ConfirmTokenTTL, 48 * time.Hour},
		{"CAMPAIGN_EMAIL_RETENTION", c.EmailRetention, 14 * 24 * time.Hour},
		{"CAMPAIGN_RETENTION_AFTER_CLOSE", c.RetentionAfterClose, 90 * 24 * time.Hour},
		{"CAMPAIGN_SHUTDOWN_TIMEOUT", c.ShutdownTimeout, time.Minute},
		{"CAMPAIGN_MAX_BODY_BYTES", c.MaxBodyBytes, int64(131072)},
		{"CAMPAIGN_METRICS_ALLOW", c.MetricsAllow, []string{"10.0.0.0/8", "::1/128"}},
		// Lower-cased as browsers compare origins; a repeat is dropped.
		{"CAMPAIGN_EMBED_ORIGINS", c.EmbedOrigins, []string{"https://partner.example", "http://localhost:3000", "https://[2001:db8::1]:8443"}},
	}
	tested := map[string]bool{}
	for _, tt := range tests {
		tested[tt.name] = true
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("%s=%q gave %#v, want %#v", tt.name, vars[tt.name], tt.got, tt.want)
			}
		})
	}
	for _, s := range settings() {
		if s.set != nil && !tested[s.name] {
			t.Errorf("%s is defined in settings() but not covered by this test", s.name)
		}
	}
}

func TestLoadDerivedDefaults(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		got  func(*Config) string
		want string
	}{
		{"database follows absolute data dir", map[string]string{"CAMPAIGN_DATA_DIR": "/srv/c"},
			func(c *Config) string { return c.Database }, "sqlite:///srv/c/campaign.db"},
		{"database follows data dir with trailing slash", map[string]string{"CAMPAIGN_DATA_DIR": "state/"},
			func(c *Config) string { return c.Database }, "sqlite://state/campaign.db"},
		{"explicit database wins over data dir",
			map[string]string{"CAMPAIGN_DATA_DIR": "/srv/c", "CAMPAIGN_DATABASE": "sqlite://other.db"},
			func(c *Config) string { return c.Database }, "sqlite://other.db"},
		{"base URL port from :PORT", map[string]string{"CAMPAIGN_ADDR": ":9000"},
			func(c *Config) string { return c.BaseURL }, "http://localhost:9000"},
		{"base URL host from loopback addr", map[string]string{"CAMPAIGN_ADDR": "127.0.0.1:9000"},
			func(c *Config) string { return c.BaseURL }, "http://127.0.0.1:9000"},
		{"base URL from IPv6 addr", map[string]string{"CAMPAIGN_ADDR": "[::1]:9000"},
			func(c *Config) string { return c.BaseURL }, "http://[::1]:9000"},
		{"base URL drops port 80 and wildcard host", map[string]string{"CAMPAIGN_ADDR": "0.0.0.0:80"},
			func(c *Config) string { return c.BaseURL }, "http://localhost"},
		{"SMTP turns email verification on", smtpEnv(nil),
			func(c *Config) string { return c.Verify + "," + c.MailTransport }, "email,smtp"},
		{"verification can be turned off with SMTP", smtpEnv(map[string]string{"CAMPAIGN_VERIFY": "none"}),
			func(c *Config) string { return c.Verify }, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.got(mustLoad(t, tt.env)); got != tt.want {
				t.Errorf("with %v got %q, want %q", tt.env, got, tt.want)
			}
		})
	}
}

// smtpEnv returns a valid SMTP configuration plus extra.
func smtpEnv(extra map[string]string) map[string]string {
	m := map[string]string{
		"CAMPAIGN_SMTP_URL":  "smtp://user:pw@mail.example.org:587",
		"CAMPAIGN_MAIL_FROM": "Campaign <noreply@example.org>",
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func TestVerifyEmailNeedsAWayToSendMail(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"email without SMTP", map[string]string{"CAMPAIGN_VERIFY": "email"},
			"CAMPAIGN_VERIFY=email needs CAMPAIGN_SMTP_URL"},
		{"email with explicit file transport", map[string]string{"CAMPAIGN_VERIFY": "email", "CAMPAIGN_MAIL_TRANSPORT": "file"}, ""},
		{"email with SMTP", smtpEnv(map[string]string{"CAMPAIGN_VERIFY": "email"}), ""},
		{"file transport with SMTP configured", smtpEnv(map[string]string{"CAMPAIGN_MAIL_TRANSPORT": "file"}), ""},
		{"smtp transport without SMTP URL", map[string]string{"CAMPAIGN_MAIL_TRANSPORT": "smtp"},
			"CAMPAIGN_MAIL_TRANSPORT: smtp needs CAMPAIGN_SMTP_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.env), "")
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Load(%v) failed, want success:\n%v", tt.env, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Load(%v) error = %v, want one containing %q", tt.env, err, tt.wantErr)
			}
		})
	}
}

func TestSQLitePath(t *testing.T) {
	tests := []struct {
		database string
		want     string
		wantOK   bool
	}{
		{"sqlite://./data/campaign.db", "./data/campaign.db", true},
		{"sqlite://campaign.db", "campaign.db", true},
		{"sqlite:///var/lib/c.db", "/var/lib/c.db", true},
		{"postgres://u:p@db/campaign", "", false},
		{"postgresql://db/campaign", "", false},
		{"sqlite://", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.database, func(t *testing.T) {
			c := &Config{Database: tt.database}
			got, ok := c.SQLitePath()
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("SQLitePath() = %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestSecretKeyPath(t *testing.T) {
	c := &Config{DataDir: "/srv/campaign"}
	if got, want := c.SecretKeyPath(), filepath.Join("/srv/campaign", "secret.key"); got != want {
		t.Errorf("SecretKeyPath() = %q, want %q", got, want)
	}
}

func TestRateLimit(t *testing.T) {
	tests := []struct {
		in     string
		want   RateLimit
		wantTo string
	}{
		{"20/1m", RateLimit{Requests: 20, Per: time.Minute}, "20/1m0s"},
		{"20/m", RateLimit{Requests: 20, Per: time.Minute}, "20/1m0s"},
		{"5/s", RateLimit{Requests: 5, Per: time.Second}, "5/1s"},
		{"100/1h", RateLimit{Requests: 100, Per: time.Hour}, "100/1h0m0s"},
		{"10 / 10m", RateLimit{Requests: 10, Per: 10 * time.Minute}, "10/10m0s"},
		{"3/d", RateLimit{Requests: 3, Per: 24 * time.Hour}, "3/24h0m0s"},
		{"OFF", RateLimit{Off: true}, "off"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseRateLimit(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("parseRateLimit(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
			if got.String() != tt.wantTo {
				t.Errorf("String() = %q, want %q", got.String(), tt.wantTo)
			}
			again, err := parseRateLimit(formatRateLimit(got))
			if err != nil || again != got {
				t.Errorf("the Summary form %q does not load back: %+v, %v", formatRateLimit(got), again, err)
			}
		})
	}
}

func TestDurationsRoundTrip(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		text string
	}{
		{"30d", 720 * time.Hour, "30d"},
		{"168h", 168 * time.Hour, "7d"},
		{"1h30m", 90 * time.Minute, "1h30m"},
		{"1m", time.Minute, "1m"},
		{"3s", 3 * time.Second, "3s"},
		{"250ms", 250 * time.Millisecond, "250ms"},
		{"0", 0, "0s"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseDuration(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("parseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			if text := formatDuration(got); text != tt.text {
				t.Errorf("formatDuration(%v) = %q, want %q", got, text, tt.text)
			}
		})
	}
}
