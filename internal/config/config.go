// Package config reads the campaign's settings from CAMPAIGN_* environment
// variables and an optional env file, fills in defaults and validates them.
//
// Every variable is defined once, in settings(); Load, Usage and Summary all
// walk that table so that they cannot drift apart.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// envFileVar names the env file when Load is not given one.
const envFileVar = "CAMPAIGN_ENV_FILE"

// Config holds every setting of the campaign server and its subcommands.
type Config struct {
	Addr          string // CAMPAIGN_ADDR: listen address, HOST:PORT or :PORT
	DataDir       string // CAMPAIGN_DATA_DIR: database and secret key file live here by default
	Database      string // CAMPAIGN_DATABASE: sqlite://PATH or postgres://…
	BaseURL       string // CAMPAIGN_BASE_URL: public absolute URL, without trailing slash
	SecretKey     Secret // CAMPAIGN_SECRET_KEY(_FILE): 64 hex characters; empty means DataDir/secret.key
	SMTPURL       Secret // CAMPAIGN_SMTP_URL(_FILE): smtp:// or smtps://; empty means no SMTP
	MailFrom      string // CAMPAIGN_MAIL_FROM: sender address, required with SMTP
	MailTransport string // CAMPAIGN_MAIL_TRANSPORT: "smtp" or "file" (.eml files)
	MailSubject   string // CAMPAIGN_MAIL_SUBJECT: neutral subject of confirmation mails
	// MailNamePetition (CAMPAIGN_MAIL_NAME_PETITION) names the petition in
	// mail bodies; off by default, so a watched inbox shows nothing telling.
	MailNamePetition bool
	Verify           string        // CAMPAIGN_VERIFY: "email" or "none"
	LogFormat        string        // CAMPAIGN_LOG_FORMAT: "text" or "json"
	LogLevel         string        // CAMPAIGN_LOG_LEVEL: debug, info, warn or error
	TrustedProxies   []string      // CAMPAIGN_TRUSTED_PROXIES: IPs or CIDRs allowed to set X-Forwarded-For
	ContentDir       string        // CAMPAIGN_CONTENT_DIR: the campaign as data (article, petitions, …)
	MinPublicCount   int           // CAMPAIGN_MIN_PUBLIC_COUNT: smaller public counts are hidden
	RateLimit        RateLimit     // CAMPAIGN_RATE_LIMIT: submissions per client and period
	MinFillTime      time.Duration // CAMPAIGN_MIN_FILL_TIME: forms submitted faster are treated as bots
	ConfirmTokenTTL  time.Duration // CAMPAIGN_CONFIRM_TTL: lifetime of confirmation links
	EmailRetention   time.Duration // CAMPAIGN_EMAIL_RETENTION: how long signer emails are kept
	// RetentionAfterClose (CAMPAIGN_RETENTION_AFTER_CLOSE) is how long the
	// personal data of a petition's signers is kept once it has closed;
	// counts, keyed email hashes and letter digests stay.
	RetentionAfterClose time.Duration
	ShutdownTimeout     time.Duration // CAMPAIGN_SHUTDOWN_TIMEOUT: grace period for a clean stop
	MaxBodyBytes        int64         // CAMPAIGN_MAX_BODY_BYTES: request body limit
	MetricsAllow        []string      // CAMPAIGN_METRICS_ALLOW: CIDRs that may read /metrics
	// EmbedOrigins (CAMPAIGN_EMBED_ORIGINS) are the partner origins, such
	// as https://partner.example, whose pages may frame /embed/SLUG.
	EmbedOrigins []string

	// autoTransport records that MailTransport was filled in by default
	// rather than chosen, so that Validate only lets CAMPAIGN_VERIFY=email
	// run without SMTP when the file transport was asked for on purpose.
	autoTransport bool
}

// RateLimit allows Requests submissions per client in each period Per,
// unless Off is set.
type RateLimit struct {
	Requests int
	Per      time.Duration
	Off      bool
}

// String returns the limit as "20/1m0s", or "off".
func (r RateLimit) String() string {
	if r.Off {
		return "off"
	}
	return fmt.Sprintf("%d/%s", r.Requests, r.Per)
}

// Default returns the configuration used when nothing is set: the same
// result as Load with an empty environment.
func Default() *Config {
	c := base()
	c.applyDerived()
	return c
}

// base holds the fixed defaults; the derived ones are left empty.
func base() *Config {
	return &Config{
		Addr:                ":8080",
		DataDir:             "./data",
		LogFormat:           "text",
		LogLevel:            "info",
		ContentDir:          "./config",
		MinPublicCount:      10,
		RateLimit:           RateLimit{Requests: 20, Per: time.Minute},
		MinFillTime:         3 * time.Second,
		ConfirmTokenTTL:     168 * time.Hour,
		MailSubject:         "Please confirm your signature",
		MetricsAllow:        []string{"127.0.0.1/32", "::1/128"},
		EmailRetention:      30 * 24 * time.Hour,
		RetentionAfterClose: 180 * 24 * time.Hour,
		ShutdownTimeout:     30 * time.Second,
		MaxBodyBytes:        65536,
	}
}

// applyDerived fills the settings whose default depends on other settings.
func (c *Config) applyDerived() {
	if c.Database == "" {
		dir := strings.TrimRight(c.DataDir, "/")
		c.Database = "sqlite://" + dir + "/campaign.db"
	}
	if c.BaseURL == "" {
		c.BaseURL = baseURLFromAddr(c.Addr)
	}
	if c.Verify == "" {
		c.Verify = "none"
		if c.SMTPURL.IsSet() {
			c.Verify = "email"
		}
	}
	if c.MailTransport == "" {
		c.MailTransport = "file"
		if c.SMTPURL.IsSet() {
			c.MailTransport = "smtp"
		}
		c.autoTransport = true
	}
}

// baseURLFromAddr guesses the URL a local browser would use: ":9000" gives
// "http://localhost:9000".
func baseURLFromAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return "http://localhost:8080"
	}
	if ip, err := netip.ParseAddr(host); host == "" || (err == nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	if port == "80" {
		if strings.Contains(host, ":") {
			return "http://[" + host + "]"
		}
		return "http://" + host
	}
	return "http://" + net.JoinHostPort(host, port)
}

// Load reads the settings through lookup (os.LookupEnv in production) and
// the env file envFile, or the one named by CAMPAIGN_ENV_FILE when envFile
// is "". A variable set in the environment wins over the env file; an
// empty value counts as unset. Load then fills in defaults and validates;
// the error lists every problem, one per line.
func Load(lookup func(string) (string, bool), envFile string) (*Config, error) {
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	defs := settings()
	fileVals, err := loadEnvFile(lookup, envFile, defs)
	if err != nil {
		return nil, err
	}
	fromFile := func(key string) (string, bool) {
		v, ok := fileVals[key]
		return v, ok
	}

	c := base()
	var errs []error
	for _, s := range defs {
		if s.set == nil {
			continue
		}
		v, ok, err := resolve(s, lookup, fromFile)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok {
			continue
		}
		if err := s.set(c, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
		}
	}
	c.applyDerived()
	if err := c.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// loadEnvFile reads the env file, if any, into a map.
func loadEnvFile(lookup func(string) (string, bool), path string, defs []setting) (map[string]string, error) {
	label := "env file"
	if path == "" {
		path, _ = lookup(envFileVar)
		label = envFileVar
	}
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read %q: %w", label, path, cause(err))
	}
	defer f.Close()
	return readEnvFile(f, path, knownNames(defs))
}

// resolve finds the raw value of one setting: the environment first, then
// the env file. Within one source, NAME and NAME_FILE exclude each other.
func resolve(s setting, sources ...func(string) (string, bool)) (string, bool, error) {
	for _, get := range sources {
		v, hasValue := nonEmpty(get, s.name)
		if !s.file {
			if hasValue {
				return v, true, nil
			}
			continue
		}
		fileVar := s.name + "_FILE"
		path, hasFile := nonEmpty(get, fileVar)
		switch {
		case hasValue && hasFile:
			return "", false, fmt.Errorf("%s and %s are both set; set only one of them", s.name, fileVar)
		case hasValue:
			return v, true, nil
		case hasFile:
			v, err := readSecretFile(fileVar, path)
			return v, err == nil, err
		}
	}
	return "", false, nil
}

// cause drops the path from an *fs.PathError, which the message already
// quotes.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func nonEmpty(get func(string) (string, bool), key string) (string, bool) {
	v, ok := get(key)
	return v, ok && v != ""
}

// readSecretFile reads a NAME_FILE value, dropping the trailing newline
// that editors and `echo` add.
func readSecretFile(fileVar, path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: cannot read %q: %w", fileVar, path, cause(err))
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return "", fmt.Errorf("%s: file %q is empty; put the value in it or unset %s", fileVar, path, fileVar)
	}
	return v, nil
}

// SQLitePath returns the path part of a sqlite:// database URL
// ("sqlite://./data/campaign.db" gives "./data/campaign.db") and false for
// any other database.
func (c *Config) SQLitePath() (string, bool) {
	p, ok := strings.CutPrefix(c.Database, "sqlite://")
	if !ok || p == "" {
		return "", false
	}
	return p, true
}

// SecretKeyPath returns the key file used when CAMPAIGN_SECRET_KEY is not
// set: DataDir/secret.key.
func (c *Config) SecretKeyPath() string {
	return filepath.Join(c.DataDir, "secret.key")
}

// Summary returns one "CAMPAIGN_X=value" line per setting, for logging at
// start-up. Secrets show as "****" and database passwords are redacted.
func (c *Config) Summary() []string {
	var lines []string
	for _, s := range settings() {
		if s.get != nil {
			lines = append(lines, s.name+"="+s.get(c))
		}
	}
	return lines
}
