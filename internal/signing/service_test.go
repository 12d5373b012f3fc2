package signing_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"net/netip"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

const testKey = "6b1e0c3f9a7d2e4b8c5f1a0d3e6b9c2f5a8d1e4b7c0f3a6d9e2b5c8f1a4d7e0b"

// receiptPattern is the shape of a receipt code shown to a signer.
var receiptPattern = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$`)

// intake is the signing service over a real database and batch writer.
type intake struct {
	db      *store.DB
	dbPath  string
	clock   *testutil.Clock
	vault   *vault.Vault
	counter *signing.Counter
	svc     *signing.Service
	p       *store.Petition
}

func newIntake(t *testing.T, verifyEmail bool) *intake {
	t.Helper()
	db, path := testutil.NewDBFile(t)
	key, _ := hex.DecodeString(testKey)
	v, err := vault.New(key)
	if err != nil {
		t.Fatal(err)
	}
	clock := testutil.NewClock()
	w := signing.NewBatchWriter(db, 16, nil)
	t.Cleanup(func() { _ = w.Close(context.Background()) })
	counter := signing.NewCounter(clock.Now)
	return &intake{
		db: db, dbPath: path, clock: clock, vault: v, counter: counter,
		svc: signing.NewService(v, w, counter, verifyEmail, clock.Now).WithClientTags(signing.NewTagKeys(db, v)),
		p:   testutil.MustCreatePetition(t, db, store.Petition{Slug: "free-them"}),
	}
}

func sokha() signing.Request {
	return signing.Request{
		Input: signing.Input{
			Name: "Sokha Chanthavy", Email: "sokha.chanthavy@example.org", Country: "kh",
			City: "Battambang", Comment: "For my brother.\nHe is still held.",
			Public: true, IncludeInLetters: true,
		},
		Lang: "km", Source: "web", Client: netip.MustParseAddr("203.0.113.7"),
	}
}

// stored returns the signature row of email on the intake's petition.
func (in *intake) stored(t *testing.T, email string) *store.Signature {
	t.Helper()
	sig, err := in.db.FindSignatureByEmail(context.Background(), in.p.ID, in.vault.EmailHash(email))
	if err != nil {
		t.Fatalf("find the signature of %s: %v", email, err)
	}
	return sig
}

// rowCount returns how many signatures the database holds, in any status.
func (in *intake) rowCount(t *testing.T) int64 {
	t.Helper()
	rows, err := in.db.CountSignatures(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, r := range rows {
		n += r.N
	}
	return n
}

func TestSignStoresSignature(t *testing.T) {
	tests := []struct {
		verifyEmail bool
		wantStatus  string
		wantCount   int64
	}{
		{false, store.StatusConfirmed, 1},
		{true, store.StatusPending, 0},
	}
	for _, tt := range tests {
		t.Run(tt.wantStatus, func(t *testing.T) {
			in := newIntake(t, tt.verifyEmail)
			req := sokha()
			rc, err := in.svc.Sign(context.Background(), in.p, req)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			if rc.Status != tt.wantStatus {
				t.Errorf("receipt status %q, want %q", rc.Status, tt.wantStatus)
			}
			if !receiptPattern.MatchString(rc.Code) {
				t.Errorf("receipt code %q is not four groups of four Crockford characters", rc.Code)
			}
			if got := in.counter.Total(in.p.ID); got != tt.wantCount {
				t.Errorf("counter shows %d signatures, want %d", got, tt.wantCount)
			}
			if got := in.counter.Get(in.p.ID).ByCountry["KH"]; got != tt.wantCount {
				t.Errorf("counter shows %d signatures from KH, want %d", got, tt.wantCount)
			}

			sig := in.stored(t, req.Email)
			if sig.Status != tt.wantStatus {
				t.Errorf("stored status %q, want %q", sig.Status, tt.wantStatus)
			}
			if confirmed := sig.ConfirmedAt != nil; confirmed != !tt.verifyEmail {
				t.Errorf("stored confirmed_at %v, want set only without email verification", sig.ConfirmedAt)
			}
			if !sig.SignedAt.Equal(in.clock.Now()) {
				t.Errorf("signed at %v, want the clock's %v", sig.SignedAt, in.clock.Now())
			}
			if sig.Country != "KH" || sig.Lang != "km" || sig.Source != "web" || !sig.Public || !sig.IncludeInLetters || sig.Updates {
				t.Errorf("stored country %q lang %q source %q public %v letters %v updates %v, want KH km web true true false",
					sig.Country, sig.Lang, sig.Source, sig.Public, sig.IncludeInLetters, sig.Updates)
			}
			if found, err := in.svc.FindByReceipt(context.Background(), in.db, rc.Code); err != nil || found.ID != sig.ID {
				t.Errorf("receipt code %q finds %v (err %v), want the stored signature %d", rc.Code, found, err, sig.ID)
			}
			if len(sig.ClientTag) == 0 {
				t.Errorf("no client tag stored for a signature with a client address")
			}
		})
	}
}

func TestSignEncryptsPersonalFields(t *testing.T) {
	in := newIntake(t, false)
	req := sokha()
	if _, err := in.svc.Sign(context.Background(), in.p, req); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	sig := in.stored(t, req.Email)
	for _, f := range []struct {
		column string
		raw    []byte
		clear  string
	}{
		{"name_enc", sig.NameEnc, req.Name},
		{"email_enc", sig.EmailEnc, req.Email},
		{"city_enc", sig.CityEnc, req.City},
		{"comment_enc", sig.CommentEnc, "For my brother."},
	} {
		if len(f.raw) == 0 || bytes.Contains(f.raw, []byte(f.clear)) {
			t.Errorf("%s holds %q, want ciphertext not containing %q", f.column, f.raw, f.clear)
		}
	}
	// A stolen copy of the database files must not reveal the signer.
	for _, file := range []string{in.dbPath, in.dbPath + "-wal"} {
		b, err := os.ReadFile(file)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"Sokha", "chanthavy", "Battambang", "brother", "203.0.113.7"} {
			if bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(secret))) {
				t.Errorf("database file %s contains %q in clear", file, secret)
			}
		}
	}

	got, err := in.svc.Open(sig)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	want := signing.Input{
		Name: "Sokha Chanthavy", Email: "sokha.chanthavy@example.org", Country: "KH", City: "Battambang",
		Comment: "For my brother.\nHe is still held.", Public: true, IncludeInLetters: true,
	}
	if got != want {
		t.Errorf("Open gave\n%#v\nwant\n%#v", got, want)
	}
}

func TestSignOptionalFieldsStayEmpty(t *testing.T) {
	in := newIntake(t, false)
	req := sokha()
	req.City, req.Comment = "", ""
	if _, err := in.svc.Sign(context.Background(), in.p, req); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	got, err := in.svc.Open(in.stored(t, req.Email))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if got.City != "" || got.Comment != "" || got.Name != req.Name {
		t.Errorf("Open gave city %q comment %q name %q, want empty, empty, %q", got.City, got.Comment, got.Name, req.Name)
	}
}

func TestSignDuplicate(t *testing.T) {
	repeats := []string{
		"SOKHA.CHANTHAVY@EXAMPLE.ORG",
		"sokha.chanthavy+petition@example.org",
		"  Sokha.Chanthavy+again@Example.org  ",
	}
	for _, verify := range []bool{false, true} {
		name := map[bool]string{false: "confirmed", true: "pending"}[verify]
		t.Run(name, func(t *testing.T) {
			in := newIntake(t, verify)
			ctx := context.Background()
			first, err := in.svc.Sign(ctx, in.p, sokha())
			if err != nil {
				t.Fatalf("first Sign: %v", err)
			}
			before := in.counter.Get(in.p.ID)
			for _, email := range repeats {
				req := sokha()
				req.Email, req.Name, req.Country = email, "Someone Else", "FR"
				again, err := in.svc.Sign(ctx, in.p, req)
				if err != nil {
					t.Fatalf("repeat Sign with %q: %v, want the same answer as a first signature", email, err)
				}
				if again.Status != first.Status {
					t.Errorf("repeat with %q: status %q, want %q as for the first signature", email, again.Status, first.Status)
				}
				if !receiptPattern.MatchString(again.Code) || again.Code == first.Code {
					t.Errorf("repeat with %q: code %q, want a fresh code shaped like %q", email, again.Code, first.Code)
				}
				// The repeat's code must not withdraw the earlier signature.
				if _, err := in.svc.FindByReceipt(ctx, in.db, again.Code); !errors.Is(err, signing.ErrNoSuchReceipt) {
					t.Errorf("repeat with %q: its receipt code finds a signature (err %v), want ErrNoSuchReceipt", email, err)
				}
			}
			if n := in.rowCount(t); n != 1 {
				t.Errorf("%d signatures stored after repeats, want 1", n)
			}
			if after := in.counter.Get(in.p.ID); after.Total != before.Total || after.Version != before.Version {
				t.Errorf("counter moved on repeats: total %d version %d, was %d version %d", after.Total, after.Version, before.Total, before.Version)
			}
			got, err := in.svc.Open(in.stored(t, "sokha.chanthavy@example.org"))
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != "Sokha Chanthavy" || got.Country != "KH" {
				t.Errorf("stored signature now reads %q from %s, want the first one kept (Sokha Chanthavy, KH)", got.Name, got.Country)
			}
		})
	}
}

func TestSignSamePersonOnTwoPetitions(t *testing.T) {
	in := newIntake(t, false)
	other := testutil.MustCreatePetition(t, in.db, store.Petition{Slug: "second-petition"})
	for _, p := range []*store.Petition{in.p, other} {
		if _, err := in.svc.Sign(context.Background(), p, sokha()); err != nil {
			t.Fatalf("Sign %s: %v", p.Slug, err)
		}
		if got := in.counter.Total(p.ID); got != 1 {
			t.Errorf("petition %s counts %d, want 1: one email may sign each petition once", p.Slug, got)
		}
	}
}

func TestSignClosedPetition(t *testing.T) {
	now := testutil.NewClock().Now()
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	tests := []struct {
		name     string
		p        store.Petition
		wantOpen bool
	}{
		{"status closed", store.Petition{Status: store.PetitionClosed}, false},
		{"closed an hour ago", store.Petition{ClosesAt: at(-time.Hour)}, false},
		{"closes exactly now", store.Petition{ClosesAt: at(0)}, false},
		{"opens in an hour", store.Petition{OpensAt: at(time.Hour)}, false},
		{"closed status inside its dates", store.Petition{Status: store.PetitionClosed, OpensAt: at(-time.Hour), ClosesAt: at(time.Hour)}, false},
		{"inside its dates", store.Petition{OpensAt: at(-time.Hour), ClosesAt: at(time.Hour)}, true},
		{"opens exactly now", store.Petition{OpensAt: at(0)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newIntake(t, false)
			tt.p.Slug = "dated"
			p := testutil.MustCreatePetition(t, in.db, tt.p)
			_, err := in.svc.Sign(context.Background(), p, sokha())
			if tt.wantOpen {
				if err != nil {
					t.Fatalf("Sign: %v, want accepted", err)
				}
				return
			}
			if !errors.Is(err, signing.ErrPetitionClosed) {
				t.Fatalf("Sign: %v, want ErrPetitionClosed", err)
			}
			if n := in.rowCount(t); n != 0 || in.counter.Total(p.ID) != 0 {
				t.Errorf("closed petition stored %d signatures and counts %d, want none", n, in.counter.Total(p.ID))
			}
		})
	}
}

func TestSignStopsWhenTheClockPassesClosesAt(t *testing.T) {
	in := newIntake(t, false)
	closes := in.clock.Now().Add(time.Hour)
	p := testutil.MustCreatePetition(t, in.db, store.Petition{Slug: "closing-soon", ClosesAt: &closes})
	if _, err := in.svc.Sign(context.Background(), p, sokha()); err != nil {
		t.Fatalf("Sign before closing: %v", err)
	}
	in.clock.Advance(2 * time.Hour)
	req := sokha()
	req.Email = "late@example.org"
	if _, err := in.svc.Sign(context.Background(), p, req); !errors.Is(err, signing.ErrPetitionClosed) {
		t.Errorf("Sign after closing: %v, want ErrPetitionClosed", err)
	}
	if got := in.counter.Total(p.ID); got != 1 {
		t.Errorf("counter %d after a late signature, want 1", got)
	}
}

func TestSignInvalidInputStoresNothing(t *testing.T) {
	in := newIntake(t, false)
	req := sokha()
	req.Email = "not-an-email"
	_, err := in.svc.Sign(context.Background(), in.p, req)
	ve, ok := signing.AsValidation(err)
	if !ok || ve.Fields["email"] != "email.email" {
		t.Fatalf("Sign with a bad email: %v, want a validation error with email.email", err)
	}
	if n := in.rowCount(t); n != 0 {
		t.Errorf("%d signatures stored for invalid input, want 0", n)
	}
}

func TestSealedFieldsAreBoundToTheirPlace(t *testing.T) {
	in := newIntake(t, false)
	ctx := context.Background()
	other := testutil.MustCreatePetition(t, in.db, store.Petition{Slug: "other-petition"})
	if _, err := in.svc.Sign(ctx, in.p, sokha()); err != nil {
		t.Fatal(err)
	}
	neighbour := sokha()
	neighbour.Email = "neighbour@example.org"
	if _, err := in.svc.Sign(ctx, in.p, neighbour); err != nil {
		t.Fatal(err)
	}
	orig := in.stored(t, sokha().Email)
	if _, err := in.svc.Open(orig); err != nil {
		t.Fatalf("Open the untouched row: %v", err)
	}
	tests := []struct {
		name string
		move func(s *store.Signature)
	}{
		{"name into the city column", func(s *store.Signature) { s.CityEnc = s.NameEnc }},
		{"email into the name column", func(s *store.Signature) { s.NameEnc = s.EmailEnc }},
		{"row moved to another petition", func(s *store.Signature) { s.PetitionID = other.ID }},
		{"name into another signer's row", func(s *store.Signature) {
			n := in.stored(t, neighbour.Email)
			n.NameEnc = s.NameEnc
			*s = *n
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			moved := *orig
			tt.move(&moved)
			if got, err := in.svc.Open(&moved); !errors.Is(err, vault.ErrDecrypt) {
				t.Errorf("Open after moving %s = %#v, %v; want vault.ErrDecrypt", tt.name, got, err)
			}
		})
	}

	aad := signing.FieldAAD(in.p.ID, orig.EmailHash, "name")
	if b, err := in.vault.Open(orig.NameEnc, aad); err != nil || string(b) != "Sokha Chanthavy" {
		t.Errorf("vault.Open with the name's own AAD = %q, %v; want the name", b, err)
	}
	for _, wrong := range [][]byte{
		signing.FieldAAD(in.p.ID, orig.EmailHash, "city"),
		signing.FieldAAD(other.ID, orig.EmailHash, "name"),
		signing.FieldAAD(in.p.ID, in.vault.EmailHash("neighbour@example.org"), "name"),
	} {
		if _, err := in.vault.Open(orig.NameEnc, wrong); !errors.Is(err, vault.ErrDecrypt) {
			t.Errorf("vault.Open with AAD %q: %v, want ErrDecrypt", wrong, err)
		}
	}
}

func TestFieldAADFormatIsStable(t *testing.T) {
	// Stored ciphertexts are bound to these exact bytes: changing them would
	// make every sealed field unreadable.
	got := string(signing.FieldAAD(42, []byte{0xab, 0x01}, "name"))
	if want := "sig/42/ab01/name"; got != want {
		t.Errorf("FieldAAD = %q, want %q", got, want)
	}
}
