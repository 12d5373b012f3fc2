package export

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

// ImportOptions say how forgiving an import is.
type ImportOptions struct {
	// SkipInvalid imports the good rows of a file that has bad ones;
	// without it a file with any bad row imports nothing.
	SkipInvalid bool
	// DryRun validates and reports without writing anything.
	DryRun bool
	// Lang is the language recorded for the signers (mails they may get
	// later); empty means "en".
	Lang string
	// Progress, if set, is called with the number of rows read so far
	// every ImportProgressEvery rows.
	Progress func(rowsRead int)
}

// ImportProgressEvery is how many rows an import reads between Progress calls.
const ImportProgressEvery = 10_000

// RowError is one thing wrong with one row of an imported file.
type RowError struct {
	Line   int    // line number in the file; the header is line 1
	Field  string // column name, "header", or "" for the row as a whole
	Reason string
}

func (e RowError) String() string {
	if e.Field == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Reason)
}

// ImportReport is what an import found and did. Imported counts the rows
// written (in a dry run, the rows that would have been); a file with bad
// rows imports none unless SkipInvalid. A bad header counts as one invalid
// row and stops the import.
type ImportReport struct {
	Rows           int // data rows read, good or bad
	Imported       int
	Duplicates     int // rows skipped because the email had signed (in the file or before)
	Invalid        int // rows with at least one error
	Errors         []RowError
	DuplicateLines []int
}

// ImportStore is what an import needs from the database.
type ImportStore interface {
	InsertSignatures(ctx context.Context, batch []*store.Signature) ([]bool, error)
	FindSignatureByEmail(ctx context.Context, petitionID int64, emailHash []byte) (*store.Signature, error)
	BumpCountsVersion(ctx context.Context) error
}

// Importer loads files of paper signatures.
type Importer struct {
	st  ImportStore
	svc *signing.Service
}

// NewImporter returns an importer that validates and seals rows with svc
// and writes them to st.
func NewImporter(st ImportStore, svc *signing.Service) *Importer {
	return &Importer{st: st, svc: svc}
}

// importRow is a valid row, sealed and waiting to be written.
type importRow struct {
	line     int
	hasEmail bool
	sig      *store.Signature
}

// Import reads a CSV file of signatures (the columns of Columns, by name in
// any order, header required) into petition p: every row is validated with
// the web form's rules, and all rows are written in one transaction. Row
// problems are in the report, not the error; the error is for a file that
// cannot be read or a database that cannot be written.
func (im *Importer) Import(ctx context.Context, r io.Reader, p *store.Petition, o ImportOptions) (ImportReport, error) {
	var rep ImportReport
	cr, cols, ok, err := openImportCSV(r, &rep)
	if err != nil || !ok {
		return rep, err
	}
	if o.Lang == "" {
		o.Lang = "en"
	}
	rows, err := im.readRows(ctx, cr, cols, p, o, &rep)
	if err != nil {
		return rep, err
	}
	if rep.Invalid > 0 && !o.SkipInvalid {
		return rep, nil
	}
	if o.DryRun {
		err = im.checkExisting(ctx, p, rows, &rep)
	} else {
		err = im.write(ctx, rows, &rep)
	}
	slices.Sort(rep.DuplicateLines)
	return rep, err
}

// readRows validates and seals every row, keeping the good ones that are
// not repeats of an earlier row.
func (im *Importer) readRows(ctx context.Context, cr *csv.Reader, cols importColumns, p *store.Petition,
	o ImportOptions, rep *ImportReport) ([]importRow, error) {
	var rows []importRow
	seen := map[string]bool{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		line, perr := importRecordLine(cr, err)
		if perr != nil {
			return nil, perr
		}
		rep.Rows++
		if o.Progress != nil && rep.Rows%ImportProgressEvery == 0 {
			o.Progress(rep.Rows)
		}
		if rep.Rows%1000 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			rep.addInvalid(RowError{Line: line, Reason: csvErrorReason(err)})
			continue
		}
		row, errs, err := im.prepare(p, cols, rec, o.Lang)
		if err != nil {
			return nil, err
		}
		if len(errs) > 0 {
			rep.addInvalid(atLine(errs, line)...)
			continue
		}
		if seen[string(row.sig.EmailHash)] {
			rep.addDuplicate(line)
			continue
		}
		seen[string(row.sig.EmailHash)] = true
		row.line = line
		rows = append(rows, row)
	}
}

// checkExisting counts, for a dry run, the rows whose email has already
// signed p, and reports the rest as what would be imported.
func (im *Importer) checkExisting(ctx context.Context, p *store.Petition, rows []importRow, rep *ImportReport) error {
	for _, row := range rows {
		if !row.hasEmail {
			rep.Imported++
			continue
		}
		_, err := im.st.FindSignatureByEmail(ctx, p.ID, row.sig.EmailHash)
		switch {
		case err == nil:
			rep.addDuplicate(row.line)
		case errors.Is(err, store.ErrNotFound):
			rep.Imported++
		default:
			return fmt.Errorf("look for existing signatures: %w", err)
		}
	}
	return nil
}

// write stores the rows in one transaction, reports those whose email had
// already signed, and tells running servers to reload their counters.
func (im *Importer) write(ctx context.Context, rows []importRow, rep *ImportReport) error {
	if len(rows) == 0 {
		return nil
	}
	batch := make([]*store.Signature, len(rows))
	for i, row := range rows {
		batch[i] = row.sig
	}
	inserted, err := im.st.InsertSignatures(ctx, batch)
	if err != nil {
		return fmt.Errorf("import signatures: %w", err)
	}
	for i, ok := range inserted {
		if ok {
			rep.Imported++
		} else {
			rep.addDuplicate(rows[i].line)
		}
	}
	if rep.Imported == 0 {
		return nil
	}
	if err := im.st.BumpCountsVersion(ctx); err != nil {
		return fmt.Errorf("imported %d signatures, but running servers will show old counts until restarted: %w",
			rep.Imported, err)
	}
	return nil
}

func (rep *ImportReport) addInvalid(errs ...RowError) {
	rep.Invalid++
	rep.Errors = append(rep.Errors, errs...)
}

func (rep *ImportReport) addDuplicate(line int) {
	rep.Duplicates++
	rep.DuplicateLines = append(rep.DuplicateLines, line)
}

func atLine(errs []RowError, line int) []RowError {
	for i := range errs {
		errs[i].Line = line
	}
	return errs
}

// importRecordLine returns the line a record read with err starts on, or err
// itself when it is not about the file's content (an I/O error).
func importRecordLine(cr *csv.Reader, err error) (int, error) {
	var pe *csv.ParseError
	switch {
	case err == nil:
		line, _ := cr.FieldPos(0)
		return line, nil
	case errors.As(err, &pe):
		return pe.StartLine, nil
	default:
		return 0, fmt.Errorf("read file: %w", err)
	}
}

// csvErrorReason says what is wrong with a record the CSV reader refused.
func csvErrorReason(err error) string {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return err.Error()
	}
	switch {
	case errors.Is(pe.Err, csv.ErrFieldCount):
		return "wrong number of fields: every row needs one per header column"
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return fmt.Sprintf("a quote inside an unquoted field (line %d, column %d): quote the whole field and double the quote", pe.Line, pe.Column)
	case errors.Is(pe.Err, csv.ErrQuote):
		return fmt.Sprintf("a quoted field is not closed properly (line %d, column %d)", pe.Line, pe.Column)
	}
	return pe.Err.Error()
}
