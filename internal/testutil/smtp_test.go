package testutil_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/mail"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
)

func send(t *testing.T, url string, m mail.Message) error {
	t.Helper()
	tr, err := mail.NewSMTP(url, "Signatures <noreply@example.org>")
	if err != nil {
		t.Fatalf("NewSMTP(%q): %v", url, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return tr.Send(ctx, m)
}

func TestSMTPServerReceivesAndParses(t *testing.T) {
	s := testutil.StartSMTP(t)
	if !strings.HasPrefix(s.URL(), "smtp://127.0.0.1:") {
		t.Fatalf("URL %q, want smtp://127.0.0.1:PORT", s.URL())
	}
	// Long lines and non-ASCII text make go-mail use quoted-printable soft
	// line breaks and escapes, which the parser must undo.
	long := "https://campaign.test/confirm/" + strings.Repeat("abcdefghij", 12)
	want := mail.Message{To: "dara@example.org", Subject: "Please confirm — café",
		Text: "Hello,\n" + long + "\nIt wasn’t me\n", HTML: `<p><a href="` + long + `">Confirm</a> — wasn’t me</p>`}
	if err := send(t, s.URL(), want); err != nil {
		t.Fatalf("send: %v", err)
	}
	got, err := s.WaitFor(1, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	m := got[0]
	if m.Err != nil {
		t.Fatalf("message did not parse: %v\n%s", m.Err, m.Raw)
	}
	if len(m.To) != 1 || m.To[0] != want.To || m.From != "noreply@example.org" {
		t.Errorf("envelope from %q to %v, want from noreply@example.org to [%s]", m.From, m.To, want.To)
	}
	if m.Subject != want.Subject {
		t.Errorf("subject %q, want %q (RFC 2047 decoded)", m.Subject, want.Subject)
	}
	if !strings.Contains(m.Text, long) || !strings.Contains(m.Text, "wasn’t me") {
		t.Errorf("text part %q, want the long link unbroken and the non-ASCII text decoded", m.Text)
	}
	if !strings.Contains(m.HTML, `href="`+long+`"`) || !strings.Contains(m.HTML, "wasn’t me") {
		t.Errorf("HTML part %q, want the long link unbroken and the non-ASCII text decoded", m.HTML)
	}
	if n := len(s.MessagesTo("DARA@example.org")); n != 1 {
		t.Errorf("MessagesTo ignoring case: %d, want 1", n)
	}
	if n := len(s.MessagesTo("other@example.org")); n != 0 {
		t.Errorf("MessagesTo another address: %d, want 0", n)
	}
}

func TestSMTPServerStopAndRestart(t *testing.T) {
	s := testutil.StartSMTP(t)
	url := s.URL()
	m := mail.Message{To: "a@example.org", Subject: "s", Text: "t", HTML: "<p>h</p>"}
	if err := send(t, url, m); err != nil {
		t.Fatalf("send while up: %v", err)
	}
	s.Stop()
	if err := send(t, url, m); err == nil {
		t.Fatalf("send while stopped succeeded; the outage is not real")
	}
	s.Restart()
	if s.URL() != url {
		t.Fatalf("restarted on %s, want the same address %s", s.URL(), url)
	}
	if err := send(t, url, m); err != nil {
		t.Fatalf("send after restart: %v", err)
	}
	got, err := s.WaitFor(2, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Errorf("received %d messages, want 2 (one before the stop, one after the restart)", len(got))
	}
	if _, err := s.WaitFor(3, 50*time.Millisecond); err == nil {
		t.Errorf("WaitFor(3) succeeded with 2 messages")
	}
}

func TestParseMailSinglePartBase64(t *testing.T) {
	raw := "Subject: =?utf-8?q?caf=C3=A9?=\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\naGVsbG8g\r\nd29ybGQ=\r\n"
	m := testutil.ParseMail([]byte(raw))
	if m.Err != nil || m.Subject != "café" || m.Text != "hello world" || m.HTML != "" {
		t.Errorf("got subject %q text %q HTML %q err %v, want café, hello world, no HTML, no error",
			m.Subject, m.Text, m.HTML, m.Err)
	}
}
