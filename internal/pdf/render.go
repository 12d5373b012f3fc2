package pdf

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

func (r *Renderer) render(w io.Writer, size PageSize, meta Meta, blocks []Block) error {
	return r.impl.render(w, size, meta, blocks)
}

func (r *rendererImpl) render(w io.Writer, size PageSize, meta Meta, blocks []Block) error {
	if size.W <= 2*margin || size.H <= 2*margin {
		return errors.New("pdf: page too small for its margins")
	}
	r.doc.reset()
	pages := r.layout(size, blocks)
	r.addFooters(size, pages)

	var pw pdfWriter
	pw.reset(r.out)
	catalog, pagesObj, info, resources := pw.alloc(), pw.alloc(), pw.alloc(), pw.alloc()

	var fontObjs [numFaces]int
	for id := range fontObjs {
		if r.doc.fonts[id].used() {
			fontObjs[id] = pw.alloc()
		}
	}
	kids := make([]int, len(pages))
	for i := range pages {
		kids[i] = pw.alloc()
		content := pw.alloc()
		b := pw.begin(kids[i])
		b = fmt.Appendf(b, "<</Type/Page/Parent %d 0 R/Resources %d 0 R/Contents %d 0 R>>", pagesObj, resources, content)
		pw.end(b)
		r.tmp = r.appendContent(r.tmp[:0], &pages[i])
		if err := pw.stream(content, "", r.tmp, &r.z); err != nil {
			return err
		}
	}
	for id, n := range fontObjs {
		if n != 0 {
			if err := r.writeFont(&pw, faceID(id), n); err != nil {
				return err
			}
		}
	}
	writeResources(&pw, resources, fontObjs)
	writePages(&pw, pagesObj, kids, size)
	b := pw.begin(catalog)
	b = fmt.Appendf(b, "<</Type/Catalog/Pages %d 0 R>>", pagesObj)
	pw.end(b)
	writeInfo(&pw, info, meta)
	if err := pw.finish(catalog, info); err != nil {
		return err
	}
	r.out = pw.buf[:0] // keep the grown buffer for the next document
	_, err := w.Write(pw.buf)
	return err
}

func writeResources(w *pdfWriter, n int, fontObjs [numFaces]int) {
	b := w.begin(n)
	b = append(b, "<</Font<<"...)
	for id, obj := range fontObjs {
		if obj != 0 {
			b = fmt.Appendf(b, "/F%d %d 0 R", id, obj)
		}
	}
	w.end(append(b, ">>>>"...))
}

func writePages(w *pdfWriter, n int, kids []int, size PageSize) {
	b := w.begin(n)
	b = append(b, "<</Type/Pages/Kids["...)
	for i, k := range kids {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendInt(b, int64(k), 10)
		b = append(b, " 0 R"...)
	}
	b = fmt.Appendf(b, "]/Count %d/MediaBox[0 0 ", len(kids))
	b = appendNum(b, size.W)
	b = append(b, ' ')
	b = appendNum(b, size.H)
	w.end(append(b, "]>>"...))
}

// textState tracks the text state a content stream has set, so operators
// are written only when something changes.
type textState struct {
	face faceID
	size float64
	rise float64
}

// appendContent appends the content stream of one page: every run in one
// text object, positioned with Tm, its glyphs in TJ arrays where the
// numbers move each glyph from where the font's width leaves it to where
// shaping put it, and vertical offsets as text rise.
func (r *rendererImpl) appendContent(b []byte, p *page) []byte {
	b = append(b, "BT\n"...)
	st := textState{face: -1}
	for i := range p.runs {
		b = r.appendRun(b, &p.runs[i], &st)
	}
	return append(b, "ET\n"...)
}

func (r *rendererImpl) appendRun(b []byte, run *textRun, st *textState) []byte {
	if run.face != st.face || run.size != st.size {
		b = append(b, "/F"...)
		b = strconv.AppendInt(b, int64(run.face), 10)
		b = append(b, ' ')
		b = appendNum(b, run.size)
		b = append(b, " Tf\n"...)
		st.face, st.size = run.face, run.size
	}
	b = append(b, "1 0 0 1 "...)
	b = appendNum(b, run.x)
	b = append(b, ' ')
	b = appendNum(b, run.y)
	b = append(b, " Tm\n"...)
	if !run.rtl {
		// poppler reverses right-to-left ActualText; those runs rely on
		// the ToUnicode map instead.
		b = append(b, "/Span<</ActualText"...)
		b = appendTextString(b, run.text)
		b = append(b, ">>BDC\n"...)
	}
	b = append(b, '[')
	pen, at := 0.0, 0.0 // where shaping puts the pen; where the PDF's is, glyph units
	for _, g := range run.glyphs {
		if rise := float64(g.dy) / 64 * run.size / 1000; rise != st.rise {
			b = append(b, "]TJ "...)
			b = appendNum(b, rise)
			b = append(b, " Ts["...)
			st.rise = rise
		}
		target := pen + float64(g.dx)/64
		if adj := round2(at - target); adj != 0 {
			b = appendNum(b, adj)
			at -= adj
		}
		b = append(b, '<')
		b = appendHex16(b, g.cid)
		b = append(b, '>')
		at += g.width
		pen += float64(g.adv) / 64
	}
	b = append(b, "]TJ\n"...)
	if st.rise != 0 {
		b = append(b, "0 Ts\n"...)
		st.rise = 0
	}
	if !run.rtl {
		b = append(b, "EMC\n"...)
	}
	return b
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
