package server

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// handleLanguageSet remembers the visitor's language in a cookie (the only
// thing in it; no other tracking) and sends them back to the page they
// were on. It works without JavaScript: the switch is a plain link.
func (s *Server) handleLanguageSet(c *gin.Context) {
	lang := c.Param("lang")
	if !s.Messages.Has(lang) {
		s.handleNotFound(c)
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: "lang", Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusSeeOther, localPath(c.Query("next")))
}

// localPath keeps a redirect on this site: only an absolute path, never
// "//host" or a full URL.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/"
	}
	return next
}
