// Package pdf renders letters as PDF files with their fonts embedded and
// every script shaped correctly (Latin, Cyrillic, Greek, Khmer, Thai,
// Arabic): text is shaped with go-text/typesetting and written as glyph ids
// by a small PDF writer of our own, with subset TrueType fonts.
package pdf

import (
	"errors"
	"io"
	"io/fs"
	"time"
)

// PageSize is a paper size in PDF points (1/72 inch).
type PageSize struct {
	Name string
	W, H float64
}

// A4 is 210 × 297 mm.
func A4() PageSize { return PageSize{Name: "A4", W: 595.28, H: 841.89} }

// Letter is US Letter, 8.5 × 11 in.
func Letter() PageSize { return PageSize{Name: "Letter", W: 612, H: 792} }

// Style is how a block of text is set.
type Style int

// Block styles of a letter.
const (
	StyleBody      Style = iota // paragraph, justified left, wrapped
	StyleTitle                  // large, bold
	StyleHeading                // bold section heading
	StyleSmall                  // small print (annex, footnotes)
	StyleBullet                 // list item with a bullet
	StyleAddress                // address lines: no extra space between consecutive address blocks
	StyleRight                  // right-aligned line (date, place)
	StyleMono                   // digests and codes, wrapped anywhere
	StylePageBreak              // starts a new page; Text is ignored
)

// Block is one paragraph of a document.
type Block struct {
	Style Style
	Text  string
}

// Meta is the document's information dictionary.
type Meta struct {
	Title, Subject, Author string
	Created                time.Time
}

// Fonts holds the parsed font faces, shared read-only by renderers.
type Fonts struct{ impl *fontsImpl }

// LoadFonts reads the Noto faces from fsys (web.FS: static/fonts/*.ttf).
func LoadFonts(fsys fs.FS) (*Fonts, error) { return loadFonts(fsys) }

// Renderer lays out and writes documents. It is not safe for concurrent
// use: make one per goroutine (they share Fonts).
type Renderer struct{ impl *rendererImpl }

// NewRenderer returns a renderer over f.
func NewRenderer(f *Fonts) *Renderer { return newRenderer(f) }

// Render writes a complete PDF document: margins of 25 mm, blocks wrapped
// to the page width, new pages as needed, page numbers in the footer.
func (r *Renderer) Render(w io.Writer, size PageSize, meta Meta, blocks []Block) error {
	return r.render(w, size, meta, blocks)
}

// ErrNotImplemented is returned until the renderer is written.
var ErrNotImplemented = errors.New("pdf: renderer not implemented yet")
