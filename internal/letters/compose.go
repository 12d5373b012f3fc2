package letters

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"text/template"
	"time"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/cambodia-sanctions/campaign/internal/jurisdiction"
	"github.com/cambodia-sanctions/campaign/internal/pdf"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

// How a letter frames its ask, by what the regime it appeals to covers.
const (
	// AskDirect: the regime covers arbitrary arrest and detention, so the
	// letter asks directly for designations over political imprisonment
	// (the EU regime, and through it every member state; the US; Canada).
	AskDirect = "direct"
	// AskFramed: the regime does not cover arbitrary detention (the UK's
	// and Australia's cover torture and cruel treatment, forced labour and,
	// under separate regimes, corruption), so the ask is framed around
	// mistreatment in detention, forced labour and corruption.
	AskFramed = "framed"
	// AskCreate: no regime, so the letter asks the government to create one.
	AskCreate = "create"
)

// askFor returns how a letter to j frames its ask. A member state acts
// through the EU regime, whose coverage its entry carries.
func askFor(j jurisdiction.Jurisdiction) string {
	switch {
	case !j.HasRegime && !j.EUMember && j.Code != EU:
		return AskCreate
	case j.Covers.ArbitraryDetention:
		return AskDirect
	default:
		return AskFramed
	}
}

// TemplateVariables documents the variables a letter template may use.
var TemplateVariables = []struct{ Name, Meaning string }{
	{".Date", "the letter's date, written in the letter's language"},
	{".Language", "the language of the template (en, fr, de, …)"},
	{".Petition.Title, .Petition.Slug", "the petition"},
	{".Petition.Demands", "the petition's demands (a list)"},
	{".Jurisdiction.Code, .Name", "the jurisdiction (its name in the letter's language)"},
	{".Jurisdiction.TheName, .InName", "its name mid-sentence with its article (the United States, la France) and with \"in\" (in the United States, aux États-Unis, in der Schweiz)"},
	{".Jurisdiction.Addressee", "the office written to (a role, never a person), in the letter's language where known"},
	{".Jurisdiction.Address", "the postal address lines (a list)"},
	{".Jurisdiction.CopyTo", "further offices that receive a copy: a list of .Addressee, .Address (a list)"},
	{".Jurisdiction.Regime, .Law, .Designates, .CoverageNote", "its sanctions regime, as in config/jurisdictions.yaml"},
	{".Jurisdiction.HasRegime, .EUMember, .IsEU", "true or false; IsEU for the letter to the EU's High Representative"},
	{".Ask", `"direct" (the regime covers arbitrary detention), "framed" (it does not: frame around mistreatment in detention, forced labour, corruption) or "create" (no regime: ask to create one)`},
	{".EURegime", "the name of the EU's regime (for member states and the EU)"},
	{".Covers.ArbitraryDetention, .Torture, .ForcedLabour, .Killings, .Corruption, .Expression", "what the regime covers, true or false"},
	{".Signers", "confirmed signers living in the jurisdiction (for the EU: in any member state); write {{num .Signers}}"},
	{".Total", "confirmed signers in all countries"},
	{".Designated", "named targets this jurisdiction has designated: a list of .Name, .Role, .Conduct, .By (a list of \"jurisdiction, date (program)\")"},
	{".NotYet", "named targets designated elsewhere but not by this jurisdiction, as .Designated"},
	{".NameGroups", "signers who asked to be named: a list of .City (\"\" when not given), .Country (the EU letter only), .Names (a list)"},
	{".NameCount", "the number of names"},
	{".Digest.Count, .Root, .GeneratedAt, .VerifyURL", "the verification digest printed in the annex"},
}

// compose writes the letter to j from its group of signatures.
func (s *Service) compose(p *store.Petition, j jurisdiction.Jurisdiction, g *group, total int64, root Hash,
	tpls map[string]*template.Template, now time.Time) (*Letter, error) {
	lang, tpl := s.templateFor(j.Language, tpls)
	designated, notYet := s.reg.Gap(j.Code)
	l := &Letter{Jurisdiction: j, Language: lang, Signers: int64(len(g.ids)), Total: total, Root: root,
		GeneratedAt: now, Check: Checks(j), Designated: len(designated), NotYet: len(notYet), Names: len(g.names)}
	groups := groupNames(g.names, lang, j.Code == EU)
	vars := map[string]any{
		"Date":         formatDate(now, lang),
		"Language":     lang,
		"Petition":     map[string]any{"Title": p.Title, "Slug": p.Slug, "Demands": []string(p.Demands)},
		"Jurisdiction": s.jurisdictionVars(j, lang),
		"Ask":          askFor(j),
		"EURegime":     s.euRegime(),
		"Covers":       coversVars(j.Covers),
		"Signers":      l.Signers,
		"Total":        total,
		"Designated":   s.targetVars(designated, lang),
		"NotYet":       s.targetVars(notYet, lang),
		"NameGroups":   groups,
		"NameCount":    int64(len(g.names)),
		"Digest": map[string]any{"Count": l.Signers, "Root": FormatRoot(root[:]),
			"GeneratedAt": now.Format("2006-01-02 15:04:05 UTC"), "VerifyURL": s.verifyURL},
	}
	var b strings.Builder
	if err := tpl.Execute(&b, vars); err != nil {
		return nil, fmt.Errorf("template %s: %w", lang, err)
	}
	l.Blocks = ParseBlocks(b.String())
	l.Title = regionName(j.Code, j.Name, lang) + " · " + p.Title
	for _, bl := range l.Blocks {
		if bl.Style == pdf.StyleTitle {
			l.Title = bl.Text
			break
		}
	}
	return l, nil
}

// templateFor picks the template for a jurisdiction's language: the
// petition's own, else config/letters, else the same for English.
func (s *Service) templateFor(lang string, petition map[string]*template.Template) (string, *template.Template) {
	for _, l := range []string{lang, Fallback} {
		if t := petition[l]; t != nil {
			return l, t
		}
		if t := s.templates.byLang[l]; t != nil {
			return l, t
		}
	}
	panic("letters: no English template") // LoadTemplates refuses to start without one
}

// petitionTemplates parses a petition's own templates. They were checked
// when saved; one that no longer parses (after an upgrade) is an error
// rather than silently replaced.
func (s *Service) petitionTemplates(ctx context.Context, petitionID int64) (map[string]*template.Template, error) {
	rows, err := s.store.FindLetterTemplates(ctx, petitionID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*template.Template, len(rows))
	for _, r := range rows {
		t, err := ParseTemplate(r.Language, r.Body)
		if err != nil {
			return nil, fmt.Errorf("the petition's own %s template: %w", r.Language, err)
		}
		out[r.Language] = t
	}
	return out, nil
}

func (s *Service) jurisdictionVars(j jurisdiction.Jurisdiction, lang string) map[string]any {
	name := regionName(j.Code, j.Name, lang)
	the, in := countryPhrases(j.Code, name, lang)
	addressee := j.Addressee
	if j.AddresseeLocal != "" && lang == j.Language {
		addressee = j.AddresseeLocal
	}
	copyTo := make([]map[string]any, 0, len(j.CopyTo))
	for _, r := range j.CopyTo {
		addr := append([]string{}, r.Address...)
		if len(addr) > 0 && addr[0] == r.Addressee {
			addr = addr[1:] // the office's name, already written as the addressee
		}
		copyTo = append(copyTo, map[string]any{"Addressee": r.Addressee, "Address": addr})
	}
	return map[string]any{
		"Code": j.Code, "Name": name, "TheName": the, "InName": in, "Addressee": addressee, "CopyTo": copyTo,
		"Address": append([]string{}, j.Address...), "Regime": j.Regime, "Law": j.Law, "Designates": j.Designates,
		"CoverageNote": j.CoverageNote, "HasRegime": j.HasRegime, "EUMember": j.EUMember, "IsEU": j.Code == EU,
	}
}

func coversVars(c jurisdiction.Coverage) map[string]any {
	return map[string]any{"ArbitraryDetention": c.ArbitraryDetention, "Torture": c.Torture,
		"ForcedLabour": c.ForcedLabour, "Killings": c.Killings, "Corruption": c.Corruption, "Expression": c.Expression}
}

// euRegime is the name of the EU's regime, as the registry gives it.
func (s *Service) euRegime() string {
	if j, ok := s.reg.ByCode(EU); ok && j.Regime != "" {
		return j.Regime
	}
	return "EU Global Human Rights Sanctions Regime"
}

// targetVars lists targets with who designated them, when and how.
func (s *Service) targetVars(ts []jurisdiction.Target, lang string) []map[string]any {
	out := make([]map[string]any, 0, len(ts))
	for _, t := range ts {
		by := make([]string, 0, len(t.Designations))
		for _, d := range t.Designations {
			name := d.Jurisdiction
			if j, ok := s.reg.ByCode(d.Jurisdiction); ok {
				name = j.Name
			}
			entry := regionName(d.Jurisdiction, name, lang)
			if lang == "en" {
				// "Designated by the United States, …"
				entry, _ = countryPhrases(d.Jurisdiction, entry, lang)
			}
			if d.Date != "" {
				entry += ", " + d.Date
			}
			if d.Program != "" {
				entry += " (" + d.Program + ")"
			}
			by = append(by, entry)
		}
		out = append(out, map[string]any{"Name": t.Name, "Role": t.Role, "Conduct": t.Conduct, "By": by})
	}
	return out
}

// regionName is a jurisdiction's name in lang, or fallback.
func regionName(code, fallback, lang string) string {
	if r, err := language.ParseRegion(code); err == nil {
		if n := display.Regions(language.Make(lang)).Name(r); n != "" {
			return n
		}
	}
	return fallback
}

// groupNames groups names by city (and, in the EU letter, by country),
// cities and names in the order of lang; names without a city come last.
func groupNames(names []signer, lang string, byCountry bool) []map[string]any {
	type key struct{ country, city string }
	index := map[key]int{}
	var groups []struct {
		key   key
		label string
		names []string
	}
	for _, n := range names {
		k := key{city: strings.ToLower(strings.Join(strings.Fields(n.city), " "))}
		if byCountry {
			k.country = n.country
		}
		i, ok := index[k]
		if !ok {
			i = len(groups)
			index[k] = i
			groups = append(groups, struct {
				key   key
				label string
				names []string
			}{key: k, label: strings.Join(strings.Fields(n.city), " ")})
		}
		groups[i].names = append(groups[i].names, strings.TrimSpace(n.name))
	}
	col := collate.New(language.Make(lang), collate.IgnoreCase)
	sortGroups := func(a, b int) int {
		ga, gb := groups[a], groups[b]
		if (ga.key.city == "") != (gb.key.city == "") {
			if ga.key.city == "" {
				return 1
			}
			return -1
		}
		if c := col.CompareString(ga.label, gb.label); c != 0 {
			return c
		}
		return strings.Compare(ga.key.country, gb.key.country)
	}
	order := make([]int, len(groups))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, sortGroups)
	out := make([]map[string]any, 0, len(groups))
	for _, i := range order {
		g := groups[i]
		col.SortStrings(g.names)
		country := ""
		if g.key.country != "" {
			country = regionName(g.key.country, g.key.country, lang)
		}
		out = append(out, map[string]any{"City": g.label, "Country": country, "Names": g.names})
	}
	return out
}
