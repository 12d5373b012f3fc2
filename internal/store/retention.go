package store

import (
	"context"
	"fmt"
	"time"
)

// ClosedSince reports since when p has taken no signatures, as far as its
// row tells: the moment closes_at passed, or — for a petition closed by
// hand — its updated_at, which SetPetitionStatus stamps when it closes it
// and which only moves later with any further edit. Either way the time
// returned is never earlier than the real close, so a retention counted
// from it can only run late, never early. ok is false for a petition that
// is still open at now.
func (p *Petition) ClosedSince(now time.Time) (since time.Time, ok bool) {
	if p.ClosesAt != nil && !now.Before(*p.ClosesAt) {
		since, ok = *p.ClosesAt, true
	}
	if p.Status == PetitionClosed && (!ok || p.UpdatedAt.Before(since)) {
		since, ok = p.UpdatedAt, true
	}
	return since, ok
}

// retentionBatch bounds the rows one erasing statement touches, so that the
// signature writer never waits long behind it.
const retentionBatch = 1000

// hasPersonal matches a signature row that still holds personal data.
const hasPersonal = `(name_enc IS NOT NULL OR email_enc IS NOT NULL OR city_enc IS NOT NULL
	OR comment_enc IS NOT NULL OR client_tag IS NOT NULL OR email_domain_hash IS NOT NULL
	OR confirm_hash IS NOT NULL OR confirm_expires_at IS NOT NULL)`

// ErasePetitionPersonalData erases the personal data of every signature of
// one petition, whatever its status: name, email, city, comment, client
// tag, email-domain hash and confirmation token. What stays is what the
// figures and the letters' proofs need — status, country, choices, times,
// the keyed email hash (so the address is still known as having signed)
// and the letter digests. Mail still queued for those signers is dropped
// with its sealed payload. It returns how many signatures it changed, and
// may be called again at any time: erased rows are skipped.
func (db *DB) ErasePetitionPersonalData(ctx context.Context, petitionID int64) (int64, error) {
	if _, err := db.sql.ExecContext(ctx, `UPDATE outbox SET payload_enc = NULL, failed_at = $1,
		last_error = 'personal data erased after the petition closed'
		WHERE sent_at IS NULL AND failed_at IS NULL
		AND signature_id IN (SELECT id FROM signatures WHERE petition_id = $2)`, db.now().UTC(), petitionID); err != nil {
		return 0, fmt.Errorf("drop queued mail of petition %d: %w", petitionID, err)
	}
	var total int64
	for {
		// The rows are found by a read, which under WAL holds no lock, and
		// erased by id range, so each write is short.
		var first, last, n int64
		err := db.sql.QueryRowContext(ctx, `SELECT COALESCE(MIN(id), 0), COALESCE(MAX(id), 0), COUNT(*) FROM
			(SELECT id FROM signatures WHERE petition_id = $1 AND `+hasPersonal+` ORDER BY id LIMIT $2) AS batch`,
			petitionID, retentionBatch).Scan(&first, &last, &n)
		if err != nil {
			return total, fmt.Errorf("find personal data of petition %d: %w", petitionID, err)
		}
		if n == 0 {
			return total, nil
		}
		res, err := db.sql.ExecContext(ctx, `UPDATE signatures SET `+erasePersonal+`
			WHERE petition_id = $1 AND id >= $2 AND id <= $3 AND `+hasPersonal, petitionID, first, last)
		if err != nil {
			return total, fmt.Errorf("erase personal data of petition %d: %w", petitionID, err)
		}
		done, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += done
		if done == 0 { // nothing left that this statement can erase
			return total, nil
		}
	}
}
