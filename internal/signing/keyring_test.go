package signing_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
	"github.com/cambodia-sanctions/campaign/internal/vault"
	_ "github.com/mattn/go-sqlite3" // the sqlite3 driver, for VACUUM
)

// countingKeys is the store as a keyring sees it, counting the calls.
type countingKeys struct {
	*store.DB
	finds, creates atomic.Int64
}

func (c *countingKeys) FindDataKeys(ctx context.Context) ([]*store.DataKey, error) {
	c.finds.Add(1)
	return c.DB.FindDataKeys(ctx)
}

func (c *countingKeys) CreateDataKey(ctx context.Context, pid int64, check func([]*store.DataKey) error,
	wrap func(int64) ([]byte, error)) (*store.DataKey, error) {
	c.creates.Add(1)
	return c.DB.CreateDataKey(ctx, pid, check, wrap)
}

// keyed is a signing service with a keyring over a real database.
type keyed struct {
	db     *store.DB
	dbPath string
	clock  *testutil.Clock
	vault  *vault.Vault
	keys   *countingKeys
	ring   *signing.Keyring
	svc    *signing.Service
}

func newKeyed(t *testing.T) *keyed {
	t.Helper()
	db, path := testutil.NewDBFile(t)
	k := &keyed{db: db, dbPath: path, clock: testutil.NewClock(), vault: mustTestVault(t, testKey), keys: &countingKeys{DB: db}}
	k.ring = signing.NewKeyring(k.keys, k.vault).SetRefresh(0, k.clock.Now)
	k.svc = k.service(t, k.ring)
	return k
}

// service is a signing service over k's database with its own writer,
// under ring's secret key (k's when ring is nil: no data keys).
func (k *keyed) service(t *testing.T, ring *signing.Keyring) *signing.Service {
	t.Helper()
	w := signing.NewBatchWriter(k.db, 16, nil)
	t.Cleanup(func() { _ = w.Close(context.Background()) })
	v := k.vault
	if ring != nil {
		v = ring.Vault()
	}
	svc := signing.NewService(v, w, signing.NewCounter(k.clock.Now), false, k.clock.Now)
	if ring != nil {
		svc.WithKeyring(ring)
	}
	return svc
}

func mustTestVault(t testing.TB, hexKey string) *vault.Vault {
	t.Helper()
	key, err := vault.ParseKey(hexKey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func signer(i int) signing.Request {
	return signing.Request{Input: signing.Input{Name: fmt.Sprintf("Signer %d", i), Email: fmt.Sprintf("signer%d@example.org", i),
		Country: "KH", City: fmt.Sprintf("City %d", i), Comment: "Free them"}, Lang: "en", Source: "web"}
}

func mustSign(t *testing.T, svc *signing.Service, p *store.Petition, req signing.Request) {
	t.Helper()
	if _, err := svc.Sign(context.Background(), p, req); err != nil {
		t.Fatalf("Sign %s: %v", req.Email, err)
	}
}

func mustStored(t *testing.T, db *store.DB, v *vault.Vault, p *store.Petition, email string) *store.Signature {
	t.Helper()
	sig, err := db.FindSignatureByEmail(context.Background(), p.ID, v.EmailHash(email))
	if err != nil {
		t.Fatalf("find the signature of %s: %v", email, err)
	}
	return sig
}

func TestNewSignaturesAreSealedWithThePetitionsDataKey(t *testing.T) {
	k := newKeyed(t)
	p1 := testutil.MustCreatePetition(t, k.db, store.Petition{Slug: "one"})
	p2 := testutil.MustCreatePetition(t, k.db, store.Petition{Slug: "two"})
	mustSign(t, k.svc, p1, signer(1))
	mustSign(t, k.svc, p2, signer(2))
	s1, s2 := mustStored(t, k.db, k.vault, p1, "signer1@example.org"), mustStored(t, k.db, k.vault, p2, "signer2@example.org")
	if s1.KeyID == nil || s2.KeyID == nil || *s1.KeyID == *s2.KeyID {
		t.Fatalf("key ids %v and %v: want each petition's row under a data key of its own", s1.KeyID, s2.KeyID)
	}
	in, err := k.svc.Open(s1)
	if err != nil || in.Name != "Signer 1" || in.Email != "signer1@example.org" || in.City != "City 1" || in.Comment != "Free them" {
		t.Errorf("Open = %+v, %v; want signer 1's fields", in, err)
	}
	// The vault's own field key no longer opens new rows: only the data key does.
	legacy := signing.NewService(k.vault, nil, nil, false, k.clock.Now)
	if _, err := legacy.Open(s1); err == nil {
		t.Error("a service without the keyring opened a row sealed with a data key")
	}
	// A fresh keyring (a restarted server) unwraps the stored key.
	fresh := signing.NewService(k.vault, nil, nil, false, k.clock.Now).WithKeyring(signing.NewKeyring(k.db, k.vault))
	if in, err := fresh.Open(s2); err != nil || in.Name != "Signer 2" {
		t.Errorf("a restarted keyring opens %+v, %v; want signer 2", in, err)
	}
	// Another secret key opens nothing.
	other := mustTestVault(t, "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0")
	stranger := signing.NewService(other, nil, nil, false, k.clock.Now).WithKeyring(signing.NewKeyring(k.db, other))
	if _, err := stranger.Open(s1); !errors.Is(err, vault.ErrKeyUnavailable) {
		t.Errorf("another secret key: err %v, want vault.ErrKeyUnavailable", err)
	}
}

func TestOlderRowsWithoutDataKeyStillOpen(t *testing.T) {
	k := newKeyed(t)
	p := testutil.MustCreatePetition(t, k.db, store.Petition{})
	mustSign(t, k.service(t, nil), p, signer(1)) // before data keys
	mustSign(t, k.svc, p, signer(2))
	old, recent := mustStored(t, k.db, k.vault, p, "signer1@example.org"), mustStored(t, k.db, k.vault, p, "signer2@example.org")
	if old.KeyID != nil || recent.KeyID == nil {
		t.Fatalf("key ids %v, %v: want the older row without one, the new one with one", old.KeyID, recent.KeyID)
	}
	for _, sig := range []*store.Signature{old, recent} {
		if _, err := k.svc.Open(sig); err != nil {
			t.Errorf("Open signature %d (key %v): %v", sig.ID, sig.KeyID, err)
		}
	}
	// Paper rows take the same path.
	paper, err := k.svc.PreparePaper(p, signing.Request{Input: signing.Input{Name: "On paper", Country: "KH"}})
	if err != nil || paper.KeyID == nil || *paper.KeyID != *recent.KeyID {
		t.Errorf("paper row key %v (%v), want the petition's key %d", paper.KeyID, err, *recent.KeyID)
	}
}

func TestDataKeyIsCreatedOnceAndCached(t *testing.T) {
	k := newKeyed(t)
	p := testutil.MustCreatePetition(t, k.db, store.Petition{})
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() { defer wg.Done(); mustSign(t, k.svc, p, signer(i)) }()
	}
	wg.Wait()
	if n := k.keys.creates.Load(); n != 1 {
		t.Errorf("%d data keys created for 200 signatures of one petition, want 1", n)
	}
	if n := k.keys.finds.Load(); n > 2 {
		t.Errorf("%d reads of the data keys for 200 signatures, want at most 2 (before and after creating)", n)
	}
	finds := k.keys.finds.Load()
	for i := range 200 {
		if _, err := k.svc.Open(mustStored(t, k.db, k.vault, p, fmt.Sprintf("signer%d@example.org", i))); err != nil {
			t.Fatal(err)
		}
	}
	if n := k.keys.finds.Load() - finds; n != 0 {
		t.Errorf("opening 200 rows read the data keys %d times, want 0", n)
	}
	keys, _ := k.db.FindDataKeys(context.Background())
	if len(keys) != 1 {
		t.Errorf("%d data keys stored, want 1", len(keys))
	}
}

// TestShredOnePetition destroys one petition's keys: its rows no longer
// open (vault.ErrKeyDestroyed), its older rows lose their ciphertext from
// the file itself, the other petition and every count stay as they were.
func TestShredOnePetition(t *testing.T) {
	k := newKeyed(t)
	ctx := context.Background()
	gone := testutil.MustCreatePetition(t, k.db, store.Petition{Slug: "gone"})
	kept := testutil.MustCreatePetition(t, k.db, store.Petition{Slug: "kept"})
	legacySvc := k.service(t, nil)
	mustSign(t, legacySvc, gone, signer(1))
	mustSign(t, legacySvc, kept, signer(2))
	for i := 3; i < 40; i++ {
		mustSign(t, k.svc, []*store.Petition{gone, kept}[i%2], signer(i))
	}
	legacyRow := mustStored(t, k.db, k.vault, gone, "signer1@example.org")
	countsBefore, _ := k.db.CountSignatures(ctx)

	res, err := k.db.ShredPersonalData(ctx, []int64{gone.ID}, k.clock.Now())
	if err != nil || res.Keys != 1 || res.LegacyRows != 1 {
		t.Fatalf("shred: %+v, %v; want one data key and one older row", res, err)
	}
	// A server started after the shred (a fresh keyring).
	after := signing.NewService(k.vault, nil, nil, false, k.clock.Now).WithKeyring(signing.NewKeyring(k.db, k.vault))
	for i := 1; i < 40; i++ {
		p := []*store.Petition{gone, kept}[i%2]
		if i <= 2 {
			p = []*store.Petition{gone, kept}[i-1]
		}
		sig := mustStored(t, k.db, k.vault, p, fmt.Sprintf("signer%d@example.org", i))
		in, err := after.Open(sig)
		switch {
		case p == kept && (err != nil || in.Name != fmt.Sprintf("Signer %d", i)):
			t.Errorf("signature %d of the other petition: %+v, %v; want it intact", sig.ID, in, err)
		case p == gone && sig.KeyID != nil && !errors.Is(err, vault.ErrKeyDestroyed):
			t.Errorf("signature %d of the shredded petition: err %v, want vault.ErrKeyDestroyed", sig.ID, err)
		case p == gone && sig.KeyID != nil && (in.Name != "" || in.Country != "KH"):
			t.Errorf("signature %d: Open gave %+v, want no personal field but its country", sig.ID, in)
		case p == gone && sig.KeyID == nil && (err != nil || in.Name != "" || in.Email != ""):
			t.Errorf("older signature %d: %+v, %v; want empty fields, no error", sig.ID, in, err)
		}
	}
	countsAfter, _ := k.db.CountSignatures(ctx)
	if fmt.Sprint(countsAfter) != fmt.Sprint(countsBefore) {
		t.Errorf("counts changed: %v, then %v", countsBefore, countsAfter)
	}
	// The server running during the shred stops using the key at its next
	// refresh.
	k.ring.SetRefresh(time.Second, k.clock.Now)
	k.clock.Advance(2 * time.Second)
	sample := mustStored(t, k.db, k.vault, gone, "signer4@example.org")
	deadline := time.Now().Add(5 * time.Second)
	for _, err := k.svc.Open(sample); !errors.Is(err, vault.ErrKeyDestroyed); _, err = k.svc.Open(sample) {
		if time.Now().After(deadline) {
			t.Fatalf("the running keyring still opens a shredded row after its refresh (err %v)", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// ...and a new signature to the petition gets a new key.
	mustSign(t, k.svc, gone, signer(100))
	if sig := mustStored(t, k.db, k.vault, gone, "signer100@example.org"); sig.KeyID == nil || *sig.KeyID == *sample.KeyID {
		t.Errorf("a signature after the shred has key %v, want a new data key", sig.KeyID)
	}
	// Rows moved by page splits before the shred may have left copies in
	// free space that secure_delete cannot reach; the VACUUM the command
	// suggests rewrites the file without them.
	if err := k.db.Close(); err != nil {
		t.Fatal(err)
	}
	vacuum(t, k.dbPath)
	assertNotInFile(t, k.dbPath, legacyRow)
}

// TestShredOverwritesOlderCiphertext checks that the shred itself, with
// secure_delete, leaves no byte of an older row's ciphertext in the file:
// without it the old cell stays in the page's free space.
func TestShredOverwritesOlderCiphertext(t *testing.T) {
	k := newKeyed(t)
	p := testutil.MustCreatePetition(t, k.db, store.Petition{})
	mustSign(t, k.service(t, nil), p, signer(1))
	row := mustStored(t, k.db, k.vault, p, "signer1@example.org")
	if _, err := k.db.ShredPersonalData(context.Background(), nil, k.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := k.db.Close(); err != nil {
		t.Fatal(err)
	}
	assertNotInFile(t, k.dbPath, row)
}

func assertNotInFile(t *testing.T, path string, row *store.Signature) {
	t.Helper()
	for _, file := range []string{path, path + "-wal"} {
		raw, err := os.ReadFile(file)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for name, ct := range map[string][]byte{"name": row.NameEnc, "email": row.EmailEnc, "city": row.CityEnc} {
			if len(ct) == 0 {
				t.Fatalf("the row had no %s ciphertext to look for", name)
			}
			if bytes.Contains(raw, ct) {
				t.Errorf("%s still holds the shredded %s ciphertext", file, name)
			}
		}
	}
}

// vacuum runs VACUUM on the database file, as an operator would with the
// server stopped.
func vacuum(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("VACUUM"); err != nil {
		t.Fatal(err)
	}
}

func TestKeyringWithAnotherKeyMakesNoKeyAfterRotation(t *testing.T) {
	k := newKeyed(t)
	p := testutil.MustCreatePetition(t, k.db, store.Petition{Slug: "old"})
	mustSign(t, k.svc, p, signer(1))
	// The keys were rotated to another secret key; a process still on the
	// old one meets a petition it has no key for.
	newer := mustTestVault(t, "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0")
	r := signing.NewRotator(k.db, k.vault, newer)
	r.Settle, r.Pause = 0, false
	if _, err := r.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	fresh := testutil.MustCreatePetition(t, k.db, store.Petition{Slug: "made-after"})
	stale := k.service(t, signing.NewKeyring(k.db, k.vault).SetRefresh(0, k.clock.Now))
	if _, err := stale.Sign(context.Background(), fresh, signer(2)); !errors.Is(err, signing.ErrKeyRotated) {
		t.Errorf("old-key process signing a petition without a key: err %v, want ErrKeyRotated", err)
	}
	// It still signs petitions it has a key for: the old data key, which
	// now opens with the new secret key too.
	if _, err := stale.Sign(context.Background(), p, signer(3)); err != nil {
		t.Errorf("old-key process signing a petition it has a key for: %v", err)
	}
}
