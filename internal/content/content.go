// Package content loads the campaign's content from the config directory:
// the article published on the home page and the petitions.
//
// The files are written by hand by the campaign team, so every problem is
// reported with the file, the line and the field, all at once, e.g.
//
//	config/petitions.yaml:14: petition "free-them": goal: must be a whole number above 0, got "lots"
package content

import (
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/cambodia-sanctions/campaign/internal/yamlfile"
)

// Article is the op-ed published on the home page.
type Article struct {
	Title    string
	Byline   string        // empty by default: the author is not named
	Markdown string        // body, Markdown
	HTML     template.HTML // body rendered by RenderMarkdown
}

// Petition is a petition as written in config/petitions.yaml.
type Petition struct {
	Slug      string     // lower-case a-z0-9 and '-', 3..64
	Title     string     // required, <= 200
	Summary   string     // required, <= 500, plain text
	Body      string     // required, Markdown
	Demands   []string   // at least one, each plain text
	Goal      int        // > 0
	Status    string     // "open" or "closed"
	Countries []string   // ISO alpha-2 codes (country.Valid) or "EU"; at least one
	Featured  bool       // exactly one petition in the file must be featured
	OpensAt   *time.Time // optional RFC 3339 or YYYY-MM-DD
	ClosesAt  *time.Time // optional, after OpensAt
}

// Campaign is everything loaded from the config directory.
type Campaign struct {
	Article   Article
	Petitions []Petition
	// Translations are the texts in other languages, by language code
	// (article.fr.md, petitions.fr.yaml → "fr").
	Translations map[string]Translation
}

// Names of the files Load reads in the config directory.
const (
	ArticleFile   = "article.md"
	PetitionsFile = "petitions.yaml"
)

// Load reads and checks dir/article.md, dir/petitions.yaml and their
// translations (dir/article.LANG.md, dir/petitions.LANG.yaml). On any
// problem it returns an error listing every problem found, one per line,
// each naming the file, the line and the field.
func Load(dir string) (*Campaign, error) {
	article, articleErr := loadArticle(filepath.Join(dir, ArticleFile))
	petitions, petitionsErr := loadPetitions(filepath.Join(dir, PetitionsFile))
	var english map[string]Petition // nil: the slugs cannot be checked
	if petitionsErr == nil {
		english = make(map[string]Petition, len(petitions))
		for _, p := range petitions {
			english[p.Slug] = p
		}
	}
	translations, translationsErr := loadTranslations(dir, english)
	if err := errors.Join(articleErr, petitionsErr, translationsErr); err != nil {
		return nil, err
	}
	return &Campaign{Article: article, Petitions: petitions, Translations: translations}, nil
}

// readContent reads a content file; what says what the campaign loses
// without it.
func readContent(file, what string) ([]byte, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &yamlfile.Problem{File: file, Msg: "not found: " + what + " (see README)"}
	}
	if err != nil {
		return nil, err // *fs.PathError names the file
	}
	text, err := yamlfile.Text(file, data)
	return []byte(text), err
}

// htmlTag finds what looks like an HTML tag in text meant to be plain.
var htmlTag = regexp.MustCompile(`<[a-zA-Z/!][^>]*>`)

// textField reads a single-line text value: trimmed, required, at most max
// characters. plain text must hold no HTML: it is shown as written.
func textField(v *yaml.Node, max int, plain bool) (string, string) {
	if yamlfile.IsNull(v) {
		return "", "must not be empty"
	}
	if v.Kind != yaml.ScalarNode {
		return "", "must be text, not a list or a set of fields"
	}
	return textValue(v.Value, max, plain)
}

// textValue checks text as textField does.
func textValue(s string, max int, plain bool) (string, string) {
	s = strings.TrimSpace(s)
	switch n := utf8.RuneCountInString(s); {
	case s == "":
		return "", "must not be empty"
	case max > 0 && n > max:
		return "", fmt.Sprintf("must be at most %d characters, it has %d", max, n)
	}
	if plain {
		if tag := htmlTag.FindString(s); tag != "" {
			return "", fmt.Sprintf("is plain text, shown as written: remove the HTML %q", tag)
		}
	}
	return s, ""
}

// loadArticle reads the article: YAML front matter between "---" lines,
// then the Markdown body.
func loadArticle(file string) (Article, error) {
	data, err := readContent(file, "the campaign needs an article")
	if err != nil {
		return Article{}, err
	}
	return parseArticle(file, string(data))
}

func parseArticle(file, src string) (Article, error) {
	r := &yamlfile.Report{File: file}
	lines := strings.Split(src, "\n")
	if strings.TrimSpace(lines[0]) != "---" {
		r.Add(1, "", `the article must start with front matter: a "---" line, "title: …", then a closing "---" line`)
		return Article{}, r.Err()
	}
	end := -1
	for i := 1; i < len(lines); i++ {
		if strings.TrimRight(lines[i], " \t") == "---" {
			end = i
			break
		}
	}
	if end < 0 {
		r.Add(1, "", `the front matter is not closed: add a "---" line after the title`)
		return Article{}, r.Err()
	}

	var a Article
	var meta yaml.Node
	front := strings.Join(lines[1:end], "\n")
	if err := yaml.Unmarshal([]byte(front), &meta); err != nil {
		return Article{}, yamlfile.SyntaxProblem(file, 1, front, err)
	}
	titleSeen := false
	if len(meta.Content) > 0 {
		m := meta.Content[0]
		if m.Kind != yaml.MappingNode {
			r.Add(m.Line+1, "", `the front matter must be fields such as "title: …"`)
			return Article{}, r.Err()
		}
		seen := make(map[string]int)
		for _, kv := range yamlfile.Pairs(m) {
			k, v := kv[0], kv[1]
			line := k.Line + 1 // the front matter starts on line 2
			if first, dup := seen[k.Value]; dup {
				r.Add(line, k.Value, "appears twice (first on line %d)", first)
				continue
			}
			seen[k.Value] = line
			var msg string
			switch k.Value {
			case "title":
				titleSeen = true
				a.Title, msg = textField(v, 200, true)
			case "byline":
				if yamlfile.IsNull(v) || (v.Kind == yaml.ScalarNode && strings.TrimSpace(v.Value) == "") {
					break // byline: "" means unsigned
				}
				a.Byline, msg = textField(v, 200, true)
			default:
				msg = `unknown field: the front matter takes "title" and "byline"`
			}
			if msg != "" {
				r.Add(line, k.Value, "%s", msg)
			}
		}
	}
	if !titleSeen {
		r.Add(1, "title", `missing: add "title: …" to the front matter`)
	}

	a.Markdown = strings.TrimSpace(strings.Join(lines[end+1:], "\n"))
	if a.Markdown == "" {
		r.Add(end+1, "", `the article has no text after the closing "---" line`)
	}
	if err := r.Err(); err != nil {
		return Article{}, err
	}
	html, err := RenderMarkdown(a.Markdown)
	if err != nil {
		return Article{}, &yamlfile.Problem{File: file, Msg: "rendering Markdown: " + err.Error()}
	}
	a.HTML = html
	return a, nil
}
