// Package i18n holds the interface's message catalogs (one JSON file per
// language in web/locales) and picks a language for a request.
package i18n

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Fallback is the language used when no other matches, and the source of
// any message a catalog lacks.
const Fallback = "en"

// Catalog maps language → key → message.
type Catalog struct {
	msgs  map[string]map[string]string
	langs []string
}

// Load reads every dir/*.json file in fsys; the file name is the language tag.
func Load(fsys fs.FS, dir string) (*Catalog, error) {
	files, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	// A language may also have a folder of catalogs (locales/en/*.json),
	// one per part of the interface, merged into one; a key defined twice
	// is an error.
	parts, err := fs.Glob(fsys, path.Join(dir, "*", "*.json"))
	if err != nil {
		return nil, err
	}
	c := &Catalog{msgs: map[string]map[string]string{}}
	for _, f := range append(files, parts...) {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("message catalog %s: %w", f, err)
		}
		lang := strings.TrimSuffix(path.Base(f), ".json")
		if path.Dir(f) != dir {
			lang = path.Base(path.Dir(f))
		}
		if c.msgs[lang] == nil {
			c.msgs[lang] = map[string]string{}
			c.langs = append(c.langs, lang)
		}
		for k, v := range m {
			if _, dup := c.msgs[lang][k]; dup {
				return nil, fmt.Errorf("message catalog %s: key %q is already defined for %s", f, k, lang)
			}
			c.msgs[lang][k] = v
		}
	}
	if _, ok := c.msgs[Fallback]; !ok {
		return nil, fmt.Errorf("message catalog %s/%s.json is missing", dir, Fallback)
	}
	sort.Strings(c.langs)
	return c, nil
}

// Languages lists the available language tags.
func (c *Catalog) Languages() []string { return c.langs }

// Has reports whether lang has a catalog.
func (c *Catalog) Has(lang string) bool { _, ok := c.msgs[lang]; return ok }

// Keys returns the keys of lang's catalog, sorted.
func (c *Catalog) Keys(lang string) []string {
	keys := make([]string, 0, len(c.msgs[lang]))
	for k := range c.msgs[lang] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// T returns the message for key in lang, falling back to English, then to
// the key itself so a missing message is visible rather than blank. Args
// fill fmt verbs in the message.
func (c *Catalog) T(lang, key string, args ...any) string {
	msg, ok := c.msgs[lang][key]
	if !ok {
		if msg, ok = c.msgs[Fallback][key]; !ok {
			return key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// Negotiate picks a language: an explicit choice if available, else the
// best match from an Accept-Language header, else the fallback.
func (c *Catalog) Negotiate(choice, acceptLanguage string) string {
	if c.Has(choice) {
		return choice
	}
	best, bestQ := Fallback, -1.0
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag, q := parseWeighted(strings.TrimSpace(part))
		if q <= 0 {
			continue // q=0 means "not acceptable" (RFC 9110 §12.4.2)
		}
		base := strings.ToLower(strings.SplitN(tag, "-", 2)[0])
		if c.Has(base) && q > bestQ {
			best, bestQ = base, q
		}
	}
	return best
}

func parseWeighted(s string) (string, float64) {
	tag, params, _ := strings.Cut(s, ";")
	q := 1.0
	if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
		if _, err := fmt.Sscanf(v, "%g", &q); err != nil {
			q = 0
		}
	}
	return strings.TrimSpace(tag), q
}
