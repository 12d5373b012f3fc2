package mail_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/mail"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

const testFrom = "Signatures <no-reply@example.org>"

func newSMTP(t *testing.T, rawURL string) *mail.SMTP {
	t.Helper()
	s, err := mail.NewSMTP(rawURL, testFrom)
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	return s
}

func confirmMessage(t *testing.T) mail.Message {
	t.Helper()
	return compose(t, composer(t, mail.ComposerOptions{}), payload(store.MailConfirm, "en"))
}

func TestSMTPDelivers(t *testing.T) {
	srv := newSMTPServer(t)
	m := confirmMessage(t)
	if err := newSMTP(t, "smtp://127.0.0.1:"+srv.port()).Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.messages()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	if len(got[0].To) != 1 || got[0].To[0] != testTo || got[0].From != "no-reply@example.org" {
		t.Errorf("envelope from %q to %v, want from no-reply@example.org to [%s]", got[0].From, got[0].To, testTo)
	}
	p := parseMail(t, got[0].Data)
	if p.From != `"Signatures" <no-reply@example.org>` && p.From != "Signatures <no-reply@example.org>" {
		t.Errorf("From header = %q, want %q", p.From, testFrom)
	}
	if p.To != "<"+testTo+">" && p.To != testTo {
		t.Errorf("To header = %q, want %s", p.To, testTo)
	}
	if p.Subject != m.Subject {
		t.Errorf("Subject = %q, want %q", p.Subject, m.Subject)
	}
	if !strings.Contains(p.Text, "/confirm/"+testToken) || !strings.Contains(p.HTML, `href="`+testBase+"/confirm/"+testToken+`"`) {
		t.Errorf("text or HTML part lacks the confirmation link:\n%s\n%s", p.Text, p.HTML)
	}
	// Headers that would tell a reader more than the mail says.
	for _, h := range []string{"User-Agent", "X-Mailer"} {
		if v := p.Header.Get(h); v != "" {
			t.Errorf("header %s = %q, want none", h, v)
		}
	}
	if id := p.Header.Get("Message-Id"); !strings.HasSuffix(id, "@example.org>") {
		t.Errorf("Message-ID = %q, want one in the sender's domain rather than the server's host name", id)
	}
}

func TestSMTPAuth(t *testing.T) {
	tests := []struct {
		name      string
		server    []serverOption
		userinfo  string
		query     string
		wantErr   string // class prefix; empty means delivered
		wantAuths int    // AUTH attempts the server saw
	}{
		{name: "STARTTLS and PLAIN", server: []serverOption{withTLS(false), withAuth("campaign", "p@ss word")},
			userinfo: "campaign:p%40ss%20word@", query: "?insecure=1", wantAuths: 1},
		{name: "implicit TLS and PLAIN", server: []serverOption{withTLS(true), withAuth("campaign", "pw")},
			userinfo: "campaign:pw@", query: "?insecure=1", wantAuths: 1},
		{name: "wrong password", server: []serverOption{withTLS(false), withAuth("campaign", "pw")},
			userinfo: "campaign:nope@", query: "?insecure=1", wantErr: "smtp: authentication failed", wantAuths: 1},
		{name: "credentials never sent without TLS", server: []serverOption{withAuth("campaign", "pw")},
			userinfo: "campaign:pw@", wantErr: "smtp: server does not offer STARTTLS"},
		{name: "tls=required without TLS", server: nil,
			query: "?tls=required", wantErr: "smtp: server does not offer STARTTLS"},
		{name: "certificate verified by default", server: []serverOption{withTLS(false), withAuth("campaign", "pw")},
			userinfo: "campaign:pw@", wantErr: "smtp: TLS failed"},
		{name: "STARTTLS used when offered", server: []serverOption{withTLS(false)}, query: "?insecure=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newSMTPServer(t, tt.server...)
			scheme := "smtp"
			if srv.implicit {
				scheme = "smtps"
			}
			rawURL := fmt.Sprintf("%s://%s127.0.0.1:%s%s", scheme, tt.userinfo, srv.port(), tt.query)
			err := newSMTP(t, rawURL).Send(context.Background(), confirmMessage(t))
			if got := srv.authAttempts(); got != tt.wantAuths {
				t.Errorf("server saw %d AUTH attempts, want %d", got, tt.wantAuths)
			}
			if tt.wantErr != "" {
				var de *mail.DeliveryError
				if !errors.As(err, &de) || !strings.HasPrefix(de.Class, tt.wantErr) {
					t.Fatalf("Send error = %v, want a DeliveryError %q", err, tt.wantErr)
				}
				if n := len(srv.messages()); n != 0 {
					t.Errorf("server received %d messages, want none", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := srv.messages()
			if len(got) != 1 || !got[0].TLS {
				t.Fatalf("server received %d messages (TLS: %v), want 1 over TLS", len(got), len(got) == 1 && got[0].TLS)
			}
			if got[0].User != srv.user {
				t.Errorf("message sent as %q, want %q", got[0].User, srv.user)
			}
		})
	}
}

func TestSMTPServerDownAndBack(t *testing.T) {
	srv := newSMTPServer(t)
	tr := newSMTP(t, "smtp://127.0.0.1:"+srv.port())
	srv.stop()
	err := tr.Send(context.Background(), confirmMessage(t))
	var de *mail.DeliveryError
	if !errors.As(err, &de) || de.Class != "smtp: connection refused" || de.Permanent {
		t.Fatalf("Send to a stopped server: error %v, want a temporary DeliveryError \"smtp: connection refused\"", err)
	}
	srv.start()
	if err := tr.Send(context.Background(), confirmMessage(t)); err != nil {
		t.Fatalf("Send after restart: %v", err)
	}
	if n := len(srv.messages()); n != 1 {
		t.Errorf("server received %d messages, want 1", n)
	}
}

func TestSMTPRecipientRefused(t *testing.T) {
	srv := newSMTPServer(t, withRejectRcpt())
	err := newSMTP(t, "smtp://127.0.0.1:"+srv.port()).Send(context.Background(), confirmMessage(t))
	var de *mail.DeliveryError
	if !errors.As(err, &de) || !de.Permanent || !strings.HasPrefix(de.Class, "smtp: recipient refused (550") {
		t.Fatalf("Send error = %v, want a permanent DeliveryError \"smtp: recipient refused (550 …)\"", err)
	}
	if strings.Contains(err.Error(), testTo) || strings.Contains(err.Error(), "@") {
		t.Errorf("error %q carries an address", err)
	}
}

func TestNewSMTPRejects(t *testing.T) {
	tests := []struct {
		name, url, from string
	}{
		{"other scheme", "http://127.0.0.1:25", testFrom},
		{"no host", "smtp://:25", testFrom},
		{"bad port", "smtp://s3cret:s3cret@127.0.0.1:99999", testFrom},
		{"misspelt option", "smtp://s3cret:s3cret@127.0.0.1:587?tls=require", testFrom},
		{"unknown option", "smtp://127.0.0.1:25?starttls=0", testFrom},
		{"path", "smtp://127.0.0.1:25/x", testFrom},
		{"unparseable", "smtp://s3cret:s3cret@[::1", testFrom},
		{"campaign sender name", "smtp://127.0.0.1:25", "Cambodia Sanctions <no-reply@example.org>"},
		{"sender not an address", "smtp://127.0.0.1:25", "Signatures"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mail.NewSMTP(tt.url, tt.from)
			if err == nil {
				t.Fatalf("NewSMTP succeeded, want an error")
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q shows the password from the URL", err)
			}
		})
	}
}
