package server

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cambodia-sanctions/campaign/internal/store"
)

// PetitionAdminStore is what the petition editor needs.
type PetitionAdminStore interface {
	FindPetitionBySlug(ctx context.Context, slug string) (*store.Petition, error)
	CreatePetition(ctx context.Context, p *store.Petition) error
	UpdatePetition(ctx context.Context, p *store.Petition) error
	SetFeaturedPetition(ctx context.Context, id int64) error
}

// PLACEHOLDER handlers: being written (petition editor).
func (s *Server) handleAdminPetitionNew(c *gin.Context)    { c.Status(http.StatusNotImplemented) }
func (s *Server) handleAdminPetitionCreate(c *gin.Context) { c.Status(http.StatusNotImplemented) }
func (s *Server) handleAdminPetitionEdit(c *gin.Context)   { c.Status(http.StatusNotImplemented) }
func (s *Server) handleAdminPetitionUpdate(c *gin.Context) { c.Status(http.StatusNotImplemented) }
func (s *Server) handleAdminPetitionStatus(c *gin.Context) { c.Status(http.StatusNotImplemented) }
