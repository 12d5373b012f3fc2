package jurisdiction

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The jurisdictions issue 7 requires, and the 27 EU Member States.
var (
	requiredCodes = []string{"US", "GB", "EU", "CA", "AU", "NZ", "CH", "NO", "EE", "LV", "LT", "XK", "JP"}
	euMemberCodes = []string{
		"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
		"IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
	}
)

func mustLoadConfig(t *testing.T) *Registry {
	t.Helper()
	r, err := Load("../../config")
	if err != nil {
		t.Fatalf("config/ does not load:\n%v", err)
	}
	return r
}

func ids(ts []Target) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

func codes(js []Jurisdiction) []string {
	out := make([]string, len(js))
	for i, j := range js {
		out[i] = j.Code
	}
	return out
}

func TestConfigHasEveryJurisdiction(t *testing.T) {
	r := mustLoadConfig(t)
	if len(euMemberCodes) != 27 {
		t.Fatalf("the test lists %d EU members, want 27", len(euMemberCodes))
	}
	for _, code := range append(slices.Clone(requiredCodes), euMemberCodes...) {
		j, ok := r.ByCode(code)
		switch {
		case !ok:
			t.Errorf("%s is missing from config/jurisdictions.yaml", code)
		case slices.Contains(euMemberCodes, code) != j.EUMember:
			t.Errorf("%s: eu_member = %v, want %v", code, j.EUMember, !j.EUMember)
		}
	}
	got := codes(r.EUMembers())
	slices.Sort(got)
	want := slices.Sorted(slices.Values(euMemberCodes))
	if !slices.Equal(got, want) {
		t.Errorf("EUMembers() = %v, want the 27 %v", got, want)
	}
}

func TestConfigLeavesOutDoNotUseRows(t *testing.T) {
	r := mustLoadConfig(t)
	// Rows the facts mark "do not use".
	for _, name := range []string{"Kok An"} {
		for _, tg := range r.Targets {
			text := strings.ToLower(strings.Join([]string{tg.ID, tg.Name, tg.Role, tg.Conduct, tg.Note}, " "))
			if strings.Contains(text, strings.ToLower(name)) || strings.Contains(tg.ID, "kok-an") {
				t.Errorf("target %q mentions %q, which the facts mark \"do not use\"", tg.ID, name)
			}
		}
	}
}

func TestConfigFlagsUnconfirmedRows(t *testing.T) {
	r := mustLoadConfig(t)
	tests := []struct {
		code             string
		confidence       string
		addressConfirmed bool
	}{
		{"US", Confirmed, true},
		{"GB", Confirmed, true},
		{"EU", Confirmed, false}, // EEAS street number ✘
		{"CA", Confirmed, false},
		{"AU", Confirmed, true},
		{"NZ", Confirmed, false},
		{"CH", Partial, false},
		{"NO", Confirmed, false},
		{"EE", Confirmed, false}, // street ✔, postcode ✘
		{"LV", Partial, false},
		{"LT", Confirmed, false},
		{"XK", Partial, false},
		{"JP", Confirmed, false},
		{"FR", Confirmed, true},
		{"DE", Confirmed, true},
		{"IE", Partial, true}, // address ✔, department's name ✘
		{"IT", Confirmed, true},
		{"NL", Confirmed, true},
		{"PL", Confirmed, true},
		{"ES", Partial, false}, // street ✔, postcode ✘
		{"SE", Partial, false},
		{"AT", Unconfirmed, false},
		{"BE", Unconfirmed, false},
		{"MT", Unconfirmed, false},
		{"SI", Unconfirmed, false},
	}
	for _, tt := range tests {
		j, ok := r.ByCode(tt.code)
		if !ok {
			t.Errorf("%s is missing", tt.code)
			continue
		}
		if j.Confidence != tt.confidence || j.AddressConfirmed != tt.addressConfirmed {
			t.Errorf("%s: confidence %q, address_confirmed %v; the facts' marks give %q, %v",
				tt.code, j.Confidence, j.AddressConfirmed, tt.confidence, tt.addressConfirmed)
		}
	}
	for _, j := range r.Jurisdictions {
		if !j.AddressConfirmed && len(j.Verify) == 0 {
			t.Errorf("%s: the address is not confirmed, but verify does not say what to check before mailing", j.Code)
		}
		if j.Confidence == Unconfirmed && j.AddressConfirmed {
			t.Errorf("%s: an unconfirmed row cannot have a confirmed address", j.Code)
		}
	}
	for _, id := range []string{"dong-lecheng", "tc-capital", "kb-hotel", "golden-sun-sky-entertainment", "xinbi"} {
		tg := findTarget(t, r, id)
		if tg.Confidence == Confirmed {
			t.Errorf("target %s: confidence %q, but the facts mark it ~", id, tg.Confidence)
		}
	}
	for _, tg := range r.Targets {
		for _, d := range tg.Designations {
			if d.Confidence != Confirmed && d.Note == "" {
				t.Errorf("target %s: the %s designation is %s but its note does not say what to verify", tg.ID, d.Jurisdiction, d.Confidence)
			}
		}
	}
}

func findTarget(t *testing.T, r *Registry, id string) Target {
	t.Helper()
	for _, tg := range r.Targets {
		if tg.ID == id {
			return tg
		}
	}
	t.Fatalf("target %q is missing", id)
	return Target{}
}

func TestConfigCoverageFollowsTheFacts(t *testing.T) {
	r := mustLoadConfig(t)
	get := func(code string) Jurisdiction {
		j, ok := r.ByCode(code)
		if !ok {
			t.Fatalf("%s is missing", code)
		}
		return *j
	}
	for _, code := range []string{"US", "EU", "CA"} {
		if j := get(code); !j.HasRegime || !j.Covers.ArbitraryDetention {
			t.Errorf("%s: the facts say its regime covers political imprisonment; has_regime %v, arbitrary_detention %v", code, j.HasRegime, j.Covers.ArbitraryDetention)
		}
	}
	for _, code := range []string{"GB", "AU"} {
		j := get(code)
		if !j.HasRegime || j.Covers.ArbitraryDetention || !j.Covers.Torture || !j.Covers.ForcedLabour || !j.Covers.Corruption {
			t.Errorf("%s: want a regime covering mistreatment, forced labour and corruption but not arbitrary detention, got %+v", code, j.Covers)
		}
	}
	for _, code := range []string{"NZ", "JP", "CH"} {
		if j := get(code); j.HasRegime || j.Law != None || j.Covers != (Coverage{}) {
			t.Errorf("%s: the facts give no regime; has_regime %v, law %q, covers %+v", code, j.HasRegime, j.Law, j.Covers)
		}
	}
	eu := get("EU").Covers
	for _, j := range r.EUMembers() {
		national := slices.Contains([]string{"EE", "LV", "LT"}, j.Code)
		if j.HasRegime != national {
			t.Errorf("%s: has_regime %v, want %v (only the Baltic states have a national Magnitsky law)", j.Code, j.HasRegime, national)
		}
		c := j.Covers
		if (eu.ArbitraryDetention && !c.ArbitraryDetention) || (eu.Torture && !c.Torture) || (eu.ForcedLabour && !c.ForcedLabour) ||
			(eu.Killings && !c.Killings) || (eu.Expression && !c.Expression) {
			t.Errorf("%s: covers %+v, want at least the EU regime's %+v, which it proposes listings under", j.Code, c, eu)
		}
		if j.CoverageNote == "" {
			t.Errorf("%s: no coverage_note saying how the ask is framed", j.Code)
		}
	}
}

func TestConfigLettersAreAddressable(t *testing.T) {
	r := mustLoadConfig(t)
	roleWords := []string{"Minister", "Secretary", "High Representative", "Head of"}
	for _, j := range r.Jurisdictions {
		if !slices.ContainsFunc(roleWords, func(w string) bool { return strings.Contains(j.Addressee, w) }) {
			t.Errorf("%s: addressee %q is not a role title", j.Code, j.Addressee)
		}
		if len(j.Address) == 0 && j.Code != "XK" {
			t.Errorf("%s: no address, but the facts give one", j.Code)
		}
	}
	languages := map[string]string{
		"US": "en", "GB": "en", "EU": "en", "CA": "en", "FR": "fr", "BE": "fr", "LU": "fr",
		"DE": "de", "AT": "de", "CH": "de", "IE": "en", "MT": "en", "NO": "nb", "XK": "sq",
		"JP": "ja", "EE": "et", "ES": "es", "SE": "sv", "GR": "el", "CY": "el", "SI": "sl",
	}
	for code, want := range languages {
		j, ok := r.ByCode(code)
		if !ok {
			t.Errorf("%s is missing", code)
			continue
		}
		if j.Language != want {
			t.Errorf("%s: letter language %q, want %q", code, j.Language, want)
		}
	}
}

func TestConfigTargets(t *testing.T) {
	r := mustLoadConfig(t)
	for _, tg := range r.Targets {
		if !strings.Contains(strings.ToLower(tg.Conduct), "alleged") {
			t.Errorf("target %s: conduct %q does not say what is alleged", tg.ID, tg.Conduct)
		}
		if len(tg.Designations) == 0 {
			t.Errorf("target %s: no designation, but every target in the facts has one", tg.ID)
		}
	}
	// Cambodia's only designated officials (facts X2) are designated by the US alone.
	for _, id := range []string{"hing-bun-hieng", "kun-kim", "chau-phirun", "tea-vinh", "ly-yong-phat"} {
		tg := findTarget(t, r, id)
		if !tg.Official || len(tg.Designations) != 1 || tg.Designations[0].Jurisdiction != "US" {
			t.Errorf("target %s: official %v, designations %+v; want an official designated by the US only", id, tg.Official, tg.Designations)
		}
	}
	chen := findTarget(t, r, "chen-zhi")
	var by []string
	for _, d := range chen.Designations {
		by = append(by, d.Jurisdiction+" "+d.Date)
	}
	if want := []string{"US 2025-10-14", "GB 2025-10-14", "EU 2026-07-30"}; !slices.Equal(by, want) {
		t.Errorf("chen-zhi designated by %v, want %v", by, want)
	}
}

func TestConfigGap(t *testing.T) {
	r := mustLoadConfig(t)
	tests := []struct {
		code                      string
		designated, notDesignated []string // some of each, not all
	}{
		// An EU listing binds France; the US officials are its gap.
		{"FR", []string{"chen-zhi", "zhu-zhongbaio", "prince-holding-group", "jin-bei-group"}, []string{"hing-bun-hieng", "ly-yong-phat"}},
		{"GB", []string{"chen-zhi", "jin-bei-group", "xinbi"}, []string{"kun-kim", "zhu-zhongbaio"}},
		{"US", []string{"kun-kim", "chen-zhi"}, []string{"zhu-zhongbaio", "jin-bei-group"}},
		// Norway aligns with EU listings, but that it adopted these is not established.
		{"NO", nil, []string{"chen-zhi", "kun-kim"}},
		{"CA", nil, []string{"chen-zhi", "hing-bun-hieng"}},
	}
	for _, tt := range tests {
		designated, notYet := r.Gap(tt.code)
		for _, id := range tt.designated {
			if !slices.Contains(ids(designated), id) {
				t.Errorf("Gap(%s): %s is not among the designated %v", tt.code, id, ids(designated))
			}
		}
		for _, id := range tt.notDesignated {
			if !slices.Contains(ids(notYet), id) {
				t.Errorf("Gap(%s): %s is not among the not yet designated %v", tt.code, id, ids(notYet))
			}
		}
		if tt.designated == nil && len(designated) > 0 {
			t.Errorf("Gap(%s): designated %v, want none", tt.code, ids(designated))
		}
		if len(designated)+len(notYet) != len(r.Targets) {
			t.Errorf("Gap(%s): %d + %d targets, want all %d (each has a designation)", tt.code, len(designated), len(notYet), len(r.Targets))
		}
	}
}

func TestGap(t *testing.T) {
	r, err := Load("testdata/valid")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		code               string
		designated, notYet []string
	}{
		{"US", []string{"only-us", "us-and-gb"}, []string{"only-eu", "only-gb"}},
		{"GB", []string{"us-and-gb", "only-gb"}, []string{"only-us", "only-eu"}},
		{"EU", []string{"only-eu"}, []string{"only-us", "us-and-gb", "only-gb"}},
		{"FR", []string{"only-eu"}, []string{"only-us", "us-and-gb", "only-gb"}}, // EU member
		{"NO", nil, []string{"only-us", "us-and-gb", "only-eu", "only-gb"}},      // aligns, not a member
		{"JP", nil, []string{"only-us", "us-and-gb", "only-eu", "only-gb"}},
		{"ZZ", nil, nil}, // unknown code
		{"CA", nil, nil}, // a country, but not in the registry
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			designated, notYet := r.Gap(tt.code)
			if got := ids(designated); !slices.Equal(got, tt.designated) && len(got)+len(tt.designated) > 0 {
				t.Errorf("designated = %v, want %v", got, tt.designated)
			}
			if got := ids(notYet); !slices.Equal(got, tt.notYet) && len(got)+len(tt.notYet) > 0 {
				t.Errorf("not yet designated = %v, want %v (nobody-yet, designated by no one, is never in the gap)", got, tt.notYet)
			}
		})
	}
}

func TestSorted(t *testing.T) {
	r, err := Load("testdata/valid")
	if err != nil {
		t.Fatal(err)
	}
	// Own regime first, then EU members, then no regime; by name within.
	want := []string{"EU", "NO", "GB", "US", "FR", "JP"}
	if got := codes(r.Sorted()); !slices.Equal(got, want) {
		t.Errorf("Sorted() = %v, want %v", got, want)
	}
	if got := codes(r.Jurisdictions); got[0] != "US" {
		t.Errorf("Sorted() reordered the registry itself: %v", got)
	}
}

func TestLoadValidTestdata(t *testing.T) {
	r, err := Load("testdata/valid")
	if err != nil {
		t.Fatal(err)
	}
	fr, _ := r.ByCode("FR")
	if !fr.Covers.ArbitraryDetention || !fr.Covers.Torture || fr.Covers.Corruption {
		t.Errorf("FR covers %+v: want the EU's, shared through a YAML alias", fr.Covers)
	}
	if want := []string{"37, quai d'Orsay", "75007 Paris"}; !slices.Equal(fr.Address, want) {
		t.Errorf("FR address = %q, want %q", fr.Address, want)
	}
	if fr.Line != 47 {
		t.Errorf("FR line = %d, want 47 (the line of its \"- code: FR\")", fr.Line)
	}
	us := findTarget(t, r, "us-and-gb")
	if len(us.Designations) != 2 || us.Designations[0].Date != "2019-12" || us.Designations[1].Date != "2023" {
		t.Errorf("us-and-gb designations = %+v, want dates 2019-12 and 2023 kept as written", us.Designations)
	}
}

func TestLoadMissingFiles(t *testing.T) {
	_, err := Load(t.TempDir())
	if err == nil {
		t.Fatal("Load of an empty directory succeeded")
	}
	for _, name := range []string{JurisdictionsFile, TargetsFile} {
		if !strings.Contains(err.Error(), name+": not found") {
			t.Errorf("error %q does not say %s is not found", err, name)
		}
	}
}

func TestLoadMalformed(t *testing.T) {
	const (
		validJurisdictions = "testdata/valid/jurisdictions.yaml"
		noTargets          = "testdata/no-targets.yaml"
	)
	m := func(name string) string { return filepath.Join("testdata", "malformed", name) }
	tests := []struct {
		name          string
		jurisdictions string
		targets       string
		want          []string // one per problem reported, each part of its line
	}{
		{"unknown field", m("j-unknown-field.yaml"), noTargets, []string{`j-unknown-field.yaml:15: jurisdiction "US": adress: unknown field`}},
		{"missing field", m("j-missing-addressee.yaml"), noTargets, []string{`j-missing-addressee.yaml:2: jurisdiction "US": addressee: missing`}},
		{"bad code", m("j-bad-code.yaml"), noTargets, []string{`j-bad-code.yaml:2: jurisdiction #1: code: "ZZ" is not an ISO 3166-1`}},
		{"lower-case code", m("j-lower-code.yaml"), noTargets, []string{`j-lower-code.yaml:2: jurisdiction #1: code: write codes in capitals: "US"`}},
		{"UK for GB", m("j-uk-code.yaml"), noTargets, []string{`j-uk-code.yaml:2: jurisdiction #1: code: the code for the United Kingdom is "GB"`}},
		{"duplicate code", m("j-duplicate-code.yaml"), noTargets, []string{`j-duplicate-code.yaml:15: jurisdiction "US": code: "US" is already used by the jurisdiction on line 2`}},
		{"bad confidence", m("j-bad-confidence.yaml"), noTargets, []string{`j-bad-confidence.yaml:13: jurisdiction "US": confidence: must be "confirmed" (✔), "partial" (~) or "unconfirmed" (✘), got "✔"`}},
		{"three-letter language", m("j-long-language.yaml"), noTargets, []string{`j-long-language.yaml:12: jurisdiction "US": language: must be a two-letter ISO 639-1`}},
		{"unknown language", m("j-unknown-language.yaml"), noTargets, []string{`j-unknown-language.yaml:12: jurisdiction "US": language: must be a two-letter ISO 639-1 language code in lower case, such as "en", "fr" or "de", got "xx"`}},
		{"confirmed without address", m("j-confirmed-no-address.yaml"), noTargets, []string{`j-confirmed-no-address.yaml:10: jurisdiction "US": address_confirmed: is true, but there is no address`}},
		{"regime missing", m("j-regime-missing.yaml"), noTargets, []string{`j-regime-missing.yaml:2: jurisdiction "US": regime: missing`}},
		{"law without regime", m("j-law-not-none.yaml"), noTargets, []string{`j-law-not-none.yaml:6: jurisdiction "US": law: must be "none" when has_regime is false`}},
		{"bad bool", m("j-bad-bool.yaml"), noTargets, []string{`j-bad-bool.yaml:4: jurisdiction "US": eu_member: must be true or false, got "perhaps"`}},
		{"unknown coverage", m("j-covers-unknown.yaml"), noTargets, []string{`j-covers-unknown.yaml:10: jurisdiction "US": covers: detention: unknown field`}},
		{"EU as a member", m("j-eu-member-eu.yaml"), noTargets, []string{`j-eu-member-eu.yaml:4: jurisdiction "EU": eu_member: the Union itself is not a Member State`}},
		{"repeated key", m("j-repeated-key.yaml"), noTargets, []string{`j-repeated-key.yaml:13: jurisdiction "US": language: appears twice (first on line 12)`}},
		{"syntax", m("j-syntax.yaml"), noTargets, []string{`j-syntax.yaml:4: YAML syntax:`}},
		{"not a list", m("j-no-list.yaml"), noTargets, []string{`j-no-list.yaml:1: jurisdictions: must be a list`}},
		{"every problem at once", m("j-two-problems.yaml"), noTargets, []string{`j-two-problems.yaml:2: jurisdiction #1: code:`, `j-two-problems.yaml:12: jurisdiction #1: language:`}},

		{"target unknown field", validJurisdictions, m("t-unknown-field.yaml"), []string{`t-unknown-field.yaml:5: target "kun-kim": alias: unknown field`}},
		{"target missing conduct", validJurisdictions, m("t-missing-conduct.yaml"), []string{`t-missing-conduct.yaml:2: target "kun-kim": conduct: missing`}},
		{"target bad id", validJurisdictions, m("t-bad-id.yaml"), []string{`t-bad-id.yaml:2: target #1: id: must be 3 to 64 characters`}},
		{"target duplicate id", validJurisdictions, m("t-duplicate-id.yaml"), []string{`t-duplicate-id.yaml:14: target "kun-kim": id: already used by the target on line 2`}},
		{"target bad kind", validJurisdictions, m("t-bad-kind.yaml"), []string{`t-bad-kind.yaml:4: target "kun-kim": kind: must be "person" or "entity", got "company"`}},
		{"target bad source", validJurisdictions, m("t-bad-source.yaml"), []string{`t-bad-source.yaml:7: target "kun-kim": sources[2]: "see the Treasury site" is not a source key`}},
		{"designation of an unknown jurisdiction", validJurisdictions, m("t-unknown-jurisdiction.yaml"), []string{`t-unknown-jurisdiction.yaml:9: target "kun-kim": designations[1]: jurisdiction: "JE" is not a jurisdiction in jurisdictions.yaml`}},
		{"designation bad code", validJurisdictions, m("t-bad-jurisdiction-code.yaml"), []string{`t-bad-jurisdiction-code.yaml:9: target "kun-kim": designations[1]: jurisdiction: "United States" is not an ISO 3166-1`}},
		{"designation bad month", validJurisdictions, m("t-bad-month.yaml"), []string{`t-bad-month.yaml:10: target "kun-kim": designations[1]: date: must be a date such as 2019-12-09, 2019-12 or 2019, got "2019-13-09"`}},
		{"designation date as text", validJurisdictions, m("t-bad-date-text.yaml"), []string{`t-bad-date-text.yaml:10: target "kun-kim": designations[1]: date: must be a date such as 2019-12-09, 2019-12 or 2019, got "9 Dec 2019"`}},
		{"designation bad confidence", validJurisdictions, m("t-bad-designation-confidence.yaml"), []string{`t-bad-designation-confidence.yaml:13: target "kun-kim": designations[1]: confidence: must be "confirmed" (✔), "partial" (~) or "unconfirmed" (✘), got "sure"`}},
		{"designation missing program", validJurisdictions, m("t-missing-program.yaml"), []string{`t-missing-program.yaml:9: target "kun-kim": designations[1]: program: missing`}},
		{"designation repeated", validJurisdictions, m("t-repeated-designation.yaml"), []string{`t-repeated-designation.yaml:14: target "kun-kim": designations[2]: repeats the designation on line 9`}},
		// A broken jurisdictions file is reported once, not again as every designation's unknown jurisdiction.
		{"broken jurisdictions only", m("j-syntax.yaml"), "testdata/valid/targets.yaml", []string{`j-syntax.yaml:4: YAML syntax:`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse(mustRead(t, tt.jurisdictions), mustRead(t, tt.targets))
			if err == nil {
				t.Fatalf("loaded %d jurisdictions without error; want %q", len(r.Jurisdictions), tt.want)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not contain %q:\n%v", want, err)
				}
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != len(tt.want) {
				t.Errorf("%d problems reported, want %d:\n%v", n, len(tt.want), err)
			}
		})
	}
}

func mustRead(t *testing.T, name string) File {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return File{Name: name, Data: data}
}
