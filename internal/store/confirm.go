package store

import (
	"context"
	"fmt"
	"time"
)

// FindSignatureByConfirmHash returns the signature whose pending
// confirmation token hashes to hash.
func (db *DB) FindSignatureByConfirmHash(ctx context.Context, hash []byte) (*Signature, error) {
	var s Signature
	err := db.gorm.WithContext(ctx).Where("confirm_hash = ?", hash).Take(&s).Error
	if err != nil {
		return nil, translate(err)
	}
	return &s, nil
}

// ConfirmSignature marks a pending signature confirmed and retires its
// token. It reports false when the signature was not pending (already
// confirmed, withdrawn): confirming twice changes nothing.
func (db *DB) ConfirmSignature(ctx context.Context, id int64, at time.Time) (bool, error) {
	var n int64
	err := db.retryConflicts(func() error {
		res, err := db.sql.ExecContext(ctx, `UPDATE signatures SET status = 'confirmed', confirmed_at = $1,
		confirm_hash = NULL, confirm_expires_at = NULL WHERE id = $2 AND status = 'pending'`, at.UTC(), id)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("confirm signature: %w", err)
	}
	return n == 1, nil
}

// erasePersonal is the SET clause that removes a signer's personal data
// from a row; the keyed email hash stays so the address is still known as
// having signed (and, with no_mail, is never mailed again).
const erasePersonal = `name_enc = NULL, email_enc = NULL, city_enc = NULL, comment_enc = NULL,
	confirm_hash = NULL, confirm_expires_at = NULL, client_tag = NULL, email_domain_hash = NULL`

// RejectPendingSignature handles "it wasn't me": the pending signature is
// withdrawn, its personal data erased, and the address never mailed again
// for this petition. It reports false when the signature was not pending.
func (db *DB) RejectPendingSignature(ctx context.Context, id int64, at time.Time) (bool, error) {
	var n int64
	err := db.retryConflicts(func() error {
		res, err := db.sql.ExecContext(ctx, `UPDATE signatures SET status = 'withdrawn', withdrawn_at = $1,
		no_mail = TRUE, `+erasePersonal+` WHERE id = $2 AND status = 'pending'`, at.UTC(), id)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("reject signature: %w", err)
	}
	return n == 1, nil
}

// WithdrawSignature withdraws a pending or confirmed signature and erases
// its personal data. It returns the status it had, or "" when it was
// already withdrawn or invalidated.
//
// The update applies only if the status is still the one read, so of two
// withdrawals at once (two instances) exactly one reports the status: the
// counters move once.
func (db *DB) WithdrawSignature(ctx context.Context, id int64, at time.Time) (previous string, err error) {
	err = db.retryConflicts(func() error {
		for {
			previous = ""
			var s Signature
			if err := db.gorm.WithContext(ctx).Select("id", "status").Where("id = ?", id).Take(&s).Error; err != nil {
				return translate(err)
			}
			if s.Status != StatusPending && s.Status != StatusConfirmed {
				return nil
			}
			res := db.gorm.WithContext(ctx).Exec(`UPDATE signatures SET status = 'withdrawn', withdrawn_at = ?, `+
				erasePersonal+` WHERE id = ? AND status = ?`, at.UTC(), id, s.Status)
			if res.Error != nil {
				return fmt.Errorf("withdraw signature: %w", res.Error)
			}
			if res.RowsAffected == 1 {
				previous = s.Status
				return nil
			}
			// The status changed since it was read (confirmed meanwhile, or
			// withdrawn by someone else): read it again.
		}
	})
	return previous, err
}

// RenewConfirmation gives a pending signature a new token and queues a new
// confirmation mail, within the mail cap. It reports false when no mail
// may be sent (cap reached, opted out, or no longer pending).
func (db *DB) RenewConfirmation(ctx context.Context, id int64, hash []byte, expires time.Time, mail QueuedMail) (bool, error) {
	queued := false
	err := db.Tx(ctx, func(tx *DB) error {
		res := tx.gorm.WithContext(ctx).Exec(`UPDATE signatures SET mail_count = mail_count + 1, confirm_hash = ?,
			confirm_expires_at = ? WHERE id = ? AND status = 'pending' AND no_mail = FALSE AND mail_count < ?`,
			hash, expires.UTC(), id, MaxMailsPerSignature)
		if res.Error != nil {
			return fmt.Errorf("renew confirmation: %w", res.Error)
		}
		if res.RowsAffected != 1 {
			return nil
		}
		now := db.now()
		if err := tx.gorm.WithContext(ctx).Exec(`INSERT INTO outbox (kind, signature_id, payload_enc, attempts,
			next_attempt_at, created_at) VALUES (?, ?, ?, 0, ?, ?)`, mail.Kind, id, mail.PayloadEnc, now, now).Error; err != nil {
			return fmt.Errorf("queue mail: %w", err)
		}
		queued = true
		return nil
	})
	return queued, err
}

// EraseExpiredEmails removes the encrypted email of confirmed signers who
// did not ask to be kept informed and confirmed before cutoff. The keyed
// hash stays, so a repeat signature is still recognised.
func (db *DB) EraseExpiredEmails(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := db.sql.ExecContext(ctx, `UPDATE signatures SET email_enc = NULL, email_domain_hash = NULL WHERE status = 'confirmed'
		AND updates = FALSE AND email_enc IS NOT NULL AND confirmed_at < $1`, cutoff.UTC())
	if err != nil {
		return 0, fmt.Errorf("erase expired emails: %w", err)
	}
	return res.RowsAffected()
}
