package server_test

import (
	"html"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/content"
	"github.com/cambodia-sanctions/campaign/internal/server"
)

// withRealArticle serves the article and its translations as shipped in
// config/, as serve does.
func withRealArticle(t *testing.T) envOption {
	t.Helper()
	camp, err := content.Load("../../config")
	if err != nil {
		t.Fatalf("load config/: %v", err)
	}
	return func(o *server.Options) { o.Article, o.Translations = camp.Article, camp.Translations }
}

// withTranslations sets the texts in other languages.
func withTranslations(tr map[string]content.Translation) envOption {
	return func(o *server.Options) { o.Translations = tr }
}

// testTranslations translate the open petition fully into French and only
// its summary into Khmer; Thai has nothing.
var testTranslations = map[string]content.Translation{
	"fr": {Petitions: map[string]content.PetitionText{"open-petition": {
		Title:    "Libérez les prisonniers",
		Summary:  "Une pétition pour les tests.",
		BodyHTML: template.HTML("<p>Corps de la pétition de <strong>test</strong>.</p>"),
		Demands:  []string{"Faire ce qui est juste"},
	}}},
	"km": {Petitions: map[string]content.PetitionText{"open-petition": {Summary: "ញត្តិសម្រាប់ការសាកល្បង។"}}},
}

// note returns the untranslated-content note a page in lang shows, as
// the page escapes it.
func (e *env) note(lang, key string) string {
	return template.HTMLEscapeString(e.msgs.T(lang, key))
}

func TestArticleInEachLanguage(t *testing.T) {
	e := newEnv(t, withRealArticle(t))
	tests := []struct {
		lang, title string
		note        string // the note's key, or "" for none
	}{
		{"en", "Cambodia’s political prisoners are hostages.", ""},
		{"fr", "Les prisonniers politiques du Cambodge sont des otages.", ""},
		// No one has translated the article into Khmer or Thai: those pages
		// show the English, say so, and mark it as English.
		{"km", "Cambodia’s political prisoners are hostages.", "content.untranslated"},
		{"th", "Cambodia’s political prisoners are hostages.", "content.untranslated"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			w := e.get("/?lang=" + tt.lang)
			body := w.Body.String()
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			if h := html.UnescapeString(section(t, body, `<h1 id="article-title"`, "</h1>")); !strings.Contains(h, tt.title) {
				t.Errorf("article heading %q, want it to contain %q", h, tt.title)
			}
			mustContain(t, body, `<html lang="`+tt.lang+`">`)
			title, prose := byID(t, body, "article-title"), tagsWithClass(body, "div", "prose")
			if tt.note == "" {
				mustNotContain(t, body, `<p class="notice untranslated">`)
				if title.has("lang") || len(prose) != 1 || prose[0].has("lang") {
					t.Errorf("translated article marked as another language: heading lang %q, prose %v", title.attrs["lang"], prose)
				}
				return
			}
			mustContain(t, body, `<p class="notice untranslated">`+e.note(tt.lang, tt.note)+`</p>`)
			if title.attrs["lang"] != "en" || len(prose) != 1 || prose[0].attrs["lang"] != "en" {
				t.Errorf("English article on a %s page: heading lang %q, prose %v; want lang=\"en\" on both so screen readers read it as English",
					tt.lang, title.attrs["lang"], prose)
			}
		})
	}
	// The French article is the whole article, not a summary of it.
	mustContain(t, e.get("/?lang=fr").Body.String(), "Ma Chinda et Hak Kosal")
}

// tagsWithClass returns the start tags named name whose class list has class.
func tagsWithClass(body, name, class string) []tag {
	var out []tag
	for _, tg := range tagsNamed(body, name) {
		for _, c := range strings.Fields(tg.attrs["class"]) {
			if c == class {
				out = append(out, tg)
			}
		}
	}
	return out
}

func TestPetitionTextInEachLanguage(t *testing.T) {
	e := newEnv(t, withTranslations(testTranslations))
	tests := []struct {
		lang                  string
		title, summary, claim string
		english               []string // ids or classes of the parts shown in English
		note                  string
	}{
		{"en", "Free the prisoners", "A petition used in tests.", "Do the right thing", nil, ""},
		{"fr", "Libérez les prisonniers", "Une pétition pour les tests.", "Faire ce qui est juste", nil, ""},
		{"km", "Free the prisoners", "ញត្តិសម្រាប់ការសាកល្បង។", "Do the right thing",
			[]string{"title", "prose", "demands"}, "content.untranslated_part"},
		{"th", "Free the prisoners", "A petition used in tests.", "Do the right thing",
			[]string{"title", "lead", "prose", "demands"}, "content.untranslated"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			w := e.get("/petitions/open-petition?lang=" + tt.lang)
			body := html.UnescapeString(w.Body.String())
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			for _, want := range []string{"<title>" + tt.title + " · ", ">" + tt.title + "</h1>", ">" + tt.summary + "</p>", "<li>" + tt.claim + "</li>"} {
				mustContain(t, body, want)
			}
			raw := w.Body.String()
			marked := map[string]bool{
				"title":   byID(t, raw, "petition-title").attrs["lang"] == "en",
				"lead":    tagsWithClass(raw, "p", "lead")[0].attrs["lang"] == "en",
				"prose":   tagsWithClass(raw, "div", "prose")[0].attrs["lang"] == "en",
				"demands": tagsWithClass(raw, "ol", "demands")[0].attrs["lang"] == "en",
			}
			for _, part := range tt.english {
				if !marked[part] {
					t.Errorf("the %s is shown in English without lang=\"en\"", part)
				}
				delete(marked, part)
			}
			for part, m := range marked {
				if m {
					t.Errorf("the %s is translated but marked lang=\"en\"", part)
				}
			}
			if tt.note != "" {
				mustContain(t, raw, e.note(tt.lang, tt.note))
			} else {
				mustNotContain(t, raw, `class="notice untranslated"`)
			}
		})
	}

	t.Run("list", func(t *testing.T) {
		fr := html.UnescapeString(e.get("/petitions?lang=fr").Body.String())
		mustContain(t, fr, ">Libérez les prisonniers</a></h2>")
		// The closed petition has no French text: the list says so.
		mustContain(t, fr, e.msgs.T("fr", "content.untranslated_part"))
		th := e.get("/petitions?lang=th").Body.String()
		mustContain(t, th, e.note("th", "content.untranslated"))
	})

	t.Run("home page panel", func(t *testing.T) {
		km := e.get("/?lang=km").Body.String()
		if got := byID(t, km, "petition-title").attrs["lang"]; got != "en" {
			t.Errorf("home page in Khmer: panel title lang %q, want en", got)
		}
		mustContain(t, html.UnescapeString(km), "ញត្តិសម្រាប់ការសាកល្បង។")
	})

	t.Run("API and share links", func(t *testing.T) {
		if got := decodeJSON(t, e.get("/api/petitions/open-petition?lang=fr"))["title"]; got != "Libérez les prisonniers" {
			t.Errorf("API title in French = %v", got)
		}
		b := e.newBrowser()
		b.do(http.MethodGet, "/language/fr", "")
		if w := b.postForm("open-petition", e.validForm("share-fr@example.org")); w.Code != http.StatusSeeOther {
			t.Fatalf("sign: status %d", w.Code)
		}
		thanks := b.get("/petitions/open-petition/thanks").Body.String()
		var wa string
		for _, a := range tagsNamed(thanks, "a") {
			if strings.HasPrefix(a.attrs["href"], "https://wa.me/") {
				wa = a.attrs["href"]
			}
		}
		u, err := url.Parse(wa)
		if err != nil || u.Query().Get("text") != "Libérez les prisonniers http://campaign.test/petitions/open-petition" {
			t.Errorf("WhatsApp share link %q, want the French title and the petition's address", wa)
		}
	})
}

// A translation with fewer demands than the English (an organizer added
// one in the console since) is not used: the English list is shown.
func TestTranslatedDemandsMustMatchEnglish(t *testing.T) {
	e := newEnv(t, withTranslations(map[string]content.Translation{"fr": {Petitions: map[string]content.PetitionText{
		"open-petition": {Title: "Libérez les prisonniers", Demands: []string{"Un", "Deux"}}}}}))
	body := e.get("/petitions/open-petition?lang=fr").Body.String()
	mustContain(t, body, "<li>Do the right thing</li>")
	mustNotContain(t, body, "<li>Deux</li>")
	if got := tagsWithClass(body, "ol", "demands")[0].attrs["lang"]; got != "en" {
		t.Errorf("English demands on a French page: lang %q, want en", got)
	}
}
