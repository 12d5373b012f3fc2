package server

import (
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"github.com/cambodia-sanctions/campaign/internal/country"
	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

// signForm is the signing form as posted from the page or as JSON. The
// rules live in signing.Input, shared with the CSV import.
type signForm struct {
	Name             string `form:"name" json:"name"`
	Email            string `form:"email" json:"email"`
	Country          string `form:"country" json:"country"`
	City             string `form:"city" json:"city"`
	Comment          string `form:"comment" json:"comment"`
	Public           bool   `form:"public" json:"public"`
	IncludeInLetters bool   `form:"include_in_letters" json:"include_in_letters"`
	Updates          bool   `form:"updates" json:"updates"`
	// Website is the honeypot: hidden from people, filled by naive bots.
	Website string `form:"website" json:"-"`
	// Token records when the form was rendered, for the minimum fill time.
	Token string `form:"t" json:"-"`
}

func (f signForm) input() signing.Input {
	return signing.Input{Name: f.Name, Email: f.Email, Country: f.Country, City: f.City, Comment: f.Comment,
		Public: f.Public, IncludeInLetters: f.IncludeInLetters, Updates: f.Updates}
}

// SignFormView is what the form partial needs.
type SignFormView struct {
	Slug      string
	Open      bool
	Form      signForm
	Errors    map[string]string // field → translated message
	Token     string
	Countries []country.Country
}

func (s *Server) newSignForm(v PetitionView) SignFormView {
	return SignFormView{Slug: v.Slug, Open: v.Open, Token: s.Vault.FormToken(s.Now()), Countries: country.All()}
}

// cachedSignForm is an empty form for the page cache: its token is a
// marker filled in per request.
func (s *Server) cachedSignForm(v PetitionView) SignFormView {
	f := s.newSignForm(v)
	f.Token = s.cache.markerOpen + "token:0" + markerClose
	return f
}

// ThanksPage follows a signature.
type ThanksPage struct {
	Base
	Petition PetitionView
	Receipt  string
	SignedAt time.Time // when the thanks page was shown, right after signing
	Pending  bool
	// ConfirmedNow follows a confirmation link's button.
	ConfirmedNow bool
	Share        []ShareLink
}

// ShareLink is a plain link to share the petition: no third-party script.
type ShareLink struct {
	Name string
	URL  string
}

func (s *Server) handleSignatureCreate(c *gin.Context) {
	p, ok := s.Petitions.BySlug(c.Param("slug"))
	if !ok {
		s.handleNotFound(c)
		return
	}
	isJSON := c.ContentType() == binding.MIMEJSON
	var form signForm
	var err error
	if isJSON {
		err = c.ShouldBindWith(&form, binding.JSON)
	} else {
		err = c.ShouldBindWith(&form, binding.Form)
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		s.Metrics.Signature("too_large")
		s.renderError(c, http.StatusRequestEntityTooLarge, "error.too_large")
		return
	case err != nil && isJSON:
		c.JSON(http.StatusBadRequest, gin.H{"errors": gin.H{"request": s.base(c, "").T("error.bad_json")}})
		return
	case err != nil:
		s.renderSignError(c, s.view(p, s.lang(c)), form, map[string]string{"form": "form.invalid"})
		return
	}
	if !isJSON && s.looksLikeBot(form) {
		// Answer exactly like a success so the bot learns nothing.
		s.Metrics.Signature("bot")
		code, _ := vault.NewReceiptCode()
		s.redirectToThanks(c, p.Slug, code)
		return
	}
	req := signing.Request{Input: form.input(), Lang: s.lang(c), Source: "web", Client: clientAddr(c)}
	if isJSON {
		req.Source = "api"
	}
	receipt, err := s.Signing.Sign(c.Request.Context(), p.Petition, req)
	if ve, ok := signing.AsValidation(err); ok {
		s.Metrics.Signature("invalid")
		if isJSON {
			s.jsonFieldErrors(c, ve.Fields)
			return
		}
		s.renderSignError(c, s.view(p, req.Lang), form, ve.Fields)
		return
	}
	if errors.Is(err, signing.ErrPetitionClosed) {
		s.Metrics.Signature("closed")
		s.renderError(c, http.StatusConflict, "error.petition_closed")
		return
	}
	if err != nil {
		s.Metrics.Signature("error")
		s.fail(c, err)
		return
	}
	s.Metrics.Signature("accepted")
	if isJSON {
		c.JSON(http.StatusCreated, gin.H{"status": receipt.Status, "receipt": receipt.Code})
		return
	}
	s.redirectToThanks(c, p.Slug, receipt.Code)
}

// looksLikeBot applies the honeypot and the minimum fill time.
func (s *Server) looksLikeBot(f signForm) bool {
	if f.Website != "" {
		return true
	}
	issued, ok := s.Vault.CheckFormToken(f.Token)
	return !ok || s.Now().Sub(issued) < s.MinFillTime
}

func (s *Server) jsonFieldErrors(c *gin.Context, fields map[string]string) {
	b := s.base(c, "")
	out := make(map[string]string, len(fields))
	for field, key := range fields {
		out[field] = b.T("field." + key)
	}
	c.JSON(http.StatusUnprocessableEntity, gin.H{"errors": out})
}

// renderSignError shows the petition page again with 422, the values kept
// and a message beside each field.
func (s *Server) renderSignError(c *gin.Context, v PetitionView, form signForm, fields map[string]string) {
	b := s.base(c, "")
	b.Title = b.T("form.error_title", v.Text.Title)
	sf := s.newSignForm(v)
	// Keep the time the form was first shown, so a signer who corrects a
	// field at once is not taken for a bot by the fill-time check.
	if _, ok := s.Vault.CheckFormToken(form.Token); ok {
		sf.Token = form.Token
	}
	sf.Form = form
	sf.Form.Website, sf.Form.Token = "", ""
	// Values go back into the page as typed, except bytes that are not
	// UTF-8, which would make the whole page invalid.
	for _, f := range []*string{&sf.Form.Name, &sf.Form.Email, &sf.Form.Country, &sf.Form.City, &sf.Form.Comment} {
		*f = strings.ToValidUTF8(*f, "\uFFFD")
	}
	sf.Errors = make(map[string]string, len(fields))
	for field, key := range fields {
		sf.Errors[field] = b.T("field." + key)
	}
	s.render(c, http.StatusUnprocessableEntity, "petition", PetitionPage{Base: b, Petition: v, Form: sf})
}

// redirectToThanks hands the receipt code to the thanks page in a
// short-lived cookie scoped to that page, never in the URL (where it would
// sit in history and logs), then redirects (post/redirect/get).
func (s *Server) redirectToThanks(c *gin.Context, slug, code string) {
	path := "/petitions/" + slug + "/thanks"
	http.SetCookie(c.Writer, &http.Cookie{Name: "receipt", Value: code, Path: path, MaxAge: 600,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
	c.Redirect(http.StatusSeeOther, path)
}

func (s *Server) handleSignatureThanks(c *gin.Context) {
	p, ok := s.Petitions.BySlug(c.Param("slug"))
	if !ok {
		s.handleNotFound(c)
		return
	}
	code, _ := c.Cookie("receipt")
	if code != "" {
		// Shown once: a shared computer's next user does not see it.
		path := "/petitions/" + p.Slug + "/thanks"
		http.SetCookie(c.Writer, &http.Cookie{Name: "receipt", Value: "", Path: path, MaxAge: -1,
			HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
	}
	c.Header("Cache-Control", "no-store")
	b := s.base(c, "thanks.title")
	v := s.view(p, b.Lang)
	page := ThanksPage{Base: b, Petition: v, Receipt: code, SignedAt: s.Now(),
		Pending: s.Signing.VerifiesEmail(), Share: s.shareLinks(v), ConfirmedNow: c.Query("confirmed") == "1"}
	s.render(c, http.StatusOK, "thanks", page)
}

func (s *Server) shareLinks(v PetitionView) []ShareLink {
	u := s.BaseURL + "/petitions/" + v.Slug
	text := v.Text.Title
	q := url.QueryEscape
	return []ShareLink{
		{"Email", "mailto:?subject=" + url.PathEscape(text) + "&body=" + url.PathEscape(u)},
		{"WhatsApp", "https://wa.me/?text=" + q(text+" "+u)},
		{"Telegram", "https://t.me/share/url?url=" + q(u) + "&text=" + q(text)},
		{"Facebook", "https://www.facebook.com/sharer/sharer.php?u=" + q(u)},
		{"X", "https://x.com/intent/tweet?url=" + q(u) + "&text=" + q(text)},
	}
}

// clientAddr is the client's address as gin resolves it (honouring
// X-Forwarded-For only from trusted proxies). It is used for rate limits and
// a daily client tag, never stored or logged.
func clientAddr(c *gin.Context) netip.Addr {
	a, err := netip.ParseAddr(strings.TrimSpace(c.ClientIP()))
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}
