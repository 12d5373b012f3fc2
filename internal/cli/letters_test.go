package cli_test

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

const lettersSlug = "coordinated-sanctions"

// newLettersDataDir is a data directory with the campaign's petitions and
// a few signatures on the featured one, sealed with the directory's key.
func newLettersDataDir(t *testing.T) (string, map[string]string) {
	t.Helper()
	dir, vars := newImportDataDir(t)
	vars["CAMPAIGN_CONTENT_DIR"] = "../../config"
	ctx := context.Background()
	key, _, err := vault.LoadOrCreateKeyFile(filepath.Join(dir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(key)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, "sqlite://"+filepath.Join(dir, "campaign.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := db.FindPetitionBySlug(ctx, lettersSlug)
	if err != nil {
		t.Fatal(err)
	}
	svc := signing.NewService(v, nil, nil, false, time.Now)
	var rows []*store.Signature
	for i, in := range []signing.Input{
		{Name: "សុខ ដារា", Email: "dara@mail.example", Country: "GB", City: "London", IncludeInLetters: true},
		{Name: "Jane Roe", Email: "jane@mail.example", Country: "GB"},
		{Name: "Marie Curie", Email: "marie@mail.example", Country: "FR", IncludeInLetters: true},
		{Name: "Kiri Te", Email: "kiri@mail.example", Country: "NZ"},
	} {
		sig, _, err := svc.Prepare(ctx, p, signing.Request{Input: in, Lang: "en", Source: "web"})
		if err != nil {
			t.Fatalf("signature %d: %v", i, err)
		}
		rows = append(rows, sig)
	}
	if _, err := db.InsertSignatures(ctx, rows); err != nil {
		t.Fatal(err)
	}
	return dir, vars
}

func TestLettersCommandUsage(t *testing.T) {
	dir, vars := newLettersDataDir(t)
	out := filepath.Join(dir, "out")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no petition", []string{"letters", "--out", out}, "--petition is required"},
		{"no out", []string{"letters", "--petition", lettersSlug}, "--out is required"},
		{"bad format", []string{"letters", "--petition", lettersSlug, "--format", "docx", "--out", out}, `want pdf, html or zip`},
		{"bad size", []string{"letters", "--petition", lettersSlug, "--size", "a5", "--out", out}, "want a4 or letter"},
		{"unknown petition", []string{"letters", "--petition", "nope", "--out", out}, `unknown petition "nope"`},
		{"unknown country", []string{"letters", "--petition", lettersSlug, "--country", "KH", "--out", out}, "is not addressed to it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runWithStdin(t, vars, "", tt.args...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q (stdout %q)", code, stderr, tt.want, stdout)
			}
		})
	}
}

func TestLettersCommandPDFDirectory(t *testing.T) {
	dir, vars := newLettersDataDir(t)
	out := filepath.Join(dir, "letters")
	code, stdout, stderr := runWithStdin(t, vars, "", "letters", "--petition", lettersSlug, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 37 {
		t.Fatalf("%d lines on stdout, want one per jurisdiction of the petition (37):\n%s", len(lines), stdout)
	}
	byCode := map[string]string{}
	for _, l := range lines {
		byCode[strings.Fields(l)[0]] = l
	}
	if gb := byCode["GB"]; !strings.Contains(gb, "signers 2 of 4") || !strings.Contains(gb, "names 1") ||
		!strings.Contains(gb, "GB.pdf") || strings.Contains(gb, "VERIFY BEFORE MAILING") {
		t.Errorf("GB line: %q", gb)
	}
	if nz := byCode["NZ"]; !strings.Contains(nz, "VERIFY BEFORE MAILING (address") || !strings.Contains(nz, "signers 1 of 4") {
		t.Errorf("NZ line: %q", nz)
	}
	if eu := byCode["EU"]; !strings.Contains(eu, "signers 1 of 4") {
		t.Errorf("EU line: %q", eu)
	}
	if !strings.Contains(stderr, "composed 37 letters from 4 confirmed signatures") {
		t.Errorf("no progress on stderr: %q", stderr)
	}
	for _, name := range []string{"GB.pdf", "EU.pdf", "NZ.pdf", "index.csv"} {
		fi, err := os.Stat(filepath.Join(out, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v; letters carry names and must be private", name, fi.Mode().Perm())
		}
	}
	if b, _ := os.ReadFile(filepath.Join(out, "GB.pdf")); !strings.HasPrefix(string(b), "%PDF-") {
		t.Error("GB.pdf is not a PDF")
	}
	_, audit := importState(t, dir)
	if audit == nil || audit.Action != "letters.generate" || audit.Actor != "cli" || audit.RowCount != 37 {
		t.Errorf("audit %+v, want letters.generate by cli for 37 letters", audit)
	}
}

func TestLettersCommandSingleHTMLAndZIP(t *testing.T) {
	dir, vars := newLettersDataDir(t)
	file := filepath.Join(dir, "gb.html")
	code, stdout, stderr := runWithStdin(t, vars, "", "letters", "--petition", lettersSlug, "--country", "gb",
		"--format", "html", "--size", "letter", "--out", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := strings.Count(strings.TrimSpace(stdout), "\n") + 1; n != 1 || !strings.HasPrefix(stdout, "GB") {
		t.Errorf("stdout %q, want one line for GB", stdout)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	for _, want := range []string{"size: letter", "Secretary of State for Foreign, Commonwealth and Development Affairs", "London: សុខ ដារា"} {
		if !strings.Contains(html, want) {
			t.Errorf("the HTML letter lacks %q", want)
		}
	}
	if strings.Contains(html, "mail.example") || strings.Contains(html, "Jane Roe") {
		t.Error("the letter shows an email or the name of a signer who did not consent")
	}

	zipPath := filepath.Join(dir, "all.zip")
	code, _, stderr = runWithStdin(t, vars, "", "letters", "--petition", lettersSlug, "--format", "zip", "--out", zipPath)
	if code != 0 {
		t.Fatalf("zip: exit %d: %s", code, stderr)
	}
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 39 || zr.File[0].Name != "index.html" || zr.File[1].Name != "index.csv" {
		t.Errorf("the ZIP holds %d files starting with %s, want index.html, index.csv and 37 PDFs", len(zr.File), zr.File[0].Name)
	}
}
