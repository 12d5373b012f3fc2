package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Validate checks every setting and returns an error listing each problem
// on its own line, naming the variable and what it accepts. Secret values
// are never quoted in the messages.
func (c *Config) Validate() error {
	var p problems
	c.validateServer(&p)
	c.validateMail(&p)
	c.validateLogging(&p)
	c.validateLimits(&p)
	return p.err()
}

// problems collects one message per invalid setting.
type problems []string

func (p *problems) add(name, format string, args ...any) {
	*p = append(*p, name+": "+fmt.Sprintf(format, args...))
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	errs := make([]error, len(p))
	for i, msg := range p {
		errs[i] = errors.New(msg)
	}
	return errors.Join(errs...)
}

func (c *Config) validateServer(p *problems) {
	if !validAddr(c.Addr) {
		p.add("CAMPAIGN_ADDR", `%q is not valid; use HOST:PORT or :PORT, e.g. ":8080" or "127.0.0.1:8080"`, c.Addr)
	}
	if strings.TrimSpace(c.DataDir) == "" {
		p.add("CAMPAIGN_DATA_DIR", `is empty; use a directory path, e.g. "./data"`)
	}
	if msg := checkDatabase(c.Database); msg != "" {
		p.add("CAMPAIGN_DATABASE", "%s; use sqlite://PATH (e.g. sqlite://./data/campaign.db or "+
			"sqlite:///var/lib/campaign/campaign.db) or postgres://USER:PASS@HOST:5432/DB", msg)
	}
	if !validBaseURL(c.BaseURL) {
		p.add("CAMPAIGN_BASE_URL", `%q is not valid; use an absolute http:// or https:// URL without `+
			`user, query or fragment, e.g. "https://campaign.example.org"`, c.BaseURL)
	}
	if k := c.SecretKey.Value(); k != "" {
		if _, err := hex.DecodeString(k); err != nil || len(k) != 64 {
			p.add("CAMPAIGN_SECRET_KEY", "is not valid (%d characters); use 64 hexadecimal characters "+
				`(32 bytes), e.g. from "openssl rand -hex 32", or leave it unset to use DATA_DIR/secret.key`, len(k))
		}
	}
	for _, proxy := range c.TrustedProxies {
		if !validProxy(proxy) {
			p.add("CAMPAIGN_TRUSTED_PROXIES", `%q is not an IP address or CIDR; use a comma-separated list `+
				`such as "10.0.0.1,192.168.0.0/16"`, proxy)
		}
	}
	if strings.TrimSpace(c.ContentDir) == "" {
		p.add("CAMPAIGN_CONTENT_DIR", `is empty; use a directory path, e.g. "./config"`)
	}
}

func (c *Config) validateMail(p *problems) {
	const smtpForms = `smtp://USER:PASS@HOST:587 or smtps://USER:PASS@HOST:465`
	if c.SMTPURL.IsSet() {
		u, err := url.Parse(c.SMTPURL.Value())
		switch {
		case err != nil:
			p.add("CAMPAIGN_SMTP_URL", "is not a valid URL; use %s", smtpForms)
		case u.Scheme != "smtp" && u.Scheme != "smtps":
			p.add("CAMPAIGN_SMTP_URL", "scheme %q is not valid; use %s", u.Scheme, smtpForms)
		case u.Hostname() == "":
			p.add("CAMPAIGN_SMTP_URL", "has no host; use %s", smtpForms)
		}
	}
	const fromExample = `e.g. "Campaign <noreply@example.org>"`
	if c.MailFrom != "" {
		if _, err := mail.ParseAddress(c.MailFrom); err != nil {
			p.add("CAMPAIGN_MAIL_FROM", "%q is not a valid address; use %s", c.MailFrom, fromExample)
		}
	} else if c.SMTPURL.IsSet() {
		p.add("CAMPAIGN_MAIL_FROM", "is required when CAMPAIGN_SMTP_URL is set; use %s", fromExample)
	}
	switch c.MailTransport {
	case "smtp":
		if !c.SMTPURL.IsSet() {
			p.add("CAMPAIGN_MAIL_TRANSPORT", "smtp needs CAMPAIGN_SMTP_URL; set it, or use "+
				"CAMPAIGN_MAIL_TRANSPORT=file to write .eml files")
		}
	case "file":
	default:
		p.add("CAMPAIGN_MAIL_TRANSPORT", `%q is not valid; use "smtp" or "file"`, c.MailTransport)
	}
	switch c.Verify {
	case "email":
		fileChosen := c.MailTransport == "file" && !c.autoTransport
		if !c.SMTPURL.IsSet() && !fileChosen {
			*p = append(*p, "CAMPAIGN_VERIFY=email needs CAMPAIGN_SMTP_URL to send confirmation emails; "+
				"set CAMPAIGN_SMTP_URL, or use CAMPAIGN_VERIFY=none, or set CAMPAIGN_MAIL_TRANSPORT=file "+
				"to write the emails as .eml files")
		}
	case "none":
	default:
		p.add("CAMPAIGN_VERIFY", `%q is not valid; use "email" or "none"`, c.Verify)
	}
}

func (c *Config) validateLogging(p *problems) {
	switch c.LogFormat {
	case "text", "json":
	default:
		p.add("CAMPAIGN_LOG_FORMAT", `%q is not valid; use "text" or "json"`, c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		p.add("CAMPAIGN_LOG_LEVEL", `%q is not valid; use "debug", "info", "warn" or "error"`, c.LogLevel)
	}
}

func (c *Config) validateLimits(p *problems) {
	if c.MinPublicCount < 1 {
		p.add("CAMPAIGN_MIN_PUBLIC_COUNT", "%d is too small; use a whole number of at least 1, e.g. 10", c.MinPublicCount)
	}
	if r := c.RateLimit; !r.Off && (r.Requests < 1 || r.Per <= 0) {
		p.add("CAMPAIGN_RATE_LIMIT", `%q is not valid; use N/DURATION with N at least 1 and a positive `+
			`duration, such as "20/1m", or "off"`, formatRateLimit(r))
	}
	if c.MinFillTime < 0 {
		p.add("CAMPAIGN_MIN_FILL_TIME", `%s is negative; use a duration of 0s or more, e.g. "3s"`, c.MinFillTime)
	}
	positive := []struct {
		name    string
		value   time.Duration
		example string
	}{
		{"CAMPAIGN_CONFIRM_TTL", c.ConfirmTokenTTL, `"168h" or "7d"`},
		{"CAMPAIGN_EMAIL_RETENTION", c.EmailRetention, `"720h" or "30d"`},
		{"CAMPAIGN_RETENTION_AFTER_CLOSE", c.RetentionAfterClose, `"180d"`},
		{"CAMPAIGN_SHUTDOWN_TIMEOUT", c.ShutdownTimeout, `"30s"`},
	}
	for _, d := range positive {
		if d.value <= 0 {
			p.add(d.name, "%s is not positive; use a duration above zero, e.g. %s", d.value, d.example)
		}
	}
	if c.MaxBodyBytes < 1024 {
		p.add("CAMPAIGN_MAX_BODY_BYTES", "%d is too small; use a number of bytes of at least 1024, e.g. 65536", c.MaxBodyBytes)
	}
}

// validAddr accepts HOST:PORT and :PORT with a numeric port.
func validAddr(addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}

// checkDatabase returns what is wrong with a database URL, or "". It never
// quotes the URL, which may carry a password.
func checkDatabase(db string) string {
	if path, ok := strings.CutPrefix(db, "sqlite://"); ok {
		if path == "" {
			return "sqlite:// has no path"
		}
		return ""
	}
	scheme, _, ok := strings.Cut(db, "://")
	if !ok {
		return "is not a database URL"
	}
	if scheme != "postgres" && scheme != "postgresql" {
		return fmt.Sprintf("scheme %q is not supported", scheme)
	}
	u, err := url.Parse(db)
	if err != nil {
		return "is not a valid postgres URL"
	}
	if u.Hostname() == "" {
		return "postgres URL has no host"
	}
	return ""
}

func validBaseURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		u.User == nil && u.RawQuery == "" && !u.ForceQuery && u.Fragment == "" && !strings.Contains(s, "#")
}

func validProxy(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	_, err := netip.ParsePrefix(s)
	return err == nil
}
