package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
)

func TestUpdatePetitionContentWritesTheTextOnly(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	db.SetClock(func() time.Time { return now })
	opens := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := testutil.MustCreatePetition(t, db, store.Petition{Slug: "old-slug", Featured: true, OpensAt: &opens,
		Status: store.PetitionClosed, ConfigHash: "from-config"})

	closes := time.Date(2027, 3, 1, 2, 0, 0, 0, time.UTC)
	edit := &store.Petition{ID: p.ID, Slug: "new-slug", Title: "New title", Summary: "New summary", Body: "New **body**",
		Demands: store.StringList{"one", "two"}, Goal: 42, Countries: store.StringList{"FR", "EU"},
		OpensAt: nil, ClosesAt: &closes,
		// The editor never changes these: they must stay as stored.
		Status: store.PetitionOpen, Featured: false, ConfigHash: ""}
	if err := db.UpdatePetitionContent(ctx, edit); err != nil {
		t.Fatalf("update: %v", err)
	}
	got, err := db.FindPetitionBySlug(ctx, "new-slug")
	if err != nil {
		t.Fatalf("find by the new slug: %v", err)
	}
	if got.Title != "New title" || got.Summary != "New summary" || got.Body != "New **body**" || got.Goal != 42 ||
		!slices.Equal(got.Demands, store.StringList{"one", "two"}) || !slices.Equal(got.Countries, store.StringList{"FR", "EU"}) {
		t.Errorf("read back %+v, want the edited text", got)
	}
	if got.OpensAt != nil {
		t.Errorf("opens_at %v after clearing it, want none", got.OpensAt)
	}
	if got.ClosesAt == nil || !got.ClosesAt.Equal(closes) {
		t.Errorf("closes_at %v, want %v", got.ClosesAt, closes)
	}
	if got.Status != store.PetitionClosed || !got.Featured || got.ConfigHash != "from-config" {
		t.Errorf("status %q featured %v config hash %q; an edit must keep closed, true, from-config",
			got.Status, got.Featured, got.ConfigHash)
	}
	if !got.UpdatedAt.Equal(now) {
		t.Errorf("updated_at %v, want the store clock's %v", got.UpdatedAt, now)
	}
	if _, err := db.FindPetitionBySlug(ctx, "old-slug"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old slug still found (err %v), want ErrNotFound", err)
	}
}

func TestUpdatePetitionContentErrors(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	a := testutil.MustCreatePetition(t, db, store.Petition{Slug: "first-one"})
	testutil.MustCreatePetition(t, db, store.Petition{Slug: "second-one"})

	taken := *a
	taken.Slug = "second-one"
	if err := db.UpdatePetitionContent(ctx, &taken); !errors.Is(err, store.ErrConflict) {
		t.Errorf("slug of another petition: err %v, want ErrConflict", err)
	}
	missing := *a
	missing.ID = a.ID + 100
	if err := db.UpdatePetitionContent(ctx, &missing); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown id: err %v, want ErrNotFound", err)
	}
	if err := db.UpdatePetitionContent(ctx, &store.Petition{Slug: "x-y-z"}); err == nil {
		t.Error("update without an id succeeded, want an error")
	}
}

func TestSetPetitionStatus(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	p := testutil.MustCreatePetition(t, db, store.Petition{Slug: "to-close", Title: "Kept title"})
	for _, status := range []string{store.PetitionClosed, store.PetitionOpen} {
		if err := db.SetPetitionStatus(ctx, p.ID, status); err != nil {
			t.Fatalf("set %s: %v", status, err)
		}
		got, err := db.FindPetitionBySlug(ctx, "to-close")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != status || got.Title != "Kept title" {
			t.Errorf("after setting %s: status %q title %q", status, got.Status, got.Title)
		}
	}
	if err := db.SetPetitionStatus(ctx, p.ID+100, store.PetitionClosed); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown id: err %v, want ErrNotFound", err)
	}
	if err := db.SetPetitionStatus(ctx, p.ID, "paused"); err == nil {
		t.Error(`status "paused" accepted, want an error`)
	}
}
