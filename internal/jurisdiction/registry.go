package jurisdiction

import (
	"sort"
	"strings"
)

// EUMembers returns the EU Member States, sorted by name.
func (r *Registry) EUMembers() []Jurisdiction {
	var out []Jurisdiction
	for _, j := range r.Jurisdictions {
		if j.EUMember {
			out = append(out, j)
		}
	}
	sortByName(out)
	return out
}

// Sorted returns every jurisdiction in the order a board of them reads
// best: first those with a regime of their own (they can designate now),
// then the EU Member States that act through the EU's regime, then those
// with no regime (the ask is to create one); by name within each group.
func (r *Registry) Sorted() []Jurisdiction {
	out := make([]Jurisdiction, len(r.Jurisdictions))
	copy(out, r.Jurisdictions)
	sortByName(out)
	sort.SliceStable(out, func(a, b int) bool { return group(&out[a]) < group(&out[b]) })
	return out
}

func group(j *Jurisdiction) int {
	switch {
	case j.HasRegime:
		return 0
	case j.EUMember:
		return 1
	}
	return 2
}

func sortByName(js []Jurisdiction) {
	sort.SliceStable(js, func(a, b int) bool {
		return strings.ToLower(js[a].Name) < strings.ToLower(js[b].Name)
	})
}

// Gap returns the coordination gap for jurisdiction code: designated are
// the targets it has designated, notYet those it has not but another
// jurisdiction has. A designation by the EU counts as designated for an EU
// Member State (an EU listing binds it), not for a country that merely
// aligns with EU listings. Both are in file order; a target no one has
// designated is in neither. For a code not in the registry both are nil.
func (r *Registry) Gap(code string) (designated, notYet []Target) {
	j, ok := r.ByCode(code)
	if !ok {
		return nil, nil
	}
	for _, t := range r.Targets {
		switch {
		case t.DesignatedBy(code) || (j.EUMember && t.DesignatedBy("EU")):
			designated = append(designated, t)
		case len(t.Designations) > 0:
			notYet = append(notYet, t)
		}
	}
	return designated, notYet
}
