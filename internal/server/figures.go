package server

import (
	"sort"

	"github.com/cambodia-sanctions/campaign/internal/signing"
)

// CountryFigure is one country's public figure. Suppressed figures are
// shown only as "fewer than N", so a small group of signers — perhaps a
// handful in a country where signing is dangerous — is never counted
// exactly in public.
type CountryFigure struct {
	Code       string
	N          int64
	Suppressed bool
}

// publicFigures applies small-count suppression to a tally. When exactly one
// country is suppressed its count could be recovered by subtracting the
// others from the total, so the smallest shown country is suppressed too.
func publicFigures(t signing.Tally, min int64) []CountryFigure {
	var out []CountryFigure
	suppressed := 0
	for _, cc := range t.Countries() {
		f := CountryFigure{Code: cc.Country, N: cc.N}
		if cc.N < min {
			f.Suppressed = true
			suppressed++
		}
		out = append(out, f)
	}
	if suppressed == 1 {
		smallest := -1
		for i, f := range out {
			if !f.Suppressed && (smallest < 0 || f.N < out[smallest].N) {
				smallest = i
			}
		}
		if smallest >= 0 {
			out[smallest].Suppressed = true
		}
	}
	// Largest first, then suppressed countries by code.
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Suppressed != out[j].Suppressed {
			return !out[i].Suppressed
		}
		if !out[i].Suppressed && out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Code < out[j].Code
	})
	for i := range out {
		if out[i].Suppressed {
			out[i].N = 0 // never let the exact figure reach a template
		}
	}
	return out
}
