package content

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cambodia-sanctions/campaign/internal/country"
	"github.com/cambodia-sanctions/campaign/internal/yamlfile"
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
	r := &yamlfile.Report{File: file}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlfile.SyntaxProblem(file, 0, string(data), err)
	}
	list, listLine := petitionList(r, &doc, "the list is empty: the campaign needs at least one petition")
	if list == nil {
		return nil, r.Err()
	}
	all := make([]petitionAt, 0, len(list.Content))
	for i, item := range list.Content {
		all = append(all, decodePetition(r, i+1, yamlfile.Resolve(item)))
	}
	checkAcross(r, listLine, all)
	if err := r.Err(); err != nil {
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
func petitionList(r *yamlfile.Report, doc *yaml.Node, empty string) (*yaml.Node, int) {
	if len(doc.Content) == 0 {
		r.Add(1, "", `the file is empty: it needs a top-level "petitions:" list`)
		return nil, 0
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		r.Add(root.Line, "", `the file must start with "petitions:" followed by a list of petitions`)
		return nil, 0
	}
	var list *yaml.Node
	line := 0
	for _, kv := range yamlfile.Pairs(root) {
		k, v := kv[0], kv[1]
		switch {
		case k.Value != "petitions":
			r.Add(k.Line, k.Value, `unknown top-level field: the file holds only "petitions:"`)
		case list != nil:
			r.Add(k.Line, "petitions", "appears twice (first on line %d)", line)
		default:
			list, line = v, k.Line
		}
	}
	switch {
	case list == nil:
		r.Add(root.Line, "petitions", `missing: the file needs a top-level "petitions:" list`)
		return nil, 0
	case yamlfile.IsNull(list) || (list.Kind == yaml.SequenceNode && len(list.Content) == 0):
		r.Add(line, "petitions", "%s", empty)
		return nil, 0
	case list.Kind != yaml.SequenceNode:
		r.Add(line, "petitions", `must be a list: start each petition with "- slug: …"`)
		return nil, 0
	}
	return list, line
}

func decodePetition(r *yamlfile.Report, index int, n *yaml.Node) petitionAt {
	p := petitionAt{label: fmt.Sprintf("petition #%d", index)}
	if n.Kind != yaml.MappingNode {
		r.Add(n.Line, p.label, `must be a set of fields: "slug: …", "title: …" and so on`)
		return p
	}
	fields := yamlfile.Pairs(n)
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
			r.Add(k.Line, where, "appears twice (first on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		if msg := p.set(r, k, v); msg != "" {
			r.Add(k.Line, where, "%s", msg)
		}
	}
	for _, name := range petitionFields[:requiredPetitionFields] {
		if _, ok := seen[name]; !ok {
			r.Add(n.Line, p.label+": "+name, `missing: every petition needs "%s:"`, name)
		}
	}
	if p.OpensAt != nil && p.ClosesAt != nil && !p.ClosesAt.After(*p.OpensAt) {
		r.Add(seen["closes_at"], p.label+": closes_at", "must be after opens_at (%s)", p.OpensAt.Format(time.RFC3339))
	}
	return p
}

// set decodes one field into p and returns what is wrong with it, if
// anything; list items report their own problems through r.
func (p *petitionAt) set(r *yamlfile.Report, k, v *yaml.Node) string {
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
		p.Demands, msg = yamlfile.ListField(r, v, where, "demand", false, func(s string) (string, string) {
			return textValue(s, 500, true)
		})
	case "goal":
		p.Goal, msg = goalField(v)
	case "status":
		p.Status, msg = statusField(v)
	case "countries":
		p.Countries, msg = yamlfile.ListField(r, v, where, "country code", false, countryItem)
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
func checkAcross(r *yamlfile.Report, listLine int, all []petitionAt) {
	slugLines := make(map[string]int)
	var featured *petitionAt
	for i := range all {
		p := &all[i]
		if p.Slug != "" {
			if first, dup := slugLines[p.Slug]; dup {
				r.Add(p.slugLine, p.label+": slug", "already used by the petition on line %d: each petition needs its own slug", first)
			} else {
				slugLines[p.Slug] = p.slugLine
			}
		}
		if !p.Featured {
			continue
		}
		if featured != nil {
			r.Add(p.featuredLine, p.label+": featured", "only one petition can be featured, and %s (line %d) already is", featured.label, featured.featuredLine)
			continue
		}
		featured = p
	}
	if featured == nil {
		r.Add(listLine, "featured", `no petition is featured: set "featured: true" on the one the home page shows`)
	}
}

func slugField(v *yaml.Node) (string, string) {
	if v.Kind != yaml.ScalarNode || yamlfile.IsNull(v) || !slugPattern.MatchString(v.Value) {
		return "", fmt.Sprintf(`must be 3 to 64 characters of a-z, 0-9 and "-" (the petition's address, /petitions/SLUG), got %s`, yamlfile.Describe(v))
	}
	return v.Value, ""
}

func goalField(v *yaml.Node) (int, string) {
	var goal int
	if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || v.Decode(&goal) != nil || goal <= 0 {
		return 0, fmt.Sprintf("must be a whole number above 0, got %s", yamlfile.Describe(v))
	}
	return goal, ""
}

func statusField(v *yaml.Node) (string, string) {
	if v.Kind != yaml.ScalarNode || (v.Value != "open" && v.Value != "closed") {
		return "", fmt.Sprintf(`must be "open" or "closed", got %s`, yamlfile.Describe(v))
	}
	return v.Value, ""
}

func boolField(v *yaml.Node) (bool, string) {
	var b bool
	if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" || v.Decode(&b) != nil {
		return false, fmt.Sprintf("must be true or false, got %s", yamlfile.Describe(v))
	}
	return b, ""
}

// timeField accepts a date (taken as midnight UTC) or an RFC 3339 time.
func timeField(v *yaml.Node) (*time.Time, string) {
	if v.Kind == yaml.ScalarNode && !yamlfile.IsNull(v) {
		for _, layout := range []string{time.RFC3339, time.DateOnly} {
			if t, err := time.Parse(layout, v.Value); err == nil {
				return &t, ""
			}
		}
	}
	return nil, fmt.Sprintf("must be a date such as 2026-03-01 or a time such as 2026-03-01T09:00:00+07:00, got %s", yamlfile.Describe(v))
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
