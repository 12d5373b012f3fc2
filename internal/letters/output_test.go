package letters_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/letters"
)

func TestPrintHTML(t *testing.T) {
	f := newFixture(t)
	f.add(signer{name: "សុខ ដារា", country: "GB", city: "London", named: true},
		signer{name: "<script>alert(1)</script>", country: "GB", named: true})
	l := letterTo(t, f.generate("GB"), "GB")
	for _, tt := range []struct{ size, page string }{{"a4", "size: A4"}, {"letter", "size: letter"}} {
		var buf bytes.Buffer
		if err := f.svc.WriteHTML(&buf, l, tt.size); err != nil {
			t.Fatal(err)
		}
		html := buf.String()
		for _, want := range []string{tt.page, "<address>Secretary of State for Foreign, Commonwealth and Development Affairs<br>",
			"London: សុខ ដារា", `<p class="mono">`, `class="page-break"`, `<html lang="en">`} {
			if !strings.Contains(html, want) {
				t.Errorf("%s: the print HTML lacks %q", tt.size, want)
			}
		}
		if strings.Contains(html, "<script>") || strings.Contains(html, "http://") || strings.Contains(html, "<link") {
			t.Errorf("%s: the print HTML runs script or fetches something", tt.size)
		}
	}
	if err := f.svc.WriteHTML(io.Discard, l, "a5"); err == nil {
		t.Error("an unknown paper size")
	}
}

// pdfText renders l and returns what pdftotext reads back.
func pdfText(t *testing.T, f *fixture, l *letters.Letter, size string) string {
	t.Helper()
	var buf bytes.Buffer
	err := f.svc.WritePDF(&buf, l, size)
	skipUnlessPDF(t, err)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	path := filepath.Join(t.TempDir(), "letter.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestPDFText reads a letter's PDF back with pdftotext: the addressee, the
// counts and the names, a Khmer one shaped and returned exactly.
func TestPDFText(t *testing.T) {
	f := newFixture(t)
	f.add(signer{name: "សុខ ដារា", country: "GB", city: "Phnom Penh", named: true},
		signer{name: "កម្ពុជា ស្រី", country: "GB", named: true}, signer{name: "Anon", country: "GB"},
		signer{name: "Anne", country: "FR"})
	b := f.generate("GB", "US")
	got := pdfText(t, f, letterTo(t, b, "GB"), "a4")
	for _, want := range []string{"Secretary of State for Foreign, Commonwealth and Development", "King Charles Street",
		"3 people living in the United Kingdom", "In all, 4 people", "សុខ ដារា", "កម្ពុជា ស្រី", "Signatures counted: 3"} {
		if !strings.Contains(strings.Join(strings.Fields(got), " "), want) {
			t.Errorf("pdftotext lacks %q:\n%s", want, got)
		}
	}
	if us := pdfText(t, f, letterTo(t, b, "US"), "letter"); !strings.Contains(us, "Office of Foreign Assets Control") {
		t.Errorf("the US letter's addressee is missing:\n%s", us)
	}
}

// TestZIP: one PDF per letter, with an index in HTML and CSV.
func TestZIP(t *testing.T) {
	f := newFixture(t)
	f.add(signer{name: "A", country: "GB"}, signer{name: "B", country: "NZ"})
	b := f.generate()
	var buf bytes.Buffer
	err := f.svc.WriteZIP(context.Background(), &buf, b, "")
	skipUnlessPDF(t, err)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	files := map[string][]byte{}
	for _, zf := range zr.File {
		names = append(names, zf.Name)
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[zf.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	if len(names) != len(b.Letters)+2 || names[0] != "index.html" || names[1] != "index.csv" {
		t.Fatalf("ZIP holds %v, want index.html, index.csv and %d PDFs", names, len(b.Letters))
	}
	for _, l := range b.Letters {
		pdf := files[l.Jurisdiction.Code+".pdf"]
		if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Errorf("%s.pdf is missing or not a PDF", l.Jurisdiction.Code)
		}
	}
	rows, err := csv.NewReader(bytes.NewReader(files["index.csv"])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], letters.IndexCSVHeader) || len(rows) != len(b.Letters)+1 {
		t.Fatalf("index.csv: header %v and %d rows", rows[0], len(rows)-1)
	}
	col := func(name string) int { return slices.Index(letters.IndexCSVHeader, name) }
	byCode := map[string][]string{}
	for _, r := range rows[1:] {
		byCode[r[0]] = r
	}
	if r := byCode["GB"]; r[col("signers")] != "1" || r[col("total")] != "2" || r[col("verify_before_mailing")] != "false" ||
		r[col("digest_root")] != letters.FormatRoot(letterTo(t, b, "GB").Root[:]) || r[col("file")] != "GB.pdf" {
		t.Errorf("index.csv row for GB: %v", r)
	}
	if r := byCode["NZ"]; r[col("verify_before_mailing")] != "true" || !strings.Contains(r[col("check")], "address") {
		t.Errorf("index.csv does not flag New Zealand's unconfirmed address: %v", r)
	}
	index := string(files["index.html"])
	if !strings.Contains(index, "VERIFY BEFORE MAILING") || !strings.Contains(index, `href="GB.pdf"`) {
		t.Error("index.html lacks the flag or the links")
	}
}
