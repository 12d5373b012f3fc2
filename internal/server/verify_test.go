package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/letters"
)

// generateLetters generates the letters of the env's petition as an
// organizer would, and returns the printed root of each.
func (le *lettersEnv) generateLetters() map[string]string {
	le.t.Helper()
	b, err := le.srv.Letters.Generate(context.Background(), le.p, nil, letters.Actor{Name: "organizer@campaign.test"})
	if err != nil {
		le.t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range b.Letters {
		out[l.Jurisdiction.Code] = letters.FormatRoot(l.Root[:])
	}
	return out
}

// verify posts the check form.
func (le *lettersEnv) verify(code, root string) *httptest.ResponseRecorder {
	le.t.Helper()
	return le.do(http.MethodPost, "/verify", url.Values{"code": {code}, "root": {root}}.Encode(),
		"Content-Type", "application/x-www-form-urlencoded")
}

func TestVerifyPage(t *testing.T) {
	le := newLettersEnv(t)
	w := le.get("/verify")
	if w.Code != http.StatusOK {
		t.Fatalf("GET /verify: %d", w.Code)
	}
	mustContain(t, w.Body.String(), `name="code"`)
	mustContain(t, w.Body.String(), `name="root"`)
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Error("the verify page may be cached")
	}

	roots := le.generateLetters()
	included, notIncluded := le.msg("verify.included"), le.msg("verify.not_included")
	spaced := strings.ToUpper(strings.ReplaceAll(roots["GB"], " ", "  "))
	tests := []struct {
		name, code, root string
		want             string
	}{
		{"own letter", le.codes["សុខ ដារា"], roots["GB"], included},
		{"own letter, root typed without spaces", le.codes["Jane Hidden"], strings.ReplaceAll(roots["GB"], " ", ""), included},
		{"own letter, root in capitals with extra spaces", le.codes["Jane Hidden"], spaced, included},
		{"a member state's signer in the EU letter", le.codes["Marie Curie"], roots["EU"], included},
		{"a member state's signer in another state's letter", le.codes["Marie Curie"], roots["DE"], notIncluded},
		{"a UK signer in the EU letter", le.codes["សុខ ដារា"], roots["EU"], notIncluded},
		{"a signer from a country not written to", le.codes["Sok Chan"], roots["GB"], notIncluded},
		{"a wrong receipt code", "ABCD-EFGH-JKMN-PQRS", roots["GB"], notIncluded},
		{"a receipt code of the wrong shape", "12345", roots["GB"], notIncluded},
		{"a root of no letter", le.codes["សុខ ដារា"], strings.Repeat("ab", 32), notIncluded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := le.verify(tt.code, tt.root)
			page := w.Body.String()
			if w.Code != http.StatusOK || !strings.Contains(page, tt.want) {
				t.Fatalf("%d; want 200 saying %q", w.Code, tt.want)
			}
			for _, never := range []string{"Jane Hidden", "Marie Curie", "Hans Berg", "Sok Chan", "mail.example", tt.code} {
				if strings.Contains(page, never) {
					t.Errorf("the answer shows %q", never)
				}
			}
		})
	}

	page := le.verify(le.codes["សុខ ដារា"], roots["GB"]).Body.String()
	mustContain(t, page, le.msg("verify.included_detail", "United Kingdom", "2", "2026-03-01 12:00:00 UTC"))
	mustContain(t, page, le.msg("verify.proof", 1))
	mustContain(t, page, `<ol id="proof-steps">`)

	for name, form := range map[string][2]string{
		"no code":        {"", roots["GB"]},
		"no root":        {le.codes["Jane Hidden"], " "},
		"malformed root": {le.codes["Jane Hidden"], "not a digest"},
	} {
		if w := le.verify(form[0], form[1]); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422", name, w.Code)
		}
	}
	mustContain(t, le.verify("", "zz").Body.String(), le.msg("verify.error.root"))
}

func TestVerifyUnavailableWithoutLetters(t *testing.T) {
	e := newEnv(t)
	w := e.do(http.MethodPost, "/verify", "code=x&root=y", "Content-Type", "application/x-www-form-urlencoded")
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("POST /verify without letters: %d, want 503", w.Code)
	}
}
