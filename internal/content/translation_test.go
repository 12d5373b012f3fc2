package content

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The shipped French text covers the article and both petitions in full;
// Khmer and Thai have none yet (their pages show English, with a note),
// since no one has translated the article faithfully into them.
func TestLoadRealConfigTranslations(t *testing.T) {
	c, err := Load("../../config")
	if err != nil {
		t.Fatalf("Load(../../config): %v", err)
	}
	if got := c.Languages(); !slices.Equal(got, []string{"fr"}) {
		t.Errorf("translated into %q, want [fr]", got)
	}
	fr := c.Translations["fr"]
	if fr.Article == nil || !strings.Contains(string(fr.Article.HTML), "<p>La mort d’Alexeï Navalny") {
		t.Fatalf("French article missing or not rendered: %+v", fr.Article)
	}
	if got, want := strings.Count(string(fr.Article.HTML), "<p>"), strings.Count(string(c.Article.HTML), "<p>"); got != want {
		t.Errorf("French article has %d paragraphs, the English %d: a paragraph is missing", got, want)
	}
	for _, p := range c.Petitions {
		tr, ok := fr.Petitions[p.Slug]
		if !ok {
			t.Errorf("petition %q has no French text", p.Slug)
			continue
		}
		if tr.Title == "" || tr.Summary == "" || tr.BodyHTML == "" || len(tr.Demands) != len(p.Demands) {
			t.Errorf("petition %q: French text incomplete: %+v", p.Slug, tr)
		}
		if got := c.PetitionTitle(p.Slug, "fr"); got != tr.Title {
			t.Errorf("PetitionTitle(%q, fr) = %q, want %q", p.Slug, got, tr.Title)
		}
		if got := c.PetitionTitle(p.Slug, "km"); got != "" {
			t.Errorf("PetitionTitle(%q, km) = %q, want none (no Khmer file)", p.Slug, got)
		}
	}
}

// writeTranslation adds a file to a config directory made by writeConfig.
func writeTranslation(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadTranslations(t *testing.T) {
	dir := writeConfig(t, readTestdata(t, ArticleFile), readTestdata(t, PetitionsFile))
	writeTranslation(t, dir, "article.fr.md", "---\ntitle: Un article\n---\n\nDu **texte**.\n")
	writeTranslation(t, dir, "petitions.fr.yaml", "petitions:\n  - slug: free-them\n    summary: Libérez-les.\n")
	writeTranslation(t, dir, "petitions.km.yaml", "petitions:\n  - slug: free-them\n    title: ដោះលែងពួកគេ\n    demands: [ដោះលែងពួកគេ។]\n")
	writeTranslation(t, dir, "notes.fr.txt", "not content") // other files are left alone
	c, err := Load(dir)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := c.Languages(); !slices.Equal(got, []string{"fr", "km"}) {
		t.Errorf("Languages() = %q, want [fr km]", got)
	}
	fr := c.Translations["fr"]
	if fr.Article == nil || fr.Article.Title != "Un article" || !strings.Contains(string(fr.Article.HTML), "<strong>texte</strong>") {
		t.Errorf("French article = %+v", fr.Article)
	}
	p := fr.Petitions["free-them"]
	if p.Summary != "Libérez-les." || p.Title != "" || p.BodyHTML != "" || p.Demands != nil {
		t.Errorf("French petition = %+v; want the summary only, the rest left to English", p)
	}
	km := c.Translations["km"]
	if km.Article != nil {
		t.Errorf("Khmer article = %+v, want none (there is no article.km.md)", km.Article)
	}
	if p := km.Petitions["free-them"]; p.Title != "ដោះលែងពួកគេ" || !slices.Equal(p.Demands, []string{"ដោះលែងពួកគេ។"}) {
		t.Errorf("Khmer petition = %+v", p)
	}
}

// TestLoadTranslationErrors checks that each mistake a translator can make
// is reported with the file, the line and the field.
func TestLoadTranslationErrors(t *testing.T) {
	tests := []struct {
		name, file, text string
		want             string // the error must contain this, after the file name
	}{
		{"unknown slug", "petitions.fr.yaml", "petitions:\n  - slug: free-him\n    title: Libérez-le\n",
			`:2: petition #1: slug: no petition in petitions.yaml has the slug "free-him"`},
		{"slug missing", "petitions.fr.yaml", "petitions:\n  - title: Libérez-les\n",
			`:2: petition #1: slug: missing`},
		{"too few demands", "petitions.fr.yaml", "petitions:\n  - slug: free-them\n    demands: []\n",
			`:3: petition "free-them": demands: must be a list of at least one demand`},
		{"demands miscounted", "petitions.fr.yaml", "petitions:\n  - slug: free-them\n    demands: [Un., Deux.]\n",
			`:3: petition "free-them": demands: has 2 demands and the English has 1`},
		{"goal in a translation", "petitions.fr.yaml", "petitions:\n  - slug: free-them\n    title: Libérez-les\n    goal: 5\n",
			`:4: petition "free-them": goal: is the same in every language: set it in petitions.yaml only`},
		{"unknown field", "petitions.fr.yaml", "petitions:\n  - slug: free-them\n    titre: Libérez-les\n",
			`:3: petition "free-them": titre: unknown field: a translation has slug, title, summary, body, demands`},
		{"nothing translated", "petitions.fr.yaml", "petitions:\n  - slug: free-them\n",
			`:2: petition "free-them": translates nothing`},
		{"slug twice", "petitions.fr.yaml", "petitions:\n  - slug: free-them\n    title: A\n  - slug: free-them\n    title: B\n",
			`:4: petition "free-them": slug: already translated on line 2`},
		{"summary with HTML", "petitions.fr.yaml", "petitions:\n  - slug: free-them\n    summary: Libérez-<b>les</b>\n",
			`:3: petition "free-them": summary: is plain text, shown as written: remove the HTML "<b>"`},
		{"title too long", "petitions.fr.yaml", "petitions:\n  - slug: free-them\n    title: " + strings.Repeat("é", 201) + "\n",
			`:3: petition "free-them": title: must be at most 200 characters, it has 201`},
		{"empty list", "petitions.fr.yaml", "petitions: []\n",
			`:1: petitions: the list is empty: translate at least one petition, or delete the file`},
		{"YAML syntax", "petitions.fr.yaml", "petitions:\n  - slug: free-them\n    title: \"Libérez\n",
			`:3: YAML syntax:`},
		{"article title missing", "article.fr.md", "---\nbyline: \"\"\n---\n\nTexte.\n",
			`:1: title: missing`},
		{"article without text", "article.th.md", "---\ntitle: บทความ\n---\n",
			`:3: the article has no text`},
		{"English named as a translation", "article.en.md", "---\ntitle: A\n---\n\nText.\n",
			`: the English text belongs in article.md and petitions.yaml`},
		{"language in capitals", "petitions.FR.yaml", "petitions:\n  - slug: free-them\n    title: A\n",
			`: "FR" is not a language code: name the file after its language in lower case`},
		{"language spelled out", "article.french.md", "---\ntitle: A\n---\n\nText.\n",
			`: "french" is not a language code`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeConfig(t, readTestdata(t, ArticleFile), readTestdata(t, PetitionsFile))
			path := writeTranslation(t, dir, tt.file, tt.text)
			_, err := Load(dir)
			if err == nil {
				t.Fatalf("Load succeeded; want an error containing\n%s%s", path, tt.want)
			}
			if !strings.Contains(err.Error(), path+tt.want) {
				t.Errorf("error does not name the file, line and field:\n got: %v\nwant: …%s%s…", err, path, tt.want)
			}
		})
	}
}

// A broken petitions.yaml is reported once, not again as every
// translation's slug being unknown.
func TestLoadTranslationsWithBrokenPetitions(t *testing.T) {
	dir := writeConfig(t, readTestdata(t, ArticleFile), "petitions: []\n")
	writeTranslation(t, dir, "petitions.fr.yaml", "petitions:\n  - slug: free-them\n    title: Libérez-les\n")
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), "petitions.yaml:1: petitions: the list is empty") {
		t.Fatalf("Load error = %v, want the empty list in petitions.yaml", err)
	}
	if strings.Contains(err.Error(), "petitions.fr.yaml") {
		t.Errorf("the translation is blamed for petitions.yaml's mistake:\n%v", err)
	}
}
