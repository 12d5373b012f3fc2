// Package vault encrypts signer data at rest and computes the keyed hashes
// that let the campaign find duplicates, receipts and tokens without storing
// anything a leaked database copy could turn back into a person.
//
// Every purpose has its own subkey, derived from the campaign's secret key
// with HKDF-SHA256, so no key is ever used for two purposes.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of the campaign's secret key in bytes.
const KeySize = 32

// HKDF info labels, one per purpose. Changing one makes existing data
// unreadable or unmatchable, so they are versioned instead of edited.
const (
	infoFieldEncryption = "campaign/v1/field-encryption"
	infoEmailHash       = "campaign/v1/email-hash"
	infoReceiptHash     = "campaign/v1/receipt-hash"
	infoTokenHash       = "campaign/v1/token-hash"
	infoClientKey       = "campaign/v1/client-key"
	infoFormToken       = "campaign/v1/form-token"
	infoKeyEncryption   = "campaign/v1/key-encryption"    // wraps the data keys (keyring.go)
	infoKeyEncryptionID = "campaign/v1/key-encryption-id" // names that key in a wrapped data key
)

// Sealed field layout: version byte, nonce, then GCM ciphertext and tag.
const (
	formatVersion = 1
	nonceSize     = 12
	headerSize    = 1 + nonceSize
)

// ErrDecrypt is returned by Open for any input it cannot authenticate:
// wrong key, wrong associated data, truncated or tampered bytes.
var ErrDecrypt = errors.New("vault: cannot decrypt: wrong key or damaged data")

// Vault holds the purpose-specific subkeys derived from the campaign's secret
// key. It does not keep the secret itself. A Vault is safe for concurrent use;
// create one with New.
type Vault struct {
	aead       cipher.AEAD
	emailKey   []byte
	receiptKey []byte
	tokenKey   []byte
	clientKey  []byte
	formKey    []byte
	kek        cipher.AEAD     // wraps data keys
	kekID      [kekIDSize]byte // names kek in a wrapped data key
}

// New derives the subkeys for every purpose from secret, which must be
// exactly KeySize bytes.
func New(secret []byte) (*Vault, error) {
	if len(secret) != KeySize {
		return nil, fmt.Errorf("vault: secret key must be %d bytes, got %d", KeySize, len(secret))
	}
	v := &Vault{}
	var encKey, kekKey, kekID []byte
	subkeys := []struct {
		info string
		dst  *[]byte
	}{
		{infoFieldEncryption, &encKey},
		{infoEmailHash, &v.emailKey},
		{infoReceiptHash, &v.receiptKey},
		{infoTokenHash, &v.tokenKey},
		{infoClientKey, &v.clientKey},
		{infoFormToken, &v.formKey},
		{infoKeyEncryption, &kekKey},
		{infoKeyEncryptionID, &kekID},
	}
	for _, s := range subkeys {
		k, err := hkdf.Key(sha256.New, secret, nil, s.info, KeySize)
		if err != nil {
			return nil, fmt.Errorf("vault: derive key %q: %w", s.info, err)
		}
		*s.dst = k
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, fmt.Errorf("vault: field cipher: %w", err)
	}
	if v.aead, err = cipher.NewGCM(block); err != nil {
		return nil, fmt.Errorf("vault: field cipher: %w", err)
	}
	if v.kek, err = newGCM(kekKey); err != nil {
		return nil, fmt.Errorf("vault: key-encryption cipher: %w", err)
	}
	copy(v.kekID[:], kekID)
	return v, nil
}

// Seal encrypts plaintext with AES-256-GCM under a fresh random nonce,
// binding it to aad (for example "sig:42:name") so a ciphertext copied to
// another row or field no longer opens. The result is one format-version
// byte, the 12-byte nonce, then ciphertext and tag. An empty plaintext seals
// to nil, so empty optional fields are stored as NULL.
func (v *Vault) Seal(plaintext []byte, aad []byte) ([]byte, error) {
	return sealWith(v.aead, plaintext, aad)
}

// Open reverses Seal with the same aad. Empty input opens to nil with no
// error (a NULL field). Anything that does not authenticate returns
// ErrDecrypt.
func (v *Vault) Open(sealed []byte, aad []byte) ([]byte, error) {
	return openWith(v.aead, sealed, aad)
}

// EmailHash returns the first 16 bytes of the HMAC-SHA256, under the email-hash key, of the
// canonical form of email (see CanonicalEmail). It is the duplicate key for
// signatures.
func (v *Vault) EmailHash(email string) []byte {
	return mac(v.emailKey, []byte(CanonicalEmail(email)))[:LookupHashSize]
}

// EmailDomainHash is a keyed hash of the domain of an email address
// (after canonicalisation), so organizers can find the signatures of one
// domain during fraud review without domains being stored in clear.
func (v *Vault) EmailDomainHash(email string) []byte {
	canon := CanonicalEmail(email)
	domain := canon[strings.LastIndexByte(canon, '@')+1:]
	return mac(v.emailKey, []byte("domain:"+domain))[:LookupHashSize]
}

// LookupHashSize is the length of the email and receipt-secret hashes. 128 bits
// keep collisions out of reach (the birthday bound is 2^64 signatures) while
// halving the two unique indexes that every signature inserts into at a
// random place, so a campaign of millions still fits in the page cache.
const LookupHashSize = 16

// TokenHash returns the 32-byte HMAC-SHA256, under the token-hash key, of a
// confirmation or session token exactly as given.
func (v *Vault) TokenHash(token string) []byte {
	return mac(v.tokenKey, []byte(token))
}

func mac(key, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)
}
