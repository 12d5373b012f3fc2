package server

import (
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cambodia-sanctions/campaign/internal/content"
	"github.com/cambodia-sanctions/campaign/internal/country"
	"github.com/cambodia-sanctions/campaign/internal/petition"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

// PetitionView is a petition with its live figures, and its words in the
// page's language (Text), which templates show instead of the stored
// English title, summary, body and demands.
type PetitionView struct {
	*petition.Petition
	Text    PetitionText
	Count   int64       // the public total: Total.N
	Total   PublicTotal // the total as it may be shown (see publicFigures)
	Version uint64      // of the figures, for caching
	Open    bool
	Figures []CountryFigure
	// Schedule says, in the page's language, when the petition opens,
	// until when it takes signatures or when it closed; "" when it has no
	// date that matters now.
	Schedule  string
	Addressed []string // names of the countries (and the EU) it addresses
}

// HomePage is the article beside the featured petition.
type HomePage struct {
	Base
	Article content.Article
	// ArticleLang is "en" when the article is shown in English on a page
	// in another language.
	ArticleLang string
	Petition    *PetitionView
	Form        SignFormView
}

// PetitionListPage lists the petitions.
type PetitionListPage struct {
	Base
	Petitions []PetitionView
}

// NoteKey is the note above the list when titles or summaries are shown
// in English on a page in another language.
func (p PetitionListPage) NoteKey() string {
	var langs []string
	for _, v := range p.Petitions {
		langs = append(langs, v.Text.TitleLang, v.Text.SummaryLang)
	}
	return untranslatedNote(langs...)
}

// PetitionPage is one petition with its form.
type PetitionPage struct {
	Base
	Petition PetitionView
	Form     SignFormView
}

// view returns p with its figures and its words in lang.
func (s *Server) view(p *petition.Petition, lang string) PetitionView {
	t := s.Counter.Get(p.ID)
	f := publicFigures(t, int64(s.MinPublicCount))
	v := PetitionView{
		Petition: p,
		Text:     s.petitionText(p, lang),
		Count:    f.Total.N,
		Total:    f.Total,
		Version:  t.Version,
		Open:     p.IsOpenAt(s.Now()),
		Figures:  f.Countries,
		Schedule: s.schedule(p, lang),
	}
	for _, code := range p.Countries {
		v.Addressed = append(v.Addressed, countryName(code))
	}
	return v
}

// schedule is PetitionView.Schedule. The last day to sign is shown rather
// than the closing instant: a petition that closes at midnight on 1 March
// is open until 28 February.
func (s *Server) schedule(p *petition.Petition, lang string) string {
	now := s.Now()
	switch {
	case p.ClosesAt != nil && !now.Before(*p.ClosesAt):
		return s.Messages.T(lang, "petition.closed_on", s.Messages.Date(lang, p.ClosesAt.UTC()))
	case p.Status != store.PetitionOpen:
		return ""
	case p.OpensAt != nil && now.Before(*p.OpensAt):
		return s.Messages.T(lang, "petition.opens_on", s.Messages.Date(lang, p.OpensAt.UTC()))
	case p.ClosesAt != nil:
		return s.Messages.T(lang, "petition.open_until", s.Messages.Date(lang, p.ClosesAt.Add(-time.Nanosecond).UTC()))
	}
	return ""
}

// countryName names a country code, or the European Union for "EU".
func countryName(code string) string {
	if code == "EU" {
		return "European Union"
	}
	if n := country.Name(code); n != "" {
		return n
	}
	return code
}

func (s *Server) handleHome(c *gin.Context) {
	s.renderCached(c, "home", func(b Base) (string, any) {
		page := HomePage{Base: b}
		page.Article, page.ArticleLang = s.article(b.Lang)
		page.Title = page.Article.Title
		description := b.T("site.tagline")
		if p := s.Petitions.Featured(); p != nil {
			v := s.view(p, b.Lang)
			page.Petition = &v
			page.Form = s.cachedSignForm(v)
			description = v.Text.Summary
		}
		page.OG = s.openGraph(b, "/", page.Title, description)
		return "home", page
	})
}

func (s *Server) handlePetitionList(c *gin.Context) {
	s.renderCached(c, "petitions", func(b Base) (string, any) {
		page := PetitionListPage{Base: b}
		page.Title = b.T("petitions.title")
		for _, p := range s.Petitions.All() {
			page.Petitions = append(page.Petitions, s.view(p, b.Lang))
		}
		return "petitions", page
	})
}

func (s *Server) handlePetitionShow(c *gin.Context) {
	p, ok := s.Petitions.BySlug(c.Param("slug"))
	if !ok {
		s.handleNotFound(c)
		return
	}
	s.renderCached(c, "petition|"+p.Slug, func(b Base) (string, any) {
		v := s.view(p, b.Lang)
		page := PetitionPage{Base: b, Petition: v, Form: s.cachedSignForm(v)}
		page.Title = v.Text.Title
		page.OG = s.openGraph(b, "/petitions/"+p.Slug, v.Text.Title, v.Text.Summary)
		return "petition", page
	})
}
