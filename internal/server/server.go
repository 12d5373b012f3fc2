// Package server is the HTTP face of the campaign: gin routes, middleware,
// templates and handlers. It holds no business rules; it reads a request,
// calls a domain package and renders the outcome.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cambodia-sanctions/campaign/internal/auth"
	"github.com/cambodia-sanctions/campaign/internal/content"
	"github.com/cambodia-sanctions/campaign/internal/i18n"
	"github.com/cambodia-sanctions/campaign/internal/jurisdiction"
	"github.com/cambodia-sanctions/campaign/internal/letters"
	"github.com/cambodia-sanctions/campaign/internal/metrics"
	"github.com/cambodia-sanctions/campaign/internal/petition"
	"github.com/cambodia-sanctions/campaign/internal/ratelimit"
	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/vault"
	"github.com/cambodia-sanctions/campaign/web"
)

// Options are the server's dependencies and settings.
type Options struct {
	Logger    *slog.Logger
	Petitions *petition.Catalog
	Signing   *signing.Service
	// Confirmations is the store behind confirmation links and withdrawal.
	Confirmations signing.ConfirmStore
	// Auth signs organizers in; Console is the console's database.
	Auth     *auth.Service
	Console  ConsoleStore
	Counter  *signing.Counter
	Vault    *vault.Vault
	Messages *i18n.Catalog
	Article  content.Article
	// Translations are the article and petitions in other languages, from
	// config/ (content.Campaign.Translations); a page in a language they
	// lack shows the English text with a note.
	Translations map[string]content.Translation
	// Jurisdictions is the registry loaded from config/ (jurisdictions and
	// targets), as the letters were built with; the console shows its
	// values beside the organizers' corrections.
	Jurisdictions *jurisdiction.Registry
	// Letters composes, records and writes the letters to officials; nil
	// leaves the letters console and /verify unavailable (503).
	Letters *letters.Service
	// Ready reports whether the server can take traffic (database up,
	// schema current); /readyz calls it.
	Ready func(ctx context.Context) error
	Now   func() time.Time

	// Metrics records what /metrics shows; nil turns metrics off.
	// MetricsAllow lists the networks that may read /metrics.
	Metrics      *metrics.Metrics
	MetricsAllow []netip.Prefix

	// RateLimit limits signatures per client; nil means no limit.
	RateLimit *ratelimit.Limiter

	// EmbedOrigins lists the partner origins (https://partner.example)
	// whose pages may frame the signing widget, /embed/:slug
	// (CAMPAIGN_EMBED_ORIGINS); this site always may. Every other page
	// keeps frame-ancestors 'none'.
	EmbedOrigins []string

	BaseURL        string
	TrustedProxies []string
	MinPublicCount int
	MinFillTime    time.Duration
	MaxBodyBytes   int64
	// EmailRetention, ConfirmTTL and RetentionAfterClose are stated on the
	// privacy page; a zero RetentionAfterClose leaves its sentence out.
	EmailRetention      time.Duration
	ConfirmTTL          time.Duration
	RetentionAfterClose time.Duration
}

// Server serves the public site.
type Server struct {
	Options
	engine *gin.Engine
	pages  *pageSet
	cache  *pageCache
	assets *assetSet
	secure bool // BaseURL is https: cookies get Secure, responses HSTS
	// framePolicy is the Content-Security-Policy of the widget's pages.
	framePolicy string
}

// New builds the server and parses every template, failing fast on errors.
func New(o Options) (*Server, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 64 << 10
	}
	if o.MinPublicCount < 1 {
		o.MinPublicCount = 10
	}
	if o.EmailRetention <= 0 {
		o.EmailRetention = 30 * 24 * time.Hour
	}
	if o.ConfirmTTL <= 0 {
		o.ConfirmTTL = 7 * 24 * time.Hour
	}
	if o.Ready == nil {
		o.Ready = func(context.Context) error { return nil }
	}
	assets, err := loadAssets(web.FS, "static")
	if err != nil {
		return nil, fmt.Errorf("load static assets: %w", err)
	}
	s := &Server{Options: o, assets: assets, cache: newPageCache(), secure: strings.HasPrefix(o.BaseURL, "https://")}
	if s.framePolicy, err = framePolicy(o.EmbedOrigins); err != nil {
		return nil, err
	}
	if s.pages, err = parsePages(web.FS, s.templateFuncs()); err != nil {
		return nil, fmt.Errorf("parse templates: %w", err)
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.RedirectTrailingSlash = true
	// gin trusts every proxy unless told otherwise; we trust none by default
	// so a client cannot choose its own rate-limit bucket.
	if err := e.SetTrustedProxies(o.TrustedProxies); err != nil {
		return nil, fmt.Errorf("CAMPAIGN_TRUSTED_PROXIES: %w", err)
	}
	s.engine = e
	s.routes()
	return s, nil
}

// Handler returns the http.Handler to serve.
func (s *Server) Handler() http.Handler { return s.engine }

// HTTPServer returns an http.Server with timeouts suited to slow phones
// without letting idle or trickling clients hold connections forever.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s.engine,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
}
