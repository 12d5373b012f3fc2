package server

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/signing"
)

// TestPublicFiguresNeverPinASmallCountry checks publicFigures against a
// reader who knows every shown figure, what each label says (a small
// country 1 to m-1; a withheld one m up to the smallest shown) and what the
// total says, and who tries every combination of hidden figures that adds
// up: each small country must keep at least two possible values. It also
// checks that no figure or label is false.
func TestPublicFiguresNeverPinASmallCountry(t *testing.T) {
	codes := []string{"KH", "TH", "FR", "US", "GB", "DE"}
	rng := rand.New(rand.NewPCG(8, 2026))
	for i := range 20000 {
		m := []int64{3, 5, 10}[rng.IntN(3)]
		tally := signing.Tally{ByCountry: map[string]int64{}}
		for _, cc := range codes[:1+rng.IntN(len(codes))] {
			n := 1 + rng.Int64N(m-1) // small
			switch rng.IntN(4) {
			case 0:
				n = m // exactly the threshold: the coincidence rule 4 is for
			case 1:
				n = m + rng.Int64N(3*m)
			}
			tally.ByCountry[cc] = n
			tally.Total += n
		}
		got := publicFigures(tally, m)
		name := fmt.Sprintf("case %d: m=%d %v → total %+v, %+v", i, m, tally.ByCountry, got.Total, got.Countries)
		if why := falseFigure(tally, m, got); why != "" {
			t.Fatalf("%s: %s", name, why)
		}
		if cc := pinnedCountry(tally, m, got); cc != "" {
			t.Fatalf("%s: a reader can work out %s's exact figure", name, cc)
		}
	}
}

// falseFigure returns what is untrue in the public figures, or "".
func falseFigure(tally signing.Tally, m int64, got Figures) string {
	smallestShown := unbounded
	for _, f := range got.Countries {
		if !f.Suppressed {
			smallestShown = min(smallestShown, f.N)
		}
	}
	for _, f := range got.Countries {
		n := tally.ByCountry[f.Code]
		switch {
		case !f.Suppressed && f.N != n:
			return fmt.Sprintf("%s shown as %d, is %d", f.Code, f.N, n)
		case f.Suppressed && f.N != 0:
			return fmt.Sprintf("%s hidden but carries %d", f.Code, f.N)
		case f.Withheld && (n < m || n > smallestShown):
			return fmt.Sprintf("%s withheld as %d or more with %d, smallest shown %d", f.Code, m, n, smallestShown)
		case f.Suppressed && !f.Withheld && n >= m:
			return fmt.Sprintf("%s shown as fewer than %d with %d", f.Code, m, n)
		}
	}
	switch tot := got.Total; {
	case tot.FewerThan > 0 && tally.Total >= tot.FewerThan:
		return fmt.Sprintf("total %d shown as fewer than %d", tally.Total, tot.FewerThan)
	case tot.Rounded && (tot.N > tally.Total || tally.Total >= tot.N+tot.step || tot.N%m != 0):
		return fmt.Sprintf("total %d shown as %d or more (step %d)", tally.Total, tot.N, tot.step)
	case tot.Exact() && tot.N != tally.Total:
		return fmt.Sprintf("total %d shown as %d", tally.Total, tot.N)
	}
	return ""
}

// pinnedCountry returns a small country whose figure has one possible
// value given the public figures, found by trying every sum of the others.
func pinnedCountry(tally signing.Tally, m int64, got Figures) string {
	if m < 3 {
		return ""
	}
	totalLo, totalHi := got.Total.N, got.Total.N
	switch {
	case got.Total.FewerThan > 0:
		totalLo, totalHi = 1, got.Total.FewerThan-1
	case got.Total.Rounded:
		totalHi = got.Total.N + got.Total.step - 1
	}
	var shown int64
	smallestShown := totalHi
	for _, f := range got.Countries {
		if !f.Suppressed {
			shown += f.N
			smallestShown = min(smallestShown, f.N)
		}
	}
	restHi := totalHi - shown
	for i, f := range got.Countries {
		if !f.Suppressed || f.Withheld {
			continue
		}
		// sums[s]: the other hidden countries can add up to s.
		sums := make([]bool, restHi+1)
		sums[0] = true
		for j, o := range got.Countries {
			if j == i || !o.Suppressed {
				continue
			}
			lo, hi := int64(1), m-1
			if o.Withheld {
				lo, hi = m, smallestShown
			}
			next := make([]bool, restHi+1)
			for s, ok := range sums {
				for v := lo; ok && v <= hi && int64(s)+v <= restHi; v++ {
					next[int64(s)+v] = true
				}
			}
			sums = next
		}
		possible := 0
		for v := int64(1); v < m; v++ {
			for s, ok := range sums {
				if t := shown + v + int64(s); ok && t >= totalLo && t <= totalHi {
					possible++
					break
				}
			}
		}
		if possible < 2 {
			return f.Code
		}
	}
	return ""
}
