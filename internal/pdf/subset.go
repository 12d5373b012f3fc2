package pdf

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"unicode/utf16"

	tdfont "github.com/tdewolff/font"
)

// docState is what one document uses of each font.
type docState struct {
	fonts [numFaces]fontUse
}

func (d *docState) reset() {
	for i := range d.fonts {
		d.fonts[i].reset()
	}
}

// fontUse numbers the glyphs a document uses from one font: CID n is the
// n-th glyph of the subset (CID 0 is .notdef), so the subset's glyph ids are
// the CIDs and /CIDToGIDMap is /Identity.
type fontUse struct {
	cids map[uint16]uint16 // original glyph id → CID
	gids []uint16          // CID → original glyph id
	text [][]rune          // CID → the characters it stands for (ToUnicode)
}

func (u *fontUse) reset() {
	if u.cids == nil {
		u.cids = make(map[uint16]uint16)
	}
	clear(u.cids)
	u.gids = append(u.gids[:0], 0)
	u.text = append(u.text[:0], nil)
	u.cids[0] = 0
}

func (u *fontUse) used() bool { return len(u.gids) > 1 }

// cid returns the CID of glyph gid, adding it to the subset on first use;
// the first text seen for a glyph is the one its ToUnicode entry maps to.
func (u *fontUse) cid(gid uint16, text []rune) uint16 {
	if c, ok := u.cids[gid]; ok {
		if len(u.text[c]) == 0 && len(text) > 0 {
			u.text[c] = slices.Clone(text)
		}
		return c
	}
	c := uint16(len(u.gids))
	u.cids[gid] = c
	u.gids = append(u.gids, gid)
	u.text = append(u.text, slices.Clone(text))
	return c
}

// subsetFont returns a TrueType file with only the glyphs of u, renumbered
// to their CIDs. tdewolff/font's Subset writes into the maxp, head and hhea
// tables of the font it is called on, so it is called on a copy whose
// tables are private; the shared font is only read.
func subsetFont(ff *fontFile, u *fontUse) ([]byte, error) {
	src := *ff.sfnt
	maxp, head, hhea := *src.Maxp, *src.Head, *src.Hhea
	src.Maxp, src.Head, src.Hhea = &maxp, &head, &hhea
	// Clip so that Subset's appends (composite glyph parts) never write
	// into u.gids.
	sub, err := src.Subset(slices.Clip(slices.Clone(u.gids)), tdfont.SubsetOptions{Tables: tdfont.KeepPDFTables})
	if err != nil {
		return nil, fmt.Errorf("pdf: subset %s: %w", ff.name, err)
	}
	b := sub.Write()
	fixHeadModified(b)
	return b, nil
}

// fixHeadModified sets the head table's modified date (which Write sets to
// the current time) to its created date, so that the same document renders
// to the same bytes, and repairs the checksums.
func fixHeadModified(b []byte) {
	if len(b) < 12 {
		return
	}
	n := int(binary.BigEndian.Uint16(b[4:]))
	for i := range n {
		rec := 12 + 16*i
		if rec+16 > len(b) || string(b[rec:rec+4]) != "head" {
			continue
		}
		off, length := int(binary.BigEndian.Uint32(b[rec+8:])), int(binary.BigEndian.Uint32(b[rec+12:]))
		if length < 36 || off+length > len(b) {
			return
		}
		head := b[off : off+length]
		copy(head[28:36], head[20:28])
		binary.BigEndian.PutUint32(head[8:], 0)
		padded := b[off : off+(length+3)&^3]
		binary.BigEndian.PutUint32(b[rec+4:], checksum(padded))
		binary.BigEndian.PutUint32(head[8:], 0xB1B0AFBA-checksum(b))
		return
	}
}

func checksum(b []byte) uint32 {
	var sum uint32
	for i := 0; i+4 <= len(b); i += 4 {
		sum += binary.BigEndian.Uint32(b[i:])
	}
	if rest := len(b) % 4; rest != 0 {
		var last [4]byte
		copy(last[:], b[len(b)-rest:])
		sum += binary.BigEndian.Uint32(last[:])
	}
	return sum
}

// subsetTag is the six capital letters that prefix a subset font's name,
// derived from the glyph set so equal subsets get equal names.
func subsetTag(u *fontUse) string {
	h := fnv.New32a()
	var b [2]byte
	for _, g := range u.gids {
		binary.BigEndian.PutUint16(b[:], g)
		h.Write(b[:])
	}
	v := h.Sum32()
	tag := make([]byte, 6)
	for i := range tag {
		tag[i] = 'A' + byte(v%26)
		v /= 26
	}
	return string(tag)
}

// appendWidths appends the /W array: every CID from 0 in one run.
func appendWidths(b []byte, ff *fontFile, u *fontUse) []byte {
	b = append(b, "[0["...)
	for i, gid := range u.gids {
		if i > 0 {
			b = append(b, ' ')
		}
		b = appendNum(b, float64(ff.sfnt.GlyphAdvance(gid))*ff.scale)
	}
	return append(b, "]]"...)
}

// appendToUnicode appends a ToUnicode CMap mapping each CID to its text.
func appendToUnicode(b []byte, u *fontUse) []byte {
	b = append(b, "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"+
		"/CIDSystemInfo <</Registry (Adobe) /Ordering (UCS) /Supplement 0>> def\n"+
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"+
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"...)
	var cids []int
	for c := 1; c < len(u.text); c++ {
		if len(u.text[c]) > 0 {
			cids = append(cids, c)
		}
	}
	for len(cids) > 0 {
		chunk := cids[:min(100, len(cids))]
		cids = cids[len(chunk):]
		b = strconv.AppendInt(b, int64(len(chunk)), 10)
		b = append(b, " beginbfchar\n"...)
		for _, c := range chunk {
			b = append(b, '<')
			b = appendHex16(b, uint16(c))
			b = append(b, "> <"...)
			for _, v := range utf16.Encode(u.text[c]) {
				b = appendHex16(b, v)
			}
			b = append(b, ">\n"...)
		}
		b = append(b, "endbfchar\n"...)
	}
	return append(b, "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"...)
}

// writeFont writes the five objects of one font (Type0, CIDFontType2,
// descriptor, FontFile2, ToUnicode); type0 is the number pages refer to.
func (r *rendererImpl) writeFont(w *pdfWriter, id faceID, type0 int) error {
	ff, u := r.fonts.files[id], &r.doc.fonts[id]
	file, err := subsetFont(ff, u)
	if err != nil {
		return err
	}
	cidFont, desc, fontFile, toUni := w.alloc(), w.alloc(), w.alloc(), w.alloc()
	name := subsetTag(u) + "+" + ff.name

	b := w.begin(type0)
	b = fmt.Appendf(b, "<</Type/Font/Subtype/Type0/BaseFont/%s/Encoding/Identity-H/DescendantFonts[%d 0 R]/ToUnicode %d 0 R>>",
		name, cidFont, toUni)
	w.end(b)

	b = w.begin(cidFont)
	b = fmt.Appendf(b, "<</Type/Font/Subtype/CIDFontType2/BaseFont/%s/CIDSystemInfo<</Registry(Adobe)/Ordering(Identity)/Supplement 0>>/FontDescriptor %d 0 R/CIDToGIDMap/Identity/DW 0/W",
		name, desc)
	b = appendWidths(b, ff, u)
	w.end(append(b, ">>"...))

	b = w.begin(desc)
	b = fmt.Appendf(b, "<</Type/FontDescriptor/FontName/%s/Flags 4/FontBBox[", name)
	for i, v := range ff.bbox {
		if i > 0 {
			b = append(b, ' ')
		}
		b = appendNum(b, v)
	}
	b = append(b, "]/ItalicAngle 0/Ascent "...)
	b = appendNum(b, ff.ascent)
	b = append(b, "/Descent "...)
	b = appendNum(b, ff.descent)
	b = append(b, "/CapHeight "...)
	b = appendNum(b, ff.capHeight)
	b = fmt.Appendf(b, "/StemV 80/FontFile2 %d 0 R>>", fontFile)
	w.end(b)

	if err := w.stream(fontFile, fmt.Sprintf("/Length1 %d", len(file)), file, &r.z); err != nil {
		return err
	}
	r.tmp = appendToUnicode(r.tmp[:0], u)
	return w.stream(toUni, "", r.tmp, &r.z)
}
