package server

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cambodia-sanctions/campaign/internal/i18n"
)

// pageSet holds one parsed template set per page: a layout, the partials
// and that page's own file.
type pageSet struct {
	sets map[string]*template.Template
}

// pageGroups are the pages and the layout that frames them: the site's
// pages (templates/pages/NAME.html, page NAME) and the signing widget's,
// framed by partner sites (templates/embed/NAME.html, page embed_NAME).
var pageGroups = []struct{ layout, pages, prefix string }{
	{"templates/layout.html", "templates/pages/*.html", ""},
	{"templates/embed/layout.html", "templates/embed/*.html", "embed_"},
}

func parsePages(fsys fs.FS, funcs template.FuncMap) (*pageSet, error) {
	ps := &pageSet{sets: map[string]*template.Template{}}
	for _, g := range pageGroups {
		files, err := fs.Glob(fsys, g.pages)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if f == g.layout {
				continue
			}
			name := g.prefix + strings.TrimSuffix(path.Base(f), ".html")
			// Each layout file is named layout.html: the set's root.
			t, err := template.New("layout.html").Funcs(funcs).ParseFS(fsys, g.layout, "templates/partials/*.html", f)
			if err != nil {
				return nil, fmt.Errorf("page %s: %w", name, err)
			}
			ps.sets[name] = t
		}
	}
	return ps, nil
}

// Base is what every page's layout needs.
type Base struct {
	Lang      string
	Title     string
	Canonical string // absolute URL of the page
	RequestID string
	// Cached marks a render for the page cache: live parts (counts, the
	// form token) become markers that are filled in per request.
	Cached bool
	// Admin is set on console pages: who is signed in, with which role.
	Admin *AdminContext
	// Path is the page's path, for the language switch and alternates.
	Path      string
	BaseURL   string
	LangLinks []Language
	// OG is the page's link preview (Open Graph and Twitter card tags);
	// nil for pages not worth sharing.
	OG   *OpenGraph
	msgs *i18n.Catalog
}

// T translates key into the page's language.
func (b Base) T(key string, args ...any) string { return b.msgs.T(b.Lang, key, args...) }

// Number formats n with the grouping of the page's language (i18n.Number).
func (b Base) Number(n int64) string { return i18n.Number(b.Lang, n) }

// Date writes t's day (in UTC) as the page's language writes dates, with
// its month names: 1 March 2027, 1 mars 2027, 1 มีนาคม พ.ศ. 2570.
func (b Base) Date(t time.Time) string { return b.msgs.Date(b.Lang, t.UTC()) }

func (s *Server) base(c *gin.Context, titleKey string, titleArgs ...any) Base {
	b := Base{Lang: s.lang(c), RequestID: requestIDOf(c), msgs: s.Messages, Canonical: s.BaseURL + c.Request.URL.Path,
		Path: c.Request.URL.Path, BaseURL: s.BaseURL}
	for _, l := range s.Messages.Languages() {
		b.LangLinks = append(b.LangLinks, Language{Code: l, Name: languageName(l), Current: l == b.Lang})
	}
	if titleKey != "" {
		b.Title = b.T(titleKey, titleArgs...)
	}
	return b
}

// Language is one entry of the language switch.
type Language struct {
	Code, Name string
	Current    bool
}

// languageName is a language's name in itself, as the switch shows it.
func languageName(code string) string {
	switch code {
	case "en":
		return "English"
	case "km":
		return "ខ្មែរ"
	case "th":
		return "ไทย"
	case "fr":
		return "Français"
	}
	return code
}

// lang picks the page language: ?lang= on this request (the alternate
// links use it), else the visitor's explicit choice (a cookie set by the
// language switch, nothing else in it), else their browser's
// Accept-Language, else English.
func (s *Server) lang(c *gin.Context) string {
	if q := c.Query("lang"); q != "" && s.Messages.Has(q) {
		return q
	}
	choice, _ := c.Cookie("lang")
	return s.Messages.Negotiate(choice, c.GetHeader("Accept-Language"))
}

// render executes a page into a buffer first, so a template error becomes
// a clean 500 instead of half a page.
func (s *Server) render(c *gin.Context, status int, page string, data any) {
	t, ok := s.pages.sets[page]
	if !ok {
		s.Logger.Error("unknown page template", "page", page, "request_id", requestIDOf(c))
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", data); err != nil {
		s.Logger.Error("render page", "page", page, "err", err, "request_id", requestIDOf(c))
		c.Header("Content-Type", "text/plain; charset=utf-8")
		c.String(http.StatusInternalServerError, "Something went wrong on our side. Reference: "+requestIDOf(c))
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// execute renders a whole page into memory.
func (s *Server) execute(page string, data any) ([]byte, error) {
	t, ok := s.pages.sets[page]
	if !ok {
		return nil, fmt.Errorf("unknown page template %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", data); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (s *Server) templateFuncs() template.FuncMap {
	return template.FuncMap{
		"asset":       s.assets.URL,
		"countOf":     countOf,
		"signFormOf":  signFormOf,
		"fieldOf":     fieldOf,
		"figuresOf":   s.figuresOf,
		"countryName": countryName,
		"list":        func(xs ...string) []string { return xs },
		"statuses":    statuses,
		"marker":      s.marker,
		"int64":       func(n int) int64 { return int64(n) },
	}
}
