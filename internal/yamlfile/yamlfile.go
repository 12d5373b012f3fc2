// Package yamlfile reads the hand-written files in config/ (petitions,
// jurisdictions, targets) and reports what is wrong in them the way an
// operator can act on: file:line: where: what, every problem at once.
package yamlfile

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong in a file.
type Problem struct {
	File  string
	Line  int    // 0 when unknown
	Where string // e.g. `petition "free-them": goal`
	Msg   string
}

func (p *Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(p.Line))
	}
	b.WriteString(": ")
	if p.Where != "" {
		b.WriteString(p.Where)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Report collects the problems of one file.
type Report struct {
	File     string
	problems []error
}

// Add records a problem at line (0: unknown) of the report's file.
func (r *Report) Add(line int, where, format string, args ...any) {
	r.problems = append(r.problems, &Problem{File: r.File, Line: line, Where: where, Msg: fmt.Sprintf(format, args...)})
}

// Len is how many problems were recorded so far.
func (r *Report) Len() int { return len(r.problems) }

// Err joins every recorded problem, one per line; nil when there is none.
func (r *Report) Err() error { return errors.Join(r.problems...) }

// Text checks that data is UTF-8 (a Problem naming the first bad line if
// not) and returns it without a byte-order mark and with Unix line ends.
func Text(file string, data []byte) (string, error) {
	if !utf8.Valid(data) {
		bad := 0
		for bad < len(data) {
			r, size := utf8.DecodeRune(data[bad:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			bad += size
		}
		line := 1 + strings.Count(string(data[:bad]), "\n")
		return "", &Problem{File: file, Line: line, Msg: "not valid UTF-8 text: save the file as UTF-8"}
	}
	src := strings.TrimPrefix(string(data), "\ufeff") // a BOM some editors add
	return strings.ReplaceAll(src, "\r\n", "\n"), nil
}

// yamlErrLine matches yaml.v3 syntax errors, "yaml: line 3: did not find …".
var yamlErrLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// SyntaxProblem turns a YAML syntax error in src into a Problem; offset is
// the file line just before src starts (0, or 1 for front matter).
func SyntaxProblem(file string, offset int, src string, err error) error {
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
		return &Problem{File: file, Msg: "YAML syntax: " + msg}
	}
	return &Problem{File: file, Line: line + offset, Msg: "YAML syntax: " + msg}
}

// syntaxLine finds the line of a syntax error in src. yaml.v3 reports the
// line where the enclosing block or list began, often well above the
// mistake; the mistake is where src stops parsing for good: the first line
// from which every longer prefix fails. (A shorter prefix may fail too, by
// cutting a list written over several lines.) It returns 0 if unsure.
func syntaxLine(src string) int {
	lines := strings.SplitAfter(src, "\n")
	if len(lines) > 2000 {
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

// Pairs returns the key and value nodes of a mapping, aliases resolved.
func Pairs(m *yaml.Node) [][2]*yaml.Node {
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		out = append(out, [2]*yaml.Node{m.Content[i], Resolve(m.Content[i+1])})
	}
	return out
}

// Resolve follows aliases to the node they stand for.
func Resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// IsNull reports a field written with no value ("goal:" or "goal: null").
func IsNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// Describe shows a value in a message: `"lots"`, nothing, a list.
func Describe(v *yaml.Node) string {
	switch {
	case IsNull(v):
		return "nothing"
	case v.Kind == yaml.SequenceNode:
		return "a list"
	case v.Kind == yaml.MappingNode:
		return "a set of fields"
	}
	return fmt.Sprintf("%q", v.Value)
}

// ListField decodes a list of text items, none repeated, at least one
// unless emptyOK; item checks and normalises each. A problem with an item
// is reported on its own line as where[n]; a problem with the whole value
// is returned for the caller to report.
func ListField(r *Report, v *yaml.Node, where, noun string, emptyOK bool, item func(string) (string, string)) ([]string, string) {
	if IsNull(v) && emptyOK {
		return nil, ""
	}
	if v.Kind != yaml.SequenceNode || (!emptyOK && len(v.Content) == 0) {
		return nil, fmt.Sprintf(`must be a list of at least one %s, each on its own "- " line or as [a, b], got %s`, noun, Describe(v))
	}
	out := make([]string, 0, len(v.Content))
	lines := make(map[string]int)
	for i, n := range v.Content {
		n = Resolve(n)
		at := fmt.Sprintf("%s[%d]", where, i+1)
		if n.Kind != yaml.ScalarNode || IsNull(n) {
			r.Add(n.Line, at, "must be a %s, got %s", noun, Describe(n))
			continue
		}
		s, msg := item(n.Value)
		if msg != "" {
			r.Add(n.Line, at, "%s", msg)
			continue
		}
		if first, dup := lines[s]; dup {
			r.Add(n.Line, at, "%q is listed twice (first on line %d)", s, first)
			continue
		}
		lines[s] = n.Line
		out = append(out, s)
	}
	return out, ""
}
