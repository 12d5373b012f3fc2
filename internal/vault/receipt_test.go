package vault

import (
	"regexp"
	"strings"
	"testing"
)

func TestReceiptCodeRoundTrip(t *testing.T) {
	v := mustVault(t, 7)
	format := regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$`)
	for _, id := range []int64{0, 1, 42, 1_000_000, MaxReceiptRowID} {
		secret, err := NewReceiptSecret()
		if err != nil {
			t.Fatal(err)
		}
		code := v.ReceiptCode(id, secret)
		if !format.MatchString(code) {
			t.Errorf("code %q does not look like XXXX-XXXX-XXXX-XXXX", code)
		}
		gotID, gotSecret, ok := v.OpenReceiptCode(strings.ToLower(strings.ReplaceAll(code, "-", " ")))
		if !ok || gotID != id || gotSecret != secret {
			t.Errorf("OpenReceiptCode(%q) = %d, %x, %v; want %d, %x", code, gotID, gotSecret, ok, id, secret)
		}
	}
}

func TestReceiptCodeHidesTheRowID(t *testing.T) {
	v := mustVault(t, 7)
	a, b := v.ReceiptCode(1000, 5), v.ReceiptCode(1001, 5)
	same := 0
	for i := range a {
		if a[i] == b[i] {
			same++
		}
	}
	if same > 8 {
		t.Errorf("codes of neighbouring rows %q and %q share %d characters; the cipher must mix them", a, b, same)
	}
	other := mustVault(t, 8)
	if id, _, _ := other.OpenReceiptCode(a); id == 1000 {
		t.Error("another key opens the code to the same row id")
	}
}

func TestReceiptSecretHash(t *testing.T) {
	v := mustVault(t, 7)
	if string(v.ReceiptSecretHash(1)) == string(v.ReceiptSecretHash(2)) {
		t.Error("different secrets hash alike")
	}
	if len(v.ReceiptSecretHash(1)) != LookupHashSize {
		t.Errorf("hash length %d, want %d", len(v.ReceiptSecretHash(1)), LookupHashSize)
	}
}

func TestOpenReceiptCodeRejectsMalformed(t *testing.T) {
	v := mustVault(t, 7)
	for _, code := range []string{"", "ABCD", "ABCD-EFGH-JKMN-PQRS-TVWX", "ABCD-EFGH-JKMN-PQR!"} {
		if _, _, ok := v.OpenReceiptCode(code); ok {
			t.Errorf("OpenReceiptCode(%q) ok, want refused", code)
		}
	}
}
