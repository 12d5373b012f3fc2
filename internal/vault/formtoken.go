package vault

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/binary"
	"time"
)

const (
	formStampSize = 8
	formMACSize   = 16
	formTokenSize = formStampSize + formMACSize
)

// FormToken returns a tamper-evident token recording when the signing form
// was rendered: base64url (no padding) of the 8-byte big-endian Unix
// milliseconds followed by a 16-byte truncated HMAC of them.
func (v *Vault) FormToken(issued time.Time) string {
	buf := make([]byte, formStampSize, formTokenSize)
	binary.BigEndian.PutUint64(buf, uint64(issued.UnixMilli()))
	buf = append(buf, mac(v.formKey, buf)[:formMACSize]...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// CheckFormToken returns the time recorded in tok, in UTC, and true when tok
// was made by FormToken under this vault's key. Judging whether the time is
// too recent or too old is the caller's business.
func (v *Vault) CheckFormToken(tok string) (issued time.Time, ok bool) {
	if base64.RawURLEncoding.EncodedLen(formTokenSize) != len(tok) {
		return time.Time{}, false
	}
	buf, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(buf) != formTokenSize {
		return time.Time{}, false
	}
	want := mac(v.formKey, buf[:formStampSize])[:formMACSize]
	if !hmac.Equal(buf[formStampSize:], want) {
		return time.Time{}, false
	}
	ms := int64(binary.BigEndian.Uint64(buf[:formStampSize]))
	return time.UnixMilli(ms).UTC(), true
}
