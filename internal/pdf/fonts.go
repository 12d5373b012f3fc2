package pdf

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"

	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/language"
	tdfont "github.com/tdewolff/font"
)

// faceID names one of the embedded faces.
type faceID int

const (
	faceSans faceID = iota
	faceSansBold
	faceKhmer
	faceThai
	faceArabic
	numFaces
)

// fontDir is where LoadFonts looks inside the file system it is given.
const fontDir = "static/fonts"

var fontFiles = [numFaces]string{
	faceSans:     "NotoSans-Regular.ttf",
	faceSansBold: "NotoSans-Bold.ttf",
	faceKhmer:    "NotoSansKhmer-Regular.ttf",
	faceThai:     "NotoSansThai-Regular.ttf",
	faceArabic:   "NotoNaskhArabic-Regular.ttf",
}

// fontFile is one parsed font file. Everything in it is read-only once
// loaded, so renderers on many goroutines share it.
type fontFile struct {
	name string       // PostScript name, e.g. NotoSans-Regular
	font *font.Font   // go-text's immutable font; each renderer wraps it in its own Face
	sfnt *tdfont.SFNT // subsetting source: never passed to Subset directly (see subsetFont)

	// Metrics in PDF glyph space (1/1000 em).
	scale                      float64 // 1000 / unitsPerEm
	ascent, descent, capHeight float64
	bbox                       [4]float64
}

type fontsImpl struct {
	files [numFaces]*fontFile
}

func loadFonts(fsys fs.FS) (*Fonts, error) {
	impl := &fontsImpl{}
	for id, file := range fontFiles {
		ff, err := loadFontFile(fsys, path.Join(fontDir, file))
		if err != nil {
			return nil, err
		}
		impl.files[id] = ff
	}
	return &Fonts{impl: impl}, nil
}

func loadFontFile(fsys fs.FS, name string) (*fontFile, error) {
	raw, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("pdf: read font: %w", err)
	}
	face, err := font.ParseTTF(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("pdf: parse font %s: %w", name, err)
	}
	sfnt, err := tdfont.ParseSFNT(raw, 0)
	if err != nil {
		return nil, fmt.Errorf("pdf: parse font %s for subsetting: %w", name, err)
	}
	if !sfnt.IsTrueType || sfnt.Head == nil || sfnt.Hhea == nil || sfnt.Maxp == nil {
		return nil, fmt.Errorf("pdf: font %s: TrueType outlines required", name)
	}
	scale := 1000 / float64(sfnt.Head.UnitsPerEm)
	ff := &fontFile{
		name:    psName(name),
		font:    face.Font,
		sfnt:    sfnt,
		scale:   scale,
		ascent:  float64(sfnt.Hhea.Ascender) * scale,
		descent: float64(sfnt.Hhea.Descender) * scale,
		bbox: [4]float64{
			float64(sfnt.Head.XMin) * scale, float64(sfnt.Head.YMin) * scale,
			float64(sfnt.Head.XMax) * scale, float64(sfnt.Head.YMax) * scale,
		},
	}
	ff.capHeight = ff.ascent
	if sfnt.OS2 != nil && sfnt.OS2.SCapHeight > 0 {
		ff.capHeight = float64(sfnt.OS2.SCapHeight) * scale
	}
	return ff, nil
}

// psName derives a PDF-safe base font name from the file name
// (NotoSans-Regular.ttf gives NotoSans-Regular).
func psName(file string) string {
	base := path.Base(file)
	base = base[:len(base)-len(path.Ext(base))]
	var b []byte
	for i := 0; i < len(base); i++ {
		c := base[i]
		if c > 0x20 && c < 0x7f && !bytes.ContainsRune([]byte("()<>[]{}/%#"), rune(c)) {
			b = append(b, c)
		}
	}
	return string(b)
}

// fontmap picks the face for each rune: the face made for the run's script
// first, then any face that has the glyph (coverage fallback).
type fontmap struct {
	faces  *[numFaces]*font.Face
	latin  faceID // faceSans or faceSansBold, by block style
	script language.Script
}

func (m *fontmap) SetScript(s language.Script) { m.script = s }

func (m *fontmap) ResolveFace(r rune) *font.Face {
	return m.faces[m.resolve(r)]
}

func (m *fontmap) resolve(r rune) faceID {
	first := m.latin
	switch m.script {
	case language.Khmer:
		first = faceKhmer
	case language.Thai:
		first = faceThai
	case language.Arabic:
		first = faceArabic
	}
	if m.has(first, r) {
		return first
	}
	for _, id := range [...]faceID{m.latin, faceKhmer, faceThai, faceArabic} {
		if id != first && m.has(id, r) {
			return id
		}
	}
	return first
}

func (m *fontmap) has(id faceID, r rune) bool {
	_, ok := m.faces[id].NominalGlyph(r)
	return ok
}
