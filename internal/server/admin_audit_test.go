package server_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/store"
)

func TestAuditLogShowsWhoDidWhat(t *testing.T) {
	ce := newConsoleEnv(t)
	ce.mustAccount("organizer@campaign.test", "organizer")
	stranger := &consoleUser{browser: ce.newBrowser(), t: t}
	stranger.tryLogin("organizer@campaign.test", "a wrong password!")
	u := ce.signInAs("organizer@campaign.test", testPassword)
	// Entries other screens write (exports, letters) show the same way.
	if err := ce.db.AddAudit(context.Background(), &store.AuditEntry{Actor: "cli", Action: "export.csv",
		Target: "open-petition", Detail: "without emails <b>", RowCount: 1234}); err != nil {
		t.Fatal(err)
	}
	w := u.get("/admin/audit")
	if w.Code != http.StatusOK {
		t.Fatalf("GET /admin/audit: %d", w.Code)
	}
	body := w.Body.String()
	rows := strings.Split(section(t, body, "<tbody>", "</tbody>"), "<tr>")[1:]
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4 (account.create, login.failed, login, export.csv)", len(rows))
	}
	wantNewestFirst := []struct{ action, actor, extra string }{
		{"export.csv", "cli", "1,234"},
		{"login", "organizer@campaign.test", ""},
		{"login.failed", "organizer@campaign.test", ""},
		{"account.create", "test", "role organizer"},
	}
	for i, want := range wantNewestFirst {
		if !strings.Contains(rows[i], "<code>"+want.action+"</code>") || !strings.Contains(rows[i], want.actor) ||
			!strings.Contains(rows[i], want.extra) {
			t.Errorf("row %d is %q, want %s by %s showing %q", i, rows[i], want.action, want.actor, want.extra)
		}
		if !strings.Contains(rows[i], " UTC") {
			t.Errorf("row %d gives no UTC time", i)
		}
	}
	mustContain(t, body, "without emails &lt;b&gt;")
}

func TestAuditLogPaginates(t *testing.T) {
	ce := newConsoleEnv(t)
	u := ce.signIn("owner") // writes account.create and login: entries 1 and 2
	for i := range 118 {
		if err := ce.db.AddAudit(context.Background(), &store.AuditEntry{Actor: "cli",
			Action: "test.entry", Target: fmt.Sprintf("entry-%03d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	var perPage []int
	next := "/admin/audit"
	for next != "" && len(perPage) < 5 {
		w := u.get(next)
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", next, w.Code)
		}
		body := w.Body.String()
		rows := strings.Split(section(t, body, "<tbody>", "</tbody>"), "<tr>")[1:]
		perPage = append(perPage, len(rows))
		for _, r := range rows {
			if seen[r] {
				t.Errorf("row shown twice: %s", r)
			}
			seen[r] = true
		}
		if len(perPage) == 1 && !strings.Contains(rows[0], "entry-117") {
			t.Errorf("the first row is %q, want the newest entry (entry-117)", rows[0])
		}
		next = ""
		for _, a := range tagsNamed(body, "a") {
			if a.attrs["rel"] == "next" {
				next = a.attrs["href"]
			}
		}
	}
	if fmt.Sprint(perPage) != "[50 50 20]" {
		t.Errorf("pages of %v rows, want [50 50 20]", perPage)
	}
	if w := u.get("/admin/audit?before=-3"); w.Code != http.StatusNotFound {
		t.Errorf("a bad cursor: %d, want 404", w.Code)
	}
}

func TestAuditLogIsReadOnly(t *testing.T) {
	ce := newConsoleEnv(t)
	u := ce.signIn("owner")
	before := ce.auditActions()
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		w := u.do(m, "/admin/audit", "csrf="+u.csrf, "Content-Type", "application/x-www-form-urlencoded")
		if w.Code != http.StatusNotFound && w.Code != http.StatusMethodNotAllowed {
			t.Errorf("%s /admin/audit: %d, want 404 or 405", m, w.Code)
		}
	}
	for _, path := range []string{"/admin/audit/1", "/admin/audit/1/delete", "/admin/audit/1/edit"} {
		if w := u.post(path, nil); w.Code != http.StatusNotFound && w.Code != http.StatusMethodNotAllowed {
			t.Errorf("POST %s: %d, want 404 or 405", path, w.Code)
		}
	}
	if after := ce.auditActions(); len(after) != len(before) {
		t.Errorf("the audit log went from %d to %d entries", len(before), len(after))
	}
	// The page offers no form but the layout's sign-out.
	for _, f := range tagsNamed(u.get("/admin/audit").Body.String(), "form") {
		if f.attrs["action"] != "/admin/logout" {
			t.Errorf("the audit page has a form to %s", f.attrs["action"])
		}
	}
	// Nor can any code in the store change the log: it can only add and read.
	dbType := reflect.TypeFor[*store.DB]()
	for i := range dbType.NumMethod() {
		name := dbType.Method(i).Name
		if strings.Contains(name, "Audit") && name != "AddAudit" && name != "FindAudit" {
			t.Errorf("store.DB has %s: the audit log must have no update or delete method", name)
		}
	}
}

// lastAudit returns the newest audit entry with action, failing without one.
func lastAudit(t *testing.T, ce *consoleEnv, action string) *store.AuditEntry {
	t.Helper()
	entries, err := ce.db.FindAudit(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Action == action {
			return e
		}
	}
	t.Fatalf("no %q entry in the audit log", action)
	return nil
}
