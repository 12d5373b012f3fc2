package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
)

// Envelope encryption. Each petition's personal fields are sealed under a
// random data key of its own; the data key is stored only wrapped
// (encrypted) under the key-encryption key derived from the secret key.
// Destroying a wrapped data key erases everything sealed under it, however
// many copies of the rows exist, and a new secret key needs only new
// wrappings of the data keys.

// DataKeySize is the length of a data key in bytes (AES-256).
const DataKeySize = 32

// Wrapped data key layout: a version byte, then one or more entries, each
// the 8-byte id of the key-encryption key that made it, a 12-byte nonce and
// the GCM ciphertext and tag of the data key. Several entries let a data
// key open under an old and a new secret key while a rotation is under way.
const (
	wrapVersion   = 1
	kekIDSize     = 8
	gcmTagSize    = 16
	wrapEntrySize = kekIDSize + nonceSize + DataKeySize + gcmTagSize
)

// ErrKeyDestroyed is returned for a data key that was destroyed (see
// `campaign shred`): the personal data sealed under it is erased for good.
var ErrKeyDestroyed = errors.New("vault: the data key was destroyed; the personal data it sealed is erased")

// ErrKeyUnavailable is returned for a data key that is wrapped only under
// another secret key, as after `campaign keys rotate` for a process still
// running with the old key.
var ErrKeyUnavailable = errors.New("vault: the data key is wrapped under another secret key")

// DataKey seals and opens fields under one data key. It is safe for
// concurrent use.
type DataKey struct {
	aead cipher.AEAD
}

// NewDataKey returns a fresh random data key.
func NewDataKey() ([]byte, error) {
	k := make([]byte, DataKeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("vault: data key: %w", err)
	}
	return k, nil
}

// OpenDataKey returns the cipher of a raw data key.
func OpenDataKey(raw []byte) (*DataKey, error) {
	if len(raw) != DataKeySize {
		return nil, fmt.Errorf("vault: data key must be %d bytes, got %d", DataKeySize, len(raw))
	}
	aead, err := newGCM(raw)
	if err != nil {
		return nil, fmt.Errorf("vault: data key cipher: %w", err)
	}
	return &DataKey{aead: aead}, nil
}

// Seal is Vault.Seal under the data key: same format, so a field does not
// say which kind of key sealed it (the row's key id does).
func (k *DataKey) Seal(plaintext, aad []byte) ([]byte, error) {
	return sealWith(k.aead, plaintext, aad)
}

// Open reverses Seal; anything that does not authenticate returns ErrDecrypt.
func (k *DataKey) Open(sealed, aad []byte) ([]byte, error) { return openWith(k.aead, sealed, aad) }

// WrapDataKey encrypts raw under the vault's key-encryption key for the
// data key row id of petition petitionID. The result opens with
// UnwrapDataKey of this vault only, and only for the same id and petition.
func (v *Vault) WrapDataKey(raw []byte, id, petitionID int64) ([]byte, error) {
	if len(raw) != DataKeySize {
		return nil, fmt.Errorf("vault: data key must be %d bytes, got %d", DataKeySize, len(raw))
	}
	out := make([]byte, 1+kekIDSize+nonceSize, 1+wrapEntrySize)
	out[0] = wrapVersion
	copy(out[1:], v.kekID[:])
	nonce := out[1+kekIDSize:]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("vault: nonce: %w", err)
	}
	return v.kek.Seal(out, nonce, raw, dataKeyAAD(id, petitionID)), nil
}

// UnwrapDataKey returns the raw data key that wrapped holds for this
// vault. An empty wrapped (a destroyed key) gives ErrKeyDestroyed; one with
// no entry for this vault's secret key gives ErrKeyUnavailable; a damaged
// entry, or one made for another id or petition, gives ErrDecrypt.
func (v *Vault) UnwrapDataKey(wrapped []byte, id, petitionID int64) ([]byte, error) {
	if len(wrapped) == 0 {
		return nil, ErrKeyDestroyed
	}
	entries, err := wrapEntries(wrapped)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if string(e[:kekIDSize]) != string(v.kekID[:]) {
			continue
		}
		nonce := e[kekIDSize : kekIDSize+nonceSize]
		raw, err := v.kek.Open(nil, nonce, e[kekIDSize+nonceSize:], dataKeyAAD(id, petitionID))
		if err != nil {
			return nil, ErrDecrypt
		}
		return raw, nil
	}
	return nil, ErrKeyUnavailable
}

// JoinWraps combines wrappings of one data key made by WrapDataKey under
// different secret keys into one value that UnwrapDataKey of any of them
// opens. A later entry for the same secret key replaces an earlier one.
func JoinWraps(wraps ...[]byte) ([]byte, error) {
	var kept [][]byte
	for _, w := range wraps {
		entries, err := wrapEntries(w)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			for i, k := range kept {
				if string(k[:kekIDSize]) == string(e[:kekIDSize]) {
					kept = append(kept[:i], kept[i+1:]...)
					break
				}
			}
			kept = append(kept, e)
		}
	}
	if len(kept) == 0 {
		return nil, errors.New("vault: no wrapping to join")
	}
	out := make([]byte, 1, 1+len(kept)*wrapEntrySize)
	out[0] = wrapVersion
	for _, e := range kept {
		out = append(out, e...)
	}
	return out, nil
}

// wrapEntries splits a wrapped data key into its entries.
func wrapEntries(wrapped []byte) ([][]byte, error) {
	if len(wrapped) < 1+wrapEntrySize || wrapped[0] != wrapVersion || (len(wrapped)-1)%wrapEntrySize != 0 {
		return nil, ErrDecrypt
	}
	var out [][]byte
	for rest := wrapped[1:]; len(rest) > 0; rest = rest[wrapEntrySize:] {
		out = append(out, rest[:wrapEntrySize:wrapEntrySize])
	}
	return out, nil
}

// dataKeyAAD binds a wrapped data key to its row and petition, so a wrapped
// key copied to another row or petition does not open.
func dataKeyAAD(id, petitionID int64) []byte {
	b := append([]byte("data-key/"), strconv.FormatInt(id, 10)...)
	b = append(b, '/')
	return strconv.AppendInt(b, petitionID, 10)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealWith is the sealed-field format shared by the vault's field key and
// the data keys: version byte, random nonce, ciphertext and tag. Empty
// plaintext seals to nil.
func sealWith(aead cipher.AEAD, plaintext, aad []byte) ([]byte, error) {
	if len(plaintext) == 0 {
		return nil, nil
	}
	out := make([]byte, headerSize, headerSize+len(plaintext)+aead.Overhead())
	out[0] = formatVersion
	if _, err := rand.Read(out[1:headerSize]); err != nil {
		return nil, fmt.Errorf("vault: nonce: %w", err)
	}
	return aead.Seal(out, out[1:headerSize], plaintext, aad), nil
}

// openWith reverses sealWith; empty input opens to nil.
func openWith(aead cipher.AEAD, sealed, aad []byte) ([]byte, error) {
	if len(sealed) == 0 {
		return nil, nil
	}
	if len(sealed) < headerSize+aead.Overhead() || sealed[0] != formatVersion {
		return nil, ErrDecrypt
	}
	plain, err := aead.Open(nil, sealed[1:headerSize], sealed[headerSize:], aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return plain, nil
}
