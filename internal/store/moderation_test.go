package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
)

// sigSpec describes one signature row for moderation tests.
type sigSpec struct {
	status    string
	country   string
	signedAt  time.Time
	domain    string // stands for the domain hash
	tag       string // stands for the client tag
	confirmed bool   // has confirmed_at
}

var day = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// mustSignatures inserts rows for spec in order and returns their ids.
func mustSignatures(t *testing.T, db *store.DB, petitionID int64, specs ...sigSpec) []int64 {
	t.Helper()
	var batch []*store.Signature
	for i, sp := range specs {
		s := &store.Signature{PetitionID: petitionID, Status: sp.status, Country: sp.country,
			EmailHash: fmt.Appendf(nil, "email-%d-%d", petitionID, i), ReceiptHash: fmt.Appendf(nil, "receipt-%d-%d", petitionID, i),
			SignedAt: sp.signedAt, Lang: "en", Source: "web"}
		if sp.domain != "" {
			s.EmailDomainHash = []byte("domain:" + sp.domain)
		}
		if sp.tag != "" {
			s.ClientTag = []byte(sp.tag)
		}
		if sp.confirmed {
			at := sp.signedAt.Add(time.Hour)
			s.ConfirmedAt = &at
		}
		batch = append(batch, s)
	}
	if _, err := db.InsertSignatures(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(batch))
	for i, s := range batch {
		ids[i] = s.ID
	}
	return ids
}

// moderationFixture is one petition with six varied signatures and another
// petition with one signature that no filter of the first must reach.
func moderationFixture(t *testing.T) (*store.DB, *store.Petition, []int64, int64) {
	t.Helper()
	db := testutil.NewDB(t)
	p := testutil.MustCreatePetition(t, db, store.Petition{Slug: "mod-one"})
	other := testutil.MustCreatePetition(t, db, store.Petition{Slug: "mod-two"})
	ids := mustSignatures(t, db, p.ID,
		sigSpec{store.StatusConfirmed, "KH", day.Add(1 * time.Hour), "spam.example", "tagA", true},  // 0
		sigSpec{store.StatusConfirmed, "KH", day.Add(25 * time.Hour), "spam.example", "tagB", true}, // 1
		sigSpec{store.StatusPending, "FR", day.Add(26 * time.Hour), "spam.example", "tagA", false},  // 2
		sigSpec{store.StatusConfirmed, "FR", day.Add(49 * time.Hour), "mail.example", "tagB", true}, // 3
		sigSpec{store.StatusWithdrawn, "KH", day.Add(50 * time.Hour), "spam.example", "tagA", true}, // 4
		sigSpec{store.StatusConfirmed, "US", day.Add(24*time.Hour - time.Second), "", "", true},     // 5: last second of day 1
	)
	otherIDs := mustSignatures(t, db, other.ID,
		sigSpec{store.StatusConfirmed, "KH", day.Add(time.Hour), "spam.example", "tagA", true})
	return db, p, ids, otherIDs[0]
}

func TestFindSignaturesFilters(t *testing.T) {
	db, p, ids, _ := moderationFixture(t)
	tests := []struct {
		name   string
		filter store.SignatureFilter
		want   []int // indexes into ids, newest (highest id) first
	}{
		{"whole petition", store.SignatureFilter{}, []int{5, 4, 3, 2, 1, 0}},
		{"status", store.SignatureFilter{Status: store.StatusConfirmed}, []int{5, 3, 1, 0}},
		{"country", store.SignatureFilter{Country: "FR"}, []int{3, 2}},
		{"from a day", store.SignatureFilter{SignedFrom: day.AddDate(0, 0, 1)}, []int{4, 3, 2, 1}},
		{"one day", store.SignatureFilter{SignedFrom: day, SignedBefore: day.AddDate(0, 0, 1)}, []int{5, 0}},
		{"domain", store.SignatureFilter{EmailDomainHash: []byte("domain:mail.example")}, []int{3}},
		{"client tag", store.SignatureFilter{ClientTag: []byte("tagA")}, []int{4, 2, 0}},
		{"combined", store.SignatureFilter{ClientTag: []byte("tagA"), Country: "KH", Status: store.StatusConfirmed}, []int{0}},
		{"nothing", store.SignatureFilter{Country: "DE"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.filter.PetitionID = p.ID
			got, err := db.FindSignatures(context.Background(), tt.filter, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			var gotIDs, wantIDs []int64
			for _, s := range got {
				gotIDs = append(gotIDs, s.ID)
			}
			for _, i := range tt.want {
				wantIDs = append(wantIDs, ids[i])
			}
			if !slices.Equal(gotIDs, wantIDs) {
				t.Errorf("found ids %v, want %v", gotIDs, wantIDs)
			}
			n, err := db.CountMatchingSignatures(context.Background(), tt.filter)
			if err != nil || n != int64(len(wantIDs)) {
				t.Errorf("count %d (err %v), want %d", n, err, len(wantIDs))
			}
		})
	}
}

func TestFindSignaturesPagesByID(t *testing.T) {
	db, p, ids, _ := moderationFixture(t)
	f := store.SignatureFilter{PetitionID: p.ID}
	var seen []int64
	before := int64(0)
	for page := 0; page < 10; page++ {
		got, err := db.FindSignatures(context.Background(), f, before, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			break
		}
		for _, s := range got {
			seen = append(seen, s.ID)
		}
		before = got[len(got)-1].ID
	}
	want := slices.Clone(ids)
	slices.Reverse(want)
	if !slices.Equal(seen, want) {
		t.Errorf("paging by 4 saw %v, want every row once, newest first: %v", seen, want)
	}
}

func TestInvalidateAndRestoreSignatures(t *testing.T) {
	db, p, ids, otherID := moderationFixture(t)
	ctx := context.Background()
	statusOf := func(id int64) string {
		t.Helper()
		s, err := db.FindSignatureByID(ctx, id)
		if err != nil {
			t.Fatalf("signature %d is gone after moderation: %v", id, err)
		}
		return s.Status
	}
	spam := store.SignatureFilter{PetitionID: p.ID, EmailDomainHash: []byte("domain:spam.example")}
	r, err := db.InvalidateSignatures(ctx, spam)
	n := r.Rows
	if err != nil {
		t.Fatal(err)
	}
	// Rows 0, 1 (confirmed) and 2 (pending); row 4 is withdrawn and stays so.
	if n != 3 {
		t.Errorf("invalidated %d rows, want 3", n)
	}
	want := []string{store.StatusInvalidated, store.StatusInvalidated, store.StatusInvalidated,
		store.StatusConfirmed, store.StatusWithdrawn, store.StatusConfirmed}
	for i, id := range ids {
		if got := statusOf(id); got != want[i] {
			t.Errorf("after invalidate, row %d is %s, want %s", i, got, want[i])
		}
	}
	if got := statusOf(otherID); got != store.StatusConfirmed {
		t.Errorf("the other petition's signature is %s, want it untouched (confirmed)", got)
	}
	if r, _ := db.InvalidateSignatures(ctx, spam); r.Rows != 0 {
		t.Errorf("invalidating again changed %d rows, want 0", n)
	}

	// Restore only part of them: the tagA ones (row 0 confirmed, row 2 pending).
	r, err = db.RestoreSignatures(ctx, store.SignatureFilter{PetitionID: p.ID, ClientTag: []byte("tagA")})
	n = r.Rows
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("restored %d rows, want 2", n)
	}
	want = []string{store.StatusConfirmed, store.StatusInvalidated, store.StatusPending,
		store.StatusConfirmed, store.StatusWithdrawn, store.StatusConfirmed}
	for i, id := range ids {
		if got := statusOf(id); got != want[i] {
			t.Errorf("after restore, row %d is %s, want %s", i, got, want[i])
		}
	}
	total, err := db.CountMatchingSignatures(ctx, store.SignatureFilter{PetitionID: p.ID})
	if err != nil || total != int64(len(ids)) {
		t.Errorf("petition has %d rows after moderation (err %v), want all %d: nothing is deleted", total, err, len(ids))
	}
}
