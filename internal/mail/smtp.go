package mail

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// smtpTimeout bounds connecting and each step of the conversation.
const smtpTimeout = 10 * time.Second

// SMTP delivers mail to an SMTP server, one connection per message.
type SMTP struct {
	client *gomail.Client
	from   sender
}

// smtpConfig is what an SMTP URL says.
type smtpConfig struct {
	host           string
	port           int
	implicitTLS    bool // smtps://
	requireTLS     bool // STARTTLS mandatory
	insecure       bool // skip certificate verification
	user, password string
	auth           bool
}

// NewSMTP configures delivery from a URL:
//
//	smtp://user:pass@host:587   STARTTLS (mandatory: credentials never travel in clear), then AUTH
//	smtps://user:pass@host:465  implicit TLS, then AUTH
//	smtp://host:25              no AUTH; STARTTLS when the server offers it
//
// The port defaults to 465 for smtps, 587 for smtp with credentials and 25
// otherwise. Query parameters: tls=required makes STARTTLS mandatory without
// credentials; insecure=1 skips certificate verification (for tests with
// self-signed certificates). from is the sender, "Name <addr>". Errors never
// repeat the URL, which holds a password.
func NewSMTP(rawURL, from string) (*SMTP, error) {
	snd, err := parseSender(from)
	if err != nil {
		return nil, err
	}
	cfg, err := parseSMTPURL(rawURL)
	if err != nil {
		return nil, err
	}
	// InsecureSkipVerify only when the URL asks for it, for test servers.
	tlsConf := &tls.Config{ServerName: cfg.host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.insecure}
	policy := gomail.TLSOpportunistic
	if cfg.requireTLS {
		policy = gomail.TLSMandatory
	}
	opts := []gomail.Option{
		gomail.WithPort(cfg.port),
		gomail.WithTimeout(smtpTimeout),
		gomail.WithTLSConfig(tlsConf),
		gomail.WithTLSPolicy(policy),
	}
	if cfg.implicitTLS {
		opts = append(opts, gomail.WithSSL())
	}
	if cfg.auth {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(cfg.user), gomail.WithPassword(cfg.password))
	}
	client, err := gomail.NewClient(cfg.host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP client: %w", err)
	}
	return &SMTP{client: client, from: snd}, nil
}

func parseSMTPURL(rawURL string) (smtpConfig, error) {
	invalid := func(why string) (smtpConfig, error) {
		return smtpConfig{}, fmt.Errorf("mail: SMTP URL %s; want smtp://user:pass@host:587, smtps://user:pass@host:465 or smtp://host:25", why)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return invalid("cannot be parsed")
	}
	var cfg smtpConfig
	switch u.Scheme {
	case "smtp":
	case "smtps":
		cfg.implicitTLS = true
	default:
		return invalid("must start with smtp:// or smtps://")
	}
	if cfg.host = u.Hostname(); cfg.host == "" {
		return invalid("has no host")
	}
	if u.User != nil {
		cfg.auth = true
		cfg.user = u.User.Username()
		cfg.password, _ = u.User.Password()
		cfg.requireTLS = true
	}
	switch {
	case u.Port() != "":
		if cfg.port, err = strconv.Atoi(u.Port()); err != nil || cfg.port < 1 || cfg.port > 65535 {
			return invalid("has an invalid port")
		}
	case cfg.implicitTLS:
		cfg.port = 465
	case cfg.auth:
		cfg.port = 587
	default:
		cfg.port = 25
	}
	q := u.Query()
	for k, vs := range q {
		// An unknown or misspelt option must not silently weaken security.
		switch {
		case k == "tls" && len(vs) == 1 && vs[0] == "required":
			cfg.requireTLS = true
		case k == "insecure" && len(vs) == 1 && (vs[0] == "1" || vs[0] == "true"):
			cfg.insecure = true
		default:
			return invalid(fmt.Sprintf("has an unknown option %q (known: tls=required, insecure=1)", k))
		}
	}
	if u.Path != "" && u.Path != "/" {
		return invalid("must not have a path")
	}
	return cfg, nil
}

// Send delivers m. Errors are *DeliveryError.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := s.from.build(m)
	if err != nil {
		return err
	}
	if err := s.client.DialAndSendWithContext(ctx, msg); err != nil {
		class, permanent := smtpErrorClass(err)
		return &DeliveryError{Class: class, Permanent: permanent}
	}
	return nil
}
