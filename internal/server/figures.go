package server

import (
	"sort"

	"github.com/cambodia-sanctions/campaign/internal/signing"
)

// Figures are a petition's public figures: its total and its per-country
// counts after small-group protection (see publicFigures). Organizers see
// the exact figures in the console.
type Figures struct {
	Total     PublicTotal
	Countries []CountryFigure
}

// PublicTotal is the total a page or the API may show.
type PublicTotal struct {
	// N is the exact total, or with Rounded the total rounded down to a
	// multiple of the threshold ("N or more"); 0 with FewerThan.
	N       int64
	Rounded bool
	// FewerThan, when above 0, is all that is shown: "fewer than FewerThan".
	FewerThan int64

	step int64 // with Rounded, the total is below N+step
}

// Exact reports whether N is the exact total.
func (t PublicTotal) Exact() bool { return !t.Rounded && t.FewerThan == 0 }

// CountryFigure is one country's public figure. A Suppressed figure is
// hidden: shown as "fewer than N", so that a small group of signers —
// perhaps a handful in a country where signing is dangerous — is never
// counted exactly in public; or, when Withheld, as "N or more": a country
// at or above the threshold, hidden only to shield a smaller one.
type CountryFigure struct {
	Code       string
	N          int64 // 0 when Suppressed
	Suppressed bool
	Withheld   bool // suppressed although at least the threshold
}

// unbounded stands for "no upper limit" in the interval arithmetic below;
// it is far above any count and far from overflowing when summed.
const unbounded = int64(1) << 40

// publicFigures applies small-count protection to a tally, with m the
// threshold (CAMPAIGN_MIN_PUBLIC_COUNT). The rule:
//
//  1. A country with fewer than m signatures is shown as "fewer than m".
//  2. If every country is small (or there is only one, and it is small), the
//     total is shown as "fewer than k·m" for k countries — "fewer than m"
//     for one: what their labels say already, so the total gives nothing
//     away. (Rounding it down to a multiple of m would not do: with nine
//     countries of one signer each it would say "fewer than 10", and so
//     one each.)
//  3. Otherwise, if any country is small, the smallest country at or above
//     m is withheld as well, shown as "m or more", so that the total minus
//     the shown figures is the sum of small ones and a larger one: no
//     subtraction recovers a small country, nor the fact that two small
//     countries hold one signer each. Both triggers depend only on what
//     the page shows anyway, so that the choice itself reveals nothing.
//  4. A reader knows each hidden figure's bounds — 1 to m-1 for a small
//     country; m up to the smallest shown figure for a withheld one — and
//     can narrow each small country to an interval with the total (see
//     pinsSmallCountry). In a rare coincidence — the withheld country holds
//     exactly m and every small one 1, or it ties the smallest shown one
//     and every small one holds m-1 — that interval is a single number;
//     then the next smallest shown country is withheld too, and if none is
//     left the total is rounded down to a multiple of m ("N or more"),
//     doubling the step until no small country is pinned. Unlike rules 2
//     and 3 this one depends on the figures, so a reader who knows it can
//     tell that a coincidence happened; it still defeats plain subtraction.
//
// With m below 3 nothing can be protected — "fewer than 2" is exactly 1 —
// so only rule 1 applies. Pages and the API show the same result.
// Organizers see exact figures in the console. This protects one set of
// figures: someone polling them as they change can learn more (a new
// signature that moved the total but no shown figure).
func publicFigures(t signing.Tally, threshold int64) Figures {
	out := Figures{Total: PublicTotal{N: t.Total}}
	small := 0
	for _, cc := range t.Countries() {
		f := CountryFigure{Code: cc.Country, N: cc.N, Suppressed: cc.N < threshold}
		if f.Suppressed {
			small++
		}
		out.Countries = append(out.Countries, f)
	}
	if threshold >= 3 && small > 0 {
		out.Total = protect(out.Countries, threshold, t.Total, small)
	}
	sortFigures(out.Countries)
	for i := range out.Countries {
		if out.Countries[i].Suppressed {
			out.Countries[i].N = 0 // never let the exact figure reach a template
		}
	}
	return out
}

// protect applies rules 2 to 4 to figures with small countries in them,
// withholding countries in place, and returns the public total.
func protect(fs []CountryFigure, threshold, total int64, small int) PublicTotal {
	if small == len(fs) {
		return PublicTotal{FewerThan: int64(small) * threshold}
	}
	withholdSmallestShown(fs)
	for pinsSmallCountry(fs, threshold, total, total) {
		if !withholdSmallestShown(fs) {
			return roundedTotal(fs, threshold, total)
		}
	}
	return PublicTotal{N: total}
}

// sortFigures puts shown countries first, largest first, then withheld
// ones, then small ones, each by code: an order that tells nothing more.
func sortFigures(fs []CountryFigure) {
	rank := func(f CountryFigure) int {
		switch {
		case !f.Suppressed:
			return 0
		case f.Withheld:
			return 1
		}
		return 2
	}
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if rank(a) != rank(b) {
			return rank(a) < rank(b)
		}
		if rank(a) == 0 && a.N != b.N {
			return a.N > b.N
		}
		return a.Code < b.Code
	})
}

// withholdSmallestShown withholds the smallest country still shown and
// reports whether there was one.
func withholdSmallestShown(fs []CountryFigure) bool {
	smallest := -1
	for i, f := range fs {
		if !f.Suppressed && (smallest < 0 || f.N < fs[smallest].N) {
			smallest = i
		}
	}
	if smallest < 0 {
		return false
	}
	fs[smallest].Suppressed, fs[smallest].Withheld = true, true
	return true
}

// roundedTotal is the public total of rule 4 once every country is hidden:
// the total rounded down to a multiple of step (step = m, 2m, 4m, …), or
// "fewer than step" when that is 0, with the smallest step that pins no
// small country.
func roundedTotal(fs []CountryFigure, threshold, total int64) PublicTotal {
	step := threshold
	for range 40 {
		lo := total / step * step
		if lo == 0 {
			if !pinsSmallCountry(fs, threshold, 1, step-1) {
				return PublicTotal{FewerThan: step}
			}
		} else if !pinsSmallCountry(fs, threshold, lo, lo+step-1) {
			return PublicTotal{N: lo, Rounded: true, step: step}
		}
		step *= 2
	}
	return PublicTotal{FewerThan: step} // not reached for a threshold of 3 or more
}

// pinsSmallCountry reports whether a reader who sees the shown figures, the
// labels of the hidden ones and a total somewhere in [totalLo, totalHi]
// could work out one small country's exact count. The hidden countries sum
// to the total minus the shown ones, and each lies within its bounds, so
// each one's possible values are its bounds narrowed by the most and the
// least the others can hold.
func pinsSmallCountry(fs []CountryFigure, threshold, totalLo, totalHi int64) bool {
	var shown, sumLo, sumHi int64
	smallestShown := unbounded
	for _, f := range fs {
		if !f.Suppressed {
			shown += f.N
			smallestShown = min(smallestShown, f.N)
		}
	}
	for _, f := range fs {
		if f.Suppressed {
			lo, hi := hiddenBounds(f, threshold, smallestShown)
			sumLo += lo
			sumHi += hi
		}
	}
	restLo, restHi := max(totalLo-shown, sumLo), min(totalHi-shown, sumHi)
	for _, f := range fs {
		if !f.Suppressed || f.Withheld {
			continue
		}
		lo, hi := hiddenBounds(f, threshold, smallestShown)
		if max(lo, restLo-(sumHi-hi)) >= min(hi, restHi-(sumLo-lo)) {
			return true
		}
	}
	return false
}

// hiddenBounds is what a reader knows of a hidden figure: a small one's
// label bounds it; a withheld one is at least the threshold and, being
// withheld smallest first, at most the smallest figure still shown.
func hiddenBounds(f CountryFigure, threshold, smallestShown int64) (lo, hi int64) {
	if f.Withheld {
		return threshold, smallestShown
	}
	return 1, threshold - 1
}
