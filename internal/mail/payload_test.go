package mail_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/mail"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

func newVault(t *testing.T, fill byte) *vault.Vault {
	t.Helper()
	v, err := vault.New(bytes.Repeat([]byte{fill}, vault.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPayloadRoundTrip(t *testing.T) {
	v := newVault(t, 1)
	want := payload(store.MailConfirm, "km")
	sealed, err := mail.SealPayload(v, want)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{want.To, want.Token, want.PetitionTitle} {
		if bytes.Contains(sealed, []byte(secret)) {
			t.Errorf("sealed payload contains %q in clear", secret)
		}
	}
	got, err := mail.OpenPayload(v, sealed)
	if err != nil {
		t.Fatalf("OpenPayload: %v", err)
	}
	if got != want {
		t.Errorf("OpenPayload = %+v, want %+v", got, want)
	}
}

func TestOpenPayloadRejects(t *testing.T) {
	v := newVault(t, 1)
	sealed, err := mail.SealPayload(v, payload(store.MailConfirm, "en"))
	if err != nil {
		t.Fatal(err)
	}
	otherAAD, err := v.Seal([]byte(`{"kind":"confirm","to":"x@example.net"}`), []byte("sig:1:email"))
	if err != nil {
		t.Fatal(err)
	}
	notJSON, err := v.Seal([]byte("not json"), []byte("outbox"))
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)/2] ^= 1
	tests := []struct {
		name   string
		v      *vault.Vault
		sealed []byte
	}{
		{"tampered", v, tampered},
		{"truncated", v, sealed[:len(sealed)-1]},
		{"erased", v, nil},
		{"other key", newVault(t, 2), sealed},
		{"sealed for a signature field", v, otherAAD},
		{"not a payload", v, notJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := mail.OpenPayload(tt.v, tt.sealed); !errors.Is(err, mail.ErrPayload) {
				t.Errorf("OpenPayload error = %v, want ErrPayload", err)
			}
		})
	}
}

// A mail that names the petition names it in the signer's language when a
// translated title exists, else in English.
func TestSealerUsesTheTitleInTheSignersLanguage(t *testing.T) {
	v := newVault(t, 1)
	titles := func(slug, lang string) string {
		if slug == "free-them" && lang == "fr" {
			return "Libérez-les"
		}
		return ""
	}
	s := mail.Sealer{Vault: v, Titles: titles}
	p := &store.Petition{Slug: "free-them", Title: "Free them"}
	for lang, want := range map[string]string{"fr": "Libérez-les", "km": "Free them"} {
		sealed, err := s.SealMail(store.MailConfirm, "a@example.org", lang, "tok", p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := mail.OpenPayload(v, sealed)
		if err != nil {
			t.Fatal(err)
		}
		if got.PetitionTitle != want {
			t.Errorf("%s mail names the petition %q, want %q", lang, got.PetitionTitle, want)
		}
	}
}
