package letters_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/jurisdiction"
	"github.com/cambodia-sanctions/campaign/internal/letters"
	"github.com/cambodia-sanctions/campaign/internal/pdf"
	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
	"github.com/cambodia-sanctions/campaign/internal/vault"
	"github.com/cambodia-sanctions/campaign/web"
)

const testKey = "6b1e0c3f9a7d2e4b8c5f1a0d3e6b9c2f5a8d1e4b7c0f3a6d9e2b5c8f1a4d7e0b"

var (
	sharedOnce  sync.Once
	sharedReg   *jurisdiction.Registry
	sharedTpls  *letters.Templates
	sharedFonts *pdf.Fonts
	sharedErr   error
)

// shared loads what every test reads and none changes: the real
// config/jurisdictions.yaml and targets.yaml, config/letters and the fonts.
func shared(tb testing.TB) (*jurisdiction.Registry, *letters.Templates, *pdf.Fonts) {
	tb.Helper()
	sharedOnce.Do(func() {
		if sharedReg, sharedErr = jurisdiction.Load("../../config"); sharedErr != nil {
			return
		}
		if sharedTpls, sharedErr = letters.LoadTemplates("../../config/letters"); sharedErr != nil {
			return
		}
		sharedFonts, sharedErr = pdf.LoadFonts(web.FS)
	})
	if sharedErr != nil {
		tb.Fatal(sharedErr)
	}
	return sharedReg, sharedTpls, sharedFonts
}

// fixture is a letters service on a fresh database with one petition
// addressed to every jurisdiction of the registry.
type fixture struct {
	tb     testing.TB
	db     *store.DB
	dbPath string
	clock  *testutil.Clock
	vault  *vault.Vault
	sign   *signing.Service
	svc    *letters.Service
	reg    *jurisdiction.Registry
	p      *store.Petition
	n      int
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	reg, tpls, fonts := shared(tb)
	db, path := testutil.NewDBFile(tb)
	clock := testutil.NewClock()
	db.SetClock(clock.Now)
	key, _ := hex.DecodeString(testKey)
	v, err := vault.New(key)
	if err != nil {
		tb.Fatal(err)
	}
	p := testutil.MustCreatePetition(tb, db, store.Petition{Slug: "coordinated", Title: "Sanction them together",
		Countries: store.StringList{}, Demands: store.StringList{"Freeze their assets.", "Free the prisoners."}})
	svc, err := letters.New(letters.Options{Registry: reg, Store: db, Vault: v, Templates: tpls, Fonts: fonts,
		BaseURL: "https://campaign.test", Now: clock.Now, Workers: 2})
	if err != nil {
		tb.Fatal(err)
	}
	return &fixture{tb: tb, db: db, dbPath: path, clock: clock, vault: v, sign: signing.NewService(v, nil, nil, false, clock.Now),
		svc: svc, reg: reg, p: p}
}

// signer is one signature to add.
type signer struct {
	name, country, city string
	named               bool   // include_in_letters
	status              string // confirmed when empty
}

// added is a stored signature and its receipt code.
type added struct {
	id    int64
	code  string
	email string
}

// add stores signatures as signing does, with the statuses asked for.
func (f *fixture) add(signers ...signer) []added {
	f.tb.Helper()
	ctx := context.Background()
	rows := make([]*store.Signature, len(signers))
	secrets := make([]uint64, len(signers))
	out := make([]added, len(signers))
	for i, s := range signers {
		f.n++
		email := fmt.Sprintf("signer-%d@mail.example", f.n)
		sig, secret, err := f.sign.Prepare(ctx, f.p, signing.Request{Input: signing.Input{Name: s.name, Email: email,
			Country: s.country, City: s.city, IncludeInLetters: s.named}, Lang: "en", Source: "web"})
		if err != nil {
			f.tb.Fatalf("prepare %+v: %v", s, err)
		}
		if s.status != "" && s.status != store.StatusConfirmed {
			sig.Status, sig.ConfirmedAt = s.status, nil
		}
		rows[i], secrets[i], out[i].email = sig, secret, email
	}
	if _, err := f.db.InsertSignatures(ctx, rows); err != nil {
		f.tb.Fatal(err)
	}
	for i, r := range rows {
		out[i].id, out[i].code = r.ID, f.sign.ReceiptCode(r, secrets[i])
	}
	return out
}

// generate generates letters to codes (all when none) as an organizer.
func (f *fixture) generate(codes ...string) *letters.Batch {
	f.tb.Helper()
	b, err := f.svc.Generate(context.Background(), f.p, codes, letters.Actor{Name: "organizer@campaign.test"})
	if err != nil {
		f.tb.Fatalf("generate %v: %v", codes, err)
	}
	return b
}

// letter returns the letter to code in b.
func letterTo(tb testing.TB, b *letters.Batch, code string) *letters.Letter {
	tb.Helper()
	for _, l := range b.Letters {
		if l.Jurisdiction.Code == code {
			return l
		}
	}
	tb.Fatalf("no letter to %s among %d", code, len(b.Letters))
	return nil
}

// text is a letter's text, one block a line.
func text(l *letters.Letter) string {
	var s string
	for _, b := range l.Blocks {
		s += b.Text + "\n"
	}
	return s
}

// skipUnlessPDF skips a test while the PDF renderer is not written.
func skipUnlessPDF(t *testing.T, err error) {
	t.Helper()
	if errors.Is(err, pdf.ErrNotImplemented) {
		t.Skip("the PDF renderer is not implemented yet (internal/pdf returns ErrNotImplemented)")
	}
}
