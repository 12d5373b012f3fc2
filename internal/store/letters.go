package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm/clause"
)

// Letters to officials read the counted signatures in one pass, record a
// verification digest per letter, track each jurisdiction's status and keep
// the organizers' corrections to jurisdictions and letter templates.

// LetterSigner is one confirmed signature as letters read it. Its slices
// are only valid during the callback of ScanLetterSigners: copy what you
// keep. EmailHash, NameEnc and CityEnc are set only when IncludeInLetters.
type LetterSigner struct {
	ID               int64
	Country          []byte
	ReceiptHash      []byte
	IncludeInLetters bool
	EmailHash        []byte // for the fields' additional data, never shown
	NameEnc          []byte
	CityEnc          []byte
	KeyID            *int64 // data key of NameEnc and CityEnc; nil: the vault's own field key
}

// scanLetterSignersSQL reads only what letters need: the sealed name and
// city of signers who consented, and nothing else personal. The email
// column is never read.
const scanLetterSignersSQL = `SELECT id, country, receipt_hash, include_in_letters,
	CASE WHEN include_in_letters THEN email_hash END,
	CASE WHEN include_in_letters THEN name_enc END,
	CASE WHEN include_in_letters THEN city_enc END, key_id
FROM signatures WHERE petition_id = $1 AND status = 'confirmed' ORDER BY id`

// ScanLetterSigners calls fn for every confirmed signature of a petition, in
// id order, in one query; it stops at fn's first error.
func (db *DB) ScanLetterSigners(ctx context.Context, petitionID int64, fn func(*LetterSigner) error) error {
	rows, err := db.sql.QueryContext(ctx, scanLetterSignersSQL, petitionID)
	if err != nil {
		return fmt.Errorf("read signatures for letters: %w", err)
	}
	defer rows.Close()
	var s LetterSigner
	var country, receipt, email, name, city sql.RawBytes
	var keyID sql.NullInt64
	for rows.Next() {
		if err := rows.Scan(&s.ID, &country, &receipt, &s.IncludeInLetters, &email, &name, &city, &keyID); err != nil {
			return fmt.Errorf("read signatures for letters: %w", err)
		}
		s.Country, s.ReceiptHash, s.EmailHash, s.NameEnc, s.CityEnc = country, receipt, email, name, city
		s.KeyID = nil
		if keyID.Valid {
			s.KeyID = &keyID.Int64
		}
		if err := fn(&s); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read signatures for letters: %w", err)
	}
	return nil
}

// receiptBatch bounds the ids of one FindReceiptHashes query, well under
// every database's limit on bound parameters.
const receiptBatch = 500

// FindReceiptHashes returns the receipt hashes of the signatures of a
// petition with the given ids, in the order of ids; an id with no row (or a
// row of another petition) gets nil.
func (db *DB) FindReceiptHashes(ctx context.Context, petitionID int64, ids []int64) ([][]byte, error) {
	out := make([][]byte, len(ids))
	pos := make(map[int64]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	for start := 0; start < len(ids); start += receiptBatch {
		chunk := ids[start:min(start+receiptBatch, len(ids))]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, petitionID)
		marks := make([]string, len(chunk))
		for i, id := range chunk {
			args = append(args, id)
			marks[i] = fmt.Sprintf("$%d", i+2)
		}
		q := `SELECT id, receipt_hash FROM signatures WHERE petition_id = $1 AND id IN (` + strings.Join(marks, ",") + `)`
		if err := db.scanReceipts(ctx, q, args, pos, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (db *DB) scanReceipts(ctx context.Context, q string, args []any, pos map[int64]int, out [][]byte) error {
	rows, err := db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("read receipt hashes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var h []byte
		if err := rows.Scan(&id, &h); err != nil {
			return fmt.Errorf("read receipt hashes: %w", err)
		}
		out[pos[id]] = h
	}
	return rows.Err()
}

// LetterDigest is the verification digest printed in one generated letter:
// the Merkle root over the receipt hashes of exactly the signatures it
// counted, and those signatures' ids (sorted, delta and varint encoded), so
// that a signer can later check they were counted.
type LetterDigest struct {
	ID           int64
	PetitionID   int64
	Jurisdiction string
	SignerCount  int64 // signatures counted in this letter
	TotalCount   int64 // confirmed signatures of the petition in all countries
	Root         []byte
	Members      []byte
	GeneratedAt  time.Time
	GeneratedBy  string
}

// TableName keeps gorm on the migration's table name.
func (LetterDigest) TableName() string { return "letter_digests" }

// CreateLetterDigests records the digests of one generation and its audit
// entry in one transaction, and sets their IDs.
func (db *DB) CreateLetterDigests(ctx context.Context, ds []*LetterDigest, audit *AuditEntry) error {
	return db.Tx(ctx, func(tx *DB) error {
		if len(ds) > 0 {
			if err := tx.gorm.WithContext(ctx).CreateInBatches(ds, 50).Error; err != nil {
				return fmt.Errorf("record letter digests: %w", translate(err))
			}
		}
		if audit != nil {
			return tx.AddAudit(ctx, audit)
		}
		return nil
	})
}

// FindLetterDigestsByRoot returns a petition's digests with that root,
// oldest first (a regenerated letter over the same signatures has the same
// root).
func (db *DB) FindLetterDigestsByRoot(ctx context.Context, petitionID int64, root []byte) ([]*LetterDigest, error) {
	var out []*LetterDigest
	err := db.gorm.WithContext(ctx).Where("petition_id = ? AND root = ?", petitionID, root).Order("id").Find(&out).Error
	return out, translate(err)
}

// LatestLetterDigests returns the newest digest of each of a petition's
// jurisdictions, keyed by jurisdiction code, without their members.
func (db *DB) LatestLetterDigests(ctx context.Context, petitionID int64) (map[string]*LetterDigest, error) {
	var rows []*LetterDigest
	err := db.gorm.WithContext(ctx).
		Select("id, petition_id, jurisdiction, signer_count, total_count, root, generated_at, generated_by").
		Where("id IN (?)", db.gorm.Table("letter_digests").Select("MAX(id)").
			Where("petition_id = ?", petitionID).Group("jurisdiction")).
		Find(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	out := make(map[string]*LetterDigest, len(rows))
	for _, d := range rows {
		out[d.Jurisdiction] = d
	}
	return out, nil
}

// LetterStatus is one change of a jurisdiction's letter status for a
// petition; the rows of a jurisdiction are its history.
type LetterStatus struct {
	ID           int64
	PetitionID   int64
	Jurisdiction string
	Status       string
	Channel      string // for sent: post, email, hand, other
	Note         string // for replied: what the reply said
	At           time.Time
	ByActor      string
}

// TableName keeps gorm on the migration's table name.
func (LetterStatus) TableName() string { return "letter_status" }

// AddLetterStatus records a status change and its audit entry in one
// transaction.
func (db *DB) AddLetterStatus(ctx context.Context, st *LetterStatus, audit *AuditEntry) error {
	return db.Tx(ctx, func(tx *DB) error {
		if err := tx.gorm.WithContext(ctx).Create(st).Error; err != nil {
			return fmt.Errorf("record letter status: %w", translate(err))
		}
		if audit != nil {
			return tx.AddAudit(ctx, audit)
		}
		return nil
	})
}

// FindLetterStatuses returns every status change of a petition's letters,
// oldest first.
func (db *DB) FindLetterStatuses(ctx context.Context, petitionID int64) ([]*LetterStatus, error) {
	var out []*LetterStatus
	err := db.gorm.WithContext(ctx).Where("petition_id = ?", petitionID).Order("id").Find(&out).Error
	return out, translate(err)
}

// FindLetterStatusHistory returns the status changes of one jurisdiction's
// letter for a petition, newest first.
func (db *DB) FindLetterStatusHistory(ctx context.Context, petitionID int64, code string) ([]*LetterStatus, error) {
	var out []*LetterStatus
	err := db.gorm.WithContext(ctx).Where("petition_id = ? AND jurisdiction = ?", petitionID, code).
		Order("id DESC").Find(&out).Error
	return out, translate(err)
}

// JurisdictionOverride is an organizer's correction of a jurisdiction's
// addressee, postal address or letter language, applied over config/.
type JurisdictionOverride struct {
	Code             string `gorm:"primaryKey"`
	Addressee        string
	Address          string // lines separated by "\n"
	AddressConfirmed bool
	Language         string
	UpdatedAt        time.Time
	UpdatedBy        string
}

// TableName keeps gorm on the migration's table name.
func (JurisdictionOverride) TableName() string { return "jurisdiction_overrides" }

// FindJurisdictionOverrides returns every override, by code.
func (db *DB) FindJurisdictionOverrides(ctx context.Context) ([]*JurisdictionOverride, error) {
	var out []*JurisdictionOverride
	return out, translate(db.gorm.WithContext(ctx).Order("code").Find(&out).Error)
}

// SaveJurisdictionOverride creates or replaces the override of o.Code and
// records the audit entry, in one transaction.
func (db *DB) SaveJurisdictionOverride(ctx context.Context, o *JurisdictionOverride, audit *AuditEntry) error {
	o.UpdatedAt = db.now()
	return db.Tx(ctx, func(tx *DB) error {
		err := tx.gorm.WithContext(ctx).Clauses(clause.OnConflict{UpdateAll: true}).Create(o).Error
		if err != nil {
			return fmt.Errorf("save jurisdiction override: %w", translate(err))
		}
		if audit != nil {
			return tx.AddAudit(ctx, audit)
		}
		return nil
	})
}

// LetterTemplate is a petition's own letter template for one language,
// used instead of the one in config/letters.
type LetterTemplate struct {
	PetitionID int64  `gorm:"primaryKey;autoIncrement:false"`
	Language   string `gorm:"primaryKey"`
	Body       string
	UpdatedAt  time.Time
	UpdatedBy  string
}

// TableName keeps gorm on the migration's table name.
func (LetterTemplate) TableName() string { return "letter_templates" }

// FindLetterTemplates returns a petition's own templates, by language.
func (db *DB) FindLetterTemplates(ctx context.Context, petitionID int64) ([]*LetterTemplate, error) {
	var out []*LetterTemplate
	err := db.gorm.WithContext(ctx).Where("petition_id = ?", petitionID).Order("language").Find(&out).Error
	return out, translate(err)
}

// SaveLetterTemplate creates or replaces a petition's template for a
// language and records the audit entry, in one transaction.
func (db *DB) SaveLetterTemplate(ctx context.Context, t *LetterTemplate, audit *AuditEntry) error {
	t.UpdatedAt = db.now()
	return db.Tx(ctx, func(tx *DB) error {
		err := tx.gorm.WithContext(ctx).Clauses(clause.OnConflict{UpdateAll: true}).Create(t).Error
		if err != nil {
			return fmt.Errorf("save letter template: %w", translate(err))
		}
		if audit != nil {
			return tx.AddAudit(ctx, audit)
		}
		return nil
	})
}

// DeleteLetterTemplate removes a petition's template for a language (the
// one in config/letters applies again) and records the audit entry; it
// reports whether there was one.
func (db *DB) DeleteLetterTemplate(ctx context.Context, petitionID int64, lang string, audit *AuditEntry) (bool, error) {
	deleted := false
	err := db.Tx(ctx, func(tx *DB) error {
		res := tx.gorm.WithContext(ctx).Where("petition_id = ? AND language = ?", petitionID, lang).Delete(&LetterTemplate{})
		if res.Error != nil {
			return fmt.Errorf("delete letter template: %w", translate(res.Error))
		}
		deleted = res.RowsAffected > 0
		if audit != nil && deleted {
			return tx.AddAudit(ctx, audit)
		}
		return nil
	})
	return deleted, err
}
