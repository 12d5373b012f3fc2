package vault

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"testing"
)

func mustDataKey(t *testing.T) []byte {
	t.Helper()
	raw, err := NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != DataKeySize {
		t.Fatalf("NewDataKey gave %d bytes, want %d", len(raw), DataKeySize)
	}
	return raw
}

func TestWrapUnwrapDataKey(t *testing.T) {
	v := mustVault(t, 1)
	raw := mustDataKey(t)
	wrapped, err := v.WrapDataKey(raw, 7, 3)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(wrapped, raw) {
		t.Fatal("the wrapped data key contains the raw key")
	}
	got, err := v.UnwrapDataKey(wrapped, 7, 3)
	if err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("UnwrapDataKey = %x, %v; want the raw key back", got, err)
	}
	again, _ := v.WrapDataKey(raw, 7, 3)
	if bytes.Equal(again, wrapped) {
		t.Error("two wrappings of one key are identical; want a fresh nonce each time")
	}
}

func TestUnwrapDataKeyRefuses(t *testing.T) {
	v, other := mustVault(t, 1), mustVault(t, 2)
	raw := mustDataKey(t)
	wrapped, err := v.WrapDataKey(raw, 7, 3)
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(wrapped)
	tampered[len(tampered)-1] ^= 1
	tests := []struct {
		name     string
		v        *Vault
		wrapped  []byte
		id, pid  int64
		want     error
		whyWrong string
	}{
		{"destroyed (NULL)", v, nil, 7, 3, ErrKeyDestroyed, "a destroyed key must say so"},
		{"another secret key", other, wrapped, 7, 3, ErrKeyUnavailable, "only the wrapping secret key opens it"},
		{"other row", v, wrapped, 8, 3, ErrDecrypt, "a wrapped key copied to another row must not open"},
		{"other petition", v, wrapped, 7, 4, ErrDecrypt, "a wrapped key moved to another petition must not open"},
		{"tampered", v, tampered, 7, 3, ErrDecrypt, "changed bytes must not authenticate"},
		{"truncated", v, wrapped[:len(wrapped)-1], 7, 3, ErrDecrypt, "a cut value must not open"},
		{"unknown version", v, append([]byte{9}, wrapped[1:]...), 7, 3, ErrDecrypt, "only the known format opens"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.v.UnwrapDataKey(tt.wrapped, tt.id, tt.pid)
			if !errors.Is(err, tt.want) || got != nil {
				t.Errorf("UnwrapDataKey = %x, %v; want %v: %s", got, err, tt.want, tt.whyWrong)
			}
		})
	}
}

func TestJoinWrapsOpensUnderEachKey(t *testing.T) {
	oldV, newV, third := mustVault(t, 1), mustVault(t, 2), mustVault(t, 3)
	raw := mustDataKey(t)
	a, _ := oldV.WrapDataKey(raw, 5, 1)
	b, _ := newV.WrapDataKey(raw, 5, 1)
	both, err := JoinWraps(a, b)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]*Vault{"old": oldV, "new": newV} {
		if got, err := v.UnwrapDataKey(both, 5, 1); err != nil || !bytes.Equal(got, raw) {
			t.Errorf("%s key: UnwrapDataKey = %x, %v; want the raw key", name, got, err)
		}
	}
	if _, err := third.UnwrapDataKey(both, 5, 1); !errors.Is(err, ErrKeyUnavailable) {
		t.Errorf("a third key: err %v, want ErrKeyUnavailable", err)
	}
	// Joining again with a fresh wrapping under the new key replaces its
	// entry instead of adding one.
	b2, _ := newV.WrapDataKey(raw, 5, 1)
	again, err := JoinWraps(both, b2)
	if err != nil || len(again) != len(both) {
		t.Errorf("JoinWraps(both, new again) is %d bytes (err %v), want %d: one entry per secret key", len(again), err, len(both))
	}
	if _, err := JoinWraps(nil); err == nil {
		t.Error("JoinWraps of nothing succeeded")
	}
}

func TestDataKeySealOpen(t *testing.T) {
	k, err := OpenDataKey(mustDataKey(t))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := OpenDataKey(mustDataKey(t))
	aad := []byte("sig/1/ab/name")
	sealed, err := k.Seal([]byte("Sokha"), aad)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k.Open(sealed, aad); err != nil || string(got) != "Sokha" {
		t.Errorf("Open = %q, %v; want Sokha", got, err)
	}
	if _, err := other.Open(sealed, aad); !errors.Is(err, ErrDecrypt) {
		t.Errorf("another data key opened the field (err %v)", err)
	}
	if _, err := k.Open(sealed, []byte("sig/1/ab/city")); !errors.Is(err, ErrDecrypt) {
		t.Errorf("the field opened as another column (err %v)", err)
	}
	if _, err := mustVault(t, 1).Open(sealed, aad); !errors.Is(err, ErrDecrypt) {
		t.Errorf("the vault's own field key opened a field sealed with a data key (err %v)", err)
	}
	if empty, err := k.Seal(nil, aad); empty != nil || err != nil {
		t.Errorf("Seal(empty) = %x, %v; want nil (a NULL column)", empty, err)
	}
	if _, err := OpenDataKey(make([]byte, 16)); err == nil {
		t.Error("OpenDataKey accepted a 16-byte key")
	}
}

// TestExistingPurposesUnchanged checks that adding the key-encryption
// purposes left every existing subkey as it was: hashes stored before still
// match and fields sealed before still open.
func TestExistingPurposesUnchanged(t *testing.T) {
	secret := bytes.Repeat([]byte{1}, KeySize)
	v := mustVault(t, 1)
	derive := func(info string) []byte {
		k, err := hkdf.Key(sha256.New, secret, nil, info, KeySize)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	for info, got := range map[string][]byte{
		"campaign/v1/email-hash":   v.emailKey,
		"campaign/v1/receipt-hash": v.receiptKey,
		"campaign/v1/token-hash":   v.tokenKey,
		"campaign/v1/client-key":   v.clientKey,
		"campaign/v1/form-token":   v.formKey,
	} {
		if !bytes.Equal(got, derive(info)) {
			t.Errorf("the %s subkey changed", info)
		}
	}
	aead, err := newGCM(derive("campaign/v1/field-encryption"))
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := sealWith(aead, []byte("before data keys"), []byte("aad"))
	if got, err := v.Open(sealed, []byte("aad")); err != nil || string(got) != "before data keys" {
		t.Errorf("a field sealed under the field-encryption subkey no longer opens: %q, %v", got, err)
	}
	kek := derive("campaign/v1/key-encryption")
	for _, k := range [][]byte{v.emailKey, v.receiptKey, v.tokenKey, v.clientKey, v.formKey, derive("campaign/v1/field-encryption")} {
		if bytes.Equal(k, kek) {
			t.Error("the key-encryption key equals another purpose's key")
		}
	}
}
