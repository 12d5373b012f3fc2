package server_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3" // the "sqlite3" driver, to checkpoint the test database by hand

	"github.com/cambodia-sanctions/campaign/internal/export"
	"github.com/cambodia-sanctions/campaign/internal/server"
	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

const exportPath = "/admin/petitions/open-petition/export.csv"

// exportSigners signs the open petition through the real service and
// writer: a mix of scripts, a formula and a signer per status.
func (ce *consoleEnv) exportSigners() {
	ce.t.Helper()
	ctx := context.Background()
	for i, in := range []signing.Input{
		{Name: "Sok Dara", Email: "dara@example.org", Country: "KH", City: "Phnom Penh", Comment: "Free them.\nAll of them.", Public: true},
		{Name: "សុខ ដារ៉ា", Email: "khmer@example.org", Country: "KH", City: "ភ្នំពេញ", IncludeInLetters: true},
		{Name: "สมชาย ใจดี", Email: "thai@example.org", Country: "TH", Updates: true},
		{Name: "أحمد الحسن 🌱", Email: "arabic@example.org", Country: "FR"},
		{Name: "=HYPERLINK(\"http//x\")", Email: "formula@example.org", Country: "US", Comment: "@once"},
	} {
		if _, err := ce.svc.Sign(ctx, ce.open, signing.Request{Input: in, Lang: "en", Source: "web"}); err != nil {
			ce.t.Fatalf("sign %d: %v", i, err)
		}
		ce.clock.Advance(time.Minute)
	}
	// One withdrawn signature, which the default (confirmed) leaves out.
	sig := ce.findByEmail("thai@example.org")
	if _, err := ce.db.WithdrawSignature(ctx, sig.ID, ce.clock.Now()); err != nil {
		ce.t.Fatal(err)
	}
}

// exporterBytes is what the exporter (and so `campaign export`) writes
// for query q.
func (ce *consoleEnv) exporterBytes(q url.Values) []byte {
	ce.t.Helper()
	o, err := export.ParseOptions(q.Get("profile"), q.Get("status"), q.Get("country"), q.Get("since"), q.Get("until"), q.Get("bom") == "1")
	if err != nil {
		ce.t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := export.NewExporter(ce.db, ce.svc).Export(context.Background(), &buf, ce.open, o, nil); err != nil {
		ce.t.Fatal(err)
	}
	return buf.Bytes()
}

func TestAdminExportIsTheExportersBytes(t *testing.T) {
	ce := newConsoleEnv(t)
	ce.exportSigners()
	owner := ce.signIn("owner")
	for _, q := range []url.Values{
		{},
		{"profile": {"full"}, "status": {"all"}, "bom": {"1"}},
		{"profile": {"names"}, "country": {"kh"}, "since": {"2026-03-01"}, "until": {"2026-03-01"}},
		{"profile": {"counts"}, "status": {"all"}},
		{"profile": {"full"}, "status": {"withdrawn"}},
		{"profile": {"names"}, "since": {"2026-03-01T12:01:00Z"}, "until": {"2026-03-01T12:03:00Z"}},
	} {
		w := owner.get(exportPath + "?" + q.Encode())
		if w.Code != http.StatusOK {
			t.Fatalf("?%s: status %d, want 200; body %s", q.Encode(), w.Code, w.Body)
		}
		want := ce.exporterBytes(q)
		if !bytes.Equal(w.Body.Bytes(), want) {
			t.Errorf("?%s: the download differs from the exporter's output:\n%s\nwant:\n%s", q.Encode(), w.Body, want)
		}
	}
	// The download is what was signed: spot-check the full profile.
	body := owner.get(exportPath + "?profile=full").Body.String()
	for _, s := range []string{"សុខ ដារ៉ា", "ភ្នំពេញ", "أحمد الحسن 🌱", "dara@example.org", `"'=HYPERLINK(""http//x"")"`, "'@once"} {
		mustContain(t, body, s)
	}
	mustNotContain(t, body, "thai@example.org") // withdrawn
}

func TestAdminExportRoles(t *testing.T) {
	ce := newConsoleEnv(t)
	ce.exportSigners()
	organizer, owner, viewer := ce.signIn("organizer"), ce.signIn("owner"), ce.signIn("viewer")

	w := organizer.get(exportPath)
	if w.Code != http.StatusOK {
		t.Fatalf("organizer: status %d, want 200", w.Code)
	}
	recs, err := csv.NewReader(w.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(recs[0], ","); got != strings.Join(export.ProfileColumns(export.ProfileNames), ",") {
		t.Errorf("organizer's default export has header %s, want the names profile", got)
	}
	if len(recs) != 5 {
		t.Errorf("organizer's export has %d rows, want 4 confirmed signatures", len(recs)-1)
	}
	mustNotContain(t, w.Body.String(), "@example.org")

	w = organizer.get(exportPath + "?profile=full")
	if w.Code != http.StatusForbidden {
		t.Errorf("organizer asking for emails: status %d, want 403", w.Code)
	}
	mustContain(t, w.Body.String(), ce.msg("admin.export.error.full_owner"))
	mustNotContain(t, w.Body.String(), "dara@example.org")

	w = owner.get(exportPath + "?profile=full")
	if w.Code != http.StatusOK {
		t.Fatalf("owner asking for emails: status %d, want 200", w.Code)
	}
	mustContain(t, w.Body.String(), "dara@example.org")

	if w := viewer.get(exportPath); w.Code != http.StatusForbidden {
		t.Errorf("viewer: status %d, want 403", w.Code)
	}
	if w := ce.newBrowser().get(exportPath); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin/login" {
		t.Errorf("anonymous: status %d to %q, want 303 to /admin/login", w.Code, w.Header().Get("Location"))
	}
	var exports int
	for _, a := range ce.auditActions() {
		if a == "export" {
			exports++
		}
	}
	if exports != 2 {
		t.Errorf("%d exports audited, want 2 (refused downloads are not exports)", exports)
	}
}

func TestAdminExportHeadersAndAudit(t *testing.T) {
	ce := newConsoleEnv(t)
	ce.exportSigners()
	u := ce.signIn("organizer")
	w := u.get(exportPath + "?country=KH&since=2026-03-01&bom=1")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", w.Code)
	}
	for h, want := range map[string]string{
		"Content-Type":        "text/csv; charset=utf-8",
		"Content-Disposition": "attachment; filename=open-petition-2026-03-01-names.csv",
		"Cache-Control":       "no-store",
	} {
		if got := w.Header().Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if !bytes.HasPrefix(w.Body.Bytes(), []byte("\xEF\xBB\xBFsigned_at,")) {
		t.Errorf("bom=1: body starts %q, want a BOM then the header", w.Body.String()[:12])
	}
	entries, err := ce.db.FindAudit(context.Background(), 0, 1)
	if err != nil || len(entries) != 1 {
		t.Fatalf("audit log: %v, %v", entries, err)
	}
	e := entries[0]
	want := store.AuditEntry{Actor: "organizer@campaign.test", Action: "export", Target: "open-petition",
		Detail: "profile=names; status=confirmed; country=KH; since=2026-03-01T00:00:00Z; until=", RowCount: 2}
	if e.Actor != want.Actor || e.Action != want.Action || e.Target != want.Target || e.Detail != want.Detail || e.RowCount != want.RowCount {
		t.Errorf("audit entry %+v, want %+v", *e, want)
	}
	if e.ActorID == nil {
		t.Error("audit entry has no actor id")
	}
}

func TestAdminExportBadOptions(t *testing.T) {
	ce := newConsoleEnv(t)
	u := ce.signIn("owner")
	for q, key := range map[string]string{
		"profile=everything":                "admin.export.error.profile",
		"status=signed":                     "admin.export.error.status",
		"country=Cambodia":                  "admin.export.error.country",
		"since=yesterday":                   "admin.export.error.since",
		"until=26%2F11%2F2026":              "admin.export.error.until",
		"since=2026-03-02&until=2026-03-01": "admin.export.error.order",
		"bom=yes":                           "admin.export.error.bom",
	} {
		w := u.get(exportPath + "?" + q)
		if w.Code != http.StatusUnprocessableEntity {
			t.Errorf("?%s: status %d, want 422", q, w.Code)
		}
		mustContain(t, w.Body.String(), ce.msg(key))
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("?%s: Content-Type %q, want the HTML error page", q, ct)
		}
	}
	if w := u.get("/admin/petitions/no-such-petition/export.csv"); w.Code != http.StatusNotFound {
		t.Errorf("unknown petition: status %d, want 404", w.Code)
	}
	for _, a := range ce.auditActions() {
		if a == "export" {
			t.Error("a refused download was audited as an export")
		}
	}
}

func TestAdminFiguresOffersExport(t *testing.T) {
	ce := newConsoleEnv(t)
	page := "/admin/petitions/open-petition"
	for role, wantFull := range map[string]bool{"organizer": false, "owner": true} {
		body := ce.signIn(role).get(page).Body.String()
		form := byID(t, body, "export-form")
		if form.attrs["action"] != exportPath || form.attrs["method"] != "get" {
			t.Errorf("%s: export form %v, want GET %s", role, form.attrs, exportPath)
		}
		names := map[string]bool{}
		for _, tg := range append(tagsNamed(body, "select"), tagsNamed(body, "input")...) {
			names[tg.attrs["name"]] = true
		}
		for _, n := range []string{"profile", "status", "country", "since", "until", "bom"} {
			if !names[n] {
				t.Errorf("%s: the export form has no %s field", role, n)
			}
		}
		hasFull := strings.Contains(section(t, body, `id="e-profile"`, "</select>"), `value="full"`)
		if hasFull != wantFull {
			t.Errorf("%s: full profile offered %v, want %v", role, hasFull, wantFull)
		}
	}
	if body := ce.signIn("viewer").get(page).Body.String(); strings.Contains(body, "export-form") {
		t.Error("a viewer is offered the export form")
	}
}

// liveConsole is the console served over real TCP, with small socket
// buffers so that a client that reads slowly holds the server back.
type liveConsole struct {
	*consoleEnv
	url string
}

func newLiveConsole(t *testing.T, opts ...envOption) *liveConsole {
	ce := newConsoleEnv(t, opts...)
	srv := httptest.NewUnstartedServer(ce.srv.Handler())
	srv.Listener = smallBuffers{srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)
	return &liveConsole{consoleEnv: ce, url: srv.URL}
}

// smallBuffers gives accepted connections a small send buffer.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(64 << 10)
	}
	return c, err
}

// client signs in with role through the login form over HTTP and returns a
// client that keeps the session, with a small receive buffer.
func (lc *liveConsole) client(role string) *http.Client {
	lc.t.Helper()
	email := role + "@campaign.test"
	lc.mustAccount(email, role)
	jar, _ := cookiejar.New(nil)
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(64 << 10)
		}
		return c, err
	}
	cl := &http.Client{Jar: jar, Transport: &http.Transport{DialContext: dial}}
	lc.t.Cleanup(cl.CloseIdleConnections)
	resp, err := cl.Get(lc.url + "/admin/login")
	if err != nil {
		lc.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfInput.FindSubmatch(page)
	if m == nil {
		lc.t.Fatal("no CSRF token on the login page")
	}
	resp, err = cl.PostForm(lc.url+"/admin/login", url.Values{"email": {email}, "password": {testPassword}, "csrf": {string(m[1])}})
	if err != nil {
		lc.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/admin" {
		lc.t.Fatalf("sign in over HTTP ended on %s, want /admin", resp.Request.URL.Path)
	}
	return cl
}

// seed stores n confirmed signatures on the open petition, sealed by the
// service, each with a long comment so the export is large.
func (lc *liveConsole) seed(n int) {
	lc.t.Helper()
	ctx := context.Background()
	batch := make([]*store.Signature, 0, n)
	for i := range n {
		in := signing.Input{Name: fmt.Sprintf("Signer %d", i), Email: fmt.Sprintf("seed-%d@example.org", i), Country: "KH",
			Comment: strings.Repeat("Sanction those responsible. ", 10)}
		sig, _, err := lc.svc.Prepare(ctx, lc.open, signing.Request{Input: in, Lang: "en", Source: "web"})
		if err != nil {
			lc.t.Fatal(err)
		}
		batch = append(batch, sig)
	}
	if _, err := lc.db.InsertSignatures(ctx, batch); err != nil {
		lc.t.Fatal(err)
	}
}

// exportAudit returns the newest export entry of the audit log, waiting up
// to wait for one to appear; nil if none does.
func (lc *liveConsole) exportAudit(wait time.Duration) *store.AuditEntry {
	lc.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		entries, err := lc.db.FindAudit(context.Background(), 0, 10)
		if err != nil {
			lc.t.Fatal(err)
		}
		for _, e := range entries {
			if e.Action == "export" {
				return e
			}
		}
		if time.Now().After(deadline) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSigningIsNotBlockedBySlowExport downloads a large export through a
// client that reads 1 KB at a time and sleeps in between, and meanwhile
// signs through the real group-commit writer: every signature must commit
// promptly while the export is still running on the server.
func TestSigningIsNotBlockedBySlowExport(t *testing.T) {
	lc := newLiveConsole(t)
	const seeded = 4000
	lc.seed(seeded)
	cl := lc.client("owner")
	resp, err := cl.Get(lc.url + exportPath + "?profile=full")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("export: status %d", resp.StatusCode)
	}
	var fast atomic.Bool
	body := make(chan []byte, 1)
	go func() {
		var got bytes.Buffer
		buf := make([]byte, 1024)
		for {
			n, err := resp.Body.Read(buf)
			got.Write(buf[:n])
			if err != nil {
				body <- got.Bytes()
				return
			}
			if !fast.Load() {
				time.Sleep(20 * time.Millisecond)
			}
		}
	}()

	const signatures = 20
	for i := range signatures {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		start := time.Now()
		_, err := lc.svc.Sign(ctx, lc.open, signing.Request{Input: signing.Input{Name: fmt.Sprintf("During Export %d", i),
			Email: fmt.Sprintf("during-%d@example.org", i), Country: "FR"}, Lang: "en", Source: "web"})
		cancel()
		if err != nil {
			t.Fatalf("signature %d while the export runs: %v after %v", i, err, time.Since(start))
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("signature %d took %v while the export ran, want under 2s", i, d)
		}
	}
	if e := lc.exportAudit(0); e != nil {
		t.Fatalf("the export had already ended (%d rows) when the signatures were done: the test proves nothing", e.RowCount)
	}
	// Nor does the export hold a read snapshot while it waits for the
	// client: a snapshot would keep a full checkpoint from emptying the WAL
	// (and a RESTART checkpoint, which the server runs when the WAL grows
	// large, waits for it while holding up the signature writer).
	if busy := checkpointTruncate(t, lc.dbPath); busy != 0 {
		t.Errorf("a full checkpoint during the slow export is blocked (busy=%d): the export holds a snapshot", busy)
	}
	if n, err := lc.db.CountMatchingSignatures(context.Background(), store.SignatureFilter{PetitionID: lc.open.ID}); err != nil || n != seeded+signatures {
		t.Errorf("%d signatures stored, want %d (%v)", n, seeded+signatures, err)
	}

	fast.Store(true)
	got := <-body
	recs, err := csv.NewReader(bytes.NewReader(got)).ReadAll()
	if err != nil {
		t.Fatalf("the slow download is not a whole CSV file: %v", err)
	}
	// Rows committed while the walk had not reached them yet are in the
	// file too: there is no snapshot to hide them.
	if rows := len(recs) - 1; rows < seeded || rows > seeded+signatures {
		t.Errorf("%d rows downloaded, want between %d and %d", rows, seeded, seeded+signatures)
	}
	e := lc.exportAudit(5 * time.Second)
	if e == nil || e.RowCount != int64(len(recs)-1) {
		t.Errorf("audit entry %+v, want one with the %d rows sent", e, len(recs)-1)
	}
}

func TestAdminExportClientGoneIsAudited(t *testing.T) {
	lc := newLiveConsole(t)
	const seeded = 4000
	lc.seed(seeded)
	cl := lc.client("organizer")
	resp, err := cl.Get(lc.url + exportPath)
	if err != nil {
		t.Fatal(err)
	}
	// Take a good part of the file, then hang up.
	if _, err := io.CopyN(io.Discard, resp.Body, 400<<10); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cl.CloseIdleConnections()
	e := lc.exportAudit(10 * time.Second)
	if e == nil {
		t.Fatal("an export the client left halfway was not audited")
	}
	if e.RowCount <= 0 || e.RowCount >= seeded {
		t.Errorf("audited %d rows, want the rows sent before the client left: some, not all %d", e.RowCount, seeded)
	}
}

// checkpointTruncate runs a TRUNCATE checkpoint on the database file from
// a connection of its own and returns SQLite's busy flag: 1 when a reader
// still uses the WAL.
func checkpointTruncate(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=200")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var busy, logFrames, done int
	if err := db.QueryRow("PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &done); err != nil {
		t.Fatal(err)
	}
	return busy
}

// failingStore fails the export after its first page.
type failingStore struct{ *store.DB }

func (s failingStore) ExportSignatures(ctx context.Context, f store.SignatureFilter, after int64, page []store.Signature) ([]store.Signature, error) {
	if after > 0 {
		return nil, errors.New("disk I/O error")
	}
	return s.DB.ExportSignatures(ctx, f, after, page)
}

func TestAdminExportFailureBreaksTheDownload(t *testing.T) {
	lc := newLiveConsole(t, func(o *server.Options) { o.Console = failingStore{o.Console.(*store.DB)} })
	lc.seed(export.BatchSize + 10)
	cl := lc.client("organizer")
	resp, err := cl.Get(lc.url + exportPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err == nil {
		t.Errorf("a download that failed halfway ended cleanly after %d bytes: it would pass for a complete file", len(got))
	}
	if e := lc.exportAudit(5 * time.Second); e == nil || e.RowCount != export.BatchSize {
		t.Errorf("audit entry %+v, want one with the %d rows sent", e, export.BatchSize)
	}
}
