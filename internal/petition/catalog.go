// Package petition keeps the campaign's petitions: it loads them from the
// config/ content into the database and holds the current set in memory,
// with their Markdown rendered once, for the public pages.
package petition

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"sync"

	"github.com/cambodia-sanctions/campaign/internal/content"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

// Petition is a stored petition with its text rendered to HTML.
type Petition struct {
	*store.Petition
	BodyHTML template.HTML
}

// Store is what the catalog needs from the database.
type Store interface {
	FindPetitions(ctx context.Context) ([]*store.Petition, error)
	FindPetitionBySlug(ctx context.Context, slug string) (*store.Petition, error)
	CreatePetition(ctx context.Context, p *store.Petition) error
	UpdatePetition(ctx context.Context, p *store.Petition) error
}

// Catalog is the in-memory set of petitions. Readers get immutable
// snapshots; Reload swaps in a fresh one after any change.
type Catalog struct {
	store Store
	mu    sync.RWMutex
	list  []*Petition
	slugs map[string]*Petition
	gen   uint64
}

// NewCatalog returns an empty catalog over st; call Reload to fill it.
func NewCatalog(st Store) *Catalog {
	return &Catalog{store: st, slugs: map[string]*Petition{}}
}

// Reload reads every petition from the database and renders its text.
func (c *Catalog) Reload(ctx context.Context) error {
	rows, err := c.store.FindPetitions(ctx)
	if err != nil {
		return fmt.Errorf("load petitions: %w", err)
	}
	list := make([]*Petition, 0, len(rows))
	slugs := make(map[string]*Petition, len(rows))
	for _, r := range rows {
		html, err := content.RenderMarkdown(r.Body)
		if err != nil {
			return fmt.Errorf("render petition %q: %w", r.Slug, err)
		}
		p := &Petition{Petition: r, BodyHTML: html}
		list = append(list, p)
		slugs[r.Slug] = p
	}
	c.mu.Lock()
	c.list, c.slugs = list, slugs
	c.gen++
	c.mu.Unlock()
	return nil
}

// Generation changes on every reload; cached pages compare it to know when
// they are stale.
func (c *Catalog) Generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// All returns every petition, featured first.
func (c *Catalog) All() []*Petition {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.list
}

// BySlug returns the petition with that slug, or false.
func (c *Catalog) BySlug(slug string) (*Petition, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	p, ok := c.slugs[slug]
	return p, ok
}

// ByID returns the petition with that id, or false.
func (c *Catalog) ByID(id int64) (*Petition, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, p := range c.list {
		if p.ID == id {
			return p, true
		}
	}
	return nil, false
}

// Featured returns the petition shown on the home page: the featured one,
// else the first open one, else nil.
func (c *Catalog) Featured() *Petition {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, p := range c.list {
		if p.Featured {
			return p
		}
	}
	for _, p := range c.list {
		if p.Status == store.PetitionOpen {
			return p
		}
	}
	return nil
}

// Sync writes the petitions from config/ into the database. It is
// idempotent: a petition is created when its slug is new and updated only
// when its config entry changed since it was last loaded, so edits made
// later from the console survive a restart with unchanged config.
func Sync(ctx context.Context, st Store, ps []content.Petition) (created, updated int, err error) {
	for _, cp := range ps {
		row := fromContent(cp)
		existing, err := st.FindPetitionBySlug(ctx, cp.Slug)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if err := st.CreatePetition(ctx, row); err != nil {
				return created, updated, fmt.Errorf("create petition %q: %w", cp.Slug, err)
			}
			created++
		case err != nil:
			return created, updated, fmt.Errorf("find petition %q: %w", cp.Slug, err)
		case existing.ConfigHash != row.ConfigHash:
			row.ID, row.CreatedAt = existing.ID, existing.CreatedAt
			if err := st.UpdatePetition(ctx, row); err != nil {
				return created, updated, fmt.Errorf("update petition %q: %w", cp.Slug, err)
			}
			updated++
		}
	}
	return created, updated, nil
}

func fromContent(cp content.Petition) *store.Petition {
	b, _ := json.Marshal(cp) // plain data: cannot fail
	sum := sha256.Sum256(b)
	return &store.Petition{
		Slug:       cp.Slug,
		Title:      cp.Title,
		Summary:    cp.Summary,
		Body:       cp.Body,
		Demands:    store.StringList(cp.Demands),
		Goal:       cp.Goal,
		Status:     cp.Status,
		Countries:  store.StringList(cp.Countries),
		Featured:   cp.Featured,
		OpensAt:    cp.OpensAt,
		ClosesAt:   cp.ClosesAt,
		ConfigHash: hex.EncodeToString(sum[:]),
	}
}
