package store_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
)

// exportIDs pages through ExportSignatures with pages of limit rows and
// returns every id, failing on a page out of order or over the limit.
func exportIDs(t *testing.T, db *store.DB, f store.SignatureFilter, limit int) []int64 {
	t.Helper()
	var ids []int64
	var after int64
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("ExportSignatures does not come to an end")
		}
		sigs, err := db.ExportSignatures(context.Background(), f, after, make([]store.Signature, 0, limit))
		if err != nil {
			t.Fatal(err)
		}
		if len(sigs) > limit {
			t.Fatalf("page of %d rows, limit %d", len(sigs), limit)
		}
		for _, s := range sigs {
			if s.ID <= after {
				t.Fatalf("id %d after %d: pages must go up by id", s.ID, after)
			}
			after = s.ID
			ids = append(ids, s.ID)
		}
		if len(sigs) < limit {
			return ids
		}
	}
}

func TestExportSignaturesFilters(t *testing.T) {
	db, p, ids, _ := moderationFixture(t)
	tests := []struct {
		name string
		f    store.SignatureFilter
		want []int64
	}{
		{"whole petition", store.SignatureFilter{}, ids},
		{"status", store.SignatureFilter{Status: store.StatusConfirmed}, []int64{ids[0], ids[1], ids[3], ids[5]}},
		{"country", store.SignatureFilter{Country: "KH"}, []int64{ids[0], ids[1], ids[4]}},
		{"status and country", store.SignatureFilter{Status: store.StatusConfirmed, Country: "FR"}, []int64{ids[3]}},
		{"from, inclusive", store.SignatureFilter{SignedFrom: day.Add(25 * time.Hour)}, []int64{ids[1], ids[2], ids[3], ids[4]}},
		{"before, exclusive", store.SignatureFilter{SignedBefore: day.Add(25 * time.Hour)}, []int64{ids[0], ids[5]}},
		{"domain and tag", store.SignatureFilter{EmailDomainHash: []byte("domain:spam.example"), ClientTag: []byte("tagA")},
			[]int64{ids[0], ids[2], ids[4]}},
		{"nothing", store.SignatureFilter{Country: "ZZ"}, nil},
	}
	for _, tt := range tests {
		for _, limit := range []int{1, 2, 4, 1000} {
			tt.f.PetitionID = p.ID
			if got := exportIDs(t, db, tt.f, limit); !slices.Equal(got, tt.want) {
				t.Errorf("%s, pages of %d: ids %v, want %v", tt.name, limit, got, tt.want)
			}
		}
	}
}

func TestExportSignaturesReadsEveryExportedField(t *testing.T) {
	db := testutil.NewDB(t)
	p := testutil.MustCreatePetition(t, db, store.Petition{})
	signed := time.Date(2026, 4, 2, 10, 30, 15, 0, time.UTC)
	confirmed := signed.Add(90 * time.Minute)
	in := []*store.Signature{
		{PetitionID: p.ID, EmailHash: []byte("hash-a"), ReceiptHash: []byte("r-a"), Status: store.StatusConfirmed,
			Country: "KH", NameEnc: []byte("name-a"), EmailEnc: []byte("email-a"), CityEnc: []byte("city-a"),
			CommentEnc: []byte("comment-a"), Public: true, IncludeInLetters: false, Updates: true,
			Lang: "en", Source: "web", SignedAt: signed, ConfirmedAt: &confirmed},
		{PetitionID: p.ID, EmailHash: []byte("hash-b"), ReceiptHash: []byte("r-b"), Status: store.StatusPending,
			Country: "TH", NameEnc: []byte("name-b"), IncludeInLetters: true, Lang: "th", Source: "paper", SignedAt: signed},
	}
	if _, err := db.InsertSignatures(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	got, err := db.ExportSignatures(context.Background(), store.SignatureFilter{PetitionID: p.ID}, 0, make([]store.Signature, 0, 10))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d rows, want 2", len(got))
	}
	for i, w := range in {
		checkExported(t, &got[i], w, signed)
	}
	if got[0].ConfirmedAt == nil || !got[0].ConfirmedAt.Equal(confirmed) {
		t.Errorf("confirmed at %v, want %v", got[0].ConfirmedAt, confirmed)
	}
	if got[1].ConfirmedAt != nil {
		t.Errorf("unconfirmed row has confirmed at %v, want nil", got[1].ConfirmedAt)
	}
	// The page is reused: the second row lands in the slot of the first
	// and must not keep any of its fields.
	got, err = db.ExportSignatures(context.Background(), store.SignatureFilter{PetitionID: p.ID}, in[0].ID, got)
	if err != nil || len(got) != 1 {
		t.Fatalf("second page: %d rows, %v; want 1", len(got), err)
	}
	checkExported(t, &got[0], in[1], signed)
	if got[0].ConfirmedAt != nil {
		t.Errorf("reused slot has confirmed at %v, want nil", got[0].ConfirmedAt)
	}
}

// checkExported compares an exported row with the row inserted.
func checkExported(t *testing.T, g, w *store.Signature, signed time.Time) {
	t.Helper()
	if g.ID != w.ID || g.PetitionID != w.PetitionID || g.Status != w.Status || g.Country != w.Country ||
		g.Public != w.Public || g.IncludeInLetters != w.IncludeInLetters || g.Updates != w.Updates {
		t.Errorf("row %d: %+v, want %+v", w.ID, g, w)
	}
	for _, f := range []struct {
		name      string
		got, want []byte
	}{{"email hash", g.EmailHash, w.EmailHash}, {"name", g.NameEnc, w.NameEnc}, {"email", g.EmailEnc, w.EmailEnc},
		{"city", g.CityEnc, w.CityEnc}, {"comment", g.CommentEnc, w.CommentEnc}} {
		if !bytes.Equal(f.got, f.want) {
			t.Errorf("row %d %s: %q, want %q", w.ID, f.name, f.got, f.want)
		}
	}
	if !g.SignedAt.Equal(signed) {
		t.Errorf("row %d signed at %v, want %v", w.ID, g.SignedAt, signed)
	}
}

func TestExportSignaturesChecksContext(t *testing.T) {
	db, p, _, _ := moderationFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := db.ExportSignatures(ctx, store.SignatureFilter{PetitionID: p.ID}, 0, make([]store.Signature, 0, 10))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err %v, want context.Canceled", err)
	}
}

func TestCountMatchingByCountry(t *testing.T) {
	db, p, _, _ := moderationFixture(t)
	got, err := db.CountMatchingByCountry(context.Background(), store.SignatureFilter{PetitionID: p.ID})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.CountRow{
		{p.ID, "FR", store.StatusConfirmed, 1}, {p.ID, "FR", store.StatusPending, 1},
		{p.ID, "KH", store.StatusConfirmed, 2}, {p.ID, "KH", store.StatusWithdrawn, 1},
		{p.ID, "US", store.StatusConfirmed, 1},
	}
	if !slices.Equal(got, want) {
		t.Errorf("counts %v, want %v (by country, then status; the other petition left out)", got, want)
	}
	got, err = db.CountMatchingByCountry(context.Background(),
		store.SignatureFilter{PetitionID: p.ID, Status: store.StatusConfirmed, SignedFrom: day.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	want = []store.CountRow{{p.ID, "FR", store.StatusConfirmed, 1}, {p.ID, "KH", store.StatusConfirmed, 1}}
	if !slices.Equal(got, want) {
		t.Errorf("filtered counts %v, want %v", got, want)
	}
}
