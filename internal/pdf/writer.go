package pdf

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"
	"unicode/utf16"
)

// zlibPool keeps zlib writers between streams and documents: allocating a
// fresh writer per stream costs more than compressing a page.
var zlibPool = sync.Pool{New: func() any {
	w, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed)
	return w
}}

// pdfWriter assembles a PDF file in memory: objects are appended in any
// order and the cross-reference table is built from their offsets.
type pdfWriter struct {
	buf     []byte
	offsets []int // by object number; 0 unused
}

func (w *pdfWriter) reset(buf []byte) {
	w.buf = append(buf[:0], "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"...)
	w.offsets = append(w.offsets[:0], 0)
}

// alloc reserves the next object number.
func (w *pdfWriter) alloc() int {
	w.offsets = append(w.offsets, -1)
	return len(w.offsets) - 1
}

// begin starts object n and returns the buffer to append its body to.
func (w *pdfWriter) begin(n int) []byte {
	w.offsets[n] = len(w.buf)
	b := strconv.AppendInt(w.buf, int64(n), 10)
	return append(b, " 0 obj\n"...)
}

// end closes the object begun with begin; b is the appended buffer.
func (w *pdfWriter) end(b []byte) {
	w.buf = append(b, "\nendobj\n"...)
}

// stream writes object n as a Flate-compressed stream of data; dict holds
// extra dictionary entries. z is scratch space for the compressed bytes.
func (w *pdfWriter) stream(n int, dict string, data []byte, z *bytes.Buffer) error {
	z.Reset()
	zw := zlibPool.Get().(*zlib.Writer)
	zw.Reset(z)
	_, err := zw.Write(data)
	if err == nil {
		err = zw.Close()
	}
	zw.Reset(nil) // drop the reference to z before pooling
	zlibPool.Put(zw)
	if err != nil {
		return fmt.Errorf("pdf: compress: %w", err)
	}
	b := w.begin(n)
	b = append(b, "<</Length "...)
	b = strconv.AppendInt(b, int64(z.Len()), 10)
	b = append(b, "/Filter/FlateDecode"...)
	b = append(b, dict...)
	b = append(b, ">>\nstream\n"...)
	b = append(b, z.Bytes()...)
	w.end(append(b, "\nendstream"...))
	return nil
}

// finish appends the cross-reference table and trailer.
func (w *pdfWriter) finish(root, info int) error {
	for n, off := range w.offsets[1:] {
		if off < 0 {
			return fmt.Errorf("pdf: object %d allocated but not written", n+1)
		}
	}
	id := sha256.Sum256(w.buf)
	xref := len(w.buf)
	b := fmt.Appendf(w.buf, "xref\n0 %d\n0000000000 65535 f \n", len(w.offsets))
	for _, off := range w.offsets[1:] {
		b = fmt.Appendf(b, "%010d 00000 n \n", off)
	}
	b = fmt.Appendf(b, "trailer\n<</Size %d/Root %d 0 R/Info %d 0 R/ID[<%x><%x>]>>\nstartxref\n%d\n%%%%EOF\n",
		len(w.offsets), root, info, id[:16], id[:16], xref)
	w.buf = b
	return nil
}

// appendNum appends v with at most three decimals and no exponent.
func appendNum(b []byte, v float64) []byte {
	v = math.Round(v*1000) / 1000
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

// appendHex16 appends v as four hex digits.
func appendHex16(b []byte, v uint16) []byte {
	const hex = "0123456789ABCDEF"
	return append(b, hex[v>>12], hex[v>>8&15], hex[v>>4&15], hex[v&15])
}

// appendTextString appends s as a PDF text string: UTF-16BE with a byte
// order mark, in hex.
func appendTextString(b []byte, s string) []byte {
	b = append(b, "<FEFF"...)
	for _, v := range utf16.Encode([]rune(s)) {
		b = appendHex16(b, v)
	}
	return append(b, '>')
}

// appendDate appends t as a PDF date string.
func appendDate(b []byte, t time.Time) []byte {
	return append(b, t.UTC().Format("(D:20060102150405Z)")...)
}

// writeInfo writes the information dictionary.
func writeInfo(w *pdfWriter, n int, meta Meta) {
	b := w.begin(n)
	b = append(b, "<</Producer"...)
	b = appendTextString(b, "campaign")
	for _, f := range [...]struct{ key, val string }{
		{"/Title", meta.Title}, {"/Subject", meta.Subject}, {"/Author", meta.Author},
	} {
		if f.val != "" {
			b = append(b, f.key...)
			b = appendTextString(b, f.val)
		}
	}
	if !meta.Created.IsZero() {
		b = append(b, "/CreationDate"...)
		b = appendDate(b, meta.Created)
	}
	w.end(append(b, ">>"...))
}
