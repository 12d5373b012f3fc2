package store_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
)

func TestPetitionClosedSince(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	at := func(days int) *time.Time { d := now.AddDate(0, 0, days); return &d }
	tests := []struct {
		name     string
		p        store.Petition
		want     time.Time
		wantOpen bool
	}{
		{"open, no end date", store.Petition{Status: store.PetitionOpen, UpdatedAt: *at(-300)}, time.Time{}, true},
		{"open, ends later", store.Petition{Status: store.PetitionOpen, ClosesAt: at(3), UpdatedAt: *at(-300)}, time.Time{}, true},
		{"ended by its date", store.Petition{Status: store.PetitionOpen, ClosesAt: at(-20), UpdatedAt: *at(-300)}, *at(-20), false},
		{"ends exactly now", store.Petition{Status: store.PetitionOpen, ClosesAt: at(0), UpdatedAt: *at(-300)}, now, false},
		{"closed by hand", store.Petition{Status: store.PetitionClosed, UpdatedAt: *at(-40)}, *at(-40), false},
		{"closed by hand before its date", store.Petition{Status: store.PetitionClosed, ClosesAt: at(30), UpdatedAt: *at(-40)}, *at(-40), false},
		{"closed by hand after its date", store.Petition{Status: store.PetitionClosed, ClosesAt: at(-90), UpdatedAt: *at(-40)}, *at(-90), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, closed := tt.p.ClosedSince(now)
			if closed == tt.wantOpen || !got.Equal(tt.want) {
				t.Errorf("ClosedSince = %v, %v; want %v, %v", got, closed, tt.want, !tt.wantOpen)
			}
		})
	}
}

// personal returns a signature carrying every kind of personal data.
func personal(pid int64, email, status string) *store.Signature {
	s := sig(pid, email, status)
	s.NameEnc, s.EmailEnc, s.CityEnc, s.CommentEnc = []byte("n:"+email), []byte("e:"+email), []byte("c:"+email), []byte("m:"+email)
	s.ClientTag, s.EmailDomainHash = []byte("tag"), []byte("domain")
	if status == store.StatusConfirmed {
		at := s.SignedAt
		s.ConfirmedAt = &at
	}
	if status == store.StatusPending {
		exp := s.SignedAt.Add(time.Hour)
		s.ConfirmHash, s.ConfirmExpiresAt = []byte("token:"+email), &exp
		s.FirstMail = &store.QueuedMail{Kind: store.MailConfirm, PayloadEnc: []byte("sealed:" + email)}
	}
	return s
}

func TestErasePetitionPersonalData(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	closed := testutil.MustCreatePetition(t, db, store.Petition{Slug: "closed", Status: store.PetitionClosed})
	open := testutil.MustCreatePetition(t, db, store.Petition{Slug: "open"})

	// More rows than one erasing batch, in every status, interleaved with
	// the open petition's rows so that id ranges overlap.
	var batch []*store.Signature
	statuses := []string{store.StatusConfirmed, store.StatusPending, store.StatusWithdrawn, store.StatusInvalidated}
	for i := range 2600 {
		batch = append(batch, personal(closed.ID, fmt.Sprintf("c%d", i), statuses[i%len(statuses)]))
		if i%100 == 0 {
			batch = append(batch, personal(open.ID, fmt.Sprintf("o%d", i), statuses[i/100%len(statuses)]))
		}
	}
	if _, err := db.InsertSignatures(ctx, batch); err != nil {
		t.Fatal(err)
	}
	digest := &store.LetterDigest{PetitionID: closed.ID, Jurisdiction: "US", SignerCount: 1, TotalCount: 2,
		Root: []byte("root"), Members: []byte{1}, GeneratedAt: time.Now(), GeneratedBy: "test"}
	if err := db.CreateLetterDigests(ctx, []*store.LetterDigest{digest}, nil); err != nil {
		t.Fatal(err)
	}
	countsBefore, err := db.CountSignatures(ctx)
	if err != nil {
		t.Fatal(err)
	}

	n, err := db.ErasePetitionPersonalData(ctx, closed.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2600 {
		t.Errorf("erased %d signatures, want all 2600 of the closed petition", n)
	}
	for _, s := range batch {
		got, err := db.FindSignatureByID(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		kept := got.Status == s.Status && got.Country == s.Country && bytes.Equal(got.EmailHash, s.EmailHash) &&
			bytes.Equal(got.ReceiptHash, s.ReceiptHash) && (got.ConfirmedAt == nil) == (s.ConfirmedAt == nil)
		if !kept {
			t.Fatalf("signature %d lost what must stay: got %+v", s.ID, got)
		}
		left := [][]byte{got.NameEnc, got.EmailEnc, got.CityEnc, got.CommentEnc, got.ClientTag, got.EmailDomainHash, got.ConfirmHash}
		erased := !slices.ContainsFunc(left, func(b []byte) bool { return b != nil }) && got.ConfirmExpiresAt == nil
		if want := s.PetitionID == closed.ID; erased != want {
			t.Fatalf("signature %d of petition %d (%s): erased=%v, want %v; row %+v", s.ID, s.PetitionID, s.Status, erased, want, got)
		}
	}
	countsAfter, err := db.CountSignatures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(countsAfter) != fmt.Sprint(countsBefore) {
		t.Errorf("counts changed: before %v, after %v", countsBefore, countsAfter)
	}
	if got, err := db.FindLetterDigestsByRoot(ctx, closed.ID, []byte("root")); err != nil || len(got) != 1 {
		t.Errorf("letter digest after erasure: %d, %v; want it kept", len(got), err)
	}

	// The closed petition's queued confirmation mails are dropped with
	// their sealed addresses; the open one's still wait to be sent.
	queued, err := db.ClaimDueOutbox(ctx, time.Now().Add(time.Hour), 10000)
	if err != nil {
		t.Fatal(err)
	}
	openPending := 0
	for _, s := range batch {
		if s.PetitionID == open.ID && s.Status == store.StatusPending {
			openPending++
		}
	}
	if len(queued) != openPending {
		t.Errorf("%d mails still queued, want the open petition's %d", len(queued), openPending)
	}
	for _, m := range queued {
		if s, _ := db.FindSignatureByID(ctx, m.SignatureID); s.PetitionID != open.ID || m.PayloadEnc == nil {
			t.Errorf("queued mail %d is for petition %d with payload %v, want only the open petition's, intact",
				m.ID, s.PetitionID, m.PayloadEnc)
		}
	}

	if again, err := db.ErasePetitionPersonalData(ctx, closed.ID); err != nil || again != 0 {
		t.Errorf("second erasure changed %d rows (err %v), want 0", again, err)
	}
}
