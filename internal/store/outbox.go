package store

import (
	"context"
	"fmt"
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

// ClaimDueOutbox returns up to limit messages due at now, oldest first.
// On SQLite one worker runs per database; on PostgreSQL (later) rows are
// claimed with FOR UPDATE SKIP LOCKED so several workers never share one.
func (db *DB) ClaimDueOutbox(ctx context.Context, now time.Time, limit int) ([]OutboxMessage, error) {
	var out []OutboxMessage
	err := db.gorm.WithContext(ctx).
		Where("sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ?", now.UTC()).
		Order("next_attempt_at, id").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("claim due outbox: %w", err)
	}
	return out, nil
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
