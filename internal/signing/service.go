// Package signing takes signatures in: it validates them, seals the
// personal fields, writes them through the group-commit writer and keeps the
// in-memory counters that pages show.
package signing

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
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
	keys        *Keyring // data keys; nil seals with the vault's own field key
	writer      Writer
	counter     *Counter
	validator   *Validator
	tags        *TagKeys
	mail        MailSealer
	confirmTTL  time.Duration
	notify      func() // wakes the mail worker after a commit that queued mail
	now         func() time.Time
	verifyEmail bool
}

// NewService wires the intake. With verifyEmail, new signatures are pending
// until the signer confirms by email and do not count until then.
func NewService(v *vault.Vault, w Writer, c *Counter, verifyEmail bool, now func() time.Time) *Service {
	return &Service{vault: v, writer: w, counter: c, validator: NewValidator(), now: now, verifyEmail: verifyEmail,
		confirmTTL: 7 * 24 * time.Hour, notify: func() {}}
}

// WithKeyring makes the service seal new signatures under their
// petition's data key from k (envelope encryption, see vault.WrapDataKey)
// and open rows sealed that way. Without it, new rows are sealed with the
// vault's own field key, as rows were before data keys.
func (s *Service) WithKeyring(k *Keyring) *Service {
	s.keys = k
	return s
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
	sig, secret, err := s.seal(ctx, p, req, now)
	if err != nil {
		return Receipt{}, err
	}
	var inserted bool
	err = s.counter.Change(func() (err error) {
		inserted, err = s.writer.Write(ctx, sig)
		if err == nil && inserted && sig.Status == store.StatusConfirmed {
			s.counter.Add(p.ID, sig.Country, 1)
		}
		return err
	})
	if err != nil {
		if errors.Is(err, ErrWriterClosed) {
			return Receipt{}, fmt.Errorf("store signature: %w", err)
		}
		return Receipt{}, fmt.Errorf("store signature: %w: %w", ErrNotRecorded, err)
	}
	if sig.FirstMail != nil || sig.RepeatMail != nil {
		s.notify()
	}
	if !inserted {
		// A repeat gets the same answer as a first signature: a code that
		// looks like any other but opens no signature, so it cannot be used
		// to withdraw the earlier one.
		code, err := vault.NewReceiptCode()
		if err != nil {
			return Receipt{}, fmt.Errorf("make receipt code: %w", err)
		}
		return Receipt{Status: sig.Status, Code: code}, nil
	}
	return Receipt{Status: sig.Status, Code: s.vault.ReceiptCode(sig.ID, secret)}, nil
}

// ErrNoSuchReceipt is returned for a receipt code that opens no signature.
var ErrNoSuchReceipt = errors.New("signing: no signature has this receipt code")

// FindByReceipt returns the signature a receipt code was given for. Codes
// that are malformed, point to no row or carry the wrong secret all give
// ErrNoSuchReceipt, so the answer reveals nothing about other signatures.
func (s *Service) FindByReceipt(ctx context.Context, st ReceiptStore, code string) (*store.Signature, error) {
	id, secret, ok := s.vault.OpenReceiptCode(code)
	if !ok {
		return nil, ErrNoSuchReceipt
	}
	sig, err := st.FindSignatureByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoSuchReceipt
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(sig.ReceiptHash, s.vault.ReceiptSecretHash(secret)) != 1 {
		return nil, ErrNoSuchReceipt
	}
	return sig, nil
}

// ReceiptStore finds signatures by id.
type ReceiptStore interface {
	FindSignatureByID(ctx context.Context, id int64) (*store.Signature, error)
}

// seal turns a validated request into a row with its personal fields
// encrypted, and returns the receipt secret whose hash the row carries.
func (s *Service) seal(ctx context.Context, p *store.Petition, req Request, now time.Time) (*store.Signature, uint64, error) {
	sig, secret, err := s.sealRow(ctx, p, req, s.vault.EmailHash(req.Email), now)
	if err != nil {
		return nil, 0, err
	}
	sig.EmailDomainHash = s.vault.EmailDomainHash(req.Email)
	if s.verifyEmail {
		sig.Status = store.StatusPending
		if err := s.queueMails(sig, p, req, now); err != nil {
			return nil, 0, err
		}
	} else {
		sig.ConfirmedAt = &now
	}
	if req.Client.IsValid() && s.tags != nil {
		if sig.ClientTag, err = s.tags.Tag(ctx, req.Client, now); err != nil {
			return nil, 0, err
		}
	}
	return sig, secret, nil
}

// sealRow builds a confirmed row under emailHash with a fresh receipt
// secret and the personal fields of req encrypted; the caller decides
// status, mails and the domain hash.
func (s *Service) sealRow(ctx context.Context, p *store.Petition, req Request, emailHash []byte, now time.Time) (*store.Signature, uint64, error) {
	secret, err := vault.NewReceiptSecret()
	if err != nil {
		return nil, 0, err
	}
	sealer, keyID, err := s.sealer(ctx, p.ID)
	if err != nil {
		return nil, 0, err
	}
	sig := &store.Signature{
		PetitionID:       p.ID,
		EmailHash:        emailHash,
		ReceiptHash:      s.vault.ReceiptSecretHash(secret),
		Status:           store.StatusConfirmed,
		Country:          req.Country,
		Public:           req.Public,
		IncludeInLetters: req.IncludeInLetters,
		Updates:          req.Updates,
		Lang:             req.Lang,
		Source:           req.Source,
		SignedAt:         now,
		KeyID:            keyID,
	}
	if err := sealFields(sealer, sig, req.Input); err != nil {
		return nil, 0, err
	}
	return sig, secret, nil
}

// fieldSealer seals one field (*vault.DataKey, *vault.Vault).
type fieldSealer interface {
	Seal(plaintext, aad []byte) ([]byte, error)
}

// sealer is what seals the fields of a new row of petition petitionID, and
// the key id to record with them (nil: the vault's own field key).
func (s *Service) sealer(ctx context.Context, petitionID int64) (fieldSealer, *int64, error) {
	if s.keys == nil {
		return s.vault, nil, nil
	}
	id, dk, err := s.keys.SealingKey(ctx, petitionID)
	if err != nil {
		return nil, nil, err
	}
	return dk, &id, nil
}

// sealFields seals the personal fields of in into sig (whose PetitionID
// and EmailHash must be set) with sealer.
func sealFields(sealer fieldSealer, sig *store.Signature, in Input) error {
	fields := []struct {
		dst   *[]byte
		name  string
		value string
	}{
		{&sig.NameEnc, "name", in.Name},
		{&sig.EmailEnc, "email", in.Email},
		{&sig.CityEnc, "city", in.City},
		{&sig.CommentEnc, "comment", in.Comment},
	}
	for _, f := range fields {
		sealed, err := sealer.Seal([]byte(f.value), FieldAAD(sig.PetitionID, sig.EmailHash, f.name))
		if err != nil {
			return fmt.Errorf("seal %s: %w", f.name, err)
		}
		*f.dst = sealed
	}
	return nil
}

// FieldAAD binds a sealed field to its petition, its signer and its column,
// so a ciphertext copied into another row or column does not decrypt.
func FieldAAD(petitionID int64, emailHash []byte, field string) []byte {
	// Built by hand, not with fmt: exports and letters call this for every
	// field of every row (same bytes as "sig/%d/%x/%s").
	b := make([]byte, 0, 4+20+1+2*len(emailHash)+1+len(field))
	b = append(b, "sig/"...)
	b = strconv.AppendInt(b, petitionID, 10)
	b = append(b, '/')
	b = hex.AppendEncode(b, emailHash)
	b = append(b, '/')
	return append(b, field...)
}

// Open decrypts the personal fields of a stored signature, sealed with its
// data key or, for rows without one, the vault's own field key. For a row
// whose data key was destroyed (campaign shred) it returns the fields that
// are not personal (country, choices) with an error matching
// vault.ErrKeyDestroyed: the personal ones are erased.
func (s *Service) Open(sig *store.Signature) (Input, error) {
	in := Input{Country: sig.Country, Public: sig.Public, IncludeInLetters: sig.IncludeInLetters, Updates: sig.Updates}
	var opener interface {
		Open(sealed, aad []byte) ([]byte, error)
	} = s.vault
	if sig.KeyID != nil && hasSealed(sig) {
		if s.keys == nil {
			return Input{}, fmt.Errorf("open signature %d: sealed with data key %d, and no keyring", sig.ID, *sig.KeyID)
		}
		dk, err := s.keys.Key(context.Background(), *sig.KeyID)
		if errors.Is(err, vault.ErrKeyDestroyed) {
			return in, fmt.Errorf("open signature %d: %w", sig.ID, err)
		}
		if err != nil {
			return Input{}, fmt.Errorf("open signature %d: %w", sig.ID, err)
		}
		opener = dk
	}
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
		b, err := opener.Open(f.src, FieldAAD(sig.PetitionID, sig.EmailHash, f.name))
		if err != nil {
			return Input{}, fmt.Errorf("open %s of signature %d: %w", f.name, sig.ID, err)
		}
		*f.dst = string(b)
	}
	return in, nil
}

// hasSealed reports whether any personal field of sig is still stored.
func hasSealed(sig *store.Signature) bool {
	return len(sig.NameEnc) > 0 || len(sig.EmailEnc) > 0 || len(sig.CityEnc) > 0 || len(sig.CommentEnc) > 0
}

// VerifiesEmail reports whether new signatures wait for email confirmation.
func (s *Service) VerifiesEmail() bool { return s.verifyEmail }

// Prepare validates req and seals it into a row without writing it, for
// bulk paths (paper import, seeding) that batch their own inserts. Once the
// row is stored (and has its id), ReceiptCode(row, secret) gives its code.
func (s *Service) Prepare(ctx context.Context, p *store.Petition, req Request) (*store.Signature, uint64, error) {
	if err := s.validator.Check(&req.Input); err != nil {
		return nil, 0, err
	}
	return s.seal(ctx, p, req, s.now().UTC())
}

// ReceiptCode is the code for a stored row prepared with Prepare.
func (s *Service) ReceiptCode(sig *store.Signature, secret uint64) string {
	return s.vault.ReceiptCode(sig.ID, secret)
}

// WithClientTags makes the service tag each signature with a daily-keyed
// hash of the client's network (see TagKeys).
func (s *Service) WithClientTags(t *TagKeys) *Service {
	s.tags = t
	return s
}
