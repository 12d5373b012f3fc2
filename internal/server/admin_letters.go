package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"github.com/cambodia-sanctions/campaign/internal/jurisdiction"
	"github.com/cambodia-sanctions/campaign/internal/letters"
	"github.com/cambodia-sanctions/campaign/internal/petition"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

// Letters to officials in the console: a board of every jurisdiction a
// petition addresses, each letter's page (status and history), its print
// preview and PDF, and a ZIP of all of them. Viewing the board or a
// letter's page reads counts only; a preview, a PDF or the ZIP generates
// the letters, which records their verification digests and an audit entry.

// LettersBoardPage is the board of a petition's letters.
type LettersBoardPage struct {
	Base
	Petition  *petition.Petition
	Rows      []LetterRow
	Total     int64
	Languages []string // of config/letters, for the template links
}

// LetterRow is one jurisdiction as the console shows it.
type LetterRow struct {
	letters.BoardRow
	StatusLabel string // "Draft" while no change is recorded
	LastChange  string // date of the latest change, "" for none
}

// lettersOf returns the petition of the route with the letters service, or
// answers (404, 503) and returns false.
func (s *Server) lettersOf(c *gin.Context) (*petition.Petition, bool) {
	if s.Letters == nil {
		s.renderError(c, http.StatusServiceUnavailable, "letters.error.unavailable")
		return nil, false
	}
	p, ok := s.Petitions.BySlug(c.Param("slug"))
	if !ok {
		s.handleNotFound(c)
		return nil, false
	}
	return p, true
}

func (s *Server) handleAdminLetters(c *gin.Context) {
	p, ok := s.lettersOf(c)
	if !ok {
		return
	}
	rows, total, err := s.Letters.Board(c.Request.Context(), p.Petition)
	if err != nil {
		s.fail(c, err)
		return
	}
	page := LettersBoardPage{Base: s.adminBase(c, ""), Petition: p, Total: total, Languages: s.Letters.Templates().Languages()}
	page.Title = page.T("letters.board.title", p.Title)
	for _, r := range rows {
		page.Rows = append(page.Rows, s.letterRow(page.Base, r))
	}
	s.render(c, http.StatusOK, "admin_letters", page)
}

func (s *Server) letterRow(b Base, r letters.BoardRow) LetterRow {
	row := LetterRow{BoardRow: r, StatusLabel: b.T("letters.status." + letters.StatusDraft)}
	if r.Status != nil {
		row.StatusLabel = b.T("letters.status." + r.Status.Status)
		row.LastChange = r.Status.At.UTC().Format(time.DateOnly)
	}
	return row
}

// LetterPage is one letter's page: where it goes, its figures, its status
// with the form to change it, and its history.
type LetterPage struct {
	Base
	Petition *petition.Petition
	Row      LetterRow
	Total    int64
	History  []*store.LetterStatus
	Form     letters.StatusChange
	Errors   map[string]string // field → message
	Done     bool              // a change was just recorded
	Today    string
}

// Statuses lists the letter statuses for the status menu.
func (LetterPage) Statuses() []string { return letters.Statuses() }

// Channels lists the channels a letter can be sent by.
func (LetterPage) Channels() []string { return letters.Channels() }

// Root writes a digest root as letters print it.
func (LetterPage) Root(root []byte) string { return letters.FormatRoot(root) }

func (s *Server) handleAdminLetterShow(c *gin.Context) {
	p, ok := s.lettersOf(c)
	if !ok {
		return
	}
	if c.Query("size") != "" {
		s.letterPreview(c, p)
		return
	}
	page, ok := s.letterPage(c, p)
	if !ok {
		return
	}
	page.Done = c.Query("done") == "status"
	s.render(c, http.StatusOK, "admin_letters_show", page)
}

// letterPage loads the page of the letter to the route's :code, or answers.
func (s *Server) letterPage(c *gin.Context, p *petition.Petition) (LetterPage, bool) {
	ctx := c.Request.Context()
	rows, total, err := s.Letters.Board(ctx, p.Petition)
	if err != nil {
		s.fail(c, err)
		return LetterPage{}, false
	}
	code := c.Param("code")
	page := LetterPage{Base: s.adminBase(c, ""), Petition: p, Total: total, Errors: map[string]string{},
		Today: s.Now().UTC().Format(time.DateOnly)}
	found := false
	for _, r := range rows {
		if r.Jurisdiction.Code == code {
			page.Row, found = s.letterRow(page.Base, r), true
		}
	}
	if !found {
		s.handleNotFound(c)
		return LetterPage{}, false
	}
	page.Title = page.T("letters.show.title", page.Row.Jurisdiction.Name)
	if page.History, err = s.Letters.History(ctx, p.Petition, code); err != nil {
		s.fail(c, err)
		return LetterPage{}, false
	}
	return page, true
}

// paperSize reads ?size=: a4, letter, or "" for the jurisdiction's own.
func paperSize(c *gin.Context, code string) (string, bool) {
	size := strings.ToLower(c.Query("size"))
	if size == "" {
		return letters.DefaultSize(code), true
	}
	_, ok := letters.PageSize(size)
	return size, ok
}

// generate generates the letters to codes (all when none) as the
// signed-in organizer, or answers and returns nil.
func (s *Server) generate(c *gin.Context, p *petition.Petition, codes ...string) *letters.Batch {
	o := organizerOf(c)
	b, err := s.Letters.Generate(c.Request.Context(), p.Petition, codes, letters.Actor{ID: &o.ID, Name: o.Email})
	if errors.Is(err, letters.ErrUnknownJurisdiction) {
		s.handleNotFound(c)
		return nil
	}
	if err != nil {
		s.fail(c, err)
		return nil
	}
	return b
}

// letterPreview serves the print-ready HTML of one letter.
func (s *Server) letterPreview(c *gin.Context, p *petition.Petition) {
	buf, _, ok := s.writeOneLetter(c, p, s.Letters.WriteHTML)
	if !ok {
		return
	}
	// The document is self-contained, with its page size in a <style>
	// element: allow exactly that element, by its hash, and nothing else.
	c.Header("Content-Security-Policy", printPolicy(buf.Bytes()))
	c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}

var styleElement = regexp.MustCompile(`(?s)<style>(.*?)</style>`)

// printPolicy is the Content-Security-Policy of a printed letter: no
// script, no request, and only its own style elements.
func printPolicy(html []byte) string {
	var hashes []string
	for _, m := range styleElement.FindAllSubmatch(html, -1) {
		sum := sha256.Sum256(m[1])
		hashes = append(hashes, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	}
	return "default-src 'none'; style-src " + strings.Join(hashes, " ") +
		"; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
}

func (s *Server) handleAdminLetterPDF(c *gin.Context) {
	p, ok := s.lettersOf(c)
	if !ok {
		return
	}
	buf, l, ok := s.writeOneLetter(c, p, s.Letters.WritePDF)
	if !ok {
		return
	}
	s.attachment(c, "application/pdf", fmt.Sprintf("%s-%s.pdf", p.Slug, l.Jurisdiction.Code), buf.Bytes())
}

// writeOneLetter generates the letter of the jurisdiction in the path, in
// the paper size asked for, and writes it with write (HTML or PDF). It has
// answered the request itself when ok is false.
func (s *Server) writeOneLetter(c *gin.Context, p *petition.Petition,
	write func(io.Writer, *letters.Letter, string) error) (buf *bytes.Buffer, l *letters.Letter, ok bool) {
	size, ok := paperSize(c, c.Param("code"))
	if !ok {
		s.renderError(c, http.StatusBadRequest, "letters.error.size")
		return nil, nil, false
	}
	b := s.generate(c, p, c.Param("code"))
	if b == nil {
		return nil, nil, false
	}
	buf = &bytes.Buffer{}
	if err := write(buf, b.Letters[0], size); err != nil {
		s.fail(c, err)
		return nil, nil, false
	}
	return buf, b.Letters[0], true
}

func (s *Server) handleAdminLettersZip(c *gin.Context) {
	p, ok := s.lettersOf(c)
	if !ok {
		return
	}
	size := strings.ToLower(c.Query("size"))
	if _, ok := letters.PageSize(size); size != "" && !ok {
		s.renderError(c, http.StatusBadRequest, "letters.error.size")
		return
	}
	b := s.generate(c, p)
	if b == nil {
		return
	}
	var buf bytes.Buffer
	if err := s.Letters.WriteZIP(c.Request.Context(), &buf, b, size); err != nil {
		s.fail(c, err)
		return
	}
	name := fmt.Sprintf("letters-%s-%s.zip", p.Slug, b.GeneratedAt.Format("20060102-150405"))
	s.attachment(c, "application/zip", name, buf.Bytes())
}

// attachment sends a file to download; it is never cached.
func (s *Server) attachment(c *gin.Context, contentType, name string, data []byte) {
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, contentType, data)
}

// statusForm is the form that changes a letter's status.
type statusForm struct {
	Status  string `form:"status"`
	Channel string `form:"channel"`
	Date    string `form:"date"`
	Note    string `form:"note"`
}

func (s *Server) handleAdminLetterStatus(c *gin.Context) {
	p, ok := s.lettersOf(c)
	if !ok {
		return
	}
	var form statusForm
	_ = c.ShouldBindWith(&form, binding.FormPost) // text fields only
	ch := letters.StatusChange{Status: form.Status, Channel: form.Channel, Date: form.Date, Note: form.Note}
	o := organizerOf(c)
	_, err := s.Letters.SetStatus(c.Request.Context(), p.Petition, c.Param("code"), ch, letters.Actor{ID: &o.ID, Name: o.Email})
	var invalid *letters.ValidationError
	switch {
	case errors.Is(err, letters.ErrUnknownJurisdiction):
		s.handleNotFound(c)
		return
	case errors.As(err, &invalid):
		page, ok := s.letterPage(c, p)
		if !ok {
			return
		}
		page.Form = ch
		for field, key := range invalid.Fields {
			page.Errors[field] = page.T(key)
		}
		s.render(c, http.StatusUnprocessableEntity, "admin_letters_show", page)
		return
	case err != nil:
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/petitions/"+p.Slug+"/letters/"+c.Param("code")+"?done=status")
}

// registryJurisdiction is a jurisdiction as config/ has it, before the
// organizers' corrections.
func (s *Server) registryJurisdiction(code string) (*jurisdiction.Jurisdiction, bool) {
	reg := s.Jurisdictions
	if reg == nil {
		reg = s.Letters.Registry()
	}
	return reg.ByCode(code)
}
