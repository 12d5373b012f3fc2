package server_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestLanguageNegotiationAndSwitch(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name    string
		target  string
		headers []string
		want    string // <html lang>
	}{
		{"default English", "/privacy", nil, "en"},
		{"Accept-Language Khmer", "/privacy", []string{"Accept-Language", "km-KH,km;q=0.9,en;q=0.5"}, "km"},
		{"Accept-Language unknown falls back", "/privacy", []string{"Accept-Language", "de-DE"}, "en"},
		{"cookie wins over the browser", "/privacy", []string{"Accept-Language", "km", "Cookie", "lang=fr"}, "fr"},
		{"?lang wins over the cookie", "/privacy?lang=th", []string{"Cookie", "lang=fr"}, "th"},
		{"cached home page per language", "/?lang=km", nil, "km"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := e.get(tt.target, tt.headers...).Body.String()
			if !strings.Contains(body, `<html lang="`+tt.want+`">`) {
				t.Errorf("page is not in %s: %.120s", tt.want, body)
			}
		})
	}
	// The switch remembers the choice in a cookie and goes back to the page.
	w := e.get("/language/th?next=/petitions")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/petitions" {
		t.Errorf("switch: %d to %q, want 303 to /petitions", w.Code, w.Header().Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == "lang" {
			cookie = c
		}
	}
	if cookie == nil || cookie.Value != "th" || !cookie.HttpOnly {
		t.Fatalf("language cookie %+v, want lang=th, HttpOnly", cookie)
	}
	for _, evil := range []string{"https://evil.example/", "//evil.example/", "/\\evil.example"} {
		if loc := e.get("/language/fr?next=" + evil).Header().Get("Location"); loc != "/" {
			t.Errorf("next=%q redirected to %q, want / (no open redirect)", evil, loc)
		}
	}
	if w := e.get("/language/xx"); w.Code != http.StatusNotFound {
		t.Errorf("unknown language: %d, want 404", w.Code)
	}
	// Every page links every language, with hreflang.
	home := e.get("/").Body.String()
	for _, code := range []string{"en", "km", "th", "fr"} {
		mustContain(t, home, `hreflang="`+code+`"`)
		mustContain(t, home, `href="/language/`+code+`?next=%2f"`)
	}
}
