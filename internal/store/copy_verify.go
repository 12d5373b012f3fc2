package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The comparison that ends every copy (and "campaign copy --verify-only"):
// row counts and a checksum per table, and each petition's signatures by
// status, read from both databases.

// Verify compares from and to as Copy does at its end, reading each in
// one snapshot: rows and a checksum per table, and each petition's
// signatures by status. Like Copy, it stops a SQLite source's checkpoints.
func Verify(ctx context.Context, from, to *DB) (*CopyReport, error) {
	from.stopCheckpoints()
	src, end, err := from.snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	defer end()
	if err := checkSchema(ctx, src, from.dialect); err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	prec := timePrecision(from, to)
	sums, err := checksums(ctx, src, from.dialect, prec)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	counts, err := statusCounts(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	return compare(ctx, sums, counts, to, prec)
}

// tableSum is a table's row count and the SHA-256 of its rows in key order.
type tableSum struct {
	rows int64
	sum  [sha256.Size]byte
}

// rowHash hashes rows column by column: a tag for the kind (or NULL), the
// length of variable values, then the bytes, so no two rows hash alike.
type rowHash struct {
	h    hash.Hash
	buf  []byte
	rows int64
}

func newRowHash() *rowHash { return &rowHash{h: sha256.New()} }

func (rh *rowHash) add(r *rowReader) {
	b := rh.buf[:0]
	for i := range r.cols {
		switch v := r.value(i).(type) {
		case nil:
			b = append(b, 0)
		case int64:
			b = binary.BigEndian.AppendUint64(append(b, 1), uint64(v))
		case string:
			b = append(binary.BigEndian.AppendUint64(append(b, 2), uint64(len(v))), v...)
		case []byte:
			b = append(binary.BigEndian.AppendUint64(append(b, 3), uint64(len(v))), v...)
		case bool:
			b = append(b, 4, 0)
			if v {
				b[len(b)-1] = 1
			}
		case time.Time:
			b = binary.BigEndian.AppendUint64(append(b, 5), uint64(v.Unix()))
			b = binary.BigEndian.AppendUint32(b, uint32(v.Nanosecond()))
		}
	}
	rh.h.Write(b)
	rh.buf = b
	rh.rows++
}

func (rh *rowHash) result() tableSum {
	s := tableSum{rows: rh.rows}
	rh.h.Sum(s.sum[:0])
	return s
}

// checksums reads every table and returns its row count and checksum.
func checksums(ctx context.Context, q querier, dialect string, prec time.Duration) (map[string]tableSum, error) {
	sums := make(map[string]tableSum, len(copyTables))
	for _, t := range copyTables {
		rows, err := q.QueryContext(ctx, t.selectSQL(dialect))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", t.name, err)
		}
		r, rh := newRowReader(t, prec), newRowHash()
		for rows.Next() {
			if err := rows.Scan(r.dest...); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read %s: %w", t.name, err)
			}
			rh.add(r)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", t.name, err)
		}
		sums[t.name] = rh.result()
	}
	return sums, nil
}

// statusKey names one petition's signatures in one status.
type statusKey struct {
	petitionID int64
	status     string
}

// statusCounts counts each petition's signatures by status, row by row.
func statusCounts(ctx context.Context, q querier) (map[statusKey]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT petition_id, status, COUNT(*) FROM signatures GROUP BY petition_id, status`)
	if err != nil {
		return nil, fmt.Errorf("count signatures: %w", err)
	}
	defer rows.Close()
	out := make(map[statusKey]int64)
	for rows.Next() {
		var k statusKey
		var n int64
		if err := rows.Scan(&k.petitionID, &k.status, &n); err != nil {
			return nil, fmt.Errorf("count signatures: %w", err)
		}
		out[k] = n
	}
	return out, rows.Err()
}

// CopyReport is what a comparison of two databases found.
type CopyReport struct {
	Tables     []TableCheck  // in copy order
	Signatures []StatusCheck // by petition, then status
}

// TableCheck compares one table in the two databases.
type TableCheck struct {
	Table                string
	SourceRows, DestRows int64
	SourceSum, DestSum   string // SHA-256 of the rows in key order, hex
}

// StatusCheck compares one petition's signatures in one status.
type StatusCheck struct {
	PetitionID   int64
	Slug         string
	Status       string
	Source, Dest int64 // rows counted in each database
	// Counted is what the destination's CountSignatures gives, the figure
	// its servers show: on PostgreSQL the trigger-kept signature_counts.
	Counted int64
}

// Differences lists, one sentence each, every way the destination differs
// from the source; none means the copy is identical.
func (r *CopyReport) Differences() []string {
	var out []string
	for _, t := range r.Tables {
		switch {
		case t.SourceRows != t.DestRows:
			out = append(out, fmt.Sprintf("%s: %d rows in the source, %d in the destination", t.Table, t.SourceRows, t.DestRows))
		case t.SourceSum != t.DestSum:
			out = append(out, fmt.Sprintf("%s: same number of rows but different contents (checksums differ)", t.Table))
		}
	}
	for _, s := range r.Signatures {
		if s.Source != s.Dest || s.Dest != s.Counted {
			out = append(out, fmt.Sprintf("petition %s, %s signatures: %d in the source, %d in the destination, which counts %d",
				s.Slug, s.Status, s.Source, s.Dest, s.Counted))
		}
	}
	return out
}

// compare reads the destination in one snapshot and sets it beside what
// was read of the source.
func compare(ctx context.Context, srcSums map[string]tableSum, srcCounts map[statusKey]int64, to *DB, prec time.Duration) (*CopyReport, error) {
	dst, end, err := to.snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("destination: %w", err)
	}
	defer end()
	dstSums, err := checksums(ctx, dst, to.dialect, prec)
	if err != nil {
		return nil, fmt.Errorf("destination: %w", err)
	}
	dstCounts, err := statusCounts(ctx, dst)
	if err != nil {
		return nil, fmt.Errorf("destination: %w", err)
	}
	slugs := make(map[int64]string)
	rows, err := dst.QueryContext(ctx, `SELECT id, slug FROM petitions`)
	if err != nil {
		return nil, fmt.Errorf("destination: read petitions: %w", err)
	}
	for rows.Next() {
		var id int64
		var slug string
		if err := rows.Scan(&id, &slug); err != nil {
			rows.Close()
			return nil, fmt.Errorf("destination: read petitions: %w", err)
		}
		slugs[id] = slug
	}
	rows.Close()
	counted, err := to.CountSignatures(ctx)
	if err != nil {
		return nil, fmt.Errorf("destination: %w", err)
	}
	r := &CopyReport{}
	for _, t := range copyTables {
		s, d := srcSums[t.name], dstSums[t.name]
		r.Tables = append(r.Tables, TableCheck{Table: t.name, SourceRows: s.rows, DestRows: d.rows,
			SourceSum: fmt.Sprintf("%x", s.sum), DestSum: fmt.Sprintf("%x", d.sum)})
	}
	checks := make(map[statusKey]*StatusCheck)
	check := func(k statusKey) *StatusCheck {
		if checks[k] == nil {
			slug := slugs[k.petitionID]
			if slug == "" {
				slug = "#" + strconv.FormatInt(k.petitionID, 10)
			}
			checks[k] = &StatusCheck{PetitionID: k.petitionID, Slug: slug, Status: k.status}
		}
		return checks[k]
	}
	for k, n := range srcCounts {
		check(k).Source = n
	}
	for k, n := range dstCounts {
		check(k).Dest = n
	}
	for _, c := range counted {
		check(statusKey{c.PetitionID, c.Status}).Counted += c.N
	}
	for _, c := range checks {
		r.Signatures = append(r.Signatures, *c)
	}
	slices.SortFunc(r.Signatures, func(a, b StatusCheck) int {
		if a.PetitionID != b.PetitionID {
			return int(a.PetitionID - b.PetitionID)
		}
		return strings.Compare(a.Status, b.Status)
	})
	return r, nil
}
