package server_test

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/auth"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

// findAccount reads an account back from the database.
func (ce *consoleEnv) findAccount(email string) (*store.Organizer, error) {
	return ce.db.FindOrganizerByEmail(context.Background(), email)
}

func TestAccountsPageListsAccounts(t *testing.T) {
	ce := newConsoleEnv(t)
	ce.mustAccount("viewer-one@campaign.test", "viewer")
	gone := ce.mustAccount("gone@campaign.test", "organizer")
	if err := ce.db.DisableOrganizer(context.Background(), gone.ID); err != nil {
		t.Fatal(err)
	}
	u := ce.signIn("owner")
	w := u.get("/admin/accounts")
	if w.Code != http.StatusOK {
		t.Fatalf("GET /admin/accounts: %d", w.Code)
	}
	body := w.Body.String()
	row := section(t, body, "viewer-one@campaign.test", "</tr>")
	mustContain(t, row, ce.msg("admin.accounts.role_name.viewer"))
	mustContain(t, row, ce.msg("admin.accounts.active"))
	mustContain(t, section(t, body, "gone@campaign.test", "</tr>"), "Disabled since")
	// Every form on the page carries the session's CSRF token.
	for _, f := range tagsNamed(body, "form") {
		if f.attrs["method"] != "post" {
			t.Errorf("form to %s is not a POST", f.attrs["action"])
		}
	}
	if n, m := strings.Count(body, "<form"), strings.Count(body, `name="csrf" value="`+u.csrf+`"`); n != m {
		t.Errorf("%d forms but %d CSRF fields", n, m)
	}
	// The owner's own row offers neither disable nor a role change.
	self := section(t, body, `<th scope="row">owner@campaign.test`, "</tr>")
	mustNotContain(t, self, "<form")
}

func TestAccountCreate(t *testing.T) {
	ce := newConsoleEnv(t)
	u := ce.signIn("owner")
	w := u.post("/admin/accounts", url.Values{"email": {" New.Person@Campaign.test "}, "role": {"organizer"}, "password": {"a long enough passphrase"}})
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/admin/accounts") {
		t.Fatalf("create: %d to %q, want 303 to /admin/accounts; body %s", w.Code, w.Header().Get("Location"), w.Body)
	}
	o, err := ce.findAccount("new.person@campaign.test")
	if err != nil || o.Role != "organizer" || o.DisabledAt != nil {
		t.Fatalf("created account %+v (err %v), want an active organizer", o, err)
	}
	mustContain(t, u.get(w.Header().Get("Location")).Body.String(), "new.person@campaign.test")
	e := lastAudit(t, ce, "account.create")
	if e.Target != "new.person@campaign.test" || e.Actor != "owner@campaign.test" {
		t.Errorf("audit entry %+v, want account.create on the new address by the owner", e)
	}
	// The new account works.
	n := ce.signInAs("new.person@campaign.test", "a long enough passphrase")
	if w := n.get("/admin/audit"); w.Code != http.StatusOK {
		t.Errorf("the new organizer cannot open the audit log: %d", w.Code)
	}
}

func TestAccountCreateRefusals(t *testing.T) {
	ce := newConsoleEnv(t)
	u := ce.signIn("owner")
	ce.mustAccount("taken@campaign.test", "viewer")
	const secret = "zebra-secret-words-4412"
	tests := []struct {
		name  string
		form  url.Values
		field string
		msg   string
	}{
		{"short password", url.Values{"email": {"a@campaign.test"}, "role": {"viewer"}, "password": {"zebra-short"}},
			"password", ce.msg("admin.accounts.error.password", auth.MinPasswordLength)},
		{"bad role", url.Values{"email": {"b@campaign.test"}, "role": {"admin"}, "password": {secret}},
			"role", ce.msg("admin.accounts.error.role")},
		{"taken email", url.Values{"email": {"Taken@campaign.test"}, "role": {"viewer"}, "password": {secret}},
			"email", ce.msg("admin.accounts.error.taken")},
		{"bad email", url.Values{"email": {"not an address"}, "role": {"viewer"}, "password": {secret}},
			"email", ce.msg("admin.accounts.error.email")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := u.post("/admin/accounts", tt.form)
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", w.Code)
			}
			body := w.Body.String()
			mustContain(t, body, tt.msg)
			mustContain(t, body, `href="#f-`+tt.field+`"`)
			mustNotContain(t, body, tt.form.Get("password"))
			mustContain(t, body, `value="`+template.HTMLEscapeString(tt.form.Get("email"))+`"`)
			if all, _ := ce.db.FindOrganizers(context.Background()); len(all) != 2 {
				t.Errorf("%d accounts after a refused form, want the 2 there were", len(all))
			}
		})
	}
	// Every problem is named at once, not one per attempt.
	w := u.post("/admin/accounts", url.Values{"email": {"taken@campaign.test"}, "role": {"root"}, "password": {"short"}})
	for _, key := range []string{"admin.accounts.error.taken", "admin.accounts.error.role"} {
		mustContain(t, w.Body.String(), ce.msg(key))
	}
	mustContain(t, w.Body.String(), ce.msg("admin.accounts.error.password", auth.MinPasswordLength))
	if n := strings.Count(strings.Join(ce.auditActions(), " "), "account.create"); n != 2 {
		t.Errorf("%d account.create entries, want 2 (owner and taken, by the fixtures only)", n)
	}
}

func TestDisabledAccountIsSignedOutAtOnce(t *testing.T) {
	ce := newConsoleEnv(t)
	owner := ce.signIn("owner")
	org := ce.signIn("organizer")
	target, _ := ce.findAccount("organizer@campaign.test")
	if w := org.get("/admin"); w.Code != http.StatusOK {
		t.Fatalf("organizer before being disabled: %d", w.Code)
	}
	w := owner.post(fmt.Sprintf("/admin/accounts/%d/disable", target.ID), nil)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("disable: %d, want 303", w.Code)
	}
	if w := org.get("/admin"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin/login" {
		t.Errorf("the disabled account's open session still works: %d to %q", w.Code, w.Header().Get("Location"))
	}
	if w := org.tryLogin("organizer@campaign.test", testPassword); w.Code != http.StatusUnauthorized {
		t.Errorf("a disabled account signing in: %d, want 401", w.Code)
	}
	e := lastAudit(t, ce, "account.disable")
	if e.Target != "organizer@campaign.test" || e.Actor != "owner@campaign.test" {
		t.Errorf("audit entry %+v, want account.disable on the organizer by the owner", e)
	}
	mustContain(t, section(t, owner.get("/admin/accounts").Body.String(), "organizer@campaign.test", "</tr>"), "Disabled since")
}

func TestOwnerCannotDisableOrDemoteThemselves(t *testing.T) {
	ce := newConsoleEnv(t)
	u := ce.signIn("owner")
	self, _ := ce.findAccount("owner@campaign.test")
	w := u.post(fmt.Sprintf("/admin/accounts/%d/disable", self.ID), nil)
	if w.Code != http.StatusUnprocessableEntity {
		t.Errorf("self-disable: %d, want 422", w.Code)
	}
	mustContain(t, w.Body.String(), ce.msg("admin.accounts.error.self_disable"))
	w = u.post(fmt.Sprintf("/admin/accounts/%d/role", self.ID), url.Values{"role": {"viewer"}})
	if w.Code != http.StatusUnprocessableEntity {
		t.Errorf("self-demotion: %d, want 422", w.Code)
	}
	mustContain(t, w.Body.String(), ce.msg("admin.accounts.error.self_demote"))
	if o, _ := ce.findAccount("owner@campaign.test"); o.DisabledAt != nil || o.Role != "owner" {
		t.Errorf("owner account now %+v, want an active owner", o)
	}
	if w := u.get("/admin/accounts"); w.Code != http.StatusOK {
		t.Errorf("the owner lost the accounts page: %d", w.Code)
	}
	for _, a := range ce.auditActions() {
		if a == "account.disable" || a == "account.role" {
			t.Errorf("a refused change was audited as %s", a)
		}
	}
}

func TestAccountRoleChangeTakesEffectAtOnce(t *testing.T) {
	ce := newConsoleEnv(t)
	owner := ce.signIn("owner")
	viewer := ce.signIn("viewer")
	target, _ := ce.findAccount("viewer@campaign.test")
	if w := viewer.get("/admin/audit"); w.Code != http.StatusForbidden {
		t.Fatalf("viewer on the audit log: %d, want 403", w.Code)
	}
	w := owner.post(fmt.Sprintf("/admin/accounts/%d/role", target.ID), url.Values{"role": {"organizer"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("role change: %d, want 303", w.Code)
	}
	if w := viewer.get("/admin/audit"); w.Code != http.StatusOK {
		t.Errorf("after promotion to organizer, the same session on the audit log: %d, want 200", w.Code)
	}
	e := lastAudit(t, ce, "account.role")
	if e.Target != "viewer@campaign.test" || e.Detail != "viewer→organizer" {
		t.Errorf("audit entry %+v, want account.role on viewer@campaign.test with detail viewer→organizer", e)
	}
	// Down again: the session loses what the role no longer allows.
	owner.post(fmt.Sprintf("/admin/accounts/%d/role", target.ID), url.Values{"role": {"viewer"}})
	if w := viewer.get("/admin/audit"); w.Code != http.StatusForbidden {
		t.Errorf("after demotion to viewer: %d, want 403", w.Code)
	}
	w = owner.post(fmt.Sprintf("/admin/accounts/%d/role", target.ID), url.Values{"role": {"superuser"}})
	if w.Code != http.StatusUnprocessableEntity {
		t.Errorf("unknown role: %d, want 422", w.Code)
	}
}

func TestAccountActionsOnUnknownAccounts(t *testing.T) {
	ce := newConsoleEnv(t)
	u := ce.signIn("owner")
	for _, path := range []string{"/admin/accounts/9999/disable", "/admin/accounts/abc/disable", "/admin/accounts/9999/role"} {
		if w := u.post(path, url.Values{"role": {"viewer"}}); w.Code != http.StatusNotFound {
			t.Errorf("POST %s: %d, want 404", path, w.Code)
		}
	}
}
