package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// PLACEHOLDER handler: being written (CSV export).
func (s *Server) handleAdminExport(c *gin.Context) { c.Status(http.StatusNotImplemented) }
