package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Signature statuses.
const (
	StatusPending     = "pending"
	StatusConfirmed   = "confirmed"
	StatusWithdrawn   = "withdrawn"
	StatusInvalidated = "invalidated"
)

// Signature is a signature row. Personal fields are sealed by the vault
// before they reach the store; the store never sees them in clear.
type Signature struct {
	ID               int64
	PetitionID       int64
	EmailHash        []byte // keyed hash of the canonical email: finds duplicates
	ReceiptHash      []byte // keyed hash of the receipt secret (see vault.ReceiptCode)
	Status           string
	Country          string
	NameEnc          []byte
	EmailEnc         []byte
	CityEnc          []byte
	CommentEnc       []byte
	Public           bool
	IncludeInLetters bool
	Updates          bool
	Lang             string
	Source           string // web, api, paper
	ClientTag        []byte // daily-keyed hash of the client network, for fraud review
	SignedAt         time.Time
	ConfirmedAt      *time.Time
	WithdrawnAt      *time.Time
	ConfirmHash      []byte     // keyed hash of the pending confirmation token
	ConfirmExpiresAt *time.Time // when that token stops confirming
	MailCount        int        // mails ever queued to this address for this petition
	NoMail           bool       // "it wasn't me": never mail this address for this petition again
	EmailDomainHash  []byte     // keyed hash of the email's domain, for moderation by domain
	KeyID            *int64     // data key (data_keys) of the sealed fields; nil: the vault's own field key

	// Mail to queue in the same transaction: FirstMail when the signature
	// is new, RepeatMail when the address had already signed.
	FirstMail  *QueuedMail `gorm:"-"`
	RepeatMail *RepeatMail `gorm:"-"`
}

// MaxMailsPerSignature caps the mails one address ever receives for one
// petition, whatever anyone submits.
const MaxMailsPerSignature = 5

// QueuedMail is a sealed outbox payload.
type QueuedMail struct {
	Kind       string
	PayloadEnc []byte
}

// RepeatMail is what to send when an address signs again: a fresh
// confirmation (new token) if its signature is still pending, or an
// "already signed" note if it is confirmed.
type RepeatMail struct {
	Confirm          QueuedMail
	ConfirmHash      []byte
	ConfirmExpiresAt time.Time
	AlreadySigned    QueuedMail
}

const insertSignatureSQL = `INSERT INTO signatures (petition_id, email_hash, receipt_hash, status, country,
	name_enc, email_enc, city_enc, comment_enc, public, include_in_letters, updates, lang, source,
	client_tag, signed_at, confirmed_at, confirm_hash, confirm_expires_at, mail_count, email_domain_hash, key_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
ON CONFLICT (petition_id, email_hash) DO NOTHING`

// repeatMailSQL counts one more mail to an address that signed before,
// within the cap and unless it asked for none, and renews the token of a
// pending signature; it returns the row only when a mail may go. The
// placeholders are numbered in the order they first appear: SQLite takes
// $N as a name and binds arguments by first appearance, not by N.
const repeatMailSQL = `UPDATE signatures SET mail_count = mail_count + 1,
	confirm_hash = CASE WHEN status = 'pending' THEN $1 ELSE confirm_hash END,
	confirm_expires_at = CASE WHEN status = 'pending' THEN $2 ELSE confirm_expires_at END
WHERE petition_id = $3 AND email_hash = $4 AND mail_count < $5 AND no_mail = FALSE
	AND status IN ('pending', 'confirmed')
RETURNING id, status`

const insertOutboxSQL = `INSERT INTO outbox (kind, signature_id, payload_enc, attempts, next_attempt_at, created_at)
VALUES ($1, $2, $3, 0, $4, $4)`

// InsertSignatures writes a batch of signatures in one transaction, one
// fsync for the lot. A signature whose (petition, email hash) already exists
// is skipped, not an error: inserted[i] reports whether batch[i] was new, and
// new rows get their ID set. Any other failure rolls back the whole batch.
func (db *DB) InsertSignatures(ctx context.Context, batch []*Signature) (inserted []bool, err error) {
	if db.dialect == "postgres" {
		return db.insertSignaturesPostgres(ctx, batch)
	}
	inserted = make([]bool, len(batch))
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin signature batch: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	stmt, err := tx.PrepareContext(ctx, insertSignatureSQL)
	if err != nil {
		return nil, fmt.Errorf("prepare signature insert: %w", err)
	}
	defer stmt.Close()
	now := db.now()
	for i, s := range batch {
		if s.FirstMail != nil {
			s.MailCount = 1
		}
		res, err := stmt.ExecContext(ctx, s.PetitionID, s.EmailHash, s.ReceiptHash, s.Status, s.Country,
			s.NameEnc, s.EmailEnc, s.CityEnc, s.CommentEnc, s.Public, s.IncludeInLetters, s.Updates,
			s.Lang, s.Source, s.ClientTag, s.SignedAt.UTC(), utcPtr(s.ConfirmedAt),
			s.ConfirmHash, utcPtr(s.ConfirmExpiresAt), s.MailCount, s.EmailDomainHash, s.KeyID)
		if err != nil {
			return nil, fmt.Errorf("insert signature: %w", translate(err))
		}
		// ON CONFLICT DO NOTHING affects no row for a repeat signature.
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err := queueRepeatMail(ctx, tx, s, now); err != nil {
				return nil, err
			}
			continue
		}
		if s.ID, err = res.LastInsertId(); err != nil {
			return nil, fmt.Errorf("read signature id: %w", err)
		}
		inserted[i] = true
		if s.FirstMail != nil {
			if _, err := tx.ExecContext(ctx, insertOutboxSQL, s.FirstMail.Kind, s.ID, s.FirstMail.PayloadEnc, now); err != nil {
				return nil, fmt.Errorf("queue mail: %w", err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit signature batch: %w", err)
	}
	return inserted, nil
}

// CountRow is the number of signatures of one petition in one country and status.
type CountRow struct {
	PetitionID int64
	Country    string
	Status     string
	N          int64
}

// CountSignatures returns the signature counts grouped by petition, country
// and status. It is a full scan of the index: called at start and on a slow
// refresh, never per page view.
//
// On PostgreSQL it reads the counts its triggers keep (migration 9): a few
// hundred rows, cheap enough for every instance to read every second.
func (db *DB) CountSignatures(ctx context.Context) ([]CountRow, error) {
	q := `SELECT petition_id, country, status, COUNT(*) FROM signatures GROUP BY petition_id, country, status`
	if db.dialect == "postgres" {
		q = `SELECT petition_id, country, status, n FROM signature_counts WHERE n <> 0`
	}
	rows, err := db.sql.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("count signatures: %w", err)
	}
	defer rows.Close()
	var out []CountRow
	for rows.Next() {
		var r CountRow
		if err := rows.Scan(&r.PetitionID, &r.Country, &r.Status, &r.N); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// FindSignatureByID returns the signature with that id or ErrNotFound.
func (db *DB) FindSignatureByID(ctx context.Context, id int64) (*Signature, error) {
	var s Signature
	err := db.gorm.WithContext(ctx).Where("id = ?", id).Take(&s).Error
	if err != nil {
		return nil, translate(err)
	}
	return &s, nil
}

// FindSignatureByEmail returns the signature of a petition with that email hash.
func (db *DB) FindSignatureByEmail(ctx context.Context, petitionID int64, emailHash []byte) (*Signature, error) {
	var s Signature
	err := db.gorm.WithContext(ctx).Where("petition_id = ? AND email_hash = ?", petitionID, emailHash).Take(&s).Error
	if err != nil {
		return nil, translate(err)
	}
	return &s, nil
}

func utcPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

// queueRepeatMail queues the mail for an address that signed before, if
// the cap and its choices allow one.
func queueRepeatMail(ctx context.Context, tx *sql.Tx, s *Signature, now time.Time) error {
	if s.RepeatMail == nil {
		return nil
	}
	r := s.RepeatMail
	var id int64
	var status string
	err := tx.QueryRowContext(ctx, repeatMailSQL, r.ConfirmHash, r.ConfirmExpiresAt.UTC(),
		s.PetitionID, s.EmailHash, MaxMailsPerSignature).Scan(&id, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // capped, opted out, or withdrawn: no mail
	}
	if err != nil {
		return fmt.Errorf("count repeat mail: %w", err)
	}
	mail := r.AlreadySigned
	if status == StatusPending {
		mail = r.Confirm
	}
	if _, err := tx.ExecContext(ctx, insertOutboxSQL, mail.Kind, id, mail.PayloadEnc, now); err != nil {
		return fmt.Errorf("queue mail: %w", err)
	}
	return nil
}
