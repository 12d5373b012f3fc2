package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/auth"
	"github.com/cambodia-sanctions/campaign/internal/server"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

// consoleEnv is an env with the organizer console wired as serve wires it.
type consoleEnv struct {
	*env
	auth *auth.Service
}

// newConsoleEnv builds the real server with sessions, roles and the
// console's store on the test database.
func newConsoleEnv(t *testing.T, opts ...envOption) *consoleEnv {
	t.Helper()
	var a *auth.Service
	withConsole := func(o *server.Options) {
		db := o.Confirmations.(*store.DB)
		var err error
		if a, err = auth.NewService(db, o.Vault, o.Now); err != nil {
			t.Fatal(err)
		}
		o.Auth, o.Console = a, db
	}
	e := newEnv(t, append([]envOption{withConsole}, opts...)...)
	return &consoleEnv{env: e, auth: a}
}

// testPassword is every test account's password.
const testPassword = "correct horse battery staple"

// consoleUser is a browser signed in to the console.
type consoleUser struct {
	*browser
	t     *testing.T
	email string
	csrf  string
}

// mustAccount creates an account with role.
func (ce *consoleEnv) mustAccount(email, role string) *store.Organizer {
	ce.t.Helper()
	o, err := ce.auth.CreateAccount(context.Background(), email, role, testPassword, "test")
	if err != nil {
		ce.t.Fatalf("create %s account %s: %v", role, email, err)
	}
	return o
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn creates an account with role (email role@campaign.test) and signs
// in through the real login form.
func (ce *consoleEnv) signIn(role string) *consoleUser {
	ce.t.Helper()
	email := role + "@campaign.test"
	ce.mustAccount(email, role)
	return ce.signInAs(email, testPassword)
}

// signInAs signs in through the login form; it fails the test unless the
// console answers with a session.
func (ce *consoleEnv) signInAs(email, password string) *consoleUser {
	ce.t.Helper()
	u := &consoleUser{browser: ce.newBrowser(), t: ce.t, email: email}
	w := u.tryLogin(email, password)
	if w.Code != http.StatusSeeOther {
		ce.t.Fatalf("sign in as %s: status %d, want 303; body %s", email, w.Code, w.Body)
	}
	dash := u.get("/admin")
	m := csrfInput.FindStringSubmatch(dash.Body.String())
	if m == nil {
		ce.t.Fatalf("no CSRF token on the console page after signing in (status %d)", dash.Code)
	}
	u.csrf = m[1]
	return u
}

// tryLogin loads the login form and posts it.
func (u *consoleUser) tryLogin(email, password string) *httptest.ResponseRecorder {
	u.t.Helper()
	page := u.get("/admin/login")
	m := csrfInput.FindStringSubmatch(page.Body.String())
	if m == nil {
		u.t.Fatalf("login form has no CSRF field (status %d)", page.Code)
	}
	form := url.Values{"email": {email}, "password": {password}, "csrf": {m[1]}}
	return u.do(http.MethodPost, "/admin/login", form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
}

// post sends a console form with the session's CSRF token.
func (u *consoleUser) post(path string, form url.Values) *httptest.ResponseRecorder {
	u.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", u.csrf)
	return u.do(http.MethodPost, path, form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
}

// auditActions returns the audit log's actions, newest first.
func (ce *consoleEnv) auditActions() []string {
	ce.t.Helper()
	entries, err := ce.db.FindAudit(context.Background(), 0, 1000)
	if err != nil {
		ce.t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Action)
	}
	return out
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
