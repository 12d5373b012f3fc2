package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Outbox message kinds.
const (
	MailConfirm       = "confirm"
	MailAlreadySigned = "already_signed"
)

// OutboxMessage is one queued mail. Its content is sealed: the outbox holds
// no address or token in clear, and the payload is erased once sent.
type OutboxMessage struct {
	ID            int64
	Kind          string
	SignatureID   int64
	PayloadEnc    []byte
	Attempts      int
	NextAttemptAt time.Time
	SentAt        *time.Time
	FailedAt      *time.Time
	LastError     string
	CreatedAt     time.Time
}

// TableName keeps gorm on the migration's table name.
func (OutboxMessage) TableName() string { return "outbox" }

// OutboxLease is how long a claimed message stays out of other workers'
// reach: its sender marks it sent, retried or failed well before; if the
// sender dies, the message is due again after the lease.
const OutboxLease = 5 * time.Minute

// ClaimDueOutbox claims up to limit messages due at now, oldest first, by
// moving their next attempt a lease ahead in the same statement, so that no
// other worker (another instance sharing the database) takes them while
// they are being sent. On PostgreSQL rows are picked with FOR UPDATE SKIP
// LOCKED: concurrent workers each get other rows instead of waiting.
func (db *DB) ClaimDueOutbox(ctx context.Context, now time.Time, limit int) ([]OutboxMessage, error) {
	lock := ""
	if db.dialect == "postgres" {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	q := `UPDATE outbox SET next_attempt_at = $1 WHERE id IN (SELECT id FROM outbox
	WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $2
	ORDER BY next_attempt_at, id LIMIT $3` + lock + `)
RETURNING id, kind, signature_id, payload_enc, attempts, next_attempt_at, created_at`
	rows, err := db.sql.QueryContext(ctx, q, now.Add(OutboxLease).UTC(), now.UTC(), limit)
	if err != nil {
		return nil, fmt.Errorf("claim due outbox: %w", err)
	}
	defer rows.Close()
	var out []OutboxMessage
	for rows.Next() {
		var m OutboxMessage
		if err := rows.Scan(&m.ID, &m.Kind, &m.SignatureID, &m.PayloadEnc, &m.Attempts, &m.NextAttemptAt, &m.CreatedAt); err != nil {
			return nil, fmt.Errorf("claim due outbox: %w", err)
		}
		m.NextAttemptAt = now.UTC() // when it was due, as the sender sees it
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim due outbox: %w", err)
	}
	// RETURNING gives no order: send oldest first.
	slices.SortFunc(out, func(a, b OutboxMessage) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// ReleaseOutbox hands back claimed messages that were not attempted (their
// worker stopped, or its lease was running out): they are due again at now
// for any worker, instead of after the lease.
func (db *DB) ReleaseOutbox(ctx context.Context, ids []int64, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	marks := make([]string, len(ids))
	args := []any{now.UTC()}
	for i, id := range ids {
		marks[i] = fmt.Sprintf("$%d", i+2)
		args = append(args, id)
	}
	_, err := db.sql.ExecContext(ctx, `UPDATE outbox SET next_attempt_at = $1
	WHERE sent_at IS NULL AND failed_at IS NULL AND id IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return fmt.Errorf("release outbox messages: %w", err)
	}
	return nil
}

// MarkOutboxSent records delivery and erases the payload.
func (db *DB) MarkOutboxSent(ctx context.Context, id int64, at time.Time) error {
	return translate(db.gorm.WithContext(ctx).Model(&OutboxMessage{}).Where("id = ?", id).
		Updates(map[string]any{"sent_at": at.UTC(), "payload_enc": nil, "last_error": ""}).Error)
}

// MarkOutboxRetry schedules another attempt.
func (db *DB) MarkOutboxRetry(ctx context.Context, id int64, attempts int, next time.Time, lastError string) error {
	return translate(db.gorm.WithContext(ctx).Model(&OutboxMessage{}).Where("id = ?", id).
		Updates(map[string]any{"attempts": attempts, "next_attempt_at": next.UTC(), "last_error": lastError}).Error)
}

// MarkOutboxFailed gives up on a message and erases its payload.
func (db *DB) MarkOutboxFailed(ctx context.Context, id int64, at time.Time, lastError string) error {
	return translate(db.gorm.WithContext(ctx).Model(&OutboxMessage{}).Where("id = ?", id).
		Updates(map[string]any{"failed_at": at.UTC(), "payload_enc": nil, "last_error": lastError}).Error)
}

// OutboxDepth is the number of messages waiting to be sent.
func (db *DB) OutboxDepth(ctx context.Context) (int64, error) {
	var n int64
	err := db.gorm.WithContext(ctx).Model(&OutboxMessage{}).Where("sent_at IS NULL AND failed_at IS NULL").Count(&n).Error
	return n, translate(err)
}
