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

	// Signer control: confirmation links (GET shows, only POST acts) and
	// withdrawal with the receipt code.
	e.GET("/confirm/:token", s.handleConfirmShow)
	e.POST("/confirm/:token", s.limitRate, s.handleConfirmCreate)
	e.GET("/confirm/:token/not-me", s.handleNotMeShow)
	e.POST("/confirm/:token/not-me", s.limitRate, s.handleNotMeCreate)
	e.POST("/confirm/:token/renew", s.limitRate, s.handleConfirmRenew)
	e.GET("/withdraw", s.handleWithdrawShow)
	e.POST("/withdraw", s.limitRate, s.handleWithdrawCreate)

	// Machine-readable.
	e.GET("/api/petitions/:slug", s.handleAPIPetitionShow)
	e.GET("/healthz", s.handleHealthz)
	e.GET("/readyz", s.handleReadyz)

	// Embedded, fingerprinted assets.
	e.GET("/static/*file", s.handleStatic)
	e.HEAD("/static/*file", s.handleStatic)
}
