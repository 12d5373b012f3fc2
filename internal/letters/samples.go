package letters

import (
	"fmt"
	"time"
)

// monthNames are the months in the languages whose dates letters write
// out; other languages get the unambiguous ISO form, 2026-11-26.
var monthNames = map[string][12]string{
	"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	"fr": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
	"de": {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
}

// formatDate writes the letter's date as lang does: 26 November 2026,
// 1er décembre 2026, 26. November 2026.
func formatDate(t time.Time, lang string) string {
	months, ok := monthNames[lang]
	if !ok {
		return t.Format(time.DateOnly)
	}
	month := months[t.Month()-1]
	switch lang {
	case "fr":
		if t.Day() == 1 {
			return fmt.Sprintf("1er %s %d", month, t.Year())
		}
		return fmt.Sprintf("%d %s %d", t.Day(), month, t.Year())
	case "de":
		return fmt.Sprintf("%d. %s %d", t.Day(), month, t.Year())
	default:
		return fmt.Sprintf("%d %s %d", t.Day(), month, t.Year())
	}
}

// sampleVars returns sample letters of every kind, for checking a
// template: a jurisdiction whose regime covers arbitrary detention, one
// whose regime does not, one with none, an EU member state, and the EU
// itself; with and without names and targets. Every list in the first
// sample has an element, so that checkFields can follow it.
func sampleVars(lang string) []map[string]any {
	now := time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)
	base := func(code, name string, ask string, hasRegime, euMember bool) map[string]any {
		name = regionName(code, name, lang)
		the, in := countryPhrases(code, name, lang)
		return map[string]any{
			"Date":     formatDate(now, lang),
			"Language": lang,
			"Petition": map[string]any{"Title": "Sample petition", "Slug": "sample",
				"Demands": []string{"First demand.", "Second demand."}},
			"Jurisdiction": map[string]any{"Code": code, "Name": name, "TheName": the, "InName": in,
				"Addressee": "Minister of Foreign Affairs",
				"CopyTo":    []map[string]any{{"Addressee": "Secretary of State", "Address": []string{"1 Other Street"}}},
				"Address":   []string{"Ministry of Foreign Affairs", "1 Sample Street", "0000 Capital"},
				"Regime":    "Sample Human Rights Sanctions Regulations", "Law": "Sample Act 2020",
				"Designates": "The Minister", "CoverageNote": "Sample note.", "HasRegime": hasRegime,
				"EUMember": euMember, "IsEU": code == EU},
			"Ask":      ask,
			"EURegime": "EU Global Human Rights Sanctions Regime",
			"Covers": map[string]any{"ArbitraryDetention": ask == AskDirect, "Torture": true, "ForcedLabour": true,
				"Killings": true, "Corruption": false, "Expression": false},
			"Signers": int64(1234),
			"Total":   int64(56789),
			"Designated": []map[string]any{{"Name": "Sample Person", "Role": "General", "Conduct": "Sample conduct.",
				"By": []string{"Sample Land, 2020-01-02 (Sample program)"}}},
			"NotYet": []map[string]any{{"Name": "Other Person", "Role": "Official", "Conduct": "Other conduct.",
				"By": []string{"Other Land, 2021-03-04 (Other program)", "Third Land, 2022"}}},
			"NameGroups": []map[string]any{
				{"City": "Phnom Penh", "Country": "", "Names": []string{"សុខ ដារា", "Jane Doe"}},
				{"City": "", "Country": "", "Names": []string{"John Roe"}},
			},
			"NameCount": int64(3),
			"Digest": map[string]any{"Count": int64(1234),
				"Root":        "0123abcd 0123abcd 0123abcd 0123abcd 0123abcd 0123abcd 0123abcd 0123abcd",
				"GeneratedAt": "2026-11-26 09:30:00 UTC", "VerifyURL": "https://campaign.example/verify"},
		}
	}
	direct := base("US", "United States", AskDirect, true, false)
	framed := base("GB", "United Kingdom", AskFramed, true, false)
	framed["Designated"] = []map[string]any{}
	create := base("NZ", "New Zealand", AskCreate, false, false)
	create["NameGroups"], create["NameCount"] = []map[string]any{}, int64(0)
	create["Signers"] = int64(0)
	member := base("FR", "France", AskDirect, false, true)
	member["NotYet"] = []map[string]any{}
	eu := base(EU, "European Union", AskDirect, true, false)
	eu["NameGroups"] = []map[string]any{{"City": "Lyon", "Country": "France", "Names": []string{"Marie Curie"}}}
	eu["NameCount"] = int64(1)
	return []map[string]any{direct, framed, create, member, eu}
}
