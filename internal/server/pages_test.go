package server_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/country"
)

func TestHomeShowsArticleAndFeaturedPetition(t *testing.T) {
	e := newEnv(t)
	w := e.get("/")
	if w.Code != http.StatusOK {
		t.Fatalf("GET /: status %d, want 200", w.Code)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("GET /: Content-Type %q, want text/html; charset=utf-8", ct)
	}
	body := w.Body.String()
	mustContain(t, body, `<h1 id="article-title">The article title</h1>`)
	mustContain(t, body, "<p>Article body text.</p>")
	mustContain(t, body, `<a href="/petitions/open-petition">Free the prisoners</a>`)
	mustContain(t, body, e.msg("petition.count_zero"))
	mustContain(t, body, `action="/petitions/open-petition/signatures"`)
	mustNotContain(t, body, "An old petition")

	e.counter.Add(e.open.ID, "US", 1234)
	mustContain(t, e.get("/").Body.String(), "1,234 people have signed")
}

// TestSignFormMarkup checks the form a signer fills in, on both pages that
// carry it.
func TestSignFormMarkup(t *testing.T) {
	for _, target := range []string{"/", "/petitions/open-petition"} {
		t.Run(target, func(t *testing.T) {
			e := newEnv(t)
			body := e.get(target).Body.String()
			form := section(t, body, `<form class="sign"`, "</form>")

			el := elementsByID(t, body) // also fails on a duplicate id
			// Every control has a label tied to it by for/id.
			labels := map[string]bool{}
			for _, l := range tagsNamed(form, "label") {
				labels[l.attrs["for"]] = true
			}
			controls := 0
			for _, tg := range tags(form) {
				if tg.name != "input" && tg.name != "select" && tg.name != "textarea" {
					continue
				}
				if tg.attrs["type"] == "hidden" {
					continue
				}
				controls++
				id := tg.attrs["id"]
				if id == "" {
					t.Errorf("<%s name=%q> has no id, so no label can point at it", tg.name, tg.attrs["name"])
					continue
				}
				if _, ok := el[id]; !ok {
					t.Errorf("id %q not found on the page", id)
				}
				if !labels[id] {
					t.Errorf("<%s id=%q> has no <label for=%q>", tg.name, id, id)
				}
			}
			// name, email, country, city, comment, three consents, honeypot.
			if controls != 9 {
				t.Errorf("form has %d visible controls, want 9", controls)
			}

			// The three consents exist and are off by default.
			for _, name := range []string{"public", "include_in_letters", "updates"} {
				found := false
				for _, in := range tagsNamed(form, "input") {
					if in.attrs["name"] != name {
						continue
					}
					found = true
					if in.attrs["type"] != "checkbox" {
						t.Errorf("consent %q is type %q, want checkbox", name, in.attrs["type"])
					}
					if in.has("checked") {
						t.Errorf("consent %q is checked by default; every consent must start off", name)
					}
				}
				if !found {
					t.Errorf("form has no %q consent checkbox", name)
				}
			}

			// The country list is complete, with nothing chosen for the signer.
			sel := section(t, form, `<select id="f-country"`, "</select>")
			var codes []string
			for _, o := range tagsNamed(sel, "option") {
				if o.has("selected") {
					t.Errorf("option %q is preselected; the signer must choose", o.attrs["value"])
				}
				if o.attrs["value"] != "" {
					codes = append(codes, o.attrs["value"])
				}
			}
			if want := len(country.All()); len(codes) != want || want < 240 {
				t.Errorf("country select has %d countries, want all %d (about 250)", len(codes), want)
			}
			mustContain(t, sel, `<option value="KH">Cambodia</option>`)
			mustContain(t, sel, `<option value="TH">Thailand</option>`)

			// Honeypot: present, empty, out of the tab order.
			hp := byID(t, form, "f-website")
			if hp.attrs["name"] != "website" || hp.attrs["value"] != "" || hp.attrs["tabindex"] != "-1" {
				t.Errorf("honeypot is %v, want an empty name=website field with tabindex=-1", hp.attrs)
			}
			// Fill-time token: hidden, and one this server issued.
			var tok string
			for _, in := range tagsNamed(form, "input") {
				if in.attrs["name"] == "t" && in.attrs["type"] == "hidden" {
					tok = in.attrs["value"]
				}
			}
			if _, ok := e.vault.CheckFormToken(tok); !ok {
				t.Errorf("hidden token %q is missing or not valid", tok)
			}
		})
	}
}

func TestPetitionList(t *testing.T) {
	e := newEnv(t)
	w := e.get("/petitions")
	if w.Code != http.StatusOK {
		t.Fatalf("GET /petitions: status %d, want 200", w.Code)
	}
	body := w.Body.String()
	cards := strings.Split(body, `<li class="card">`)[1:]
	if len(cards) != 2 {
		t.Fatalf("page lists %d petitions, want 2", len(cards))
	}
	badge := map[string]string{}
	for _, c := range cards {
		c = strings.SplitN(c, "</li>", 2)[0]
		for _, title := range []string{"Free the prisoners", "An old petition"} {
			if strings.Contains(c, ">"+title+"</a>") {
				badge[title] = c
			}
		}
	}
	tests := []struct{ title, href, badge, notBadge string }{
		{"Free the prisoners", "/petitions/open-petition", `<p class="badge badge-open">` + e.msg("petition.open") + "</p>", "badge-closed"},
		{"An old petition", "/petitions/closed-petition", `<p class="badge badge-closed">` + e.msg("petition.closed_badge") + "</p>", "badge-open"},
	}
	for _, tt := range tests {
		c, ok := badge[tt.title]
		if !ok {
			t.Errorf("no card for %q", tt.title)
			continue
		}
		mustContain(t, c, `href="`+tt.href+`"`)
		mustContain(t, c, tt.badge)
		mustNotContain(t, c, tt.notBadge)
	}
}

func TestPetitionPage(t *testing.T) {
	e := newEnv(t)
	e.counter.Add(e.open.ID, "US", 42)
	w := e.get("/petitions/open-petition")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", w.Code)
	}
	body := w.Body.String()
	mustContain(t, body, `<h1 id="petition-title">Free the prisoners</h1>`)
	mustContain(t, body, "A petition used in tests.")
	mustContain(t, body, "Body of the <strong>test</strong> petition.")
	mustContain(t, body, `<ol class="demands"><li>Do the right thing</li></ol>`)
	mustContain(t, body, `<p class="addressed">United States, United Kingdom</p>`)
	mustContain(t, body, "42 people have signed")
	mustContain(t, body, "Goal: 500 signatures")
	mustContain(t, body, `<form class="sign" method="post" action="/petitions/open-petition/signatures"`)
	mustNotContain(t, body, e.msg("petition.closed"))
}

func TestClosedPetitionPageHasNoForm(t *testing.T) {
	e := newEnv(t)
	w := e.get("/petitions/closed-petition")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", w.Code)
	}
	body := w.Body.String()
	mustContain(t, body, `<h1 id="petition-title">An old petition</h1>`)
	mustContain(t, body, e.msg("petition.closed"))
	mustNotContain(t, body, "<form")
	mustNotContain(t, body, `name="email"`)
	mustNotContain(t, body, `href="#sign"`) // no "sign below" jump link either
}

func TestNotFoundPages(t *testing.T) {
	for _, target := range []string{"/petitions/unknown", "/no/such/page", "/static/nope", "/petitions/unknown/thanks"} {
		t.Run(target, func(t *testing.T) {
			e := newEnv(t)
			w := e.get(target)
			if w.Code != http.StatusNotFound {
				t.Fatalf("GET %s: status %d, want 404", target, w.Code)
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type %q, want an HTML page", ct)
			}
			body := w.Body.String()
			mustContain(t, body, e.msg("error.not_found"))
			mustContain(t, body, `<a href="/">`+e.msg("error.home")+`</a>`)
			// The reference lets a report be matched to a log line.
			mustContain(t, body, w.Header().Get("X-Request-Id"))
		})
	}
}

func TestWrongMethod(t *testing.T) {
	tests := []struct{ method, target, allow string }{
		{http.MethodDelete, "/", "GET"},
		{http.MethodPost, "/privacy", "GET"},
		{http.MethodPut, "/petitions/open-petition/signatures", "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			e := newEnv(t)
			w := e.do(tt.method, tt.target, "")
			if w.Code != http.StatusMethodNotAllowed {
				t.Fatalf("status %d, want 405", w.Code)
			}
			if got := w.Header().Get("Allow"); !strings.Contains(got, tt.allow) {
				t.Errorf("Allow %q, want it to list %s", got, tt.allow)
			}
			mustContain(t, w.Body.String(), e.msg("error.method"))
		})
	}
}

func TestPrivacyPage(t *testing.T) {
	e := newEnv(t, withMinPublicCount(10))
	w := e.get("/privacy")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", w.Code)
	}
	body := w.Body.String()
	mustContain(t, body, "<h1>"+e.msg("privacy.title")+"</h1>")
	mustContain(t, body, e.msg("privacy.not_stored"))
	mustContain(t, body, e.msg("privacy.public", "10"))
	mustContain(t, body, e.msg("privacy.withdraw"))
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	for _, target := range []string{"/healthz", "/readyz"} {
		w := e.get(target)
		if w.Code != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200", target, w.Code)
		}
		if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("GET %s: Cache-Control %q, want no-store", target, cc)
		}
	}

	down := newEnv(t, withReady(func(context.Context) error { return errors.New("database is locked") }))
	w := down.get("/readyz")
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz while not ready: status %d, want 503", w.Code)
	}
	mustNotContain(t, w.Body.String(), "database is locked") // the cause goes to the log only
	if w := down.get("/healthz"); w.Code != http.StatusOK {
		t.Errorf("GET /healthz while not ready: status %d, want 200 (liveness is not readiness)", w.Code)
	}
}

func TestStaticAssets(t *testing.T) {
	e := newEnv(t)
	body := e.get("/").Body.String()
	var css string
	for _, l := range tagsNamed(body, "link") {
		if l.attrs["rel"] == "stylesheet" {
			css = l.attrs["href"]
		}
	}
	if !strings.HasPrefix(css, "/static/style.") || !strings.HasSuffix(css, ".css") || css == "/static/style.css" {
		t.Fatalf("stylesheet URL %q, want a fingerprinted /static/style.<hash>.css", css)
	}
	w := e.get(css)
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200", css, w.Code)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("Content-Type %q, want text/css", ct)
	}
	cc := w.Header().Get("Cache-Control")
	if !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
		t.Errorf("Cache-Control %q, want a year-long immutable lifetime", cc)
	}
	mustContain(t, w.Body.String(), ".hp {") // the honeypot is hidden by this stylesheet

	for _, l := range tagsNamed(body, "link") {
		if l.attrs["rel"] == "icon" {
			if w := e.get(l.attrs["href"]); w.Code != http.StatusOK {
				t.Errorf("GET icon %s: status %d, want 200", l.attrs["href"], w.Code)
			}
		}
	}
	// The unfingerprinted name is not served: it could be cached forever.
	if w := e.get("/static/style.css"); w.Code != http.StatusNotFound {
		t.Errorf("GET /static/style.css: status %d, want 404", w.Code)
	}
}
