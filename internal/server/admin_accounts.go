package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"github.com/cambodia-sanctions/campaign/internal/auth"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

// AccountStore is what the accounts screen needs.
type AccountStore interface {
	FindOrganizers(ctx context.Context) ([]*store.Organizer, error)
	FindOrganizerByID(ctx context.Context, id int64) (*store.Organizer, error)
	FindOrganizerByEmail(ctx context.Context, email string) (*store.Organizer, error)
	DisableOrganizer(ctx context.Context, id int64) error
	SetOrganizerRole(ctx context.Context, id int64, role string) error
}

// AccountsPage lists the console accounts with the forms that change them.
type AccountsPage struct {
	Base
	Accounts []AccountRow
	Form     AccountForm       // the new-account form, kept when refused
	Errors   map[string]string // new-account field → message
	Error    string            // a refused change to an existing account
	Done     string            // created, disabled or role, after a change
	// MinPassword is the shortest password an account may have.
	MinPassword int
}

// AccountRow is one account on the accounts page.
type AccountRow struct {
	ID          int64
	Email, Role string
	DisabledAt  string // "" while the account is active
	Self        bool   // the signed-in owner's own account
}

// AccountForm is what the new-account form shows again; never the password.
type AccountForm struct {
	Email, Role string
}

// accountCreateForm is the posted new-account form.
type accountCreateForm struct {
	Email    string `form:"email"`
	Role     string `form:"role"`
	Password string `form:"password"`
}

// validRole reports whether r names a role (owner, organizer or viewer).
func validRole(r string) bool { return r != "" && auth.Allows(r, r) }

func (s *Server) handleAdminAccounts(c *gin.Context) {
	page := AccountsPage{Base: s.adminBase(c, "admin.accounts.title"), Form: AccountForm{Role: store.RoleOrganizer}}
	switch d := c.Query("done"); d {
	case "created", "disabled", "role":
		page.Done = d
	}
	s.renderAccounts(c, http.StatusOK, page)
}

func (s *Server) handleAdminAccountCreate(c *gin.Context) {
	var form accountCreateForm
	_ = c.ShouldBindWith(&form, binding.FormPost) // text fields only
	page := AccountsPage{Base: s.adminBase(c, "admin.accounts.title"),
		Form: AccountForm{Email: strings.TrimSpace(form.Email), Role: form.Role}}
	errs, err := s.checkNewAccount(c.Request.Context(), form)
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(errs) == 0 {
		_, err = s.Auth.CreateAccount(c.Request.Context(), form.Email, form.Role, form.Password, organizerOf(c).Email)
		switch {
		case errors.Is(err, auth.ErrBadEmail):
			errs["email"] = "admin.accounts.error.email"
		case errors.Is(err, auth.ErrBadRole):
			errs["role"] = "admin.accounts.error.role"
		case errors.Is(err, auth.ErrWeakPassword):
			errs["password"] = "admin.accounts.error.password"
		case err != nil:
			s.fail(c, err)
			return
		}
	}
	if len(errs) > 0 {
		page.Errors = map[string]string{}
		for field, key := range errs {
			page.Errors[field] = page.T(key)
		}
		if _, ok := errs["password"]; ok {
			page.Errors["password"] = page.T(errs["password"], auth.MinPasswordLength)
		}
		s.renderAccounts(c, http.StatusUnprocessableEntity, page)
		return
	}
	// auth.CreateAccount writes the account.create audit entry itself.
	c.Redirect(http.StatusSeeOther, "/admin/accounts?done=created")
}

// checkNewAccount finds everything wrong with a new-account form (where
// auth.CreateAccount stops at the first problem) and returns message keys
// by field.
func (s *Server) checkNewAccount(ctx context.Context, form accountCreateForm) (map[string]string, error) {
	errs := map[string]string{}
	email := auth.NormalizeEmail(form.Email)
	if email == "" {
		errs["email"] = "admin.accounts.error.email"
	} else if _, err := s.Console.FindOrganizerByEmail(ctx, email); err == nil {
		errs["email"] = "admin.accounts.error.taken"
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if !validRole(form.Role) {
		errs["role"] = "admin.accounts.error.role"
	}
	if len([]rune(form.Password)) < auth.MinPasswordLength {
		errs["password"] = "admin.accounts.error.password"
	}
	return errs, nil
}

func (s *Server) handleAdminAccountDisable(c *gin.Context) {
	target, ok := s.accountOf(c)
	if !ok {
		return
	}
	page := AccountsPage{Base: s.adminBase(c, "admin.accounts.title"), Form: AccountForm{Role: store.RoleOrganizer}}
	if target.ID == organizerOf(c).ID {
		page.Error = page.T("admin.accounts.error.self_disable")
		s.renderAccounts(c, http.StatusUnprocessableEntity, page)
		return
	}
	if target.DisabledAt == nil {
		if err := s.Console.DisableOrganizer(c.Request.Context(), target.ID); err != nil {
			s.fail(c, err)
			return
		}
		s.audit(c, "account.disable", target.Email, "role "+target.Role, 1)
	}
	c.Redirect(http.StatusSeeOther, "/admin/accounts?done=disabled")
}

func (s *Server) handleAdminAccountRole(c *gin.Context) {
	target, ok := s.accountOf(c)
	if !ok {
		return
	}
	role := c.PostForm("role")
	page := AccountsPage{Base: s.adminBase(c, "admin.accounts.title"), Form: AccountForm{Role: store.RoleOrganizer}}
	switch {
	case !validRole(role):
		page.Error = page.T("admin.accounts.error.role")
	case target.ID == organizerOf(c).ID && role != target.Role:
		page.Error = page.T("admin.accounts.error.self_demote")
	}
	if page.Error != "" {
		s.renderAccounts(c, http.StatusUnprocessableEntity, page)
		return
	}
	if role != target.Role {
		if err := s.Console.SetOrganizerRole(c.Request.Context(), target.ID, role); err != nil {
			s.fail(c, err)
			return
		}
		s.audit(c, "account.role", target.Email, target.Role+"→"+role, 1)
	}
	c.Redirect(http.StatusSeeOther, "/admin/accounts?done=role")
}

// accountOf loads the account named by the :id parameter; when there is
// none it has answered 404.
func (s *Server) accountOf(c *gin.Context) (*store.Organizer, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.handleNotFound(c)
		return nil, false
	}
	o, err := s.Console.FindOrganizerByID(c.Request.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		s.handleNotFound(c)
		return nil, false
	}
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	return o, true
}

// renderAccounts fills in the account list and renders the page.
func (s *Server) renderAccounts(c *gin.Context, status int, page AccountsPage) {
	list, err := s.Console.FindOrganizers(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	page.MinPassword = auth.MinPasswordLength
	self := organizerOf(c).ID
	for _, o := range list {
		row := AccountRow{ID: o.ID, Email: o.Email, Role: o.Role, Self: o.ID == self}
		if o.DisabledAt != nil {
			row.DisabledAt = o.DisabledAt.UTC().Format("2006-01-02 15:04 UTC")
		}
		page.Accounts = append(page.Accounts, row)
	}
	s.render(c, status, "admin_accounts", page)
}
