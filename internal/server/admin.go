package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cambodia-sanctions/campaign/internal/auth"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

// The organizer console lives under /admin. Every console page needs a
// session; every console POST needs the session's CSRF token; each route
// names the least role that may use it, checked here on the server.

const (
	sessionCookie    = "campaign_session"
	loginCSRFCookie  = "campaign_login"
	ctxOrganizer     = "organizer"
	ctxSession       = "session"
	csrfField        = "csrf"
	adminLoginPath   = "/admin/login"
	adminSessionPath = "/admin"
)

// ConsoleStore is everything the console handlers need from the database;
// each part is declared beside the handlers that use it.
type ConsoleStore interface {
	PetitionAdminStore
	FiguresStore
	ModerationStore
	AccountStore
	AuditStore
}

// AuditStore reads and appends the audit log.
type AuditStore interface {
	AddAudit(ctx context.Context, e *store.AuditEntry) error
	FindAudit(ctx context.Context, beforeID int64, limit int) ([]*store.AuditEntry, error)
}

// AdminContext is what console pages know about who is signed in.
type AdminContext struct {
	Email string
	Role  string
	CSRF  string
}

// Can reports whether the signed-in organizer's role allows need.
func (a *AdminContext) Can(need string) bool { return a != nil && auth.Allows(a.Role, need) }

// adminBase is the Base of a console page.
func (s *Server) adminBase(c *gin.Context, titleKey string) Base {
	b := s.base(c, titleKey)
	if o, ok := c.Get(ctxOrganizer); ok {
		sess := c.MustGet(ctxSession).(*store.Session)
		org := o.(*store.Organizer)
		b.Admin = &AdminContext{Email: org.Email, Role: org.Role, CSRF: sess.CSRFToken}
	}
	return b
}

// organizer returns the signed-in account (console routes only).
func organizerOf(c *gin.Context) *store.Organizer { return c.MustGet(ctxOrganizer).(*store.Organizer) }

// audit records a console action by the signed-in organizer.
func (s *Server) audit(c *gin.Context, action, target, detail string, rows int64) {
	o := organizerOf(c)
	err := s.Console.AddAudit(c.Request.Context(), &store.AuditEntry{ActorID: &o.ID, Actor: o.Email,
		Action: action, Target: target, Detail: detail, RowCount: rows})
	if err != nil {
		s.Logger.Error("write audit log", "action", action, "err", err, "request_id", requestIDOf(c))
	}
}

// requireSession lets through only a request with a live session; others
// go to the login page (GET) or get 403 (anything else).
func (s *Server) requireSession(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	token, _ := c.Cookie(sessionCookie)
	sess, o, err := s.Auth.Authenticate(c.Request.Context(), token)
	if err != nil {
		if !errors.Is(err, auth.ErrNoSession) {
			s.fail(c, err)
			c.Abort()
			return
		}
		if c.Request.Method == http.MethodGet {
			c.Redirect(http.StatusSeeOther, adminLoginPath)
		} else {
			s.renderError(c, http.StatusForbidden, "admin.error.signed_out")
		}
		c.Abort()
		return
	}
	c.Set(ctxSession, sess)
	c.Set(ctxOrganizer, o)
	c.Next()
}

// checkCSRF refuses a console POST whose form lacks the session's token.
func (s *Server) checkCSRF(c *gin.Context) {
	if c.Request.Method != http.MethodPost {
		c.Next()
		return
	}
	sess := c.MustGet(ctxSession).(*store.Session)
	got := c.PostForm(csrfField)
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRFToken)) != 1 {
		s.renderError(c, http.StatusForbidden, "admin.error.csrf")
		c.Abort()
		return
	}
	c.Next()
}

// requireRole lets through organizers whose role allows need.
func (s *Server) requireRole(need string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !auth.Allows(organizerOf(c).Role, need) {
			s.renderError(c, http.StatusForbidden, "admin.error.role")
			c.Abort()
			return
		}
		c.Next()
	}
}

// LoginPage is the console's sign-in form.
type LoginPage struct {
	Base
	Email string
	Error string
	CSRF  string
}

func (s *Server) handleLoginShow(c *gin.Context) {
	token, _ := vault.NewToken()
	s.setCookie(c, loginCSRFCookie, token, adminLoginPath, 3600)
	c.Header("Cache-Control", "no-store")
	s.render(c, http.StatusOK, "admin_login", LoginPage{Base: s.base(c, "admin.login.title"), CSRF: token})
}

func (s *Server) handleLoginCreate(c *gin.Context) {
	page := LoginPage{Base: s.base(c, "admin.login.title"), Email: c.PostForm("email")}
	// A login form posted from another site lacks the cookie's value.
	want, _ := c.Cookie(loginCSRFCookie)
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(c.PostForm(csrfField))) != 1 {
		s.renderError(c, http.StatusForbidden, "admin.error.csrf")
		return
	}
	page.CSRF = want
	token, _, _, err := s.Auth.Login(c.Request.Context(), c.PostForm("email"), c.PostForm("password"),
		s.Vault.ClientKey(clientAddr(c)))
	var throttled *auth.ThrottledError
	switch {
	case errors.As(err, &throttled):
		c.Header("Retry-After", retryAfterSeconds(throttled.RetryAfter))
		page.Error = page.T("admin.login.throttled")
		s.render(c, http.StatusTooManyRequests, "admin_login", page)
		return
	case errors.Is(err, auth.ErrInvalidLogin):
		page.Error = page.T("admin.login.invalid")
		s.render(c, http.StatusUnauthorized, "admin_login", page)
		return
	case err != nil:
		s.fail(c, err)
		return
	}
	s.setCookie(c, sessionCookie, token, adminSessionPath, int(auth.AbsoluteTimeout/time.Second))
	s.setCookie(c, loginCSRFCookie, "", adminLoginPath, -1)
	c.Redirect(http.StatusSeeOther, "/admin")
}

func (s *Server) handleLogout(c *gin.Context) {
	if err := s.Auth.Logout(c.Request.Context(), c.MustGet(ctxSession).(*store.Session), organizerOf(c)); err != nil {
		s.fail(c, err)
		return
	}
	s.setCookie(c, sessionCookie, "", adminSessionPath, -1)
	c.Redirect(http.StatusSeeOther, adminLoginPath)
}

// setCookie sets an HttpOnly, SameSite=Strict cookie, Secure on https.
func (s *Server) setCookie(c *gin.Context, name, value, path string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
}
