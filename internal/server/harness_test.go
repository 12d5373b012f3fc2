package server_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"html"
	"html/template"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/content"
	"github.com/cambodia-sanctions/campaign/internal/i18n"
	"github.com/cambodia-sanctions/campaign/internal/mail"
	"github.com/cambodia-sanctions/campaign/internal/petition"
	"github.com/cambodia-sanctions/campaign/internal/server"
	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
	"github.com/cambodia-sanctions/campaign/internal/vault"
	"github.com/cambodia-sanctions/campaign/web"
)

// testKey is a fixed secret key for tests.
const testKey = "6b1e0c3f9a7d2e4b8c5f1a0d3e6b9c2f5a8d1e4b7c0f3a6d9e2b5c8f1a4d7e0b"

// env is a running test server with its parts exposed for assertions.
type env struct {
	t       *testing.T
	db      *store.DB
	dbPath  string
	clock   *testutil.Clock
	vault   *vault.Vault
	counter *signing.Counter
	catalog *petition.Catalog
	writer  *signing.BatchWriter
	srv     *server.Server
	svc     *signing.Service
	msgs    *i18n.Catalog
	open    *store.Petition // "open-petition", featured
	closed  *store.Petition // "closed-petition"

	// Set by newEmailEnv only.
	mailbox *testutil.SMTPServer // the SMTP server mail is delivered to
	outbox  *mail.Outbox         // its worker; tests call SendDue themselves
	mailLog *syncBuffer          // what the outbox worker logs
}

type envOption func(*server.Options)

// newEnv builds the real server on a fresh SQLite database with two
// petitions: one open and featured, one closed. Signatures count at once
// (CAMPAIGN_VERIFY=none).
func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	return buildEnv(t, false, opts...)
}

// Settings of the email-confirmation env. The link lifetime differs from
// the default so pages that state it show what was configured.
const (
	testConfirmTTL = 48 * time.Hour
	testRetention  = 30 * 24 * time.Hour
	testMailFrom   = "Signatures <noreply@campaign.test>"
	testBaseURL    = "http://campaign.test"
)

// newEmailEnv is newEnv with CAMPAIGN_VERIFY=email wired as serve wires
// it: new signatures are pending, their mail is queued in the outbox and
// e.outbox delivers it over SMTP to e.mailbox, a real SMTP server in the
// test process. Every part (database timestamps, service, outbox, server)
// runs on the test clock. Nothing sends mail until the test calls SendDue.
func newEmailEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	return buildEnv(t, true, opts...)
}

func buildEnv(t *testing.T, email bool, opts ...envOption) *env {
	t.Helper()
	db, path := testutil.NewDBFile(t)
	clock := testutil.NewClock()
	key, _ := hex.DecodeString(testKey)
	v, err := vault.New(key)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, dbPath: path, clock: clock, vault: v}
	e.open = testutil.MustCreatePetition(t, db, store.Petition{Slug: "open-petition", Title: "Free the prisoners", Featured: true, Goal: 500})
	e.closed = testutil.MustCreatePetition(t, db, store.Petition{Slug: "closed-petition", Title: "An old petition", Status: store.PetitionClosed})
	e.catalog = petition.NewCatalog(db)
	if err := e.catalog.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.counter = signing.NewCounter(clock.Now)
	e.writer = signing.NewBatchWriter(db, 64, nil)
	t.Cleanup(func() { _ = e.writer.Close(context.Background()) })
	svc := signing.NewService(v, e.writer, e.counter, false, clock.Now)
	e.svc = svc
	msgs, err := i18n.Load(web.FS, "locales")
	if err != nil {
		t.Fatal(err)
	}
	e.msgs = msgs
	o := server.Options{
		Confirmations: db,
		Petitions:     e.catalog, Signing: svc, Counter: e.counter, Vault: v, Messages: msgs,
		Article: content.Article{Title: "The article title", HTML: template.HTML("<p>Article body text.</p>")},
		Now:     clock.Now, BaseURL: "http://campaign.test",
		// Small-count protection off: the tests sign a few times from one
		// country, which with protection shows only "fewer than 10". Tests
		// of the protection turn it on with withMinPublicCount(10).
		MinPublicCount: 1,
		MinFillTime:    3 * time.Second, MaxBodyBytes: 64 << 10,
	}
	if email {
		e.enableEmail(&o)
	}
	for _, opt := range opts {
		opt(&o)
	}
	e.srv, err = server.New(o)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	return e
}

// enableEmail starts the SMTP server and the outbox worker and turns on
// email confirmation, as serve does for CAMPAIGN_VERIFY=email.
func (e *env) enableEmail(o *server.Options) {
	e.t.Helper()
	// The outbox rows' created_at and next_attempt_at come from the store's
	// clock; the worker compares them with its own.
	e.db.SetClock(e.clock.Now)
	e.mailbox = testutil.StartSMTP(e.t)
	e.mailLog = &syncBuffer{}
	e.outbox = e.newOutbox(e.db)
	e.svc.WithEmail(mail.Sealer{Vault: e.vault}, testConfirmTTL, e.outbox.Notify)
	o.ConfirmTTL, o.EmailRetention = testConfirmTTL, testRetention
}

// newOutbox builds an outbox worker on db that delivers to e.mailbox, as
// a restarted process would.
func (e *env) newOutbox(db *store.DB) *mail.Outbox {
	e.t.Helper()
	return e.newOutboxPolling(db, 0)
}

// newOutboxPolling is newOutbox with a poll interval for Run (0: default).
func (e *env) newOutboxPolling(db *store.DB, poll time.Duration) *mail.Outbox {
	e.t.Helper()
	composer, err := mail.NewComposer(e.msgs, mail.ComposerOptions{BaseURL: testBaseURL})
	if err != nil {
		e.t.Fatalf("mail.NewComposer: %v", err)
	}
	transport, err := mail.NewSMTP(e.mailbox.URL(), testMailFrom)
	if err != nil {
		e.t.Fatalf("mail.NewSMTP: %v", err)
	}
	return mail.NewOutbox(db, e.vault, composer, transport, mail.OutboxOptions{
		Now: e.clock.Now, PollInterval: poll, Logger: slog.New(slog.NewTextHandler(e.mailLog, nil))})
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

// withBaseURL sets the public base URL (https turns on HSTS and Secure cookies).
func withBaseURL(u string) envOption { return func(o *server.Options) { o.BaseURL = u } }

// withReady sets the readiness check behind /readyz.
func withReady(f func(context.Context) error) envOption {
	return func(o *server.Options) { o.Ready = f }
}

// newRequest builds a request with header given as name, value pairs.
func newRequest(method, target, body string, header ...string) *http.Request {
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return r
}

// serve sends r through the real router.
func (e *env) serve(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(w, r)
	return w
}

// do sends a request through the real router.
func (e *env) do(method, target string, body string, header ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.serve(newRequest(method, target, body, header...))
}

func (e *env) get(target string, header ...string) *httptest.ResponseRecorder {
	return e.do(http.MethodGet, target, "", header...)
}

// formToken returns a form token issued long enough ago to pass the fill-time check.
func (e *env) formToken() string {
	return e.vault.FormToken(e.clock.Now().Add(-10 * time.Second))
}

// validForm is a complete, valid signing form.
func (e *env) validForm(email string) url.Values {
	return url.Values{
		"name": {"Sok Dara"}, "email": {email}, "country": {"KH"}, "city": {"Phnom Penh"},
		"comment": {"Free them all."}, "t": {e.formToken()},
	}
}

// postForm posts a form to a petition's sign endpoint.
func (e *env) postForm(slug string, form url.Values) *httptest.ResponseRecorder {
	return e.do(http.MethodPost, "/petitions/"+slug+"/signatures", form.Encode(),
		"Content-Type", "application/x-www-form-urlencoded")
}

// postJSON posts a JSON body to a petition's sign endpoint.
func (e *env) postJSON(slug, body string) *httptest.ResponseRecorder {
	return e.do(http.MethodPost, "/petitions/"+slug+"/signatures", body, "Content-Type", "application/json")
}

// storedCount counts signature rows straight from the database.
func (e *env) storedCount() int64 {
	e.t.Helper()
	rows, err := e.db.CountSignatures(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	var n int64
	for _, r := range rows {
		n += r.N
	}
	return n
}

func mustContain(t *testing.T, body, want string) {
	t.Helper()
	if !strings.Contains(body, want) {
		t.Errorf("page does not contain %q", want)
	}
}

func mustNotContain(t *testing.T, body, unwanted string) {
	t.Helper()
	if strings.Contains(body, unwanted) {
		t.Errorf("page contains %q, which it must not", unwanted)
	}
}

// msg returns the English message for a catalog key, HTML-escaped as a page shows it.
func (e *env) msg(key string, args ...any) string {
	return template.HTMLEscapeString(e.msgs.T("en", key, args...))
}

// findByEmail reads back the open petition's stored signature for email.
func (e *env) findByEmail(email string) *store.Signature {
	e.t.Helper()
	sig, err := e.db.FindSignatureByEmail(context.Background(), e.open.ID, e.vault.EmailHash(email))
	if err != nil {
		e.t.Fatalf("find signature of %q: %v", email, err)
	}
	return sig
}

// receiptCookie returns the receipt cookie a response sets, or nil.
func receiptCookie(w *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == "receipt" {
			return c
		}
	}
	return nil
}

// receiptRe is the shape of a receipt code: four groups of four Crockford
// base32 characters.
var receiptRe = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$`)

// decodeJSON decodes a response body into a generic map.
func decodeJSON(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("response is not a JSON object: %v; body %s", err, w.Body)
	}
	return m
}

// browser keeps cookies across requests the way a browser does (path
// scoping, expiry, deletion), on the origin http://campaign.test.
type browser struct {
	e   *env
	jar *cookiejar.Jar
}

func (e *env) newBrowser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &browser{e: e, jar: jar}
}

func (b *browser) do(method, target, body string, header ...string) *httptest.ResponseRecorder {
	u, err := url.Parse("http://campaign.test" + target)
	if err != nil {
		b.e.t.Fatal(err)
	}
	r := newRequest(method, u.String(), body, header...)
	for _, c := range b.jar.Cookies(u) {
		r.AddCookie(c)
	}
	w := b.e.serve(r)
	b.jar.SetCookies(u, w.Result().Cookies())
	return w
}

func (b *browser) get(target string) *httptest.ResponseRecorder {
	return b.do(http.MethodGet, target, "")
}

func (b *browser) postForm(slug string, form url.Values) *httptest.ResponseRecorder {
	return b.do(http.MethodPost, "/petitions/"+slug+"/signatures", form.Encode(),
		"Content-Type", "application/x-www-form-urlencoded")
}

// tag is one start tag of a page, with its attributes unescaped.
type tag struct {
	name  string
	attrs map[string]string
}

func (t tag) has(attr string) bool { _, ok := t.attrs[attr]; return ok }

var (
	tagRe  = regexp.MustCompile(`<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s/>"'=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*/?>`)
	attrRe = regexp.MustCompile(`([^\s/>"'=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?`)
)

// tags returns the start tags in an HTML fragment, in order. The templates
// quote every attribute, so a small scanner is enough.
func tags(body string) []tag {
	var out []tag
	for _, m := range tagRe.FindAllStringSubmatch(body, -1) {
		t := tag{name: strings.ToLower(m[1]), attrs: map[string]string{}}
		for _, a := range attrRe.FindAllStringSubmatch(m[2], -1) {
			t.attrs[strings.ToLower(a[1])] = html.UnescapeString(a[2] + a[3] + a[4])
		}
		out = append(out, t)
	}
	return out
}

// tagsNamed returns the start tags with that element name.
func tagsNamed(body, name string) []tag {
	var out []tag
	for _, t := range tags(body) {
		if t.name == name {
			out = append(out, t)
		}
	}
	return out
}

// byID returns the element with that id, failing the test when there is not
// exactly one.
func byID(t *testing.T, body, id string) tag {
	t.Helper()
	var found []tag
	for _, tg := range tags(body) {
		if tg.attrs["id"] == id {
			found = append(found, tg)
		}
	}
	if len(found) != 1 {
		t.Fatalf("page has %d elements with id %q, want 1", len(found), id)
	}
	return found[0]
}

// elementsByID indexes a page's elements by id in one pass, failing the
// test on a duplicate id.
func elementsByID(t *testing.T, body string) map[string]tag {
	t.Helper()
	out := map[string]tag{}
	for _, tg := range tags(body) {
		id, ok := tg.attrs["id"]
		if !ok {
			continue
		}
		if _, dup := out[id]; dup {
			t.Errorf("page has more than one element with id %q", id)
		}
		out[id] = tg
	}
	return out
}

// section returns the part of body from the first start to the next end
// after it, failing when either is missing.
func section(t *testing.T, body, start, end string) string {
	t.Helper()
	i := strings.Index(body, start)
	if i < 0 {
		t.Fatalf("page has no %q", start)
	}
	j := strings.Index(body[i:], end)
	if j < 0 {
		t.Fatalf("page has no %q after %q", end, start)
	}
	return body[i : i+j+len(end)]
}

// doFrom sends a request as if from the given remote address ("ip:port").
func (e *env) doFrom(remote, method, target, body string, header ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.RemoteAddr = remote
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(w, r)
	return w
}

// receiptOpens reports whether a receipt code given to a signer opens sig.
func (e *env) receiptOpens(code string, sig *store.Signature) bool {
	id, secret, ok := e.vault.OpenReceiptCode(code)
	return ok && id == sig.ID && string(e.vault.ReceiptSecretHash(secret)) == string(sig.ReceiptHash)
}
