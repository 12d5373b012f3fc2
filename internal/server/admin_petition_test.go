package server_test

import (
	"context"
	"errors"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
)

// newPetitionForm is a complete, valid petition editor form.
func newPetitionForm() url.Values {
	return url.Values{
		"slug":      {"stop-the-raids"},
		"title":     {"Stop the raids"},
		"summary":   {"Ask governments to sanction those who order the raids."},
		"body":      {"The raids must **stop**.\r\n\r\nRead [the report](https://example.org/report)."},
		"demands":   {"Freeze their assets\r\nBan their travel\r\n\r\n"},
		"goal":      {"10,000"},
		"countries": {"us, gb\r\neu US"},
		"opens_at":  {""},
		"closes_at": {"2030-01-01"},
		"status":    {"open"},
		"action":    {"save"},
	}
}

// petitionFormWith returns a copy of form with the given name, value pairs set.
func petitionFormWith(form url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, v := range form {
		out[k] = slices.Clone(v)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

// petitionBySlug reads a petition straight from the database.
func (ce *consoleEnv) petitionBySlug(slug string) (*store.Petition, error) {
	return ce.db.FindPetitionBySlug(context.Background(), slug)
}

// petitionAuditCount counts the audit entries with action.
func (ce *consoleEnv) petitionAuditCount(action string) int {
	n := 0
	for _, a := range ce.auditActions() {
		if a == action {
			n++
		}
	}
	return n
}

// checkPetitionRedirect fails unless w redirects (303) to want.
func checkPetitionRedirect(t *testing.T, w *httptest.ResponseRecorder, want string) {
	t.Helper()
	if got := w.Header().Get("Location"); w.Code != http.StatusSeeOther || got != want {
		t.Fatalf("status %d to %q, want 303 to %q", w.Code, got, want)
	}
}

func TestAdminPetitionCreate(t *testing.T) {
	ce := newConsoleEnv(t)
	u := ce.signIn("organizer")
	// The public list is cached before the petition exists.
	mustNotContain(t, ce.get("/petitions").Body.String(), "Stop the raids")

	page := u.get("/admin/petitions/new")
	if page.Code != http.StatusOK {
		t.Fatalf("GET /admin/petitions/new: %d, want 200", page.Code)
	}
	if tg := byID(t, page.Body.String(), "f-status-open"); !tg.has("checked") {
		t.Error("a new petition's status is not preset to open")
	}

	w := u.post("/admin/petitions", newPetitionForm())
	checkPetitionRedirect(t, w, "/admin/petitions/stop-the-raids/edit?done=created")

	got, err := ce.petitionBySlug("stop-the-raids")
	if err != nil {
		t.Fatalf("the petition was not stored: %v", err)
	}
	if got.Goal != 10000 || got.Status != store.PetitionOpen || got.Featured {
		t.Errorf("stored goal %d status %q featured %v, want 10000, open, false", got.Goal, got.Status, got.Featured)
	}
	if want := (store.StringList{"US", "GB", "EU"}); !slices.Equal(got.Countries, want) {
		t.Errorf("stored countries %v, want %v (upper-cased, each once, in order)", got.Countries, want)
	}
	if want := (store.StringList{"Freeze their assets", "Ban their travel"}); !slices.Equal(got.Demands, want) {
		t.Errorf("stored demands %q, want %q (one per line, blank lines dropped)", got.Demands, want)
	}
	if strings.Contains(got.Body, "\r") {
		t.Errorf("stored body %q keeps the browser's CR LF line ends", got.Body)
	}

	mustContain(t, ce.get("/petitions").Body.String(), "Stop the raids")
	pub := ce.get("/petitions/stop-the-raids")
	if pub.Code != http.StatusOK {
		t.Fatalf("public page of the new petition: %d, want 200", pub.Code)
	}
	body := pub.Body.String()
	mustContain(t, body, "<strong>stop</strong>")
	mustContain(t, body, "Ban their travel")
	mustContain(t, body, "European Union")
	if !slices.Contains(ce.auditActions(), "petition.create") {
		t.Errorf("audit log %v lacks petition.create", ce.auditActions())
	}

	edit := u.get("/admin/petitions/stop-the-raids/edit?done=created")
	if edit.Code != http.StatusOK {
		t.Fatalf("editor after creating: %d, want 200", edit.Code)
	}
	mustContain(t, edit.Body.String(), ce.msg("admin.petition.done.created"))
	if v := byID(t, edit.Body.String(), "f-title").attrs["value"]; v != "Stop the raids" {
		t.Errorf("editor shows title %q, want the stored one", v)
	}
}

func TestAdminPetitionValidation(t *testing.T) {
	tests := []struct {
		name, field string
		form        url.Values
		want        string // message key
		args        []any
	}{
		{"bad slug", "slug", petitionFormWith(newPetitionForm(), "slug", "Stop Raids!"), "admin.petition.error.slug", nil},
		{"short slug", "slug", petitionFormWith(newPetitionForm(), "slug", "ab"), "admin.petition.error.slug", nil},
		{"duplicate slug", "slug", petitionFormWith(newPetitionForm(), "slug", "open-petition"), "admin.petition.error.slug_taken", []any{"open-petition"}},
		{"missing title", "title", petitionFormWith(newPetitionForm(), "title", "  "), "admin.petition.error.title_required", nil},
		{"long title", "title", petitionFormWith(newPetitionForm(), "title", strings.Repeat("é", 201)), "admin.petition.error.too_long", []any{200, 201}},
		{"html in summary", "summary", petitionFormWith(newPetitionForm(), "summary", "Sign <b>now</b>"), "admin.petition.error.html", []any{"<b>"}},
		{"missing body", "body", petitionFormWith(newPetitionForm(), "body", "\r\n  \r\n"), "admin.petition.error.body_required", nil},
		{"no demand", "demands", petitionFormWith(newPetitionForm(), "demands", "\r\n\r\n"), "admin.petition.error.demands_required", nil},
		{"goal 0", "goal", petitionFormWith(newPetitionForm(), "goal", "0"), "admin.petition.error.goal", nil},
		{"goal not a number", "goal", petitionFormWith(newPetitionForm(), "goal", "lots"), "admin.petition.error.goal", nil},
		{"unknown country", "countries", petitionFormWith(newPetitionForm(), "countries", "US ZZ"), "admin.petition.error.country_unknown", []any{"ZZ"}},
		{"UK for GB", "countries", petitionFormWith(newPetitionForm(), "countries", "uk"), "admin.petition.error.country_uk", nil},
		{"no country", "countries", petitionFormWith(newPetitionForm(), "countries", " , "), "admin.petition.error.countries_required", nil},
		{"bad date", "opens_at", petitionFormWith(newPetitionForm(), "opens_at", "next week"), "admin.petition.error.date", nil},
		{"closes before opens", "closes_at", petitionFormWith(newPetitionForm(), "opens_at", "2030-02-01", "closes_at", "2030-01-01"),
			"admin.petition.error.closes_before_opens", []any{"2030-02-01"}},
	}
	ce := newConsoleEnv(t)
	u := ce.signIn("organizer")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := u.post("/admin/petitions", tt.form)
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", w.Code)
			}
			body := w.Body.String()
			msg := ce.msgs.T("en", tt.want, tt.args...)
			errEl := html.UnescapeString(section(t, body, `id="f-`+tt.field+`-error"`, "</p>"))
			if !strings.Contains(errEl, msg) {
				t.Errorf("the message beside %s is %q, want %q", tt.field, errEl, msg)
			}
			if d := byID(t, body, "f-"+tt.field).attrs["aria-describedby"]; !strings.Contains(d, "f-"+tt.field+"-error") {
				t.Errorf("%s's aria-describedby %q does not point at its message", tt.field, d)
			}
			// Every value comes back as typed.
			if v := byID(t, body, "f-slug").attrs["value"]; v != tt.form.Get("slug") {
				t.Errorf("slug field holds %q, want %q as sent", v, tt.form.Get("slug"))
			}
			if v := byID(t, body, "f-goal").attrs["value"]; v != tt.form.Get("goal") {
				t.Errorf("goal field holds %q, want %q as sent", v, tt.form.Get("goal"))
			}
			demands := html.UnescapeString(section(t, body, `id="f-demands"`, "</textarea>"))
			if want := strings.ReplaceAll(tt.form.Get("demands"), "\r\n", "\n"); !strings.Contains(demands, want) {
				t.Errorf("demands field holds %q, want %q as sent", demands, want)
			}
			if slug := tt.form.Get("slug"); slug != "open-petition" {
				if _, err := ce.petitionBySlug(slug); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("a refused form stored petition %q (err %v)", slug, err)
				}
			}
		})
	}
	if p, _ := ce.petitionBySlug("open-petition"); p.Title != "Free the prisoners" {
		t.Errorf("the duplicate-slug form changed the existing petition: title %q", p.Title)
	}
	if n := ce.petitionAuditCount("petition.create"); n != 0 {
		t.Errorf("%d petition.create audit entries for refused forms, want 0", n)
	}
}

func TestAdminPetitionPreviewSavesNothing(t *testing.T) {
	ce := newConsoleEnv(t)
	u := ce.signIn("organizer")
	form := petitionFormWith(newPetitionForm(), "slug", "open-petition", "title", "A draft title",
		"body", "Some **bold** words", "action", "preview")
	w := u.post("/admin/petitions/open-petition", form)
	if w.Code != http.StatusOK {
		t.Fatalf("preview: %d, want 200", w.Code)
	}
	preview := section(t, w.Body.String(), `<section class="preview"`, "</section>")
	mustContain(t, preview, "<strong>bold</strong>")
	mustContain(t, preview, "A draft title")
	if v := byID(t, w.Body.String(), "f-title").attrs["value"]; v != "A draft title" {
		t.Errorf("after a preview the title field holds %q, want the draft", v)
	}
	p, _ := ce.petitionBySlug("open-petition")
	if p.Title != "Free the prisoners" || strings.Contains(p.Body, "bold") {
		t.Errorf("preview saved: title %q body %q", p.Title, p.Body)
	}
	mustContain(t, ce.get("/petitions/open-petition").Body.String(), "Free the prisoners")

	// A preview of a new petition creates nothing either.
	w = u.post("/admin/petitions", petitionFormWith(newPetitionForm(), "action", "preview"))
	if w.Code != http.StatusOK {
		t.Fatalf("preview of a new petition: %d, want 200", w.Code)
	}
	mustContain(t, w.Body.String(), "<strong>stop</strong>")
	if _, err := ce.petitionBySlug("stop-the-raids"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("preview created the petition (err %v)", err)
	}
	if a := ce.auditActions(); slices.Contains(a, "petition.update") || slices.Contains(a, "petition.create") {
		t.Errorf("previews were audited as changes: %v", a)
	}
}

// hasScriptOrJSLink reports what in a page could run a script.
func hasScriptOrJSLink(body string) string {
	if strings.Contains(strings.ToLower(body), "<script") {
		return "a <script> element"
	}
	for _, a := range tagsNamed(body, "a") {
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.attrs["href"])), "javascript:") {
			return "a javascript: link"
		}
	}
	return ""
}

func TestAdminPetitionMarkdownIsSanitized(t *testing.T) {
	ce := newConsoleEnv(t)
	u := ce.signIn("organizer")
	evil := "Hello <script>alert(1)</script> and [x](javascript:alert(1)) and <a href=\"javascript:alert(2)\">y</a>"
	form := petitionFormWith(newPetitionForm(), "body", evil, "action", "preview")
	w := u.post("/admin/petitions", form)
	if w.Code != http.StatusOK {
		t.Fatalf("preview: %d, want 200", w.Code)
	}
	if bad := hasScriptOrJSLink(w.Body.String()); bad != "" {
		t.Errorf("the preview page holds %s", bad)
	}
	mustContain(t, section(t, w.Body.String(), `<section class="preview"`, "</section>"), "Hello")

	checkPetitionRedirect(t, u.post("/admin/petitions", petitionFormWith(form, "action", "save")), "/admin/petitions/stop-the-raids/edit?done=created")
	pub := ce.get("/petitions/stop-the-raids")
	if pub.Code != http.StatusOK {
		t.Fatalf("public page: %d", pub.Code)
	}
	if bad := hasScriptOrJSLink(pub.Body.String()); bad != "" {
		t.Errorf("the public page holds %s", bad)
	}
	mustNotContain(t, pub.Body.String(), "javascript:")
	if bad := hasScriptOrJSLink(u.get("/admin/petitions/stop-the-raids/edit").Body.String()); bad != "" {
		t.Errorf("the editor holds %s", bad)
	}
}

func TestAdminPetitionEditShowsAtOnce(t *testing.T) {
	ce := newConsoleEnv(t)
	u := ce.signIn("organizer")
	// Fill the page cache with the old title.
	mustContain(t, ce.get("/").Body.String(), "Free the prisoners")
	mustContain(t, ce.get("/petitions/open-petition").Body.String(), "Free the prisoners")

	edit := u.get("/admin/petitions/open-petition/edit")
	if edit.Code != http.StatusOK {
		t.Fatalf("editor: %d, want 200", edit.Code)
	}
	form := petitionFormWith(newPetitionForm(), "slug", "open-petition", "title", "Free every prisoner now")
	checkPetitionRedirect(t, u.post("/admin/petitions/open-petition", form), "/admin/petitions/open-petition/edit?done=saved")

	for _, path := range []string{"/", "/petitions/open-petition", "/petitions"} {
		body := ce.get(path).Body.String()
		mustContain(t, body, "Free every prisoner now")
		if strings.Contains(body, "Free the prisoners") {
			t.Errorf("%s still shows the old title after the edit", path)
		}
	}
	p, _ := ce.petitionBySlug("open-petition")
	if !p.Featured || p.Status != store.PetitionOpen {
		t.Errorf("the edit changed featured=%v status=%q, want true, open", p.Featured, p.Status)
	}
	if n := ce.petitionAuditCount("petition.update"); n != 1 {
		t.Errorf("%d petition.update audit entries, want 1", n)
	}

	// Saving again unchanged writes and records nothing.
	checkPetitionRedirect(t, u.post("/admin/petitions/open-petition", form), "/admin/petitions/open-petition/edit?done=unchanged")
	if n := ce.petitionAuditCount("petition.update"); n != 1 {
		t.Errorf("%d petition.update audit entries after an unchanged save, want 1", n)
	}

	// A new slug moves the public page.
	checkPetitionRedirect(t, u.post("/admin/petitions/open-petition", petitionFormWith(form, "slug", "free-every-prisoner")),
		"/admin/petitions/free-every-prisoner/edit?done=saved")
	if w := ce.get("/petitions/free-every-prisoner"); w.Code != http.StatusOK {
		t.Errorf("public page at the new slug: %d, want 200", w.Code)
	}
	if w := ce.get("/petitions/open-petition"); w.Code != http.StatusNotFound {
		t.Errorf("public page at the old slug: %d, want 404", w.Code)
	}
	// Invalid on edit: 422, nothing saved.
	w := u.post("/admin/petitions/free-every-prisoner", petitionFormWith(form, "slug", "free-every-prisoner", "goal", "0", "title", "Changed"))
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("edit with goal 0: %d, want 422", w.Code)
	}
	mustContain(t, w.Body.String(), ce.msg("admin.petition.error.goal"))
	if p, _ := ce.petitionBySlug("free-every-prisoner"); p.Title != "Free every prisoner now" {
		t.Errorf("a refused edit saved the title %q", p.Title)
	}
	// The slug of another petition is refused.
	w = u.post("/admin/petitions/free-every-prisoner", petitionFormWith(form, "slug", "closed-petition"))
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("edit to another petition's slug: %d, want 422", w.Code)
	}
	mustContain(t, w.Body.String(), ce.msg("admin.petition.error.slug_taken", "closed-petition"))
}

func TestAdminPetitionFromConfigKeepsItsSlug(t *testing.T) {
	ce := newConsoleEnv(t)
	testutil.MustCreatePetition(t, ce.db, store.Petition{Slug: "from-config", Title: "Loaded", ConfigHash: "abc"})
	if err := ce.catalog.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	u := ce.signIn("organizer")
	edit := u.get("/admin/petitions/from-config/edit")
	if !byID(t, edit.Body.String(), "f-slug").has("readonly") {
		t.Error("the slug of a petition from config/ is editable")
	}
	form := petitionFormWith(newPetitionForm(), "slug", "renamed", "title", "Edited in the console")
	w := u.post("/admin/petitions/from-config", form)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("renaming a petition from config/: %d, want 422", w.Code)
	}
	mustContain(t, w.Body.String(), ce.msg("admin.petition.error.slug_locked", "from-config"))
	checkPetitionRedirect(t, u.post("/admin/petitions/from-config", petitionFormWith(form, "slug", "from-config")),
		"/admin/petitions/from-config/edit?done=saved")
	mustContain(t, ce.get("/petitions/from-config").Body.String(), "Edited in the console")
}

func TestAdminPetitionCloseAndOpen(t *testing.T) {
	ce := newConsoleEnv(t)
	u := ce.signIn("organizer")
	closedMsg := ce.msg("petition.closed")
	mustNotContain(t, ce.get("/petitions/open-petition").Body.String(), closedMsg)

	checkPetitionRedirect(t, u.post("/admin/petitions/open-petition/status", url.Values{"action": {"close"}}),
		"/admin/petitions/open-petition/edit?done=closed")
	mustContain(t, ce.get("/petitions/open-petition").Body.String(), closedMsg)
	if w := ce.postForm("open-petition", ce.validForm("one@example.org")); w.Code != http.StatusConflict {
		t.Errorf("signing a closed petition: %d, want 409", w.Code)
	}
	edit := u.get("/admin/petitions/open-petition/edit?done=closed")
	mustContain(t, edit.Body.String(), ce.msg("admin.petition.done.closed"))
	mustContain(t, edit.Body.String(), `value="open"`)

	checkPetitionRedirect(t, u.post("/admin/petitions/open-petition/status", url.Values{"action": {"open"}}),
		"/admin/petitions/open-petition/edit?done=opened")
	mustNotContain(t, ce.get("/petitions/open-petition").Body.String(), closedMsg)
	if w := ce.postForm("open-petition", ce.validForm("two@example.org")); w.Code != http.StatusSeeOther {
		t.Errorf("signing the reopened petition: %d, want 303", w.Code)
	}
	if ce.petitionAuditCount("petition.close") != 1 || ce.petitionAuditCount("petition.open") != 1 {
		t.Errorf("audit log %v, want one petition.close and one petition.open", ce.auditActions())
	}
	// Opening an open petition changes nothing and records nothing.
	checkPetitionRedirect(t, u.post("/admin/petitions/open-petition/status", url.Values{"action": {"open"}}),
		"/admin/petitions/open-petition/edit?done=opened")
	if n := ce.petitionAuditCount("petition.open"); n != 1 {
		t.Errorf("%d petition.open entries after opening an open petition, want 1", n)
	}
	if w := u.post("/admin/petitions/open-petition/status", url.Values{"action": {"delete"}}); w.Code != http.StatusBadRequest {
		t.Errorf("unknown action: %d, want 400", w.Code)
	}
}

func TestAdminPetitionFeature(t *testing.T) {
	ce := newConsoleEnv(t)
	u := ce.signIn("organizer")
	panel := func() string { return section(t, ce.get("/").Body.String(), `<aside class="sign-panel"`, "</aside>") }
	mustContain(t, panel(), "Free the prisoners")

	checkPetitionRedirect(t, u.post("/admin/petitions/closed-petition/status", url.Values{"action": {"feature"}}),
		"/admin/petitions/closed-petition/edit?done=featured")
	got := panel()
	mustContain(t, got, "An old petition")
	mustNotContain(t, got, "Free the prisoners")
	if p, _ := ce.petitionBySlug("open-petition"); p.Featured {
		t.Error("the previously featured petition is still featured")
	}
	if n := ce.petitionAuditCount("petition.feature"); n != 1 {
		t.Errorf("%d petition.feature audit entries, want 1", n)
	}
	if dash := u.get("/admin").Body.String(); !strings.Contains(dash, `href="/admin/petitions/closed-petition/edit"`) {
		t.Error("the dashboard has no edit link for an organizer")
	}
}

// petitionRoutes are the editor's routes with a form each would accept.
func petitionRoutes() []struct {
	method, path string
	form         url.Values
} {
	return []struct {
		method, path string
		form         url.Values
	}{
		{http.MethodGet, "/admin/petitions/new", nil},
		{http.MethodGet, "/admin/petitions/open-petition/edit", nil},
		{http.MethodPost, "/admin/petitions", newPetitionForm()},
		{http.MethodPost, "/admin/petitions/open-petition", petitionFormWith(newPetitionForm(), "slug", "open-petition", "title", "Hijacked")},
		{http.MethodPost, "/admin/petitions/open-petition/status", url.Values{"action": {"close"}}},
		{http.MethodPost, "/admin/petitions/closed-petition/status", url.Values{"action": {"feature"}}},
	}
}

// checkPetitionsUntouched fails when a refused request changed a petition.
func checkPetitionsUntouched(t *testing.T, ce *consoleEnv) {
	t.Helper()
	p, _ := ce.petitionBySlug("open-petition")
	if p.Title != "Free the prisoners" || p.Status != store.PetitionOpen || !p.Featured {
		t.Errorf("a refused request changed the petition: title %q status %q featured %v", p.Title, p.Status, p.Featured)
	}
	if _, err := ce.petitionBySlug("stop-the-raids"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused request created a petition (err %v)", err)
	}
}

func TestAdminPetitionRoutesRefuseViewer(t *testing.T) {
	ce := newConsoleEnv(t)
	u := ce.signIn("viewer")
	for _, r := range petitionRoutes() {
		var code int
		if r.method == http.MethodGet {
			code = u.get(r.path).Code
		} else {
			code = u.post(r.path, r.form).Code
		}
		if code != http.StatusForbidden {
			t.Errorf("viewer %s %s: %d, want 403", r.method, r.path, code)
		}
	}
	checkPetitionsUntouched(t, ce)
	if dash := u.get("/admin").Body.String(); strings.Contains(dash, "/edit\"") {
		t.Error("the dashboard shows edit links to a viewer")
	}
}

func TestAdminPetitionPostsNeedCSRF(t *testing.T) {
	ce := newConsoleEnv(t)
	u := ce.signIn("organizer")
	for _, r := range petitionRoutes() {
		if r.method != http.MethodPost {
			continue
		}
		w := u.do(http.MethodPost, r.path, r.form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
		if w.Code != http.StatusForbidden {
			t.Errorf("POST %s without the CSRF token: %d, want 403", r.path, w.Code)
		}
	}
	checkPetitionsUntouched(t, ce)
	if a := ce.auditActions(); slices.ContainsFunc(a, func(s string) bool { return strings.HasPrefix(s, "petition.") }) {
		t.Errorf("refused requests were audited: %v", a)
	}
}

func TestAdminPetitionUnknownSlug(t *testing.T) {
	ce := newConsoleEnv(t)
	u := ce.signIn("organizer")
	if w := u.get("/admin/petitions/no-such-one/edit"); w.Code != http.StatusNotFound {
		t.Errorf("editor of an unknown petition: %d, want 404", w.Code)
	}
	if w := u.post("/admin/petitions/no-such-one", newPetitionForm()); w.Code != http.StatusNotFound {
		t.Errorf("update of an unknown petition: %d, want 404", w.Code)
	}
	if w := u.post("/admin/petitions/no-such-one/status", url.Values{"action": {"close"}}); w.Code != http.StatusNotFound {
		t.Errorf("status of an unknown petition: %d, want 404", w.Code)
	}
}
