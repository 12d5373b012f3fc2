package content

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The real campaign content must load: the server refuses to start otherwise.
func TestLoadRealConfig(t *testing.T) {
	c, err := Load("../../config")
	if err != nil {
		t.Fatalf("Load(../../config) failed; the shipped content must be valid:\n%v", err)
	}

	a := c.Article
	if a.Title == "" {
		t.Error("article title is empty")
	}
	if a.Byline != "" {
		t.Errorf("article byline = %q, want empty: the author is not named in the text", a.Byline)
	}
	if !strings.Contains(string(a.HTML), "<p>The death of Alexei Navalny") {
		t.Errorf("article HTML does not start a paragraph with the op-ed's first words; got %.200q", a.HTML)
	}
	if strings.Contains(string(a.HTML), "<p>internal affairs") {
		t.Error(`article has a paragraph starting "internal affairs": the stray line break was not joined`)
	}
	if !strings.Contains(a.Markdown, "with Cambodia’s internal affairs.") {
		t.Error(`article lacks "with Cambodia’s internal affairs." in one paragraph`)
	}

	if got := len(c.Petitions); got != 2 {
		t.Fatalf("got %d petitions, want 2", got)
	}
	var featured []string
	for _, p := range c.Petitions {
		if p.Featured {
			featured = append(featured, p.Slug)
		}
		if p.Status != "open" {
			t.Errorf("petition %q status = %q, want open", p.Slug, p.Status)
		}
		if n := len(p.Demands); n < 3 || n > 5 {
			t.Errorf("petition %q has %d demands, want 3 to 5", p.Slug, n)
		}
		for _, code := range []string{"US", "GB", "EU", "CA", "AU", "NZ", "CH", "NO", "JP", "FR", "DE", "EE", "LV", "LT", "XK"} {
			if !slices.Contains(p.Countries, code) {
				t.Errorf("petition %q is not addressed to %s", p.Slug, code)
			}
		}
		if got, want := len(p.Countries), 9+27+1; got != want {
			t.Errorf("petition %q is addressed to %d governments, want %d (9 + the 27 EU member states + XK)", p.Slug, got, want)
		}
		if p.OpensAt != nil || p.ClosesAt != nil {
			t.Errorf("petition %q has dates; want none", p.Slug)
		}
		if strings.Contains(p.Body, "Ma Chinda") || strings.Contains(p.Body, "Human Rights Watch, currently") {
			t.Errorf("petition %q repeats a claim the facts file corrects", p.Slug)
		}
	}
	if want := []string{"coordinated-sanctions"}; !slices.Equal(featured, want) {
		t.Errorf("featured petitions = %q, want %q", featured, want)
	}
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "valid", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// writeConfig writes a config directory; a file given as "" is left out.
func writeConfig(t *testing.T, article, petitions string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range map[string]string{ArticleFile: article, PetitionsFile: petitions} {
		if text == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// edit replaces old with new in s, failing the test if old is not there, so
// that a changed fixture cannot silently turn a case into a no-op.
func edit(t *testing.T, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("fixture does not contain %q", old)
	}
	return strings.Replace(s, old, new, 1)
}

func TestLoadValidTestdata(t *testing.T) {
	c, err := Load(filepath.Join("testdata", "valid"))
	if err != nil {
		t.Fatalf("Load(testdata/valid): %v", err)
	}
	p := c.Petitions[0]
	if p.Slug != "free-them" || p.Goal != 100 || !p.Featured || !slices.Equal(p.Countries, []string{"KH", "FR", "EU"}) {
		t.Errorf("petition decoded as %+v", p)
	}
	if !strings.Contains(string(c.Article.HTML), "<strong>bold</strong>") {
		t.Errorf("article HTML = %q, want the body rendered", c.Article.HTML)
	}
}

func TestLoadPetitionDates(t *testing.T) {
	petitions := edit(t, readTestdata(t, PetitionsFile), "    featured: true\n",
		"    featured: true\n    opens_at: 2026-03-01\n    closes_at: 2026-06-30T18:00:00+07:00\n")
	c, err := Load(writeConfig(t, readTestdata(t, ArticleFile), petitions))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	p := c.Petitions[0]
	if p.OpensAt == nil || !p.OpensAt.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("OpensAt = %v, want 2026-03-01 00:00 UTC", p.OpensAt)
	}
	if p.ClosesAt == nil || !p.ClosesAt.Equal(time.Date(2026, 6, 30, 11, 0, 0, 0, time.UTC)) {
		t.Errorf("ClosesAt = %v, want 2026-06-30 11:00 UTC", p.ClosesAt)
	}
}

// Norway's code is NO, which YAML 1.1 would read as false; yaml.v3 must keep it.
func TestLoadNorwayUnquoted(t *testing.T) {
	petitions := edit(t, readTestdata(t, PetitionsFile), "[KH, FR, EU]", "[KH, NO, EU]")
	c, err := Load(writeConfig(t, readTestdata(t, ArticleFile), petitions))
	if err != nil {
		t.Fatalf("Load with unquoted NO: %v", err)
	}
	if got := c.Petitions[0].Countries; !slices.Equal(got, []string{"KH", "NO", "EU"}) {
		t.Errorf("countries = %q, want [KH NO EU]", got)
	}
}

const secondPetition = `  - slug: other-one
    title: Another
    summary: Another petition.
    body: Text.
    demands: [Act.]
    goal: 10
    status: closed
    countries: [US]
`

// TestLoadPetitionErrors checks that each mistake an organizer can make in
// petitions.yaml is reported with the file, the line and the field.
func TestLoadPetitionErrors(t *testing.T) {
	long := strings.Repeat("x", 201)
	tests := []struct {
		name     string
		old, new string // edit applied to testdata/valid/petitions.yaml
		want     string // the error must contain this
	}{
		{"goal not a number", "goal: 100", "goal: lots",
			`petitions.yaml:9: petition "free-them": goal: must be a whole number above 0, got "lots"`},
		{"goal zero", "goal: 100", "goal: 0",
			`petitions.yaml:9: petition "free-them": goal: must be a whole number above 0`},
		{"goal negative", "goal: 100", "goal: -5",
			`petitions.yaml:9: petition "free-them": goal: must be a whole number above 0`},
		{"goal quoted", "goal: 100", `goal: "100"`,
			`petitions.yaml:9: petition "free-them": goal: must be a whole number above 0`},
		{"goal fraction", "goal: 100", "goal: 1.5",
			`petitions.yaml:9: petition "free-them": goal: must be a whole number above 0`},
		{"goal empty", "goal: 100", "goal:",
			`petitions.yaml:9: petition "free-them": goal: must be a whole number above 0, got nothing`},
		{"goal missing", "    goal: 100\n", "",
			`petitions.yaml:2: petition "free-them": goal: missing`},
		{"title missing", "    title: Free them\n", "",
			`petitions.yaml:2: petition "free-them": title: missing`},
		{"unknown field", "    status: open\n", "    status: open\n    sponsor: someone\n",
			`petitions.yaml:11: petition "free-them": sponsor: unknown field`},
		{"field twice", "    status: open\n", "    status: open\n    goal: 5\n",
			`petitions.yaml:11: petition "free-them": goal: appears twice (first on line 9)`},
		{"status unknown", "status: open", "status: pending",
			`petitions.yaml:10: petition "free-them": status: must be "open" or "closed", got "pending"`},
		{"country unknown", "[KH, FR, EU]", "[KH, ZZ, EU]",
			`petitions.yaml:11: petition "free-them": countries[2]: "ZZ" is not an ISO 3166-1 alpha-2 country code`},
		{"country lower case", "[KH, FR, EU]", "[kh, FR, EU]",
			`petitions.yaml:11: petition "free-them": countries[1]: write country codes in capitals: "KH", not "kh"`},
		{"country UK", "[KH, FR, EU]", "[KH, UK]",
			`petitions.yaml:11: petition "free-them": countries[2]: the code for the United Kingdom is "GB"`},
		{"country twice", "[KH, FR, EU]", "[KH, FR, KH]",
			`petitions.yaml:11: petition "free-them": countries[3]: "KH" is listed twice`},
		{"countries empty", "[KH, FR, EU]", "[]",
			`petitions.yaml:11: petition "free-them": countries: must be a list of at least one country code`},
		{"countries not a list", "[KH, FR, EU]", "KH",
			`petitions.yaml:11: petition "free-them": countries: must be a list`},
		{"slug with capitals", "slug: free-them", "slug: Free-Them",
			`petitions.yaml:2: petition #1: slug: must be 3 to 64 characters of a-z, 0-9 and "-"`},
		{"slug too short", "slug: free-them", "slug: ab",
			`petitions.yaml:2: petition #1: slug: must be 3 to 64 characters`},
		{"slug too long", "slug: free-them", "slug: " + strings.Repeat("a", 65),
			`petitions.yaml:2: petition #1: slug: must be 3 to 64 characters`},
		{"title too long", "title: Free them", "title: " + long,
			`petitions.yaml:3: petition "free-them": title: must be at most 200 characters, it has 201`},
		{"title empty", "title: Free them", `title: ""`,
			`petitions.yaml:3: petition "free-them": title: must not be empty`},
		{"summary too long", "summary: Release all political prisoners.", "summary: " + strings.Repeat("y", 501),
			`petitions.yaml:4: petition "free-them": summary: must be at most 500 characters, it has 501`},
		{"summary with HTML", "summary: Release all political prisoners.", "summary: Release <b>all</b> prisoners.",
			`petitions.yaml:4: petition "free-them": summary: is plain text, shown as written: remove the HTML "<b>"`},
		{"body empty", "    body: |\n      They are **hostages**.\n", "    body: \"  \"\n",
			`petitions.yaml:5: petition "free-them": body: must not be empty`},
		{"demands empty", "    demands:\n      - Release them.\n", "    demands: []\n",
			`petitions.yaml:7: petition "free-them": demands: must be a list of at least one demand`},
		{"demand empty", "      - Release them.\n", "      - Release them.\n      - \"\"\n",
			`petitions.yaml:9: petition "free-them": demands[2]: must not be empty`},
		{"featured not a boolean", "featured: true", "featured: yes",
			`petitions.yaml:12: petition "free-them": featured: must be true or false, got "yes"`},
		{"no petition featured", "featured: true", "featured: false",
			`petitions.yaml:1: featured: no petition is featured`},
		{"opens_at not a date", "featured: true", "featured: true\n    opens_at: soon",
			`petitions.yaml:13: petition "free-them": opens_at: must be a date such as 2026-03-01`},
		{"closes before it opens", "featured: true", "featured: true\n    opens_at: 2026-03-01\n    closes_at: 2026-02-01",
			`petitions.yaml:14: petition "free-them": closes_at: must be after opens_at (2026-03-01T00:00:00Z)`},
		{"duplicate slug", "    featured: true\n", "    featured: true\n" + strings.Replace(secondPetition, "other-one", "free-them", 1),
			`petitions.yaml:13: petition "free-them": slug: already used by the petition on line 2`},
		{"two featured", "    featured: true\n", "    featured: true\n" + secondPetition + "    featured: true\n",
			`petitions.yaml:21: petition "other-one": featured: only one petition can be featured, and petition "free-them" (line 12) already is`},
		{"petition not a mapping", "    featured: true\n", "    featured: true\n  - just text\n",
			`petitions.yaml:13: petition #2: must be a set of fields`},
		{"unknown top-level field", "petitions:\n", "campaign: x\npetitions:\n",
			`petitions.yaml:1: campaign: unknown top-level field`},
		{"YAML unclosed list", "    title: Free them\n", "    title: [Free them\n",
			`petitions.yaml:3: YAML syntax:`},
		{"YAML bad indentation", "    summary: Release", "   summary: Release",
			`petitions.yaml:4: YAML syntax:`},
		{"YAML unclosed quote", "    status: open\n", "    status: \"open\n",
			`petitions.yaml:10: YAML syntax:`},
		{"YAML tab indentation", "    status: open\n", "\tstatus: open\n",
			`petitions.yaml:10: YAML syntax:`},
		// A list over several lines must not be mistaken for the error below it.
		{"YAML error after a multi-line list", "    countries: [KH, FR, EU]\n    featured: true\n",
			"    countries: [KH,\n      FR, EU]\n    featured: true\n    goal: : 5\n",
			`petitions.yaml:14: YAML syntax:`},
	}
	article := readTestdata(t, ArticleFile)
	base := readTestdata(t, PetitionsFile)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeConfig(t, article, edit(t, base, tt.old, tt.new))
			c, err := Load(dir)
			if err == nil {
				t.Fatalf("Load succeeded with %d petitions; want an error containing\n%s", len(c.Petitions), tt.want)
			}
			if !strings.Contains(err.Error(), filepath.Join(dir, PetitionsFile)) {
				t.Errorf("error does not name the file %s:\n%v", filepath.Join(dir, PetitionsFile), err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error does not say where and what:\n got: %v\nwant: …%s…", err, tt.want)
			}
		})
	}
}

func TestLoadPetitionFileErrors(t *testing.T) {
	tests := []struct {
		name, petitions, want string
	}{
		{"empty file", "# nothing yet\n", `petitions.yaml:1: the file is empty`},
		{"no petitions key", "petition:\n  - slug: x\n", `petitions.yaml:1: petition: unknown top-level field`},
		{"empty list", "petitions: []\n", `petitions.yaml:1: petitions: the list is empty`},
		{"not a list", "petitions:\n  slug: free-them\n", `petitions.yaml:1: petitions: must be a list`},
		{"top level a list", "- slug: free-them\n", `petitions.yaml:1: the file must start with "petitions:"`},
	}
	article := readTestdata(t, ArticleFile)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeConfig(t, article, tt.petitions))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error:\n got: %v\nwant: …%s…", err, tt.want)
			}
		})
	}
}

func TestLoadArticleErrors(t *testing.T) {
	tests := []struct {
		name     string
		old, new string // edit applied to testdata/valid/article.md
		want     string
	}{
		{"no front matter", "---\ntitle: A test article\nbyline: \"\"\n---\n", "",
			`article.md:1: the article must start with front matter`},
		{"front matter not closed", "byline: \"\"\n---\n", "byline: \"\"\n",
			`article.md:1: the front matter is not closed`},
		{"title missing", "title: A test article\n", "",
			`article.md:1: title: missing`},
		{"title empty", "title: A test article", `title: ""`,
			`article.md:2: title: must not be empty`},
		{"title too long", "title: A test article", "title: " + strings.Repeat("t", 201),
			`article.md:2: title: must be at most 200 characters`},
		{"unknown field", "byline: \"\"\n", "byline: \"\"\nauthor: Someone\n",
			`article.md:4: author: unknown field: the front matter takes "title" and "byline"`},
		{"YAML syntax error", "byline: \"\"\n", "byline: \"unclosed\n",
			`article.md:3: YAML syntax:`},
		{"no body", "\nFirst paragraph with **bold** text.\n\nSecond paragraph.\n", "\n",
			`article.md:4: the article has no text`},
	}
	base := readTestdata(t, ArticleFile)
	petitions := readTestdata(t, PetitionsFile)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeConfig(t, edit(t, base, tt.old, tt.new), petitions)
			_, err := Load(dir)
			if err == nil {
				t.Fatalf("Load succeeded; want an error containing\n%s", tt.want)
			}
			if !strings.Contains(err.Error(), filepath.Join(dir, ArticleFile)) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error does not say where and what:\n got: %v\nwant: %s…%s…", err, filepath.Join(dir, ArticleFile), tt.want)
			}
		})
	}
}

func TestLoadArticleByline(t *testing.T) {
	for _, tt := range []struct{ line, want string }{
		{`byline: ""`, ""},
		{`byline:`, ""},
		{`byline: The campaign team`, "The campaign team"},
	} {
		article := edit(t, readTestdata(t, ArticleFile), `byline: ""`, tt.line)
		c, err := Load(writeConfig(t, article, readTestdata(t, PetitionsFile)))
		if err != nil {
			t.Errorf("%s: Load: %v", tt.line, err)
			continue
		}
		if c.Article.Byline != tt.want {
			t.Errorf("%s: Byline = %q, want %q", tt.line, c.Article.Byline, tt.want)
		}
	}
}

// Windows line endings and a BOM must not break the front matter.
func TestLoadArticleCRLF(t *testing.T) {
	article := "\ufeff" + strings.ReplaceAll(readTestdata(t, ArticleFile), "\n", "\r\n")
	c, err := Load(writeConfig(t, article, readTestdata(t, PetitionsFile)))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Article.Title != "A test article" {
		t.Errorf("Title = %q, want %q", c.Article.Title, "A test article")
	}
}

func TestLoadMissingFiles(t *testing.T) {
	article, petitions := readTestdata(t, ArticleFile), readTestdata(t, PetitionsFile)
	tests := []struct {
		name, article, petitions, want string
	}{
		{"no article", "", petitions, "article.md: not found: the campaign needs an article (see README)"},
		{"no petitions", article, "", "petitions.yaml: not found: the campaign needs at least one petition (see README)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeConfig(t, tt.article, tt.petitions))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error:\n got: %v\nwant: …%s…", err, tt.want)
			}
		})
	}
}

// An operator fixing the files should see every problem at once.
func TestLoadReportsAllProblems(t *testing.T) {
	article := edit(t, readTestdata(t, ArticleFile), "title: A test article", `title: ""`)
	petitions := edit(t, readTestdata(t, PetitionsFile), "goal: 100", "goal: 0")
	petitions = edit(t, petitions, "status: open", "status: shut")
	_, err := Load(writeConfig(t, article, petitions))
	if err == nil {
		t.Fatal("Load succeeded; want three problems")
	}
	for _, want := range []string{"article.md:2: title:", "petitions.yaml:9: petition \"free-them\": goal:", "petitions.yaml:10: petition \"free-them\": status:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if got := strings.Count(err.Error(), "\n") + 1; got != 3 {
		t.Errorf("error has %d lines, want one per problem (3):\n%v", got, err)
	}
}
