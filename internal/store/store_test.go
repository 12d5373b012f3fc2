package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
)

func TestMigrateIsIdempotentAndRecorded(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := store.Open(ctx, "sqlite://"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v, err := db.SchemaVersion(ctx)
	if err != nil || v != 0 {
		t.Fatalf("new database: version %d, err %v; want 0, nil", v, err)
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if len(applied) != store.LatestVersion() {
		t.Errorf("first migrate applied %d migrations, want %d", len(applied), store.LatestVersion())
	}
	again, err := db.Migrate(ctx)
	if err != nil || len(again) != 0 {
		t.Errorf("second migrate applied %v (err %v), want nothing", again, err)
	}
	if v, _ := db.SchemaVersion(ctx); v != store.LatestVersion() {
		t.Errorf("schema version %d, want %d", v, store.LatestVersion())
	}
}

func TestOpenRejectsUnknownURL(t *testing.T) {
	for _, url := range []string{"mysql://x", "sqlite://", "./data/campaign.db"} {
		if _, err := store.Open(context.Background(), url); err == nil {
			t.Errorf("Open(%q) succeeded, want an error", url)
		}
	}
}

func TestPetitionRoundTrip(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	closes := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	p := testutil.MustCreatePetition(t, db, store.Petition{Slug: "free-them", Demands: store.StringList{"a", "b"}, ClosesAt: &closes})
	got, err := db.FindPetitionBySlug(ctx, "free-them")
	if err != nil {
		t.Fatalf("find: %v", err)
	}
	if got.ID != p.ID || len(got.Demands) != 2 || got.Demands[1] != "b" || got.ClosesAt == nil || !got.ClosesAt.Equal(closes) {
		t.Errorf("read back %+v, want what was written %+v", got, p)
	}
	if _, err := db.FindPetitionBySlug(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown slug: err %v, want ErrNotFound", err)
	}
	dup := store.Petition{Slug: "free-them", Title: "x", Status: "open"}
	if err := db.CreatePetition(ctx, &dup); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate slug: err %v, want ErrConflict", err)
	}
}

func TestSetFeaturedPetitionKeepsOne(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	a := testutil.MustCreatePetition(t, db, store.Petition{Slug: "a-one", Featured: true})
	b := testutil.MustCreatePetition(t, db, store.Petition{Slug: "b-two"})
	if err := db.SetFeaturedPetition(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	ps, _ := db.FindPetitions(ctx)
	for _, p := range ps {
		if p.Featured != (p.ID == b.ID) {
			t.Errorf("petition %s featured=%v after featuring %s", p.Slug, p.Featured, b.Slug)
		}
	}
	_ = a
}

func sig(pid int64, email string, status string) *store.Signature {
	return &store.Signature{
		PetitionID: pid, EmailHash: []byte("h:" + email), ReceiptHash: []byte("r:" + email + status),
		Status: status, Country: "KH", Lang: "en", Source: "web", SignedAt: time.Now(),
	}
}

func TestInsertSignaturesSkipsDuplicatesInAndAcrossBatches(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	p := testutil.MustCreatePetition(t, db, store.Petition{})
	first, err := db.InsertSignatures(ctx, []*store.Signature{sig(p.ID, "a", "confirmed"), sig(p.ID, "b", "confirmed")})
	if err != nil || !first[0] || !first[1] {
		t.Fatalf("first batch: inserted %v err %v, want both inserted", first, err)
	}
	batch := []*store.Signature{sig(p.ID, "a", "pending"), sig(p.ID, "c", "confirmed"), sig(p.ID, "c", "pending")}
	got, err := db.InsertSignatures(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{false, true, false}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("second batch inserted %v, want %v (a already signed, c twice in one batch)", got, want)
	}
	if batch[1].ID == 0 {
		t.Errorf("new signature has no ID")
	}
	rows, err := db.CountSignatures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].N != 3 || rows[0].Country != "KH" || rows[0].Status != "confirmed" {
		t.Errorf("counts %+v, want one row KH confirmed 3", rows)
	}
}

func TestInsertSignaturesFailedBatchWritesNothing(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	p := testutil.MustCreatePetition(t, db, store.Petition{})
	bad := sig(999, "x", "confirmed") // no such petition: foreign key fails
	_, err := db.InsertSignatures(ctx, []*store.Signature{sig(p.ID, "ok", "confirmed"), bad})
	if err == nil {
		t.Fatal("batch with a broken row succeeded, want an error")
	}
	rows, _ := db.CountSignatures(ctx)
	if len(rows) != 0 {
		t.Errorf("after a failed batch the table holds %+v, want nothing", rows)
	}
}

func TestFindSignatureByID(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	p := testutil.MustCreatePetition(t, db, store.Petition{})
	s := sig(p.ID, "a", "confirmed")
	s.NameEnc = []byte{1, 2, 3}
	if _, err := db.InsertSignatures(ctx, []*store.Signature{s}); err != nil {
		t.Fatal(err)
	}
	got, err := db.FindSignatureByID(ctx, s.ID)
	if err != nil || got.ID != s.ID || !bytes.Equal(got.NameEnc, s.NameEnc) {
		t.Errorf("find by receipt: %+v, %v", got, err)
	}
	if _, err := db.FindSignatureByID(ctx, s.ID+1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown receipt: %v, want ErrNotFound", err)
	}
}
