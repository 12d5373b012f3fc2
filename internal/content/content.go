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
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
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

// problem is one thing wrong in a content file.
type problem struct {
	file  string
	line  int    // 0 when unknown
	where string // e.g. `petition "free-them": goal`
	msg   string
}

func (p *problem) Error() string {
	var b strings.Builder
	b.WriteString(p.file)
	if p.line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(p.line))
	}
	b.WriteString(": ")
	if p.where != "" {
		b.WriteString(p.where)
		b.WriteString(": ")
	}
	b.WriteString(p.msg)
	return b.String()
}

// report collects the problems of one file.
type report struct {
	file     string
	problems []error
}

func (r *report) add(line int, where, format string, args ...any) {
	r.problems = append(r.problems, &problem{file: r.file, line: line, where: where, msg: fmt.Sprintf(format, args...)})
}

func (r *report) err() error { return errors.Join(r.problems...) }

// readContent reads a content file; what says what the campaign loses
// without it.
func readContent(file, what string) ([]byte, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &problem{file: file, msg: "not found: " + what + " (see README)"}
	}
	if err != nil {
		return nil, err // *fs.PathError names the file
	}
	if !utf8.Valid(data) {
		line := 1 + strings.Count(string(data[:invalidUTF8At(data)]), "\n")
		return nil, &problem{file: file, line: line, msg: "not valid UTF-8 text: save the file as UTF-8"}
	}
	data = []byte(strings.TrimPrefix(string(data), "\ufeff")) // a BOM some editors add
	return []byte(strings.ReplaceAll(string(data), "\r\n", "\n")), nil
}

func invalidUTF8At(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(data)
}

// yamlErrLine matches yaml.v3 syntax errors, "yaml: line 3: did not find …".
var yamlErrLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxProblem turns a YAML syntax error in src into a problem; offset is
// the file line just before src starts (front matter starts at line 2).
func syntaxProblem(file string, offset int, src string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlErrLine.FindStringSubmatch(err.Error()); m != nil {
		msg = m[2]
		line, _ = strconv.Atoi(m[1])
	}
	if l := syntaxLine(src); l > 0 {
		line = l
	}
	if line == 0 {
		return &problem{file: file, msg: "YAML syntax: " + msg}
	}
	return &problem{file: file, line: line + offset, msg: "YAML syntax: " + msg}
}

// syntaxLine finds the line of a syntax error in src. yaml.v3 reports the
// line where the enclosing block or list began, often well above the
// mistake; the mistake is where src stops parsing for good: the first line
// from which every longer prefix fails. (A shorter prefix may fail too, by
// cutting a list written over several lines.) It returns 0 if unsure.
func syntaxLine(src string) int {
	lines := strings.SplitAfter(src, "\n")
	if len(lines) > 1000 {
		return 0 // too slow to search; trust yaml.v3
	}
	for n := len(lines) - 1; n >= 0; n-- {
		var node yaml.Node
		if yaml.Unmarshal([]byte(strings.Join(lines[:n], "")), &node) == nil {
			return n + 1
		}
	}
	return 0
}

// pairs returns the key and value nodes of a mapping, aliases resolved.
func pairs(m *yaml.Node) [][2]*yaml.Node {
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		out = append(out, [2]*yaml.Node{m.Content[i], resolve(m.Content[i+1])})
	}
	return out
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// isNull reports a field written with no value ("goal:" or "goal: null").
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// htmlTag finds what looks like an HTML tag in text meant to be plain.
var htmlTag = regexp.MustCompile(`<[a-zA-Z/!][^>]*>`)

// textField reads a single-line text value: trimmed, required, at most max
// characters. plain text must hold no HTML: it is shown as written.
func textField(v *yaml.Node, max int, plain bool) (string, string) {
	if isNull(v) {
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
	r := &report{file: file}
	lines := strings.Split(src, "\n")
	if strings.TrimSpace(lines[0]) != "---" {
		r.add(1, "", `the article must start with front matter: a "---" line, "title: …", then a closing "---" line`)
		return Article{}, r.err()
	}
	end := -1
	for i := 1; i < len(lines); i++ {
		if strings.TrimRight(lines[i], " \t") == "---" {
			end = i
			break
		}
	}
	if end < 0 {
		r.add(1, "", `the front matter is not closed: add a "---" line after the title`)
		return Article{}, r.err()
	}

	var a Article
	var meta yaml.Node
	front := strings.Join(lines[1:end], "\n")
	if err := yaml.Unmarshal([]byte(front), &meta); err != nil {
		return Article{}, syntaxProblem(file, 1, front, err)
	}
	titleSeen := false
	if len(meta.Content) > 0 {
		m := meta.Content[0]
		if m.Kind != yaml.MappingNode {
			r.add(m.Line+1, "", `the front matter must be fields such as "title: …"`)
			return Article{}, r.err()
		}
		seen := make(map[string]int)
		for _, kv := range pairs(m) {
			k, v := kv[0], kv[1]
			line := k.Line + 1 // the front matter starts on line 2
			if first, dup := seen[k.Value]; dup {
				r.add(line, k.Value, "appears twice (first on line %d)", first)
				continue
			}
			seen[k.Value] = line
			var msg string
			switch k.Value {
			case "title":
				titleSeen = true
				a.Title, msg = textField(v, 200, true)
			case "byline":
				if isNull(v) || (v.Kind == yaml.ScalarNode && strings.TrimSpace(v.Value) == "") {
					break // byline: "" means unsigned
				}
				a.Byline, msg = textField(v, 200, true)
			default:
				msg = `unknown field: the front matter takes "title" and "byline"`
			}
			if msg != "" {
				r.add(line, k.Value, "%s", msg)
			}
		}
	}
	if !titleSeen {
		r.add(1, "title", `missing: add "title: …" to the front matter`)
	}

	a.Markdown = strings.TrimSpace(strings.Join(lines[end+1:], "\n"))
	if a.Markdown == "" {
		r.add(end+1, "", `the article has no text after the closing "---" line`)
	}
	if err := r.err(); err != nil {
		return Article{}, err
	}
	html, err := RenderMarkdown(a.Markdown)
	if err != nil {
		return Article{}, &problem{file: file, msg: "rendering Markdown: " + err.Error()}
	}
	a.HTML = html
	return a, nil
}
