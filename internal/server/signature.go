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
	"github.com/cambodia-sanctions/campaign/internal/petition"
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
	Action    string // where the form posts
	Embed     bool   // in the widget: links open in a new tab, out of the frame
	Open      bool
	Form      signForm
	Errors    map[string]string // field → translated message
	Token     string
	Countries []country.Country
}

func (s *Server) newSignForm(v PetitionView) SignFormView {
	return SignFormView{Slug: v.Slug, Action: "/petitions/" + v.Slug + "/signatures", Open: v.Open,
		Token: s.Vault.FormToken(s.Now()), Countries: country.All()}
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
	if c.ContentType() == binding.MIMEJSON {
		s.createSignatureJSON(c, p)
		return
	}
	lang := s.lang(c)
	form, code, fields, ok := s.signWithForm(c, p, lang, "web")
	switch {
	case !ok:
	case fields != nil:
		s.renderSignError(c, s.view(p, lang), form, fields)
	default:
		s.redirectToThanks(c, p.Slug, code)
	}
}

// createSignatureJSON signs from a JSON body: 201 with the status and
// receipt, or 422 with a message per field. It has no honeypot or fill
// time: it serves integrations (SPEC §3).
func (s *Server) createSignatureJSON(c *gin.Context, p *petition.Petition) {
	var form signForm
	err := c.ShouldBindWith(&form, binding.JSON)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		s.Metrics.Signature("too_large")
		s.renderError(c, http.StatusRequestEntityTooLarge, "error.too_large")
		return
	case err != nil:
		c.JSON(http.StatusBadRequest, gin.H{"errors": gin.H{"request": s.base(c, "").T("error.bad_json")}})
		return
	}
	receipt, fields, ok := s.sign(c, p, form, s.lang(c), "api")
	switch {
	case !ok:
	case fields != nil:
		s.jsonFieldErrors(c, fields)
	default:
		c.JSON(http.StatusCreated, gin.H{"status": receipt.Status, "receipt": receipt.Code})
	}
}

// signWithForm reads a form-encoded signature, applies the bot checks and
// signs; the page and the widget share it. It returns the form as read and
// either the receipt code to show (a made-up one for a bot, answered
// exactly like a success so it learns nothing) or the message keys of the
// fields to correct. ok is false when it has answered the request itself:
// a body too large, a closed petition, a failure.
func (s *Server) signWithForm(c *gin.Context, p *petition.Petition, lang, source string) (form signForm, code string, fields map[string]string, ok bool) {
	err := c.ShouldBindWith(&form, binding.Form)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		s.Metrics.Signature("too_large")
		s.renderError(c, http.StatusRequestEntityTooLarge, "error.too_large")
		return form, "", nil, false
	case err != nil:
		return form, "", map[string]string{"form": "form.invalid"}, true
	}
	if s.looksLikeBot(form) {
		s.Metrics.Signature("bot")
		code, _ = vault.NewReceiptCode()
		return form, code, nil, true
	}
	receipt, fields, ok := s.sign(c, p, form, lang, source)
	return form, receipt.Code, fields, ok
}

// sign records a signature and counts the outcome. It returns the receipt,
// or the message keys of invalid fields; ok is false when it has answered
// the request itself (a closed petition, a failure).
func (s *Server) sign(c *gin.Context, p *petition.Petition, form signForm, lang, source string) (signing.Receipt, map[string]string, bool) {
	req := signing.Request{Input: form.input(), Lang: lang, Source: source, Client: clientAddr(c)}
	receipt, err := s.Signing.Sign(c.Request.Context(), p.Petition, req)
	if ve, ok := signing.AsValidation(err); ok {
		s.Metrics.Signature("invalid")
		return receipt, ve.Fields, true
	}
	switch {
	case errors.Is(err, signing.ErrPetitionClosed):
		s.Metrics.Signature("closed")
		s.renderError(c, http.StatusConflict, "error.petition_closed")
		return receipt, nil, false
	case err != nil:
		s.Metrics.Signature("error")
		s.fail(c, err)
		return receipt, nil, false
	}
	s.Metrics.Signature("accepted")
	return receipt, nil, true
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
	sf := s.filledSignForm(b, v, form, fields)
	s.render(c, http.StatusUnprocessableEntity, "petition", PetitionPage{Base: b, Petition: v, Form: sf})
}

// filledSignForm is the form shown again after a submission with errors:
// the values kept and a message, in b's language, beside each field.
func (s *Server) filledSignForm(b Base, v PetitionView, form signForm, fields map[string]string) SignFormView {
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
	return sf
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
