package store

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Petition statuses.
const (
	PetitionOpen   = "open"
	PetitionClosed = "closed"
)

// StringList is a list of strings stored as a JSON array in one column.
type StringList []string

// Value implements driver.Valuer.
func (l StringList) Value() (driver.Value, error) {
	if l == nil {
		return "[]", nil
	}
	b, err := json.Marshal([]string(l))
	return string(b), err
}

// Scan implements sql.Scanner.
func (l *StringList) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	case nil:
		*l = nil
		return nil
	default:
		return fmt.Errorf("StringList: cannot scan %T", src)
	}
	return json.Unmarshal(b, (*[]string)(l))
}

// Petition is a petition row.
type Petition struct {
	ID         int64
	Slug       string
	Title      string
	Summary    string
	Body       string // Markdown
	Demands    StringList
	Goal       int
	Status     string
	Countries  StringList
	Featured   bool
	OpensAt    *time.Time
	ClosesAt   *time.Time
	ConfigHash string // hash of the config/ entry it was last loaded from
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// IsOpenAt reports whether the petition accepts signatures at time t.
func (p *Petition) IsOpenAt(t time.Time) bool {
	if p.Status != PetitionOpen {
		return false
	}
	if p.OpensAt != nil && t.Before(*p.OpensAt) {
		return false
	}
	if p.ClosesAt != nil && !t.Before(*p.ClosesAt) {
		return false
	}
	return true
}

// FindPetitions returns every petition, featured first, then by id.
func (db *DB) FindPetitions(ctx context.Context) ([]*Petition, error) {
	var ps []*Petition
	err := db.gorm.WithContext(ctx).Order("featured DESC, id").Find(&ps).Error
	return ps, translate(err)
}

// FindPetitionBySlug returns the petition with that slug or ErrNotFound.
func (db *DB) FindPetitionBySlug(ctx context.Context, slug string) (*Petition, error) {
	var p Petition
	err := db.gorm.WithContext(ctx).Where("slug = ?", slug).Take(&p).Error
	if err != nil {
		return nil, translate(err)
	}
	return &p, nil
}

// CreatePetition inserts p and sets its ID; a taken slug is ErrConflict.
func (db *DB) CreatePetition(ctx context.Context, p *Petition) error {
	now := db.now()
	p.CreatedAt, p.UpdatedAt = now, now
	return db.petitionsChanged(ctx, translate(db.gorm.WithContext(ctx).Create(p).Error))
}

// UpdatePetition saves every field of p.
func (db *DB) UpdatePetition(ctx context.Context, p *Petition) error {
	if p.ID == 0 {
		return errors.New("store: UpdatePetition needs an ID")
	}
	p.UpdatedAt = db.now()
	return db.petitionsChanged(ctx, translate(db.gorm.WithContext(ctx).Save(p).Error))
}

// SetFeaturedPetition makes the petition with id the only featured one.
func (db *DB) SetFeaturedPetition(ctx context.Context, id int64) error {
	return db.petitionsChanged(ctx, db.Tx(ctx, func(tx *DB) error {
		if db.dialect == "postgres" {
			// Two consoles featuring at once would each clear only what
			// they saw, and leave two featured.
			if err := tx.gorm.WithContext(ctx).Exec(`LOCK TABLE petitions IN SHARE ROW EXCLUSIVE MODE`).Error; err != nil {
				return fmt.Errorf("lock petitions: %w", err)
			}
		}
		g := tx.gorm.WithContext(ctx).Model(&Petition{})
		if err := g.Where("featured = ? AND id <> ?", true, id).Update("featured", false).Error; err != nil {
			return translate(err)
		}
		return translate(tx.gorm.WithContext(ctx).Model(&Petition{}).Where("id = ?", id).Update("featured", true).Error)
	}))
}

// petitionsChanged passes err through; after a successful write it bumps
// the catalog version, so every instance reloads its petitions.
func (db *DB) petitionsChanged(ctx context.Context, err error) error {
	if err != nil {
		return err
	}
	return db.BumpCatalogVersion(ctx)
}
