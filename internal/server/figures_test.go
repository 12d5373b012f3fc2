package server_test

import (
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/server"
)

// withMinPublicCount sets CAMPAIGN_MIN_PUBLIC_COUNT; 1 turns small-count
// protection off, for tests about counting rather than about protection.
func withMinPublicCount(n int) envOption {
	return func(o *server.Options) { o.MinPublicCount = n }
}

var countNumberRe = regexp.MustCompile(`<p class="count-number">([^<]*)</p>`)

// pageCount reads the count sentence of a petition page.
func pageCount(t *testing.T, body string) string {
	t.Helper()
	m := countNumberRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("page has no count")
	}
	return html.UnescapeString(m[1])
}

// TestPublicFiguresProtectSmallGroups: what the API and the petition page
// show for tallies where the total could give a small country away. Both
// must show the same, and neither an exact figure below the threshold.
func TestPublicFiguresProtectSmallGroups(t *testing.T) {
	names := map[string]string{"US": "United States", "FR": "France", "KH": "Cambodia", "TH": "Thailand", "GB": "United Kingdom"}
	tests := []struct {
		name      string
		min       int
		counts    map[string]int64
		shown     map[string]int64 // exact figures
		small     []string         // "fewer than min"
		withheld  []string         // "min or more"
		total     int64            // public total, exact unless rounded
		rounded   bool             // total shown as "total or more"
		fewerThan int              // total shown only as "fewer than"
	}{
		{name: "one small country alone", min: 10, counts: map[string]int64{"KH": 3},
			small: []string{"KH"}, fewerThan: 10},
		{name: "one country exactly at the threshold", min: 10, counts: map[string]int64{"KH": 10},
			shown: map[string]int64{"KH": 10}, total: 10},
		{name: "two small countries", min: 10, counts: map[string]int64{"KH": 3, "TH": 4},
			small: []string{"KH", "TH"}, fewerThan: 20},
		{name: "two small countries adding up to the threshold", min: 10, counts: map[string]int64{"KH": 9, "TH": 1},
			small: []string{"KH", "TH"}, fewerThan: 20},
		{name: "one small and several large", min: 10, counts: map[string]int64{"KH": 3, "FR": 12, "US": 25, "GB": 40},
			shown: map[string]int64{"US": 25, "GB": 40}, small: []string{"KH"}, withheld: []string{"FR"}, total: 80},
		{name: "two small with one signer each and large ones", min: 10,
			counts: map[string]int64{"KH": 1, "TH": 1, "FR": 12, "US": 25},
			shown:  map[string]int64{"US": 25}, small: []string{"KH", "TH"}, withheld: []string{"FR"}, total: 39},
		{name: "the withheld country exactly at the threshold", min: 10,
			counts: map[string]int64{"KH": 1, "FR": 10, "US": 25, "GB": 40},
			shown:  map[string]int64{"GB": 40}, small: []string{"KH"}, withheld: []string{"FR", "US"}, total: 76},
		{name: "one small and one large at the threshold", min: 10, counts: map[string]int64{"KH": 1, "FR": 10},
			small: []string{"KH"}, withheld: []string{"FR"}, total: 10, rounded: true},
		{name: "all large", min: 10, counts: map[string]int64{"FR": 12, "US": 25, "KH": 10},
			shown: map[string]int64{"FR": 12, "US": 25, "KH": 10}, total: 47},
		{name: "protection off", min: 1, counts: map[string]int64{"KH": 3},
			shown: map[string]int64{"KH": 3}, total: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, withMinPublicCount(tt.min))
			for cc, n := range tt.counts {
				e.counter.Add(e.open.ID, cc, n)
			}
			fewer := e.msgs.T("en", "figures.fewer_than", strconv.Itoa(tt.min))
			orMore := e.msgs.T("en", "figures.or_more", strconv.Itoa(tt.min))
			api := decodeJSON(t, e.get("/api/petitions/open-petition"))
			body := e.get("/petitions/open-petition").Body.String()
			page := pageFigures(t, body)
			got := countriesOf(t, api)

			want := map[string]string{}
			for cc, n := range tt.shown {
				want[cc] = strconv.FormatInt(n, 10)
			}
			for _, cc := range tt.small {
				want[cc] = fewer
			}
			for _, cc := range tt.withheld {
				want[cc] = orMore
			}
			if len(got) != len(want) || len(page) != len(want) {
				t.Errorf("API lists %d countries, page %d, want %d", len(got), len(page), len(want))
			}
			for cc, w := range want {
				wantCount := "null"
				if n, ok := tt.shown[cc]; ok {
					wantCount = strconv.FormatInt(n, 10)
				}
				if got[cc].display != w || got[cc].count != wantCount {
					t.Errorf("API %s = %+v, want display %q and count %s", cc, got[cc], w, wantCount)
				}
				if page[names[cc]] != w {
					t.Errorf("page shows %s as %q, want %q (as the API)", names[cc], page[names[cc]], w)
				}
			}

			checkPublicTotal(t, e, api, body, tt.total, tt.rounded, tt.fewerThan)
		})
	}
}

// checkPublicTotal asserts the total in the API and the page's count
// sentence: total exactly, "total or more" when rounded, or "fewer than
// fewerThan" when that is set.
func checkPublicTotal(t *testing.T, e *env, api map[string]any, body string, total int64, rounded bool, fewerThan int) {
	t.Helper()
	n := strconv.FormatInt(total, 10)
	wantTotal, wantDisplay, wantSentence := any(float64(total)), n, e.msgs.T("en", "petition.count", n)
	switch {
	case fewerThan > 0:
		wantTotal, wantDisplay = nil, e.msgs.T("en", "figures.fewer_than", strconv.Itoa(fewerThan))
		wantSentence = e.msgs.T("en", "petition.count_fewer_than", strconv.Itoa(fewerThan))
	case rounded:
		wantDisplay, wantSentence = e.msgs.T("en", "figures.or_more", n), e.msgs.T("en", "petition.count_or_more", n)
	}
	exact := !rounded && fewerThan == 0
	if api["total"] != wantTotal || api["total_display"] != wantDisplay || api["total_exact"] != exact {
		t.Errorf("API total %v, total_display %q, total_exact %v; want %v, %q, %v",
			api["total"], api["total_display"], api["total_exact"], wantTotal, wantDisplay, exact)
	}
	if got := pageCount(t, body); got != wantSentence {
		t.Errorf("page says %q, want %q (as the API)", got, wantSentence)
	}
	if explained := strings.Contains(body, e.msg("petition.total_rounded_note")); explained != rounded {
		t.Errorf("page explains a rounded total: %v, want %v", explained, rounded)
	}
}

// TestOrganizersSeeExactFigures: the console counts what the public page
// protects.
func TestOrganizersSeeExactFigures(t *testing.T) {
	ce := newConsoleEnv(t, withMinPublicCount(10))
	figuresFixture(ce) // confirmed: FR 12, KH 3, EU 1
	ce.reloadCounter()

	public := pageFigures(t, ce.get("/petitions/open-petition").Body.String())
	want := map[string]string{"France": "10 or more", "Cambodia": "fewer than 10", "European Union": "fewer than 10"}
	for name, w := range want {
		if public[name] != w {
			t.Errorf("public page shows %s as %q, want %q", name, public[name], w)
		}
	}
	w := ce.signIn("viewer").get("/admin/petitions/open-petition")
	if w.Code != http.StatusOK {
		t.Fatalf("GET console figures: %d, want 200", w.Code)
	}
	figSameRows(t, "console by country", figTableRows(t, w.Body.String(), "by-country"),
		[]string{"France|FR|12", "Cambodia|KH|3", "European Union|EU|1"})
}
