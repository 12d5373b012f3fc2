package mail

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

// payloadAAD binds sealed payloads to the outbox, so a sealed signer field
// copied into an outbox row does not open as a payload, nor the reverse.
var payloadAAD = []byte("outbox")

// Payload is everything needed to write one mail. It is stored sealed in the
// outbox row (see SealPayload), so the outbox holds nothing in clear.
type Payload struct {
	Kind          string `json:"kind"`            // store.MailConfirm or store.MailAlreadySigned
	To            string `json:"to"`              // the signer's address
	Lang          string `json:"lang"`            // the signer's language; English when unknown
	Token         string `json:"token,omitempty"` // the confirmation token (confirm kind)
	PetitionSlug  string `json:"slug"`
	PetitionTitle string `json:"title"`
}

// ErrPayload is returned by OpenPayload for a payload that does not
// decrypt or decode: wrong key, tampered or truncated bytes.
var ErrPayload = errors.New("mail: outbox payload cannot be opened")

// SealPayload encodes p and encrypts it with v for an outbox row.
func SealPayload(v *vault.Vault, p Payload) ([]byte, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("mail: encode payload: %w", err)
	}
	sealed, err := v.Seal(b, payloadAAD)
	if err != nil {
		return nil, fmt.Errorf("mail: seal payload: %w", err)
	}
	return sealed, nil
}

// OpenPayload reverses SealPayload. Anything that does not authenticate or
// decode returns ErrPayload; an erased (empty) payload does too, since
// there is nothing left to send.
func OpenPayload(v *vault.Vault, sealed []byte) (Payload, error) {
	if len(sealed) == 0 {
		return Payload{}, ErrPayload
	}
	b, err := v.Open(sealed, payloadAAD)
	if err != nil {
		return Payload{}, ErrPayload
	}
	var p Payload
	if err := json.Unmarshal(b, &p); err != nil {
		return Payload{}, ErrPayload
	}
	return p, nil
}

// Sealer seals outbox payloads for the signing intake (it implements
// signing.MailSealer).
type Sealer struct {
	Vault *vault.Vault
	// Titles, when set, gives a petition's title in a language ("" when it
	// has none there), so a mail that names the petition names it in the
	// signer's language.
	Titles func(slug, lang string) string
}

// SealMail seals one mail to a signer.
func (s Sealer) SealMail(kind, to, lang, token string, p *store.Petition) ([]byte, error) {
	title := p.Title
	if s.Titles != nil {
		if t := s.Titles(p.Slug, lang); t != "" {
			title = t
		}
	}
	return SealPayload(s.Vault, Payload{Kind: kind, To: to, Lang: lang, Token: token,
		PetitionSlug: p.Slug, PetitionTitle: title})
}
