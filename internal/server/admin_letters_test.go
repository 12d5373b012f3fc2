package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/jurisdiction"
	"github.com/cambodia-sanctions/campaign/internal/letters"
	"github.com/cambodia-sanctions/campaign/internal/pdf"
	"github.com/cambodia-sanctions/campaign/internal/server"
	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
	"github.com/cambodia-sanctions/campaign/web"
)

var (
	lettersOnce  sync.Once
	lettersReg   *jurisdiction.Registry
	lettersTpls  *letters.Templates
	lettersFonts *pdf.Fonts
	lettersErr   error
)

// withLetters wires the letters service as serve does, on the real
// config/ jurisdictions, targets and letter templates.
func withLetters(t *testing.T) envOption {
	lettersOnce.Do(func() {
		if lettersReg, lettersErr = jurisdiction.Load("../../config"); lettersErr != nil {
			return
		}
		if lettersTpls, lettersErr = letters.LoadTemplates("../../config/letters"); lettersErr != nil {
			return
		}
		lettersFonts, lettersErr = pdf.LoadFonts(web.FS)
	})
	return func(o *server.Options) {
		if lettersErr != nil {
			t.Fatal(lettersErr)
		}
		svc, err := letters.New(letters.Options{Registry: lettersReg, Store: o.Confirmations.(*store.DB), Vault: o.Vault,
			Templates: lettersTpls, Fonts: lettersFonts, BaseURL: o.BaseURL, Now: o.Now})
		if err != nil {
			t.Fatal(err)
		}
		o.Letters, o.Jurisdictions = svc, lettersReg
	}
}

// lettersEnv is a console with letters and a petition addressed to six
// jurisdictions, with signers in several countries.
type lettersEnv struct {
	*consoleEnv
	p     *store.Petition
	codes map[string]string // receipt code by signer name
}

func newLettersEnv(t *testing.T) *lettersEnv {
	t.Helper()
	ce := newConsoleEnv(t, withLetters(t))
	p := testutil.MustCreatePetition(t, ce.db, store.Petition{Slug: "letters", Title: "Sanction them together",
		Countries: store.StringList{"US", "GB", "EU", "FR", "DE", "NZ"}})
	if err := ce.catalog.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	le := &lettersEnv{consoleEnv: ce, p: p, codes: map[string]string{}}
	for _, s := range []signing.Input{
		{Name: "សុខ ដារា", Email: "dara@mail.example", Country: "GB", City: "London", IncludeInLetters: true},
		{Name: "Jane Hidden", Email: "jane@mail.example", Country: "GB"},
		{Name: "Marie Curie", Email: "marie@mail.example", Country: "FR", City: "Lyon", IncludeInLetters: true},
		{Name: "Hans Berg", Email: "hans@mail.example", Country: "DE"},
		{Name: "Sok Chan", Email: "chan@mail.example", Country: "KH", IncludeInLetters: true},
	} {
		r, err := ce.svc.Sign(context.Background(), p, signing.Request{Input: s, Lang: "en", Source: "web"})
		if err != nil {
			t.Fatal(err)
		}
		le.codes[s.Name] = r.Code
	}
	return le
}

// lettersAudit returns the audit entries of letters and jurisdictions,
// newest first.
func (le *lettersEnv) lettersAudit() []*store.AuditEntry {
	le.t.Helper()
	all, err := le.db.FindAudit(context.Background(), 0, 1000)
	if err != nil {
		le.t.Fatal(err)
	}
	var out []*store.AuditEntry
	for _, e := range all {
		if strings.HasPrefix(e.Action, "letters.") || strings.HasPrefix(e.Action, "jurisdiction.") {
			out = append(out, e)
		}
	}
	return out
}

func TestLettersBoard(t *testing.T) {
	le := newLettersEnv(t)
	u := le.signIn("organizer")
	w := u.get("/admin/petitions/letters/letters")
	if w.Code != http.StatusOK {
		t.Fatalf("board: %d", w.Code)
	}
	body := w.Body.String()
	rows := regexp.MustCompile(`(?s)<tr id="row-([A-Z]+)">(.*?)</tr>`).FindAllStringSubmatch(body, -1)
	got := map[string]string{}
	for _, r := range rows {
		got[r[1]] = r[2]
	}
	if len(got) != 6 {
		t.Fatalf("the board shows %d jurisdictions, want the petition's 6", len(got))
	}
	for code, signers := range map[string]string{"GB": ">2<", "FR": ">1<", "DE": ">1<", "EU": ">2<", "US": ">0<", "NZ": ">0<"} {
		if !strings.Contains(got[code], `<td class="num"`+signers) {
			t.Errorf("%s row lacks %s confirmed signers: %s", code, signers, got[code])
		}
	}
	flag := le.msg("letters.verify_before_mailing")
	if !strings.Contains(got["NZ"], flag) || strings.Contains(got["GB"], flag) {
		t.Error("the verify-before-mailing badge is not on New Zealand's row only")
	}
	mustContain(t, got["GB"], "Secretary of State for Foreign, Commonwealth and Development Affairs")
	mustContain(t, got["GB"], le.msg("letters.status.draft"))
	mustContain(t, got["GB"], `href="/admin/petitions/letters/letters/GB/pdf"`)
	mustContain(t, body, le.msg("letters.board.total", "5"))
	if entries := le.lettersAudit(); len(entries) != 0 {
		t.Errorf("viewing the board recorded %d audit entries; only generating letters does", len(entries))
	}
	if w := u.get("/admin/petitions/nope/letters"); w.Code != http.StatusNotFound {
		t.Errorf("an unknown petition: %d", w.Code)
	}
}

func TestLetterPreview(t *testing.T) {
	le := newLettersEnv(t)
	u := le.signIn("organizer")
	w := u.get("/admin/petitions/letters/letters/GB?size=letter")
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("preview: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	body := w.Body.String()
	for _, want := range []string{"size: letter", "Secretary of State for Foreign, Commonwealth and Development Affairs",
		"2 people living in the United Kingdom", "In all, 5 people", "London: សុខ ដារា"} {
		mustContain(t, body, want)
	}
	for _, never := range []string{"Jane Hidden", "mail.example", "Marie Curie", "Sok Chan"} {
		mustNotContain(t, body, never)
	}
	csp := w.Header().Get("Content-Security-Policy")
	if !regexp.MustCompile(`style-src 'sha256-[A-Za-z0-9+/=]{44}'`).MatchString(csp) || strings.Contains(csp, "unsafe") ||
		!strings.Contains(csp, "default-src 'none'") {
		t.Errorf("the preview's policy %q does not allow exactly its own style", csp)
	}
	entries := le.lettersAudit()
	if len(entries) != 1 || entries[0].Action != "letters.generate" || entries[0].RowCount != 1 || entries[0].Actor != "organizer@campaign.test" {
		t.Errorf("audit after a preview: %+v", entries)
	}
	latest, _ := le.db.LatestLetterDigests(context.Background(), le.p.ID)
	if d := latest["GB"]; d == nil || d.SignerCount != 2 || !strings.Contains(body, letters.FormatRoot(d.Root)) {
		t.Errorf("the preview's digest is not recorded, or not the one printed: %+v", d)
	}
	for path, want := range map[string]int{
		"/admin/petitions/letters/letters/GB?size=a5": http.StatusBadRequest,
		"/admin/petitions/letters/letters/JP?size=a4": http.StatusNotFound, // not addressed by this petition
		"/admin/petitions/letters/letters/ZZ":         http.StatusNotFound,
	} {
		if w := u.get(path); w.Code != want {
			t.Errorf("%s: %d, want %d", path, w.Code, want)
		}
	}
}

func TestLetterPDFAndZIP(t *testing.T) {
	le := newLettersEnv(t)
	u := le.signIn("organizer")
	w := u.get("/admin/petitions/letters/letters/GB/pdf")
	if w.Code == http.StatusInternalServerError {
		b, err := le.srv.Letters.Generate(context.Background(), le.p, []string{"GB"}, letters.Actor{Name: "t"})
		if err == nil && errors.Is(le.srv.Letters.WritePDF(io.Discard, b.Letters[0], "a4"), pdf.ErrNotImplemented) {
			t.Skip("the PDF renderer is not implemented yet (internal/pdf returns ErrNotImplemented)")
		}
	}
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/pdf" ||
		!strings.Contains(w.Header().Get("Content-Disposition"), `filename="letters-GB.pdf"`) || !bytes.HasPrefix(w.Body.Bytes(), []byte("%PDF-")) {
		t.Fatalf("PDF: %d %q %q", w.Code, w.Header().Get("Content-Type"), w.Header().Get("Content-Disposition"))
	}
	if _, err := exec.LookPath("pdftotext"); err == nil {
		path := filepath.Join(t.TempDir(), "gb.pdf")
		if err := os.WriteFile(path, w.Body.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("pdftotext", path, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(string(out)), " ")
		for _, want := range []string{"Secretary of State for Foreign, Commonwealth and Development Affairs",
			"2 people living in the United Kingdom", "In all, 5 people", "សុខ ដារា", "Signatures counted: 2"} {
			if !strings.Contains(text, want) {
				t.Errorf("pdftotext of the PDF lacks %q", want)
			}
		}
	}

	w = u.get("/admin/petitions/letters/letters.zip")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/zip" {
		t.Fatalf("ZIP: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	zr, err := zip.NewReader(bytes.NewReader(w.Body.Bytes()), int64(w.Body.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var index string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if f.Name == "index.csv" {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			index = string(b)
		}
	}
	want := []string{"index.html", "index.csv", "US.pdf", "GB.pdf", "EU.pdf", "FR.pdf", "DE.pdf", "NZ.pdf"}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("ZIP holds %v, want %v", names, want)
	}
	if !regexp.MustCompile(`(?m)^NZ,New Zealand,.*,true,address,NZ\.pdf`).MatchString(index) {
		t.Errorf("index.csv does not flag New Zealand:\n%s", index)
	}
	entries := le.lettersAudit()
	if len(entries) != 2 || entries[0].Action != "letters.generate" || entries[0].RowCount != 6 {
		t.Errorf("audit after a PDF and a ZIP: %+v", entries)
	}
	if w := u.get("/admin/petitions/letters/letters.zip?size=b5"); w.Code != http.StatusBadRequest {
		t.Errorf("a ZIP on unknown paper: %d", w.Code)
	}
}

func TestLetterStatus(t *testing.T) {
	le := newLettersEnv(t)
	u := le.signIn("organizer")
	base := "/admin/petitions/letters/letters/GB"
	tests := []struct {
		name     string
		form     url.Values
		wantCode int
		wantMsgs []string
	}{
		{"sent without channel or date", url.Values{"status": {"sent"}}, http.StatusUnprocessableEntity,
			[]string{"letters.status.error.channel", "letters.status.error.date_required"}},
		{"replied without note", url.Values{"status": {"replied"}}, http.StatusUnprocessableEntity, []string{"letters.status.error.note_required"}},
		{"unknown status", url.Values{"status": {"forgotten"}}, http.StatusUnprocessableEntity, []string{"letters.status.error.status"}},
		{"sent by post", url.Values{"status": {"sent"}, "channel": {"post"}, "date": {"2026-02-28"}}, http.StatusSeeOther, nil},
		{"acknowledged", url.Values{"status": {"acknowledged"}}, http.StatusSeeOther, nil},
		{"replied", url.Values{"status": {"replied"}, "note": {"The minister will consider it."}}, http.StatusSeeOther, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := u.post(base+"/status", tt.form)
			if w.Code != tt.wantCode {
				t.Fatalf("%d, want %d", w.Code, tt.wantCode)
			}
			if tt.wantCode == http.StatusSeeOther && w.Header().Get("Location") != base+"?done=status" {
				t.Errorf("redirect to %q", w.Header().Get("Location"))
			}
			for _, key := range tt.wantMsgs {
				mustContain(t, w.Body.String(), le.msg(key))
			}
		})
	}
	u.get(base + "?size=a4") // a generated letter shows its digest on the page
	page := u.get(base)
	body := page.Body.String()
	if d, _ := le.db.LatestLetterDigests(context.Background(), le.p.ID); d["GB"] == nil ||
		!strings.Contains(body, "<code>"+letters.FormatRoot(d["GB"].Root)+"</code>") {
		t.Error("the letter page does not show the last generated digest")
	}
	history := regexp.MustCompile(`(?s)<table class="admin-table" id="history">.*?</table>`).FindString(body)
	for _, want := range []string{"2026-02-28", le.msg("letters.channel.post"), le.msg("letters.status.acknowledged"),
		"The minister will consider it.", "organizer@campaign.test"} {
		mustContain(t, history, want)
	}
	if strings.Index(history, "<td>"+le.msg("letters.status.replied")+"</td>") > strings.Index(history, "<td>"+le.msg("letters.status.sent")+"</td>") {
		t.Error("the history is not newest first")
	}
	board := u.get("/admin/petitions/letters/letters").Body.String()
	gb := regexp.MustCompile(`(?s)<tr id="row-GB">.*?</tr>`).FindString(board)
	mustContain(t, gb, le.msg("letters.status.replied"))
	mustContain(t, gb, "2026-03-01")
	var statusEntries int
	for _, e := range le.lettersAudit() {
		if e.Action == "letters.status" && e.Target == "letters/GB" {
			statusEntries++
		}
	}
	if statusEntries != 3 {
		t.Errorf("%d letters.status audit entries, want 3 (refused changes are not recorded)", statusEntries)
	}
	if w := u.post("/admin/petitions/letters/letters/JP/status", url.Values{"status": {"sent"}}); w.Code != http.StatusNotFound {
		t.Errorf("status of a jurisdiction the petition does not address: %d", w.Code)
	}
}

func TestJurisdictionEditor(t *testing.T) {
	le := newLettersEnv(t)
	u := le.signIn("organizer")
	w := u.get("/admin/jurisdictions/NZ?from=letters")
	if w.Code != http.StatusOK {
		t.Fatalf("editor: %d", w.Code)
	}
	mustContain(t, w.Body.String(), "Ministry of Foreign Affairs and Trade")
	mustContain(t, w.Body.String(), le.msg("letters.verify_before_mailing"))

	w = u.post("/admin/jurisdictions/NZ?from=letters", url.Values{"addressee": {""}, "language": {"english"}})
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("invalid correction: %d", w.Code)
	}
	mustContain(t, w.Body.String(), le.msg("letters.jurisdiction.error.addressee"))
	mustContain(t, w.Body.String(), le.msg("letters.jurisdiction.error.language"))

	w = u.post("/admin/jurisdictions/NZ?from=letters", url.Values{"addressee": {"Minister of Foreign Affairs and Trade"},
		"address": {"Private Bag 18-901\r\nWellington 6160"}, "address_confirmed": {"true"}, "language": {"en"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin/jurisdictions/NZ?saved=1&from=letters" {
		t.Fatalf("save: %d to %q", w.Code, w.Header().Get("Location"))
	}
	board := u.get("/admin/petitions/letters/letters").Body.String()
	nz := regexp.MustCompile(`(?s)<tr id="row-NZ">.*?</tr>`).FindString(board)
	mustContain(t, nz, "Minister of Foreign Affairs and Trade")
	mustNotContain(t, nz, le.msg("letters.verify_before_mailing"))
	preview := u.get("/admin/petitions/letters/letters/NZ?size=a4").Body.String()
	mustContain(t, preview, "<address>Minister of Foreign Affairs and Trade<br>Private Bag 18-901<br>Wellington 6160</address>")
	if a := le.lettersAudit(); len(a) != 2 || a[1].Action != "jurisdiction.update" || a[1].Target != "NZ" {
		t.Errorf("audit %+v, want jurisdiction.update before the preview's letters.generate", a)
	}
	if w := u.get("/admin/jurisdictions/ZZ"); w.Code != http.StatusNotFound {
		t.Errorf("unknown jurisdiction: %d", w.Code)
	}
}

func TestLetterTemplateEditor(t *testing.T) {
	le := newLettersEnv(t)
	u := le.signIn("organizer")
	path := "/admin/petitions/letters/templates/fr"
	w := u.get(path)
	if w.Code != http.StatusOK {
		t.Fatalf("template page: %d", w.Code)
	}
	mustContain(t, w.Body.String(), "Madame, Monsieur,")
	mustContain(t, w.Body.String(), le.msg("letters.template.config", "fr"))

	bad := "| {{.Jurisdiction.Addressee}}\n{{if .Jurisdiction.IsEU}}{{.Signerz}}{{end}}\n"
	w = u.post(path, url.Values{"body": {bad}})
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("a template with a misspelt variable: %d", w.Code)
	}
	mustContain(t, w.Body.String(), "map has no entry for key &#34;Signerz&#34;")
	mustContain(t, w.Body.String(), "{{.Signerz}}") // the organizer's text is kept

	good := "| {{.Jurisdiction.Addressee}}\n\n# Lettre propre à la pétition\n\nNous sommes {{num .Signers}}.\n"
	w = u.post(path, url.Values{"body": {good}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != path+"?done=saved" {
		t.Fatalf("save: %d to %q", w.Code, w.Header().Get("Location"))
	}
	preview := u.get("/admin/petitions/letters/letters/FR?size=a4").Body.String()
	mustContain(t, preview, "<h1>Lettre propre à la pétition</h1>")
	mustContain(t, preview, "Nous sommes 1.")
	mustContain(t, u.get(path).Body.String(), le.msg("letters.template.own"))

	w = u.post(path, url.Values{"action": {"reset"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("reset: %d", w.Code)
	}
	mustContain(t, u.get("/admin/petitions/letters/letters/FR?size=a4").Body.String(), "Madame, Monsieur,")
	var templates []string
	for _, e := range le.lettersAudit() {
		if e.Action == "letters.template" {
			templates = append(templates, e.Target+" "+e.Detail)
		}
	}
	if !slices.Equal(templates, []string{"letters/fr reset to config/letters", "letters/fr saved"}) {
		t.Errorf("template audit entries %q: want the save and the reset, and nothing for the refused template", templates)
	}
	if w := u.get("/admin/petitions/letters/templates/FRENCH"); w.Code != http.StatusNotFound {
		t.Errorf("a template for no language: %d", w.Code)
	}
	mustContain(t, u.get("/admin/petitions/letters/templates/es").Body.String(), le.msg("letters.template.fallback", "es"))
}
