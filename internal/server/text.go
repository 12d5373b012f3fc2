package server

import (
	"html/template"

	"github.com/cambodia-sanctions/campaign/internal/content"
	"github.com/cambodia-sanctions/campaign/internal/i18n"
	"github.com/cambodia-sanctions/campaign/internal/petition"
)

// The campaign's own words (the article, the petitions) come from config/
// in English, and in other languages where Options.Translations has them.
// A page in a language they are not translated into shows the English
// text, marked lang="en" so screen readers pronounce it as English, under
// a note in the page's language that says so.

// PetitionText is a petition's words as a page in one language shows them.
// Each *Lang field is "en" when that part is the English text on a page in
// another language (not yet translated), and "" otherwise.
type PetitionText struct {
	Title, Summary string
	BodyHTML       template.HTML
	Demands        []string

	TitleLang, SummaryLang, BodyLang, DemandsLang string
}

// NoteKey is the message key of the note a page shows above the whole
// petition: none when everything is translated, else whether all of it or
// some of it is in English.
func (t PetitionText) NoteKey() string {
	return untranslatedNote(t.TitleLang, t.SummaryLang, t.BodyLang, t.DemandsLang)
}

// HeadNoteKey is NoteKey for pages that show only the title and summary
// (lists, the home page's panel, the widget).
func (t PetitionText) HeadNoteKey() string {
	return untranslatedNote(t.TitleLang, t.SummaryLang)
}

func untranslatedNote(langs ...string) string {
	fallbacks := 0
	for _, l := range langs {
		if l != "" {
			fallbacks++
		}
	}
	switch fallbacks {
	case 0:
		return ""
	case len(langs):
		return "content.untranslated"
	}
	return "content.untranslated_part"
}

// petitionText returns p's words in lang, part by part: the translation
// where config/petitions.LANG.yaml has one, else the English. Translated
// demands are used only while there are as many as in English (an
// organizer may have added one in the console since).
func (s *Server) petitionText(p *petition.Petition, lang string) PetitionText {
	t := PetitionText{Title: p.Title, Summary: p.Summary, BodyHTML: p.BodyHTML, Demands: p.Demands}
	if lang == i18n.Fallback {
		return t
	}
	tr := s.Translations[lang].Petitions[p.Slug]
	t.Title, t.TitleLang = translated(tr.Title, p.Title)
	t.Summary, t.SummaryLang = translated(tr.Summary, p.Summary)
	if tr.BodyHTML != "" {
		t.BodyHTML = tr.BodyHTML
	} else {
		t.BodyLang = i18n.Fallback
	}
	if len(tr.Demands) > 0 && len(tr.Demands) == len(p.Demands) {
		t.Demands = tr.Demands
	} else {
		t.DemandsLang = i18n.Fallback
	}
	return t
}

// translated picks the translation, or the English and "en".
func translated(translation, english string) (string, string) {
	if translation != "" {
		return translation, ""
	}
	return english, i18n.Fallback
}

// article returns the article in lang, and "en" when it is shown in
// English on a page in another language ("" otherwise).
func (s *Server) article(lang string) (content.Article, string) {
	if lang == i18n.Fallback {
		return s.Article, ""
	}
	if a := s.Translations[lang].Article; a != nil {
		return *a, ""
	}
	return s.Article, i18n.Fallback
}
