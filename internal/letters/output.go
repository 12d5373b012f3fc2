package letters

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/cambodia-sanctions/campaign/internal/pdf"
	"github.com/cambodia-sanctions/campaign/web"
)

// Paper sizes a letter can be written for.
const (
	SizeA4     = "a4"
	SizeLetter = "letter"
)

// PageSize returns the paper of a size name ("a4", "letter"); ok is false
// for any other name.
func PageSize(name string) (pdf.PageSize, bool) {
	switch strings.ToLower(name) {
	case SizeA4:
		return pdf.A4(), true
	case SizeLetter:
		return pdf.Letter(), true
	}
	return pdf.PageSize{}, false
}

// DefaultSize is the paper a jurisdiction's offices use: US Letter in the
// United States and Canada, A4 everywhere else.
func DefaultSize(code string) string {
	if code == "US" || code == "CA" {
		return SizeLetter
	}
	return SizeA4
}

// printTemplates are the HTML documents: a letter, and the ZIP's index.
type printTemplates struct {
	letter, index *template.Template
}

func parsePrintTemplates() (*printTemplates, error) {
	letter, err := template.ParseFS(web.FS, "templates/letters/letter.html")
	if err != nil {
		return nil, fmt.Errorf("letters: print template: %w", err)
	}
	index, err := template.ParseFS(web.FS, "templates/letters/index.html")
	if err != nil {
		return nil, fmt.Errorf("letters: index template: %w", err)
	}
	return &printTemplates{letter: letter, index: index}, nil
}

// element is one HTML element of a printed letter: consecutive address
// lines and list items are gathered into one.
type element struct {
	Kind  string // title, heading, address, list, break, para
	Class string // for para: right, small, mono or ""
	Lines []string
}

func elements(blocks []pdf.Block) []element {
	var out []element
	add := func(kind, class, text string, gather bool) {
		if n := len(out); gather && n > 0 && out[n-1].Kind == kind {
			out[n-1].Lines = append(out[n-1].Lines, text)
			return
		}
		out = append(out, element{Kind: kind, Class: class, Lines: []string{text}})
	}
	for _, b := range blocks {
		switch b.Style {
		case pdf.StyleTitle:
			add("title", "", b.Text, false)
		case pdf.StyleHeading:
			add("heading", "", b.Text, false)
		case pdf.StyleAddress:
			add("address", "", b.Text, true)
		case pdf.StyleBullet:
			add("list", "", b.Text, true)
		case pdf.StylePageBreak:
			add("break", "", "", false)
		case pdf.StyleRight:
			add("para", "right", b.Text, false)
		case pdf.StyleSmall:
			add("para", "small", b.Text, false)
		case pdf.StyleMono:
			add("para", "mono", b.Text, false)
		default:
			add("para", "", b.Text, false)
		}
	}
	return out
}

// WriteHTML writes l as a print-ready HTML document for paper size
// ("a4" or "letter").
func (s *Service) WriteHTML(w io.Writer, l *Letter, size string) error {
	ps, ok := PageSize(size)
	if !ok {
		return fmt.Errorf("letters: unknown paper size %q", size)
	}
	data := struct {
		Lang, Title, PageSize, Width string
		Elements                     []element
	}{Lang: l.Language, Title: l.Title, PageSize: map[string]string{"A4": "A4", "Letter": "letter"}[ps.Name],
		Width: map[string]string{"A4": "160mm", "Letter": "165.9mm"}[ps.Name], Elements: elements(l.Blocks)}
	var buf bytes.Buffer
	if err := s.print.letter.Execute(&buf, data); err != nil {
		return fmt.Errorf("letters: print letter: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// WritePDF writes l as a PDF on paper size ("a4" or "letter").
func (s *Service) WritePDF(w io.Writer, l *Letter, size string) error {
	ps, ok := PageSize(size)
	if !ok {
		return fmt.Errorf("letters: unknown paper size %q", size)
	}
	r := s.renderer()
	defer s.release(r)
	return r.Render(w, ps, s.meta(l), l.Blocks)
}

func (s *Service) meta(l *Letter) pdf.Meta {
	return pdf.Meta{Title: l.Title, Subject: "Letter to " + l.Jurisdiction.Addressee + ", " + l.Jurisdiction.Name,
		Author: "Campaign organizers", Created: l.GeneratedAt}
}

// renderer takes a renderer from the pool or makes one; renderers are not
// safe for concurrent use, so each goroutine holds its own.
func (s *Service) renderer() *pdf.Renderer {
	select {
	case r := <-s.pool:
		return r
	default:
		return pdf.NewRenderer(s.fonts)
	}
}

func (s *Service) release(r *pdf.Renderer) {
	select {
	case s.pool <- r:
	default:
	}
}

// RenderPDFs renders every letter of b as a PDF, in parallel on up to
// Workers renderers; size "" gives each letter its DefaultSize. The
// result is in b's order.
func (s *Service) RenderPDFs(ctx context.Context, b *Batch, size string) ([][]byte, error) {
	out := make([][]byte, len(b.Letters))
	errs := make([]error, len(b.Letters))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(s.workers, len(b.Letters)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				sz := size
				if sz == "" {
					sz = DefaultSize(b.Letters[i].Jurisdiction.Code)
				}
				var buf bytes.Buffer
				errs[i] = s.WritePDF(&buf, b.Letters[i], sz)
				out[i] = buf.Bytes()
			}
		}()
	}
	for i := range b.Letters {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, errors.Join(errs...)
}

// IndexRow is one letter in the index of a ZIP (and in the command's output).
type IndexRow struct {
	Code, Name, Addressee, Language string
	Signers, Names                  int64
	Total                           int64
	Root                            string
	Check                           string // reasons to verify before mailing, "" when none
	File                            string
}

// Index lists the letters of b.
func Index(b *Batch, ext string) []IndexRow {
	rows := make([]IndexRow, len(b.Letters))
	for i, l := range b.Letters {
		rows[i] = IndexRow{Code: l.Jurisdiction.Code, Name: l.Jurisdiction.Name, Addressee: l.Jurisdiction.Addressee,
			Language: l.Language, Signers: l.Signers, Names: int64(l.Names), Total: l.Total,
			Root: FormatRoot(l.Root[:]), Check: strings.Join(l.Check, ", "), File: FileName(l, ext)}
	}
	return rows
}

// FileName is a letter's file name in a ZIP or output directory: GB.pdf.
func FileName(l *Letter, ext string) string { return l.Jurisdiction.Code + "." + ext }

// WriteZIP writes every letter of b as a PDF (size "" for each letter's
// DefaultSize) into a ZIP with index.html and index.csv.
func (s *Service) WriteZIP(ctx context.Context, w io.Writer, b *Batch, size string) error {
	pdfs, err := s.RenderPDFs(ctx, b, size)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	rows := Index(b, "pdf")
	if err := s.writeIndexHTML(zw, b, rows); err != nil {
		return err
	}
	f, err := zw.CreateHeader(&zip.FileHeader{Name: "index.csv", Method: zip.Deflate, Modified: b.GeneratedAt})
	if err != nil {
		return err
	}
	if err := WriteIndexCSV(f, b, rows); err != nil {
		return err
	}
	for i, l := range b.Letters {
		// PDFs are compressed already: stored, not deflated again.
		f, err := zw.CreateHeader(&zip.FileHeader{Name: FileName(l, "pdf"), Method: zip.Store, Modified: b.GeneratedAt})
		if err != nil {
			return err
		}
		if _, err := f.Write(pdfs[i]); err != nil {
			return err
		}
	}
	return zw.Close()
}

func (s *Service) writeIndexHTML(zw *zip.Writer, b *Batch, rows []IndexRow) error {
	f, err := zw.CreateHeader(&zip.FileHeader{Name: "index.html", Method: zip.Deflate, Modified: b.GeneratedAt})
	if err != nil {
		return err
	}
	return s.print.index.Execute(f, struct {
		Petition, GeneratedAt string
		Total                 int64
		Rows                  []IndexRow
	}{b.Petition.Title, b.GeneratedAt.Format("2006-01-02 15:04:05 UTC"), b.Total, rows})
}

// IndexCSVHeader is the header row of index.csv.
var IndexCSVHeader = []string{"code", "jurisdiction", "addressee", "language", "signers", "total", "names",
	"digest_root", "generated_at", "verify_before_mailing", "check", "file"}

// WriteIndexCSV writes the index of b's letters as CSV (index.csv).
func WriteIndexCSV(w io.Writer, b *Batch, rows []IndexRow) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(IndexCSVHeader)
	for _, r := range rows {
		_ = cw.Write([]string{r.Code, cell(r.Name), cell(r.Addressee), r.Language, strconv.FormatInt(r.Signers, 10),
			strconv.FormatInt(r.Total, 10), strconv.FormatInt(r.Names, 10), r.Root,
			b.GeneratedAt.Format("2006-01-02T15:04:05Z"), strconv.FormatBool(r.Check != ""), cell(r.Check), r.File})
	}
	cw.Flush()
	return cw.Error()
}

// cell neutralises text a spreadsheet would run as a formula.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
