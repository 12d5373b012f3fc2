package signing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

// MailSealer seals the outbox payload of one mail to a signer, so the
// outbox never holds an address or a token in clear.
type MailSealer interface {
	SealMail(kind, to, lang, token string, p *store.Petition) ([]byte, error)
}

// WithEmail turns on email confirmation: new signatures are pending, each
// gets a confirmation mail with a token valid for ttl, and notify wakes the
// mail worker after a commit that queued mail.
func (s *Service) WithEmail(m MailSealer, ttl time.Duration, notify func()) *Service {
	s.verifyEmail, s.mail, s.confirmTTL, s.notify = true, m, ttl, notify
	return s
}

// queueMails attaches the mails a signature may cause: a confirmation if it
// is new; a fresh confirmation (pending) or an "already signed" note
// (confirmed) if the address had signed before. The store picks one in the
// same transaction as the insert and applies the per-address cap.
func (s *Service) queueMails(sig *store.Signature, p *store.Petition, req Request, now time.Time) error {
	if s.mail == nil {
		return nil
	}
	first, hash, err := s.confirmMail(p, req.Email, req.Lang)
	if err != nil {
		return err
	}
	expires := now.Add(s.confirmTTL)
	sig.ConfirmHash, sig.ConfirmExpiresAt, sig.FirstMail = hash, &expires, &first
	again, againHash, err := s.confirmMail(p, req.Email, req.Lang)
	if err != nil {
		return err
	}
	already, err := s.mail.SealMail(store.MailAlreadySigned, req.Email, req.Lang, "", p)
	if err != nil {
		return fmt.Errorf("seal mail: %w", err)
	}
	sig.RepeatMail = &store.RepeatMail{Confirm: again, ConfirmHash: againHash, ConfirmExpiresAt: expires,
		AlreadySigned: store.QueuedMail{Kind: store.MailAlreadySigned, PayloadEnc: already}}
	return nil
}

// confirmMail makes a confirmation token and its sealed mail.
func (s *Service) confirmMail(p *store.Petition, to, lang string) (store.QueuedMail, []byte, error) {
	token, err := vault.NewToken()
	if err != nil {
		return store.QueuedMail{}, nil, err
	}
	sealed, err := s.mail.SealMail(store.MailConfirm, to, lang, token, p)
	if err != nil {
		return store.QueuedMail{}, nil, fmt.Errorf("seal mail: %w", err)
	}
	return store.QueuedMail{Kind: store.MailConfirm, PayloadEnc: sealed}, s.vault.TokenHash(token), nil
}

// Errors of the confirmation flow. Pages show the same neutral text for a
// token that never existed and one already used.
var (
	ErrNoSuchToken  = errors.New("signing: unknown or used confirmation link")
	ErrTokenExpired = errors.New("signing: confirmation link expired")
)

// ConfirmStore is what confirmation and withdrawal need from the database.
type ConfirmStore interface {
	ReceiptStore
	FindSignatureByConfirmHash(ctx context.Context, hash []byte) (*store.Signature, error)
	ConfirmSignature(ctx context.Context, id int64, at time.Time) (bool, error)
	RejectPendingSignature(ctx context.Context, id int64, at time.Time) (bool, error)
	RenewConfirmation(ctx context.Context, id int64, hash []byte, expires time.Time, mail store.QueuedMail) (bool, error)
	WithdrawSignature(ctx context.Context, id int64, at time.Time) (string, error)
	EraseExpiredEmails(ctx context.Context, cutoff time.Time) (int64, error)
}

// Pending returns the pending signature a confirmation token belongs to.
// An expired token still finds it (with ErrTokenExpired), so the page can
// offer a fresh mail and "it wasn't me" keeps working.
func (s *Service) Pending(ctx context.Context, st ConfirmStore, token string) (*store.Signature, error) {
	if token == "" {
		return nil, ErrNoSuchToken
	}
	sig, err := st.FindSignatureByConfirmHash(ctx, s.vault.TokenHash(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoSuchToken
	}
	if err != nil {
		return nil, err
	}
	if sig.Status != store.StatusPending {
		return nil, ErrNoSuchToken
	}
	if sig.ConfirmExpiresAt != nil && !s.now().Before(*sig.ConfirmExpiresAt) {
		return sig, ErrTokenExpired
	}
	return sig, nil
}

// Confirm confirms the signature of a token; it counts from now on.
func (s *Service) Confirm(ctx context.Context, st ConfirmStore, token string) (*store.Signature, error) {
	sig, err := s.Pending(ctx, st, token)
	if err != nil {
		return sig, err
	}
	err = s.counter.Change(func() error {
		changed, err := st.ConfirmSignature(ctx, sig.ID, s.now())
		if err == nil && changed {
			s.counter.Add(sig.PetitionID, sig.Country, 1)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return sig, nil
}

// NotMe handles "it wasn't me": the pending signature is removed with its
// personal data and the address gets no more mail for this petition.
func (s *Service) NotMe(ctx context.Context, st ConfirmStore, token string) error {
	sig, err := s.Pending(ctx, st, token)
	if err != nil && !errors.Is(err, ErrTokenExpired) {
		return err
	}
	_, err = st.RejectPendingSignature(ctx, sig.ID, s.now())
	return err
}

// Renew sends a fresh confirmation mail for an expired token, within the
// per-address mail cap. It reports whether a mail was queued.
func (s *Service) Renew(ctx context.Context, st ConfirmStore, token string, p *store.Petition, lang string) (bool, error) {
	sig, err := s.Pending(ctx, st, token)
	if err != nil && !errors.Is(err, ErrTokenExpired) {
		return false, err
	}
	if s.mail == nil {
		return false, nil
	}
	in, err := s.Open(sig)
	if err != nil {
		return false, err
	}
	mail, hash, err := s.confirmMail(p, in.Email, lang)
	if err != nil {
		return false, err
	}
	queued, err := st.RenewConfirmation(ctx, sig.ID, hash, s.now().Add(s.confirmTTL), mail)
	if queued {
		s.notify()
	}
	return queued, err
}

// Withdraw withdraws the signature a receipt code was given for and erases
// its personal data; a confirmed signature stops counting. Unknown or
// already used codes give ErrNoSuchReceipt.
func (s *Service) Withdraw(ctx context.Context, st ConfirmStore, code string) error {
	sig, err := s.FindByReceipt(ctx, st, code)
	if err != nil {
		return err
	}
	var previous string
	err = s.counter.Change(func() (err error) {
		previous, err = st.WithdrawSignature(ctx, sig.ID, s.now())
		if err == nil && previous == store.StatusConfirmed {
			s.counter.Add(sig.PetitionID, sig.Country, -1)
		}
		return err
	})
	if err != nil {
		return err
	}
	if previous == "" {
		return ErrNoSuchReceipt
	}
	return nil
}

// EraseExpiredEmails applies the email retention: the encrypted address of
// a confirmed signer who did not ask for updates goes after retention.
func (s *Service) EraseExpiredEmails(ctx context.Context, st ConfirmStore, retention time.Duration) (int64, error) {
	return st.EraseExpiredEmails(ctx, s.now().Add(-retention))
}
