package server_test

import (
	"context"
	"crypto/rand"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/country"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
)

// figureSigs inserts n signatures of petition pid in status from country,
// signed at signed.
func (e *env) figureSigs(pid int64, n int, status, country string, signed time.Time) {
	e.t.Helper()
	batch := make([]*store.Signature, n)
	for i := range batch {
		b := make([]byte, 80)
		_, _ = rand.Read(b)
		batch[i] = &store.Signature{PetitionID: pid, EmailHash: b[:32], ReceiptHash: b[32:64], ClientTag: b[64:],
			Status: status, Country: country, Lang: "en", Source: "web", SignedAt: signed}
	}
	if _, err := e.db.InsertSignatures(context.Background(), batch); err != nil {
		e.t.Fatalf("insert signatures: %v", err)
	}
}

var (
	figRowRe  = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
	figCellRe = regexp.MustCompile(`(?s)<t[hd][^>]*>(.*?)</t[hd]>`)
	figTagRe  = regexp.MustCompile(`<[^>]+>`)
)

// figTableRows returns the text of each body and footer cell of the table
// with that id, row by row ("Cambodia|KH|3").
func figTableRows(t *testing.T, body, id string) []string {
	t.Helper()
	table := section(t, body, `id="`+id+`"`, "</table>")
	_, rows, ok := strings.Cut(table, "<tbody>")
	if !ok {
		t.Fatalf("table %s has no body", id)
	}
	var out []string
	for _, r := range figRowRe.FindAllStringSubmatch(rows, -1) {
		var cells []string
		for _, c := range figCellRe.FindAllStringSubmatch(r[1], -1) {
			cells = append(cells, html.UnescapeString(figTagRe.ReplaceAllString(c[1], "")))
		}
		out = append(out, strings.Join(cells, "|"))
	}
	return out
}

// figChartIn parses the one SVG chart in a part of a page.
func figChartIn(t *testing.T, part string) svgNode {
	t.Helper()
	if n := strings.Count(part, "<svg"); n != 1 {
		t.Fatalf("%d charts where one was expected:\n%s", n, part)
	}
	return parseSVG(t, section(t, part, "<svg", "</svg>"))
}

func figSameRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// figuresFixture signs the open petition: confirmed 12 from France, 3
// from Cambodia and 1 from the EU over three days in five; pending,
// withdrawn and invalidated ones; and some on the closed petition.
func figuresFixture(ce *consoleEnv) {
	at := func(s string) time.Time {
		d, _ := time.Parse("2006-01-02 15:04", s)
		return d
	}
	p := ce.open.ID
	ce.figureSigs(p, 10, store.StatusConfirmed, "FR", at("2026-02-25 09:00"))
	ce.figureSigs(p, 2, store.StatusConfirmed, "FR", at("2026-02-27 23:59"))
	ce.figureSigs(p, 3, store.StatusConfirmed, "KH", at("2026-03-01 00:00"))
	ce.figureSigs(p, 1, store.StatusConfirmed, "EU", at("2026-03-01 08:00"))
	ce.figureSigs(p, 2, store.StatusPending, "KH", at("2026-03-01 09:00"))
	ce.figureSigs(p, 1, store.StatusWithdrawn, "GB", at("2026-02-26 09:00"))
	ce.figureSigs(p, 4, store.StatusInvalidated, "US", at("2026-02-20 09:00"))
	ce.figureSigs(ce.closed.ID, 7, store.StatusConfirmed, "DE", at("2026-02-26 09:00"))
}

func TestAdminFiguresShowsExactCountsByStatusAndCountry(t *testing.T) {
	ce := newConsoleEnv(t)
	figuresFixture(ce)
	w := ce.signIn("viewer").get("/admin/petitions/open-petition")
	if w.Code != http.StatusOK {
		t.Fatalf("GET figures as viewer: %d, want 200; body %s", w.Code, w.Body)
	}
	body := w.Body.String()
	mustContain(t, body, "Free the prisoners")
	figSameRows(t, "totals by status", figTableRows(t, body, "by-status"),
		[]string{"Confirmed|16", "Pending|2", "Withdrawn|1", "Invalidated|4", "Total|23"})
	// Confirmed by default, exactly: the public page would show Cambodia's
	// 3 only as "fewer than 10".
	figSameRows(t, "confirmed by country", figTableRows(t, body, "by-country"),
		[]string{"France|FR|12", "Cambodia|KH|3", "European Union|EU|1"})

	// The same figures as a bar chart with a text alternative.
	svg := figChartIn(t, section(t, body, `<section aria-labelledby="by-country-title">`, "</section>"))
	if svg.attr("role") != "img" || len(svg.all("title")) != 1 || len(svg.all("desc")) != 1 {
		t.Fatalf("country chart lacks role=img, a title or a desc")
	}
	if desc := svg.all("desc")[0].Text; !strings.Contains(desc, "France 12, Cambodia 3, European Union 1") {
		t.Errorf("chart description %q does not give the figures", desc)
	}
	bars := svg.all("rect")
	if len(bars) != 3 {
		t.Fatalf("%d bars, want one per country (3)", len(bars))
	}
	if fr, kh := bars[0].num(t, "width"), bars[1].num(t, "width"); fr <= kh*3 || fr >= kh*5 {
		t.Errorf("France's bar (12) is %.1f long, Cambodia's (3) %.1f: want four times as long", fr, kh)
	}
}

func TestAdminFiguresByDayFillsDaysWithoutSignatures(t *testing.T) {
	ce := newConsoleEnv(t)
	figuresFixture(ce)
	body := ce.signIn("viewer").get("/admin/petitions/open-petition").Body.String()
	figSameRows(t, "confirmed by day", figTableRows(t, body, "by-day"),
		[]string{"2026-02-25|10", "2026-02-26|0", "2026-02-27|2", "2026-02-28|0", "2026-03-01|4"})
	svg := figChartIn(t, section(t, body, `<section aria-labelledby="by-day-title">`, "</section>"))
	if svg.attr("role") != "img" || len(svg.all("title")) != 1 || len(svg.all("desc")) != 1 {
		t.Fatalf("day chart lacks role=img, a title or a desc")
	}
	lines := svg.all("polyline")
	if len(lines) != 1 {
		t.Fatalf("%d lines in the day chart, want 1", len(lines))
	}
	if n := len(strings.Fields(lines[0].attr("points"))); n != 5 {
		t.Errorf("line has %d points, want 5: one per day from 25 February to 1 March, zeros included", n)
	}
	mustContain(t, body, ce.msg("admin.figures.by_day.range"))
	mustNotContain(t, body, ce.msg("admin.figures.by_day.capped"))
}

func TestAdminFiguresForAnotherStatus(t *testing.T) {
	ce := newConsoleEnv(t)
	figuresFixture(ce)
	u := ce.signIn("viewer")
	body := u.get("/admin/petitions/open-petition?status=invalidated").Body.String()
	figSameRows(t, "invalidated by country", figTableRows(t, body, "by-country"), []string{"United States|US|4"})
	figSameRows(t, "invalidated by day", figTableRows(t, body, "by-day"), []string{"2026-02-20|4"})
	mustContain(t, body, `<option value="invalidated" selected>`)

	all := u.get("/admin/petitions/open-petition?status=all").Body.String()
	figSameRows(t, "all by country", figTableRows(t, all, "by-country"),
		[]string{"France|FR|12", "Cambodia|KH|5", "United States|US|4", "European Union|EU|1", "United Kingdom|GB|1"})

	// The closed petition has nothing pending: an empty state, not an empty chart.
	none := u.get("/admin/petitions/closed-petition?status=pending").Body.String()
	mustNotContain(t, none, "<svg")
	mustContain(t, none, ce.msg("admin.figures.empty"))
	mustNotContain(t, none, `id="by-country"`)
}

func TestAdminFiguresCapsDaysToTheLast90(t *testing.T) {
	ce := newConsoleEnv(t)
	first := time.Date(2025, 10, 1, 12, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 0, 120)
	ce.figureSigs(ce.open.ID, 2, store.StatusConfirmed, "KH", first)
	ce.figureSigs(ce.open.ID, 1, store.StatusConfirmed, "KH", last.AddDate(0, 0, -90)) // one day too early
	ce.figureSigs(ce.open.ID, 1, store.StatusConfirmed, "KH", last.AddDate(0, 0, -89))
	ce.figureSigs(ce.open.ID, 1, store.StatusConfirmed, "KH", last)
	body := ce.signIn("viewer").get("/admin/petitions/open-petition").Body.String()
	rows := figTableRows(t, body, "by-day")
	if len(rows) != 90 {
		t.Fatalf("%d days, want the last 90", len(rows))
	}
	if want := last.AddDate(0, 0, -89).Format("2006-01-02") + "|1"; rows[0] != want {
		t.Errorf("first day %q, want %q", rows[0], want)
	}
	if want := last.Format("2006-01-02") + "|1"; rows[89] != want {
		t.Errorf("last day %q, want %q", rows[89], want)
	}
	mustContain(t, body, ce.msg("admin.figures.by_day.capped"))
	figSameRows(t, "totals still count every day", figTableRows(t, body, "by-status")[:1], []string{"Confirmed|5"})
}

func TestAdminFiguresPageIsSafeForTheCSP(t *testing.T) {
	ce := newConsoleEnv(t)
	figuresFixture(ce)
	testutil.MustCreatePetition(t, ce.db, store.Petition{Slug: "evil", Title: `<script>alert(1)</script>`})
	u := ce.signIn("viewer")
	for _, path := range []string{"/admin/petitions/open-petition", "/admin/petitions/evil"} {
		w := u.get(path)
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, w.Code)
		}
		body := w.Body.String()
		mustNotContain(t, body, "style=")
		mustNotContain(t, body, "<script")
	}
	mustContain(t, u.get("/admin/petitions/evil").Body.String(), "&lt;script&gt;alert(1)&lt;/script&gt;")
}

func TestAdminFiguresLinksOrganizersToEditAndModerate(t *testing.T) {
	ce := newConsoleEnv(t)
	links := []string{`href="/admin/petitions/open-petition/edit"`, `href="/admin/petitions/open-petition/signatures"`}
	viewer := ce.signIn("viewer").get("/admin/petitions/open-petition").Body.String()
	organizer := ce.signIn("organizer").get("/admin/petitions/open-petition").Body.String()
	for _, l := range links {
		mustNotContain(t, viewer, l)
		mustContain(t, organizer, l)
	}
}

func TestAdminFiguresRefusals(t *testing.T) {
	ce := newConsoleEnv(t)
	w := ce.get("/admin/petitions/open-petition")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin/login" {
		t.Errorf("anonymous: %d to %q, want 303 to /admin/login", w.Code, w.Header().Get("Location"))
	}
	if w := ce.signIn("viewer").get("/admin/petitions/no-such-petition"); w.Code != http.StatusNotFound {
		t.Errorf("unknown petition: %d, want 404", w.Code)
	}
}

func TestAdminFiguresGroupsTheSmallestCountriesInTheChartOnly(t *testing.T) {
	ce := newConsoleEnv(t)
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	all := country.All()[:32]
	for i, c := range all {
		ce.figureSigs(ce.open.ID, 40-i, store.StatusConfirmed, c.Code, at)
	}
	body := ce.signIn("viewer").get("/admin/petitions/open-petition").Body.String()
	if rows := figTableRows(t, body, "by-country"); len(rows) != 32 {
		t.Errorf("country table has %d rows, want every country (32)", len(rows))
	}
	svg := figChartIn(t, section(t, body, `<section aria-labelledby="by-country-title">`, "</section>"))
	if n := len(svg.all("rect")); n != 31 {
		t.Fatalf("%d bars, want 30 countries and one for the rest", n)
	}
	texts := svg.all("text")
	label, value := texts[len(texts)-2].Text, texts[len(texts)-1].Text
	if want := ce.msgs.T("en", "admin.figures.other_countries", 2); label != want || value != "19" {
		t.Errorf("last bar %q = %s, want %q = 19 (10 + 9)", label, value, want)
	}
}
