package export

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

// importFutureSlack tolerates clocks that differ a little between the machine
// that wrote a file and the one importing it.
const importFutureSlack = 5 * time.Minute

// importRequiredColumns must be in every header; a row cannot be valid without them.
var importRequiredColumns = []string{"name", "country"}

// importMaxLength is the longest value of each length-limited field, for messages;
// the limits themselves are signing.Input's rules.
var importMaxLength = map[string]int{"name": 100, "email": 254, "city": 100, "comment": 500}

// importColumns maps a column name to its position in a record.
type importColumns map[string]int

// cell returns the value of column name in rec, with the apostrophe that
// export puts before formula-like cells taken off; "" if the file has no
// such column.
func (c importColumns) cell(rec []string, name string) string {
	i, ok := c[name]
	if !ok {
		return ""
	}
	return Unneutralize(rec[i])
}

// openImportCSV strips an optional BOM, reads the header and returns a reader
// positioned on the first row. A bad header is reported in rep (ok false).
func openImportCSV(r io.Reader, rep *ImportReport) (cr *csv.Reader, cols importColumns, ok bool, err error) {
	br := bufio.NewReader(r)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xEF\xBB\xBF")) {
		_, _ = br.Discard(3)
	}
	cr = csv.NewReader(br)
	cr.ReuseRecord = true
	header, err := cr.Read()
	var reasons []string
	var pe *csv.ParseError
	switch {
	case errors.Is(err, io.EOF):
		reasons = []string{"the file is empty: the first line must name the columns (" + strings.Join(Columns(), ",") + ")"}
	case errors.As(err, &pe):
		reasons = []string{csvErrorReason(err)}
	case err != nil:
		return nil, nil, false, fmt.Errorf("read file: %w", err)
	default:
		cols, reasons = parseImportHeader(header)
	}
	if len(reasons) > 0 {
		for _, reason := range reasons {
			rep.Errors = append(rep.Errors, RowError{Line: 1, Field: "header", Reason: reason})
		}
		rep.Invalid++
		return nil, nil, false, nil
	}
	return cr, cols, true, nil
}

// parseImportHeader maps the header's column names (any order, any case) to
// positions, and says what is wrong with it.
func parseImportHeader(header []string) (importColumns, []string) {
	cols := importColumns{}
	var reasons []string
	for i, raw := range header {
		name := strings.ToLower(strings.TrimSpace(raw))
		switch {
		case !slices.Contains(Columns(), name):
			reasons = append(reasons, fmt.Sprintf("unknown column %q", clipForReport(raw)))
		case cols.has(name):
			reasons = append(reasons, fmt.Sprintf("column %q appears twice", name))
		default:
			cols[name] = i
		}
	}
	if len(cols) == 0 {
		return nil, []string{"missing header: the first line must name the columns (" +
			strings.Join(Columns(), ",") + "), but it names none of them"}
	}
	for _, name := range importRequiredColumns {
		if !cols.has(name) {
			reasons = append(reasons, fmt.Sprintf("missing column %q", name))
		}
	}
	if len(reasons) > 0 {
		reasons = append(reasons, "the columns are "+strings.Join(Columns(), ",")+" (email and the others optional)")
	}
	return cols, reasons
}

func (c importColumns) has(name string) bool {
	_, ok := c[name]
	return ok
}

// prepare parses, validates and seals one record. errs lists what is wrong
// with it; err is a failure that is not the row's fault.
func (im *Importer) prepare(p *store.Petition, cols importColumns, rec []string, lang string) (row importRow, errs []RowError, err error) {
	status, statusErr := parseImportStatus(cols.cell(rec, "status"))
	errs = appendRowError(errs, "status", statusErr)
	signedAt, timeErr := parseImportTime(cols.cell(rec, "signed_at"))
	errs = appendRowError(errs, "signed_at", timeErr)
	confirmedAt, timeErr := parseImportTime(cols.cell(rec, "confirmed_at"))
	errs = appendRowError(errs, "confirmed_at", timeErr)
	in := signing.Input{
		Name: cols.cell(rec, "name"), Email: cols.cell(rec, "email"), Country: cols.cell(rec, "country"),
		City: cols.cell(rec, "city"), Comment: cols.cell(rec, "comment"),
	}
	for _, b := range []struct {
		name string
		dst  *bool
	}{{"public", &in.Public}, {"include_in_letters", &in.IncludeInLetters}, {"updates", &in.Updates}} {
		var boolErr error
		*b.dst, boolErr = parseImportBool(cols.cell(rec, b.name))
		errs = appendRowError(errs, b.name, boolErr)
	}
	country := in.Country
	sig, err := im.svc.PreparePaper(p, signing.Request{Input: in, Lang: lang})
	if ve, ok := signing.AsValidation(err); ok {
		errs = append(errs, importValidationErrors(ve, country)...)
	} else if err != nil {
		return importRow{}, nil, err
	}
	if len(errs) == 0 {
		errs = settleImportTimes(sig, status, signedAt, confirmedAt)
	}
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b RowError) int {
			return slices.Index(Columns(), a.Field) - slices.Index(Columns(), b.Field)
		})
		return importRow{}, errs, nil
	}
	return importRow{hasEmail: strings.TrimSpace(in.Email) != "", sig: sig}, nil, nil
}

func appendRowError(errs []RowError, field string, err error) []RowError {
	if err == nil {
		return errs
	}
	return append(errs, RowError{Field: field, Reason: err.Error()})
}

// settleImportTimes gives a prepared row its status and times. PreparePaper
// stamped it with the service's clock, which is what missing times mean.
func settleImportTimes(sig *store.Signature, status string, signedAt, confirmedAt *time.Time) []RowError {
	now := sig.SignedAt
	var errs []RowError
	for _, t := range []struct {
		field string
		at    *time.Time
	}{{"signed_at", signedAt}, {"confirmed_at", confirmedAt}} {
		if t.at != nil && t.at.After(now.Add(importFutureSlack)) {
			errs = append(errs, RowError{Field: t.field, Reason: "is in the future"})
		}
	}
	switch {
	case signedAt != nil:
		sig.SignedAt = *signedAt
	case confirmedAt != nil:
		sig.SignedAt = *confirmedAt
	}
	sig.Status = status
	switch {
	case status == store.StatusPending && confirmedAt != nil:
		errs = append(errs, RowError{Field: "confirmed_at", Reason: "must be empty for a pending signature"})
	case status == store.StatusPending:
		sig.ConfirmedAt = nil
	case confirmedAt != nil && confirmedAt.Before(sig.SignedAt):
		errs = append(errs, RowError{Field: "confirmed_at", Reason: "is before signed_at"})
	case confirmedAt != nil:
		sig.ConfirmedAt = confirmedAt
	case sig.SignedAt.After(now):
		at := sig.SignedAt
		sig.ConfirmedAt = &at
	}
	return errs
}

// parseImportStatus accepts the statuses a new signature may have; empty means
// confirmed.
func parseImportStatus(s string) (string, error) {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case "", store.StatusConfirmed:
		return store.StatusConfirmed, nil
	case store.StatusPending:
		return v, nil
	case store.StatusWithdrawn, store.StatusInvalidated:
		return "", fmt.Errorf("%s signatures cannot be imported: only confirmed or pending", v)
	}
	return "", fmt.Errorf("%q is not a status: use confirmed or pending (or leave it empty for confirmed)", clipForReport(s))
}

// parseImportTime reads an RFC 3339 time; empty is nil (the caller's default).
func parseImportTime(s string) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, fmt.Errorf("%q is not an RFC 3339 time like 2026-03-01T12:00:00Z", clipForReport(s))
	}
	t = t.UTC()
	return &t, nil
}

// parseImportBool reads a consent; empty is false, as on the web form.
func parseImportBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "1":
		return true, nil
	case "false", "no", "0", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a yes/no value: use true or false (yes/no, 1/0, or empty for no)", clipForReport(s))
}

// importValidationErrors turns the signing rules' verdict into row errors, in
// words for the organizer who fixes the file. Personal fields are not
// quoted back; the country code is.
func importValidationErrors(ve *signing.ValidationError, country string) []RowError {
	var errs []RowError
	for _, field := range Columns() {
		key, ok := ve.Fields[field]
		if !ok {
			continue
		}
		errs = append(errs, RowError{Field: field, Reason: importRuleReason(field, key[strings.IndexByte(key, '.')+1:], country)})
	}
	return errs
}

func importRuleReason(field, rule, country string) string {
	switch rule {
	case "required":
		return "is required"
	case "too_long":
		return fmt.Sprintf("is too long: at most %d characters", importMaxLength[field])
	case "bad_characters":
		return "contains characters that are not allowed (control characters, line breaks, invalid UTF-8 or direction overrides)"
	case "no_urls":
		return "must not contain a web address"
	case "email":
		return "is not a valid email address"
	case "country":
		return fmt.Sprintf("%q is not a country code: use ISO 3166-1 alpha-2, like KH or US", clipForReport(country))
	}
	return "is not valid"
}

// clipForReport shortens a value quoted back in a message.
func clipForReport(s string) string {
	const limit = 40
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
