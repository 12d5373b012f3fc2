package server

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"github.com/cambodia-sanctions/campaign/internal/store"
)

// The signing widget: /embed/SLUG is a compact page (title, live count,
// the signing form) that partner sites show in an <iframe>. It is
// the only part of the site other origins may frame, and only those in
// Options.EmbedOrigins; with none listed, only this site may (the
// console's preview). Its form has the same fields, rules, honeypot and
// fill-time token as the petition page's and depends on no cookie: a
// browser may refuse third-party cookies, and the site's own cookies stay
// SameSite. The language comes from ?lang= (the snippet sets it) or the
// browser's Accept-Language, and the form posts it back in its action.
// After signing, the thanks (with the receipt code) is the POST's answer
// in the same frame: there is no redirect, which would need a cookie to
// carry the receipt.

// EmbedPage is the widget's page: the form; after signing (Receipt set)
// the thanks; or, when something failed, Message instead.
type EmbedPage struct {
	Base
	Slug     string        // the petition's, for the language links; "" when unknown
	Petition *PetitionView // nil on an error page
	Form     SignFormView
	Receipt  string
	SignedAt time.Time
	Pending  bool   // email confirmation is on: the signature counts once confirmed
	Message  string // an error's text, shown instead of everything else
}

// embedOrigin is what New accepts in EmbedOrigins (config.Load checks
// them thoroughly): nothing that could end or add a CSP directive.
var embedOrigin = regexp.MustCompile(`^https?://[^\s;,'"]+$`)

// framePolicy returns the Content-Security-Policy of the widget's pages:
// the site's policy, with the frame-ancestors it allows.
func framePolicy(origins []string) (string, error) {
	sources := []string{"'self'"}
	for _, o := range origins {
		if !embedOrigin.MatchString(o) {
			return "", fmt.Errorf("EmbedOrigins: %q is not an origin such as https://partner.example", o)
		}
		sources = append(sources, o)
	}
	return strings.Replace(contentSecurityPolicy, "frame-ancestors 'none'", "frame-ancestors "+strings.Join(sources, " "), 1), nil
}

// isEmbed reports whether c is one of the widget's routes: partner sites
// may frame its answers (securityHeaders), errors included, which show in
// the widget's compact page. An unknown path under /embed/ matches no
// route and is not framable.
func isEmbed(c *gin.Context) bool { return strings.HasPrefix(c.FullPath(), "/embed/") }

func (s *Server) handleEmbedShow(c *gin.Context) {
	p, ok := s.Petitions.BySlug(c.Param("slug"))
	if !ok {
		s.handleNotFound(c)
		return
	}
	s.renderCached(c, "embed|"+p.Slug, func(b Base) (string, any) {
		v := s.view(p, b.Lang)
		page := EmbedPage{Base: b, Slug: p.Slug, Petition: &v, Form: embedForm(s.cachedSignForm(v), b.Lang)}
		page.Title = v.Text.Title
		return "embed_petition", page
	})
}

func (s *Server) handleEmbedSignatureCreate(c *gin.Context) {
	p, ok := s.Petitions.BySlug(c.Param("slug"))
	if !ok {
		s.handleNotFound(c)
		return
	}
	if c.ContentType() != binding.MIMEPOSTForm {
		s.renderError(c, http.StatusUnsupportedMediaType, "error.content_type")
		return
	}
	b := s.base(c, "thanks.title")
	form, code, fields, ok := s.signWithForm(c, p, b.Lang, "embed")
	if !ok {
		return
	}
	v := s.view(p, b.Lang)
	page := EmbedPage{Base: b, Slug: p.Slug, Petition: &v}
	c.Header("Cache-Control", "no-store")
	if fields != nil {
		page.Title = b.T("form.error_title", v.Text.Title)
		page.Form = embedForm(s.filledSignForm(b, v, form, fields), b.Lang)
		s.render(c, http.StatusUnprocessableEntity, "embed_petition", page)
		return
	}
	page.Receipt, page.SignedAt, page.Pending = code, s.Now(), s.Signing.VerifiesEmail()
	s.render(c, http.StatusOK, "embed_petition", page)
}

// embedForm makes f the widget's: it posts to the widget, in lang, and its
// links open outside the frame.
func embedForm(f SignFormView, lang string) SignFormView {
	f.Action = "/embed/" + f.Slug + "/signatures?lang=" + lang
	f.Embed = true
	return f
}

// embedHeight is the snippet's iframe height in CSS pixels: the widget's
// form with its consents, on a phone, without scrolling inside the frame.
const embedHeight = 1600

// EmbedSnippet is the code the console offers to paste into a partner's
// page, and what it needs to know around it.
type EmbedSnippet struct {
	Code      string // an <iframe> of the widget in the console's language
	Languages string // the languages lang= accepts: "en, fr, km, th"
	Origins   string // the partner origins allowed to frame it, or ""
}

// embedSnippet writes the <iframe> for p, with a title for screen readers
// in b's language, full width, and a height that fits the form.
func (s *Server) embedSnippet(b Base, p *store.Petition) EmbedSnippet {
	title := p.Title
	if cp, ok := s.Petitions.BySlug(p.Slug); ok {
		title = s.petitionText(cp, b.Lang).Title
	}
	code := fmt.Sprintf(`<iframe src="%s/embed/%s?lang=%s" title="%s" width="100%%" height="%d" loading="lazy"></iframe>`,
		s.BaseURL, url.PathEscape(p.Slug), b.Lang, html.EscapeString(b.T("embed.iframe_title", title)), embedHeight)
	return EmbedSnippet{Code: code, Languages: strings.Join(s.Messages.Languages(), ", "),
		Origins: strings.Join(s.EmbedOrigins, ", ")}
}
