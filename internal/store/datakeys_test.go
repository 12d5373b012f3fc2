package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
)

// keyedSig is a signature whose "sealed" fields are recognisable bytes,
// under data key keyID (nil: the vault's own key).
func keyedSig(pid int64, email string, keyID *int64) *store.Signature {
	s := sig(pid, email, store.StatusConfirmed)
	s.NameEnc, s.EmailEnc, s.CityEnc = []byte("name-of-"+email), []byte("email-of-"+email), []byte("city-of-"+email)
	s.KeyID = keyID
	return s
}

func mustDataKey(t *testing.T, db *store.DB, pid int64) *store.DataKey {
	t.Helper()
	k, err := db.CreateDataKey(context.Background(), pid, func([]*store.DataKey) error { return nil },
		func(id int64) ([]byte, error) { return []byte(fmt.Sprintf("wrapped-%d-%d", id, pid)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestCreateDataKey(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	p := testutil.MustCreatePetition(t, db, store.Petition{})
	k := mustDataKey(t, db, p.ID)
	if string(k.Wrapped) != fmt.Sprintf("wrapped-%d-%d", k.ID, p.ID) {
		t.Errorf("wrapped %q: wrap must be called with the new row's id", k.Wrapped)
	}
	refused := errors.New("no")
	var seen []*store.DataKey
	_, err := db.CreateDataKey(ctx, p.ID, func(keys []*store.DataKey) error { seen = keys; return refused },
		func(int64) ([]byte, error) { t.Error("wrap called after check refused"); return nil, nil })
	if !errors.Is(err, refused) {
		t.Errorf("err %v, want check's error", err)
	}
	if len(seen) != 1 || seen[0].ID != k.ID || !bytes.Equal(seen[0].Wrapped, k.Wrapped) {
		t.Errorf("check saw %+v, want the one existing key", seen)
	}
	keys, err := db.FindDataKeys(ctx)
	if err != nil || len(keys) != 1 || !keys[0].Live() || keys[0].PetitionID != p.ID {
		t.Fatalf("FindDataKeys = %+v, %v; want only the first key, live", keys, err)
	}
}

func TestInsertedSignatureKeepsItsKeyID(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	p := testutil.MustCreatePetition(t, db, store.Petition{})
	k := mustDataKey(t, db, p.ID)
	withKey, legacy := keyedSig(p.ID, "a", &k.ID), keyedSig(p.ID, "b", nil)
	if _, err := db.InsertSignatures(ctx, []*store.Signature{withKey, legacy}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*store.Signature{withKey, legacy} {
		got, err := db.FindSignatureByID(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(deref(got.KeyID)) != fmt.Sprint(deref(s.KeyID)) {
			t.Errorf("signature %d: key id %v, want %v", s.ID, deref(got.KeyID), deref(s.KeyID))
		}
	}
	page, err := db.ExportSignatures(ctx, store.SignatureFilter{PetitionID: p.ID}, 0, make([]store.Signature, 0, 10))
	if err != nil || len(page) != 2 || page[0].KeyID == nil || *page[0].KeyID != k.ID || page[1].KeyID != nil {
		t.Errorf("export page key ids: %v, %v; want %d then none", keyIDs(page), err, k.ID)
	}
	var letterKeys []any
	err = db.ScanLetterSigners(ctx, p.ID, func(s *store.LetterSigner) error {
		letterKeys = append(letterKeys, deref(s.KeyID))
		return nil
	})
	if err != nil || fmt.Sprint(letterKeys) != fmt.Sprint([]any{k.ID, nil}) {
		t.Errorf("letters read key ids %v (%v), want [%d <nil>]", letterKeys, err, k.ID)
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func keyIDs(page []store.Signature) []any {
	var out []any
	for _, s := range page {
		out = append(out, deref(s.KeyID))
	}
	return out
}

func TestShredPersonalData(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	gone := testutil.MustCreatePetition(t, db, store.Petition{Slug: "gone"})
	kept := testutil.MustCreatePetition(t, db, store.Petition{Slug: "kept"})
	kGone, kKept := mustDataKey(t, db, gone.ID), mustDataKey(t, db, kept.ID)
	var batch []*store.Signature
	for i := range 2500 { // legacy rows of the shredded petition span several batches
		batch = append(batch, keyedSig(gone.ID, fmt.Sprintf("legacy%d", i), nil))
	}
	batch = append(batch, keyedSig(gone.ID, "new", &kGone.ID), keyedSig(kept.ID, "other-legacy", nil),
		keyedSig(kept.ID, "other-new", &kKept.ID))
	queued := keyedSig(gone.ID, "pending", &kGone.ID)
	queued.Status = store.StatusPending
	queued.FirstMail = &store.QueuedMail{Kind: store.MailConfirm, PayloadEnc: []byte("sealed mail")}
	batch = append(batch, queued)
	if _, err := db.InsertSignatures(ctx, batch); err != nil {
		t.Fatal(err)
	}
	before, _ := db.CountSignatures(ctx)

	at := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	res, err := db.ShredPersonalData(ctx, []int64{gone.ID}, at)
	if err != nil {
		t.Fatal(err)
	}
	if res.Keys != 1 || res.LegacyRows != 2500 || res.Mails != 1 {
		t.Errorf("shred result %+v, want 1 key, 2500 older rows, 1 mail", res)
	}
	keys, _ := db.FindDataKeys(ctx)
	for _, k := range keys {
		destroyed := k.DestroyedAt != nil && k.Wrapped == nil
		if want := k.ID == kGone.ID; destroyed != want || k.Live() == want {
			t.Errorf("data key %d of petition %d: destroyed=%v live=%v, want destroyed=%v", k.ID, k.PetitionID, destroyed, k.Live(), want)
		}
	}
	for _, s := range batch {
		got, _ := db.FindSignatureByID(ctx, s.ID)
		erased := got.NameEnc == nil && got.EmailEnc == nil && got.CityEnc == nil
		wantErased := s.PetitionID == gone.ID && s.KeyID == nil
		if erased != wantErased {
			t.Fatalf("signature %d (petition %d, key %v): sealed fields erased=%v, want %v", s.ID, s.PetitionID, deref(s.KeyID), erased, wantErased)
		}
		if !bytes.Equal(got.EmailHash, s.EmailHash) || got.Status != s.Status {
			t.Fatalf("signature %d lost its hash or status", s.ID)
		}
	}
	after, _ := db.CountSignatures(ctx)
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("counts changed: %v, then %v", before, after)
	}
	if due, _ := db.ClaimDueOutbox(ctx, time.Now().Add(time.Hour), 10); len(due) != 0 {
		t.Errorf("%d mails still queued for the shredded petition", len(due))
	}
	again, err := db.ShredPersonalData(ctx, []int64{gone.ID}, at)
	if err != nil || again != (store.ShredResult{}) {
		t.Errorf("shredding again: %+v, %v; want nothing left to do", again, err)
	}
	all, err := db.ShredPersonalData(ctx, nil, at)
	if err != nil || all.Keys != 1 || all.LegacyRows != 1 {
		t.Errorf("shredding all: %+v, %v; want the other petition's key and older row", all, err)
	}
}

func TestUpdateRekeyedNeverRestoresErasedData(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	p := testutil.MustCreatePetition(t, db, store.Petition{})
	k := mustDataKey(t, db, p.ID)
	a, b, c := keyedSig(p.ID, "a", nil), keyedSig(p.ID, "b", nil), keyedSig(p.ID, "c", nil)
	if _, err := db.InsertSignatures(ctx, []*store.Signature{a, b, c}); err != nil {
		t.Fatal(err)
	}
	read, err := db.FindSignaturesToRekey(ctx, 0, 1<<62, nil, 1<<62, 10)
	if err != nil || len(read) != 3 {
		t.Fatalf("FindSignaturesToRekey = %d rows, %v; want 3", len(read), err)
	}
	// b is withdrawn after it was read; c's new email hash is a's.
	if _, err := db.WithdrawSignature(ctx, b.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	rekeyed := func(s *store.Signature, hash string) store.Rekey {
		return store.Rekey{Old: s, New: &store.Signature{KeyID: &k.ID, EmailHash: []byte(hash),
			NameEnc: []byte("new name"), EmailEnc: []byte("new email")}}
	}
	res, err := db.UpdateRekeyed(ctx, []store.Rekey{rekeyed(read[0], "H2:a"), rekeyed(read[1], "H2:b"), rekeyed(read[2], "H2:a")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Updated != 1 || fmt.Sprint(res.Stale) != "[1]" || fmt.Sprint(res.Conflicts) != "[2]" {
		t.Errorf("result %+v, want a updated, b stale, c in conflict", res)
	}
	gotA, _ := db.FindSignatureByID(ctx, a.ID)
	if gotA.KeyID == nil || *gotA.KeyID != k.ID || string(gotA.EmailHash) != "H2:a" || string(gotA.NameEnc) != "new name" || gotA.CityEnc != nil {
		t.Errorf("a after re-encryption: %+v", gotA)
	}
	gotB, _ := db.FindSignatureByID(ctx, b.ID)
	if gotB.NameEnc != nil || gotB.EmailEnc != nil || gotB.KeyID != nil {
		t.Errorf("withdrawn b got personal data back: %+v", gotB)
	}
	// Only c still needs moving to key k; a is done, b holds nothing.
	left, _ := db.FindSignaturesToRekey(ctx, 0, 1<<62, []int64{k.ID}, 1<<62, 10)
	if len(left) != 1 || left[0].ID != c.ID {
		t.Errorf("left to re-encrypt: %v, want only c", left)
	}
	// Rows signed since a mark are read whatever their key.
	since, _ := db.FindSignaturesToRekey(ctx, 0, 1<<62, []int64{k.ID}, a.ID-1, 10)
	if len(since) != 2 {
		t.Errorf("rows since the mark: %d, want a and c", len(since))
	}
	byKey, _ := db.CountSignaturesByKey(ctx, p.ID)
	if byKey[k.ID] != 1 || byKey[0] != 1 {
		t.Errorf("signatures by key %v, want 1 under key %d and 1 under the vault's key", byKey, k.ID)
	}
}

func TestRewrapDataKeysAndMark(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	p := testutil.MustCreatePetition(t, db, store.Petition{})
	k1, k2 := mustDataKey(t, db, p.ID), mustDataKey(t, db, p.ID)
	if _, err := db.ShredPersonalData(ctx, []int64{p.ID}, time.Now()); err != nil {
		t.Fatal(err)
	}
	k3 := mustDataKey(t, db, p.ID)
	n, err := db.RewrapDataKeys(ctx, func(keys []*store.DataKey) (map[int64][]byte, error) {
		out := map[int64][]byte{}
		for _, k := range keys {
			out[k.ID] = []byte("rewrapped")
		}
		return out, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := db.FindDataKeys(ctx)
	for _, k := range keys {
		if k.ID == k3.ID != (string(k.Wrapped) == "rewrapped") {
			t.Errorf("key %d wrapped %q: only the live key %d may be rewrapped, never a destroyed one (%d, %d)",
				k.ID, k.Wrapped, k3.ID, k1.ID, k2.ID)
		}
	}
	if n != 1 {
		t.Errorf("%d keys rewrapped, want 1", n)
	}
	if _, ok, _ := db.KeyRotationMark(ctx); ok {
		t.Error("a fresh database has a rotation mark")
	}
	if err := db.SetKeyRotationMark(ctx, 41); err != nil {
		t.Fatal(err)
	}
	if err := db.SetKeyRotationMark(ctx, 42); err != nil {
		t.Fatal(err)
	}
	if id, ok, err := db.KeyRotationMark(ctx); id != 42 || !ok || err != nil {
		t.Errorf("mark = %d, %v, %v; want 42", id, ok, err)
	}
	if err := db.ClearKeyRotationMark(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.KeyRotationMark(ctx); ok {
		t.Error("the mark is still there after ClearKeyRotationMark")
	}
}
