package vault

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func TestFormTokenRoundTrip(t *testing.T) {
	v := mustVault(t, 1)
	issued := time.Date(2025, 3, 1, 14, 30, 15, 123456789, time.FixedZone("ICT", 7*3600))
	tok := v.FormToken(issued)
	if len(tok) != 32 || strings.ContainsAny(tok, "+/=") {
		t.Errorf("FormToken = %q, want 32 base64url characters without padding", tok)
	}
	got, ok := v.CheckFormToken(tok)
	if !ok {
		t.Fatalf("CheckFormToken(FormToken(t)) rejected its own token")
	}
	if want := issued.Truncate(time.Millisecond); !got.Equal(want) {
		t.Errorf("CheckFormToken time = %v, want %v (issue time to the millisecond)", got, want)
	}
}

func TestFormTokenRejects(t *testing.T) {
	v := mustVault(t, 1)
	issued := time.Date(2025, 3, 1, 14, 30, 0, 0, time.UTC)
	tok := v.FormToken(issued)
	raw, _ := base64.RawURLEncoding.DecodeString(tok)

	// Backdating the timestamp is what a bot would try, to skip the minimum fill time.
	backdated := append([]byte(nil), raw...)
	backdated[6] ^= 0x10
	flippedMAC := append([]byte(nil), raw...)
	flippedMAC[len(flippedMAC)-1] ^= 0x01

	tests := []struct {
		name, tok string
		vault     *Vault
	}{
		{"backdated timestamp", base64.RawURLEncoding.EncodeToString(backdated), v},
		{"flipped MAC", base64.RawURLEncoding.EncodeToString(flippedMAC), v},
		{"other key", tok, mustVault(t, 2)},
		{"empty", "", v},
		{"garbage", "not a token at all!", v},
		{"padding appended", tok + "==", v},
		{"standard alphabet with bad chars", strings.Repeat("+/", 16), v},
		{"truncated", tok[:len(tok)-1], v},
		{"too long", tok + "A", v},
		{"timestamp only", base64.RawURLEncoding.EncodeToString(raw[:8]), v},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := tt.vault.CheckFormToken(tt.tok); ok {
				t.Errorf("CheckFormToken(%q) = %v, true; want rejected", tt.tok, got)
			}
		})
	}
}

func FuzzCheckFormToken(f *testing.F) {
	v := mustVault(f, 1)
	f.Add(v.FormToken(time.Unix(1700000000, 0)))
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, tok string) {
		issued, ok := v.CheckFormToken(tok)
		if ok && v.FormToken(issued) != tok {
			t.Fatalf("accepted %q, but the genuine token for %v is %q", tok, issued, v.FormToken(issued))
		}
	})
}
