package content

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cambodia-sanctions/campaign/internal/country"
)

// petitionFields are the fields a petition may have, in the order the
// README documents them; the first eight are required.
var petitionFields = []string{
	"slug", "title", "summary", "body", "demands", "goal", "status", "countries",
	"featured", "opens_at", "closes_at",
}

const requiredPetitionFields = 8

var slugPattern = regexp.MustCompile(`^[a-z0-9-]{3,64}$`)

// petitionAt is a petition with the lines the checks across petitions need.
type petitionAt struct {
	Petition
	label        string // `petition "free-them"`, or `petition #2` before a valid slug is known
	slugLine     int
	featuredLine int
}

func loadPetitions(file string) ([]Petition, error) {
	data, err := readContent(file, "the campaign needs at least one petition")
	if err != nil {
		return nil, err
	}
	return parsePetitions(file, data)
}

// parsePetitions decodes into yaml.Node rather than a struct so that every
// problem can be reported with its line.
func parsePetitions(file string, data []byte) ([]Petition, error) {
	r := &report{file: file}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, syntaxProblem(file, 0, string(data), err)
	}
	list, listLine := petitionList(r, &doc, "the list is empty: the campaign needs at least one petition")
	if list == nil {
		return nil, r.err()
	}
	all := make([]petitionAt, 0, len(list.Content))
	for i, item := range list.Content {
		all = append(all, decodePetition(r, i+1, resolve(item)))
	}
	checkAcross(r, listLine, all)
	if err := r.err(); err != nil {
		return nil, err
	}
	out := make([]Petition, len(all))
	for i := range all {
		out[i] = all[i].Petition
	}
	return out, nil
}

// petitionList finds the top-level "petitions:" list and the line of its key;
// empty is the message for an empty list.
func petitionList(r *report, doc *yaml.Node, empty string) (*yaml.Node, int) {
	if len(doc.Content) == 0 {
		r.add(1, "", `the file is empty: it needs a top-level "petitions:" list`)
		return nil, 0
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		r.add(root.Line, "", `the file must start with "petitions:" followed by a list of petitions`)
		return nil, 0
	}
	var list *yaml.Node
	line := 0
	for _, kv := range pairs(root) {
		k, v := kv[0], kv[1]
		switch {
		case k.Value != "petitions":
			r.add(k.Line, k.Value, `unknown top-level field: the file holds only "petitions:"`)
		case list != nil:
			r.add(k.Line, "petitions", "appears twice (first on line %d)", line)
		default:
			list, line = v, k.Line
		}
	}
	switch {
	case list == nil:
		r.add(root.Line, "petitions", `missing: the file needs a top-level "petitions:" list`)
		return nil, 0
	case isNull(list) || (list.Kind == yaml.SequenceNode && len(list.Content) == 0):
		r.add(line, "petitions", "%s", empty)
		return nil, 0
	case list.Kind != yaml.SequenceNode:
		r.add(line, "petitions", `must be a list: start each petition with "- slug: …"`)
		return nil, 0
	}
	return list, line
}

func decodePetition(r *report, index int, n *yaml.Node) petitionAt {
	p := petitionAt{label: fmt.Sprintf("petition #%d", index)}
	if n.Kind != yaml.MappingNode {
		r.add(n.Line, p.label, `must be a set of fields: "slug: …", "title: …" and so on`)
		return p
	}
	fields := pairs(n)
	// The slug names the petition in every other message: read it first.
	for _, kv := range fields {
		if kv[0].Value == "slug" {
			if slug, msg := slugField(kv[1]); msg == "" {
				p.label = fmt.Sprintf("petition %q", slug)
			}
			break
		}
	}
	seen := make(map[string]int)
	for _, kv := range fields {
		k, v := kv[0], kv[1]
		where := p.label + ": " + k.Value
		if first, dup := seen[k.Value]; dup {
			r.add(k.Line, where, "appears twice (first on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		if msg := p.set(r, k, v); msg != "" {
			r.add(k.Line, where, "%s", msg)
		}
	}
	for _, name := range petitionFields[:requiredPetitionFields] {
		if _, ok := seen[name]; !ok {
			r.add(n.Line, p.label+": "+name, `missing: every petition needs "%s:"`, name)
		}
	}
	if p.OpensAt != nil && p.ClosesAt != nil && !p.ClosesAt.After(*p.OpensAt) {
		r.add(seen["closes_at"], p.label+": closes_at", "must be after opens_at (%s)", p.OpensAt.Format(time.RFC3339))
	}
	return p
}

// set decodes one field into p and returns what is wrong with it, if
// anything; list items report their own problems through r.
func (p *petitionAt) set(r *report, k, v *yaml.Node) string {
	where := p.label + ": " + k.Value
	var msg string
	switch k.Value {
	case "slug":
		p.Slug, msg = slugField(v)
		p.slugLine = k.Line
	case "title":
		p.Title, msg = textField(v, 200, true)
	case "summary":
		p.Summary, msg = textField(v, 500, true)
	case "body":
		p.Body, msg = textField(v, 0, false)
	case "demands":
		p.Demands, msg = listField(r, v, where, "demand", func(s string) (string, string) {
			return textValue(s, 500, true)
		})
	case "goal":
		p.Goal, msg = goalField(v)
	case "status":
		p.Status, msg = statusField(v)
	case "countries":
		p.Countries, msg = listField(r, v, where, "country code", countryItem)
	case "featured":
		p.Featured, msg = boolField(v)
		p.featuredLine = k.Line
	case "opens_at":
		p.OpensAt, msg = timeField(v)
	case "closes_at":
		p.ClosesAt, msg = timeField(v)
	default:
		msg = "unknown field: a petition has " + strings.Join(petitionFields, ", ")
	}
	return msg
}

// checkAcross applies the rules that span petitions: unique slugs and
// exactly one featured petition (the one on the home page).
func checkAcross(r *report, listLine int, all []petitionAt) {
	slugLines := make(map[string]int)
	var featured *petitionAt
	for i := range all {
		p := &all[i]
		if p.Slug != "" {
			if first, dup := slugLines[p.Slug]; dup {
				r.add(p.slugLine, p.label+": slug", "already used by the petition on line %d: each petition needs its own slug", first)
			} else {
				slugLines[p.Slug] = p.slugLine
			}
		}
		if !p.Featured {
			continue
		}
		if featured != nil {
			r.add(p.featuredLine, p.label+": featured", "only one petition can be featured, and %s (line %d) already is", featured.label, featured.featuredLine)
			continue
		}
		featured = p
	}
	if featured == nil {
		r.add(listLine, "featured", `no petition is featured: set "featured: true" on the one the home page shows`)
	}
}

// describe shows a value in a message: `"lots"`, nothing, a list.
func describe(v *yaml.Node) string {
	switch {
	case isNull(v):
		return "nothing"
	case v.Kind == yaml.SequenceNode:
		return "a list"
	case v.Kind == yaml.MappingNode:
		return "a set of fields"
	}
	return fmt.Sprintf("%q", v.Value)
}

func slugField(v *yaml.Node) (string, string) {
	if v.Kind != yaml.ScalarNode || isNull(v) || !slugPattern.MatchString(v.Value) {
		return "", fmt.Sprintf(`must be 3 to 64 characters of a-z, 0-9 and "-" (the petition's address, /petitions/SLUG), got %s`, describe(v))
	}
	return v.Value, ""
}

func goalField(v *yaml.Node) (int, string) {
	var goal int
	if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || v.Decode(&goal) != nil || goal <= 0 {
		return 0, fmt.Sprintf("must be a whole number above 0, got %s", describe(v))
	}
	return goal, ""
}

func statusField(v *yaml.Node) (string, string) {
	if v.Kind != yaml.ScalarNode || (v.Value != "open" && v.Value != "closed") {
		return "", fmt.Sprintf(`must be "open" or "closed", got %s`, describe(v))
	}
	return v.Value, ""
}

func boolField(v *yaml.Node) (bool, string) {
	var b bool
	if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" || v.Decode(&b) != nil {
		return false, fmt.Sprintf("must be true or false, got %s", describe(v))
	}
	return b, ""
}

// timeField accepts a date (taken as midnight UTC) or an RFC 3339 time.
func timeField(v *yaml.Node) (*time.Time, string) {
	if v.Kind == yaml.ScalarNode && !isNull(v) {
		for _, layout := range []string{time.RFC3339, time.DateOnly} {
			if t, err := time.Parse(layout, v.Value); err == nil {
				return &t, ""
			}
		}
	}
	return nil, fmt.Sprintf("must be a date such as 2026-03-01 or a time such as 2026-03-01T09:00:00+07:00, got %s", describe(v))
}

// countryItem accepts an ISO 3166-1 alpha-2 code or "EU", exactly as the
// country package lists it.
func countryItem(s string) (string, string) {
	code := strings.TrimSpace(s)
	if code == "EU" || country.Valid(code) {
		return code, ""
	}
	upper := strings.ToUpper(code)
	switch {
	case upper == "UK":
		return "", `the code for the United Kingdom is "GB"`
	case upper == "EU" || country.Valid(upper):
		return "", fmt.Sprintf("write country codes in capitals: %q, not %q", upper, code)
	}
	return "", fmt.Sprintf(`%q is not an ISO 3166-1 alpha-2 country code (such as "FR") or "EU"`, code)
}

// listField decodes a list of text items, at least one, none repeated;
// each item's problem is reported on its own line as field[n].
func listField(r *report, v *yaml.Node, where, noun string, item func(string) (string, string)) ([]string, string) {
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		return nil, fmt.Sprintf(`must be a list of at least one %s, each on its own "- " line, got %s`, noun, describe(v))
	}
	out := make([]string, 0, len(v.Content))
	lines := make(map[string]int)
	for i, n := range v.Content {
		n = resolve(n)
		at := fmt.Sprintf("%s[%d]", where, i+1)
		if n.Kind != yaml.ScalarNode || isNull(n) {
			r.add(n.Line, at, "must be a %s, got %s", noun, describe(n))
			continue
		}
		s, msg := item(n.Value)
		if msg != "" {
			r.add(n.Line, at, "%s", msg)
			continue
		}
		if first, dup := lines[s]; dup {
			r.add(n.Line, at, "%q is listed twice (first on line %d)", s, first)
			continue
		}
		lines[s] = n.Line
		out = append(out, s)
	}
	return out, ""
}
