package pdf

import (
	"strconv"
	"strings"

	"github.com/go-text/typesetting/shaping"
)

// margin is 25 mm in points.
const margin = 25 * 72 / 25.4

type align int

const (
	alignLeft align = iota
	alignRight
)

// styleSpec is how a block style sets its text; sizes in points.
type styleSpec struct {
	size, leading float64
	before, after float64 // space around the block
	indent        float64 // left indent of the text
	latin         faceID
	align         align
	policy        shaping.LineBreakPolicy
	keepWithNext  bool // do not end a page with this block
}

func specOf(s Style) styleSpec {
	body := styleSpec{size: 11, leading: 15.5, after: 7, latin: faceSans}
	switch s {
	case StyleTitle:
		return styleSpec{size: 16, leading: 21, after: 10, latin: faceSansBold, keepWithNext: true}
	case StyleHeading:
		return styleSpec{size: 12, leading: 16.5, before: 8, after: 4, latin: faceSansBold, keepWithNext: true}
	case StyleSmall:
		return styleSpec{size: 9, leading: 12.5, after: 5, latin: faceSans}
	case StyleBullet:
		body.indent = 14
	case StyleAddress:
		body.after = 7
	case StyleRight:
		body.align = alignRight
	case StyleMono:
		return styleSpec{size: 9, leading: 12.5, after: 5, latin: faceSans, policy: shaping.Always}
	}
	return body
}

// page is what a page shows, runs positioned in points.
type page struct {
	runs []textRun
}

// flow places blocks on pages from top to bottom.
type flow struct {
	r      *rendererImpl
	size   PageSize
	pages  []page
	top    float64 // y of the top of the next line box
	fresh  bool    // nothing placed on the current page yet
	prev   Style
	gapAft float64 // space owed after the previous block
}

func (f *flow) newPage() {
	f.pages = append(f.pages, page{})
	f.top = f.size.H - margin
	f.fresh = true
	f.gapAft = 0
}

func (f *flow) cur() *page { return &f.pages[len(f.pages)-1] }

func (r *rendererImpl) layout(size PageSize, blocks []Block) []page {
	f := &flow{r: r, size: size}
	f.newPage()
	for i, b := range blocks {
		if b.Style == StylePageBreak {
			if !f.fresh {
				f.newPage()
			}
			continue
		}
		f.block(b, i+1 < len(blocks))
	}
	return f.pages
}

// block sets one block: its paragraphs (one per line of Text) wrapped to
// the text width, moved to a new page as lines run out of room.
func (f *flow) block(b Block, more bool) {
	spec := specOf(b.Style)
	width := f.size.W - 2*margin - spec.indent
	gap := max(f.gapAft, spec.before)
	if b.Style == f.prev {
		switch b.Style {
		case StyleAddress:
			gap = 0 // one address, several blocks
		case StyleBullet:
			gap = 3 // items of one list
		}
	}
	var lines []line
	for _, para := range strings.Split(strings.ReplaceAll(b.Text, "\r\n", "\n"), "\n") {
		set := f.r.setParagraph(para, lineOptions{latin: spec.latin, size: spec.size, maxWidth: width, policy: spec.policy})
		if len(set) == 0 {
			set = []line{{}} // an empty paragraph keeps its line
		}
		lines = append(lines, set...)
	}
	if spec.keepWithNext && !f.fresh {
		// A heading needs its lines and one line of what follows.
		need := gap + float64(len(lines))*spec.leading
		if more {
			need += specOf(StyleBody).leading
		}
		if f.top-need < margin {
			f.newPage()
		}
	}
	if !f.fresh {
		f.top -= gap
	}
	for i, ln := range lines {
		if !f.fresh && f.top-spec.leading < margin {
			f.newPage()
		}
		if i == 0 && b.Style == StyleBullet {
			f.placeBullet(spec)
		}
		f.place(ln, spec)
	}
	f.prev, f.gapAft = b.Style, spec.after
}

// baseline is where text sits in a line box of the style's leading.
func (f *flow) baseline(spec styleSpec) float64 {
	return f.top - spec.leading + (spec.leading-spec.size)/2 + 0.22*spec.size
}

func (f *flow) place(ln line, spec styleSpec) {
	x := margin + spec.indent
	if spec.align == alignRight {
		x = f.size.W - margin - ln.width
	}
	y := f.baseline(spec)
	p := f.cur()
	for _, run := range ln.runs {
		run.x += x
		run.y = y
		p.runs = append(p.runs, run)
	}
	f.top -= spec.leading
	f.fresh = false
}

// placeBullet sets the bullet in the indent, on the baseline of the line
// about to be placed.
func (f *flow) placeBullet(spec styleSpec) {
	lines := f.r.setParagraph("•", lineOptions{latin: faceSans, size: spec.size, maxWidth: spec.indent * 4})
	if len(lines) == 0 {
		return
	}
	y := f.baseline(spec)
	for _, run := range lines[0].runs {
		run.x += margin + 3
		run.y = y
		f.cur().runs = append(f.cur().runs, run)
	}
}

// addFooters sets "n / N" centred below the text area of every page.
func (r *rendererImpl) addFooters(size PageSize, pages []page) {
	spec := styleSpec{size: 9, latin: faceSans}
	total := len(pages)
	for i := range pages {
		text := strconv.Itoa(i+1) + " / " + strconv.Itoa(total)
		lines := r.setParagraph(text, lineOptions{latin: spec.latin, size: spec.size, maxWidth: size.W})
		if len(lines) == 0 {
			continue
		}
		ln := lines[0]
		x := (size.W - ln.width) / 2
		for _, run := range ln.runs {
			run.x += x
			run.y = margin / 2
			pages[i].runs = append(pages[i].runs, run)
		}
	}
}
