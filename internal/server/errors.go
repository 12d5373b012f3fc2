package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cambodia-sanctions/campaign/internal/signing"
)

// ErrorPage is the page shown for any failure.
type ErrorPage struct {
	Base
	Status  int
	Message string
}

// wantsJSON reports whether the client asked for JSON (API routes always do).
func wantsJSON(c *gin.Context) bool {
	if strings.HasPrefix(c.Request.URL.Path, "/api/") {
		return true
	}
	ct := c.ContentType()
	return ct == "application/json" || strings.HasPrefix(c.GetHeader("Accept"), "application/json")
}

// renderError answers with a safe, translated message: an HTML page or, for
// JSON clients, {"errors": {"request": message}}.
func (s *Server) renderError(c *gin.Context, status int, key string) {
	b := s.base(c, "")
	msg := b.T(key)
	if status == http.StatusServiceUnavailable && c.Writer.Header().Get("Retry-After") == "" {
		c.Header("Retry-After", "60")
	}
	if wantsJSON(c) {
		c.JSON(status, gin.H{"errors": gin.H{"request": msg}})
		return
	}
	b.Title = b.T("error.title")
	if isEmbed(c) {
		// Inside a partner's frame: the widget's compact page, still framable.
		s.render(c, status, "embed_petition", EmbedPage{Base: b, Message: msg})
		return
	}
	s.render(c, status, "error", ErrorPage{Base: b, Status: status, Message: msg})
}

// fail logs the cause of an unexpected error with the request id and shows
// the user a message that reveals nothing internal.
func (s *Server) fail(c *gin.Context, err error) {
	status, key := http.StatusInternalServerError, "error.internal"
	switch {
	case errors.Is(err, signing.ErrWriterClosed):
		status, key = http.StatusServiceUnavailable, "error.unavailable"
	case errors.Is(err, signing.ErrNotRecorded):
		// The database did not take it (unreachable, failing over): the
		// signer must know it was not counted and can simply try again.
		status, key = http.StatusServiceUnavailable, "error.not_recorded"
	}
	s.Logger.Error("request failed", "request_id", requestIDOf(c), "route", c.FullPath(), "err", err)
	s.renderError(c, status, key)
}

func (s *Server) handleNotFound(c *gin.Context) {
	s.renderError(c, http.StatusNotFound, "error.not_found")
}

func (s *Server) handleMethodNotAllowed(c *gin.Context) {
	s.renderError(c, http.StatusMethodNotAllowed, "error.method")
}
