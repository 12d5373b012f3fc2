package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// SignatureFilter selects one petition's signatures for review and bulk
// moderation. A zero field matches every row.
type SignatureFilter struct {
	PetitionID      int64
	Status          string
	Country         string
	SignedFrom      time.Time // inclusive
	SignedBefore    time.Time // exclusive
	EmailDomainHash []byte    // vault.EmailDomainHash of an address at the domain
	ClientTag       []byte
}

// where narrows q to the rows f selects; every value is a parameter.
func (f SignatureFilter) where(q *gorm.DB) *gorm.DB {
	q = q.Where("petition_id = ?", f.PetitionID)
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Country != "" {
		q = q.Where("country = ?", f.Country)
	}
	if !f.SignedFrom.IsZero() {
		q = q.Where("signed_at >= ?", f.SignedFrom.UTC())
	}
	if !f.SignedBefore.IsZero() {
		q = q.Where("signed_at < ?", f.SignedBefore.UTC())
	}
	if len(f.EmailDomainHash) > 0 {
		q = q.Where("email_domain_hash = ?", f.EmailDomainHash)
	}
	if len(f.ClientTag) > 0 {
		q = q.Where("client_tag = ?", f.ClientTag)
	}
	return q
}

// FindSignatures returns up to limit signatures matching f, newest (highest
// id) first, starting below beforeID (0 for the newest page).
func (db *DB) FindSignatures(ctx context.Context, f SignatureFilter, beforeID int64, limit int) ([]*Signature, error) {
	q := f.where(db.gorm.WithContext(ctx).Model(&Signature{}))
	if beforeID > 0 {
		q = q.Where("id < ?", beforeID)
	}
	var out []*Signature
	if err := q.Order("id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("find signatures: %w", translate(err))
	}
	return out, nil
}

// CountMatchingSignatures returns how many signatures match f.
func (db *DB) CountMatchingSignatures(ctx context.Context, f SignatureFilter) (int64, error) {
	var n int64
	if err := f.where(db.gorm.WithContext(ctx).Model(&Signature{})).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count signatures: %w", translate(err))
	}
	return n, nil
}

// InvalidateSignatures marks every pending or confirmed signature matching
// f as invalidated, in one statement, and returns how many rows changed.
// ModerationResult is what a bulk moderation changed: how many rows, and by
// how much each country's confirmed count moved (for the live counters).
type ModerationResult struct {
	Rows           int64
	ConfirmedDelta map[string]int64
}

// InvalidateSignatures marks every pending or confirmed signature matching
// f invalidated. Nothing is deleted. The confirmed rows are counted per
// country in the same transaction (which holds SQLite's write lock from
// its start), so the live counters can move by exactly that much.
func (db *DB) InvalidateSignatures(ctx context.Context, f SignatureFilter) (ModerationResult, error) {
	return db.moderate(ctx, f, -1, "status = ?", []any{StatusConfirmed},
		"status IN ?", []any{[]string{StatusPending, StatusConfirmed}}, StatusInvalidated)
}

// RestoreSignatures puts every invalidated signature matching f back to
// the status it would have: confirmed if it was ever confirmed, else
// pending.
func (db *DB) RestoreSignatures(ctx context.Context, f SignatureFilter) (ModerationResult, error) {
	return db.moderate(ctx, f, +1, "status = ? AND confirmed_at IS NOT NULL", []any{StatusInvalidated},
		"status = ?", []any{StatusInvalidated},
		gorm.Expr("CASE WHEN confirmed_at IS NOT NULL THEN ? ELSE ? END", StatusConfirmed, StatusPending))
}

// moderate counts the rows whose change moves the confirmed count (sign
// gives the direction), then updates every row matching the filter and
// the status condition to newStatus, in one transaction.
func (db *DB) moderate(ctx context.Context, f SignatureFilter, sign int64, countCond string, countArgs []any,
	updCond string, updArgs []any, newStatus any) (ModerationResult, error) {
	var res ModerationResult
	err := db.retryConflicts(func() error {
		res = ModerationResult{ConfirmedDelta: map[string]int64{}}
		return db.moderateTx(ctx, f, sign, countCond, countArgs, updCond, updArgs, newStatus, &res)
	})
	return res, err
}

func (db *DB) moderateTx(ctx context.Context, f SignatureFilter, sign int64, countCond string, countArgs []any,
	updCond string, updArgs []any, newStatus any, res *ModerationResult) error {
	return db.Tx(ctx, func(tx *DB) error {
		var rows []struct {
			Country string
			N       int64
		}
		err := f.where(tx.gorm.WithContext(ctx).Model(&Signature{})).Where(countCond, countArgs...).
			Select("country, COUNT(*) AS n").Group("country").Scan(&rows).Error
		if err != nil {
			return fmt.Errorf("count signatures to moderate: %w", translate(err))
		}
		for _, r := range rows {
			res.ConfirmedDelta[r.Country] = sign * r.N
		}
		upd := f.where(tx.gorm.WithContext(ctx).Model(&Signature{})).Where(updCond, updArgs...).Update("status", newStatus)
		if upd.Error != nil {
			return fmt.Errorf("moderate signatures: %w", translate(upd.Error))
		}
		res.Rows = upd.RowsAffected
		return nil
	})
}
