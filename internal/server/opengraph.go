package server

import "strings"

// OpenGraph is what a link preview shows of a page: the Open Graph tags
// that messaging apps and social sites read, and the Twitter card tags.
// Every URL in it is this site's, absolute (Options.BaseURL): a preview
// loads nothing from anyone else.
type OpenGraph struct {
	Title       string
	Description string
	URL         string // the page in its language
	Image       string // the campaign's card, /static/og-image.*.png
	ImageAlt    string
	Locale      string   // og:locale of the page's language, as km_KH
	Alternates  []string // og:locale of the site's other languages
}

// ogLocales are the Open Graph locales (language_TERRITORY) of the site's
// languages.
var ogLocales = map[string]string{"en": "en_US", "fr": "fr_FR", "km": "km_KH", "th": "th_TH"}

func ogLocale(lang string) string {
	if l, ok := ogLocales[lang]; ok {
		return l
	}
	return lang
}

// openGraph builds a page's preview: its title and description in b's
// language, at path in that language (?lang= for all but English, so a
// shared Khmer page previews in Khmer).
func (s *Server) openGraph(b Base, path, title, description string) *OpenGraph {
	u := s.BaseURL + path
	if b.Lang != "en" {
		u += "?lang=" + b.Lang
	}
	og := &OpenGraph{Title: title, Description: strings.Join(strings.Fields(description), " "), URL: u,
		Image: s.BaseURL + s.assets.URL("og-image.png"), ImageAlt: b.T("og.image_alt"), Locale: ogLocale(b.Lang)}
	for _, l := range s.Messages.Languages() {
		if l != b.Lang {
			og.Alternates = append(og.Alternates, ogLocale(l))
		}
	}
	return og
}
