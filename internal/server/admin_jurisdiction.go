package server

import (
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cambodia-sanctions/campaign/internal/jurisdiction"
	"github.com/cambodia-sanctions/campaign/internal/letters"
	"github.com/cambodia-sanctions/campaign/internal/petition"
)

// Organizers correct a jurisdiction's letter details (addressee, address,
// whether it is confirmed, language) and write a petition's own letter
// templates. Both are audited by the letters service.

// JurisdictionPage edits one jurisdiction's letter details.
type JurisdictionPage struct {
	Base
	Jurisdiction jurisdiction.Jurisdiction  // as letters use it now
	Config       *jurisdiction.Jurisdiction // as config/ has it
	Form         letters.Correction
	Errors       map[string]string
	Check        []string
	Languages    []string // with a template in config/letters
	Saved        bool
	From         string // slug of the petition whose board led here, or ""
}

// LanguageList names the languages with a template, for the hint.
func (p JurisdictionPage) LanguageList() string { return strings.Join(p.Languages, ", ") }

// jurisdictionPage loads the page of the route's :code, or answers.
func (s *Server) jurisdictionPage(c *gin.Context) (JurisdictionPage, bool) {
	if s.Letters == nil {
		s.renderError(c, http.StatusServiceUnavailable, "letters.error.unavailable")
		return JurisdictionPage{}, false
	}
	code := c.Param("code")
	j, ok, err := s.Letters.Jurisdiction(c.Request.Context(), code)
	if err != nil {
		s.fail(c, err)
		return JurisdictionPage{}, false
	}
	if !ok {
		s.handleNotFound(c)
		return JurisdictionPage{}, false
	}
	cfg, _ := s.registryJurisdiction(code)
	page := JurisdictionPage{Base: s.adminBase(c, ""), Jurisdiction: j, Config: cfg, Errors: map[string]string{},
		Check: letters.Checks(j), Languages: s.Letters.Templates().Languages()}
	page.Title = page.T("letters.jurisdiction.title", j.Name)
	page.Form = letters.Correction{Addressee: j.Addressee, Address: strings.Join(j.Address, "\n"),
		AddressConfirmed: j.AddressConfirmed, Language: j.Language}
	if from := c.Query("from"); from != "" {
		if _, ok := s.Petitions.BySlug(from); ok {
			page.From = from
		}
	}
	return page, true
}

func (s *Server) handleAdminJurisdiction(c *gin.Context) {
	page, ok := s.jurisdictionPage(c)
	if !ok {
		return
	}
	page.Saved = c.Query("saved") == "1"
	s.render(c, http.StatusOK, "admin_letters_jurisdiction", page)
}

func (s *Server) handleAdminJurisdictionSave(c *gin.Context) {
	page, ok := s.jurisdictionPage(c)
	if !ok {
		return
	}
	corr := letters.Correction{Addressee: c.PostForm("addressee"), Address: c.PostForm("address"),
		AddressConfirmed: c.PostForm("address_confirmed") == "true", Language: c.PostForm("language")}
	o := organizerOf(c)
	err := s.Letters.SaveJurisdiction(c.Request.Context(), c.Param("code"), corr, letters.Actor{ID: &o.ID, Name: o.Email})
	var invalid *letters.ValidationError
	switch {
	case errors.As(err, &invalid):
		page.Form = corr
		for field, key := range invalid.Fields {
			page.Errors[field] = page.T(key)
		}
		s.render(c, http.StatusUnprocessableEntity, "admin_letters_jurisdiction", page)
		return
	case err != nil:
		s.fail(c, err)
		return
	}
	target := "/admin/jurisdictions/" + c.Param("code") + "?saved=1"
	if page.From != "" {
		target += "&from=" + page.From
	}
	c.Redirect(http.StatusSeeOther, target)
}

// TemplatePage edits a petition's letter template for one language.
type TemplatePage struct {
	Base
	Petition     *petition.Petition
	TemplateLang string // the language of the template edited (not the page's)
	Source       letters.TemplateSource
	Body         string
	Error        string // the template's problem, as text/template states it
	Errors       map[string]string
	Variables    []struct{ Name, Meaning string }
	Saved        string // "saved" or "reset" after a change
}

var langParam = regexp.MustCompile(`^[a-z]{2,3}$`)

// templatePage loads the template page of the route, or answers.
func (s *Server) templatePage(c *gin.Context) (TemplatePage, bool) {
	p, ok := s.lettersOf(c)
	if !ok {
		return TemplatePage{}, false
	}
	lang := c.Param("lang")
	if !langParam.MatchString(lang) {
		s.handleNotFound(c)
		return TemplatePage{}, false
	}
	src, err := s.Letters.Template(c.Request.Context(), p.Petition, lang)
	if err != nil {
		s.fail(c, err)
		return TemplatePage{}, false
	}
	page := TemplatePage{Base: s.adminBase(c, ""), Petition: p, TemplateLang: lang, Source: src, Body: src.Body,
		Errors: map[string]string{}, Variables: letters.TemplateVariables}
	page.Title = page.T("letters.template.title", lang)
	return page, true
}

func (s *Server) handleAdminLetterTemplate(c *gin.Context) {
	page, ok := s.templatePage(c)
	if !ok {
		return
	}
	if done := c.Query("done"); done == "saved" || done == "reset" {
		page.Saved = done
	}
	s.render(c, http.StatusOK, "admin_letters_template", page)
}

func (s *Server) handleAdminLetterTemplateSave(c *gin.Context) {
	page, ok := s.templatePage(c)
	if !ok {
		return
	}
	o := organizerOf(c)
	by := letters.Actor{ID: &o.ID, Name: o.Email}
	ctx := c.Request.Context()
	target := "/admin/petitions/" + page.Petition.Slug + "/templates/" + page.TemplateLang
	if c.PostForm("action") == "reset" {
		if err := s.Letters.ResetTemplate(ctx, page.Petition.Petition, page.TemplateLang, by); err != nil {
			s.fail(c, err)
			return
		}
		c.Redirect(http.StatusSeeOther, target+"?done=reset")
		return
	}
	page.Body = c.PostForm("body")
	err := s.Letters.SaveTemplate(ctx, page.Petition.Petition, page.TemplateLang, page.Body, by)
	var invalid *letters.ValidationError
	var bad *letters.TemplateError
	switch {
	case errors.As(err, &invalid):
		for field, key := range invalid.Fields {
			page.Errors[field] = page.T(key)
		}
	case errors.As(err, &bad):
		page.Error = bad.Detail
	case err != nil:
		s.fail(c, err)
		return
	default:
		c.Redirect(http.StatusSeeOther, target+"?done=saved")
		return
	}
	s.render(c, http.StatusUnprocessableEntity, "admin_letters_template", page)
}
