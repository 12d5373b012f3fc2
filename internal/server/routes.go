package server

import "github.com/cambodia-sanctions/campaign/internal/store"

// routes lists every route of the site in one place.
func (s *Server) routes() {
	e := s.engine
	e.Use(s.requestID, s.recoverPanic, s.logRequests, s.securityHeaders, s.limitBody)
	e.NoRoute(s.handleNotFound)
	e.NoMethod(s.handleMethodNotAllowed)

	// Public pages.
	e.GET("/", s.handleHome)
	e.GET("/petitions", s.handlePetitionList)
	e.GET("/petitions/:slug", s.handlePetitionShow)
	e.POST("/petitions/:slug/signatures", s.limitRate, s.requireContentType, s.handleSignatureCreate)
	e.GET("/petitions/:slug/thanks", s.handleSignatureThanks)
	e.GET("/privacy", s.handlePrivacy)
	e.GET("/language/:lang", s.handleLanguageSet)
	e.GET("/verify", s.handleVerifyShow)
	e.POST("/verify", s.limitRate, s.handleVerifyCreate)

	// Signer control: confirmation links (GET shows, only POST acts) and
	// withdrawal with the receipt code.
	e.GET("/confirm/:token", s.handleConfirmShow)
	e.POST("/confirm/:token", s.limitRate, s.handleConfirmCreate)
	e.GET("/confirm/:token/not-me", s.handleNotMeShow)
	e.POST("/confirm/:token/not-me", s.limitRate, s.handleNotMeCreate)
	e.POST("/confirm/:token/renew", s.limitRate, s.handleConfirmRenew)
	e.GET("/withdraw", s.handleWithdrawShow)
	e.POST("/withdraw", s.limitRate, s.handleWithdrawCreate)

	// The signing widget, for partner sites' iframes: the only routes
	// other origins (EmbedOrigins) may frame (securityHeaders, isEmbed).
	e.GET("/embed/:slug", s.handleEmbedShow)
	e.POST("/embed/:slug/signatures", s.limitRate, s.handleEmbedSignatureCreate)

	// Machine-readable.
	e.GET("/api/petitions/:slug", s.handleAPIPetitionShow)
	e.GET("/healthz", s.handleHealthz)
	e.GET("/metrics", s.handleMetrics)
	e.GET("/readyz", s.handleReadyz)

	// Organizer console: sign-in, then a session for everything; every POST
	// carries the session's CSRF token; each route names its least role.
	e.GET("/admin/login", s.handleLoginShow)
	e.POST("/admin/login", s.handleLoginCreate)
	viewer, organizer, owner := s.requireRole(store.RoleViewer), s.requireRole(store.RoleOrganizer), s.requireRole(store.RoleOwner)
	a := e.Group("/admin", s.requireSession, s.checkCSRF)
	a.POST("/logout", s.handleLogout)
	a.GET("", viewer, s.handleAdminDashboard)
	a.GET("/petitions/new", organizer, s.handleAdminPetitionNew)
	a.POST("/petitions", organizer, s.handleAdminPetitionCreate)
	a.GET("/petitions/:slug", viewer, s.handleAdminPetitionFigures)
	a.GET("/petitions/:slug/edit", organizer, s.handleAdminPetitionEdit)
	a.POST("/petitions/:slug", organizer, s.handleAdminPetitionUpdate)
	a.POST("/petitions/:slug/status", organizer, s.handleAdminPetitionStatus)
	a.GET("/petitions/:slug/signatures", organizer, s.handleAdminSignatureSearch)
	a.POST("/petitions/:slug/signatures/moderate", organizer, s.handleAdminSignatureModerate)
	a.GET("/petitions/:slug/export.csv", organizer, s.handleAdminExport)
	a.GET("/petitions/:slug/letters", organizer, s.handleAdminLetters)
	a.GET("/petitions/:slug/letters.zip", organizer, s.handleAdminLettersZip)
	a.GET("/petitions/:slug/letters/:code", organizer, s.handleAdminLetterShow)
	a.GET("/petitions/:slug/letters/:code/pdf", organizer, s.handleAdminLetterPDF)
	a.POST("/petitions/:slug/letters/:code/status", organizer, s.handleAdminLetterStatus)
	a.GET("/petitions/:slug/templates/:lang", organizer, s.handleAdminLetterTemplate)
	a.POST("/petitions/:slug/templates/:lang", organizer, s.handleAdminLetterTemplateSave)
	a.GET("/jurisdictions/:code", organizer, s.handleAdminJurisdiction)
	a.POST("/jurisdictions/:code", organizer, s.handleAdminJurisdictionSave)
	a.GET("/audit", organizer, s.handleAdminAudit)
	a.GET("/accounts", owner, s.handleAdminAccounts)
	a.POST("/accounts", owner, s.handleAdminAccountCreate)
	a.POST("/accounts/:id/disable", owner, s.handleAdminAccountDisable)
	a.POST("/accounts/:id/role", owner, s.handleAdminAccountRole)

	// Embedded, fingerprinted assets.
	e.GET("/static/*file", s.handleStatic)
	e.HEAD("/static/*file", s.handleStatic)
}
