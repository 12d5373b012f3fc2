package signing_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

// paperTestSealer seals every mail to the same bytes; enough to see
// whether a mail would be queued.
type paperTestSealer struct{}

func (paperTestSealer) SealMail(kind, to, lang, token string, p *store.Petition) ([]byte, error) {
	return []byte(kind), nil
}

func TestPreparePaperWithoutEmail(t *testing.T) {
	in := newIntake(t, false)
	req := signing.Request{Input: signing.Input{Name: " Sokha ", Country: "kh"}, Lang: "km", Source: "web"}
	first, err := in.svc.PreparePaper(in.p, req)
	if err != nil {
		t.Fatalf("a paper signature without email was refused: %v", err)
	}
	second, err := in.svc.PreparePaper(in.p, req)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(first.EmailHash, second.EmailHash) {
		t.Error("two signatures without email share an email hash: the second would be taken for a duplicate")
	}
	for _, h := range [][]byte{in.vault.EmailHash(""), in.vault.EmailHash(" ")} {
		if bytes.Equal(first.EmailHash, h) {
			t.Error("a signature without email has the hash of an empty address")
		}
	}
	now := in.clock.Now()
	if first.Source != "paper" || first.Status != store.StatusConfirmed || first.Lang != "km" || first.Country != "KH" ||
		!first.SignedAt.Equal(now) || first.ConfirmedAt == nil || !first.ConfirmedAt.Equal(now) {
		t.Errorf("row: source %q, status %q, lang %q, country %q, signed %v, confirmed %v; want paper, confirmed, km, KH, now, now",
			first.Source, first.Status, first.Lang, first.Country, first.SignedAt, first.ConfirmedAt)
	}
	if first.EmailEnc != nil || first.EmailDomainHash != nil {
		t.Errorf("a row without email stores email %x, domain hash %x; want neither", first.EmailEnc, first.EmailDomainHash)
	}
	if _, err := in.db.InsertSignatures(context.Background(), []*store.Signature{first, second}); err != nil {
		t.Fatal(err)
	}
	opened, err := in.svc.Open(first)
	if err != nil || opened.Name != "Sokha" || opened.Email != "" {
		t.Errorf("stored row opens to %+v, %v; want name Sokha and no email", opened, err)
	}
}

func TestPreparePaperWithEmailKeysLikeTheWebForm(t *testing.T) {
	in := newIntake(t, true)
	in.svc.WithEmail(paperTestSealer{}, time.Hour, func() { t.Error("a paper signature woke the mail worker") })
	sig, err := in.svc.PreparePaper(in.p, signing.Request{Input: signing.Input{Name: "Sokha", Email: "Sokha+paper@Example.org", Country: "KH"}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sig.EmailHash, in.vault.EmailHash("sokha@example.org")) ||
		!bytes.Equal(sig.EmailDomainHash, in.vault.EmailDomainHash("sokha@example.org")) {
		t.Error("the email hashes differ from a web signature's: a signer could sign twice, once on paper and once online")
	}
	if sig.Status != store.StatusConfirmed || sig.FirstMail != nil || sig.RepeatMail != nil || sig.ConfirmHash != nil {
		t.Errorf("status %q, first mail %v, repeat mail %v, confirm hash %x: a paper signature must queue no mail",
			sig.Status, sig.FirstMail, sig.RepeatMail, sig.ConfirmHash)
	}
}

func TestPreparePaperAppliesTheWebFormRules(t *testing.T) {
	in := newIntake(t, false)
	tests := []struct {
		name  string
		input signing.Input
		want  map[string]string
	}{
		{"bad email", signing.Input{Name: "Sokha", Email: "sokha(at)example.org", Country: "KH"}, map[string]string{"email": "email.email"}},
		{"blank email is no email", signing.Input{Name: "", Email: "   ", Country: "ZZ"},
			map[string]string{"name": "name.required", "country": "country.country"}},
		{"link in name", signing.Input{Name: "visit www.example.com", Country: "KH"}, map[string]string{"name": "name.no_urls"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := in.svc.PreparePaper(in.p, signing.Request{Input: tt.input})
			ve, ok := signing.AsValidation(err)
			if !ok {
				t.Fatalf("err = %v, want a validation error", err)
			}
			if len(ve.Fields) != len(tt.want) {
				t.Errorf("fields %v, want %v", ve.Fields, tt.want)
			}
			for f, key := range tt.want {
				if ve.Fields[f] != key {
					t.Errorf("field %s: %q, want %q", f, ve.Fields[f], key)
				}
			}
		})
	}
}
