package i18n_test

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cambodia-sanctions/campaign/internal/i18n"
	"github.com/cambodia-sanctions/campaign/web"
)

// campaignLanguages are the languages the whole interface must exist in.
var campaignLanguages = []string{"en", "km", "th", "fr"}

// fmtVerb matches a fmt verb: flags, an optional explicit argument index
// (%[3]s), width, precision, and the verb letter or %%.
var fmtVerb = regexp.MustCompile(`%[-+# 0]*(?:\[[0-9]+\])?[0-9]*(?:\.[0-9]*)?(?:\[[0-9]+\])?[a-zA-Z%]`)

// catalogProblems compares every language of c with English and returns one
// line per problem, sorted: missing keys (grouped by language), extra keys,
// fmt verbs that differ from English, empty values and values equal to their
// key.
func catalogProblems(c *i18n.Catalog, required []string) []string {
	var problems []string
	for _, lang := range required {
		if !c.Has(lang) {
			problems = append(problems, fmt.Sprintf("%s: no catalog (want web/locales/%s.json)", lang, lang))
		}
	}
	en := map[string]string{}
	for _, k := range c.Keys(i18n.Fallback) {
		en[k] = c.T(i18n.Fallback, k)
	}
	for _, lang := range c.Languages() {
		msgs := map[string]string{}
		for _, k := range c.Keys(lang) {
			msgs[k] = c.T(lang, k)
		}
		var missing []string
		for k := range en {
			if _, ok := msgs[k]; !ok {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			problems = append(problems, fmt.Sprintf("%s: %d keys missing: %s", lang, len(missing), strings.Join(missing, ", ")))
		}
		for _, k := range c.Keys(lang) {
			v := msgs[k]
			enMsg, known := en[k]
			switch {
			case !known:
				problems = append(problems, fmt.Sprintf("%s: extra key %q that English lacks", lang, k))
				continue
			case strings.TrimSpace(v) == "":
				problems = append(problems, fmt.Sprintf("%s: %q is empty", lang, k))
				continue
			case v == k:
				problems = append(problems, fmt.Sprintf("%s: %q is the key itself", lang, k))
			}
			want, got := fmtVerb.FindAllString(enMsg, -1), fmtVerb.FindAllString(v, -1)
			if strings.Join(want, " ") != strings.Join(got, " ") {
				problems = append(problems, fmt.Sprintf("%s: %q has fmt verbs %q, English has %q", lang, k, got, want))
			}
		}
	}
	return problems
}

func TestCatalogsComplete(t *testing.T) {
	c, err := i18n.Load(web.FS, "locales")
	if err != nil {
		t.Fatalf("Load(web.FS, locales): %v", err)
	}
	for _, p := range catalogProblems(c, campaignLanguages) {
		t.Error(p)
	}
}

// TestCatalogFilesMirrorEnglish keeps each language laid out like English:
// locales/<lang>.json has the keys of en.json, and locales/<lang>/<part>.json
// the keys of en/<part>.json, so a translator finds a message where the
// English one is.
func TestCatalogFilesMirrorEnglish(t *testing.T) {
	keysOf := func(name string) (map[string]bool, error) {
		b, err := fs.ReadFile(web.FS, name)
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		keys := map[string]bool{}
		for k := range m {
			keys[k] = true
		}
		return keys, nil
	}
	parts, err := fs.Glob(web.FS, "locales/en/*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range campaignLanguages[1:] {
		pairs := [][2]string{{"locales/en.json", "locales/" + lang + ".json"}}
		for _, p := range parts {
			pairs = append(pairs, [2]string{p, path.Join("locales", lang, path.Base(p))})
		}
		for _, pair := range pairs {
			want, err := keysOf(pair[0])
			if err != nil {
				t.Fatal(err)
			}
			got, err := keysOf(pair[1])
			if err != nil {
				t.Errorf("%s: %v (it should mirror %s)", lang, err, pair[0])
				continue
			}
			var misplaced []string
			for k := range want {
				if !got[k] {
					misplaced = append(misplaced, k)
				}
			}
			for k := range got {
				if !want[k] {
					misplaced = append(misplaced, k)
				}
			}
			if len(misplaced) > 0 {
				sort.Strings(misplaced)
				t.Errorf("%s and %s differ in keys: %s", pair[1], pair[0], strings.Join(misplaced, ", "))
			}
		}
	}
}

// TestCatalogProblemsFound makes sure the completeness check fails on what it
// is meant to catch.
func TestCatalogProblemsFound(t *testing.T) {
	fsys := fstest.MapFS{
		"locales/en.json":       {Data: []byte(`{"a": "Hello", "b": "%s of %d", "c": "Bye", "d": "%s then %[3]s and %[2]s"}`)},
		"locales/en/part.json":  {Data: []byte(`{"p": "Part"}`)},
		"locales/fr.json":       {Data: []byte(`{"a": "Bonjour", "b": "%d sur %s", "d": "%s puis %[2]s et %[3]s", "x": "en trop"}`)},
		"locales/fr/part.json":  {Data: []byte(`{"p": "  "}`)},
		"locales/km.json":       {Data: []byte(`{"a": "a", "b": "%s %d", "c": "c", "d": "%s %[3]s %[2]s", "p": "p"}`)},
		"locales/th/other.json": {Data: []byte(`{"a": "ก", "b": "%s %d", "c": "ค", "d": "%s %[3]s %[2]s", "p": "ป"}`)},
	}
	c, err := i18n.Load(fsys, "locales")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(catalogProblems(c, []string{"en", "fr", "km", "th", "de"}), "\n")
	for _, want := range []string{
		`de: no catalog`,
		`fr: 1 keys missing: c`,
		`fr: "b" has fmt verbs ["%d" "%s"], English has ["%s" "%d"]`,
		`fr: "d" has fmt verbs ["%s" "%[2]s" "%[3]s"], English has ["%s" "%[3]s" "%[2]s"]`,
		`fr: extra key "x"`,
		`fr: "p" is empty`,
		`km: "a" is the key itself`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q; got:\n%s", want, got)
		}
	}
	if strings.Contains(got, "th:") {
		t.Errorf("th is complete, whatever its files are called, yet problems name it:\n%s", got)
	}
}
