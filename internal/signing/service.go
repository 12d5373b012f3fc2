// Package signing takes signatures in: it validates them, seals the
// personal fields, writes them through the group-commit writer and keeps the
// in-memory counters that pages show.
package signing

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

// ErrPetitionClosed is returned for a signature on a petition that does not
// accept signatures (closed, not yet open, or past its closing date).
var ErrPetitionClosed = errors.New("signing: the petition is closed")

// Request is one signature with what the server knows about its origin.
type Request struct {
	Input
	Lang   string     // language the signer used
	Source string     // web, api, paper
	Client netip.Addr // used only to derive a daily client tag; never stored
}

// Receipt is what a signer is told after signing. Status and Code look the
// same whether the address signed before or not, so the answer reveals
// nothing about who has signed.
type Receipt struct {
	Status string // confirmed or pending
	Code   string // receipt code for withdrawing later
}

// Service accepts signatures.
type Service struct {
	vault       *vault.Vault
	writer      Writer
	counter     *Counter
	validator   *Validator
	now         func() time.Time
	verifyEmail bool
}

// NewService wires the intake. With verifyEmail, new signatures are pending
// until the signer confirms by email and do not count until then.
func NewService(v *vault.Vault, w Writer, c *Counter, verifyEmail bool, now func() time.Time) *Service {
	return &Service{vault: v, writer: w, counter: c, validator: NewValidator(), now: now, verifyEmail: verifyEmail}
}

// Validate checks in without signing; forms use it to show every error at once.
func (s *Service) Validate(in *Input) error { return s.validator.Check(in) }

// Sign validates req, seals it and waits until it is durably stored.
func (s *Service) Sign(ctx context.Context, p *store.Petition, req Request) (Receipt, error) {
	now := s.now().UTC()
	if !p.IsOpenAt(now) {
		return Receipt{}, ErrPetitionClosed
	}
	if err := s.validator.Check(&req.Input); err != nil {
		return Receipt{}, err
	}
	code, err := vault.NewReceiptCode()
	if err != nil {
		return Receipt{}, fmt.Errorf("make receipt code: %w", err)
	}
	sig, err := s.seal(p, req, code, now)
	if err != nil {
		return Receipt{}, err
	}
	inserted, err := s.writer.Write(ctx, sig)
	if err != nil {
		return Receipt{}, fmt.Errorf("store signature: %w", err)
	}
	if inserted && sig.Status == store.StatusConfirmed {
		s.counter.Add(p.ID, sig.Country, 1)
	}
	// A repeat gets the same answer as a first signature; its code is never
	// stored, so it cannot be used to withdraw the earlier one.
	return Receipt{Status: sig.Status, Code: code}, nil
}

func (s *Service) seal(p *store.Petition, req Request, code string, now time.Time) (*store.Signature, error) {
	emailHash := s.vault.EmailHash(req.Email)
	sig := &store.Signature{
		PetitionID:       p.ID,
		EmailHash:        emailHash,
		ReceiptHash:      s.vault.ReceiptHash(code),
		Status:           store.StatusConfirmed,
		Country:          req.Country,
		Public:           req.Public,
		IncludeInLetters: req.IncludeInLetters,
		Updates:          req.Updates,
		Lang:             req.Lang,
		Source:           req.Source,
		SignedAt:         now,
	}
	if s.verifyEmail {
		sig.Status = store.StatusPending
	} else {
		sig.ConfirmedAt = &now
	}
	if req.Client.IsValid() {
		sig.ClientTag = s.vault.ClientTag(req.Client, now)
	}
	fields := []struct {
		dst   *[]byte
		name  string
		value string
	}{
		{&sig.NameEnc, "name", req.Name},
		{&sig.EmailEnc, "email", req.Email},
		{&sig.CityEnc, "city", req.City},
		{&sig.CommentEnc, "comment", req.Comment},
	}
	for _, f := range fields {
		sealed, err := s.vault.Seal([]byte(f.value), FieldAAD(p.ID, emailHash, f.name))
		if err != nil {
			return nil, fmt.Errorf("seal %s: %w", f.name, err)
		}
		*f.dst = sealed
	}
	return sig, nil
}

// FieldAAD binds a sealed field to its petition, its signer and its column,
// so a ciphertext copied into another row or column does not decrypt.
func FieldAAD(petitionID int64, emailHash []byte, field string) []byte {
	return fmt.Appendf(nil, "sig/%d/%x/%s", petitionID, emailHash, field)
}

// Open decrypts the personal fields of a stored signature.
func (s *Service) Open(sig *store.Signature) (Input, error) {
	in := Input{Country: sig.Country, Public: sig.Public, IncludeInLetters: sig.IncludeInLetters, Updates: sig.Updates}
	for _, f := range []struct {
		dst  *string
		name string
		src  []byte
	}{
		{&in.Name, "name", sig.NameEnc},
		{&in.Email, "email", sig.EmailEnc},
		{&in.City, "city", sig.CityEnc},
		{&in.Comment, "comment", sig.CommentEnc},
	} {
		b, err := s.vault.Open(f.src, FieldAAD(sig.PetitionID, sig.EmailHash, f.name))
		if err != nil {
			return Input{}, fmt.Errorf("open %s of signature %d: %w", f.name, sig.ID, err)
		}
		*f.dst = string(b)
	}
	return in, nil
}

// VerifiesEmail reports whether new signatures wait for email confirmation.
func (s *Service) VerifiesEmail() bool { return s.verifyEmail }

// Prepare validates req and seals it into a row without writing it, for
// bulk paths (paper import, seeding) that batch their own inserts. It
// returns the row and the receipt code whose hash the row carries.
func (s *Service) Prepare(p *store.Petition, req Request) (*store.Signature, string, error) {
	if err := s.validator.Check(&req.Input); err != nil {
		return nil, "", err
	}
	code, err := vault.NewReceiptCode()
	if err != nil {
		return nil, "", fmt.Errorf("make receipt code: %w", err)
	}
	sig, err := s.seal(p, req, code, s.now().UTC())
	return sig, code, err
}
