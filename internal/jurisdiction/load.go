package jurisdiction

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/cambodia-sanctions/campaign/internal/yamlfile"
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

// readFile reads a config file; what says what the campaign loses without it.
func readFile(name, what string) (File, error) {
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return File{}, &yamlfile.Problem{File: name, Msg: "not found: " + what}
	}
	if err != nil {
		return File{}, err // *fs.PathError names the file
	}
	return File{Name: name, Data: data}, nil
}

// document checks f is UTF-8 YAML and returns its root node.
func document(f File) (*yaml.Node, error) {
	src, err := yamlfile.Text(f.Name, f.Data)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		return nil, yamlfile.SyntaxProblem(f.Name, 0, src, err)
	}
	return &doc, nil
}

// topList finds the file's one top-level key, which holds a list; noun
// names an item ("jurisdiction"). An empty list is a problem unless
// emptyOK. It returns nil after reporting when there is no list to read.
func topList(r *yamlfile.Report, doc *yaml.Node, key, noun string, emptyOK bool) *yaml.Node {
	if len(doc.Content) == 0 {
		r.Add(1, "", "the file is empty: it needs a top-level %q list", key+":")
		return nil
	}
	root := yamlfile.Resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		r.Add(root.Line, "", "the file must start with %q followed by a list of %ss", key+":", noun)
		return nil
	}
	var list *yaml.Node
	line := 0
	for _, kv := range yamlfile.Pairs(root) {
		k, v := kv[0], kv[1]
		switch {
		case k.Value != key:
			r.Add(k.Line, k.Value, "unknown top-level field: the file holds only %q", key+":")
		case list != nil:
			r.Add(k.Line, key, "appears twice (first on line %d)", line)
		default:
			list, line = v, k.Line
		}
	}
	switch {
	case list == nil:
		r.Add(root.Line, key, "missing: the file needs a top-level %q list", key+":")
		return nil
	case yamlfile.IsNull(list) || (list.Kind == yaml.SequenceNode && len(list.Content) == 0):
		if !emptyOK {
			r.Add(line, key, "the list is empty: it needs at least one %s", noun)
		}
		return nil
	case list.Kind != yaml.SequenceNode:
		r.Add(line, key, "must be a list: start each %s with \"- \"", noun)
		return nil
	}
	return list
}

// decodeFields reads the fields of mapping n, each key once, through set,
// which returns what is wrong with a value ("" if nothing); it then reports
// each of the required keys that is missing. label names the record in
// messages; every names its kind in them ("every target"). It returns the
// line of each key seen.
func decodeFields(r *yamlfile.Report, n *yaml.Node, label, every string, required []string, set func(k, v *yaml.Node) string) map[string]int {
	seen := make(map[string]int)
	for _, kv := range yamlfile.Pairs(n) {
		k, v := kv[0], kv[1]
		where := label + ": " + k.Value
		if first, dup := seen[k.Value]; dup {
			r.Add(k.Line, where, "appears twice (first on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		if msg := set(k, v); msg != "" {
			r.Add(k.Line, where, "%s", msg)
		}
	}
	for _, name := range required {
		if _, ok := seen[name]; !ok {
			r.Add(n.Line, label+": "+name, "missing: %s needs %q", every, name+":")
		}
	}
	return seen
}
