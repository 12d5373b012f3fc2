package server_test

// End-to-end tests of email confirmation and signer control (issue 4), on
// real parts: SQLite, the router, the outbox worker and the SMTP transport
// delivering to an SMTP server in the test process.

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers "sqlite3" for reading the outbox table raw

	"github.com/cambodia-sanctions/campaign/internal/mail"
	"github.com/cambodia-sanctions/campaign/internal/ratelimit"
	"github.com/cambodia-sanctions/campaign/internal/server"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

const (
	confirmSubject = "Please confirm your signature"
	alreadySubject = "About your signature"
	formType       = "application/x-www-form-urlencoded"
)

var (
	linkRe       = regexp.MustCompile(`https?://[^\s"'<>]+`)
	confirmURLRe = regexp.MustCompile(`^` + regexp.QuoteMeta(testBaseURL) + `/confirm/([A-Za-z0-9_-]{43})$`)
)

// signJSON signs by JSON and returns the answer's status and receipt code,
// failing unless it has the shape of an accepted signature.
func (e *env) signJSON(t *testing.T, slug, email string, updates bool) (status, receipt string) {
	t.Helper()
	w := e.postJSON(slug, fmt.Sprintf(`{"name":"Sok Dara","email":%q,"country":"KH","city":"Battambang",`+
		`"comment":"My brother is in Prey Sar","updates":%t}`, email, updates))
	if w.Code != http.StatusCreated {
		t.Fatalf("sign %s by JSON: status %d, want 201; body %s", email, w.Code, w.Body)
	}
	got := decodeJSON(t, w)
	if len(got) != 2 || !receiptRe.MatchString(toString(got["receipt"])) {
		t.Fatalf("sign %s by JSON: body %s, want exactly a status and a receipt code", email, w.Body)
	}
	return toString(got["status"]), toString(got["receipt"])
}

func (e *env) post(target, body string) *httptest.ResponseRecorder {
	return e.do(http.MethodPost, target, body, "Content-Type", formType)
}

func (e *env) withdraw(code string) *httptest.ResponseRecorder {
	return e.post("/withdraw", url.Values{"code": {code}}.Encode())
}

// sendDue makes one pass of the outbox worker.
func (e *env) sendDue(t *testing.T) (sent, retried, failed int) {
	t.Helper()
	sent, retried, failed, err := e.outbox.SendDue(context.Background())
	if err != nil {
		t.Fatalf("outbox SendDue: %v", err)
	}
	return sent, retried, failed
}

// mailsTo returns the messages the SMTP server received for addr.
func (e *env) mailsTo(t *testing.T, addr string) []testutil.ReceivedMail {
	t.Helper()
	got := e.mailbox.MessagesTo(addr)
	for _, m := range got {
		if m.Err != nil {
			t.Fatalf("a mail to %s does not parse: %v\n%s", addr, m.Err, m.Raw)
		}
	}
	return got
}

// confirmToken sends due mail and returns the token of the newest
// confirmation mail to addr.
func (e *env) confirmToken(t *testing.T, addr string) string {
	t.Helper()
	e.sendDue(t)
	mails := e.mailsTo(t, addr)
	if len(mails) == 0 {
		t.Fatalf("no mail reached %s", addr)
	}
	return checkConfirmMail(t, mails[len(mails)-1], addr)
}

// confirm presses the button of a confirmation page.
func (e *env) confirm(t *testing.T, token string) {
	t.Helper()
	if w := e.post("/confirm/"+token, ""); w.Code != http.StatusSeeOther {
		t.Fatalf("POST /confirm/TOKEN: status %d, want 303; body %s", w.Code, w.Body)
	}
}

func (e *env) signatureOf(t *testing.T, p *store.Petition, email string) *store.Signature {
	t.Helper()
	sig, err := e.db.FindSignatureByEmail(context.Background(), p.ID, e.vault.EmailHash(email))
	if err != nil {
		t.Fatalf("find signature of %s on %s: %v", email, p.Slug, err)
	}
	return sig
}

// checkCount asserts the public count in the API and on the petition page.
func (e *env) checkCount(t *testing.T, slug string, want int) {
	t.Helper()
	if got := decodeJSON(t, e.get("/api/petitions/"+slug))["total"]; got != float64(want) {
		t.Errorf("API total %v, want %d", got, want)
	}
	phrase := map[int]string{0: e.msg("petition.count_zero"), 1: e.msg("petition.count_one")}[want]
	if phrase == "" {
		phrase = e.msg("petition.count", strconv.Itoa(want))
	}
	if page := e.get("/petitions/" + slug).Body.String(); !strings.Contains(page, `<p class="count-number">`+phrase+`</p>`) {
		t.Errorf("petition page does not say %q", phrase)
	}
}

// checkDiscreetMail asserts what anyone glancing at the inbox, or opening
// the mail, would see: the neutral subject, both parts, no petition or
// campaign named, nothing loaded from anywhere.
func checkDiscreetMail(t *testing.T, m testutil.ReceivedMail, to, subject string) {
	t.Helper()
	if m.Err != nil {
		t.Fatalf("mail does not parse: %v\n%s", m.Err, m.Raw)
	}
	if len(m.To) != 1 || m.To[0] != to {
		t.Errorf("mail sent to %v, want only %s", m.To, to)
	}
	if m.Subject != subject {
		t.Errorf("subject %q, want %q", m.Subject, subject)
	}
	for _, w := range []string{"cambodia", "sanction", "petition"} {
		if strings.Contains(strings.ToLower(m.Subject), w) {
			t.Errorf("subject %q contains %q: it marks whoever receives it", m.Subject, w)
		}
	}
	if strings.TrimSpace(m.Text) == "" || strings.TrimSpace(m.HTML) == "" {
		t.Errorf("text part %d bytes, HTML part %d bytes; want both", len(m.Text), len(m.HTML))
	}
	for _, part := range []struct{ name, body string }{{"text", m.Text}, {"HTML", m.HTML}} {
		for _, w := range []string{"Free the prisoners", "open-petition", "Cambodia", "anction"} {
			if strings.Contains(part.body, w) {
				t.Errorf("%s part names %q; by default the mail names no petition or campaign", part.name, w)
			}
		}
	}
	for _, tg := range tags(m.HTML) {
		if tg.name == "img" || tg.name == "script" || tg.name == "link" || tg.has("src") || tg.has("background") {
			t.Errorf("HTML part has <%s %v>: no images, pixels or remote content", tg.name, tg.attrs)
		}
	}
}

// checkConfirmMail asserts a confirmation mail and returns its token: both
// parts carry exactly the link to confirm and the "it wasn't me" link.
func checkConfirmMail(t *testing.T, m testutil.ReceivedMail, to string) string {
	t.Helper()
	checkDiscreetMail(t, m, to, confirmSubject)
	urls := linkRe.FindAllString(m.Text, -1)
	if len(urls) == 0 || confirmURLRe.FindStringSubmatch(urls[0]) == nil {
		t.Fatalf("text part links %v, want %s/confirm/TOKEN first\n%s", urls, testBaseURL, m.Text)
	}
	token := confirmURLRe.FindStringSubmatch(urls[0])[1]
	want := []string{testBaseURL + "/confirm/" + token, testBaseURL + "/confirm/" + token + "/not-me"}
	if !slices.Equal(urls, want) {
		t.Errorf("text part links %v, want %v", urls, want)
	}
	var hrefs []string
	for _, a := range tagsNamed(m.HTML, "a") {
		hrefs = append(hrefs, a.attrs["href"])
	}
	if !slices.Equal(hrefs, want) {
		t.Errorf("HTML part links %v, want %v", hrefs, want)
	}
	return token
}

// checkAlreadySignedMail asserts the note to an address that signed before.
func checkAlreadySignedMail(t *testing.T, m testutil.ReceivedMail, to string) {
	t.Helper()
	checkDiscreetMail(t, m, to, alreadySubject)
	if urls := linkRe.FindAllString(m.Text+m.HTML, -1); len(urls) != 0 {
		t.Errorf("\"already signed\" mail has links %v, want none (nothing to confirm)", urls)
	}
}

// checkOneForm asserts that a page offers exactly one button, in a form
// that POSTs to action.
func checkOneForm(t *testing.T, body, action string) {
	t.Helper()
	forms, buttons := tagsNamed(body, "form"), tagsNamed(body, "button")
	if len(forms) != 1 || len(buttons) != 1 {
		t.Fatalf("page has %d forms and %d buttons, want one of each", len(forms), len(buttons))
	}
	if f := forms[0]; f.attrs["method"] != "post" || f.attrs["action"] != action {
		t.Errorf("form method=%q action=%q, want post to %s", f.attrs["method"], f.attrs["action"], action)
	}
}

// sameAnswer reports how two answers that must look alike differ, ignoring
// the request id and the given per-request strings (such as the token in
// the page's canonical link).
func sameAnswer(a, b *httptest.ResponseRecorder, replace ...string) string {
	norm := func(w *httptest.ResponseRecorder) string {
		s := strings.ReplaceAll(w.Body.String(), w.Header().Get("X-Request-Id"), "ID")
		for _, r := range replace {
			s = strings.ReplaceAll(s, r, "X")
		}
		return s
	}
	switch {
	case a.Code != b.Code:
		return fmt.Sprintf("status %d vs %d", a.Code, b.Code)
	case !slices.Equal(headerNames(a), headerNames(b)):
		return fmt.Sprintf("headers %v vs %v", headerNames(a), headerNames(b))
	case norm(a) != norm(b):
		return fmt.Sprintf("bodies differ:\n%s\n----\n%s", norm(a), norm(b))
	}
	return ""
}

// outboxRow is a row of the outbox table as stored.
type outboxRow struct {
	Kind             string
	Payload          []byte
	Attempts         int
	NextAttempt      time.Time
	SentAt, FailedAt sql.NullTime
	LastError        string
}

// rawDB opens the database file directly, as another process would.
func (e *env) rawDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+e.dbPath+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func (e *env) outboxRows(t *testing.T) []outboxRow {
	t.Helper()
	rows, err := e.rawDB(t).Query(`SELECT kind, payload_enc, attempts, next_attempt_at, sent_at, failed_at, last_error
		FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatalf("read outbox: %v", err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		if err := rows.Scan(&r.Kind, &r.Payload, &r.Attempts, &r.NextAttempt, &r.SentAt, &r.FailedAt, &r.LastError); err != nil {
			t.Fatalf("read outbox: %v", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// rawFile returns the database file and its write-ahead log, as a seized
// copy would hold them.
func (e *env) rawFile(t *testing.T) []byte {
	t.Helper()
	var raw []byte
	for _, p := range []string{e.dbPath, e.dbPath + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		raw = append(raw, b...)
	}
	if !strings.Contains(string(raw), "open-petition") {
		t.Fatalf("database file does not contain the petition slug; the test is not reading the data")
	}
	return raw
}

func TestEmailSignatureWaitsForConfirmation(t *testing.T) {
	const email = "dara@example.org"
	for _, tt := range []struct {
		name   string
		source string
		sign   func(t *testing.T, e *env)
	}{
		{"form", "web", func(t *testing.T, e *env) {
			b := e.newBrowser()
			checkThanksRedirect(t, b.postForm("open-petition", e.validForm(email)))
			body := b.get(thanksPath).Body.String()
			mustContain(t, body, e.msg("thanks.pending"))
			if n := len(tagsNamed(body, "form")); n != 0 {
				t.Errorf("thanks page has %d forms; there must be no resend button", n)
			}
		}},
		{"json", "api", func(t *testing.T, e *env) {
			if status, _ := e.signJSON(t, "open-petition", email, false); status != "pending" {
				t.Errorf("JSON status %q, want pending", status)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEmailEnv(t)
			tt.sign(t, e)
			sig := e.signatureOf(t, e.open, email)
			if sig.Status != store.StatusPending || sig.ConfirmedAt != nil || sig.Source != tt.source {
				t.Errorf("stored status %q confirmed_at %v source %q, want pending, none, %s",
					sig.Status, sig.ConfirmedAt, sig.Source, tt.source)
			}
			e.checkCount(t, "open-petition", 0)
			if n := len(e.mailbox.Messages()); n != 0 {
				t.Fatalf("%d mails arrived before the outbox ran; mail must go through the outbox", n)
			}
			if sent, retried, failed := e.sendDue(t); sent != 1 || retried+failed != 0 {
				t.Fatalf("outbox pass sent %d, retried %d, failed %d; want 1 sent", sent, retried, failed)
			}
			if all := e.mailbox.Messages(); len(all) != 1 {
				t.Fatalf("SMTP server received %d mails, want exactly 1", len(all))
			}
			checkConfirmMail(t, e.mailsTo(t, email)[0], email)
			if sent, _, _ := e.sendDue(t); sent != 0 {
				t.Errorf("a second pass sent %d more mails, want 0", sent)
			}
			e.checkCount(t, "open-petition", 0)
		})
	}
}

func TestConfirmLinkConfirmsOnlyOnPOST(t *testing.T) {
	e := newEmailEnv(t)
	const email = "dara@example.org"
	e.signJSON(t, "open-petition", email, false)
	token := e.confirmToken(t, email)
	link := "/confirm/" + token

	// Link scanners fetch every link of a mail, sometimes several times.
	for range 3 {
		for _, r := range []struct{ method, target string }{
			{http.MethodGet, link}, {http.MethodHead, link}, {http.MethodGet, link + "/not-me"}, {http.MethodHead, link + "/not-me"},
		} {
			e.do(r.method, r.target, "")
		}
	}
	w := e.get(link)
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200", link, w.Code)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("confirmation page Cache-Control %q, want no-store", cc)
	}
	mustContain(t, w.Body.String(), "Free the prisoners")
	mustContain(t, w.Body.String(), e.msg("confirm.button"))
	checkOneForm(t, w.Body.String(), link)
	if sig := e.signatureOf(t, e.open, email); sig.Status != store.StatusPending {
		t.Fatalf("after link scanners: status %q, want pending (a GET must change nothing)", sig.Status)
	}
	e.checkCount(t, "open-petition", 0)

	w = e.post(link, "")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != thanksPath+"?confirmed=1" {
		t.Fatalf("POST %s: status %d Location %q, want 303 to %s?confirmed=1", link, w.Code, w.Header().Get("Location"), thanksPath)
	}
	thanks := e.get(w.Header().Get("Location")).Body.String()
	mustContain(t, thanks, e.msg("thanks.confirmed_now"))
	if sig := e.signatureOf(t, e.open, email); sig.Status != store.StatusConfirmed || sig.ConfirmedAt == nil ||
		!sig.ConfirmedAt.Equal(e.clock.Now()) {
		t.Errorf("after POST: status %q confirmed_at %v, want confirmed at %v", sig.Status, sig.ConfirmedAt, e.clock.Now())
	}
	e.checkCount(t, "open-petition", 1)

	// A used link and a link that never existed look the same, and name no petition.
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		used, garbage := e.do(method, link, "", "Content-Type", formType), e.do(method, "/confirm/garbage", "", "Content-Type", formType)
		for name, w := range map[string]*httptest.ResponseRecorder{"used link": used, "unknown link": garbage} {
			if w.Code != http.StatusNotFound {
				t.Errorf("%s %s: status %d, want 404", method, name, w.Code)
			}
			mustContain(t, w.Body.String(), e.msg("confirm.invalid"))
			mustNotContain(t, w.Body.String(), "Free the prisoners")
		}
		if diff := sameAnswer(used, garbage, token, "garbage"); diff != "" {
			t.Errorf("%s: used link and unknown link answer differently: %s", method, diff)
		}
	}
	e.checkCount(t, "open-petition", 1)
}

func TestConfirmTokenIsNotStoredInClear(t *testing.T) {
	e := newEmailEnv(t)
	const email = "sopheap@example.net"
	e.signJSON(t, "open-petition", email, false)
	before := e.rawFile(t)
	token := e.confirmToken(t, email)
	rows := e.outboxRows(t)
	if len(rows) != 1 {
		t.Fatalf("outbox has %d rows, want 1", len(rows))
	}
	if r := rows[0]; r.Kind != store.MailConfirm || !r.SentAt.Valid || r.Payload != nil || r.LastError != "" {
		t.Errorf("sent outbox row kind %q sent_at %v payload %d bytes last_error %q; want confirm, set, erased (NULL), empty",
			r.Kind, r.SentAt, len(r.Payload), r.LastError)
	}
	after := e.rawFile(t)
	for _, secret := range []string{token, email, "example.net", "Sok Dara", "Battambang", "Prey Sar"} {
		for name, raw := range map[string][]byte{"before sending": before, "after sending": after} {
			if strings.Contains(string(raw), secret) {
				t.Errorf("database file %s contains %q in clear", name, secret)
			}
		}
	}
	if sig := e.signatureOf(t, e.open, email); len(sig.ConfirmHash) == 0 || string(sig.ConfirmHash) == token {
		t.Errorf("stored confirm_hash %q, want a hash of the token", sig.ConfirmHash)
	}
}

func TestExpiredConfirmLinkOffersAFreshMail(t *testing.T) {
	e := newEmailEnv(t)
	const email = "dara@example.org"
	e.signJSON(t, "open-petition", email, false)
	old := e.confirmToken(t, email)
	link := "/confirm/" + old

	e.clock.Advance(testConfirmTTL - time.Minute)
	if body := e.get(link).Body.String(); strings.Contains(body, e.msg("confirm.expired")) {
		t.Fatalf("a link a minute before its %v lifetime says it expired", testConfirmTTL)
	}
	e.clock.Advance(2 * time.Minute)
	w := e.get(link)
	if w.Code != http.StatusOK {
		t.Fatalf("GET expired link: status %d, want 200", w.Code)
	}
	mustContain(t, w.Body.String(), e.msg("confirm.expired"))
	mustContain(t, w.Body.String(), e.msg("confirm.renew_button"))
	checkOneForm(t, w.Body.String(), link+"/renew")

	if w := e.post(link, ""); w.Code != http.StatusGone {
		t.Errorf("POST expired link: status %d, want 410", w.Code)
	}
	if sig := e.signatureOf(t, e.open, email); sig.Status != store.StatusPending {
		t.Errorf("expired link confirmed: status %q, want pending", sig.Status)
	}
	e.checkCount(t, "open-petition", 0)

	w = e.post(link+"/renew", "")
	if w.Code != http.StatusOK {
		t.Fatalf("POST renew: status %d, want 200", w.Code)
	}
	mustContain(t, w.Body.String(), e.msg("confirm.renewed"))
	mustNotContain(t, w.Body.String(), "Free the prisoners")
	if n := len(tagsNamed(w.Body.String(), "form")); n != 0 {
		t.Errorf("renewed page has %d forms, want none (no resend button)", n)
	}
	fresh := e.confirmToken(t, email)
	if n := len(e.mailsTo(t, email)); n != 2 || fresh == old {
		t.Fatalf("after renewal %d mails, new token equal to old: %v; want 2 mails with a new token", n, fresh == old)
	}
	if w := e.post(link, ""); w.Code != http.StatusNotFound {
		t.Errorf("old link after renewal: status %d, want 404", w.Code)
	}
	e.confirm(t, fresh)
	e.checkCount(t, "open-petition", 1)
}

func TestItWasntMe(t *testing.T) {
	for _, tt := range []struct {
		name    string
		advance time.Duration
	}{{"fresh link", 0}, {"expired link", testConfirmTTL + time.Hour}} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEmailEnv(t)
			const email = "dara@example.org"
			e.signJSON(t, "open-petition", email, false)
			token := e.confirmToken(t, email)
			e.clock.Advance(tt.advance)
			notMe := "/confirm/" + token + "/not-me"
			for range 3 {
				e.get(notMe) // link scanners
			}
			w := e.get(notMe)
			if w.Code != http.StatusOK {
				t.Fatalf("GET %s: status %d, want 200", notMe, w.Code)
			}
			mustContain(t, w.Body.String(), e.msg("notme.intro"))
			mustContain(t, w.Body.String(), "Free the prisoners")
			checkOneForm(t, w.Body.String(), notMe)
			if sig := e.signatureOf(t, e.open, email); sig.Status != store.StatusPending {
				t.Fatalf("GET removed the signature: status %q, want pending", sig.Status)
			}

			w = e.post(notMe, "")
			if w.Code != http.StatusOK {
				t.Fatalf("POST %s: status %d, want 200", notMe, w.Code)
			}
			mustContain(t, w.Body.String(), e.msg("notme.done"))
			sig := e.signatureOf(t, e.open, email)
			if sig.Status != store.StatusWithdrawn || sig.NameEnc != nil || sig.EmailEnc != nil || sig.CityEnc != nil ||
				sig.CommentEnc != nil || !sig.NoMail {
				t.Errorf("row status %q name %v email %v city %v comment %v no_mail %v; want withdrawn, all NULL, no_mail",
					sig.Status, sig.NameEnc != nil, sig.EmailEnc != nil, sig.CityEnc != nil, sig.CommentEnc != nil, sig.NoMail)
			}
			e.checkCount(t, "open-petition", 0)
			if w := e.post("/confirm/"+token, ""); w.Code != http.StatusNotFound {
				t.Errorf("confirm link after \"it wasn't me\": status %d, want 404", w.Code)
			}

			// Whoever abuses the address keeps getting the answer of a first
			// signature, and the address gets nothing.
			for _, addr := range []string{email, "DARA@Example.org", " dara@example.org "} {
				if status, _ := e.signJSON(t, "open-petition", addr, false); status != "pending" {
					t.Errorf("resubmission %q: status %q, want pending like a first signature", addr, status)
				}
			}
			checkThanksRedirect(t, e.postForm("open-petition", e.validForm(email)))
			if sent, retried, failed := e.sendDue(t); sent+retried+failed != 0 {
				t.Errorf("outbox handled %d mails after \"it wasn't me\", want none", sent+retried+failed)
			}
			if n := len(e.mailbox.Messages()); n != 1 {
				t.Errorf("SMTP server received %d mails in all, want only the first confirmation", n)
			}
			if n := len(e.outboxRows(t)); n != 1 {
				t.Errorf("outbox has %d rows, want 1: nothing may be queued for the address", n)
			}
			if n := e.storedCount(); n != 1 {
				t.Errorf("stored %d signatures, want 1", n)
			}
		})
	}
}

func TestRepeatOfConfirmedAddressGetsAlreadySignedMail(t *testing.T) {
	e := newEmailEnv(t)
	const email = "dara@example.org"
	first := e.postForm("open-petition", e.validForm(email))
	fc := checkThanksRedirect(t, first)
	e.confirm(t, e.confirmToken(t, email))
	e.checkCount(t, "open-petition", 1)
	firstStatus, _ := e.signJSON(t, "open-petition", "someone-new@example.org", false)

	repeat := e.postForm("open-petition", e.validForm(email))
	rc := checkThanksRedirect(t, repeat)
	if rc.Value == fc.Value || rc.Path != fc.Path || rc.MaxAge != fc.MaxAge {
		t.Errorf("repeat cookie %+v, first %+v: want the same cookie with another code", rc, fc)
	}
	if diff := sameAnswer(first, repeat); diff != "" {
		t.Errorf("repeat answers differently from a first signature: %s", diff)
	}
	if status, _ := e.signJSON(t, "open-petition", email, false); status != firstStatus {
		t.Errorf("repeat by JSON: status %q, a first signature got %q", status, firstStatus)
	}
	e.sendDue(t)
	mails := e.mailsTo(t, email)
	if len(mails) != 3 {
		t.Fatalf("%s received %d mails, want 3 (confirmation, then two \"already signed\")", email, len(mails))
	}
	for _, m := range mails[1:] {
		checkAlreadySignedMail(t, m, email)
	}
	if sig := e.signatureOf(t, e.open, email); sig.Status != store.StatusConfirmed {
		t.Errorf("after repeats: status %q, want still confirmed", sig.Status)
	}
	e.checkCount(t, "open-petition", 1)
}

func TestRepeatOfPendingAddressGetsFreshConfirmation(t *testing.T) {
	e := newEmailEnv(t)
	const email = "dara@example.org"
	firstStatus, _ := e.signJSON(t, "open-petition", email, false)
	old := e.confirmToken(t, email)
	if status, _ := e.signJSON(t, "open-petition", email, false); status != firstStatus {
		t.Errorf("repeat: status %q, first %q", status, firstStatus)
	}
	fresh := e.confirmToken(t, email)
	if n := len(e.mailsTo(t, email)); n != 2 || fresh == old {
		t.Fatalf("%d mails, new token equal to old: %v; want a second confirmation with a new token", n, fresh == old)
	}
	e.confirm(t, fresh)
	e.checkCount(t, "open-petition", 1)
	if n := e.storedCount(); n != 1 {
		t.Errorf("stored %d signatures, want 1", n)
	}
}

func TestNoAddressGetsMoreThanFiveMailsPerPetition(t *testing.T) {
	e := newEmailEnv(t)
	testutil.MustCreatePetition(t, e.db, store.Petition{Slug: "second-petition", Title: "Another one"})
	if err := e.catalog.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	const email = "target@example.org"
	for _, tt := range []struct {
		slug string
		want int // mails to the address in all
	}{{"open-petition", 5}, {"second-petition", 10}} {
		for i := range 10 {
			if status, _ := e.signJSON(t, tt.slug, email, false); status != "pending" {
				t.Errorf("submission %d on %s: status %q, want pending like any first signature", i+1, tt.slug, status)
			}
			e.sendDue(t)
		}
		if n := len(e.mailsTo(t, email)); n != tt.want {
			t.Errorf("after 10 submissions on %s: %d mails in all, want %d", tt.slug, n, tt.want)
		}
	}
	// The fifth mail's link is the live one; once expired, asking for a new
	// one answers as usual but sends nothing: the cap holds there too.
	last := checkConfirmMail(t, e.mailsTo(t, email)[4], email)
	e.clock.Advance(testConfirmTTL + time.Minute)
	mustContain(t, e.get("/confirm/"+last).Body.String(), e.msg("confirm.expired"))
	w := e.post("/confirm/"+last+"/renew", "")
	if w.Code != http.StatusOK {
		t.Fatalf("renew at the cap: status %d, want 200", w.Code)
	}
	mustContain(t, w.Body.String(), e.msg("confirm.renewed"))
	if sent, _, _ := e.sendDue(t); sent != 0 || len(e.mailsTo(t, email)) != 10 {
		t.Errorf("renew at the cap sent %d mails, want 0", sent)
	}
}

func TestOutboxSurvivesSMTPOutage(t *testing.T) {
	e := newEmailEnv(t)
	const email = "outage@example.org"
	e.mailbox.Stop()
	e.signJSON(t, "open-petition", email, false)
	if sent, retried, failed := e.sendDue(t); sent != 0 || retried != 1 || failed != 0 {
		t.Fatalf("pass during the outage: sent %d retried %d failed %d, want 0, 1, 0", sent, retried, failed)
	}
	rows := e.outboxRows(t)
	if len(rows) != 1 {
		t.Fatalf("outbox has %d rows, want 1", len(rows))
	}
	r := rows[0]
	if wait := r.NextAttempt.Sub(e.clock.Now()); r.Attempts != 1 || wait < 20*time.Second || wait > 40*time.Second {
		t.Errorf("after one failure: attempts %d, next attempt in %v; want 1 and about 30s", r.Attempts, wait)
	}
	if r.SentAt.Valid || r.FailedAt.Valid || len(r.Payload) == 0 {
		t.Errorf("failed row sent_at %v failed_at %v payload %d bytes; want unsent, not given up, payload kept", r.SentAt, r.FailedAt, len(r.Payload))
	}
	if r.LastError == "" || strings.Contains(r.LastError, "example.org") || strings.Contains(r.LastError, "outage") {
		t.Errorf("last_error %q, want a reason without the address", r.LastError)
	}
	if log := e.mailLog.String(); strings.Contains(log, "example.org") {
		t.Errorf("outbox log contains the address:\n%s", log)
	}

	e.mailbox.Restart()
	if sent, retried, _ := e.sendDue(t); sent+retried != 0 {
		t.Errorf("pass before the retry time handled %d mails, want none", sent+retried)
	}
	e.clock.Advance(time.Minute)
	if sent, _, _ := e.sendDue(t); sent != 1 {
		t.Fatalf("pass after the outage sent %d, want 1", sent)
	}
	e.clock.Advance(time.Hour)
	e.sendDue(t)
	mails := e.mailsTo(t, email)
	if len(mails) != 1 || len(e.mailbox.Messages()) != 1 {
		t.Fatalf("%d mails to %s (%d in all), want exactly 1", len(mails), email, len(e.mailbox.Messages()))
	}
	e.confirm(t, checkConfirmMail(t, mails[0], email))
	e.checkCount(t, "open-petition", 1)
}

func TestQueuedMailSurvivesARestart(t *testing.T) {
	e := newEmailEnv(t)
	const email = "restart@example.org"
	e.mailbox.Stop()
	e.signJSON(t, "open-petition", email, false)

	// The process stops before its worker ran. Another one starts on the
	// same database file with a worker of its own.
	db2, err := store.Open(context.Background(), "sqlite://"+e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db2.Close() })
	db2.SetClock(e.clock.Now)
	if n, err := db2.OutboxDepth(context.Background()); err != nil || n != 1 {
		t.Fatalf("outbox depth seen by the new process %d (%v), want 1: the mail was committed with the signature", n, err)
	}
	e.mailbox.Restart()
	sent, _, _, err := e.newOutbox(db2).SendDue(context.Background())
	if err != nil || sent != 1 {
		t.Fatalf("new worker sent %d (%v), want 1", sent, err)
	}
	mails := e.mailsTo(t, email)
	if len(mails) != 1 {
		t.Fatalf("%d mails to %s, want 1", len(mails), email)
	}
	e.confirm(t, checkConfirmMail(t, mails[0], email))
	e.checkCount(t, "open-petition", 1)
}

func TestSignatureIsNotStoredWhenItsMailCannotBeQueued(t *testing.T) {
	e := newEmailEnv(t)
	if _, err := e.rawDB(t).Exec(`DROP TABLE outbox`); err != nil {
		t.Fatal(err)
	}
	w := e.postJSON("open-petition", `{"name":"Sok Dara","email":"dara@example.org","country":"KH"}`)
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), e.msg("error.not_recorded")) {
		t.Errorf("sign with no outbox table: status %d %s, want 503 saying nothing was saved", w.Code, w.Body.String())
	}
	if n := e.storedCount(); n != 0 {
		t.Errorf("stored %d signatures whose mail could not be queued, want 0 (one transaction)", n)
	}
}

func TestNotifyWakesTheOutboxWorker(t *testing.T) {
	e := newEmailEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	slow := e.newOutboxPolling(e.db, time.Hour)
	e.svc.WithEmail(mail.Sealer{Vault: e.vault}, testConfirmTTL, slow.Notify)
	e.signJSON(t, "open-petition", "first@example.org", false)
	go func() { slow.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	// Run's first pass sends what was queued before it started; its next
	// pass is an hour away, so only Notify can send the second mail now.
	if _, err := e.mailbox.WaitFor(1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	e.signJSON(t, "open-petition", "second@example.org", false)
	if _, err := e.mailbox.WaitFor(2, 5*time.Second); err != nil {
		t.Fatalf("a signature's mail did not leave at once: %v", err)
	}
	if n := len(e.mailsTo(t, "second@example.org")); n != 1 {
		t.Errorf("second@example.org received %d mails, want 1", n)
	}
}

func TestWithdrawPage(t *testing.T) {
	e := newEnv(t)
	w := e.get("/withdraw")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", w.Code)
	}
	body := w.Body.String()
	in := byID(t, body, "f-code")
	if in.name != "input" || in.attrs["name"] != "code" {
		t.Errorf("#f-code is <%s name=%q>, want an input named code", in.name, in.attrs["name"])
	}
	labelled := false
	for _, l := range tagsNamed(body, "label") {
		labelled = labelled || l.attrs["for"] == "f-code"
	}
	if !labelled {
		t.Errorf("the code input has no label")
	}
	mustContain(t, body, e.msg("withdraw.code"))
	checkOneForm(t, body, "/withdraw")
}

func TestWithdrawWithReceiptCode(t *testing.T) {
	e := newEnv(t)
	_, code := e.signJSON(t, "open-petition", "dara@example.org", false)
	e.checkCount(t, "open-petition", 1)
	done := e.withdraw(code)
	if done.Code != http.StatusOK {
		t.Fatalf("withdraw: status %d, want 200", done.Code)
	}
	mustContain(t, done.Body.String(), e.msg("withdraw.done"))
	sig := e.findByEmail("dara@example.org")
	if sig.Status != store.StatusWithdrawn || sig.WithdrawnAt == nil || sig.NameEnc != nil || sig.EmailEnc != nil ||
		sig.CityEnc != nil || sig.CommentEnc != nil {
		t.Errorf("row status %q withdrawn_at %v, personal fields kept %v %v %v %v; want withdrawn and all erased",
			sig.Status, sig.WithdrawnAt, sig.NameEnc != nil, sig.EmailEnc != nil, sig.CityEnc != nil, sig.CommentEnc != nil)
	}
	e.checkCount(t, "open-petition", 0)

	_, other := e.signJSON(t, "open-petition", "sopheap@example.net", false)
	_, fake := e.signJSON(t, "open-petition", "sopheap@example.net", false) // a repeat: its code opens nothing
	wrong, _ := vault.NewReceiptCode()
	for _, tt := range []struct{ name, code string }{
		{"same code again", code}, {"wrong code", wrong}, {"malformed code", "hello"}, {"repeat signer's code", fake},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if diff := sameAnswer(done, e.withdraw(tt.code)); diff != "" {
				t.Errorf("answer differs from a real withdrawal, which tells whether a code is real: %s", diff)
			}
		})
	}
	if sig := e.findByEmail("sopheap@example.net"); sig.Status != store.StatusConfirmed {
		t.Errorf("another signer's row is %q after those attempts, want confirmed", sig.Status)
	}
	e.checkCount(t, "open-petition", 1)
	// A code typed by hand, in lower case with spaces, still works.
	e.withdraw(strings.ToLower(strings.ReplaceAll(other, "-", " ")))
	if sig := e.findByEmail("sopheap@example.net"); sig.Status != store.StatusWithdrawn {
		t.Errorf("code typed in lower case with spaces: status %q, want withdrawn", sig.Status)
	}
	e.checkCount(t, "open-petition", 0)
}

func TestWithdrawEmailSignature(t *testing.T) {
	for _, tt := range []struct {
		name    string
		confirm bool
	}{{"pending", false}, {"confirmed", true}} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEmailEnv(t)
			_, code := e.signJSON(t, "open-petition", "dara@example.org", false)
			token := e.confirmToken(t, "dara@example.org")
			if tt.confirm {
				e.confirm(t, token)
				e.checkCount(t, "open-petition", 1)
			}
			mustContain(t, e.withdraw(code).Body.String(), e.msg("withdraw.done"))
			if sig := e.findByEmail("dara@example.org"); sig.Status != store.StatusWithdrawn || sig.EmailEnc != nil {
				t.Errorf("row status %q, email kept %v; want withdrawn and erased", sig.Status, sig.EmailEnc != nil)
			}
			e.checkCount(t, "open-petition", 0)
			if w := e.post("/confirm/"+token, ""); w.Code != http.StatusNotFound {
				t.Errorf("confirmation link after withdrawal: status %d, want 404", w.Code)
			}
			e.checkCount(t, "open-petition", 0)
		})
	}
}

func TestWithdrawWithoutCode(t *testing.T) {
	for _, code := range []string{"", "   "} {
		t.Run(fmt.Sprintf("%q", code), func(t *testing.T) {
			e := newEnv(t)
			w := e.withdraw(code)
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", w.Code)
			}
			mustContain(t, w.Body.String(), e.msg("withdraw.code_required"))
			mustNotContain(t, w.Body.String(), e.msg("withdraw.done"))
			if in := byID(t, w.Body.String(), "f-code"); in.attrs["aria-invalid"] != "true" {
				t.Errorf("code input aria-invalid=%q, want true", in.attrs["aria-invalid"])
			}
		})
	}
}

func TestWithdrawIsRateLimited(t *testing.T) {
	e := newEnv(t, func(o *server.Options) { o.RateLimit = ratelimit.New(2, time.Minute, o.Now) })
	try := func(remote string) int {
		return e.doFrom(remote, http.MethodPost, "/withdraw", "code=AAAA-BBBB-CCCC-DDDD", "Content-Type", formType).Code
	}
	for i := range 2 {
		if got := try("203.0.113.7:5000"); got != http.StatusOK {
			t.Fatalf("attempt %d within the limit: status %d, want 200", i+1, got)
		}
	}
	if got := try("203.0.113.7:5001"); got != http.StatusTooManyRequests {
		t.Errorf("third attempt in a minute: status %d, want 429", got)
	}
	if got := try("198.51.100.9:5000"); got != http.StatusOK {
		t.Errorf("another client: status %d, want 200", got)
	}
}

func TestEmailRetention(t *testing.T) {
	e := newEmailEnv(t)
	ctx := context.Background()
	for _, s := range []struct {
		email   string
		updates bool
	}{{"brief@example.org", false}, {"informed@example.org", true}} {
		e.signJSON(t, "open-petition", s.email, s.updates)
		e.confirm(t, e.confirmToken(t, s.email))
	}
	e.signJSON(t, "open-petition", "pending@example.org", false)
	e.sendDue(t)
	kept := func(email string) bool { return e.signatureOf(t, e.open, email).EmailEnc != nil }

	e.clock.Advance(testRetention - 24*time.Hour)
	if n, err := e.svc.EraseExpiredEmails(ctx, e.db, testRetention); err != nil || n != 0 {
		t.Fatalf("a day before retention: erased %d (%v), want 0", n, err)
	}
	e.clock.Advance(2 * 24 * time.Hour)
	if n, err := e.svc.EraseExpiredEmails(ctx, e.db, testRetention); err != nil || n != 1 {
		t.Fatalf("after retention: erased %d (%v), want 1", n, err)
	}
	for _, tt := range []struct {
		email string
		want  bool
	}{{"brief@example.org", false}, {"informed@example.org", true}, {"pending@example.org", true}} {
		if got := kept(tt.email); got != tt.want {
			t.Errorf("%s: email kept %v, want %v", tt.email, got, tt.want)
		}
	}
	if sig := e.signatureOf(t, e.open, "brief@example.org"); sig.Status != store.StatusConfirmed || sig.NameEnc == nil {
		t.Errorf("erased signer: status %q name kept %v, want still confirmed with its name", sig.Status, sig.NameEnc != nil)
	}
	in, err := e.svc.Open(e.signatureOf(t, e.open, "informed@example.org"))
	if err != nil || in.Email != "informed@example.org" {
		t.Errorf("kept email opens to %q (%v), want informed@example.org", in.Email, err)
	}
	e.checkCount(t, "open-petition", 2)

	before := e.storedCount()
	if status, _ := e.signJSON(t, "open-petition", "brief@example.org", false); status != "pending" {
		t.Errorf("repeat by an erased address: status %q, want pending like a first signature", status)
	}
	if n := e.storedCount(); n != before {
		t.Errorf("repeat by an erased address stored a new row (%d, was %d): the keyed hash must still find it", n, before)
	}
	e.sendDue(t)
	mails := e.mailsTo(t, "brief@example.org")
	if len(mails) != 2 {
		t.Fatalf("erased address received %d mails, want 2 (confirmation, then \"already signed\")", len(mails))
	}
	checkAlreadySignedMail(t, mails[1], "brief@example.org")
	e.checkCount(t, "open-petition", 2)
}

func TestPrivacyPageStatesRetention(t *testing.T) {
	for _, tt := range []struct {
		name       string
		env        func(t *testing.T) *env
		emailDays  int
		linkDays   int // 0: no confirmation links
		verifyText bool
	}{
		{"verify none", func(t *testing.T) *env { return newEnv(t) }, 30, 0, false},
		{"verify email", func(t *testing.T) *env { return newEmailEnv(t) }, 30, 2, true},
		{"verify email, 45 days", func(t *testing.T) *env {
			return newEmailEnv(t, func(o *server.Options) { o.EmailRetention = 45 * 24 * time.Hour })
		}, 45, 2, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.env(t)
			body := e.get("/privacy").Body.String()
			mustContain(t, body, e.msg("privacy.retention_email", tt.emailDays))
			if tt.linkDays == 0 {
				// The sentence up to its number: no lifetime is stated at all.
				mustNotContain(t, body, strings.SplitN(e.msg("privacy.retention_links", 0), "0", 2)[0])
			} else {
				mustContain(t, body, e.msg("privacy.retention_links", tt.linkDays))
			}
			if got := strings.Contains(body, e.msg("privacy.verify")); got != tt.verifyText {
				t.Errorf("page mentions the confirmation mail: %v, want %v", got, tt.verifyText)
			}
		})
	}
}

func TestNoMailWithoutEmailVerification(t *testing.T) {
	e := newEnv(t)
	checkThanksRedirect(t, e.postForm("open-petition", e.validForm("dara@example.org")))
	for range 2 {
		if status, _ := e.signJSON(t, "open-petition", "sopheap@example.net", false); status != "confirmed" {
			t.Errorf("JSON status %q, want confirmed", status)
		}
	}
	if rows := e.outboxRows(t); len(rows) != 0 {
		t.Errorf("outbox has %d rows with CAMPAIGN_VERIFY=none, want 0", len(rows))
	}
	if sig := e.findByEmail("dara@example.org"); sig.MailCount != 0 || sig.ConfirmHash != nil {
		t.Errorf("row mail_count %d confirm_hash %v, want 0 and none", sig.MailCount, sig.ConfirmHash)
	}
	e.checkCount(t, "open-petition", 2)
}
