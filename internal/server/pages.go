package server

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// PrivacyPage states what is stored, for how long and who sees it.
type PrivacyPage struct {
	Base
	VerifyEmail        bool
	MinPublicCount     int
	EmailRetentionDays int
	ConfirmDays        int
}

func (s *Server) handlePrivacy(c *gin.Context) {
	s.render(c, http.StatusOK, "privacy", PrivacyPage{Base: s.base(c, "privacy.title"),
		VerifyEmail: s.Signing.VerifiesEmail(), MinPublicCount: s.MinPublicCount,
		EmailRetentionDays: int(s.EmailRetention.Hours() / 24), ConfirmDays: int(s.ConfirmTTL.Hours() / 24)})
}

// apiFigures is the public JSON for a petition.
type apiFigures struct {
	Slug      string       `json:"slug"`
	Title     string       `json:"title"`
	Open      bool         `json:"open"`
	Total     int64        `json:"total"`
	Goal      int          `json:"goal"`
	ByCountry []apiCountry `json:"by_country"`
	UpdatedAt *time.Time   `json:"updated_at"`
}

type apiCountry struct {
	Country string `json:"country"`
	// Count is null when the figure is suppressed ("fewer than" Display).
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
	out := apiFigures{Slug: p.Slug, Title: p.Title, Open: p.IsOpenAt(s.Now()), Total: t.Total, Goal: p.Goal,
		ByCountry: []apiCountry{}}
	if !t.UpdatedAt.IsZero() {
		u := t.UpdatedAt.UTC()
		out.UpdatedAt = &u
	}
	for _, f := range publicFigures(t, int64(s.MinPublicCount)) {
		ac := apiCountry{Country: f.Code}
		if f.Suppressed {
			ac.Display = b.T("figures.fewer_than", s.MinPublicCount)
		} else {
			n := f.N
			ac.Count = &n
			ac.Display = b.Number(n)
		}
		out.ByCountry = append(out.ByCountry, ac)
	}
	c.JSON(http.StatusOK, out)
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
