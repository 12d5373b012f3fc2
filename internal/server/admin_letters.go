package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// PLACEHOLDER handlers: being written (letters).
func (s *Server) handleAdminLetters(c *gin.Context)            { c.Status(http.StatusNotImplemented) }
func (s *Server) handleAdminLettersZip(c *gin.Context)         { c.Status(http.StatusNotImplemented) }
func (s *Server) handleAdminLetterShow(c *gin.Context)         { c.Status(http.StatusNotImplemented) }
func (s *Server) handleAdminLetterPDF(c *gin.Context)          { c.Status(http.StatusNotImplemented) }
func (s *Server) handleAdminLetterStatus(c *gin.Context)       { c.Status(http.StatusNotImplemented) }
func (s *Server) handleAdminLetterTemplate(c *gin.Context)     { c.Status(http.StatusNotImplemented) }
func (s *Server) handleAdminLetterTemplateSave(c *gin.Context) { c.Status(http.StatusNotImplemented) }
func (s *Server) handleAdminJurisdiction(c *gin.Context)       { c.Status(http.StatusNotImplemented) }
func (s *Server) handleAdminJurisdictionSave(c *gin.Context)   { c.Status(http.StatusNotImplemented) }
func (s *Server) handleVerifyShow(c *gin.Context)              { c.Status(http.StatusNotImplemented) }
func (s *Server) handleVerifyCreate(c *gin.Context)            { c.Status(http.StatusNotImplemented) }
