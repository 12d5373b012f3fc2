package i18n_test

import (
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cambodia-sanctions/campaign/internal/i18n"
	"github.com/cambodia-sanctions/campaign/web"
)

// templateKey finds message keys in template text: {{.T "key"}},
// {{$.T "key" .N}}, {{T "key"}}.
var templateKey = regexp.MustCompile(`(?:^|[\s{(.$])T\s+"([^"\\]+)"`)

// missingTemplateKeys scans every templates/**/*.html in fsys and returns
// "file:line key" for each key c's English catalog lacks, and how many keys
// it found in all.
func missingTemplateKeys(t *testing.T, fsys fs.FS, c *i18n.Catalog) (missing []string, found int) {
	t.Helper()
	known := map[string]bool{}
	for _, k := range c.Keys(i18n.Fallback) {
		known[k] = true
	}
	err := fs.WalkDir(fsys, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".html") {
			return err
		}
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			for _, m := range templateKey.FindAllStringSubmatch(line, -1) {
				found++
				if !known[m[1]] {
					missing = append(missing, fmt.Sprintf("%s:%d %s", path, i+1, m[1]))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return missing, found
}

func TestTemplateKeysExistInEnglish(t *testing.T) {
	c, err := i18n.Load(web.FS, "locales")
	if err != nil {
		t.Fatal(err)
	}
	missing, found := missingTemplateKeys(t, web.FS, c)
	for _, m := range missing {
		t.Errorf("%s: web/locales/en.json lacks this key, so the page would show it raw", m)
	}
	// The templates use dozens of keys; finding few means the pattern broke.
	if found < 40 {
		t.Errorf("found only %d message keys in the templates, want 40 or more", found)
	}
}

func TestMissingTemplateKeysAreReported(t *testing.T) {
	fsys := fstest.MapFS{
		"locales/en.json":             {Data: []byte(`{"site.name": "Campaign", "form.title": "Sign"}`)},
		"templates/layout.html":       {Data: []byte("<title>{{.T \"site.name\"}}</title>\n")},
		"templates/pages/thanks.html": {Data: []byte("<h1>{{.T \"form.title\"}}</h1>\n<p>{{$.T \"thanks.typo\" .N}}</p>\n")},
		"templates/notes.txt":         {Data: []byte(`{{.T "not.a.template"}}`)},
	}
	c, err := i18n.Load(fsys, "locales")
	if err != nil {
		t.Fatal(err)
	}
	missing, found := missingTemplateKeys(t, fsys, c)
	if want := []string{"templates/pages/thanks.html:2 thanks.typo"}; !slices.Equal(missing, want) || found != 3 {
		t.Errorf("missing %v of %d keys, want %v of 3", missing, found, want)
	}
}

func TestTemplateKeyPattern(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{`<h2>{{.T "form.title"}}</h2>`, []string{"form.title"}},
		{`{{$.T "figures.fewer_than" $.MinPublic}}`, []string{"figures.fewer_than"}},
		{`{{T "site.name"}} {{ .T  "nav.skip" }}`, []string{"site.name", "nav.skip"}},
		{`{{.T (printf "x")}} {{.Title}} {{template "field" .}}`, nil},
		{`{{.Count}} {{call .LT "a"}}`, nil},
	}
	for _, tt := range tests {
		var got []string
		for _, m := range templateKey.FindAllStringSubmatch(tt.text, -1) {
			got = append(got, m[1])
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("keys in %q = %v, want %v", tt.text, got, tt.want)
		}
	}
}
