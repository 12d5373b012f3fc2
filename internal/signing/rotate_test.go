package signing_test

import (
	"bytes"
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
)

const newTestKey = "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0"

// TestRotateWhileSigning rotates the secret key while a server with the
// old key keeps signing, "restarts" it with the new key, finishes, and
// checks that every signature opens with the new key and none with the old.
// The server either moves to the new data keys at its refresh or, worst
// case, keeps sealing with the old ones it holds until it is restarted.
func TestRotateWhileSigning(t *testing.T) {
	for name, refresh := range map[string]time.Duration{"server refreshes": 20 * time.Millisecond, "server keeps its old keys": 0} {
		t.Run(name, func(t *testing.T) { testRotateWhileSigning(t, refresh) })
	}
}

func testRotateWhileSigning(t *testing.T, refresh time.Duration) {
	ctx := context.Background()
	k := newKeyed(t)
	oldV, newV := k.vault, mustTestVault(t, newTestKey)
	a := testutil.MustCreatePetition(t, k.db, store.Petition{Slug: "a"})
	b := testutil.MustCreatePetition(t, k.db, store.Petition{Slug: "b"})
	ps := []*store.Petition{a, b}
	names := map[string]string{} // email → name, for every acknowledged signature
	sign := func(svc *signing.Service, p *store.Petition, i int) {
		mustSign(t, svc, p, signer(i))
		names[signer(i).Email] = signer(i).Name
	}
	legacy := k.service(t, nil)
	for i := range 30 {
		sign(legacy, a, i) // from before data keys
	}
	for i := 30; i < 300; i++ {
		sign(k.svc, ps[i%2], i)
	}
	// A withdrawn signature must stay erased, an erased email stay erased.
	withdrawn := mustStored(t, k.db, oldV, a, "signer5@example.org")
	if _, err := k.db.WithdrawSignature(ctx, withdrawn.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	delete(names, "signer5@example.org")
	tagsOld := signing.NewTagKeys(k.db, oldV)
	client := netip.MustParseAddr("198.51.100.4")
	tagBefore, err := tagsOld.Tag(ctx, client, k.clock.Now())
	if err != nil {
		t.Fatal(err)
	}

	// The running server: old key, a keyring that refreshes.
	serverRing := signing.NewKeyring(k.db, oldV).SetRefresh(refresh, time.Now)
	server := k.service(t, serverRing)
	for i := 900; i < 902; i++ {
		sign(server, ps[i%2], i) // the server has loaded its keys before
	}
	var mu sync.Mutex
	stop := make(chan struct{})
	done := make(chan struct{})
	during := 0
	go func() {
		defer close(done)
		for i := 1000; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := server.Sign(ctx, ps[i%2], signer(i)); err != nil {
				t.Errorf("the running server failed to sign during the rotation: %v", err)
				return
			}
			mu.Lock()
			names[signer(i).Email] = signer(i).Name
			during++
			mu.Unlock()
			// A steady stream, not a flat-out loop: one goroutine signing
			// back to back holds SQLite's write lock almost always, and the
			// rotation's batches, waiting in the busy handler, starve.
			time.Sleep(2 * time.Millisecond)
		}
	}()
	r := signing.NewRotator(k.db, oldV, newV)
	r.Batch, r.Settle = 50, 100*time.Millisecond
	rep, err := r.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The server signs on after the rotation, until it is restarted.
	time.Sleep(50 * time.Millisecond)
	close(stop)
	<-done
	mu.Lock()
	defer mu.Unlock()
	if during == 0 {
		t.Fatal("no signature was made during the rotation; the test proves nothing")
	}
	if rep.Rows < 299 || rep.KeysMade != 2 {
		t.Errorf("rotation report %+v, want at least the 299 rows with personal data moved and 2 keys made", rep)
	}

	if byKey, err := k.db.CountSignaturesByKey(ctx, 0); err == nil {
		t.Logf("%d signed during the rotation; after it, rows by data key: %v (targets moved to: %d keys)", during, byKey, rep.KeysMade)
	}
	// Restarted with the new key: everything acknowledged opens.
	restarted := k.service(t, signing.NewKeyring(k.db, newV).SetRefresh(0, time.Now))
	checkAllOpen(t, k.db, ps, restarted, names, "after the restart")
	if got, err := signing.NewTagKeys(k.db, newV).Tag(ctx, client, k.clock.Now()); err != nil || !bytes.Equal(got, tagBefore) {
		t.Errorf("client tag under the new key %x (%v), want the same as before the rotation %x", got, err, tagBefore)
	}

	fin := signing.NewRotator(k.db, nil, newV)
	fin.Pause = false
	if _, err := fin.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	checkAllOpen(t, k.db, ps, restarted, names, "after finish")
	// Nothing opens with the old key any more.
	oldOnly := signing.NewService(oldV, nil, nil, false, time.Now).WithKeyring(signing.NewKeyring(k.db, oldV).SetRefresh(0, time.Now))
	for _, sig := range allSealed(t, k.db) {
		if in, err := oldOnly.Open(sig); err == nil {
			t.Fatalf("signature %d (%s) still opens with the old secret key after finish", sig.ID, in.Email)
		}
	}
	if byKey, _ := k.db.CountSignaturesByKey(ctx, 0); byKey[0] != 0 {
		t.Errorf("%d rows still sealed with the old key's own field key", byKey[0])
	}
	// Duplicates are still found under the new key: signing again adds no row.
	before := len(allSealed(t, k.db))
	mustSign(t, restarted, a, signer(0))
	mustSign(t, restarted, b, signer(1001))
	if after := len(allSealed(t, k.db)); after != before {
		t.Errorf("signing again under the new key added %d rows, want none", after-before)
	}
	// The withdrawn signature did not get its data back.
	if got, _ := k.db.FindSignatureByID(ctx, withdrawn.ID); got.NameEnc != nil || got.EmailEnc != nil {
		t.Error("the rotation gave a withdrawn signature its personal data back")
	}
}

// checkAllOpen opens every stored signature with svc and checks that each
// acknowledged signer is there with the right name.
func checkAllOpen(t *testing.T, db *store.DB, ps []*store.Petition, svc *signing.Service, names map[string]string, when string) {
	t.Helper()
	seen := map[string]bool{}
	for _, sig := range allSealed(t, db) {
		in, err := svc.Open(sig)
		if err != nil {
			t.Fatalf("%s: signature %d (key %v) does not open with the new key: %v", when, sig.ID, sig.KeyID, err)
		}
		if want, ok := names[in.Email]; ok && in.Name != want {
			t.Errorf("%s: signature %d opens as %q, want %q", when, sig.ID, in.Name, want)
		}
		seen[in.Email] = true
	}
	for email := range names {
		if !seen[email] {
			t.Errorf("%s: the acknowledged signature of %s is missing", when, email)
		}
	}
}

// allSealed returns every signature that holds personal data.
func allSealed(t *testing.T, db *store.DB) []*store.Signature {
	t.Helper()
	var out []*store.Signature
	for after := int64(0); ; {
		rows, err := db.FindSignaturesToRekey(context.Background(), after, 1<<62, nil, 0, 500)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			break
		}
		for _, r := range rows {
			full, err := db.FindSignatureByID(context.Background(), r.ID)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, full)
		}
		after = rows[len(rows)-1].ID
	}
	return out
}

func TestRotateRefusesTheWrongKey(t *testing.T) {
	k := newKeyed(t)
	p := testutil.MustCreatePetition(t, k.db, store.Petition{})
	mustSign(t, k.svc, p, signer(1))
	wrong := mustTestVault(t, "1111111111111111111111111111111111111111111111111111111111111111")
	r := signing.NewRotator(k.db, wrong, mustTestVault(t, newTestKey))
	r.Settle, r.Pause = 0, false
	if _, err := r.Rotate(context.Background()); err == nil {
		t.Fatal("a rotation started from a key that is not the database's")
	}
	// Finishing with the old key (the server not restarted with the new
	// one) is refused too, before anything changes.
	r = signing.NewRotator(k.db, k.vault, mustTestVault(t, newTestKey))
	r.Settle, r.Pause = 0, false
	if _, err := r.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := signing.NewRotator(k.db, nil, k.vault).Finish(context.Background()); err == nil {
		t.Error("finish ran with the old key")
	}
	newV := mustTestVault(t, newTestKey)
	svc := signing.NewService(newV, nil, nil, false, time.Now).WithKeyring(signing.NewKeyring(k.db, newV))
	if in, err := svc.Open(mustStored(t, k.db, newV, p, "signer1@example.org")); err != nil || in.Name != "Signer 1" {
		t.Errorf("after the refused finish the new key opens %+v, %v; want signer 1", in, err)
	}
}
