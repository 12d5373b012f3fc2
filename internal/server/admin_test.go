package server_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/auth"
)

func TestConsoleSignInAndOut(t *testing.T) {
	ce := newConsoleEnv(t)
	if w := ce.get("/admin"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin/login" {
		t.Fatalf("anonymous GET /admin: %d to %q, want 303 to /admin/login", w.Code, w.Header().Get("Location"))
	}
	u := ce.signIn("owner")
	dash := u.get("/admin")
	if dash.Code != http.StatusOK {
		t.Fatalf("dashboard after sign-in: %d", dash.Code)
	}
	mustContain(t, dash.Body.String(), "Free the prisoners")
	var session *http.Cookie
	for _, c := range u.jar.Cookies(mustURL(t, "http://campaign.test/admin")) {
		if c.Name == "campaign_session" {
			session = c
		}
	}
	if session == nil {
		t.Fatal("no session cookie for /admin")
	}
	if w := u.post("/admin/logout", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("logout: %d, want 303", w.Code)
	}
	// The old cookie no longer opens the console: the session ended on the server.
	w := ce.get("/admin", "Cookie", "campaign_session="+session.Value)
	if w.Code != http.StatusSeeOther {
		t.Errorf("the session cookie still works after logout (status %d)", w.Code)
	}
	if a := ce.auditActions(); !slices.Contains(a, "login") || !slices.Contains(a, "logout") {
		t.Errorf("audit log %v lacks login and logout", a)
	}
}

func TestLoginFailsTheSameWayForUnknownAndWrong(t *testing.T) {
	ce := newConsoleEnv(t)
	ce.mustAccount("someone@campaign.test", "organizer")
	b := &consoleUser{browser: ce.newBrowser(), t: t}
	wrong := b.tryLogin("someone@campaign.test", "not the password!!")
	unknown := b.tryLogin("nobody@campaign.test", "not the password!!")
	if wrong.Code != http.StatusUnauthorized || unknown.Code != http.StatusUnauthorized {
		t.Fatalf("wrong password %d, unknown account %d; want 401 for both", wrong.Code, unknown.Code)
	}
	msg := ce.msg("admin.login.invalid")
	mustContain(t, wrong.Body.String(), msg)
	mustContain(t, unknown.Body.String(), msg)
	if a := ce.auditActions(); slices.Index(a, "login.failed") < 0 {
		t.Errorf("failed logins not audited: %v", a)
	}
}

func TestLoginIsThrottledPerAccount(t *testing.T) {
	ce := newConsoleEnv(t)
	ce.mustAccount("target@campaign.test", "owner")
	b := &consoleUser{browser: ce.newBrowser(), t: t}
	var last int
	for i := 0; i < 6; i++ {
		last = b.tryLogin("target@campaign.test", "guess number "+string(rune('a'+i))+"xxxxxxx").Code
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("6th wrong password in a row: %d, want 429", last)
	}
	// Even the right password is refused while throttled...
	if w := b.tryLogin("target@campaign.test", testPassword); w.Code != http.StatusTooManyRequests {
		t.Errorf("right password while throttled: %d, want 429", w.Code)
	}
	// ...and accepted after the wait.
	ce.clock.Advance(16 * time.Minute)
	if w := b.tryLogin("target@campaign.test", testPassword); w.Code != http.StatusSeeOther {
		t.Errorf("right password after 16 minutes: %d, want 303", w.Code)
	}
}

func TestSessionsExpire(t *testing.T) {
	tests := []struct {
		name  string
		steps []time.Duration // clock moves, with a request after each
		want  int             // status of the last request
	}{
		{"active session stays", []time.Duration{20 * time.Minute, 20 * time.Minute, 20 * time.Minute}, http.StatusOK},
		{"idle past 30 minutes", []time.Duration{auth.IdleTimeout + time.Minute}, http.StatusSeeOther},
		{"absolute 12 hours even when active", func() []time.Duration {
			var d []time.Duration
			for i := 0; i < 26; i++ {
				d = append(d, 28*time.Minute)
			}
			return d
		}(), http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ce := newConsoleEnv(t)
			u := ce.signIn("viewer")
			var last int
			for _, d := range tt.steps {
				ce.clock.Advance(d)
				last = u.get("/admin").Code
			}
			if last != tt.want {
				t.Errorf("last request: %d, want %d", last, tt.want)
			}
		})
	}
}

func TestConsolePostWithoutCSRFIsRefused(t *testing.T) {
	ce := newConsoleEnv(t)
	u := ce.signIn("owner")
	w := u.do(http.MethodPost, "/admin/logout", "", "Content-Type", "application/x-www-form-urlencoded")
	if w.Code != http.StatusForbidden {
		t.Errorf("logout without CSRF token: %d, want 403", w.Code)
	}
	w = u.do(http.MethodPost, "/admin/logout", "csrf=forged", "Content-Type", "application/x-www-form-urlencoded")
	if w.Code != http.StatusForbidden {
		t.Errorf("logout with a wrong CSRF token: %d, want 403", w.Code)
	}
	if u.get("/admin").Code != http.StatusOK {
		t.Error("the refused POSTs ended the session anyway")
	}
	// The login form too needs its own token.
	b := ce.newBrowser()
	w = b.do(http.MethodPost, "/admin/login", "email=owner%40campaign.test&password=x", "Content-Type", "application/x-www-form-urlencoded")
	if w.Code != http.StatusForbidden {
		t.Errorf("login POST without the form's token: %d, want 403", w.Code)
	}
}

func TestConsoleCookiesAreStrict(t *testing.T) {
	ce := newConsoleEnv(t, withBaseURL("https://campaign.test"))
	ce.mustAccount("o@campaign.test", "owner")
	page := ce.get("/admin/login")
	var loginCookie *http.Cookie
	for _, c := range page.Result().Cookies() {
		if c.Name == "campaign_login" {
			loginCookie = c
		}
	}
	if loginCookie == nil || !loginCookie.Secure || !loginCookie.HttpOnly {
		t.Fatalf("login form cookie %+v, want a Secure HttpOnly cookie", loginCookie)
	}
	form := "email=o%40campaign.test&password=" + url.QueryEscape(testPassword) + "&csrf=" + loginCookie.Value
	w := ce.do(http.MethodPost, "/admin/login", form, "Content-Type", "application/x-www-form-urlencoded",
		"Cookie", "campaign_login="+loginCookie.Value)
	for _, c := range w.Result().Cookies() {
		if c.Name != "campaign_session" {
			continue
		}
		if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/admin" {
			t.Errorf("session cookie HttpOnly=%v Secure=%v SameSite=%v Path=%q; want true, true, Strict, /admin",
				c.HttpOnly, c.Secure, c.SameSite, c.Path)
		}
		if strings.Contains(c.Value, "o@campaign.test") {
			t.Error("the session cookie carries the account's email")
		}
		return
	}
	t.Fatal("login set no session cookie")
}
