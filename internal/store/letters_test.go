package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
)

func TestScanLetterSigners(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	p := testutil.MustCreatePetition(t, db, store.Petition{Slug: "letters-scan"})
	other := testutil.MustCreatePetition(t, db, store.Petition{Slug: "letters-other"})
	ids := mustSignatures(t, db, p.ID,
		sigSpec{status: store.StatusConfirmed, country: "GB", signedAt: day},
		sigSpec{status: store.StatusPending, country: "GB", signedAt: day},
		sigSpec{status: store.StatusConfirmed, country: "FR", signedAt: day},
		sigSpec{status: store.StatusWithdrawn, country: "FR", signedAt: day},
		sigSpec{status: store.StatusInvalidated, country: "GB", signedAt: day},
		sigSpec{status: store.StatusConfirmed, country: "DE", signedAt: day},
	)
	mustSignatures(t, db, other.ID, sigSpec{status: store.StatusConfirmed, country: "GB", signedAt: day})
	// Consent to be named and the sealed fields, on the first row only.
	batch := []*store.Signature{{PetitionID: p.ID, Status: store.StatusConfirmed, Country: "GB", EmailHash: []byte("named"),
		ReceiptHash: []byte("receipt-named"), NameEnc: []byte("sealed name"), CityEnc: []byte("sealed city"),
		EmailEnc: []byte("sealed email"), IncludeInLetters: true, SignedAt: day, Lang: "en", Source: "web"},
		{PetitionID: p.ID, Status: store.StatusConfirmed, Country: "GB", EmailHash: []byte("unnamed"),
			ReceiptHash: []byte("receipt-unnamed"), NameEnc: []byte("sealed name 2"), SignedAt: day, Lang: "en", Source: "web"}}
	if _, err := db.InsertSignatures(ctx, batch); err != nil {
		t.Fatal(err)
	}
	var got []int64
	var countries []string
	err := db.ScanLetterSigners(ctx, p.ID, func(s *store.LetterSigner) error {
		got = append(got, s.ID)
		countries = append(countries, string(s.Country))
		switch s.ID {
		case batch[0].ID:
			if !s.IncludeInLetters || string(s.NameEnc) != "sealed name" || string(s.CityEnc) != "sealed city" || string(s.EmailHash) != "named" {
				t.Errorf("a consenting signer's row: %+v", s)
			}
		default:
			if s.NameEnc != nil || s.CityEnc != nil || s.EmailHash != nil {
				t.Errorf("row %d without consent carries sealed fields", s.ID)
			}
		}
		if len(s.ReceiptHash) == 0 {
			t.Errorf("row %d has no receipt hash", s.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{ids[0], ids[2], ids[5], batch[0].ID, batch[1].ID}
	if !slices.Equal(got, want) || !slices.Equal(countries, []string{"GB", "FR", "DE", "GB", "GB"}) {
		t.Errorf("scanned %v %v, want the confirmed rows %v in id order", got, countries, want)
	}

	hashes, err := db.FindReceiptHashes(ctx, p.ID, []int64{ids[2], ids[0], 999999, batch[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	if string(hashes[0]) != "receipt-1-2" || string(hashes[1]) != "receipt-1-0" || hashes[2] != nil || string(hashes[3]) != "receipt-named" {
		t.Errorf("receipt hashes %q", hashes)
	}
	if h, _ := db.FindReceiptHashes(ctx, other.ID, []int64{ids[0]}); h[0] != nil {
		t.Error("a receipt hash of another petition's signature")
	}
}

func TestFindReceiptHashesInBatches(t *testing.T) {
	db := testutil.NewDB(t)
	p := testutil.MustCreatePetition(t, db, store.Petition{Slug: "letters-many"})
	specs := make([]sigSpec, 1203)
	for i := range specs {
		specs[i] = sigSpec{status: store.StatusConfirmed, country: "GB", signedAt: day}
	}
	ids := mustSignatures(t, db, p.ID, specs...)
	hashes, err := db.FindReceiptHashes(context.Background(), p.ID, ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range hashes {
		if h == nil {
			t.Fatalf("no hash for id %d (position %d of %d)", ids[i], i, len(ids))
		}
	}
}

func TestLetterDigests(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	p := testutil.MustCreatePetition(t, db, store.Petition{Slug: "letters-digests"})
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	first := []*store.LetterDigest{
		{PetitionID: p.ID, Jurisdiction: "GB", SignerCount: 2, TotalCount: 5, Root: []byte("root-gb"), Members: []byte{2, 1, 1}, GeneratedAt: at, GeneratedBy: "a"},
		{PetitionID: p.ID, Jurisdiction: "FR", SignerCount: 1, TotalCount: 5, Root: []byte("root-fr"), Members: []byte{1, 3}, GeneratedAt: at, GeneratedBy: "a"},
	}
	audit := &store.AuditEntry{Actor: "a", Action: "letters.generate", Target: p.Slug, RowCount: 2}
	if err := db.CreateLetterDigests(ctx, first, audit); err != nil {
		t.Fatal(err)
	}
	again := []*store.LetterDigest{{PetitionID: p.ID, Jurisdiction: "GB", SignerCount: 3, TotalCount: 6, Root: []byte("root-gb-2"),
		Members: []byte{3, 1, 1, 1}, GeneratedAt: at.Add(time.Hour), GeneratedBy: "b"}}
	if err := db.CreateLetterDigests(ctx, again, nil); err != nil {
		t.Fatal(err)
	}
	latest, err := db.LatestLetterDigests(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(latest) != 2 || latest["GB"].ID != again[0].ID || latest["FR"].ID != first[1].ID || latest["GB"].Members != nil {
		t.Errorf("latest digests %+v %+v", latest["GB"], latest["FR"])
	}
	found, err := db.FindLetterDigestsByRoot(ctx, p.ID, []byte("root-gb"))
	if err != nil || len(found) != 1 || found[0].ID != first[0].ID || string(found[0].Members) != "\x02\x01\x01" {
		t.Errorf("by root: %+v %v", found, err)
	}
	if found, _ := db.FindLetterDigestsByRoot(ctx, p.ID+1, []byte("root-gb")); len(found) != 0 {
		t.Error("a digest found under another petition")
	}
	entries, _ := db.FindAudit(ctx, 0, 10)
	if len(entries) != 1 || entries[0].Action != "letters.generate" {
		t.Errorf("audit %+v", entries)
	}
}

func TestLetterStatusHistory(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	p := testutil.MustCreatePetition(t, db, store.Petition{Slug: "letters-status"})
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, st := range []*store.LetterStatus{
		{PetitionID: p.ID, Jurisdiction: "GB", Status: "sent", Channel: "post", At: at, ByActor: "a"},
		{PetitionID: p.ID, Jurisdiction: "FR", Status: "sent", Channel: "email", At: at, ByActor: "a"},
		{PetitionID: p.ID, Jurisdiction: "GB", Status: "replied", Note: "Thanks", At: at.Add(time.Hour), ByActor: "b"},
	} {
		if err := db.AddLetterStatus(ctx, st, &store.AuditEntry{Actor: st.ByActor, Action: "letters.status", RowCount: 1}); err != nil {
			t.Fatal(err)
		}
	}
	h, err := db.FindLetterStatusHistory(ctx, p.ID, "GB")
	if err != nil || len(h) != 2 || h[0].Status != "replied" || h[0].Note != "Thanks" || h[1].Channel != "post" {
		t.Errorf("GB history %+v %v", h, err)
	}
	all, _ := db.FindLetterStatuses(ctx, p.ID)
	if len(all) != 3 || all[0].Jurisdiction != "GB" || all[2].Status != "replied" {
		t.Errorf("all statuses oldest first: %+v", all)
	}
	if entries, _ := db.FindAudit(ctx, 0, 10); len(entries) != 3 {
		t.Errorf("%d audit entries for 3 changes", len(entries))
	}
}

func TestJurisdictionOverridesAndTemplates(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	p := testutil.MustCreatePetition(t, db, store.Petition{Slug: "letters-overrides"})
	o := &store.JurisdictionOverride{Code: "NZ", Addressee: "Minister", Address: "1\n2", AddressConfirmed: true, Language: "en", UpdatedBy: "a"}
	if err := db.SaveJurisdictionOverride(ctx, o, nil); err != nil {
		t.Fatal(err)
	}
	o2 := &store.JurisdictionOverride{Code: "NZ", Addressee: "Minister 2", Address: "3", Language: "mi", UpdatedBy: "b"}
	if err := db.SaveJurisdictionOverride(ctx, o2, &store.AuditEntry{Actor: "b", Action: "jurisdiction.update"}); err != nil {
		t.Fatal(err)
	}
	all, err := db.FindJurisdictionOverrides(ctx)
	if err != nil || len(all) != 1 || all[0].Addressee != "Minister 2" || all[0].AddressConfirmed || all[0].Language != "mi" || all[0].UpdatedBy != "b" {
		t.Errorf("overrides %+v %v", all, err)
	}

	for _, body := range []string{"first", "second"} {
		if err := db.SaveLetterTemplate(ctx, &store.LetterTemplate{PetitionID: p.ID, Language: "fr", Body: body, UpdatedBy: "a"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	ts, err := db.FindLetterTemplates(ctx, p.ID)
	if err != nil || len(ts) != 1 || ts[0].Body != "second" {
		t.Errorf("templates %+v %v", ts, err)
	}
	if ok, err := db.DeleteLetterTemplate(ctx, p.ID, "fr", &store.AuditEntry{Actor: "a", Action: "letters.template"}); !ok || err != nil {
		t.Errorf("delete: %t %v", ok, err)
	}
	if ok, _ := db.DeleteLetterTemplate(ctx, p.ID, "fr", &store.AuditEntry{Actor: "a", Action: "letters.template"}); ok {
		t.Error("deleted a template twice")
	}
	if entries, _ := db.FindAudit(ctx, 0, 10); len(entries) != 2 {
		t.Errorf("%d audit entries, want 2 (an override and one deletion)", len(entries))
	}
}
