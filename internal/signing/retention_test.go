package signing_test

import (
	"context"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
)

func TestEraseClosedPetitions(t *testing.T) {
	in := newIntake(t, false)
	ctx := context.Background()
	in.db.SetClock(in.clock.Now) // SetPetitionStatus stamps the close with it
	const retention = 180 * 24 * time.Hour
	day := 24 * time.Hour

	byHand := in.p
	closesAt := in.clock.Now().Add(10 * day)
	byDate := testutil.MustCreatePetition(t, in.db, store.Petition{Slug: "by-date", ClosesAt: &closesAt})
	stillOpen := testutil.MustCreatePetition(t, in.db, store.Petition{Slug: "still-open"})
	for _, p := range []*store.Petition{byHand, byDate, stillOpen} {
		if _, err := in.svc.Sign(ctx, p, sokha()); err != nil {
			t.Fatalf("sign %s: %v", p.Slug, err)
		}
	}
	if err := in.db.SetPetitionStatus(ctx, byHand.ID, store.PetitionClosed); err != nil {
		t.Fatal(err)
	}
	countsBefore := in.counter.Get(byHand.ID).Total

	steps := []struct {
		advance time.Duration
		erased  int64
		want    map[string]bool // slug → personal data gone
	}{
		{0, 0, map[string]bool{"free-them": false, "by-date": false, "still-open": false}},
		{retention - time.Minute, 0, map[string]bool{"free-them": false, "by-date": false, "still-open": false}},
		{time.Minute, 1, map[string]bool{"free-them": true, "by-date": false, "still-open": false}},
		{10*day - time.Minute, 0, map[string]bool{"free-them": true, "by-date": false, "still-open": false}},
		{time.Minute, 1, map[string]bool{"free-them": true, "by-date": true, "still-open": false}},
		{365 * day, 0, map[string]bool{"free-them": true, "by-date": true, "still-open": false}},
	}
	elapsed := time.Duration(0)
	for _, st := range steps {
		in.clock.Advance(st.advance)
		elapsed += st.advance
		n, err := in.svc.EraseClosedPetitions(ctx, in.db, retention)
		if err != nil {
			t.Fatal(err)
		}
		if n != st.erased {
			t.Errorf("%v after the close: erased %d signatures, want %d", elapsed, n, st.erased)
		}
		for _, p := range []*store.Petition{byHand, byDate, stillOpen} {
			sig, err := in.db.FindSignatureByEmail(ctx, p.ID, in.vault.EmailHash(sokha().Email))
			if err != nil {
				t.Fatalf("%v: the signature of %s is gone (%v); only its personal data may go", elapsed, p.Slug, err)
			}
			gone := sig.NameEnc == nil && sig.EmailEnc == nil && sig.CityEnc == nil && sig.CommentEnc == nil &&
				sig.ClientTag == nil && sig.EmailDomainHash == nil
			if gone != st.want[p.Slug] {
				t.Errorf("%v after the close: %s personal data erased=%v, want %v", elapsed, p.Slug, gone, st.want[p.Slug])
			}
			if gone && (sig.Status != store.StatusConfirmed || sig.Country != "KH") {
				t.Errorf("%s after erasure: status %q country %q, want confirmed KH kept", p.Slug, sig.Status, sig.Country)
			}
			if !gone {
				if got, err := in.svc.Open(sig); err != nil || got.Name != sokha().Name {
					t.Errorf("%s before its retention: opened %q, %v; want the signer's name", p.Slug, got.Name, err)
				}
			}
		}
	}
	if got := in.counter.Get(byHand.ID).Total; got != countsBefore {
		t.Errorf("count after erasure %d, want %d unchanged", got, countsBefore)
	}
}

func TestEraseClosedPetitionsRefusesZeroRetention(t *testing.T) {
	in := newIntake(t, false)
	if _, err := in.svc.EraseClosedPetitions(context.Background(), in.db, 0); err == nil {
		t.Error("a zero retention was accepted; it would erase petitions as they close")
	}
}
