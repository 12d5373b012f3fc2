package i18n_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cambodia-sanctions/campaign/internal/i18n"
	"github.com/cambodia-sanctions/campaign/web"
)

// catalogOf loads a catalog of the given languages; each knows "greeting",
// English alone knows "only.en", and "count" takes a number.
func catalogOf(t *testing.T, langs ...string) *i18n.Catalog {
	t.Helper()
	files := map[string]string{
		"en": `{"greeting": "Hello", "only.en": "English only", "count": "%d people signed"}`,
		"fr": `{"greeting": "Bonjour", "count": "%d personnes ont signé"}`,
		"km": `{"greeting": "សួស្តី"}`,
		"de": `{"greeting": "Hallo"}`,
	}
	fsys := fstest.MapFS{}
	for _, l := range langs {
		fsys["locales/"+l+".json"] = &fstest.MapFile{Data: []byte(files[l])}
	}
	c, err := i18n.Load(fsys, "locales")
	if err != nil {
		t.Fatalf("Load %v: %v", langs, err)
	}
	return c
}

func TestLoadEmbeddedCatalogs(t *testing.T) {
	c, err := i18n.Load(web.FS, "locales")
	if err != nil {
		t.Fatalf("Load(web.FS): %v", err)
	}
	if !c.Has(i18n.Fallback) {
		t.Fatalf("languages %v lack the fallback %q", c.Languages(), i18n.Fallback)
	}
	if got := c.T("en", "form.submit"); got != "Sign the petition" {
		t.Errorf("T(en, form.submit) = %q, want %q", got, "Sign the petition")
	}
	if n := len(c.Keys("en")); n < 50 {
		t.Errorf("en.json has %d keys, want the full interface (50+)", n)
	}
	for _, lang := range c.Languages() {
		for _, k := range c.Keys(lang) {
			if c.T(lang, k) == "" {
				t.Errorf("%s.json: %q is empty; a missing message should be left out so English shows", lang, k)
			}
		}
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		fsys fstest.MapFS
		want string // part of the error
	}{
		{"no English", fstest.MapFS{"locales/fr.json": {Data: []byte(`{"a": "b"}`)}}, "en.json"},
		{"empty directory", fstest.MapFS{}, "en.json"},
		{"broken JSON", fstest.MapFS{"locales/en.json": {Data: []byte(`{"a": "b",}`)}}, "locales/en.json"},
		{"not strings", fstest.MapFS{"locales/en.json": {Data: []byte(`{"a": 1}`)}}, "locales/en.json"},
		{"broken second language", fstest.MapFS{
			"locales/en.json": {Data: []byte(`{"a": "b"}`)},
			"locales/fr.json": {Data: []byte(`[`)},
		}, "locales/fr.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := i18n.Load(tt.fsys, "locales")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load = %v, %v; want an error naming %s", c, err, tt.want)
			}
		})
	}
}

func TestLanguages(t *testing.T) {
	c := catalogOf(t, "km", "en", "fr")
	if got := strings.Join(c.Languages(), ","); got != "en,fr,km" {
		t.Errorf("Languages() = %s, want en,fr,km", got)
	}
	if c.Has("de") || !c.Has("km") {
		t.Errorf("Has(de) = %v, Has(km) = %v; want false, true", c.Has("de"), c.Has("km"))
	}
}

func TestT(t *testing.T) {
	c := catalogOf(t, "en", "fr")
	tests := []struct {
		lang, key string
		args      []any
		want      string
	}{
		{"fr", "greeting", nil, "Bonjour"},
		{"en", "greeting", nil, "Hello"},
		{"fr", "only.en", nil, "English only"},    // missing in French: English
		{"de", "greeting", nil, "Hello"},          // unknown language: English
		{"", "greeting", nil, "Hello"},            // no language: English
		{"fr", "no.such.key", nil, "no.such.key"}, // missing everywhere: the key, visible
		{"fr", "count", []any{1204}, "1204 personnes ont signé"},
		{"en", "count", []any{3}, "3 people signed"},
		{"de", "count", []any{3}, "3 people signed"}, // fallback message gets the args too
		{"en", "no.such.key", []any{3}, "no.such.key"},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.key, func(t *testing.T) {
			if got := c.T(tt.lang, tt.key, tt.args...); got != tt.want {
				t.Errorf("T(%q, %q, %v) = %q, want %q", tt.lang, tt.key, tt.args, got, tt.want)
			}
		})
	}
}

func TestNegotiate(t *testing.T) {
	withFrench := catalogOf(t, "en", "fr", "km")
	noFrench := catalogOf(t, "en", "de", "km")
	tests := []struct {
		name   string
		c      *i18n.Catalog
		choice string
		header string
		want   string
	}{
		{"explicit choice wins over the header", withFrench, "km", "fr-CH, fr;q=0.9, en;q=0.8", "km"},
		{"explicit English wins", withFrench, "en", "fr", "en"},
		{"unavailable choice falls to the header", withFrench, "es", "fr", "fr"},
		{"nothing at all", withFrench, "", "", "en"},

		{"regional tag matches its base language", withFrench, "", "fr-CH, fr;q=0.9, en;q=0.8", "fr"},
		{"missing language: next best", noFrench, "", "fr-CH, fr;q=0.9, en;q=0.8", "en"},
		{"missing language: next best by q", noFrench, "", "fr-CH, fr;q=0.9, de;q=0.7, en;q=0.5", "de"},
		{"q decides, not order", withFrench, "", "en;q=0.4, fr;q=0.8", "fr"},
		{"equal q: first listed", noFrench, "", "de, km", "de"},
		{"case and spaces", withFrench, "", "  FR-ca ;q=0.7 ,EN;q=0.3", "fr"},
		{"Khmer", withFrench, "", "km-KH,km;q=0.9,en-US;q=0.8,en;q=0.7", "km"},
		{"only unavailable languages", withFrench, "", "ja, zh-CN;q=0.8", "en"},
		{"wildcard", withFrench, "", "*", "en"},
		{"q=0 means not acceptable", withFrench, "", "fr;q=0, ja", "en"},
		{"q=0 with an acceptable one", noFrench, "", "de;q=0, km;q=0.1", "km"},

		{"garbage", withFrench, "", "!!!@@@", "en"},
		{"only separators", withFrench, "", ",,, ;;; ,", "en"},
		{"bad q value", withFrench, "", "fr;q=lots", "en"},
		{"bad q beside a good one", withFrench, "", "fr;q=lots, km;q=0.2", "km"},
		{"path-like choice", withFrench, "../en", "", "en"},
		{"very long header", withFrench, "", strings.Repeat("xx-YY;q=0.1, ", 500) + "fr;q=0.2", "fr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Negotiate(tt.choice, tt.header); got != tt.want {
				t.Errorf("Negotiate(%q, %q) = %q, want %q (available %v)", tt.choice, tt.header, got, tt.want, tt.c.Languages())
			}
		})
	}
}
