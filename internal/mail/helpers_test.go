package mail_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// smtpServer is a real SMTP server in the test process that records what
// it receives. It can be stopped and started again on the same port.
type smtpServer struct {
	t        *testing.T
	addr     string
	tls      *tls.Config // offer STARTTLS (or, with implicit, only TLS)
	implicit bool        // smtps: TLS from the first byte
	user     string      // require AUTH PLAIN with user and pass
	pass     string
	// rejectRcpt makes the server refuse every recipient, with a reply
	// that repeats the address as real servers do.
	rejectRcpt bool

	mu       sync.Mutex
	srv      *smtp.Server
	ln       net.Listener
	received []received
	auths    int
}

// received is one message as the server got it.
type received struct {
	From string
	To   []string
	Data []byte
	User string // who authenticated, if anyone
	TLS  bool
}

type serverOption func(*smtpServer)

func withTLS(implicit bool) serverOption {
	return func(s *smtpServer) { s.tls, s.implicit = selfSignedTLS(s.t), implicit }
}
func withAuth(user, pass string) serverOption {
	return func(s *smtpServer) { s.user, s.pass = user, pass }
}
func withRejectRcpt() serverOption { return func(s *smtpServer) { s.rejectRcpt = true } }

// newSMTPServer starts a server on a free port of 127.0.0.1 and stops it
// when the test ends.
func newSMTPServer(t *testing.T, opts ...serverOption) *smtpServer {
	t.Helper()
	s := &smtpServer{t: t, addr: "127.0.0.1:0"}
	for _, o := range opts {
		o(s)
	}
	s.start()
	t.Cleanup(s.stop)
	return s
}

// start listens on the server's address (the same port after a stop).
func (s *smtpServer) start() {
	s.t.Helper()
	var (
		l   net.Listener
		err error
	)
	if s.implicit {
		l, err = tls.Listen("tcp", s.addr, s.tls)
	} else {
		l, err = net.Listen("tcp", s.addr)
	}
	if err != nil {
		s.t.Fatalf("start SMTP server: %v", err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{s: s, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 5*time.Second, 5*time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	if !s.implicit {
		srv.TLSConfig = s.tls
	}
	s.mu.Lock()
	s.addr, s.srv, s.ln = l.Addr().String(), srv, l
	s.mu.Unlock()
	go srv.Serve(l) //nolint:errcheck // returns when stopped
}

// stop closes the listener and every connection.
func (s *smtpServer) stop() {
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv != nil {
		// Close the listener ourselves too: Serve registers it with the
		// server only once its goroutine runs.
		ln.Close()
		srv.Close()
	}
}

func (s *smtpServer) port() string {
	_, port, _ := net.SplitHostPort(s.addr)
	return port
}

// messages returns a copy of what was received so far.
func (s *smtpServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.received...)
}

func (s *smtpServer) authAttempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.auths
}

type smtpSession struct {
	s    *smtpServer
	conn *smtp.Conn
	user string
	msg  received
}

func (ss *smtpSession) AuthMechanisms() []string {
	if ss.s.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		ss.s.mu.Lock()
		ss.s.auths++
		ss.s.mu.Unlock()
		if user != ss.s.user || pass != ss.s.pass {
			return errors.New("invalid credentials")
		}
		ss.user = user
		return nil
	}), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.user != "" && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.msg = received{From: from, User: ss.user}
	_, ss.msg.TLS = ss.conn.TLSConnectionState()
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.s.rejectRcpt {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<" + to + ">: no such user here"}
	}
	ss.msg.To = append(ss.msg.To, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.msg.Data = b
	ss.s.mu.Lock()
	ss.s.received = append(ss.s.received, ss.msg)
	ss.s.mu.Unlock()
	return nil
}

func (ss *smtpSession) Reset()        { ss.msg = received{} }
func (ss *smtpSession) Logout() error { return nil }

// selfSignedTLS returns a server configuration with a fresh certificate
// for 127.0.0.1 that no client trusts.
func selfSignedTLS(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

// parsedMail is a received message taken apart.
type parsedMail struct {
	From, To, Subject string
	Header            netmail.Header
	Text, HTML        string
}

// parseMail reads an RFC 5322 message with a text and an HTML alternative.
func parseMail(t *testing.T, data []byte) parsedMail {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("message does not parse: %v\n%s", err, data)
	}
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("subject does not decode: %v", err)
	}
	p := parsedMail{From: m.Header.Get("From"), To: m.Header.Get("To"), Subject: subject, Header: m.Header}
	mediaType, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v), want multipart/alternative with a text and an HTML part", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable itself
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		b, err := io.ReadAll(part)
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			p.Text = string(b)
		case "text/html":
			p.HTML = string(b)
		default:
			t.Errorf("unexpected part %q: mails carry only text and HTML", ct)
		}
	}
	if p.Text == "" || p.HTML == "" {
		t.Fatalf("got text part %d bytes and HTML part %d bytes, want both non-empty", len(p.Text), len(p.HTML))
	}
	return p
}

// waitFor polls cond until it holds or two seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// containsAny returns the first of words found in s, case-insensitively.
func containsAny(s string, words ...string) (string, bool) {
	lower := strings.ToLower(s)
	for _, w := range words {
		if strings.Contains(lower, strings.ToLower(w)) {
			return w, true
		}
	}
	return "", false
}
