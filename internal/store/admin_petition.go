package store

import (
	"context"
	"errors"
)

// UpdatePetitionContent saves p's text and settings (slug, title, summary,
// body, demands, goal, countries, dates) and leaves its status, featured
// flag and config hash as they are in the database, so an edit cannot undo
// a close or a feature made meanwhile. A slug taken by another petition is
// ErrConflict; no petition with p.ID is ErrNotFound.
func (db *DB) UpdatePetitionContent(ctx context.Context, p *Petition) error {
	if p.ID == 0 {
		return errors.New("store: UpdatePetitionContent needs an ID")
	}
	p.UpdatedAt = db.now()
	// A map, not the struct: gorm would replace updated_at with its own
	// clock, and leave out nil dates instead of clearing them.
	res := db.gorm.WithContext(ctx).Model(&Petition{}).Where("id = ?", p.ID).Updates(map[string]any{
		"slug": p.Slug, "title": p.Title, "summary": p.Summary, "body": p.Body, "demands": p.Demands,
		"goal": p.Goal, "countries": p.Countries, "opens_at": p.OpensAt, "closes_at": p.ClosesAt,
		"updated_at": p.UpdatedAt,
	})
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return db.BumpCatalogVersion(ctx)
}

// SetPetitionStatus sets the status (PetitionOpen or PetitionClosed) of the
// petition with id; no such petition is ErrNotFound.
func (db *DB) SetPetitionStatus(ctx context.Context, id int64, status string) error {
	if status != PetitionOpen && status != PetitionClosed {
		return errors.New("store: unknown petition status " + status)
	}
	res := db.gorm.WithContext(ctx).Model(&Petition{}).Where("id = ?", id).
		Updates(map[string]any{"status": status, "updated_at": db.now()})
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return db.BumpCatalogVersion(ctx)
}
