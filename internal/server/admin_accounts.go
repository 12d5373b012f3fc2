package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// AccountStore is what the accounts screen needs.
type AccountStore interface{}

// PLACEHOLDER handlers: being written (accounts and audit log).
func (s *Server) handleAdminAccounts(c *gin.Context)       { c.Status(http.StatusNotImplemented) }
func (s *Server) handleAdminAccountCreate(c *gin.Context)  { c.Status(http.StatusNotImplemented) }
func (s *Server) handleAdminAccountDisable(c *gin.Context) { c.Status(http.StatusNotImplemented) }
func (s *Server) handleAdminAccountRole(c *gin.Context)    { c.Status(http.StatusNotImplemented) }
func (s *Server) handleAdminAudit(c *gin.Context)          { c.Status(http.StatusNotImplemented) }
