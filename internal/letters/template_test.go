package letters_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/letters"
	"github.com/cambodia-sanctions/campaign/internal/pdf"
)

func TestConfigTemplatesLoad(t *testing.T) {
	ts, err := letters.LoadTemplates("../../config/letters")
	if err != nil {
		t.Fatal(err)
	}
	if got := ts.Languages(); !slices.Equal(got, []string{"de", "en", "fr"}) {
		t.Errorf("languages %v, want de en fr", got)
	}
}

// TestTemplateErrorsAtLoad: a template that names a variable that does
// not exist fails to load, wherever the name hides, with the file, the
// line and the key; nothing is ever printed blank.
func TestTemplateErrorsAtLoad(t *testing.T) {
	en, err := os.ReadFile("../../config/letters/en.md")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body, want string
	}{
		{"misspelt at top level", "Hello {{.Signerz}}", `map has no entry for key "Signerz"`},
		{"misspelt nested", "{{.Jurisdiction.Nmae}}", `map has no entry for key "Nmae"`},
		{"in a branch no sample takes", `{{if gt .Signers 999999999}}{{.Petiton.Title}}{{end}}`, `"Petiton"`},
		{"in an else", `{{if .Signers}}x{{else}}{{.Totl}}{{end}}`, `"Totl"`},
		{"inside a range", `{{range .NameGroups}}{{.Cty}}{{end}}`, `"Cty"`},
		{"through a range variable", `{{range $i, $g := .NotYet}}{{$g.Nam}}{{end}}`, `"Nam"`},
		{"through with", `{{with .Digest}}{{.Rooot}}{{end}}`, `"Rooot"`},
		{"through root from a range", `{{range .Petition.Demands}}{{$.Dte}}{{end}}`, `"Dte"`},
		{"syntax", "{{if .Signers}}", "unexpected EOF"},
		{"unknown function", "{{shout .Date}}", `function "shout" not defined`},
		{"wrong argument type", "{{num .Date}}", "wrong type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "en.md"), en, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "fr.md"), []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := letters.LoadTemplates(dir)
			if err == nil {
				t.Fatal("the template loaded")
			}
			path := filepath.Join(dir, "fr.md")
			if !strings.HasPrefix(err.Error(), path+": template: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to start with %q and say %q", err, path+": template: ", tt.want)
			}
		})
	}
}

func TestTemplateNeedsEnglish(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fr.md"), []byte("{{.Date}}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := letters.LoadTemplates(dir); err == nil || !strings.Contains(err.Error(), "en.md") {
		t.Errorf("no English template: %v, want an error naming en.md", err)
	}
}

func TestValidTemplateVariables(t *testing.T) {
	body := `{{.Date}} {{.Language}} {{.Petition.Title}} {{.Petition.Slug}} {{range .Petition.Demands}}{{.}}{{end}}
{{.Jurisdiction.Code}} {{.Jurisdiction.Name}} {{.Jurisdiction.TheName}} {{.Jurisdiction.InName}} {{.Jurisdiction.Addressee}}
{{range .Jurisdiction.Address}}{{.}}{{end}} {{range .Jurisdiction.CopyTo}}{{.Addressee}}{{join .Address ", "}}{{end}}
{{.Jurisdiction.Regime}} {{.Jurisdiction.Law}} {{.Jurisdiction.Designates}} {{.Jurisdiction.CoverageNote}}
{{.Jurisdiction.HasRegime}} {{.Jurisdiction.EUMember}} {{.Jurisdiction.IsEU}} {{.Ask}} {{.EURegime}}
{{.Covers.ArbitraryDetention}} {{.Covers.Torture}} {{.Covers.ForcedLabour}} {{.Covers.Killings}} {{.Covers.Corruption}} {{.Covers.Expression}}
{{num .Signers}} {{num .Total}} {{range .Designated}}{{.Name}}{{.Role}}{{.Conduct}}{{join .By "; "}}{{end}}
{{range .NotYet}}{{.Name}}{{end}} {{range .NameGroups}}{{.City}}{{.Country}}{{join .Names ", "}}{{end}} {{num .NameCount}}
{{.Digest.Count}} {{.Digest.Root}} {{.Digest.GeneratedAt}} {{.Digest.VerifyURL}}`
	if _, err := letters.ParseTemplate("es", body); err != nil {
		t.Errorf("a template using every documented variable: %v", err)
	}
	parts := `{{define "target"}}- {{.Name}}: {{join .By "; "}}
{{end}}{{range .NotYet}}{{template "target" .}}{{end}}`
	if _, err := letters.ParseTemplate("en", parts); err != nil {
		t.Errorf("a template with a part called on each target: %v", err)
	}
	if _, err := letters.ParseTemplate("en", strings.ReplaceAll(parts, ".By", ".Bye")); err == nil ||
		!strings.Contains(err.Error(), "Bye") {
		t.Errorf("a misspelt field in a part: %v", err)
	}
}

func TestParseBlocks(t *testing.T) {
	got := letters.ParseBlocks(`| Minister
| 1 Street

>> 26 November 2026
# Title
Dear Sir,
  a paragraph
on three lines.
## Heading
- one
- two
~ small
` + "` 0123 4567" + `
+++
last
`)
	want := []pdf.Block{
		{Style: pdf.StyleAddress, Text: "Minister"}, {Style: pdf.StyleAddress, Text: "1 Street"},
		{Style: pdf.StyleRight, Text: "26 November 2026"}, {Style: pdf.StyleTitle, Text: "Title"},
		{Style: pdf.StyleBody, Text: "Dear Sir, a paragraph on three lines."},
		{Style: pdf.StyleHeading, Text: "Heading"}, {Style: pdf.StyleBullet, Text: "one"}, {Style: pdf.StyleBullet, Text: "two"},
		{Style: pdf.StyleSmall, Text: "small"}, {Style: pdf.StyleMono, Text: "0123 4567"}, {Style: pdf.StylePageBreak},
		{Style: pdf.StyleBody, Text: "last"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("blocks\n%+v\nwant\n%+v", got, want)
	}
	if b := letters.ParseBlocks("#hashtag and -5 degrees"); len(b) != 1 || b[0].Style != pdf.StyleBody {
		t.Errorf("text that only starts like a marker: %+v", b)
	}
}
