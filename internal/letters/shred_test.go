package letters_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/letters"
	"github.com/cambodia-sanctions/campaign/internal/signing"
)

// TestLettersAfterShred: once a petition's data keys are destroyed, its
// letters are still generated with the same counts; nobody is named.
func TestLettersAfterShred(t *testing.T) {
	f := newFixture(t)
	f.add(signer{name: "Older Named", country: "GB", city: "Leeds", named: true}) // before data keys
	f.sign.WithKeyring(signing.NewKeyring(f.db, f.vault))
	f.add(signer{name: "Sok Dara", country: "GB", city: "London", named: true},
		signer{name: "Bo Hidden", country: "GB"})
	before := letterTo(t, f.generate("GB"), "GB")
	if before.Names != 2 || !strings.Contains(text(before), "London: Sok Dara") || !strings.Contains(text(before), "Older Named") {
		t.Fatalf("before the shred the UK letter names %d (want 2, under a data key and not):\n%s", before.Names, text(before))
	}
	if _, err := f.db.ShredPersonalData(context.Background(), []int64{f.p.ID}, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	// A letters service started after the shred (its keyring reads the
	// destroyed key), as the command line and a restarted server are.
	reg, tpls, fonts := shared(t)
	svc, err := letters.New(letters.Options{Registry: reg, Store: f.db, Vault: f.vault, Templates: tpls, Fonts: fonts,
		BaseURL: "https://campaign.test", Now: f.clock.Now, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	after := letterTo(t, f.generate("GB"), "GB")
	if after.Signers != before.Signers || after.Names != 0 {
		t.Errorf("after the shred: %d signers, %d names; want %d signers, nobody named", after.Signers, after.Names, before.Signers)
	}
	for _, gone := range []string{"Sok Dara", "Older Named", "London:", "Leeds"} {
		if strings.Contains(text(after), gone) {
			i := strings.Index(text(after), gone)
			t.Errorf("the letter after the shred still shows %q: …%s…", gone, text(after)[max(0, i-80):min(len(text(after)), i+40)])
		}
	}
}
