package content

import (
	"errors"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cambodia-sanctions/campaign/internal/yamlfile"
)

// Translation is the campaign's text in one language other than English,
// from article.LANG.md and petitions.LANG.yaml beside the English files.
// What it lacks, pages show in English, marked as such.
type Translation struct {
	Article   *Article                // from article.LANG.md; nil when there is none
	Petitions map[string]PetitionText // from petitions.LANG.yaml, by slug
}

// PetitionText is a petition's words in one language. A field left empty
// (nil Demands) is not translated: pages show the English one.
type PetitionText struct {
	Title    string
	Summary  string
	Body     string        // Markdown
	BodyHTML template.HTML // Body rendered by RenderMarkdown
	Demands  []string      // as many as the English ones, in the same order
}

// translatedFile matches the names of translation files: article.fr.md,
// petitions.km.yaml. The language is checked apart, to say what is wrong.
var translatedFile = regexp.MustCompile(`^(article\.(.+)\.md|petitions\.(.+)\.yaml)$`)

// languageCode is an ISO 639-1 (or 639-2) code as the file names use it.
var languageCode = regexp.MustCompile(`^[a-z]{2,3}$`)

// loadTranslations reads every translation file in dir. english holds the
// petitions of petitions.yaml by slug, or is nil when that file failed to
// load (then the slugs cannot be checked and are not).
func loadTranslations(dir string, english map[string]Petition) (map[string]Translation, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err // *fs.PathError names the directory
	}
	out := map[string]Translation{}
	var problems []error
	for _, e := range entries {
		m := translatedFile.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			continue
		}
		file := filepath.Join(dir, e.Name())
		lang := m[2] + m[3]
		switch {
		case lang == "en":
			problems = append(problems, &yamlfile.Problem{File: file,
				Msg: "the English text belongs in " + ArticleFile + " and " + PetitionsFile + ": merge this file into them, or name it after the language it is in"})
			continue
		case !languageCode.MatchString(lang):
			problems = append(problems, &yamlfile.Problem{File: file,
				Msg: fmt.Sprintf("%q is not a language code: name the file after its language in lower case, as in article.fr.md or petitions.km.yaml", lang)})
			continue
		}
		tr := out[lang]
		if m[2] != "" {
			a, err := loadArticle(file)
			if err != nil {
				problems = append(problems, err)
				continue
			}
			tr.Article = &a
		} else {
			ps, err := loadPetitionTexts(file, english)
			if err != nil {
				problems = append(problems, err)
				continue
			}
			tr.Petitions = ps
		}
		out[lang] = tr
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	return out, nil
}

// PetitionTitle is the title of the petition slug in lang from its
// translation file, or "" when it has none there.
func (c *Campaign) PetitionTitle(slug, lang string) string {
	return c.Translations[lang].Petitions[slug].Title
}

// Languages returns the languages the campaign's text is translated into,
// sorted.
func (c *Campaign) Languages() []string {
	langs := make([]string, 0, len(c.Translations))
	for l := range c.Translations {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	return langs
}

func loadPetitionTexts(file string, english map[string]Petition) (map[string]PetitionText, error) {
	data, err := readContent(file, "the petitions' translation")
	if err != nil {
		return nil, err
	}
	r := &yamlfile.Report{File: file}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlfile.SyntaxProblem(file, 0, string(data), err)
	}
	list, _ := petitionList(r, &doc, "the list is empty: translate at least one petition, or delete the file")
	if list == nil {
		return nil, r.Err()
	}
	out := map[string]PetitionText{}
	slugLines := map[string]int{}
	for i, item := range list.Content {
		slug, text, line := decodePetitionText(r, i+1, yamlfile.Resolve(item), english)
		if slug == "" {
			continue
		}
		if first, dup := slugLines[slug]; dup {
			r.Add(line, fmt.Sprintf("petition %q: slug", slug), "already translated on line %d: each petition appears once", first)
			continue
		}
		slugLines[slug] = line
		out[slug] = text
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// textFields are the fields a petition's translation may have.
var textFields = []string{"slug", "title", "summary", "body", "demands"}

// decodePetitionText reads one translated petition; it returns its slug
// ("" when it has none that petitions.yaml knows) and the line of the slug.
func decodePetitionText(r *yamlfile.Report, index int, n *yaml.Node, english map[string]Petition) (string, PetitionText, int) {
	var t PetitionText
	label := fmt.Sprintf("petition #%d", index)
	if n.Kind != yaml.MappingNode {
		r.Add(n.Line, label, `must be a set of fields: "slug: …" and the translated "title: …", "summary: …", "body: …", "demands: …"`)
		return "", t, 0
	}
	fields := yamlfile.Pairs(n)
	slug, slugLine := "", n.Line
	for _, kv := range fields {
		if kv[0].Value != "slug" {
			continue
		}
		s, msg := slugField(kv[1])
		slugLine = kv[0].Line
		switch {
		case msg != "":
			r.Add(slugLine, label+": slug", "%s", msg)
		case english != nil && english[s].Slug == "":
			r.Add(slugLine, label+": slug", "no petition in %s has the slug %q: use the slug of the petition this translates", PetitionsFile, s)
		default:
			slug, label = s, fmt.Sprintf("petition %q", s)
		}
	}
	if !hasField(fields, "slug") {
		r.Add(n.Line, label+": slug", `missing: say which petition this translates with "slug: …", as in %s`, PetitionsFile)
	}
	seen := map[string]int{}
	for _, kv := range fields {
		k, v := kv[0], kv[1]
		where := label + ": " + k.Value
		if first, dup := seen[k.Value]; dup {
			r.Add(k.Line, where, "appears twice (first on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		var msg string
		switch k.Value {
		case "slug":
		case "title":
			t.Title, msg = textField(v, 200, true)
		case "summary":
			t.Summary, msg = textField(v, 500, true)
		case "body":
			t.Body, msg = textField(v, 0, false)
		case "demands":
			t.Demands, msg = yamlfile.ListField(r, v, where, "demand", false, func(s string) (string, string) {
				return textValue(s, 500, true)
			})
			if want := len(english[slug].Demands); msg == "" && slug != "" && english != nil && len(t.Demands) != want {
				msg = fmt.Sprintf("has %d demands and the English has %d: translate each demand, in the same order", len(t.Demands), want)
			}
		case "goal", "status", "countries", "featured", "opens_at", "closes_at":
			msg = "is the same in every language: set it in " + PetitionsFile + " only"
		default:
			msg = "unknown field: a translation has " + strings.Join(textFields, ", ")
		}
		if msg != "" {
			r.Add(k.Line, where, "%s", msg)
		}
	}
	if len(seen) == 1 && seen["slug"] > 0 {
		r.Add(n.Line, label, "translates nothing: give at least one of title, summary, body, demands")
	}
	if t.Body != "" {
		html, err := RenderMarkdown(t.Body)
		if err != nil {
			r.Add(seen["body"], label+": body", "rendering Markdown: %v", err)
		}
		t.BodyHTML = html
	}
	return slug, t, slugLine
}

func hasField(fields [][2]*yaml.Node, name string) bool {
	for _, kv := range fields {
		if kv[0].Value == name {
			return true
		}
	}
	return false
}
