package letters

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/cambodia-sanctions/campaign/internal/store"
)

// Organizers correct jurisdictions (addressee, address, language) and
// write a petition's own letter templates from the console.

// Limits on what organizers type.
const (
	maxAddressee    = 300
	maxAddressLines = 10
	maxAddressLine  = 200
	maxTemplate     = 64 << 10
)

// Correction is an organizer's change to a jurisdiction's letter details.
type Correction struct {
	Addressee        string
	Address          string // one line per line
	AddressConfirmed bool
	Language         string
}

// check validates c, trimming it.
func (c *Correction) check() error {
	c.Addressee, c.Language = strings.TrimSpace(c.Addressee), strings.ToLower(strings.TrimSpace(c.Language))
	lines := splitLines(c.Address)
	c.Address = strings.Join(lines, "\n")
	errs := map[string]string{}
	switch {
	case c.Addressee == "":
		errs["addressee"] = "letters.jurisdiction.error.addressee"
	case utf8.RuneCountInString(c.Addressee) > maxAddressee || strings.ContainsAny(c.Addressee, "\r\n"):
		errs["addressee"] = "letters.jurisdiction.error.addressee_long"
	}
	if len(lines) > maxAddressLines {
		errs["address"] = "letters.jurisdiction.error.address_lines"
	}
	for _, l := range lines {
		if utf8.RuneCountInString(l) > maxAddressLine {
			errs["address"] = "letters.jurisdiction.error.address_long"
		}
	}
	if c.AddressConfirmed && len(lines) == 0 {
		errs["address"] = "letters.jurisdiction.error.address_confirmed_empty"
	}
	if !ValidLanguage(c.Language) {
		errs["language"] = "letters.jurisdiction.error.language"
	}
	if len(errs) > 0 {
		return &ValidationError{Fields: errs}
	}
	return nil
}

// SaveJurisdiction stores an organizer's correction of jurisdiction code,
// applied over config/ from then on, with its audit entry
// ("jurisdiction.update").
func (s *Service) SaveJurisdiction(ctx context.Context, code string, c Correction, by Actor) error {
	if _, ok := s.reg.ByCode(code); !ok {
		return fmt.Errorf("%w: %q", ErrUnknownJurisdiction, code)
	}
	if err := c.check(); err != nil {
		return err
	}
	o := &store.JurisdictionOverride{Code: code, Addressee: c.Addressee, Address: c.Address,
		AddressConfirmed: c.AddressConfirmed, Language: c.Language, UpdatedBy: by.Name}
	detail := fmt.Sprintf("addressee, address (%d lines, confirmed: %t), language %s",
		len(splitLines(c.Address)), c.AddressConfirmed, c.Language)
	return s.store.SaveJurisdictionOverride(ctx, o, by.audit("jurisdiction.update", code, detail, 1))
}

// TemplateSource is the template a petition's letters in a language use.
type TemplateSource struct {
	Body string
	// Own reports that the petition has its own template for the language;
	// otherwise Body is config/letters' (or English's, as FallbackFrom says).
	Own bool
	// Fallback is set when neither the petition nor config/letters has a
	// template for the language: letters in it are written in English.
	Fallback bool
}

// Template returns the template petition p's letters in lang use.
func (s *Service) Template(ctx context.Context, p *store.Petition, lang string) (TemplateSource, error) {
	rows, err := s.store.FindLetterTemplates(ctx, p.ID)
	if err != nil {
		return TemplateSource{}, err
	}
	for _, r := range rows {
		if r.Language == lang {
			return TemplateSource{Body: r.Body, Own: true}, nil
		}
	}
	if src := s.templates.source[lang]; src != "" {
		return TemplateSource{Body: src}, nil
	}
	return TemplateSource{Body: s.templates.source[Fallback], Fallback: true}, nil
}

// TemplateError is a template that does not parse or check; Detail is
// text/template's message, safe to show an organizer (it names the line
// and the variable, nothing internal).
type TemplateError struct{ Detail string }

func (e *TemplateError) Error() string { return "letters: template: " + e.Detail }

// SaveTemplate checks body as a letter template for lang (parsed, every
// variable checked, executed against every kind of sample letter) and
// stores it as petition p's own, with its audit entry ("letters.template").
func (s *Service) SaveTemplate(ctx context.Context, p *store.Petition, lang, body string, by Actor) error {
	if !ValidLanguage(lang) {
		return &ValidationError{Fields: map[string]string{"lang": "letters.template.error.lang"}}
	}
	body = strings.ReplaceAll(body, "\r\n", "\n")
	if strings.TrimSpace(body) == "" {
		return &ValidationError{Fields: map[string]string{"body": "letters.template.error.empty"}}
	}
	if len(body) > maxTemplate {
		return &ValidationError{Fields: map[string]string{"body": "letters.template.error.long"}}
	}
	if _, err := ParseTemplate(lang, body); err != nil {
		return &TemplateError{Detail: strings.TrimPrefix(err.Error(), "template: ")}
	}
	t := &store.LetterTemplate{PetitionID: p.ID, Language: lang, Body: body, UpdatedBy: by.Name}
	return s.store.SaveLetterTemplate(ctx, t, by.audit("letters.template", p.Slug+"/"+lang, "saved", 1))
}

// ResetTemplate drops petition p's own template for lang, so config/letters
// applies again.
func (s *Service) ResetTemplate(ctx context.Context, p *store.Petition, lang string, by Actor) error {
	_, err := s.store.DeleteLetterTemplate(ctx, p.ID, lang, by.audit("letters.template", p.Slug+"/"+lang, "reset to config/letters", 1))
	return err
}
