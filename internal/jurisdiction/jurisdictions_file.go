package jurisdiction

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cambodia-sanctions/campaign/internal/yamlfile"
)

// jurisdictionFields are the fields a jurisdiction may have, in the order
// config/jurisdictions.yaml documents them.
var jurisdictionFields = []string{
	"code", "name", "eu_member", "has_regime", "regime", "law", "designates",
	"covers", "coverage_note", "addressee", "addressee_local", "address",
	"address_confirmed", "copy_to", "language", "language_note", "confidence",
	"verify", "sources",
}

var requiredJurisdictionFields = []string{
	"code", "name", "eu_member", "has_regime", "law", "addressee", "language",
	"confidence", "sources",
}

// coverageFields are the fields of covers, in Coverage's order.
var coverageFields = []string{
	"arbitrary_detention", "torture", "forced_labour", "killings", "corruption", "expression",
}

// recipientFields are the fields of a copy_to entry.
var recipientFields = []string{"addressee", "address", "address_confirmed"}

// None is the law of a jurisdiction with no regime.
const None = "none"

// Lengths of text fields, in characters.
const (
	maxName      = 100
	maxTitle     = 200 // addressee, regime, program, role
	maxLine      = 120 // one line of a postal address
	maxParagraph = 1200
)

// jurisdictionAt is a jurisdiction with what the checks across fields need.
type jurisdictionAt struct {
	Jurisdiction
	label string
	seen  map[string]int // line of each field
}

// parseJurisdictions decodes into yaml.Node rather than a struct so that
// every problem can be reported with its line. codes holds every valid code
// written, even in a jurisdiction with other problems, so that targets.yaml
// is checked against them; it is nil when the file could not be read at all.
func parseJurisdictions(f File) ([]Jurisdiction, map[string]bool, error) {
	doc, err := document(f)
	if err != nil {
		return nil, nil, err
	}
	r := &yamlfile.Report{File: f.Name}
	list := topList(r, doc, "jurisdictions", "jurisdiction", false)
	if list == nil {
		return nil, nil, r.Err()
	}
	out := make([]Jurisdiction, 0, len(list.Content))
	codes := make(map[string]bool)
	codeLines := make(map[string]int)
	for i, item := range list.Content {
		j := decodeJurisdiction(r, i+1, yamlfile.Resolve(item))
		if j.Code == "" {
			continue
		}
		if first, dup := codeLines[j.Code]; dup {
			r.Add(j.seen["code"], j.label+": code", "%q is already used by the jurisdiction on line %d: each code once", j.Code, first)
			continue
		}
		codeLines[j.Code] = j.Line
		codes[j.Code] = true
		out = append(out, j.Jurisdiction)
	}
	if err := r.Err(); err != nil {
		return nil, codes, err
	}
	return out, codes, nil
}

func decodeJurisdiction(r *yamlfile.Report, index int, n *yaml.Node) jurisdictionAt {
	j := jurisdictionAt{label: fmt.Sprintf("jurisdiction #%d", index)}
	j.Line = n.Line
	if n.Kind != yaml.MappingNode {
		r.Add(n.Line, j.label, `must be a set of fields: "code: …", "name: …" and so on`)
		return j
	}
	// The code names the jurisdiction in every other message: read it first.
	for _, kv := range yamlfile.Pairs(n) {
		if kv[0].Value == "code" {
			if code, msg := codeField(kv[1]); msg == "" {
				j.label = fmt.Sprintf("jurisdiction %q", code)
			}
			break
		}
	}
	j.seen = decodeFields(r, n, j.label, "every jurisdiction", requiredJurisdictionFields, func(k, v *yaml.Node) string {
		return j.set(r, k, v)
	})
	j.checkAcross(r)
	return j
}

// set decodes one field into j and returns what is wrong with it, if
// anything; list items report their own problems through r.
func (j *jurisdictionAt) set(r *yamlfile.Report, k, v *yaml.Node) string {
	where := j.label + ": " + k.Value
	var msg string
	switch k.Value {
	case "code":
		j.Code, msg = codeField(v)
	case "name":
		j.Name, msg = textField(v, maxName)
	case "eu_member":
		j.EUMember, msg = boolField(v)
	case "has_regime":
		j.HasRegime, msg = boolField(v)
	case "regime":
		j.Regime, msg = optionalText(v, maxTitle)
	case "law":
		j.Law, msg = textField(v, maxParagraph)
	case "designates":
		j.Designates, msg = optionalText(v, maxParagraph)
	case "covers":
		j.Covers, msg = coverageField(r, v, where)
	case "coverage_note":
		j.CoverageNote, msg = optionalText(v, maxParagraph)
	case "addressee":
		j.Addressee, msg = textField(v, maxTitle)
	case "addressee_local":
		j.AddresseeLocal, msg = optionalText(v, maxTitle)
	case "address":
		j.Address, msg = addressField(r, v, where, true)
	case "address_confirmed":
		j.AddressConfirmed, msg = boolField(v)
	case "copy_to":
		j.CopyTo, msg = copyToField(r, v, where)
	case "language":
		j.Language, msg = languageField(v)
	case "language_note":
		j.LanguageNote, msg = optionalText(v, maxTitle)
	case "confidence":
		j.Confidence, msg = confidenceField(v)
	case "verify":
		j.Verify, msg = yamlfile.ListField(r, v, where, "detail to verify", true, func(s string) (string, string) {
			return textValue(s, maxParagraph)
		})
	case "sources":
		j.Sources, msg = yamlfile.ListField(r, v, where, "source key", false, sourceValue)
	default:
		msg = "unknown field: a jurisdiction has " + strings.Join(jurisdictionFields, ", ")
	}
	return msg
}

// checkAcross applies the rules that tie fields together.
func (j *jurisdictionAt) checkAcross(r *yamlfile.Report) {
	_, hasRegimeSeen := j.seen["has_regime"]
	line := func(field string) int {
		if l, ok := j.seen[field]; ok {
			return l
		}
		return j.Line
	}
	if hasRegimeSeen && j.HasRegime {
		if j.Regime == "" {
			r.Add(line("regime"), j.label+": regime", `missing: with "has_regime: true", name the regime`)
		}
		if j.Law == None {
			r.Add(line("law"), j.label+": law", `is "none", but has_regime is true: give the regime's legal basis`)
		}
		if j.Designates == "" {
			r.Add(line("designates"), j.label+": designates", `missing: with "has_regime: true", say who decides designations`)
		}
	}
	if hasRegimeSeen && !j.HasRegime {
		if j.Regime != "" {
			r.Add(line("regime"), j.label+": regime", `must be left out when has_regime is false`)
		}
		if j.Law != "" && j.Law != None {
			r.Add(line("law"), j.label+": law", `must be "none" when has_regime is false`)
		}
		if !j.EUMember && j.Covers != (Coverage{}) {
			r.Add(line("covers"), j.label+": covers", `a jurisdiction with no regime and outside the EU covers nothing: leave covers out or set has_regime`)
		}
	}
	if j.AddressConfirmed && len(j.Address) == 0 {
		r.Add(line("address_confirmed"), j.label+": address_confirmed", "is true, but there is no address to confirm")
	}
	if j.Code == "EU" && j.EUMember {
		r.Add(line("eu_member"), j.label+": eu_member", "the Union itself is not a Member State: set it to false")
	}
}

// optionalText reads text that may be left empty.
func optionalText(v *yaml.Node, max int) (string, string) {
	if yamlfile.IsNull(v) || (v.Kind == yaml.ScalarNode && strings.TrimSpace(v.Value) == "") {
		return "", ""
	}
	return textField(v, max)
}

// coverageField reads covers: a set of true/false fields, false when left
// out.
func coverageField(r *yamlfile.Report, v *yaml.Node, where string) (Coverage, string) {
	var c Coverage
	if yamlfile.IsNull(v) {
		return c, ""
	}
	if v.Kind != yaml.MappingNode {
		return c, fmt.Sprintf("must be a set of fields (%s), each true or false, got %s", strings.Join(coverageFields, ", "), yamlfile.Describe(v))
	}
	targets := map[string]*bool{
		"arbitrary_detention": &c.ArbitraryDetention,
		"torture":             &c.Torture,
		"forced_labour":       &c.ForcedLabour,
		"killings":            &c.Killings,
		"corruption":          &c.Corruption,
		"expression":          &c.Expression,
	}
	decodeFields(r, v, where, "covers", nil, func(k, v *yaml.Node) string {
		p, ok := targets[k.Value]
		if !ok {
			return "unknown field: covers has " + strings.Join(coverageFields, ", ")
		}
		var msg string
		*p, msg = boolField(v)
		return msg
	})
	return c, ""
}

// addressField reads postal address lines; emptyOK where no address was
// found.
func addressField(r *yamlfile.Report, v *yaml.Node, where string, emptyOK bool) ([]string, string) {
	lines, msg := yamlfile.ListField(r, v, where, "address line", emptyOK, func(s string) (string, string) {
		if strings.Contains(strings.TrimSpace(s), "\n") {
			return "", "must be one line: put each line of the address on its own \"- \" line"
		}
		return textValue(s, maxLine)
	})
	if msg != "" {
		msg = "must be the lines of a postal address, each on its own \"- \" line, got " + yamlfile.Describe(v)
	}
	return lines, msg
}

// copyToField reads the further recipients of a jurisdiction's letter.
func copyToField(r *yamlfile.Report, v *yaml.Node, where string) ([]Recipient, string) {
	if yamlfile.IsNull(v) {
		return nil, ""
	}
	if v.Kind != yaml.SequenceNode {
		return nil, fmt.Sprintf(`must be a list of offices, each "- addressee: …" with address lines, got %s`, yamlfile.Describe(v))
	}
	out := make([]Recipient, 0, len(v.Content))
	for i, item := range v.Content {
		item = yamlfile.Resolve(item)
		label := fmt.Sprintf("%s[%d]", where, i+1)
		if item.Kind != yaml.MappingNode {
			r.Add(item.Line, label, `must be a set of fields: "addressee: …", "address: …", "address_confirmed: …"`)
			continue
		}
		var c Recipient
		seen := decodeFields(r, item, label, "every copy_to entry", []string{"addressee", "address"}, func(k, v *yaml.Node) string {
			var msg string
			switch k.Value {
			case "addressee":
				c.Addressee, msg = textField(v, maxTitle)
			case "address":
				c.Address, msg = addressField(r, v, label+": address", false)
			case "address_confirmed":
				c.AddressConfirmed, msg = boolField(v)
			default:
				msg = "unknown field: a copy_to entry has " + strings.Join(recipientFields, ", ")
			}
			return msg
		})
		if c.AddressConfirmed && len(c.Address) == 0 {
			r.Add(seen["address_confirmed"], label+": address_confirmed", "is true, but there is no address to confirm")
		}
		out = append(out, c)
	}
	return out, ""
}
