package vault

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode"
)

// crockford is Crockford's base32 alphabet: digits and upper-case letters
// without I, L, O and U, which are easily confused or misread.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// CanonicalEmail returns the form of email that identifies one person: spaces
// trimmed, lower-cased, and any "+suffix" cut from the local part
// ("a+b+c@x.org" becomes "a@x.org"). A '+' that starts the local part is
// kept, so the local part never becomes empty. It does not validate.
func CanonicalEmail(email string) string {
	email = strings.ToLower(strings.TrimSpace(email))
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return email
	}
	local, domain := email[:at], email[at:]
	if plus := strings.IndexByte(local, '+'); plus > 0 {
		local = local[:plus]
	}
	return local + domain
}

// NewReceiptCode returns a random receipt code of 16 Crockford base32
// characters (80 bits of entropy) in four groups of four joined by '-', such
// as "K7QF-3M9X-TA2P-W8RZ".
func NewReceiptCode() (string, error) {
	raw := make([]byte, 10)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("vault: receipt code: %w", err)
	}
	s := base32.NewEncoding(crockford).WithPadding(base32.NoPadding).EncodeToString(raw)
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16], nil
}

// NormalizeReceipt returns code as NewReceiptCode would have spelled it
// without dashes, so a code typed by hand still matches: upper-cased, spaces
// and '-' removed, O read as 0 and I or L read as 1 (Crockford's decoding
// rules).
func NormalizeReceipt(code string) string {
	var b strings.Builder
	b.Grow(len(code))
	for _, r := range strings.ToUpper(code) {
		switch {
		case r == '-' || unicode.IsSpace(r):
			continue
		case r == 'O':
			r = '0'
		case r == 'I' || r == 'L':
			r = '1'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// NewToken returns a random URL-safe token carrying 256 bits, encoded as
// base64url without padding (43 characters).
func NewToken() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("vault: token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}
