package letters

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"
	"text/template/parse"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Letter templates live in config/letters/LANG.md, one per language (en,
// fr, de, …), and a petition may have its own for any language (edited in
// the console, stored in letter_templates). A letter to a jurisdiction is
// written with the template of the jurisdiction's language: the
// petition's own if it has one, else config/letters; when neither exists
// for that language the letter falls back to English, again the
// petition's own first. English must therefore exist in config/letters.
//
// A template is Go text/template over the variables listed in
// TemplateVariables, with missingkey=error. Every template is checked when
// it is loaded or saved: each field it names, in every branch, must be a
// variable, and it is executed against sample letters of every kind (each
// ask, an EU member state, the EU itself, with and without names and
// targets). A misspelt or missing variable is therefore an error at start
// — "config/letters/fr.md: template: fr.md:12:5: map has no entry for key
// "Signerz"" — never a blank in a printed letter.
//
// A template writes Markdown-like lines, turned into blocks by ParseBlocks:
//
//	# Title            the letter's title
//	## Heading         a section heading
//	- item             a list item
//	| line             an address line (consecutive ones stay together)
//	>> line            a line set flush right (the date)
//	~ text             small print
//	` text             monospace, wrapped anywhere (the digest)
//	+++                a new page
//	other lines        a paragraph; a blank line ends it
//
// Other Markdown (emphasis, links) is not interpreted: it prints as typed.

// Fallback is the language of the template used when the jurisdiction's
// language has none.
const Fallback = "en"

// Templates are the letter templates of config/letters, parsed and checked.
type Templates struct {
	byLang map[string]*template.Template
	source map[string]string
}

var langFile = regexp.MustCompile(`^([a-z]{2,3})\.md$`)

// LoadTemplates reads and checks every LANG.md in dir (config/letters).
// All problems are reported at once, each prefixed with its file's path.
func LoadTemplates(dir string) (*Templates, error) {
	files, err := fs.Glob(os.DirFS(dir), "*.md")
	if err != nil {
		return nil, fmt.Errorf("letter templates %s: %w", dir, err)
	}
	t := &Templates{byLang: map[string]*template.Template{}, source: map[string]string{}}
	var errs []error
	for _, f := range files {
		m := langFile.FindStringSubmatch(f)
		if m == nil {
			continue
		}
		path := filepath.Join(dir, f)
		b, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		tpl, err := ParseTemplate(m[1], string(b))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", path, err))
			continue
		}
		t.byLang[m[1]], t.source[m[1]] = tpl, string(b)
	}
	if _, ok := t.source[Fallback]; !ok && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("%s: the English template, the fallback for every language, is missing",
			filepath.Join(dir, Fallback+".md")))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return t, nil
}

// Languages lists the languages with a template in config/letters.
func (t *Templates) Languages() []string {
	out := make([]string, 0, len(t.source))
	for l := range t.source {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// Source returns the text of config/letters/LANG.md ("" when none).
func (t *Templates) Source(lang string) string { return t.source[lang] }

// ValidLanguage reports whether lang is a language code a template may be
// written for (two or three lower-case letters).
func ValidLanguage(lang string) bool { return langFile.MatchString(lang + ".md") }

// ParseTemplate parses a letter template for lang and checks it as
// LoadTemplates does.
func ParseTemplate(lang, body string) (*template.Template, error) {
	name := lang + ".md"
	tpl, err := template.New(name).Option("missingkey=error").Funcs(templateFuncs(lang)).Parse(body)
	if err != nil {
		return nil, err
	}
	if err := checkFields(tpl); err != nil {
		return nil, err
	}
	for _, sample := range sampleVars(lang) {
		var b strings.Builder
		if err := tpl.Execute(&b, sample); err != nil {
			return nil, err
		}
	}
	return tpl, nil
}

// templateFuncs are the functions a template may call; num writes a
// number as the letter's language does (1,234 · 1 234 · 1.234).
func templateFuncs(lang string) template.FuncMap {
	pr := message.NewPrinter(language.Make(lang))
	return template.FuncMap{
		"num":  func(n int64) string { return pr.Sprintf("%d", n) },
		"join": func(xs []string, sep string) string { return strings.Join(xs, sep) },
	}
}

// checkFields walks every branch of tpl and checks each field it names
// against the sample letter, so a misspelt variable inside an {{if}} that
// the samples never take is still an error. A {{define}}d part is called
// with a dot the checker does not follow; the samples execute it.
func checkFields(tpl *template.Template) error {
	root := sampleVars(Fallback)[0]
	for _, t := range tpl.Templates() {
		if t.Tree == nil || t.Tree.Root == nil {
			continue
		}
		var dot any
		if t.Name() == tpl.Name() {
			dot = root
		}
		c := &fieldChecker{tree: t.Tree, vars: map[string]any{"$": dot}}
		if err := c.walk(t.Tree.Root, dot); err != nil {
			return err
		}
	}
	return nil
}

type fieldChecker struct {
	tree *parse.Tree
	vars map[string]any
}

func (c *fieldChecker) fail(n parse.Node, key string) error {
	loc, _ := c.tree.ErrorContext(n)
	return fmt.Errorf("template: %s: map has no entry for key %q", loc, key)
}

// walk checks node with dot standing for a sample value (nil: unknown).
func (c *fieldChecker) walk(node parse.Node, dot any) error {
	switch n := node.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, child := range n.Nodes {
			if err := c.walk(child, dot); err != nil {
				return err
			}
		}
	case *parse.ActionNode:
		_, err := c.pipe(n.Pipe, dot)
		return err
	case *parse.IfNode:
		return c.branch(&n.BranchNode, dot)
	case *parse.WithNode:
		return c.branch(&n.BranchNode, dot)
	case *parse.RangeNode:
		return c.branch(&n.BranchNode, dot)
	case *parse.TemplateNode:
		if n.Pipe != nil {
			_, err := c.pipe(n.Pipe, dot)
			return err
		}
	}
	return nil
}

// branch checks an if, with or range: its pipeline, its body with dot
// as the body sees it, and its else part with the outer dot.
func (c *fieldChecker) branch(b *parse.BranchNode, dot any) error {
	v, err := c.pipe(b.Pipe, dot)
	if err != nil {
		return err
	}
	inner := dot
	switch b.NodeType {
	case parse.NodeWith:
		inner = v
	case parse.NodeRange:
		inner = sampleElement(v)
		if decl := b.Pipe.Decl; len(decl) > 0 {
			if len(decl) == 2 {
				c.vars[decl[0].Ident[0]] = nil // the index
			}
			c.vars[decl[len(decl)-1].Ident[0]] = inner
		}
	}
	if err := c.walk(b.List, inner); err != nil {
		return err
	}
	return c.walk(b.ElseList, dot)
}

// sampleElement is a sample element of a sample list (nil: unknown).
func sampleElement(v any) any {
	switch l := v.(type) {
	case []map[string]any:
		if len(l) > 0 {
			return l[0]
		}
	case []string:
		return ""
	}
	return nil
}

// pipe checks a pipeline and returns the sample value it yields.
func (c *fieldChecker) pipe(p *parse.PipeNode, dot any) (any, error) {
	if p == nil {
		return nil, nil
	}
	var last any
	for _, cmd := range p.Cmds {
		for i, arg := range cmd.Args {
			v, err := c.arg(arg, dot)
			if err != nil {
				return nil, err
			}
			if i == 0 && len(cmd.Args) == 1 {
				last = v
			} else {
				last = nil
			}
		}
	}
	if len(p.Decl) == 1 && !p.IsAssign {
		c.vars[p.Decl[0].Ident[0]] = last
	}
	return last, nil
}

// arg checks one argument and returns its sample value.
func (c *fieldChecker) arg(n parse.Node, dot any) (any, error) {
	switch a := n.(type) {
	case *parse.DotNode:
		return dot, nil
	case *parse.FieldNode:
		return c.fields(a, dot, a.Ident)
	case *parse.VariableNode:
		return c.fields(a, c.vars[a.Ident[0]], a.Ident[1:])
	case *parse.ChainNode:
		if p, ok := a.Node.(*parse.PipeNode); ok {
			v, err := c.pipe(p, dot)
			if err != nil {
				return nil, err
			}
			return c.fields(a, v, a.Field)
		}
	case *parse.PipeNode:
		return c.pipe(a, dot)
	}
	return nil, nil
}

// fields follows a chain of field names from v; an unknown value (nil, or
// not a map) ends the check without error.
func (c *fieldChecker) fields(n parse.Node, v any, names []string) (any, error) {
	for _, name := range names {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, nil
		}
		if v, ok = m[name]; !ok {
			return nil, c.fail(n, name)
		}
	}
	return v, nil
}
