package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// exportColumns are the columns an export reads: what it writes, plus the
// email hash that, with the id and petition, makes up the sealed fields'
// associated data. The three consents come as one number (bits 1, 2, 4):
// every column read costs a few calls into SQLite per row.
const exportColumns = `id, email_hash, status, country, name_enc, email_enc, city_enc, comment_enc, signed_at, confirmed_at, key_id,
	CASE WHEN public THEN 1 ELSE 0 END + CASE WHEN include_in_letters THEN 2 ELSE 0 END +
	CASE WHEN updates THEN 4 ELSE 0 END`

// ExportSignatures fills page with up to cap(page) signatures matching f
// with an id above afterID, lowest id first, and returns it: one page of a
// keyset walk over a petition. Each call is its own short query and holds
// no snapshot or lock once it returns, so an export that takes minutes to
// reach a slow client never stands in the way of signing.
//
// Only the fields an export writes are set, and a NULL sealed field comes
// back empty. The page's array and each slot's byte slices are reused: an
// export that hands the same few pages back allocates almost nothing per
// row, and its memory stays flat. An export of a million rows spends most
// of its time here, so the rows are scanned by hand, not through gorm.
func (db *DB) ExportSignatures(ctx context.Context, f SignatureFilter, afterID int64, page []Signature) ([]Signature, error) {
	page = page[:0]
	if cap(page) == 0 {
		return page, nil
	}
	where, args := f.exportWhere(afterID)
	args = append(args, cap(page))
	q := `SELECT ` + exportColumns + ` FROM signatures WHERE ` + where +
		fmt.Sprintf(` ORDER BY id LIMIT $%d`, len(args))
	// mattn/go-sqlite3 steps every row in a goroutine of its own when the
	// context can be cancelled (to interrupt it), which costs more than the
	// row. A page takes milliseconds, so it runs to the end uncancelled and
	// the context is checked before each one instead.
	if err := ctx.Err(); err != nil {
		return page, err
	}
	rows, err := db.sql.QueryContext(context.WithoutCancel(ctx), q, args...)
	if err != nil {
		return page, fmt.Errorf("export signatures: %w", err)
	}
	defer rows.Close()
	var hash, name, email, city, comment sql.RawBytes
	for rows.Next() {
		page = page[:len(page)+1]
		s := &page[len(page)-1]
		old := *s
		*s = Signature{PetitionID: f.PetitionID}
		var confirmed sql.NullTime
		var keyID sql.NullInt64
		var flags int
		if err := rows.Scan(&s.ID, &hash, &s.Status, &s.Country, &name, &email, &city, &comment,
			&s.SignedAt, &confirmed, &keyID, &flags); err != nil {
			return page[:0], fmt.Errorf("read exported signature: %w", err)
		}
		// RawBytes are the driver's until the next row: copied into the
		// slot's own buffers.
		s.EmailHash = append(old.EmailHash[:0], hash...)
		s.NameEnc = append(old.NameEnc[:0], name...)
		s.EmailEnc = append(old.EmailEnc[:0], email...)
		s.CityEnc = append(old.CityEnc[:0], city...)
		s.CommentEnc = append(old.CommentEnc[:0], comment...)
		if confirmed.Valid {
			if s.ConfirmedAt = old.ConfirmedAt; s.ConfirmedAt == nil {
				s.ConfirmedAt = new(time.Time)
			}
			*s.ConfirmedAt = confirmed.Time
		}
		s.Public, s.IncludeInLetters, s.Updates = flags&1 != 0, flags&2 != 0, flags&4 != 0
		if keyID.Valid {
			if s.KeyID = old.KeyID; s.KeyID == nil {
				s.KeyID = new(int64)
			}
			*s.KeyID = keyID.Int64
		}
	}
	if err := rows.Err(); err != nil {
		return page[:0], fmt.Errorf("export signatures: %w", err)
	}
	return page, nil
}

// exportWhere is the condition of an export page, with $N placeholders in
// order of appearance (SQLite binds $N by first appearance, PostgreSQL by
// number; numbering them in order suits both).
//
// The petition, status and country are compared as expressions (+x, x||”)
// on purpose: that keeps the planner off the (petition_id, status, country)
// index, which returns rows in country order and would make every page sort
// all the petition's remaining rows to find the next thousand ids. Walking
// the primary key from afterID instead makes each page cost only the rows
// it steps over, so a whole export is one pass over the table.
func (f SignatureFilter) exportWhere(afterID int64) (string, []any) {
	conds := []string{"id > $1", "+petition_id = $2"}
	args := []any{afterID, f.PetitionID}
	add := func(cond string, arg any) {
		args = append(args, arg)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	if f.Status != "" {
		add("status || '' = $%d", f.Status)
	}
	if f.Country != "" {
		add("country || '' = $%d", f.Country)
	}
	if !f.SignedFrom.IsZero() {
		add("signed_at >= $%d", f.SignedFrom.UTC())
	}
	if !f.SignedBefore.IsZero() {
		add("signed_at < $%d", f.SignedBefore.UTC())
	}
	if len(f.EmailDomainHash) > 0 {
		add("email_domain_hash = $%d", f.EmailDomainHash)
	}
	if len(f.ClientTag) > 0 {
		add("client_tag = $%d", f.ClientTag)
	}
	return strings.Join(conds, " AND "), args
}

// CountMatchingByCountry returns how many signatures match f in each
// country and status, ordered by country then status; combinations with
// no signature are absent. PetitionID in the rows is f's.
func (db *DB) CountMatchingByCountry(ctx context.Context, f SignatureFilter) ([]CountRow, error) {
	var out []CountRow
	err := f.where(db.gorm.WithContext(ctx).Model(&Signature{})).
		Select("petition_id, country, status, COUNT(*) AS n").
		Group("petition_id, country, status").Order("country, status").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("count signatures by country: %w", translate(err))
	}
	return out, nil
}
