package server

import (
	"cmp"
	"context"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cambodia-sanctions/campaign/internal/store"
)

// FiguresStore reads the exact signature counts organizers see.
type FiguresStore interface {
	CountSignatures(ctx context.Context) ([]store.CountRow, error)
	FindPetitionBySlug(ctx context.Context, slug string) (*store.Petition, error)
	CountByStatus(ctx context.Context, petitionID int64) (map[string]int64, error)
	CountByCountry(ctx context.Context, petitionID int64, status string) ([]store.CountryCount, error)
	CountByDay(ctx context.Context, petitionID int64, status string, since time.Time) ([]store.DayCount, error)
	LastSignatureDay(ctx context.Context, petitionID int64, status string) (time.Time, error)
}

const (
	// figuresDays caps the figures by day: the chart and table cover at
	// most this many days, ending on the last day with signatures.
	figuresDays = 90
	// figuresBars caps the bar chart; the rest of the countries share one
	// bar (the table lists every one).
	figuresBars = 30
	// figuresAll is the status choice that counts every status.
	figuresAll = "all"
	// descTop is how many countries the chart's description names.
	descTop = 5
)

// FiguresPage shows one petition's exact figures: by status, and for one
// chosen status by country and by day.
type FiguresPage struct {
	Base
	Petition *store.Petition
	ByStatus map[string]int64
	Total    int64
	// Status is the chosen status ("all" for every one), StatusLabel its name.
	Status, StatusLabel string
	Choices             []FiguresChoice
	Countries           []FiguresCountry
	CountryChart        template.HTML
	Days                []FiguresDay
	DayChart            template.HTML
	// Capped reports that older days with signatures were left out.
	Capped bool
	// Embed is the code partner sites paste to show the signing widget.
	Embed EmbedSnippet
}

// FiguresChoice is one option of the status menu.
type FiguresChoice struct {
	Value, Label string
}

// FiguresCountry is one country's exact figure.
type FiguresCountry struct {
	Code, Name string
	N          int64
}

// FiguresDay is one UTC day's exact figure.
type FiguresDay struct {
	Day string // 2006-01-02
	N   int64
}

func (s *Server) handleAdminPetitionFigures(c *gin.Context) {
	ctx := c.Request.Context()
	p, err := s.Console.FindPetitionBySlug(ctx, c.Param("slug"))
	if errors.Is(err, store.ErrNotFound) {
		s.renderError(c, http.StatusNotFound, "error.not_found")
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	page := FiguresPage{Base: s.adminBase(c, ""), Petition: p}
	page.Title = page.T("admin.figures.title", p.Title)
	page.Embed = s.embedSnippet(page.Base, p)
	page.Status, page.Choices = figuresStatus(page.Base, c.Query("status"))
	for _, ch := range page.Choices {
		if ch.Value == page.Status {
			page.StatusLabel = ch.Label
		}
	}
	if page.ByStatus, err = s.Console.CountByStatus(ctx, p.ID); err != nil {
		s.fail(c, err)
		return
	}
	for _, n := range page.ByStatus {
		page.Total += n
	}
	if err := s.figuresByCountry(ctx, &page); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.figuresByDay(ctx, &page); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "admin_figures", page)
}

// figuresStatus returns the status the figures by country and by day
// count, confirmed unless the query asks for another, and the menu.
func figuresStatus(b Base, query string) (string, []FiguresChoice) {
	var choices []FiguresChoice
	for _, st := range statuses() {
		choices = append(choices, FiguresChoice{Value: st, Label: b.T("admin.status." + st)})
	}
	choices = append(choices, FiguresChoice{Value: figuresAll, Label: b.T("admin.figures.status_all")})
	if slices.ContainsFunc(choices, func(ch FiguresChoice) bool { return ch.Value == query }) {
		return query, choices
	}
	return store.StatusConfirmed, choices
}

// storeStatus is the store's name for a status choice.
func storeStatus(choice string) string {
	if choice == figuresAll {
		return store.StatusAny
	}
	return choice
}

// figuresByCountry fills the country table and bar chart.
func (s *Server) figuresByCountry(ctx context.Context, page *FiguresPage) error {
	rows, err := s.Console.CountByCountry(ctx, page.Petition.ID, storeStatus(page.Status))
	if err != nil {
		return err
	}
	for _, r := range rows {
		page.Countries = append(page.Countries, FiguresCountry{Code: r.Country, Name: countryName(r.Country), N: r.N})
	}
	// Largest first, then by name as a reader looks for it.
	slices.SortStableFunc(page.Countries, func(a, b FiguresCountry) int {
		if c := cmp.Compare(b.N, a.N); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	var bars []ChartItem
	var named []string
	for i, f := range page.Countries {
		if i < descTop {
			named = append(named, f.Name+" "+page.Number(f.N))
		}
		if i < figuresBars {
			bars = append(bars, ChartItem{Label: f.Name, Value: f.N})
			continue
		}
		if i == figuresBars {
			bars = append(bars, ChartItem{Label: page.T("admin.figures.other_countries", len(page.Countries)-figuresBars)})
		}
		bars[figuresBars].Value += f.N
	}
	if len(page.Countries) > descTop {
		named = append(named, "…")
	}
	desc := page.T("admin.figures.empty")
	if len(bars) > 0 {
		desc = page.T("admin.figures.by_country.desc", strings.Join(named, ", "))
	}
	page.CountryChart = BarChart(bars, page.T("admin.figures.by_country.chart_title", page.StatusLabel), desc)
	return nil
}

// figuresByDay fills the day table and line chart: every UTC day from the
// first to the last with signatures, zeros included, at most figuresDays
// of them up to the last.
func (s *Server) figuresByDay(ctx context.Context, page *FiguresPage) error {
	status := storeStatus(page.Status)
	title := page.T("admin.figures.by_day.chart_title", page.StatusLabel)
	last, err := s.Console.LastSignatureDay(ctx, page.Petition.ID, status)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err == nil {
		counts, err := s.Console.CountByDay(ctx, page.Petition.ID, status, last.AddDate(0, 0, 1-figuresDays))
		if err != nil {
			return err
		}
		page.Days = fillDays(counts, last)
	}
	if len(page.Days) == 0 {
		page.DayChart = LineChart(nil, title, page.T("admin.figures.empty"))
		return nil
	}
	var sum, peak int64
	peakDay := ""
	points := make([]ChartItem, len(page.Days))
	for i, d := range page.Days {
		points[i] = ChartItem{Label: d.Day, Value: d.N}
		sum += d.N
		if d.N > peak {
			peak, peakDay = d.N, d.Day
		}
	}
	inStatus := page.Total
	if status != store.StatusAny {
		inStatus = page.ByStatus[status]
	}
	page.Capped = sum < inStatus
	desc := page.T("admin.figures.by_day.desc", page.Days[0].Day, page.Days[len(page.Days)-1].Day,
		page.Number(sum), page.Number(peak), peakDay)
	page.DayChart = LineChart(points, title, desc)
	return nil
}

// fillDays lists every day from the first of counts to last, with 0 for a
// day that has no count.
func fillDays(counts []store.DayCount, last time.Time) []FiguresDay {
	if len(counts) == 0 {
		return nil
	}
	by := make(map[string]int64, len(counts))
	for _, dc := range counts {
		by[dc.Day.Format(time.DateOnly)] = dc.N
	}
	var out []FiguresDay
	for d := counts[0].Day; !d.After(last); d = d.AddDate(0, 0, 1) {
		key := d.Format(time.DateOnly)
		out = append(out, FiguresDay{Day: key, N: by[key]})
	}
	return out
}
