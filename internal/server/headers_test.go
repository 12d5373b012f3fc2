package server_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// Issue 8, "Headers and origins": every response, whatever made it (page,
// asset, JSON, redirect, error, console), carries the same strict headers.
// security_test.go checks the public HTML pages; this file checks every
// other kind of response and reads the policies directive by directive.

// kindOfResponse is one response and the status that shows it is the
// kind its name says (a test of a redirect that is really a 404 proves less).
type kindOfResponse struct {
	w      *httptest.ResponseRecorder
	status int
}

// everyKindOfResponse answers one request of each kind the server makes,
// with a signed-in owner for the console.
func everyKindOfResponse(t *testing.T, ce *consoleEnv) map[string]kindOfResponse {
	t.Helper()
	home := ce.get("/")
	var css string
	for _, l := range tagsNamed(home.Body.String(), "link") {
		if l.attrs["rel"] == "stylesheet" {
			css = l.attrs["href"]
		}
	}
	if !strings.HasPrefix(css, "/static/") {
		t.Fatalf("home page links no stylesheet under /static/ (got %q)", css)
	}
	owner := ce.signIn("owner")
	return map[string]kindOfResponse{
		"page":                {home, http.StatusOK},
		"stylesheet":          {ce.get(css), http.StatusOK},
		"missing asset":       {ce.get("/static/nope.css"), http.StatusNotFound},
		"JSON":                {ce.get("/api/petitions/open-petition"), http.StatusOK},
		"JSON error":          {ce.postJSON("open-petition", `{"name":`), http.StatusBadRequest},
		"health":              {ce.get("/healthz"), http.StatusOK},
		"redirect":            {ce.postForm("open-petition", ce.validForm("headers@example.org")), http.StatusSeeOther},
		"404":                 {ce.get("/nope"), http.StatusNotFound},
		"405":                 {ce.do(http.MethodDelete, "/", ""), http.StatusMethodNotAllowed},
		"login page":          {ce.get("/admin/login"), http.StatusOK},
		"console, signed out": {ce.get("/admin"), http.StatusSeeOther},
		"console":             {owner.get("/admin"), http.StatusOK},
		"console accounts":    {owner.get("/admin/accounts"), http.StatusOK},
		"CSV export":          {owner.get("/admin/petitions/open-petition/export.csv"), http.StatusOK},
	}
}

// directives splits a Content-Security-Policy into its directives.
func directives(csp string) map[string][]string {
	out := map[string][]string{}
	for _, d := range strings.Split(csp, ";") {
		f := strings.Fields(d)
		if len(f) > 0 {
			out[f[0]] = f[1:]
		}
	}
	return out
}

// deniedFeatures are the features the Permissions-Policy must turn off:
// the site uses none of them.
var deniedFeatures = []string{
	"camera", "microphone", "geolocation", "payment", "usb", "interest-cohort", "browsing-topics",
	"display-capture", "serial", "hid", "midi", "accelerometer", "gyroscope", "magnetometer",
	"idle-detection", "screen-wake-lock", "xr-spatial-tracking", "autoplay", "fullscreen",
}

// checkHeaders asserts issue 8's headers on one response.
func checkHeaders(t *testing.T, h http.Header) {
	t.Helper()
	for _, p := range headerProblems(h, sitePolicy) {
		t.Error(p)
	}
}

// headerProblems lists how h misses issue 8's headers; policy judges its
// Content-Security-Policy (sitePolicy for all but a letter's print page).
// The browser test applies it to every response Chromium receives.
func headerProblems(h http.Header, policy func(csp string) []string) []string {
	var out []string
	if csp := h.Values("Content-Security-Policy"); len(csp) != 1 {
		out = append(out, fmt.Sprintf("%d Content-Security-Policy headers, want 1: %q", len(csp), csp))
	} else {
		out = append(out, policy(csp[0])...)
	}
	for name, want := range map[string]string{
		"Referrer-Policy":        "no-referrer",
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
	} {
		if got := h.Get(name); got != want {
			out = append(out, fmt.Sprintf("%s %q, want %q", name, got, want))
		}
	}
	allowed := map[string]string{}
	for _, f := range strings.Split(h.Get("Permissions-Policy"), ",") {
		name, list, _ := strings.Cut(strings.TrimSpace(f), "=")
		allowed[name] = list
	}
	for _, f := range deniedFeatures {
		if got, ok := allowed[f]; !ok || got != "()" {
			out = append(out, fmt.Sprintf("Permissions-Policy gives %s %q, want () (denied)", f, got))
		}
	}
	for f, list := range allowed {
		if list != "()" {
			out = append(out, fmt.Sprintf("Permissions-Policy allows %s to %s; the site uses no such feature", f, list))
		}
	}
	return out
}

// sitePolicy judges the Content-Security-Policy of every response but a
// letter's print page: this origin only, nothing inline, no framing.
func sitePolicy(csp string) []string {
	var out []string
	d := directives(csp)
	for name, want := range map[string][]string{
		"default-src":     {"'self'"},
		"script-src":      {"'self'"},
		"style-src":       {"'self'"},
		"object-src":      {"'none'"},
		"base-uri":        {"'none'"},
		"form-action":     {"'self'"},
		"frame-ancestors": {"'none'"},
	} {
		if !slices.Equal(d[name], want) {
			out = append(out, fmt.Sprintf("CSP %s %q, want %q (policy %q)", name, d[name], want, csp))
		}
	}
	return append(out, unsafeSources(d)...)
}

// unsafeSources lists the sources that reopen inline code, eval or other
// origins, in any directive.
func unsafeSources(d map[string][]string) []string {
	var out []string
	for name, sources := range d {
		for _, src := range sources {
			if strings.Contains(src, "unsafe") || src == "*" || strings.Contains(src, "://") || src == "http:" || src == "https:" {
				out = append(out, fmt.Sprintf("CSP %s allows %s", name, src))
			}
		}
	}
	return out
}

func TestHeadersOnEveryKindOfResponse(t *testing.T) {
	ce := newConsoleEnv(t)
	for name, r := range everyKindOfResponse(t, ce) {
		t.Run(name, func(t *testing.T) {
			if r.w.Code != r.status {
				t.Errorf("status %d, want %d", r.w.Code, r.status)
			}
			checkHeaders(t, r.w.Header())
			if got := r.w.Header().Get("Strict-Transport-Security"); got != "" {
				t.Errorf("HSTS %q over plain http, want none (it would lock out an http-only install)", got)
			}
		})
	}
}

func TestHSTSOnEveryKindOfResponseOverHTTPS(t *testing.T) {
	e := newEnv(t, withBaseURL("https://campaign.test"))
	for target, w := range map[string]*httptest.ResponseRecorder{
		"/":                            e.get("/"),
		"/api/petitions/open-petition": e.get("/api/petitions/open-petition"),
		"/healthz":                     e.get("/healthz"),
		"/admin/login":                 e.get("/admin/login"),
		"POST signature":               e.postForm("open-petition", e.validForm("hsts@example.org")),
	} {
		hsts := w.Header().Get("Strict-Transport-Security")
		// Two years, subdomains too: long enough for preload lists.
		if !strings.Contains(hsts, "max-age=63072000") || !strings.Contains(hsts, "includeSubDomains") {
			t.Errorf("%s over https: HSTS %q, want max-age=63072000; includeSubDomains", target, hsts)
		}
		checkHeaders(t, w.Header())
	}
}
