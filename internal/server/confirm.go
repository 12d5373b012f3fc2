package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cambodia-sanctions/campaign/internal/petition"
	"github.com/cambodia-sanctions/campaign/internal/signing"
)

// ConfirmPage is the page a confirmation link opens. A GET never changes
// anything (mail scanners follow links); only its button's POST does.
type ConfirmPage struct {
	Base
	Token    string
	Petition *petition.Petition // nil when the link is unknown or used
	Text     PetitionText       // the petition's words in the page's language
	Expired  bool
	NotMe    bool   // the "it wasn't me" variant
	Done     string // outcome after a POST: confirmed, removed, renewed
}

func (s *Server) confirmPage(c *gin.Context, notMe bool) (ConfirmPage, int) {
	page := ConfirmPage{Base: s.base(c, "confirm.title"), Token: c.Param("token"), NotMe: notMe}
	if notMe {
		page.Title = page.T("notme.title")
	}
	sig, err := s.Signing.Pending(c.Request.Context(), s.Confirmations, page.Token)
	switch {
	case errors.Is(err, signing.ErrNoSuchToken):
		return page, http.StatusNotFound
	case errors.Is(err, signing.ErrTokenExpired):
		page.Expired = true
	case err != nil:
		return page, http.StatusInternalServerError
	}
	if p, ok := s.Petitions.ByID(sig.PetitionID); ok {
		page.Petition, page.Text = p, s.petitionText(p, page.Lang)
	}
	return page, http.StatusOK
}

func (s *Server) handleConfirmShow(c *gin.Context) {
	page, status := s.confirmPage(c, false)
	if status == http.StatusInternalServerError {
		s.fail(c, errors.New("look up confirmation token"))
		return
	}
	c.Header("Cache-Control", "no-store")
	s.render(c, status, "confirm", page)
}

func (s *Server) handleNotMeShow(c *gin.Context) {
	page, status := s.confirmPage(c, true)
	if status == http.StatusInternalServerError {
		s.fail(c, errors.New("look up confirmation token"))
		return
	}
	c.Header("Cache-Control", "no-store")
	s.render(c, status, "confirm", page)
}

func (s *Server) handleConfirmCreate(c *gin.Context) {
	page := ConfirmPage{Base: s.base(c, "confirm.title"), Token: c.Param("token")}
	sig, err := s.Signing.Confirm(c.Request.Context(), s.Confirmations, page.Token)
	switch {
	case errors.Is(err, signing.ErrNoSuchToken):
		s.render(c, http.StatusNotFound, "confirm", page)
		return
	case errors.Is(err, signing.ErrTokenExpired):
		page, _ = s.confirmPage(c, false)
		s.render(c, http.StatusGone, "confirm", page)
		return
	case err != nil:
		s.fail(c, err)
		return
	}
	p, ok := s.Petitions.ByID(sig.PetitionID)
	if !ok {
		s.handleNotFound(c)
		return
	}
	c.Redirect(http.StatusSeeOther, "/petitions/"+p.Slug+"/thanks?confirmed=1")
}

func (s *Server) handleNotMeCreate(c *gin.Context) {
	page := ConfirmPage{Base: s.base(c, "notme.title"), Token: c.Param("token"), NotMe: true}
	err := s.Signing.NotMe(c.Request.Context(), s.Confirmations, page.Token)
	switch {
	case errors.Is(err, signing.ErrNoSuchToken):
		s.render(c, http.StatusNotFound, "confirm", page)
		return
	case err != nil:
		s.fail(c, err)
		return
	}
	page.Done = "removed"
	s.render(c, http.StatusOK, "confirm", page)
}

func (s *Server) handleConfirmRenew(c *gin.Context) {
	page, status := s.confirmPage(c, false)
	if status != http.StatusOK || page.Petition == nil {
		s.render(c, http.StatusNotFound, "confirm", ConfirmPage{Base: page.Base, Token: page.Token})
		return
	}
	if _, err := s.Signing.Renew(c.Request.Context(), s.Confirmations, page.Token, page.Petition.Petition, page.Lang); err != nil &&
		!errors.Is(err, signing.ErrNoSuchToken) {
		s.fail(c, err)
		return
	}
	// The same answer whether or not the mail cap allowed a new mail.
	page.Done, page.Expired = "renewed", false
	s.render(c, http.StatusOK, "confirm", page)
}

// WithdrawPage takes a receipt code.
type WithdrawPage struct {
	Base
	Code  string
	Error string
	Done  bool
}

func (s *Server) handleWithdrawShow(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	s.render(c, http.StatusOK, "withdraw", WithdrawPage{Base: s.base(c, "withdraw.title")})
}

func (s *Server) handleWithdrawCreate(c *gin.Context) {
	page := WithdrawPage{Base: s.base(c, "withdraw.title")}
	var form struct {
		Code string `form:"code"`
	}
	var tooLarge *http.MaxBytesError
	if err := c.ShouldBind(&form); errors.As(err, &tooLarge) {
		s.renderError(c, http.StatusRequestEntityTooLarge, "error.too_large")
		return
	}
	// A code of only spaces is as empty as no code: say so rather than
	// answer as if a code had been tried.
	if strings.TrimSpace(form.Code) == "" {
		page.Error = page.T("withdraw.code_required")
		s.render(c, http.StatusUnprocessableEntity, "withdraw", page)
		return
	}
	err := s.Signing.Withdraw(c.Request.Context(), s.Confirmations, form.Code)
	if err != nil && !errors.Is(err, signing.ErrNoSuchReceipt) {
		s.fail(c, err)
		return
	}
	// A wrong, used or valid code all get this same answer: the page
	// never tells anyone whether a code belonged to a signature.
	page.Done = true
	c.Header("Cache-Control", "no-store")
	s.render(c, http.StatusOK, "withdraw", page)
}
