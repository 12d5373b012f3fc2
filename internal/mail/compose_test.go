package mail_test

import (
	"html"
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cambodia-sanctions/campaign/internal/i18n"
	"github.com/cambodia-sanctions/campaign/internal/mail"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/web"
)

const (
	testBase  = "https://example.org"
	testToken = "tok-3f9a_ZQ"
	testTo    = "sokha.signer@example.net"
	testTitle = "Sanction the officials behind the Cambodian prisoners' trials"
	testSlug  = "cambodia-prisoners"
)

// subjectWords must never appear in a subject: a watched inbox's list of
// mails would give the reader away.
var subjectWords = []string{"Cambodia", "Cambodian", "sanction", "petition", "prisoner"}

func catalog(t *testing.T) *i18n.Catalog {
	t.Helper()
	c, err := i18n.Load(web.FS, "locales")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// catalogWith is the real English catalog plus extra language files.
func catalogWith(t *testing.T, extra map[string]string) *i18n.Catalog {
	t.Helper()
	en, err := fs.ReadFile(web.FS, "locales/en.json")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{"locales/en.json": {Data: en}}
	for lang, js := range extra {
		fsys["locales/"+lang+".json"] = &fstest.MapFile{Data: []byte(js)}
	}
	c, err := i18n.Load(fsys, "locales")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func composer(t *testing.T, o mail.ComposerOptions) *mail.Composer {
	t.Helper()
	if o.BaseURL == "" {
		o.BaseURL = testBase
	}
	c, err := mail.NewComposer(catalog(t), o)
	if err != nil {
		t.Fatalf("NewComposer: %v", err)
	}
	return c
}

func payload(kind, lang string) mail.Payload {
	p := mail.Payload{Kind: kind, To: testTo, Lang: lang, PetitionSlug: testSlug, PetitionTitle: testTitle}
	if kind == store.MailConfirm {
		p.Token = testToken
	}
	return p
}

func compose(t *testing.T, c *mail.Composer, p mail.Payload) mail.Message {
	t.Helper()
	m, err := c.Compose(p)
	if err != nil {
		t.Fatalf("Compose(%s, %q): %v", p.Kind, p.Lang, err)
	}
	return m
}

func TestComposeConfirmLinks(t *testing.T) {
	m := compose(t, composer(t, mail.ComposerOptions{}), payload(store.MailConfirm, "en"))
	confirm := testBase + "/confirm/" + testToken
	notMe := confirm + "/not-me"
	for _, part := range []struct{ name, body string }{{"text", m.Text}, {"HTML", m.HTML}} {
		if !strings.Contains(part.body, confirm) || !strings.Contains(part.body, notMe) {
			t.Errorf("%s part lacks the confirm link %s or the not-me link %s:\n%s", part.name, confirm, notMe, part.body)
		}
	}
	for _, href := range []string{`href="` + confirm + `"`, `href="` + notMe + `"`} {
		if !strings.Contains(m.HTML, href) {
			t.Errorf("HTML part lacks the link %s", href)
		}
	}
	if m.To != testTo {
		t.Errorf("To = %q, want %q", m.To, testTo)
	}
	if m.Subject != "Please confirm your signature" {
		t.Errorf("Subject = %q, want the default %q", m.Subject, "Please confirm your signature")
	}
}

func TestComposeTokenIsEscapedInLinks(t *testing.T) {
	p := payload(store.MailConfirm, "en")
	p.Token = "a/b?c"
	m := compose(t, composer(t, mail.ComposerOptions{}), p)
	if want := testBase + "/confirm/a%2Fb%3Fc/not-me"; !strings.Contains(m.Text, want) {
		t.Errorf("text part lacks %s: a token must stay one path segment\n%s", want, m.Text)
	}
}

var (
	anyURL       = regexp.MustCompile(`(?i)\b(?:https?:)?//[^\s"'<>)]+`)
	remoteMarker = regexp.MustCompile(`(?i)<img|<link|<script|<iframe|<object|<embed|<video|<audio|<source|src=|srcset=|background=|url\(|@import|<style`)
)

// TestComposeIsDiscreet checks every kind, language and naming choice:
// neutral subject, no remote resources, no other URLs than the two links.
func TestComposeIsDiscreet(t *testing.T) {
	for _, kind := range []string{store.MailConfirm, store.MailAlreadySigned} {
		for _, named := range []bool{false, true} {
			for _, lang := range []string{"en", "km", "xx", ""} {
				name := kind + "/" + lang
				if named {
					name += "/named"
				}
				t.Run(name, func(t *testing.T) {
					m := compose(t, composer(t, mail.ComposerOptions{NamePetition: named}), payload(kind, lang))
					if w, found := containsAny(m.Subject, subjectWords...); found {
						t.Errorf("subject %q contains %q", m.Subject, w)
					}
					if strings.Contains(m.Subject, testTitle) {
						t.Errorf("subject %q names the petition", m.Subject)
					}
					allowed := map[string]bool{}
					if kind == store.MailConfirm {
						allowed[testBase+"/confirm/"+testToken] = true
						allowed[testBase+"/confirm/"+testToken+"/not-me"] = true
					}
					for _, body := range []string{m.Text, m.HTML} {
						for _, u := range anyURL.FindAllString(body, -1) {
							if !allowed[u] {
								t.Errorf("body contains the URL %q; only the confirmation links may appear", u)
							}
						}
					}
					if loc := remoteMarker.FindString(m.HTML); loc != "" {
						t.Errorf("HTML part contains %q: no images, styles or scripts may load from anywhere", loc)
					}
					if strings.Contains(m.Text+m.HTML, "mail.") {
						t.Errorf("body shows a raw message key:\n%s", m.Text)
					}
				})
			}
		}
	}
}

func TestComposeNamePetition(t *testing.T) {
	tests := []struct {
		named     bool
		wantTitle bool
	}{
		{named: false, wantTitle: false},
		{named: true, wantTitle: true},
	}
	for _, tt := range tests {
		for _, kind := range []string{store.MailConfirm, store.MailAlreadySigned} {
			t.Run(kind+map[bool]string{false: "/discreet", true: "/named"}[tt.named], func(t *testing.T) {
				m := compose(t, composer(t, mail.ComposerOptions{NamePetition: tt.named}), payload(kind, "en"))
				gotText := strings.Contains(m.Text, testTitle)
				gotHTML := strings.Contains(m.HTML, html.EscapeString(testTitle))
				if gotText != tt.wantTitle || gotHTML != tt.wantTitle {
					t.Errorf("title in text: %v, in HTML: %v; want %v with NamePetition=%v", gotText, gotHTML, tt.wantTitle, tt.named)
				}
				if strings.Contains(m.Text+m.HTML, testSlug) {
					t.Errorf("body contains the petition slug %q", testSlug)
				}
				if !tt.named {
					if w, found := containsAny(m.Text+m.HTML, subjectWords...); found {
						t.Errorf("discreet body contains the campaign word %q", w)
					}
				}
			})
		}
	}
}

func TestComposeAlreadySigned(t *testing.T) {
	m := compose(t, composer(t, mail.ComposerOptions{}), payload(store.MailAlreadySigned, "en"))
	if m.Subject != "About your signature" {
		t.Errorf("Subject = %q, want %q", m.Subject, "About your signature")
	}
	for _, want := range []string{"already been used to sign", "nothing you need to do", "ignore this message"} {
		if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
			t.Errorf("text or HTML part lacks %q:\n%s", want, m.Text)
		}
	}
	if strings.Contains(m.Text+m.HTML, "/confirm/") {
		t.Errorf("already-signed mail carries a confirmation link")
	}
}

func TestComposeConfiguredSubject(t *testing.T) {
	c := composer(t, mail.ComposerOptions{Subject: "One more step"})
	if got := compose(t, c, payload(store.MailConfirm, "en")).Subject; got != "One more step" {
		t.Errorf("confirm Subject = %q, want the configured %q", got, "One more step")
	}
	if got := compose(t, c, payload(store.MailAlreadySigned, "en")).Subject; got != "About your signature" {
		t.Errorf("already-signed Subject = %q, want the catalog's %q: the option is for the confirmation only", got, "About your signature")
	}
}

func TestComposeLanguage(t *testing.T) {
	c, err := mail.NewComposer(catalogWith(t, map[string]string{
		"fr": `{"mail.greeting": "Bonjour,", "mail.confirm.subject": "Merci de confirmer votre signature"}`,
	}), mail.ComposerOptions{BaseURL: testBase})
	if err != nil {
		t.Fatal(err)
	}
	en := compose(t, c, payload(store.MailConfirm, "en"))
	tests := []struct {
		lang, wantGreeting, wantSubject string
	}{
		{"fr", "Bonjour,", "Merci de confirmer votre signature"},
		{"fr-CA", "Bonjour,", "Merci de confirmer votre signature"},
		{"en", "Hello,", en.Subject},
		{"km", "Hello,", en.Subject},    // no Khmer catalog yet
		{"xx-YY", "Hello,", en.Subject}, // unknown
		{"", "Hello,", en.Subject},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			m := compose(t, c, payload(store.MailConfirm, tt.lang))
			if !strings.HasPrefix(m.Text, tt.wantGreeting) {
				t.Errorf("text starts %q, want the greeting %q", firstLine(m.Text), tt.wantGreeting)
			}
			if m.Subject != tt.wantSubject {
				t.Errorf("Subject = %q, want %q", m.Subject, tt.wantSubject)
			}
			// Messages French lacks come from English, not as raw keys.
			if !strings.Contains(m.Text, "Confirm") && !strings.Contains(m.Text, "confirm your signature") {
				t.Errorf("text lacks the English instruction French falls back to:\n%s", m.Text)
			}
		})
	}
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

func TestComposeRejects(t *testing.T) {
	c := composer(t, mail.ComposerOptions{})
	tests := []struct {
		name string
		edit func(*mail.Payload)
	}{
		{"unknown kind", func(p *mail.Payload) { p.Kind = "newsletter" }},
		{"confirm without token", func(p *mail.Payload) { p.Token = "" }},
		{"no recipient", func(p *mail.Payload) { p.To = " " }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := payload(store.MailConfirm, "en")
			tt.edit(&p)
			if _, err := c.Compose(p); err == nil {
				t.Errorf("Compose succeeded, want an error")
			}
		})
	}
}

func TestNewComposerRejects(t *testing.T) {
	tests := []struct {
		name string
		cat  *i18n.Catalog
		o    mail.ComposerOptions
	}{
		{"campaign word in configured subject", catalog(t), mail.ComposerOptions{BaseURL: testBase, Subject: "Your Cambodia petition"}},
		{"campaign word in a translated subject", catalogWith(t, map[string]string{
			"km": `{"mail.already_signed.subject": "ហត្ថលេខា កម្ពុជា"}`,
		}), mail.ComposerOptions{BaseURL: testBase}},
		{"relative base URL", catalog(t), mail.ComposerOptions{BaseURL: "example.org"}},
		{"base URL with query", catalog(t), mail.ComposerOptions{BaseURL: "https://example.org/?x=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := mail.NewComposer(tt.cat, tt.o); err == nil {
				t.Errorf("NewComposer succeeded, want an error")
			}
		})
	}
}

func TestNewComposerTrimsBaseSlash(t *testing.T) {
	m := compose(t, composer(t, mail.ComposerOptions{BaseURL: testBase + "/"}), payload(store.MailConfirm, "en"))
	if strings.Contains(m.Text, "org//confirm") {
		t.Errorf("link has a double slash:\n%s", m.Text)
	}
}
