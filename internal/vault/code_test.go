package vault

import (
	"encoding/base64"
	"regexp"
	"testing"
)

func TestCanonicalEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice@example.org", "alice@example.org"},
		{"  Alice+news@Example.ORG ", "alice@example.org"},
		{"a+b+c@x.org", "a@x.org"},
		{"\tBob@X.org\n", "bob@x.org"},
		{"bob@plus+domain.org", "bob@plus+domain.org"},
		{"+only@x.org", "+only@x.org"},
		{"no-at-sign+x", "no-at-sign+x"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := CanonicalEmail(tt.in); got != tt.want {
				t.Errorf("CanonicalEmail(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

var receiptPattern = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$`)

func TestNewReceiptCode(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		code, err := NewReceiptCode()
		if err != nil {
			t.Fatalf("NewReceiptCode: %v", err)
		}
		if !receiptPattern.MatchString(code) {
			t.Fatalf("NewReceiptCode() = %q, want four groups of four Crockford base32 characters like K7QF-3M9X-TA2P-W8RZ", code)
		}
		if seen[code] {
			t.Fatalf("NewReceiptCode repeated %q within 200 codes", code)
		}
		seen[code] = true
		if got, want := NormalizeReceipt(code), code[0:4]+code[5:9]+code[10:14]+code[15:19]; got != want {
			t.Fatalf("NormalizeReceipt(%q) = %q, want %q: a printed code must normalise to itself", code, got, want)
		}
	}
}

func TestNormalizeReceipt(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"as printed", "K7QF-3M9X-TA2P-W8RZ", "K7QF3M9XTA2PW8RZ"},
		{"lower case with spaces", "k7qf 3m9x ta2p w8rz", "K7QF3M9XTA2PW8RZ"},
		{"O I L confusion", "lo1i-OoQ0-iI2P-W8RZ", "101100Q0112PW8RZ"},
		{"typed loosely", "  1o1l - 0oQO 1i2p-w8rz\t", "101100Q0112PW8RZ"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NormalizeReceipt(tt.in); got != tt.want {
				t.Errorf("NormalizeReceipt(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNewToken(t *testing.T) {
	a, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewToken()
	if a == b {
		t.Errorf("two NewToken calls both returned %q", a)
	}
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil || len(raw) != 32 {
		t.Errorf("NewToken() = %q decodes to %d bytes (err %v); want 32 bytes of unpadded base64url", a, len(raw), err)
	}
}
