package pdf

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/web"
)

// testNames are the names every script must give back exactly.
var testNames = []string{
	"Sok Dara", "សុខ ដារ៉ា", "កម្ពុជា", "สมชาย ใจดี",
	"Дмитрий Иванов", "Αλέξανδρος", "محمد عبد الله", "José Ñúñez",
}

var loadTestFonts = sync.OnceValues(func() (*Fonts, error) { return LoadFonts(web.FS) })

func mustFonts(tb testing.TB) *Fonts {
	tb.Helper()
	f, err := loadTestFonts()
	if err != nil {
		tb.Fatalf("LoadFonts: %v", err)
	}
	return f
}

var testMeta = Meta{
	Title:   "Letter to the Minister",
	Subject: "Sanctions",
	Author:  "Campaign",
	Created: time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC),
}

// letterBlocks is a one-page letter using every style, with one name per
// line.
func letterBlocks() []Block {
	blocks := []Block{
		{StyleAddress, "Minister of Foreign Affairs"},
		{StyleAddress, "King Charles Street\nLondon SW1A 2AH"},
		{StyleRight, "Geneva, 3 November 2026"},
		{StyleTitle, "Targeted sanctions for those responsible"},
		{StyleBody, "Dear Minister, we write on behalf of 12,345 signers resident in your country " +
			"and 98,765 signers in all, to ask that your government designate the officials named below."},
		{StyleHeading, "Signers who asked to be named"},
	}
	for _, n := range testNames {
		blocks = append(blocks, Block{StyleBullet, n})
	}
	return append(blocks,
		Block{StyleBody, "Yours sincerely,"},
		Block{StyleSmall, "Annex: verification digest of the counted signatures."},
		Block{StyleMono, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855e3b0c44298fc1c149afbf4c8996fb924"},
	)
}

// longBlocks is the letter followed by a paragraph long enough to wrap
// onto a second page.
func longBlocks() []Block {
	long := strings.Repeat("The regime covers serious human rights violations, including arbitrary detention, "+
		"torture and forced labour, and corruption by public officials. ", 24)
	return append(letterBlocks(), Block{StyleBody, long})
}

func render(tb testing.TB, size PageSize, blocks []Block) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := NewRenderer(mustFonts(tb)).Render(&buf, size, testMeta, blocks); err != nil {
		tb.Fatalf("Render: %v", err)
	}
	return buf.Bytes()
}

// writeTemp writes a rendered PDF where the poppler tools can read it.
func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// tool runs a command-line tool, skipping the test when it is missing.
func tool(t *testing.T, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not installed (apt-get install poppler-utils qpdf)", name)
	}
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// bidiControls are the embeddings poppler puts around every right-to-left
// word, whatever produced the PDF.
var bidiControls = strings.NewReplacer("\u202a", "", "\u202b", "", "\u202c", "", "\u202d", "", "\u202e", "")

func TestRenderNamesComeBackExactly(t *testing.T) {
	path := writeTemp(t, "letter.pdf", render(t, A4(), letterBlocks()))
	for _, mode := range [][]string{{"-layout"}, {}} {
		t.Run("pdftotext "+strings.Join(mode, ""), func(t *testing.T) {
			text := bidiControls.Replace(tool(t, "pdftotext", append(mode, path, "-")...))
			var got []string
			for _, ln := range strings.Split(text, "\n") {
				if name, ok := strings.CutPrefix(strings.TrimSpace(ln), "•"); ok {
					got = append(got, strings.TrimSpace(name))
				}
			}
			if strings.Join(got, "|") != strings.Join(testNames, "|") {
				t.Errorf("bullet lines:\n got %q\nwant %q\nfull text:\n%s", got, testNames, text)
			}
			for _, want := range []string{"Targeted sanctions for those responsible", "Geneva, 3 November 2026", "London SW1A 2AH", "12,345 signers"} {
				if !strings.Contains(text, want) {
					t.Errorf("text lacks %q:\n%s", want, text)
				}
			}
		})
	}
}

func TestRenderEmbedsSubsetFonts(t *testing.T) {
	path := writeTemp(t, "letter.pdf", render(t, A4(), letterBlocks()))
	out := tool(t, "pdffonts", path)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 3 {
		t.Fatalf("pdffonts lists no fonts:\n%s", out)
	}
	seen := map[string]bool{}
	for _, ln := range lines[2:] {
		f := strings.Fields(ln)
		// name type... encoding emb sub uni object ID
		if len(f) < 8 {
			t.Fatalf("unexpected pdffonts line %q", ln)
		}
		name, emb, sub, uni := f[0], f[len(f)-5], f[len(f)-4], f[len(f)-3]
		if emb != "yes" || sub != "yes" || uni != "yes" {
			t.Errorf("%s: emb %s sub %s uni %s, want all yes", name, emb, sub, uni)
		}
		if tag, base, ok := strings.Cut(name, "+"); !ok || len(tag) != 6 || strings.ToUpper(tag) != tag {
			t.Errorf("%s: not a subset name (XXXXXX+Name)", name)
		} else {
			seen[base] = true
		}
	}
	for _, want := range []string{"NotoSans-Regular", "NotoSans-Bold", "NotoSansKhmer-Regular", "NotoSansThai-Regular", "NotoNaskhArabic-Regular"} {
		if !seen[want] {
			t.Errorf("font %s missing from pdffonts:\n%s", want, out)
		}
	}
}

func TestRenderPagesAndSizes(t *testing.T) {
	tests := []struct {
		name     string
		size     PageSize
		blocks   []Block
		pages    int
		pageSize string
	}{
		{"letter A4", A4(), letterBlocks(), 1, "595.28 x 841.89 pts (A4)"},
		{"letter US", Letter(), letterBlocks(), 1, "612 x 792 pts (letter)"},
		{"long A4", A4(), longBlocks(), 2, "595.28 x 841.89 pts (A4)"},
		{"long US", Letter(), longBlocks(), 2, "612 x 792 pts (letter)"},
		{"page break", A4(), append(letterBlocks()[:3], Block{Style: StylePageBreak}, Block{StyleBody, "Annex"}), 2, "595.28 x 841.89 pts (A4)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTemp(t, "doc.pdf", render(t, tt.size, tt.blocks))
			info := map[string]string{}
			for _, ln := range strings.Split(tool(t, "pdfinfo", path), "\n") {
				if k, v, ok := strings.Cut(ln, ":"); ok {
					info[k] = strings.TrimSpace(v)
				}
			}
			if want := strconv.Itoa(tt.pages); info["Pages"] != want {
				t.Errorf("Pages = %q, want %s", info["Pages"], want)
			}
			if info["Page size"] != tt.pageSize {
				t.Errorf("Page size = %q, want %q", info["Page size"], tt.pageSize)
			}
			if info["Title"] != testMeta.Title {
				t.Errorf("Title = %q, want %q", info["Title"], testMeta.Title)
			}
			text := tool(t, "pdftotext", "-layout", path, "-")
			for n := 1; n <= tt.pages; n++ {
				if footer := fmt.Sprintf("%d / %d", n, tt.pages); !strings.Contains(text, footer) {
					t.Errorf("no footer %q in:\n%s", footer, text)
				}
			}
		})
	}
}

func TestRenderPassesQPDFCheck(t *testing.T) {
	for name, blocks := range map[string][]Block{"letter": letterBlocks(), "long": longBlocks()} {
		t.Run(name, func(t *testing.T) {
			path := writeTemp(t, name+".pdf", render(t, A4(), blocks))
			out := tool(t, "qpdf", "--check", path) // exits non-zero on errors and warnings
			if !strings.Contains(out, "No syntax or stream encoding errors found") || strings.Contains(out, "WARNING") {
				t.Errorf("qpdf --check:\n%s", out)
			}
		})
	}
}
