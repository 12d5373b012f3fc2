package server

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"github.com/cambodia-sanctions/campaign/internal/content"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

// PetitionAdminStore is what the petition editor needs.
type PetitionAdminStore interface {
	FindPetitionBySlug(ctx context.Context, slug string) (*store.Petition, error)
	CreatePetition(ctx context.Context, p *store.Petition) error
	UpdatePetitionContent(ctx context.Context, p *store.Petition) error
	SetPetitionStatus(ctx context.Context, id int64, status string) error
	SetFeaturedPetition(ctx context.Context, id int64) error
}

// PetitionFormPage is the petition editor: a new petition when Editing is
// nil, else the stored one.
type PetitionFormPage struct {
	Base
	Editing *store.Petition
	Form    petitionForm
	Errors  map[string]string // field → translated message
	Preview *PetitionPreview  // set when the organizer asked for a preview
	Notice  string            // what the last action did
	Actions *PetitionActions
	// SlugLocked is set for a petition from config/: renaming it there
	// would make the next start load it again as a new petition.
	SlugLocked bool
}

// PetitionPreview is the petition as its public page would show it.
type PetitionPreview struct {
	Title, Summary string
	Body           template.HTML // rendered by content.RenderMarkdown
	Demands        []string
	Countries      []string // names
}

// PetitionActions is the state of a petition with its Open, Close and
// Feature buttons (partial "admin_petition_actions"); another console page
// can show it too.
type PetitionActions struct {
	Base
	Slug      string
	Status    string
	Featured  bool
	Accepting bool // open and within its dates
	EditLink  bool
}

// petitionActionsOf builds the state block for a stored petition.
func (s *Server) petitionActionsOf(b Base, p *store.Petition, editLink bool) *PetitionActions {
	return &PetitionActions{Base: b, Slug: p.Slug, Status: p.Status, Featured: p.Featured,
		Accepting: p.IsOpenAt(s.Now()), EditLink: editLink}
}

// Action is where the form posts.
func (p PetitionFormPage) Action() string {
	if p.Editing == nil {
		return "/admin/petitions"
	}
	return "/admin/petitions/" + p.Editing.Slug
}

// notices maps the ?done= of a redirect to its message; anything else
// shows nothing.
var notices = map[string]string{
	"created": "admin.petition.done.created", "saved": "admin.petition.done.saved",
	"unchanged": "admin.petition.done.unchanged", "opened": "admin.petition.done.opened",
	"closed": "admin.petition.done.closed", "featured": "admin.petition.done.featured",
}

func (s *Server) handleAdminPetitionNew(c *gin.Context) {
	page := PetitionFormPage{Base: s.adminBase(c, "admin.petition.new_title"), Form: petitionForm{Status: store.PetitionOpen}}
	s.render(c, http.StatusOK, "admin_petition_form", page)
}

func (s *Server) handleAdminPetitionCreate(c *gin.Context) {
	form, ok := s.bindPetitionForm(c)
	if !ok {
		return
	}
	page := PetitionFormPage{Base: s.adminBase(c, "admin.petition.new_title"), Form: form}
	if form.Action == "preview" {
		s.renderPetitionPreview(c, page)
		return
	}
	ctx := c.Request.Context()
	p, errs, err := s.checkPetitionForm(ctx, form, nil)
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(errs) == 0 {
		err = s.Console.CreatePetition(ctx, p)
		if errors.Is(err, store.ErrConflict) {
			errs["slug"] = fieldErr("slug_taken", p.Slug)
		} else if err != nil {
			s.fail(c, err)
			return
		}
	}
	if len(errs) > 0 {
		s.renderPetitionErrors(c, page, errs)
		return
	}
	s.audit(c, "petition.create", p.Slug, "status: "+p.Status, 1)
	s.afterPetitionWrite(c, p.Slug, "created")
}

func (s *Server) handleAdminPetitionEdit(c *gin.Context) {
	p, ok := s.findPetitionForAdmin(c)
	if !ok {
		return
	}
	page := s.editPage(c, p, petitionFormOf(p))
	if key, ok := notices[c.Query("done")]; ok {
		page.Notice = page.T(key)
	}
	s.render(c, http.StatusOK, "admin_petition_form", page)
}

func (s *Server) handleAdminPetitionUpdate(c *gin.Context) {
	current, ok := s.findPetitionForAdmin(c)
	if !ok {
		return
	}
	form, ok := s.bindPetitionForm(c)
	if !ok {
		return
	}
	page := s.editPage(c, current, form)
	if form.Action == "preview" {
		s.renderPetitionPreview(c, page)
		return
	}
	ctx := c.Request.Context()
	p, errs, err := s.checkPetitionForm(ctx, form, current)
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(errs) > 0 {
		s.renderPetitionErrors(c, page, errs)
		return
	}
	changed := changedFields(current, p)
	if len(changed) == 0 {
		c.Redirect(http.StatusSeeOther, "/admin/petitions/"+current.Slug+"/edit?done=unchanged")
		return
	}
	p.ID = current.ID
	switch err := s.Console.UpdatePetitionContent(ctx, p); {
	case errors.Is(err, store.ErrConflict):
		s.renderPetitionErrors(c, page, map[string]fieldError{"slug": fieldErr("slug_taken", p.Slug)})
		return
	case errors.Is(err, store.ErrNotFound):
		s.handleNotFound(c)
		return
	case err != nil:
		s.fail(c, err)
		return
	}
	detail := "changed: " + strings.Join(changed, ", ")
	if p.Slug != current.Slug {
		detail += fmt.Sprintf(" (slug was %s)", current.Slug)
	}
	s.audit(c, "petition.update", p.Slug, detail, 1)
	s.afterPetitionWrite(c, p.Slug, "saved")
}

// statusActions are the buttons of the state block: the status each
// sets (none for feature) and the notice shown after it.
var statusActions = map[string]struct{ status, done string }{
	"open":    {store.PetitionOpen, "opened"},
	"close":   {store.PetitionClosed, "closed"},
	"feature": {"", "featured"},
}

func (s *Server) handleAdminPetitionStatus(c *gin.Context) {
	p, ok := s.findPetitionForAdmin(c)
	if !ok {
		return
	}
	name := c.PostForm("action")
	a, ok := statusActions[name]
	if !ok {
		s.renderError(c, http.StatusBadRequest, "admin.petition.error.action")
		return
	}
	ctx := c.Request.Context()
	var err error
	var detail string // what it was before; empty when nothing changes
	switch {
	case a.status != "" && p.Status != a.status:
		detail = "was " + p.Status
		err = s.Console.SetPetitionStatus(ctx, p.ID, a.status)
	case a.status == "" && !p.Featured:
		detail = "was " + s.featuredSlug()
		err = s.Console.SetFeaturedPetition(ctx, p.ID)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if detail == "" {
		c.Redirect(http.StatusSeeOther, "/admin/petitions/"+p.Slug+"/edit?done="+a.done)
		return
	}
	s.audit(c, "petition."+name, p.Slug, detail, 1)
	s.afterPetitionWrite(c, p.Slug, a.done)
}

// featuredSlug names the petition marked featured, or "none".
func (s *Server) featuredSlug() string {
	for _, p := range s.Petitions.All() {
		if p.Featured {
			return p.Slug
		}
	}
	return "none"
}

// afterPetitionWrite refreshes the public pages' petitions and goes back to
// the editor (post/redirect/get).
func (s *Server) afterPetitionWrite(c *gin.Context, slug, done string) {
	if err := s.Petitions.Reload(c.Request.Context()); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/petitions/"+slug+"/edit?done="+done)
}

// findPetitionForAdmin reads the petition named in the path from the
// database (the source of truth, not the public catalog), or answers 404.
func (s *Server) findPetitionForAdmin(c *gin.Context) (*store.Petition, bool) {
	p, err := s.Console.FindPetitionBySlug(c.Request.Context(), c.Param("slug"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.handleNotFound(c)
		return nil, false
	case err != nil:
		s.fail(c, err)
		return nil, false
	}
	return p, true
}

// bindPetitionForm reads the posted form; a body over the limit is 413.
func (s *Server) bindPetitionForm(c *gin.Context) (petitionForm, bool) {
	var f petitionForm
	err := c.ShouldBindWith(&f, binding.Form)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		s.renderError(c, http.StatusRequestEntityTooLarge, "admin.petition.error.too_large")
		return f, false
	case err != nil:
		s.renderError(c, http.StatusBadRequest, "admin.petition.error.form")
		return f, false
	}
	f.clean()
	return f, true
}

// checkPetitionForm validates the form for a new petition (current nil)
// or an edit of current, including the rules that need the database: the
// slug is free, and a petition from config/ keeps its slug.
func (s *Server) checkPetitionForm(ctx context.Context, form petitionForm, current *store.Petition) (*store.Petition, map[string]fieldError, error) {
	p, errs := form.validate()
	if _, bad := errs["slug"]; bad {
		return p, errs, nil
	}
	var id int64
	if current != nil {
		id = current.ID
		if current.ConfigHash != "" && p.Slug != current.Slug {
			errs["slug"] = fieldErr("slug_locked", current.Slug)
			return p, errs, nil
		}
	}
	other, err := s.Console.FindPetitionBySlug(ctx, p.Slug)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, nil, err
	case other.ID != id:
		errs["slug"] = fieldErr("slug_taken", p.Slug)
	}
	return p, errs, nil
}

func (s *Server) editPage(c *gin.Context, p *store.Petition, form petitionForm) PetitionFormPage {
	b := s.adminBase(c, "")
	b.Title = b.T("admin.petition.edit_title", p.Title)
	return PetitionFormPage{Base: b, Editing: p, Form: form, SlugLocked: p.ConfigHash != "",
		Actions: s.petitionActionsOf(b, p, false)}
}

// renderPetitionPreview shows the form again with the text rendered as the
// public page will show it; nothing is saved.
func (s *Server) renderPetitionPreview(c *gin.Context, page PetitionFormPage) {
	p, _ := page.Form.validate()
	body, err := content.RenderMarkdown(p.Body)
	if err != nil {
		s.fail(c, err)
		return
	}
	page.Preview = &PetitionPreview{Title: p.Title, Summary: p.Summary, Body: body, Demands: p.Demands}
	for _, code := range p.Countries {
		page.Preview.Countries = append(page.Preview.Countries, countryName(code))
	}
	s.render(c, http.StatusOK, "admin_petition_form", page)
}

// renderPetitionErrors shows the form again, as sent, with a message beside
// each field in error.
func (s *Server) renderPetitionErrors(c *gin.Context, page PetitionFormPage, errs map[string]fieldError) {
	page.Errors = make(map[string]string, len(errs))
	for field, e := range errs {
		page.Errors[field] = page.T(e.Key, e.Args...)
	}
	page.Title = page.T("admin.petition.error_title", page.Title)
	s.render(c, http.StatusUnprocessableEntity, "admin_petition_form", page)
}
