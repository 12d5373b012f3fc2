package export

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

// The file an export writes (SPEC §6):
//
//   - the header row, then one row per signature in the order signed (by
//     id), with the columns of Columns; the names profile leaves out the
//     email column, the counts profile has CountColumns instead;
//   - times in RFC 3339 UTC to the second, empty when unset; booleans true
//     or false; the country as its alpha-2 code;
//   - UTF-8, quoted as RFC 4180 says by encoding/csv, an optional byte
//     order mark first; rows end with LF (encoding/csv's CRLF mode would
//     silently drop a carriage return inside a cell);
//   - every cell passed through Neutralize, so no cell runs as a formula.
//
// The same options and data give the same bytes, whether written by the
// command line or downloaded from the console.

// BatchSize is how many signatures an export reads per query.
const BatchSize = 1000

// ProgressEvery is how many rows an export writes between progress calls.
const ProgressEvery = 10_000

// bom is the UTF-8 byte order mark.
const bom = "\uFEFF"

// Store is what an export reads.
type Store interface {
	// ExportSignatures fills page with up to cap(page) signatures matching
	// f with an id above afterID, lowest id first, in one short query,
	// reusing the page's memory.
	ExportSignatures(ctx context.Context, f store.SignatureFilter, afterID int64, page []store.Signature) ([]store.Signature, error)
	// CountMatchingByCountry counts the signatures matching f by country
	// and status, ordered by country then status.
	CountMatchingByCountry(ctx context.Context, f store.SignatureFilter) ([]store.CountRow, error)
}

// Exporter writes signatures as CSV in flat memory: it reads them in
// batches, opens their sealed fields as they stream and reuses the same
// three batches' worth of memory however many rows there are.
type Exporter struct {
	st            Store
	svc           *signing.Service
	batch         int
	progressEvery int64
}

// NewExporter returns an exporter that reads from st and opens sealed
// fields with svc.
func NewExporter(st Store, svc *signing.Service) *Exporter {
	return &Exporter{st: st, svc: svc, batch: BatchSize, progressEvery: ProgressEvery}
}

// ProfileColumns is the header of a file in profile p.
func ProfileColumns(p Profile) []string {
	switch p {
	case ProfileCounts:
		return CountColumns()
	case ProfileNames:
		return slices.DeleteFunc(Columns(), func(c string) bool { return c == "email" })
	}
	return Columns()
}

// Export writes p's signatures selected by o to w and returns the number of
// data rows written. Output is flushed to w after the header and after
// every batch (and w flushed too when it has a Flush method, as an HTTP
// response does), so a download starts at once and a slow reader only
// slows the export down. progress, if not nil, is called with the rows so
// far every ProgressEvery rows. On error the count is the rows flushed to
// w before it.
func (e *Exporter) Export(ctx context.Context, w io.Writer, p *store.Petition, o Options, progress func(rows int64)) (int64, error) {
	out := newSink(w)
	if o.BOM {
		_, _ = out.bw.WriteString(bom)
	}
	if err := out.write(ProfileColumns(o.Profile)); err != nil {
		return 0, err
	}
	if err := out.flush(); err != nil {
		return 0, err
	}
	if o.Profile == ProfileCounts {
		return e.exportCounts(ctx, out, p, o)
	}
	return e.exportRows(ctx, out, p, o, progress)
}

// exportCounts writes one row per country and status.
func (e *Exporter) exportCounts(ctx context.Context, out *sink, p *store.Petition, o Options) (int64, error) {
	counts, err := e.st.CountMatchingByCountry(ctx, o.Filter(p.ID))
	if err != nil {
		return 0, err
	}
	for _, c := range counts {
		if err := out.write([]string{c.Country, c.Status, strconv.FormatInt(c.N, 10)}); err != nil {
			return 0, err
		}
	}
	if err := out.flush(); err != nil {
		return 0, err
	}
	return int64(len(counts)), nil
}

// exportRows walks the signatures by id, one short query per batch. The
// next batch is read while the current one is decrypted and written.
func (e *Exporter) exportRows(ctx context.Context, out *sink, p *store.Petition, o Options, progress func(int64)) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	free := make(chan []store.Signature, pagesInFlight)
	for range pagesInFlight {
		free <- make([]store.Signature, 0, e.batch)
	}
	pages := e.pages(ctx, o.Filter(p.ID), free)
	defer func() {
		cancel()
		for range pages { // wait for the reader to stop
		}
	}()
	withEmail := o.Profile == ProfileFull
	rec := make([]string, 0, len(Columns()))
	var rows int64
	for pg := range pages {
		if pg.err != nil {
			return rows, pg.err
		}
		var err error
		for i := range pg.sigs {
			if rec, err = e.record(&pg.sigs[i], withEmail, rec); err != nil {
				return rows, err
			}
			if err := out.write(rec); err != nil {
				return rows, err
			}
		}
		if err := out.flush(); err != nil {
			return rows, err
		}
		before := rows
		rows += int64(len(pg.sigs))
		if progress != nil && rows/e.progressEvery > before/e.progressEvery {
			progress(rows)
		}
		free <- pg.sigs
	}
	return rows, ctx.Err()
}

// pagesInFlight is how many batches an export holds at most: one being
// written, one read and waiting, one being read.
const pagesInFlight = 3

// page is one batch of an export, or the error that ended it.
type page struct {
	sigs []store.Signature
	err  error
}

// pages reads the signatures matching f batch by batch, keyset-paginated
// on id, into the page buffers it takes from free, and sends each batch on
// the channel it returns; the reader of the channel hands the buffers
// back. It stops after the last batch, an error, or when ctx ends, and
// closes the channel.
func (e *Exporter) pages(ctx context.Context, f store.SignatureFilter, free chan []store.Signature) <-chan page {
	ch := make(chan page, 1)
	go func() {
		defer close(ch)
		var afterID int64
		for {
			var buf []store.Signature
			select {
			case buf = <-free:
			case <-ctx.Done():
				return
			}
			sigs, err := e.st.ExportSignatures(ctx, f, afterID, buf[:0:e.batch])
			select {
			case ch <- page{sigs, err}:
			case <-ctx.Done():
				return
			}
			if err != nil || len(sigs) < e.batch {
				return
			}
			afterID = sigs[len(sigs)-1].ID
		}
	}()
	return ch
}

// record returns the cells of one signature, reusing rec's array.
func (e *Exporter) record(sig *store.Signature, withEmail bool, rec []string) ([]string, error) {
	if !withEmail {
		// Not even decrypted: an export without emails never has one in
		// memory. (Emptied, not dropped: the page keeps its buffer.)
		sig.EmailEnc = sig.EmailEnc[:0]
	}
	in, err := e.svc.Open(sig)
	if errors.Is(err, vault.ErrKeyDestroyed) {
		// Shredded: the row's personal fields are erased and export empty,
		// as those of a withdrawn signature do; the rest is still there.
		err = nil
	}
	if err != nil {
		return rec, fmt.Errorf("export: %w", err)
	}
	rec = append(rec[:0], formatTime(&sig.SignedAt), formatTime(sig.ConfirmedAt), sig.Status, in.Name)
	if withEmail {
		rec = append(rec, in.Email)
	}
	return append(rec, sig.Country, in.City, in.Comment,
		strconv.FormatBool(sig.Public), strconv.FormatBool(sig.IncludeInLetters), strconv.FormatBool(sig.Updates)), nil
}

// formatTime writes t in RFC 3339 UTC, or "" for nil.
func formatTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// sink is the CSV writer of an export over a buffer that is flushed to the
// destination (and the destination flushed) once per batch.
type sink struct {
	w  io.Writer
	bw *bufio.Writer
	cw *csv.Writer
}

// sinkBuffer is the size of an export's write buffer: a batch of rows
// reaches the destination in a few large writes.
const sinkBuffer = 64 << 10

func newSink(w io.Writer) *sink {
	bw := bufio.NewWriterSize(w, sinkBuffer)
	// csv.NewWriter adopts bw as its buffer rather than adding another.
	return &sink{w: w, bw: bw, cw: csv.NewWriter(bw)}
}

// write writes one row, every cell passed through Neutralize (in place).
func (s *sink) write(rec []string) error {
	for i, c := range rec {
		rec[i] = Neutralize(c)
	}
	if err := s.cw.Write(rec); err != nil {
		return fmt.Errorf("write export: %w", err)
	}
	return nil
}

// flush sends what is buffered to the destination, and pushes it on to the
// client when the destination buffers too (an HTTP response).
func (s *sink) flush() error {
	s.cw.Flush()
	if err := s.cw.Error(); err != nil {
		return fmt.Errorf("write export: %w", err)
	}
	switch f := s.w.(type) {
	case interface{ Flush() error }:
		if err := f.Flush(); err != nil {
			return fmt.Errorf("write export: %w", err)
		}
	case interface{ Flush() }:
		f.Flush()
	}
	return nil
}
