package jurisdiction

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cambodia-sanctions/campaign/internal/yamlfile"
)

// targetFields are the fields a target may have, in the order
// config/targets.yaml documents them.
var targetFields = []string{
	"id", "name", "kind", "official", "role", "conduct", "note", "confidence",
	"sources", "designations",
}

var requiredTargetFields = []string{"id", "name", "kind", "conduct", "confidence", "sources"}

var designationFields = []string{"jurisdiction", "date", "program", "source", "confidence", "note"}

var requiredDesignationFields = designationFields[:5]

var idPattern = regexp.MustCompile(`^[a-z0-9-]{3,64}$`)

// parseTargets decodes targets.yaml; codes are the jurisdictions a
// designation may name, or nil to skip that check (when jurisdictions.yaml
// could not be read, its own error says why).
func parseTargets(f File, codes map[string]bool) ([]Target, error) {
	doc, err := document(f)
	if err != nil {
		return nil, err
	}
	r := &yamlfile.Report{File: f.Name}
	list := topList(r, doc, "targets", "target", true)
	if list == nil {
		if err := r.Err(); err != nil {
			return nil, err
		}
		return []Target{}, nil
	}
	out := make([]Target, 0, len(list.Content))
	idLines := make(map[string]int)
	for i, item := range list.Content {
		t, idLine := decodeTarget(r, i+1, yamlfile.Resolve(item), codes)
		if t.ID == "" {
			continue
		}
		if first, dup := idLines[t.ID]; dup {
			r.Add(idLine, fmt.Sprintf("target %q: id", t.ID), "already used by the target on line %d: each target needs its own id", first)
			continue
		}
		idLines[t.ID] = t.Line
		out = append(out, t)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// decodeTarget returns the target and the line of its id.
func decodeTarget(r *yamlfile.Report, index int, n *yaml.Node, codes map[string]bool) (Target, int) {
	t := Target{Line: n.Line}
	label := fmt.Sprintf("target #%d", index)
	if n.Kind != yaml.MappingNode {
		r.Add(n.Line, label, `must be a set of fields: "id: …", "name: …" and so on`)
		return t, n.Line
	}
	for _, kv := range yamlfile.Pairs(n) {
		if kv[0].Value == "id" {
			if id, msg := idField(kv[1]); msg == "" {
				label = fmt.Sprintf("target %q", id)
			}
			break
		}
	}
	seen := decodeFields(r, n, label, "every target", requiredTargetFields, func(k, v *yaml.Node) string {
		where := label + ": " + k.Value
		var msg string
		switch k.Value {
		case "id":
			t.ID, msg = idField(v)
		case "name":
			t.Name, msg = textField(v, maxName)
		case "kind":
			t.Kind, msg = kindField(v)
		case "official":
			t.Official, msg = boolField(v)
		case "role":
			t.Role, msg = optionalText(v, maxTitle)
		case "conduct":
			t.Conduct, msg = textField(v, maxParagraph)
		case "note":
			t.Note, msg = optionalText(v, maxParagraph)
		case "confidence":
			t.Confidence, msg = confidenceField(v)
		case "sources":
			t.Sources, msg = yamlfile.ListField(r, v, where, "source key", false, sourceValue)
		case "designations":
			t.Designations, msg = designationsField(r, v, where, codes)
		default:
			msg = "unknown field: a target has " + strings.Join(targetFields, ", ")
		}
		return msg
	})
	return t, seen["id"]
}

func idField(v *yaml.Node) (string, string) {
	s, ok := scalarValue(v)
	if !ok || !idPattern.MatchString(s) {
		return "", fmt.Sprintf(`must be 3 to 64 characters of a-z, 0-9 and "-", such as "kun-kim", got %s`, yamlfile.Describe(v))
	}
	return s, ""
}

func kindField(v *yaml.Node) (string, string) {
	s, _ := scalarValue(v)
	if s == Person || s == Entity {
		return s, ""
	}
	return "", fmt.Sprintf("must be %q or %q, got %s", Person, Entity, yamlfile.Describe(v))
}

// designationsField reads a target's designations; none is allowed (a
// target no one has designated yet).
func designationsField(r *yamlfile.Report, v *yaml.Node, where string, codes map[string]bool) ([]Designation, string) {
	if yamlfile.IsNull(v) {
		return nil, ""
	}
	if v.Kind != yaml.SequenceNode {
		return nil, fmt.Sprintf(`must be a list of designations, each "- jurisdiction: …", got %s`, yamlfile.Describe(v))
	}
	out := make([]Designation, 0, len(v.Content))
	lines := make(map[[3]string]int)
	for i, item := range v.Content {
		item = yamlfile.Resolve(item)
		label := fmt.Sprintf("%s[%d]", where, i+1)
		if item.Kind != yaml.MappingNode {
			r.Add(item.Line, label, `must be a set of fields: "jurisdiction: …", "date: …" and so on`)
			continue
		}
		d, ok := decodeDesignation(r, item, label, codes)
		if !ok {
			continue
		}
		key := [3]string{d.Jurisdiction, d.Date, d.Program}
		if first, dup := lines[key]; dup {
			r.Add(item.Line, label, "repeats the designation on line %d (same jurisdiction, date and program)", first)
			continue
		}
		lines[key] = item.Line
		out = append(out, d)
	}
	return out, ""
}

// decodeDesignation reads one designation; ok is false if anything in it is
// wrong (and reported).
func decodeDesignation(r *yamlfile.Report, n *yaml.Node, label string, codes map[string]bool) (Designation, bool) {
	var d Designation
	before := r.Len()
	decodeFields(r, n, label, "every designation", requiredDesignationFields, func(k, v *yaml.Node) string {
		var msg string
		switch k.Value {
		case "jurisdiction":
			d.Jurisdiction, msg = codeField(v)
			if msg == "" && codes != nil && !codes[d.Jurisdiction] {
				msg = fmt.Sprintf("%q is not a jurisdiction in %s: add it there first", d.Jurisdiction, JurisdictionsFile)
			}
		case "date":
			d.Date, msg = dateField(v)
		case "program":
			d.Program, msg = textField(v, maxTitle)
		case "source":
			d.Source, msg = sourceField(v)
		case "confidence":
			d.Confidence, msg = confidenceField(v)
		case "note":
			d.Note, msg = optionalText(v, maxParagraph)
		default:
			msg = "unknown field: a designation has " + strings.Join(designationFields, ", ")
		}
		return msg
	})
	return d, r.Len() == before
}
