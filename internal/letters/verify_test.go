package letters_test

import (
	"context"
	"database/sql"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"github.com/cambodia-sanctions/campaign/internal/letters"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

// TestVerifyInclusion checks a signer's inclusion in a letter's digest
// from their receipt code, as /verify does.
func TestVerifyInclusion(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var specs []signer
	for i := range 7 { // an odd count: the last leaf is carried up
		specs = append(specs, signer{name: "Fr", country: "FR"})
		if i%2 == 0 {
			specs = append(specs, signer{name: "Gb", country: "GB"})
		}
	}
	specs = append(specs, signer{name: "De", country: "DE"}) // so the EU letter's members differ from France's
	specs = append(specs, signer{name: "Late", country: "FR", status: store.StatusPending})
	sigs := f.add(specs...)
	b := f.generate("FR", "GB", "EU")
	fr, gb, eu := letterTo(t, b, "FR"), letterTo(t, b, "GB"), letterTo(t, b, "EU")

	find := func(code string) *store.Signature {
		t.Helper()
		sig, err := f.sign.FindByReceipt(ctx, f.db, code)
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	for i, s := range sigs[:len(sigs)-1] {
		sig := find(s.code)
		home := map[string]*letters.Letter{"FR": fr, "GB": gb, "DE": eu}[sig.Country]
		in, err := f.svc.Verify(ctx, sig, home.Root)
		if err != nil || !in.Included || in.Jurisdiction != home.Jurisdiction.Code || in.Count != home.Signers {
			t.Fatalf("signature %d in its country's letter: %+v, %v", i, in, err)
		}
		if len(in.Steps) == 0 && home.Signers > 1 {
			t.Errorf("signature %d: an inclusion with no proof steps", i)
		}
		other := gb
		if home == gb {
			other = fr
		}
		if sig.Country == "DE" {
			continue
		}
		if in, _ := f.svc.Verify(ctx, sig, other.Root); in.Included {
			t.Errorf("signature %d from %s is included in the letter to %s", i, sig.Country, other.Jurisdiction.Code)
		}
		in, _ = f.svc.Verify(ctx, sig, eu.Root)
		if in.Included != (sig.Country == "FR") {
			t.Errorf("signature %d from %s: included in the EU letter %t", i, sig.Country, in.Included)
		}
	}
	if in, _ := f.svc.Verify(ctx, find(sigs[len(sigs)-1].code), fr.Root); in.Included {
		t.Error("a pending signature is included")
	}
	if in, _ := f.svc.Verify(ctx, find(sigs[0].code), letters.Hash{1, 2, 3}); in.Included {
		t.Error("included in a digest that does not exist")
	}

	// Signatures withdrawn after the letter was generated stay included in
	// it: the digest records who that letter counted.
	if _, err := f.db.WithdrawSignature(ctx, sigs[0].id, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if in, _ := f.svc.Verify(ctx, find(sigs[0].code), fr.Root); !in.Included {
		t.Error("a signature withdrawn after generation is no longer found in the letter that counted it")
	}
	later := f.generate("FR")
	if in, _ := f.svc.Verify(ctx, find(sigs[0].code), letterTo(t, later, "FR").Root); in.Included {
		t.Error("a withdrawn signature is counted in a later letter")
	}
}

// TestVerifyRejectsChangedData: a digest whose members no longer give its
// root proves nothing.
func TestVerifyRejectsChangedData(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sigs := f.add(signer{name: "A", country: "GB"}, signer{name: "B", country: "GB"}, signer{name: "C", country: "GB"})
	gb := letterTo(t, f.generate("GB"), "GB")
	sig, err := f.sign.FindByReceipt(ctx, f.db, sigs[0].code)
	if err != nil {
		t.Fatal(err)
	}
	if in, _ := f.svc.Verify(ctx, sig, gb.Root); !in.Included {
		t.Fatal("not included before the change")
	}
	// Another member's receipt hash changes behind the digest's back.
	raw, err := sql.Open("sqlite3", "file:"+f.dbPath+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE signatures SET receipt_hash = X'00' WHERE id = ?`, sigs[2].id); err != nil {
		t.Fatal(err)
	}
	if in, _ := f.svc.Verify(ctx, sig, gb.Root); in.Included {
		t.Error("included although the members' receipt hashes no longer give the printed root")
	}
}
