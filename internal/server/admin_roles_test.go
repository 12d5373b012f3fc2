package server_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// consoleRoute is one console route and the least role that may use it.
type consoleRoute struct {
	method, path, need string
	form               url.Values // sent with a POST, beside the CSRF token
}

// consoleRoutes lists every console route of routes.go. The sign-in form
// is public and not listed; logout is tried last, as it ends the session.
func consoleRoutes() []consoleRoute {
	return []consoleRoute{
		{"GET", "/admin", "viewer", nil},
		{"GET", "/admin/petitions/new", "organizer", nil},
		{"POST", "/admin/petitions", "organizer", url.Values{}},
		{"GET", "/admin/petitions/:slug", "viewer", nil},
		{"GET", "/admin/petitions/:slug/edit", "organizer", nil},
		{"POST", "/admin/petitions/:slug", "organizer", url.Values{}},
		{"POST", "/admin/petitions/:slug/status", "organizer", url.Values{}},
		{"GET", "/admin/petitions/:slug/signatures", "organizer", nil},
		{"POST", "/admin/petitions/:slug/signatures/moderate", "organizer",
			url.Values{"action": {"invalidate"}, "reason": {"role matrix"}, "country": {"ZZ"}}},
		{"GET", "/admin/petitions/:slug/export.csv", "organizer", nil},
		{"GET", "/admin/petitions/:slug/letters", "organizer", nil},
		{"GET", "/admin/petitions/:slug/letters.zip", "organizer", nil},
		{"GET", "/admin/petitions/:slug/letters/:code", "organizer", nil},
		{"GET", "/admin/petitions/:slug/letters/:code/pdf", "organizer", nil},
		{"POST", "/admin/petitions/:slug/letters/:code/status", "organizer", url.Values{"status": {"sent"}}},
		{"GET", "/admin/petitions/:slug/templates/:lang", "organizer", nil},
		{"POST", "/admin/petitions/:slug/templates/:lang", "organizer", url.Values{}},
		{"GET", "/admin/jurisdictions/:code", "organizer", nil},
		{"POST", "/admin/jurisdictions/:code", "organizer", url.Values{}},
		{"GET", "/admin/audit", "organizer", nil},
		{"GET", "/admin/accounts", "owner", nil},
		{"POST", "/admin/accounts", "owner", url.Values{"email": {"matrix@campaign.test"}, "role": {"viewer"}, "password": {"x"}}},
		{"POST", "/admin/accounts/:id/disable", "owner", url.Values{}},
		{"POST", "/admin/accounts/:id/role", "owner", url.Values{"role": {"organizer"}}},
		{"POST", "/admin/logout", "viewer", url.Values{}},
	}
}

// TestConsoleRouteListIsComplete keeps the matrix honest: a console route
// added to routes.go without a line in consoleRoutes fails here.
func TestConsoleRouteListIsComplete(t *testing.T) {
	ce := newConsoleEnv(t)
	listed := map[string]bool{}
	for _, r := range consoleRoutes() {
		listed[r.method+" "+r.path] = true
	}
	for _, r := range ce.srv.Handler().(*gin.Engine).Routes() {
		if !strings.HasPrefix(r.Path, "/admin") || r.Path == "/admin/login" {
			continue
		}
		if !listed[r.Method+" "+r.Path] {
			t.Errorf("%s %s is missing from the role matrix", r.Method, r.Path)
		}
		delete(listed, r.Method+" "+r.Path)
	}
	for r := range listed {
		t.Errorf("the role matrix lists %s, which routes.go does not serve", r)
	}
}

func TestConsoleRoleMatrix(t *testing.T) {
	ce := newConsoleEnv(t)
	target := ce.mustAccount("matrix-target@campaign.test", "viewer")
	users := map[string]*consoleUser{}
	for _, role := range []string{"viewer", "organizer", "owner"} {
		users[role] = ce.signIn(role)
	}
	users[""] = &consoleUser{browser: ce.newBrowser(), t: t, csrf: "no-session-no-token"}
	rank := map[string]int{"": 0, "viewer": 1, "organizer": 2, "owner": 3}
	roleMsg, signedOutMsg := ce.msg("admin.error.role"), ce.msg("admin.error.signed_out")

	for _, role := range []string{"", "viewer", "organizer", "owner"} {
		u := users[role]
		for _, r := range consoleRoutes() {
			name := role
			if name == "" {
				name = "anonymous"
			}
			t.Run(name+" "+r.method+" "+r.path, func(t *testing.T) {
				path := strings.NewReplacer(":slug", "open-petition", ":id", strconv.FormatInt(target.ID, 10)).Replace(r.path)
				var w = u.get(path)
				if r.method == http.MethodPost {
					w = u.post(path, cloneForm(r.form))
				}
				body, loc := w.Body.String(), w.Header().Get("Location")
				switch {
				case role == "" && r.method == http.MethodGet:
					if w.Code != http.StatusSeeOther || loc != "/admin/login" {
						t.Errorf("anonymous: %d to %q, want 303 to /admin/login", w.Code, loc)
					}
				case role == "":
					if w.Code != http.StatusForbidden || !strings.Contains(body, signedOutMsg) {
						t.Errorf("anonymous POST: %d, want 403 saying the session has ended", w.Code)
					}
				case rank[role] < rank[r.need]:
					if w.Code != http.StatusForbidden || !strings.Contains(body, roleMsg) {
						t.Errorf("%s below %s: %d, want 403 saying the role does not allow it", role, r.need, w.Code)
					}
				default:
					if w.Code == http.StatusUnauthorized || w.Code == http.StatusForbidden ||
						(w.Code == http.StatusSeeOther && loc == "/admin/login" && r.path != "/admin/logout") {
						t.Errorf("%s may use this route but got %d (Location %q)", role, w.Code, loc)
					}
				}
			})
		}
	}
}

func cloneForm(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
