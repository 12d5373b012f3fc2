package pdf

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/go-text/typesetting/shaping"
)

// lineText is a line's text as the ActualText spans give it.
func lineText(ln line) string {
	var b strings.Builder
	for _, run := range ln.runs {
		b.WriteString(run.text)
	}
	return strings.TrimSpace(b.String())
}

func TestSetParagraphBreaksOnlyAtSpaces(t *testing.T) {
	r := NewRenderer(mustFonts(t)).impl
	tests := []struct {
		name  string
		words []string
	}{
		{"latin", strings.Fields("The regime covers serious human rights violations including arbitrary detention")},
		{"khmer", strings.Fields(strings.Repeat("សុខ ដារ៉ា កម្ពុជា ", 6))},
		{"thai", strings.Fields(strings.Repeat("สมชาย ใจดี ", 8))},
		{"arabic", strings.Fields(strings.Repeat("محمد عبد الله ", 6))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := r.setParagraph(strings.Join(tt.words, " "), lineOptions{latin: faceSans, size: 11, maxWidth: 120})
			if len(lines) < 2 {
				t.Fatalf("got %d lines, want the paragraph wrapped at 120 pt", len(lines))
			}
			var got []string
			for i, ln := range lines {
				if ln.width > 120 {
					t.Errorf("line %d is %.1f pt wide, more than 120", i, ln.width)
				}
				got = append(got, strings.Fields(lineText(ln))...)
			}
			if strings.Join(got, " ") != strings.Join(tt.words, " ") {
				t.Errorf("words across lines:\n got %q\nwant %q", got, tt.words)
			}
		})
	}
}

func TestSetParagraphBreaksLongWordAnywhere(t *testing.T) {
	r := NewRenderer(mustFonts(t)).impl
	digest := strings.Repeat("0123456789abcdef", 8)
	for _, policy := range []shaping.LineBreakPolicy{shaping.WhenNecessary, shaping.Always} {
		lines := r.setParagraph(digest, lineOptions{latin: faceSans, size: 9, maxWidth: 200, policy: policy})
		if len(lines) < 2 {
			t.Fatalf("policy %v: got %d lines, want the digest broken", policy, len(lines))
		}
		var joined string
		for _, ln := range lines {
			if ln.width > 200 {
				t.Errorf("policy %v: line %.1f pt wide, more than 200", policy, ln.width)
			}
			joined += lineText(ln)
		}
		if joined != digest {
			t.Errorf("policy %v: lines join to %q, want %q", policy, joined, digest)
		}
	}
}

var objRE = regexp.MustCompile(`^(\d+) 0 obj\n`)

// TestRenderXref checks the cross-reference table without qpdf: every
// entry points at the object it numbers, and startxref at the table.
func TestRenderXref(t *testing.T) {
	doc := render(t, A4(), longBlocks())
	i := bytes.LastIndex(doc, []byte("startxref\n"))
	if i < 0 {
		t.Fatal("no startxref")
	}
	start, err := strconv.Atoi(strings.Fields(string(doc[i+len("startxref\n"):]))[0])
	if err != nil || !bytes.HasPrefix(doc[start:], []byte("xref\n0 ")) {
		t.Fatalf("startxref %d does not point at the xref table", start)
	}
	lines := strings.Split(string(doc[start:]), "\n")
	count, _ := strconv.Atoi(strings.Fields(lines[1])[1])
	if !strings.Contains(string(doc[start:]), "/Size "+strconv.Itoa(count)) {
		t.Errorf("trailer /Size is not %d", count)
	}
	for n := 1; n < count; n++ {
		entry := lines[2+n]
		if len(entry) != 19 { // 20 bytes with the newline
			t.Fatalf("xref entry %d is %q, want 20 bytes", n, entry)
		}
		off, _ := strconv.Atoi(entry[:10])
		m := objRE.FindSubmatch(doc[off:min(off+20, len(doc))])
		if m == nil || string(m[1]) != strconv.Itoa(n) {
			t.Errorf("xref entry %d points at %q", n, doc[off:min(off+20, len(doc))])
		}
	}
}

func TestRenderIsDeterministicAcrossDocuments(t *testing.T) {
	r := NewRenderer(mustFonts(t))
	renderWith := func(blocks []Block) []byte {
		var buf bytes.Buffer
		if err := r.Render(&buf, A4(), testMeta, blocks); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	first := renderWith(letterBlocks())
	renderWith(longBlocks()) // different glyph sets in between
	if again := renderWith(letterBlocks()); !bytes.Equal(first, again) {
		t.Error("the same letter rendered twice by one renderer differs")
	}
}

// TestRenderParallel renders letters on 8 goroutines (run with -race) and
// checks each equals the sequential rendering and that the shared fonts
// were not written to by subsetting.
func TestRenderParallel(t *testing.T) {
	fonts := mustFonts(t)
	type header struct{ glyphs, locFormat, hMetrics int }
	headers := func() (h [numFaces]header) {
		for id, ff := range fonts.impl.files {
			h[id] = header{int(ff.sfnt.Maxp.NumGlyphs), int(ff.sfnt.Head.IndexToLocFormat), int(ff.sfnt.Hhea.NumberOfHMetrics)}
		}
		return h
	}
	before := headers()
	want := [2][]byte{render(t, A4(), letterBlocks()), render(t, A4(), longBlocks())}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := NewRenderer(fonts)
			for i := range 3 {
				blocks := letterBlocks()
				if (g+i)%2 == 1 {
					blocks = longBlocks()
				}
				var buf bytes.Buffer
				if err := r.Render(&buf, A4(), testMeta, blocks); err != nil {
					errs <- err.Error()
					return
				}
				if !bytes.Equal(buf.Bytes(), want[(g+i)%2]) {
					errs <- "goroutine " + strconv.Itoa(g) + ": output differs from the sequential rendering"
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if after := headers(); after != before {
		t.Errorf("shared font tables changed by subsetting: before %v, after %v", before, after)
	}
}

func TestRenderRejectsTinyPage(t *testing.T) {
	err := NewRenderer(mustFonts(t)).Render(&bytes.Buffer{}, PageSize{W: 100, H: 100}, Meta{}, letterBlocks())
	if err == nil {
		t.Error("a 100 pt page with 25 mm margins rendered without error")
	}
}

func BenchmarkRenderLetter(b *testing.B) {
	r := NewRenderer(mustFonts(b))
	blocks := letterBlocks()
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := r.Render(&buf, A4(), testMeta, blocks); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len())/1024, "KiB/doc")
}

func BenchmarkRenderLetterParallel(b *testing.B) {
	fonts := mustFonts(b)
	blocks := letterBlocks()
	b.RunParallel(func(pb *testing.PB) {
		r := NewRenderer(fonts)
		var buf bytes.Buffer
		for pb.Next() {
			buf.Reset()
			if err := r.Render(&buf, A4(), testMeta, blocks); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
