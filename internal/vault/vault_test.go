package vault

import (
	"bytes"
	"errors"
	"testing"
)

// mustVault returns a Vault whose secret key is 32 copies of seed, so tests
// can make the same or a different key on purpose.
func mustVault(t testing.TB, seed byte) *Vault {
	t.Helper()
	v, err := New(bytes.Repeat([]byte{seed}, KeySize))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

func TestNewKeyLength(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := New(make([]byte, n)); err == nil {
			t.Errorf("New(%d-byte key) succeeded; want an error because the key must be %d bytes", n, KeySize)
		}
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	v := mustVault(t, 1)
	tests := []struct {
		name, plain string
	}{
		{"ascii", "Alice Example"},
		{"khmer", "សុខ សុភាព"},
		{"thai", "สมชาย ใจดี"},
		{"emoji", "✊🏽 free them all 🕊️"},
		{"one byte", "x"},
		{"long comment", string(bytes.Repeat([]byte("ការពារសិទ្ធិមនុស្ស "), 30))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			aad := []byte("sig:42:name")
			sealed, err := v.Seal([]byte(tt.plain), aad)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			// One- or two-byte texts turn up in random bytes by chance.
			if len(tt.plain) > 3 && bytes.Contains(sealed, []byte(tt.plain)) {
				t.Fatalf("sealed bytes contain the plaintext %q; want it encrypted", tt.plain)
			}
			if sealed[0] != formatVersion {
				t.Errorf("format byte = %d, want %d", sealed[0], formatVersion)
			}
			got, err := v.Open(sealed, aad)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if string(got) != tt.plain {
				t.Errorf("Open(Seal(%q)) = %q, want the original text back", tt.plain, got)
			}
		})
	}
}

func TestSealIsRandomised(t *testing.T) {
	v := mustVault(t, 1)
	aad := []byte("sig:1:name")
	a, _ := v.Seal([]byte("Alice"), aad)
	b, _ := v.Seal([]byte("Alice"), aad)
	if bytes.Equal(a, b) {
		t.Errorf("two Seals of the same name gave identical bytes %x; want different, or equal names would be visible in the database", a)
	}
}

func TestSealOpenEmpty(t *testing.T) {
	v := mustVault(t, 1)
	for _, in := range [][]byte{nil, {}} {
		sealed, err := v.Seal(in, []byte("sig:1:city"))
		if sealed != nil || err != nil {
			t.Errorf("Seal(%#v) = %x, %v; want nil, nil so an empty field is stored as NULL", in, sealed, err)
		}
		got, err := v.Open(in, []byte("sig:1:city"))
		if got != nil || err != nil {
			t.Errorf("Open(%#v) = %q, %v; want nil, nil for a NULL field", in, got, err)
		}
	}
}

func TestOpenRejects(t *testing.T) {
	v := mustVault(t, 1)
	aad := []byte("sig:42:email")
	sealed, err := v.Seal([]byte("alice@example.org"), aad)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		return b
	}
	tests := []struct {
		name  string
		vault *Vault
		in    []byte
		aad   []byte
	}{
		{"other row", v, sealed, []byte("sig:43:email")},
		{"other field", v, sealed, []byte("sig:42:name")},
		{"no aad", v, sealed, nil},
		{"other key", mustVault(t, 2), sealed, aad},
		{"flipped version byte", v, flip(0), aad},
		{"flipped nonce byte", v, flip(5), aad},
		{"flipped ciphertext byte", v, flip(headerSize + 2), aad},
		{"flipped tag byte", v, flip(len(sealed) - 1), aad},
		{"truncated by one", v, sealed[:len(sealed)-1], aad},
		{"header only", v, sealed[:headerSize], aad},
		{"one byte", v, sealed[:1], aad},
		{"extra byte", v, append(bytes.Clone(sealed), 0), aad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.vault.Open(tt.in, tt.aad)
			if !errors.Is(err, ErrDecrypt) {
				t.Errorf("Open = %q, %v; want ErrDecrypt", got, err)
			}
			if got != nil {
				t.Errorf("Open returned %q alongside the error; want nil", got)
			}
		})
	}
}

func TestEmailHash(t *testing.T) {
	v1, v1again, v2 := mustVault(t, 1), mustVault(t, 1), mustVault(t, 2)
	h := v1.EmailHash("alice@example.org")
	if len(h) != LookupHashSize {
		t.Fatalf("EmailHash length = %d, want %d", len(h), LookupHashSize)
	}
	if got := v1again.EmailHash("alice@example.org"); !bytes.Equal(got, h) {
		t.Errorf("same key, same email: %x vs %x; want equal so duplicates are found after a restart", got, h)
	}
	if got := v2.EmailHash("alice@example.org"); bytes.Equal(got, h) {
		t.Errorf("different keys gave the same hash %x; want different, the hash must depend on the secret", h)
	}
	if got := v1.EmailHash("  Alice+news@Example.ORG "); !bytes.Equal(got, h) {
		t.Errorf("EmailHash of a +suffix, mixed-case, padded address = %x, want %x (same person)", got, h)
	}
	if got := v1.EmailHash("bob@example.org"); bytes.Equal(got, h) {
		t.Errorf("two different people share the hash %x", h)
	}
}

func TestSubkeysDiffer(t *testing.T) {
	v := mustVault(t, 1)
	const in = "ABCD"
	hashes := map[string][]byte{
		"EmailHash":   v.EmailHash(in),
		"ReceiptHash": v.ReceiptSecretHash(0x41424344),
		"TokenHash":   v.TokenHash(in),
	}
	seen := map[string]string{}
	for name, h := range hashes {
		if other, ok := seen[string(h)]; ok {
			t.Errorf("%s and %s of %q are equal; want different keys per purpose", name, other, in)
		}
		seen[string(h)] = name
	}
}

func FuzzOpen(f *testing.F) {
	v := mustVault(f, 1)
	sealed, err := v.Seal([]byte("សុខ"), []byte("sig:1:name"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed, []byte("sig:1:name"))
	f.Add(sealed[:headerSize+3], []byte("sig:1:name"))
	f.Add([]byte{}, []byte{})
	f.Add([]byte{1}, []byte("x"))
	f.Add(bytes.Repeat([]byte{1}, 64), []byte(nil))
	f.Fuzz(func(t *testing.T, in, aad []byte) {
		got, err := v.Open(in, aad)
		switch {
		case err != nil && !errors.Is(err, ErrDecrypt):
			t.Fatalf("Open error = %v, want ErrDecrypt", err)
		case err != nil && got != nil:
			t.Fatalf("Open returned %q with an error", got)
		case err == nil && len(in) == 0 && got != nil:
			t.Fatalf("Open(empty) = %q, want nil", got)
		}
	})
}
