package server

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

	// Machine-readable.
	e.GET("/api/petitions/:slug", s.handleAPIPetitionShow)
	e.GET("/healthz", s.handleHealthz)
	e.GET("/readyz", s.handleReadyz)

	// Embedded, fingerprinted assets.
	e.GET("/static/*file", s.handleStatic)
	e.HEAD("/static/*file", s.handleStatic)
}
