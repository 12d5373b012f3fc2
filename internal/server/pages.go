package server

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cambodia-sanctions/campaign/internal/auth"
	"github.com/cambodia-sanctions/campaign/internal/signing"
)

// PrivacyPage states what is stored, for how long and who sees it. Every
// period it states comes from the settings or constants that apply it.
type PrivacyPage struct {
	Base
	VerifyEmail        bool
	MinPublicCount     int
	EmailRetentionDays int
	ConfirmDays        int
	AfterCloseDays     int // personal data after a petition closes; 0: not stated
	TagDays            int // client-tag keys
	SessionHours       int // organizer sessions, at most
	SessionIdleMinutes int // organizer sessions, idle
}

func (s *Server) handlePrivacy(c *gin.Context) {
	s.render(c, http.StatusOK, "privacy", PrivacyPage{Base: s.base(c, "privacy.title"),
		VerifyEmail: s.Signing.VerifiesEmail(), MinPublicCount: s.MinPublicCount,
		EmailRetentionDays: days(s.EmailRetention), ConfirmDays: days(s.ConfirmTTL),
		AfterCloseDays: days(s.RetentionAfterClose), TagDays: days(signing.TagRetention),
		SessionHours: int(auth.AbsoluteTimeout.Hours()), SessionIdleMinutes: int(auth.IdleTimeout.Minutes())})
}

// days is d in whole days, for sentences on the privacy page.
func days(d time.Duration) int { return int(d.Hours() / 24) }

// apiFigures is the public JSON for a petition.
type apiFigures struct {
	Slug  string `json:"slug"`
	Title string `json:"title"`
	Open  bool   `json:"open"`
	// Total is the public total: exact when TotalExact, else rounded down
	// to protect a small country ("N or more"), or null when it is shown
	// only as "fewer than N". TotalDisplay is what the pages show.
	Total        *int64       `json:"total"`
	TotalExact   bool         `json:"total_exact"`
	TotalDisplay string       `json:"total_display"`
	Goal         int          `json:"goal"`
	ByCountry    []apiCountry `json:"by_country"`
	UpdatedAt    *time.Time   `json:"updated_at"`
}

type apiCountry struct {
	Country string `json:"country"`
	// Count is null when the figure is suppressed; Display then says
	// "fewer than N", or "N or more" for a larger country withheld so that
	// a smaller one cannot be worked out.
	Count   *int64 `json:"count"`
	Display string `json:"display"`
}

func (s *Server) handleAPIPetitionShow(c *gin.Context) {
	p, ok := s.Petitions.BySlug(c.Param("slug"))
	if !ok {
		s.handleNotFound(c)
		return
	}
	t := s.Counter.Get(p.ID)
	b := s.base(c, "")
	// The figures change only when the tally does: a client polling the
	// count gets 304 until then, and caches may keep it a few seconds.
	etag := fmt.Sprintf(`W/"%d-%d-%d-%s"`, p.ID, t.Version, s.Petitions.Generation(), b.Lang)
	c.Header("Cache-Control", "public, max-age=5")
	c.Header("ETag", etag)
	c.Header("Vary", "Accept-Language, Cookie")
	if match := c.GetHeader("If-None-Match"); match != "" && strings.Contains(match, etag) {
		c.Status(http.StatusNotModified)
		return
	}
	figures := publicFigures(t, int64(s.MinPublicCount))
	out := apiFigures{Slug: p.Slug, Title: s.petitionText(p, b.Lang).Title, Open: p.IsOpenAt(s.Now()), Goal: p.Goal,
		ByCountry: s.apiCountries(b, figures.Countries)}
	out.setTotal(b, figures.Total)
	if !t.UpdatedAt.IsZero() {
		u := t.UpdatedAt.UTC()
		out.UpdatedAt = &u
	}
	c.JSON(http.StatusOK, out)
}

// setTotal fills in the total as the pages show it.
func (out *apiFigures) setTotal(b Base, total PublicTotal) {
	out.TotalExact = total.Exact()
	switch {
	case total.FewerThan > 0:
		out.TotalDisplay = b.T("figures.fewer_than", b.Number(total.FewerThan))
	case total.Rounded:
		out.Total, out.TotalDisplay = &total.N, b.T("figures.or_more", b.Number(total.N))
	default:
		out.Total, out.TotalDisplay = &total.N, b.Number(total.N)
	}
}

// apiCountries is the by-country list as the pages show it.
func (s *Server) apiCountries(b Base, figures []CountryFigure) []apiCountry {
	out := []apiCountry{}
	for _, f := range figures {
		ac := apiCountry{Country: f.Code}
		switch {
		case f.Withheld:
			ac.Display = b.T("figures.or_more", b.Number(int64(s.MinPublicCount)))
		case f.Suppressed:
			ac.Display = b.T("figures.fewer_than", b.Number(int64(s.MinPublicCount)))
		default:
			n := f.N
			ac.Count, ac.Display = &n, b.Number(n)
		}
		out = append(out, ac)
	}
	return out
}

// handleMetrics serves Prometheus metrics to the networks in
// MetricsAllow only; everyone else gets the ordinary 404.
func (s *Server) handleMetrics(c *gin.Context) {
	addr := clientAddr(c)
	allowed := false
	for _, p := range s.MetricsAllow {
		if addr.IsValid() && p.Contains(addr) {
			allowed = true
		}
	}
	if s.Metrics == nil || !allowed {
		s.handleNotFound(c)
		return
	}
	s.Metrics.Handler().ServeHTTP(c.Writer, c.Request)
}

func (s *Server) handleHealthz(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.String(http.StatusOK, "ok\n")
}

func (s *Server) handleReadyz(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	if err := s.Ready(c.Request.Context()); err != nil {
		s.Logger.Warn("not ready", "err", err)
		c.String(http.StatusServiceUnavailable, "not ready\n")
		return
	}
	c.String(http.StatusOK, "ready\n")
}
