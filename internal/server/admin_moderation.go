package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// ModerationStore is what signature search and bulk moderation need.
type ModerationStore interface{}

// PLACEHOLDER handlers: being written (moderation).
func (s *Server) handleAdminSignatureSearch(c *gin.Context)   { c.Status(http.StatusNotImplemented) }
func (s *Server) handleAdminSignatureModerate(c *gin.Context) { c.Status(http.StatusNotImplemented) }
