package store

import (
	"context"
	"time"
)

// Organizer roles, from most to least powerful.
const (
	RoleOwner     = "owner"
	RoleOrganizer = "organizer"
	RoleViewer    = "viewer"
)

// Organizer is a console account.
type Organizer struct {
	ID           int64
	Email        string
	Role         string
	PasswordHash string
	DisabledAt   *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// CreateOrganizer inserts o; a taken email is ErrConflict.
func (db *DB) CreateOrganizer(ctx context.Context, o *Organizer) error {
	now := db.now()
	o.CreatedAt, o.UpdatedAt = now, now
	return translate(db.gorm.WithContext(ctx).Create(o).Error)
}

// FindOrganizerByEmail returns the account with that (lower-cased) email.
func (db *DB) FindOrganizerByEmail(ctx context.Context, email string) (*Organizer, error) {
	var o Organizer
	if err := db.gorm.WithContext(ctx).Where("email = ?", email).Take(&o).Error; err != nil {
		return nil, translate(err)
	}
	return &o, nil
}

// FindOrganizerByID returns the account with that id.
func (db *DB) FindOrganizerByID(ctx context.Context, id int64) (*Organizer, error) {
	var o Organizer
	if err := db.gorm.WithContext(ctx).Where("id = ?", id).Take(&o).Error; err != nil {
		return nil, translate(err)
	}
	return &o, nil
}

// FindOrganizers lists every account, oldest first.
func (db *DB) FindOrganizers(ctx context.Context) ([]*Organizer, error) {
	var out []*Organizer
	err := db.gorm.WithContext(ctx).Order("id").Find(&out).Error
	return out, translate(err)
}

// DisableOrganizer disables an account and ends its sessions.
func (db *DB) DisableOrganizer(ctx context.Context, id int64) error {
	return db.Tx(ctx, func(tx *DB) error {
		now := tx.now()
		res := tx.gorm.WithContext(ctx).Model(&Organizer{}).Where("id = ?", id).
			Updates(map[string]any{"disabled_at": now, "updated_at": now})
		if res.Error != nil {
			return translate(res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return translate(tx.gorm.WithContext(ctx).Where("organizer_id = ?", id).Delete(&Session{}).Error)
	})
}

// SetOrganizerRole changes an account's role.
func (db *DB) SetOrganizerRole(ctx context.Context, id int64, role string) error {
	res := db.gorm.WithContext(ctx).Model(&Organizer{}).Where("id = ?", id).
		Updates(map[string]any{"role": role, "updated_at": db.now()})
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// Session is a signed-in console session. Only the token's hash is stored.
type Session struct {
	ID          int64
	TokenHash   []byte
	OrganizerID int64
	CSRFToken   string
	CreatedAt   time.Time
	LastSeenAt  time.Time
	ExpiresAt   time.Time // absolute expiry
}

// CreateSession stores a new session.
func (db *DB) CreateSession(ctx context.Context, s *Session) error {
	return translate(db.gorm.WithContext(ctx).Create(s).Error)
}

// FindSessionByTokenHash returns the session with that token hash.
func (db *DB) FindSessionByTokenHash(ctx context.Context, hash []byte) (*Session, error) {
	var s Session
	if err := db.gorm.WithContext(ctx).Where("token_hash = ?", hash).Take(&s).Error; err != nil {
		return nil, translate(err)
	}
	return &s, nil
}

// TouchSession records activity, pushing back the idle expiry.
func (db *DB) TouchSession(ctx context.Context, id int64, at time.Time) error {
	return translate(db.gorm.WithContext(ctx).Model(&Session{}).Where("id = ?", id).Update("last_seen_at", at.UTC()).Error)
}

// DeleteSession ends a session.
func (db *DB) DeleteSession(ctx context.Context, id int64) error {
	return translate(db.gorm.WithContext(ctx).Where("id = ?", id).Delete(&Session{}).Error)
}

// DeleteExpiredSessions removes sessions past their absolute expiry or
// idle since before idleCutoff.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now, idleCutoff time.Time) (int64, error) {
	res := db.gorm.WithContext(ctx).Where("expires_at <= ? OR last_seen_at < ?", now.UTC(), idleCutoff.UTC()).Delete(&Session{})
	return res.RowsAffected, translate(res.Error)
}

// AuditEntry is one line of the audit log. It never holds a signer's
// personal data: who acted, what, on what, and how many rows.
type AuditEntry struct {
	ID       int64
	At       time.Time
	ActorID  *int64
	Actor    string // the organizer's email, or "cli", or "unknown account"
	Action   string
	Target   string
	Detail   string
	RowCount int64
}

// TableName keeps gorm on the migration's table name.
func (AuditEntry) TableName() string { return "audit_log" }

// AddAudit appends an entry; the log has no update or delete method.
func (db *DB) AddAudit(ctx context.Context, e *AuditEntry) error {
	if e.At.IsZero() {
		e.At = db.now()
	}
	return translate(db.gorm.WithContext(ctx).Create(e).Error)
}

// FindAudit returns the newest entries first, up to limit, before beforeID
// (0 for the newest page).
func (db *DB) FindAudit(ctx context.Context, beforeID int64, limit int) ([]*AuditEntry, error) {
	q := db.gorm.WithContext(ctx).Order("id DESC").Limit(limit)
	if beforeID > 0 {
		q = q.Where("id < ?", beforeID)
	}
	var out []*AuditEntry
	return out, translate(q.Find(&out).Error)
}
