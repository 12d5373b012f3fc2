package pdf

import (
	"bytes"
	"slices"
	"strings"
	"unicode"

	"github.com/go-text/typesetting/di"
	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/language"
	"github.com/go-text/typesetting/shaping"
	"golang.org/x/image/math/fixed"
)

// Text is shaped at 1000 units per em, so shaped advances and offsets are
// in PDF glyph space (1/1000 em) times 64 (26.6 fixed point); the PDF scales
// them by the font size.
const shapeSize = 1000

// rendererImpl holds the go-text state, which must not be shared between
// goroutines, and buffers reused from one document to the next.
type rendererImpl struct {
	fonts   *fontsImpl
	faces   [numFaces]*font.Face
	fm      fontmap
	shaper  shaping.HarfbuzzShaper
	seg     shaping.Segmenter
	wrapper shaping.LineWrapper

	runes  []rune
	shaped []shaping.Output
	order  []shaping.Output

	doc docState
	out []byte       // the PDF being written
	tmp []byte       // one content stream or CMap before compression
	z   bytes.Buffer // one compressed stream
}

func newRenderer(f *Fonts) *Renderer {
	r := &rendererImpl{fonts: f.impl}
	for id, ff := range f.impl.files {
		r.faces[id] = font.NewFace(ff.font)
	}
	r.fm.faces = &r.faces
	r.doc.reset()
	return &Renderer{impl: r}
}

// glyph is one shaped glyph ready to be written: its CID in the document's
// subset of the font and its shaped position in 1/64 of PDF glyph units.
type glyph struct {
	cid         uint16
	adv, dx, dy int32
	width       float64 // the advance the PDF font declares for it (/W), glyph units
}

// textRun is a sequence of glyphs in one face on one line, in visual order.
type textRun struct {
	face   faceID
	size   float64 // points
	x, y   float64 // pen position of the first glyph, points
	rtl    bool
	text   string // logical text, for /ActualText
	glyphs []glyph
}

// line is one laid-out line: its runs in visual order, positioned at x = 0.
type line struct {
	runs  []textRun
	width float64 // points
}

// lineOptions says how a paragraph is set.
type lineOptions struct {
	latin    faceID
	size     float64
	maxWidth float64 // points
	policy   shaping.LineBreakPolicy
}

// setParagraph shapes text and wraps it into lines no wider than maxWidth.
// Breaks fall at spaces (UAX #14 opportunities: Khmer and Thai words are not
// broken, having no dictionary); a word wider than the line breaks between
// grapheme clusters.
func (r *rendererImpl) setParagraph(text string, o lineOptions) []line {
	r.runes = append(r.runes[:0], []rune(text)...)
	runes := r.runes
	if len(runes) == 0 {
		return nil
	}
	r.fm.latin = o.latin
	inputs := r.seg.Split(shaping.Input{
		Text:      runes,
		RunEnd:    len(runes),
		Direction: di.DirectionLTR,
		Size:      fixed.I(shapeSize),
		Language:  language.NewLanguage("en"),
	}, &r.fm)
	r.shaped = r.shaped[:0]
	for _, in := range inputs {
		r.shaped = append(r.shaped, r.shaper.Shape(in))
	}
	maxW := fixed.Int26_6(o.maxWidth / o.size * shapeSize * 64)
	cfg := shaping.WrapConfig{Direction: di.DirectionLTR, BreakPolicy: o.policy}
	wrapped, _ := r.wrapper.WrapParagraphF(cfg, maxW, runes, shaping.NewSliceIterator(r.shaped))
	lines := make([]line, 0, len(wrapped))
	for _, wl := range wrapped {
		lines = append(lines, r.buildLine(wl, runes, o.size))
	}
	return lines
}

// buildLine copies a wrapped line out of the wrapper's buffers (valid only
// until the next paragraph) into document-owned runs in visual order.
func (r *rendererImpl) buildLine(wl shaping.Line, runes []rune, size float64) line {
	r.order = append(r.order[:0], wl...)
	slices.SortFunc(r.order, func(a, b shaping.Output) int { return int(a.VisualIndex - b.VisualIndex) })
	ln := line{runs: make([]textRun, 0, len(r.order))}
	x := 0.0
	for i, out := range r.order {
		if len(out.Glyphs) == 0 {
			continue
		}
		run := r.buildRun(out, runes, size)
		run.x = x
		if i == len(r.order)-1 {
			run.text = trimRightSpace(run.text)
		}
		x += float64(out.Advance) / 64 * size / 1000
		ln.runs = append(ln.runs, run)
	}
	ln.width = x
	return ln
}

func (r *rendererImpl) buildRun(out shaping.Output, runes []rune, size float64) textRun {
	id := r.faceOf(out.Face)
	rtl := out.Direction.Progression() == di.TowardTopLeft
	run := textRun{
		face:   id,
		size:   size,
		rtl:    rtl,
		text:   string(runes[out.Runes.Offset : out.Runes.Offset+out.Runes.Count]),
		glyphs: make([]glyph, len(out.Glyphs)),
	}
	use := &r.doc.fonts[id]
	ff := r.fonts.files[id]
	gs := out.Glyphs
	for start := 0; start < len(gs); {
		end := start + 1
		for end < len(gs) && gs[end].TextIndex() == gs[start].TextIndex() {
			end++
		}
		cluster := runes[gs[start].TextIndex() : gs[start].TextIndex()+gs[start].RunesCount()]
		for j := start; j < end; j++ {
			g := gs[j]
			k := j - start // position in the cluster, logical order
			if rtl {
				k = end - 1 - j
			}
			gid := uint16(g.GlyphID)
			run.glyphs[j] = glyph{
				cid:   use.cid(gid, clusterText(cluster, k, end-start, rtl)),
				adv:   int32(g.Advance),
				dx:    int32(g.XOffset),
				dy:    int32(g.YOffset),
				width: float64(ff.sfnt.GlyphAdvance(gid)) * ff.scale,
			}
		}
		start = end
	}
	return run
}

// clusterText is the text a glyph stands for in the ToUnicode map: the k-th
// of n glyphs of a cluster. When glyphs and characters pair one to one each
// glyph gets its character; otherwise the first glyph carries the whole
// cluster. Right-to-left strings are stored reversed because poppler
// reverses right-to-left text after mapping it.
func clusterText(cluster []rune, k, n int, rtl bool) []rune {
	switch {
	case n == len(cluster):
		return cluster[k : k+1]
	case k > 0:
		return nil
	case rtl && len(cluster) > 1:
		rev := slices.Clone(cluster)
		slices.Reverse(rev)
		return rev
	}
	return cluster
}

func (r *rendererImpl) faceOf(f *font.Face) faceID {
	for id, face := range r.faces {
		if face == f {
			return faceID(id)
		}
	}
	return faceSans
}

func trimRightSpace(s string) string { return strings.TrimRightFunc(s, unicode.IsSpace) }
