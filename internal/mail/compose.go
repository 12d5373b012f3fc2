package mail

import (
	"bytes"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"path"
	"strings"
	texttemplate "text/template"

	"github.com/cambodia-sanctions/campaign/internal/i18n"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/web"
)

// templateDir holds the mail templates inside web.FS: for each kind,
// KIND.txt and KIND.html (the latter framed by layout.html).
const templateDir = "templates/mail"

// kinds lists the mails there are and the catalog key of each subject.
var kinds = map[string]string{
	store.MailConfirm:       "mail.confirm.subject",
	store.MailAlreadySigned: "mail.already_signed.subject",
}

// ComposerOptions configures a Composer.
type ComposerOptions struct {
	// BaseURL is the site's public absolute URL, e.g. https://example.org.
	BaseURL string
	// Subject replaces the confirmation mail's subject in every language.
	// Empty means the catalog's mail.confirm.subject ("Please confirm your
	// signature"); the "already signed" subject always comes from the
	// catalog. Either way it must not contain a campaign word.
	Subject string
	// NamePetition lets the body name the petition. By default the body
	// names neither the petition nor the campaign: the signer sees them only
	// after opening the link.
	NamePetition bool
}

// Composer renders payloads into messages, from the templates in
// web/templates/mail and the mail.* messages of the catalog. It is safe for
// concurrent use.
type Composer struct {
	msgs         *i18n.Catalog
	baseURL      string
	subject      string
	namePetition bool
	text         map[string]*texttemplate.Template
	html         map[string]*htmltemplate.Template
}

// mailView is what the mail templates see.
type mailView struct {
	Lang       string
	Subject    string
	Title      string // the petition's title, only when mails may name it
	ConfirmURL string
	NotMeURL   string
	msgs       *i18n.Catalog
}

// T returns the message for key in the mail's language.
func (v mailView) T(key string, args ...any) string { return v.msgs.T(v.Lang, key, args...) }

// NewComposer parses the mail templates and checks that no subject, in any
// language of msgs, would reveal the campaign.
func NewComposer(msgs *i18n.Catalog, o ComposerOptions) (*Composer, error) {
	base, err := checkBaseURL(o.BaseURL)
	if err != nil {
		return nil, err
	}
	c := &Composer{
		msgs:         msgs,
		baseURL:      base,
		subject:      strings.TrimSpace(o.Subject),
		namePetition: o.NamePetition,
		text:         map[string]*texttemplate.Template{},
		html:         map[string]*htmltemplate.Template{},
	}
	if err := checkNeutral("subject", c.subject); err != nil {
		return nil, err
	}
	for kind, key := range kinds {
		for _, lang := range msgs.Languages() {
			if err := checkNeutral(fmt.Sprintf("%s (%s)", key, lang), msgs.T(lang, key)); err != nil {
				return nil, err
			}
		}
		if c.text[kind], err = texttemplate.ParseFS(web.FS, path.Join(templateDir, kind+".txt")); err != nil {
			return nil, fmt.Errorf("mail: parse templates: %w", err)
		}
		if c.html[kind], err = htmltemplate.ParseFS(web.FS,
			path.Join(templateDir, "layout.html"), path.Join(templateDir, kind+".html")); err != nil {
			return nil, fmt.Errorf("mail: parse templates: %w", err)
		}
	}
	return c, nil
}

func checkBaseURL(raw string) (string, error) {
	raw = strings.TrimRight(strings.TrimSpace(raw), "/")
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("mail: base URL %q must be an absolute http(s) URL such as https://example.org", raw)
	}
	return raw, nil
}

// Compose writes the mail for p in the signer's language, falling back to
// English for a language the catalog lacks.
func (c *Composer) Compose(p Payload) (Message, error) {
	subjectKey, ok := kinds[p.Kind]
	if !ok {
		return Message{}, fmt.Errorf("mail: unknown mail kind %q", p.Kind)
	}
	if strings.TrimSpace(p.To) == "" {
		return Message{}, errors.New("mail: payload has no recipient")
	}
	v := mailView{Lang: c.lang(p.Lang), msgs: c.msgs}
	v.Subject = v.T(subjectKey)
	if p.Kind == store.MailConfirm {
		if p.Token == "" {
			return Message{}, errors.New("mail: confirmation payload has no token")
		}
		if c.subject != "" {
			v.Subject = c.subject
		}
		v.ConfirmURL = c.baseURL + "/confirm/" + url.PathEscape(p.Token)
		v.NotMeURL = v.ConfirmURL + "/not-me"
	}
	if c.namePetition {
		v.Title = p.PetitionTitle
	}
	var text, html bytes.Buffer
	if err := c.text[p.Kind].Execute(&text, v); err != nil {
		return Message{}, fmt.Errorf("mail: render %s text: %w", p.Kind, err)
	}
	if err := c.html[p.Kind].ExecuteTemplate(&html, "layout", v); err != nil {
		return Message{}, fmt.Errorf("mail: render %s html: %w", p.Kind, err)
	}
	return Message{To: p.To, Subject: v.Subject, Text: text.String(), HTML: html.String()}, nil
}

// lang maps a payload's language ("fr", "fr-CA", "km_KH") to a catalog
// language, or the fallback.
func (c *Composer) lang(tag string) string {
	tag = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(tag), "_", "-"))
	base, _, _ := strings.Cut(tag, "-")
	if c.msgs.Has(base) {
		return base
	}
	return i18n.Fallback
}
