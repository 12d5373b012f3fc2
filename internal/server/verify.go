package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cambodia-sanctions/campaign/internal/letters"
	"github.com/cambodia-sanctions/campaign/internal/signing"
)

// /verify lets a signer check, with their receipt code and the digest root
// printed in a letter's annex, that their signature is counted in that
// letter. The answer is "included" with the proof's steps, or one neutral
// "not included" for everything else — a wrong code, a wrong root, a
// signature counted elsewhere — so the page reveals nothing about any
// other signature or signer.

// maxRootInput bounds the typed root: 64 digits with generous spacing.
const maxRootInput = 200

// VerifyPage is the check form and, after a check, its answer.
type VerifyPage struct {
	Base
	Root    string // as typed, kept in the form; the code is never echoed
	Errors  map[string]string
	Checked bool
	Result  VerifyResult
}

// VerifyResult is the answer to a check.
type VerifyResult struct {
	Included     bool
	Jurisdiction string // the letter's addressee jurisdiction
	Count        int64
	GeneratedAt  string
	Steps        []letters.Step
}

func (s *Server) handleVerifyShow(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	s.render(c, http.StatusOK, "verify", VerifyPage{Base: s.base(c, "verify.title"), Errors: map[string]string{}})
}

func (s *Server) handleVerifyCreate(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	if s.Letters == nil {
		s.renderError(c, http.StatusServiceUnavailable, "letters.error.unavailable")
		return
	}
	page := VerifyPage{Base: s.base(c, "verify.title"), Errors: map[string]string{}}
	code, rootText := strings.TrimSpace(c.PostForm("code")), c.PostForm("root")
	if len(rootText) > maxRootInput {
		rootText = rootText[:maxRootInput]
	}
	page.Root = strings.TrimSpace(rootText)
	if code == "" {
		page.Errors["code"] = page.T("verify.error.code")
	}
	root, err := letters.ParseRoot(rootText)
	switch {
	case page.Root == "":
		page.Errors["root"] = page.T("verify.error.root_required")
	case err != nil:
		page.Errors["root"] = page.T("verify.error.root")
	}
	if len(page.Errors) > 0 {
		s.render(c, http.StatusUnprocessableEntity, "verify", page)
		return
	}
	page.Checked = true
	ctx := c.Request.Context()
	sig, err := s.Signing.FindByReceipt(ctx, s.Confirmations, code)
	if errors.Is(err, signing.ErrNoSuchReceipt) {
		s.render(c, http.StatusOK, "verify", page)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	in, err := s.Letters.Verify(ctx, sig, root)
	if err != nil {
		s.fail(c, err)
		return
	}
	if in.Included {
		name := in.Jurisdiction
		if j, ok := s.Letters.Registry().ByCode(in.Jurisdiction); ok {
			name = j.Name
		}
		page.Result = VerifyResult{Included: true, Jurisdiction: name, Count: in.Count,
			GeneratedAt: in.GeneratedAt.UTC().Format("2006-01-02 15:04:05 UTC"), Steps: in.Steps}
	}
	s.render(c, http.StatusOK, "verify", page)
}
