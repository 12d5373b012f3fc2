// Package testutil holds fixtures shared by tests: a fresh database with the
// real migrations, petitions, and a clock that tests move by hand.
package testutil

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
)

// NewDB returns a fresh database, migrated to the latest version and closed
// when the test ends: SQLite in the test's temporary directory, or a schema
// of its own in PostgreSQL during the second run of RunOnBothDatabases.
func NewDB(t testing.TB) *store.DB {
	t.Helper()
	if OnPostgres() {
		db := newPostgresSchemaDB(t)
		if _, err := db.Migrate(context.Background()); err != nil {
			t.Fatalf("migrate test database: %v", err)
		}
		return db
	}
	db, _ := NewDBFile(t)
	return db
}

// NewDBFile is NewDB on SQLite that also returns the database file's path,
// for tests that inspect the raw file.
func NewDBFile(t testing.TB) (*store.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "campaign.db")
	db, err := store.Open(context.Background(), "sqlite://"+path)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return db, path
}

// MustCreatePetition inserts a petition with sensible defaults; fields set
// in p override them.
func MustCreatePetition(t testing.TB, db *store.DB, p store.Petition) *store.Petition {
	t.Helper()
	if p.Slug == "" {
		p.Slug = "test-petition"
	}
	if p.Title == "" {
		p.Title = "Test petition"
	}
	if p.Summary == "" {
		p.Summary = "A petition used in tests."
	}
	if p.Body == "" {
		p.Body = "Body of the **test** petition."
	}
	if p.Demands == nil {
		p.Demands = store.StringList{"Do the right thing"}
	}
	if p.Goal == 0 {
		p.Goal = 1000
	}
	if p.Status == "" {
		p.Status = store.PetitionOpen
	}
	if p.Countries == nil {
		p.Countries = store.StringList{"US", "GB"}
	}
	if err := db.CreatePetition(context.Background(), &p); err != nil {
		t.Fatalf("create petition %q: %v", p.Slug, err)
	}
	return &p
}

// Clock is a fake clock that only moves when told to.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock set to a fixed, realistic time.
func NewClock() *Clock {
	return &Clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
