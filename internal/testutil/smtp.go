package testutil

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// SMTPServer is a real SMTP server inside the test process, listening on
// 127.0.0.1, that keeps every message it accepts. Tests deliver to it with
// the application's own SMTP transport, and can stop it and start it again
// on the same port to simulate an outage.
type SMTPServer struct {
	t    testing.TB
	addr string // 127.0.0.1:PORT, fixed once the first listener is up

	mu       sync.Mutex
	srv      *smtp.Server
	ln       net.Listener
	received []ReceivedMail
}

// ReceivedMail is one message as the server received it, taken apart.
type ReceivedMail struct {
	From    string   // envelope sender (MAIL FROM)
	To      []string // envelope recipients (RCPT TO)
	Header  netmail.Header
	Subject string // decoded from RFC 2047 encoded words
	Text    string // the text/plain part, transfer-decoded
	HTML    string // the text/html part, transfer-decoded
	Raw     []byte // the message exactly as transmitted
	// Err is set when the message could not be parsed; the other parsed
	// fields are then incomplete.
	Err error
}

// StartSMTP starts a server on a free port of 127.0.0.1 that accepts any
// sender and recipient without TLS (AUTH, should a client try it, is
// allowed in clear). It stops when the test ends.
func StartSMTP(t testing.TB) *SMTPServer {
	t.Helper()
	s := &SMTPServer{t: t, addr: "127.0.0.1:0"}
	if err := s.listen(); err != nil {
		t.Fatalf("start SMTP server: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// URL is the server's address for the mail transport: smtp://127.0.0.1:PORT.
func (s *SMTPServer) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "smtp://" + s.addr
}

// Stop closes the listener and every open connection. Messages received
// so far are kept. Stopping a stopped server does nothing.
func (s *SMTPServer) Stop() {
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	// Close the listener ourselves too: Serve registers it with the server
	// only once its goroutine runs.
	ln.Close()
	srv.Close()
}

// Restart starts a stopped server again on the same port; it fails the
// test if the port cannot be had. Call it from the test's goroutine.
func (s *SMTPServer) Restart() {
	s.t.Helper()
	s.mu.Lock()
	running := s.srv != nil
	s.mu.Unlock()
	if running {
		return
	}
	// The old listener's port may take a moment to be free again.
	var err error
	for range 50 {
		if err = s.listen(); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("restart SMTP server on %s: %v", s.addr, err)
}

func (s *SMTPServer) listen() error {
	s.mu.Lock()
	addr := s.addr
	s.mu.Unlock()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &smtpSession{s: s}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 5*time.Second, 5*time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	s.mu.Lock()
	s.addr, s.srv, s.ln = ln.Addr().String(), srv, ln
	s.mu.Unlock()
	go srv.Serve(ln) //nolint:errcheck // returns once stopped
	return nil
}

// Messages returns a copy of the messages received so far, oldest first.
func (s *SMTPServer) Messages() []ReceivedMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ReceivedMail(nil), s.received...)
}

// MessagesTo returns the messages received so far whose envelope names
// addr (case-insensitively) as a recipient.
func (s *SMTPServer) MessagesTo(addr string) []ReceivedMail {
	var out []ReceivedMail
	for _, m := range s.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// WaitFor waits until at least n messages have been received in all and
// returns them, or returns an error (with those received) after timeout.
func (s *SMTPServer) WaitFor(n int, timeout time.Duration) ([]ReceivedMail, error) {
	deadline := time.Now().Add(timeout)
	for {
		got := s.Messages()
		if len(got) >= n {
			return got, nil
		}
		if time.Now().After(deadline) {
			return got, fmt.Errorf("SMTP server received %d messages in %v, want %d", len(got), timeout, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (s *SMTPServer) add(m ReceivedMail) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received = append(s.received, m)
}

// smtpSession collects one message of one connection.
type smtpSession struct {
	s    *SMTPServer
	from string
	to   []string
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.from, ss.to = from, nil
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := ParseMail(raw)
	m.From, m.To = ss.from, append([]string(nil), ss.to...)
	ss.s.add(m)
	return nil
}

func (ss *smtpSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *smtpSession) Logout() error { return nil }

// ParseMail takes an RFC 5322 message apart: decoded subject, and the
// text/plain and text/html parts (of a single-part body or of nested
// multipart bodies) with their quoted-printable or base64 encoding undone.
// A failure is reported in Err.
func ParseMail(raw []byte) ReceivedMail {
	m := ReceivedMail{Raw: raw}
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		m.Err = fmt.Errorf("read message: %w", err)
		return m
	}
	m.Header = msg.Header
	var dec mime.WordDecoder
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		m.Err = fmt.Errorf("decode subject: %w", err)
		return m
	}
	m.Err = m.readPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return m
}

// readPart stores a leaf part's text in m, or walks a multipart body.
func (m *ReceivedMail) readPart(contentType, encoding string, body io.Reader) error {
	if contentType == "" {
		contentType = "text/plain"
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// NextRawPart leaves the transfer encoding for decode to undo.
			part, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("multipart: %w", err)
			}
			if err := m.readPart(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part); err != nil {
				return err
			}
		}
	}
	b, err := io.ReadAll(decode(encoding, body))
	if err != nil {
		return fmt.Errorf("%s part: %w", mediaType, err)
	}
	switch mediaType {
	case "text/plain":
		m.Text += string(b)
	case "text/html":
		m.HTML += string(b)
	}
	return nil
}

func decode(encoding string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &stripNewlines{r: r})
	}
	return r
}

// stripNewlines drops CR and LF, which split base64 bodies into lines.
type stripNewlines struct{ r io.Reader }

func (s *stripNewlines) Read(p []byte) (int, error) {
	for {
		n, err := s.r.Read(p)
		k := 0
		for _, c := range p[:n] {
			if c != '\r' && c != '\n' {
				p[k] = c
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}
