package yamlfile_test

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/cambodia-sanctions/campaign/internal/yamlfile"
)

// Problems read file:line: where: what, and a report lists each on a line.
func TestReportNamesFileLineAndField(t *testing.T) {
	r := &yamlfile.Report{File: "petitions.yaml"}
	r.Add(4, `petition "free-them": goal`, "must be a whole number, got %q", "lots")
	r.Add(0, "", "no petitions")
	want := "petitions.yaml:4: petition \"free-them\": goal: must be a whole number, got \"lots\"\npetitions.yaml: no petitions"
	if got := r.Err().Error(); got != want || r.Len() != 2 {
		t.Errorf("report = %q (%d problems), want %q", got, r.Len(), want)
	}
}

// Text refuses bytes that are not UTF-8, naming the line, and takes away
// a byte-order mark and Windows line ends.
func TestText(t *testing.T) {
	if _, err := yamlfile.Text("a.yaml", []byte("ok: 1\nbad: \xff\n")); err == nil || !strings.HasPrefix(err.Error(), "a.yaml:2: not valid UTF-8") {
		t.Errorf("invalid UTF-8: %v", err)
	}
	got, err := yamlfile.Text("a.yaml", []byte("\ufeffa: 1\r\nb: 2\r\n"))
	if err != nil || got != "a: 1\nb: 2\n" {
		t.Errorf("Text = %q, %v", got, err)
	}
}

// A syntax error is placed on the line where the file stops parsing, not
// where yaml.v3 says its block began.
func TestSyntaxProblemFindsTheLine(t *testing.T) {
	src := "petitions:\n  - slug: a\n    title: [unclosed\n  - slug: b\n"
	var n yaml.Node
	err := yaml.Unmarshal([]byte(src), &n)
	if err == nil {
		t.Fatal("broken YAML parsed")
	}
	p := yamlfile.SyntaxProblem("p.yaml", 1, src, err)
	if !strings.HasPrefix(p.Error(), "p.yaml:4: YAML syntax: ") {
		t.Errorf("problem %q, want it on line 4 (3 + offset 1)", p)
	}
}

// A list with a repeated or bad item reports each on its own line.
func TestListField(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("c: [FR, FR, '']\n"), &doc); err != nil {
		t.Fatal(err)
	}
	v := yamlfile.Pairs(doc.Content[0])[0][1]
	r := &yamlfile.Report{File: "f.yaml"}
	item := func(s string) (string, string) {
		if s == "" {
			return "", "must not be empty"
		}
		return s, ""
	}
	got, msg := yamlfile.ListField(r, v, "countries", "country code", false, item)
	if msg != "" || len(got) != 1 || r.Len() != 2 {
		t.Fatalf("got %v, %q, %d problems: %v", got, msg, r.Len(), r.Err())
	}
	if e := r.Err().Error(); !strings.Contains(e, "countries[2]: \"FR\" is listed twice") || !strings.Contains(e, "countries[3]: must not be empty") {
		t.Errorf("problems: %v", e)
	}
}
