package jurisdiction

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Names of the files Load reads in the config directory.
const (
	JurisdictionsFile = "jurisdictions.yaml"
	TargetsFile       = "targets.yaml"
)

// File is the content of a config file and the name its messages give it.
type File struct {
	Name string // e.g. "config/targets.yaml"
	Data []byte
}

// Load reads and checks dir/jurisdictions.yaml and dir/targets.yaml. On any
// problem it returns an error listing every problem found, one per line,
// each naming the file, the line and the field, e.g.
//
//	config/targets.yaml:41: target "kun-kim": designations[1]: date: must be a date such as 2019-12-09, 2019-12 or 2019, got "9 Dec 2019"
func Load(dir string) (*Registry, error) {
	j, jErr := readFile(filepath.Join(dir, JurisdictionsFile), "letters need the jurisdictions to write to")
	t, tErr := readFile(filepath.Join(dir, TargetsFile), "letters need the named targets")
	if err := errors.Join(jErr, tErr); err != nil {
		return nil, err
	}
	return Parse(j, t)
}

// Parse checks the two files' contents as Load does; the console uses it to
// check an edit before saving it.
func Parse(jurisdictions, targets File) (*Registry, error) {
	js, codes, jErr := parseJurisdictions(jurisdictions)
	ts, tErr := parseTargets(targets, codes)
	if err := errors.Join(jErr, tErr); err != nil {
		return nil, err
	}
	return &Registry{Jurisdictions: js, Targets: ts}, nil
}

// problem is one thing wrong in a config file.
type problem struct {
	file  string
	line  int    // 0 when unknown
	where string // e.g. `target "kun-kim": designations[1]: date`
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

// readFile reads a config file; what says what the campaign loses without it.
func readFile(name, what string) (File, error) {
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return File{}, &problem{file: name, msg: "not found: " + what}
	}
	if err != nil {
		return File{}, err // *fs.PathError names the file
	}
	return File{Name: name, Data: data}, nil
}

// document checks f is UTF-8 YAML and returns its root node.
func document(f File) (*yaml.Node, error) {
	if !utf8.Valid(f.Data) {
		bad := 0
		for bad < len(f.Data) {
			r, size := utf8.DecodeRune(f.Data[bad:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			bad += size
		}
		line := 1 + strings.Count(string(f.Data[:bad]), "\n")
		return nil, &problem{file: f.Name, line: line, msg: "not valid UTF-8 text: save the file as UTF-8"}
	}
	src := strings.ReplaceAll(strings.TrimPrefix(string(f.Data), "\ufeff"), "\r\n", "\n")
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		return nil, syntaxProblem(f.Name, src, err)
	}
	return &doc, nil
}

// yamlErrLine matches yaml.v3 syntax errors, "yaml: line 3: did not find …".
var yamlErrLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func syntaxProblem(file, src string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlErrLine.FindStringSubmatch(err.Error()); m != nil {
		msg = m[2]
		line, _ = strconv.Atoi(m[1])
	}
	if l := syntaxLine(src); l > 0 {
		line = l
	}
	return &problem{file: file, line: line, msg: "YAML syntax: " + msg}
}

// syntaxLine finds the line of a syntax error in src. yaml.v3 reports the
// line where the enclosing block began, often well above the mistake; the
// mistake is where src stops parsing for good: the first line from which
// every longer prefix fails. It returns 0 if unsure.
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

// topList finds the file's one top-level key, which holds a list; noun
// names an item ("jurisdiction"). An empty list is a problem unless
// emptyOK. It returns nil after reporting when there is no list to read.
func topList(r *report, doc *yaml.Node, key, noun string, emptyOK bool) *yaml.Node {
	if len(doc.Content) == 0 {
		r.add(1, "", "the file is empty: it needs a top-level %q list", key+":")
		return nil
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		r.add(root.Line, "", "the file must start with %q followed by a list of %ss", key+":", noun)
		return nil
	}
	var list *yaml.Node
	line := 0
	for _, kv := range pairs(root) {
		k, v := kv[0], kv[1]
		switch {
		case k.Value != key:
			r.add(k.Line, k.Value, "unknown top-level field: the file holds only %q", key+":")
		case list != nil:
			r.add(k.Line, key, "appears twice (first on line %d)", line)
		default:
			list, line = v, k.Line
		}
	}
	switch {
	case list == nil:
		r.add(root.Line, key, "missing: the file needs a top-level %q list", key+":")
		return nil
	case isNull(list) || (list.Kind == yaml.SequenceNode && len(list.Content) == 0):
		if !emptyOK {
			r.add(line, key, "the list is empty: it needs at least one %s", noun)
		}
		return nil
	case list.Kind != yaml.SequenceNode:
		r.add(line, key, "must be a list: start each %s with \"- \"", noun)
		return nil
	}
	return list
}

// decodeFields reads the fields of mapping n, each key once, through set,
// which returns what is wrong with a value ("" if nothing); it then reports
// each of the required keys that is missing. label names the record in
// messages; every names its kind in them ("every target"). It returns the
// line of each key seen.
func decodeFields(r *report, n *yaml.Node, label, every string, required []string, set func(k, v *yaml.Node) string) map[string]int {
	seen := make(map[string]int)
	for _, kv := range pairs(n) {
		k, v := kv[0], kv[1]
		where := label + ": " + k.Value
		if first, dup := seen[k.Value]; dup {
			r.add(k.Line, where, "appears twice (first on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		if msg := set(k, v); msg != "" {
			r.add(k.Line, where, "%s", msg)
		}
	}
	for _, name := range required {
		if _, ok := seen[name]; !ok {
			r.add(n.Line, label+": "+name, "missing: %s needs %q", every, name+":")
		}
	}
	return seen
}
