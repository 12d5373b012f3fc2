package server

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cambodia-sanctions/campaign/internal/store"
)

// FiguresStore reads the exact signature counts organizers see.
type FiguresStore interface {
	CountSignatures(ctx context.Context) ([]store.CountRow, error)
}

// PLACEHOLDER handler: being written (figures and charts).
func (s *Server) handleAdminPetitionFigures(c *gin.Context) { c.Status(http.StatusNotImplemented) }
