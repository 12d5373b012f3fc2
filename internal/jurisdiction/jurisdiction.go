// Package jurisdiction holds who can impose sanctions where, and on whom:
// the jurisdictions (their sanctions regime, what it covers, the office to
// write to) and the named targets with their existing designations, loaded
// from config/jurisdictions.yaml and config/targets.yaml.
package jurisdiction

// Confidence of a researched fact, carried from ../shared/data.
const (
	Confirmed   = "confirmed"   // ✔ stated in a source
	Partial     = "partial"     // ~ only partly confirmed
	Unconfirmed = "unconfirmed" // ✘ verify before mailing
)

// Coverage says what conduct a sanctions regime covers; letters frame the
// ask accordingly.
type Coverage struct {
	ArbitraryDetention bool `yaml:"arbitrary_detention"`
	Torture            bool `yaml:"torture"`       // torture, cruel or degrading treatment
	ForcedLabour       bool `yaml:"forced_labour"` // slavery, forced labour, trafficking
	Killings           bool `yaml:"killings"`      // extrajudicial killings, right to life
	Corruption         bool `yaml:"corruption"`    // significant corruption
	Expression         bool `yaml:"expression"`    // freedoms of expression, assembly, association
}

// Jurisdiction is a government (or the EU) that can be asked to sanction.
type Jurisdiction struct {
	Code             string   `yaml:"code"` // ISO 3166-1 alpha-2, EU, XK
	Name             string   `yaml:"name"` // English name
	HasRegime        bool     `yaml:"has_regime"`
	Regime           string   `yaml:"regime"` // name of the regime, or "" when none
	Law              string   `yaml:"law"`    // legal basis, or "none"
	Covers           Coverage `yaml:"covers"`
	CoverageNote     string   `yaml:"coverage_note"` // how letters should frame the ask there
	Designates       string   `yaml:"designates"`    // who decides designations
	Addressee        string   `yaml:"addressee"`     // role title, never a person's name
	Address          []string `yaml:"address"`       // postal address lines
	AddressConfirmed bool     `yaml:"address_confirmed"`
	Language         string   `yaml:"language"` // letter language: en, fr, de, …
	EUMember         bool     `yaml:"eu_member"`
	Confidence       string   `yaml:"confidence"` // confirmed, partial, unconfirmed
	Sources          []string `yaml:"sources"`
	Line             int      `yaml:"-"` // line in the file, for error messages

	// AddresseeLocal is the addressee's role title in the letter language,
	// as the facts give it; "" where only the English title is known.
	AddresseeLocal string `yaml:"addressee_local"`
	// LanguageNote names the other languages a letter could be written in
	// where Language is one choice among several.
	LanguageNote string `yaml:"language_note"`
	// CopyTo lists other offices that should receive the letter (the US
	// State Department beside OFAC; the Council beside the EEAS).
	CopyTo []Recipient `yaml:"copy_to"`
	// Verify lists the details the facts leave unconfirmed; organizers see
	// them as "verify before mailing".
	Verify []string `yaml:"verify"`
}

// Recipient is a further office a jurisdiction's letter goes to.
type Recipient struct {
	Addressee        string   `yaml:"addressee"` // role or office, never a person's name
	Address          []string `yaml:"address"`   // postal address lines
	AddressConfirmed bool     `yaml:"address_confirmed"`
}

// Designation is one jurisdiction's existing sanction on a target.
type Designation struct {
	Jurisdiction string `yaml:"jurisdiction"`
	Date         string `yaml:"date"` // YYYY-MM-DD, YYYY-MM or YYYY
	Program      string `yaml:"program"`
	Source       string `yaml:"source"`
	Confidence   string `yaml:"confidence"`
	Note         string `yaml:"note"` // e.g. a further visa ban, or what to verify
}

// Target is a person or entity the campaign asks to be sanctioned.
type Target struct {
	ID           string        `yaml:"id"` // slug
	Name         string        `yaml:"name"`
	Role         string        `yaml:"role"`
	Conduct      string        `yaml:"conduct"` // alleged conduct, carefully worded
	Sources      []string      `yaml:"sources"`
	Confidence   string        `yaml:"confidence"`
	Designations []Designation `yaml:"designations"`
	Kind         string        `yaml:"kind"`     // "person" or "entity"
	Official     bool          `yaml:"official"` // a Cambodian official or legislator when designated
	Note         string        `yaml:"note"`     // caveats, e.g. a name the sources spell differently
	Line         int           `yaml:"-"`        // line in the file, for error messages
}

// Target kinds.
const (
	Person = "person"
	Entity = "entity"
)

// Registry is everything loaded.
type Registry struct {
	Jurisdictions []Jurisdiction
	Targets       []Target
}

// ByCode returns the jurisdiction with that code.
func (r *Registry) ByCode(code string) (*Jurisdiction, bool) {
	for i := range r.Jurisdictions {
		if r.Jurisdictions[i].Code == code {
			return &r.Jurisdictions[i], true
		}
	}
	return nil, false
}

// DesignatedBy reports whether jurisdiction code has designated t.
func (t *Target) DesignatedBy(code string) bool {
	for _, d := range t.Designations {
		if d.Jurisdiction == code {
			return true
		}
	}
	return false
}
