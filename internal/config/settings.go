package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// setting defines one CAMPAIGN_* variable. The table in settings() is the
// single source for Load, Usage, Summary and the tests.
type setting struct {
	name    string
	desc    string                          // one line, for Usage
	file    bool                            // NAME_FILE may hold the path of a file with the value
	defNote string                          // default shown by Usage when it is derived or empty
	set     func(c *Config, v string) error // parses v into c; nil when Load reads it otherwise
	get     func(c *Config) string          // value for Summary, masked for secrets; nil to skip
}

// settings lists every variable Load reads, in the order Usage shows them.
func settings() []setting {
	return []setting{
		{name: envFileVar, defNote: "(none)",
			desc: "env file of KEY=VALUE lines read at start; the environment wins over it"},
		text("CAMPAIGN_ADDR", "address to listen on, HOST:PORT or :PORT",
			func(c *Config) *string { return &c.Addr }),
		text("CAMPAIGN_DATA_DIR", "directory for the default SQLite database and secret key file",
			func(c *Config) *string { return &c.DataDir }),
		{name: "CAMPAIGN_DATABASE", file: true, defNote: "sqlite://DATA_DIR/campaign.db",
			desc: "sqlite://PATH (relative or absolute) or postgres://USER:PASS@HOST/DB",
			set:  func(c *Config, v string) error { c.Database = strings.TrimSpace(v); return nil },
			get:  func(c *Config) string { return redactDatabase(c.Database) }},
		{name: "CAMPAIGN_BASE_URL", defNote: "http://localhost:PORT",
			desc: "public http(s) URL of the site, used in emails and links",
			set: func(c *Config, v string) error {
				c.BaseURL = strings.TrimRight(strings.TrimSpace(v), "/")
				return nil
			},
			get: func(c *Config) string { return c.BaseURL }},
		secret("CAMPAIGN_SECRET_KEY", "DATA_DIR/secret.key",
			"64 hex characters (32 bytes) protecting stored personal data",
			func(c *Config) *Secret { return &c.SecretKey }),
		secret("CAMPAIGN_SMTP_URL", "(none)",
			"smtp://USER:PASS@HOST:587 or smtps://USER:PASS@HOST:465; empty means no SMTP",
			func(c *Config) *Secret { return &c.SMTPURL }),
		text("CAMPAIGN_MAIL_FROM", `sender address, e.g. "Campaign <noreply@example.org>"; required with SMTP`,
			func(c *Config) *string { return &c.MailFrom }),
		text("CAMPAIGN_MAIL_SUBJECT", "subject of confirmation mails; keep it neutral, a watched inbox may be read",
			func(c *Config) *string { return &c.MailSubject }),
		{name: "CAMPAIGN_MAIL_NAME_PETITION",
			desc: `"true" to name the petition in mails; by default only the linked page does`,
			set: func(c *Config, v string) error {
				b, err := strconv.ParseBool(strings.TrimSpace(v))
				if err != nil {
					return fmt.Errorf("%q is not true or false", v)
				}
				c.MailNamePetition = b
				return nil
			},
			get: func(c *Config) string { return strconv.FormatBool(c.MailNamePetition) }},
		word("CAMPAIGN_MAIL_TRANSPORT", "smtp if SMTP is set, else file",
			`how mail leaves: "smtp", or "file" to write .eml files instead of sending`,
			func(c *Config) *string { return &c.MailTransport }),
		word("CAMPAIGN_VERIFY", "email if SMTP is set, else none",
			`"email" to confirm signatures by email, or "none"`,
			func(c *Config) *string { return &c.Verify }),
		word("CAMPAIGN_LOG_FORMAT", "", `log format: "text" or "json"`,
			func(c *Config) *string { return &c.LogFormat }),
		word("CAMPAIGN_LOG_LEVEL", "", `log level: "debug", "info", "warn" or "error"`,
			func(c *Config) *string { return &c.LogLevel }),
		{name: "CAMPAIGN_TRUSTED_PROXIES", defNote: "(none)",
			desc: "comma-separated proxy IPs or CIDRs whose X-Forwarded-For is believed",
			set:  func(c *Config, v string) error { c.TrustedProxies = splitList(v); return nil },
			get:  func(c *Config) string { return strings.Join(c.TrustedProxies, ",") }},
		{name: "CAMPAIGN_EMBED_ORIGINS", defNote: "(none: only this site)",
			desc: "comma-separated origins (https://partner.example) whose pages may frame the signing widget /embed/SLUG",
			set: func(c *Config, v string) error {
				origins, err := parseOrigins(v)
				if err != nil {
					return err
				}
				c.EmbedOrigins = origins
				return nil
			},
			get: func(c *Config) string { return strings.Join(c.EmbedOrigins, ",") }},
		text("CAMPAIGN_CONTENT_DIR", "directory of the campaign content: article, petitions, targets, letters",
			func(c *Config) *string { return &c.ContentDir }),
		integer("CAMPAIGN_MIN_PUBLIC_COUNT", "public per-country counts below this show as \"fewer than N\"",
			func(c *Config) *int { return &c.MinPublicCount }),
		{name: "CAMPAIGN_RATE_LIMIT",
			desc: `form submissions allowed per client, N/DURATION such as "20/1m", or "off"`,
			set: func(c *Config, v string) error {
				r, err := parseRateLimit(v)
				if err != nil {
					return err
				}
				c.RateLimit = r
				return nil
			},
			get: func(c *Config) string { return formatRateLimit(c.RateLimit) }},
		duration("CAMPAIGN_MIN_FILL_TIME", "forms submitted faster than this are treated as bots",
			func(c *Config) *time.Duration { return &c.MinFillTime }),
		duration("CAMPAIGN_CONFIRM_TTL", "how long a confirmation link stays valid",
			func(c *Config) *time.Duration { return &c.ConfirmTokenTTL }),
		duration("CAMPAIGN_EMAIL_RETENTION", "how long signer email addresses are kept (\"30d\" or Go duration)",
			func(c *Config) *time.Duration { return &c.EmailRetention }),
		duration("CAMPAIGN_RETENTION_AFTER_CLOSE", "how long signers' personal data is kept after their petition closes",
			func(c *Config) *time.Duration { return &c.RetentionAfterClose }),
		duration("CAMPAIGN_SHUTDOWN_TIMEOUT", "how long a stopping server waits for requests to finish",
			func(c *Config) *time.Duration { return &c.ShutdownTimeout }),
		{name: "CAMPAIGN_METRICS_ALLOW",
			desc: `comma-separated CIDRs allowed to read /metrics; "none" to refuse everyone`,
			set: func(c *Config, v string) error {
				if strings.TrimSpace(strings.ToLower(v)) == "none" {
					c.MetricsAllow = nil
					return nil
				}
				list := splitList(v)
				for _, cidr := range list {
					if _, err := netip.ParsePrefix(cidr); err != nil {
						return fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8 or ::1/128", cidr)
					}
				}
				c.MetricsAllow = list
				return nil
			},
			get: func(c *Config) string { return strings.Join(c.MetricsAllow, ",") }},
		{name: "CAMPAIGN_MAX_BODY_BYTES", desc: "largest request body accepted, in bytes",
			set: func(c *Config, v string) error {
				n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				if err != nil {
					return fmt.Errorf("%q is not a whole number of bytes; use e.g. 65536", v)
				}
				c.MaxBodyBytes = n
				return nil
			},
			get: func(c *Config) string { return strconv.FormatInt(c.MaxBodyBytes, 10) }},
	}
}

// knownNames returns every name an env file may set, _FILE variants included.
func knownNames(defs []setting) map[string]bool {
	known := make(map[string]bool, 2*len(defs))
	for _, s := range defs {
		known[s.name] = true
		if s.file {
			known[s.name+"_FILE"] = true
		}
	}
	return known
}

// text is a free-form string setting.
func text(name, desc string, field func(*Config) *string) setting {
	return setting{name: name, desc: desc,
		set: func(c *Config, v string) error { *field(c) = strings.TrimSpace(v); return nil },
		get: func(c *Config) string { return *field(c) },
	}
}

// word is a keyword setting; case does not matter. Validate checks the value.
func word(name, defNote, desc string, field func(*Config) *string) setting {
	s := text(name, desc, field)
	s.defNote = defNote
	s.set = func(c *Config, v string) error { *field(c) = strings.ToLower(strings.TrimSpace(v)); return nil }
	return s
}

// secret is a setting that also accepts NAME_FILE and never prints.
func secret(name, defNote, desc string, field func(*Config) *Secret) setting {
	return setting{name: name, desc: desc, file: true, defNote: defNote,
		set: func(c *Config, v string) error { *field(c) = NewSecret(v); return nil },
		get: func(c *Config) string {
			if field(c).IsSet() {
				return mask
			}
			return ""
		},
	}
}

func integer(name, desc string, field func(*Config) *int) setting {
	return setting{name: name, desc: desc,
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%q is not a whole number; use e.g. %d", v, *field(base()))
			}
			*field(c) = n
			return nil
		},
		get: func(c *Config) string { return strconv.Itoa(*field(c)) },
	}
}

func duration(name, desc string, field func(*Config) *time.Duration) setting {
	return setting{name: name, desc: desc,
		set: func(c *Config, v string) error {
			d, err := parseDuration(v)
			if err != nil {
				return fmt.Errorf("%q is not a duration; use e.g. %q (units ms, s, m, h, d)",
					v, formatDuration(*field(base())))
			}
			*field(c) = d
			return nil
		},
		get: func(c *Config) string { return formatDuration(*field(c)) },
	}
}

// parseDuration accepts Go durations ("90s", "1h30m") and whole days ("30d").
func parseDuration(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if days, ok := strings.CutSuffix(v, "d"); ok && len(days) <= 6 && isDigits(days) {
		n, _ := strconv.Atoi(days)
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(v)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// formatDuration writes d the way a person would type it: "3s", "1m",
// "1h30m", "7d".
func formatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d > 0 && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// parseRateLimit reads "off" or N/DURATION, where DURATION may be a bare
// unit: "20/m" means 20 per minute. Validate checks the ranges.
func parseRateLimit(v string) (RateLimit, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "off" {
		return RateLimit{Off: true}, nil
	}
	bad := fmt.Errorf(`%q is not valid; use N/DURATION such as "20/1m", "100/1h" or "5/s", or "off"`, v)
	n, per, ok := strings.Cut(v, "/")
	if !ok {
		return RateLimit{}, bad
	}
	count, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil {
		return RateLimit{}, bad
	}
	per = strings.TrimSpace(per)
	switch per {
	case "ms", "s", "m", "h", "d":
		per = "1" + per
	}
	d, err := parseDuration(per)
	if err != nil {
		return RateLimit{}, bad
	}
	return RateLimit{Requests: count, Per: d}, nil
}

// formatRateLimit is RateLimit.String in the form a person would type.
func formatRateLimit(r RateLimit) string {
	if r.Off {
		return "off"
	}
	return strconv.Itoa(r.Requests) + "/" + formatDuration(r.Per)
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(v string) []string {
	var out []string
	for item := range strings.SplitSeq(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// redactDatabase hides the password of a postgres URL.
func redactDatabase(db string) string {
	if strings.HasPrefix(db, "sqlite://") {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return mask
	}
	return u.Redacted()
}

// originHost is a host name or an IP address (IPv6 in brackets), nothing
// else: the value goes into a Content-Security-Policy header as it is.
var originHost = regexp.MustCompile(`^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])$`)

// parseOrigins reads a comma-separated list of web origins: http or https,
// a host and an optional port, nothing more. Scheme and host are
// lower-cased, as browsers compare them.
func parseOrigins(v string) ([]string, error) {
	var out []string
	for _, item := range splitList(v) {
		origin, err := parseOrigin(item)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, origin) {
			out = append(out, origin)
		}
	}
	return out, nil
}

func parseOrigin(item string) (string, error) {
	bad := func(why string) error {
		return fmt.Errorf("%q is not an origin (%s); write the scheme, host and optional port only, such as https://partner.example or https://partner.example:8443", item, why)
	}
	u, err := url.Parse(item)
	switch {
	case err != nil || u.Opaque != "":
		return "", bad("not a URL")
	case u.Scheme == "":
		return "", bad("no scheme")
	case !strings.EqualFold(u.Scheme, "https") && !strings.EqualFold(u.Scheme, "http"):
		return "", bad("the scheme must be https or http")
	case u.User != nil:
		return "", bad("no user name or password")
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(item, "?#"):
		return "", bad("no path, query or fragment, not even a final /")
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(u.Host, "[") {
		host = "[" + host + "]"
	}
	if !originHost.MatchString(host) {
		return "", bad("the host must be a domain name or an IP address")
	}
	origin := strings.ToLower(u.Scheme) + "://" + host
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", bad("the port must be a number from 1 to 65535")
		}
		origin += ":" + port
	} else if strings.HasSuffix(u.Host, ":") {
		return "", bad("the port is empty")
	}
	return origin, nil
}
