package signing

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/cambodia-sanctions/campaign/internal/store"
)

// SourcePaper is the source recorded for signatures collected on paper and
// imported from a file.
const SourcePaper = "paper"

// PreparePaper validates req with the web form's rules, except that the
// email may be empty (many people sign on paper without one), and seals it
// into a confirmed row signed now, recorded as source "paper" and queuing no
// mail; the caller may change its status and times before storing it. A
// row without email gets a random email hash that no address can produce,
// so several such rows fit the unique index on (petition, email hash) and
// none ever matches a signer who later signs online.
func (s *Service) PreparePaper(p *store.Petition, req Request) (*store.Signature, error) {
	if err := s.checkPaper(&req.Input); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	req.Source = SourcePaper
	emailHash, domainHash := []byte(nil), []byte(nil)
	if req.Email == "" {
		var err error
		if emailHash, err = s.paperEmailHash(); err != nil {
			return nil, err
		}
	} else {
		emailHash, domainHash = s.vault.EmailHash(req.Email), s.vault.EmailDomainHash(req.Email)
	}
	// Paper rows are prepared in bulk without a context; the store is
	// reached only the first time the petition needs a data key.
	sig, _, err := s.sealRow(context.Background(), p, req, emailHash, now)
	if err != nil {
		return nil, err
	}
	sig.EmailDomainHash = domainHash
	sig.ConfirmedAt = &now
	return sig, nil
}

// checkPaper is Validator.Check with the email optional: an empty address
// is accepted, any other is held to the usual rules.
func (s *Service) checkPaper(in *Input) error {
	err := s.validator.Check(in)
	ve, ok := AsValidation(err)
	if !ok || in.Email != "" {
		return err
	}
	delete(ve.Fields, "email")
	if len(ve.Fields) == 0 {
		return nil
	}
	return ve
}

// paperEmailHash is the email hash of a row without an address: the keyed
// hash of a random token that has no '@', so it can never equal the hash of
// an address the validator accepts.
func (s *Service) paperEmailHash() ([]byte, error) {
	token := make([]byte, 16)
	if _, err := rand.Read(token); err != nil {
		return nil, fmt.Errorf("paper email hash: %w", err)
	}
	return s.vault.EmailHash("paper:" + hex.EncodeToString(token)), nil
}
