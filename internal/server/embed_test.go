package server_test

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/ratelimit"
	"github.com/cambodia-sanctions/campaign/internal/server"
)

// The signing widget, /embed/:slug, for partner sites' iframes (issue 10).

const partnerOrigin = "https://partner.example"

func withEmbedOrigins(origins ...string) envOption {
	return func(o *server.Options) { o.EmbedOrigins = origins }
}

// postEmbed posts a form to the widget's sign endpoint in lang.
func (e *env) postEmbed(slug, lang string, form url.Values) *httptest.ResponseRecorder {
	return e.do(http.MethodPost, "/embed/"+slug+"/signatures?lang="+lang, form.Encode(),
		"Content-Type", "application/x-www-form-urlencoded")
}

// checkFramable asserts the widget's headers (framableProblems).
func checkFramable(t *testing.T, w *httptest.ResponseRecorder, ancestors ...string) {
	t.Helper()
	for _, p := range framableProblems(w.Header(), ancestors) {
		t.Error(p)
	}
}

// framableProblems lists how h misses the widget's headers: the site's
// policy and headers, but frame-ancestors names this site and the partners
// (ancestors), and there is no X-Frame-Options.
func framableProblems(h http.Header, ancestors []string) []string {
	var out []string
	for _, p := range headerProblems(h, func(csp string) []string {
		d := directives(csp)
		var out []string
		for _, p := range unsafeSources(d) {
			if !strings.HasPrefix(p, "CSP frame-ancestors allows ") { // naming the partners is the point
				out = append(out, p)
			}
		}
		for name, want := range map[string]string{"default-src": "'self'", "script-src": "'self'", "style-src": "'self'",
			"form-action": "'self'", "object-src": "'none'", "base-uri": "'none'"} {
			if !slices.Equal(d[name], []string{want}) {
				out = append(out, fmt.Sprintf("CSP %s %q, want %s", name, d[name], want))
			}
		}
		if !slices.Equal(d["frame-ancestors"], ancestors) {
			out = append(out, fmt.Sprintf("CSP frame-ancestors %q, want %q", d["frame-ancestors"], ancestors))
		}
		return out
	}) {
		if !strings.HasPrefix(p, "X-Frame-Options") {
			out = append(out, p)
		}
	}
	if got := h.Values("X-Frame-Options"); len(got) > 0 {
		out = append(out, fmt.Sprintf("X-Frame-Options %q on a widget page: browsers that honour it would refuse the partner's frame", got))
	}
	return out
}

func TestEmbedHeaders(t *testing.T) {
	ce := newConsoleEnv(t, withEmbedOrigins(partnerOrigin, "http://localhost:3000"),
		func(o *server.Options) { o.RateLimit = ratelimit.New(5, time.Minute, o.Now) })
	want := []string{"'self'", partnerOrigin, "http://localhost:3000"}

	t.Run("widget routes may be framed by the partners", func(t *testing.T) {
		bad := ce.validForm("embed-headers@example.org")
		bad.Del("name")
		for name, r := range map[string]kindOfResponse{
			"page":             {ce.get("/embed/open-petition"), http.StatusOK},
			"page in Khmer":    {ce.get("/embed/open-petition?lang=km"), http.StatusOK},
			"closed petition":  {ce.get("/embed/closed-petition"), http.StatusOK},
			"thanks":           {ce.postEmbed("open-petition", "en", ce.validForm("embed-headers@example.org")), http.StatusOK},
			"form with errors": {ce.postEmbed("open-petition", "en", bad), http.StatusUnprocessableEntity},
			"unknown petition": {ce.get("/embed/no-such-petition"), http.StatusNotFound},
			"sign closed":      {ce.postEmbed("closed-petition", "en", ce.validForm("embed-closed@example.org")), http.StatusConflict},
			"wrong type": {ce.do(http.MethodPost, "/embed/open-petition/signatures", `{"name":"x"}`,
				"Content-Type", "application/json"), http.StatusUnsupportedMediaType},
		} {
			t.Run(name, func(t *testing.T) {
				if r.w.Code != r.status {
					t.Errorf("status %d, want %d", r.w.Code, r.status)
				}
				checkFramable(t, r.w, want...)
				if strings.Contains(r.w.Body.String(), `class="site-header"`) {
					t.Error("the widget shows the site's header; inside a frame it must stay compact")
				}
			})
		}
		// The rate limit's answer shows in the frame too.
		var w *httptest.ResponseRecorder
		for range 10 {
			if w = ce.postEmbed("open-petition", "en", ce.validForm("embed-flood@example.org")); w.Code != http.StatusOK {
				break
			}
		}
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
			t.Fatalf("a flood from one client: status %d, Retry-After %q; want 429 with Retry-After", w.Code, w.Header().Get("Retry-After"))
		}
		checkFramable(t, w, want...)
		mustContain(t, w.Body.String(), ce.msg("error.rate_limited"))
	})

	t.Run("every other route still refuses framing", func(t *testing.T) {
		for name, r := range everyKindOfResponse(t, ce) {
			t.Run(name, func(t *testing.T) {
				checkHeaders(t, r.w.Header())
				if csp := r.w.Header().Get("Content-Security-Policy"); strings.Contains(csp, "partner.example") {
					t.Errorf("a partner origin appears outside the widget: %q", csp)
				}
			})
		}
		for _, target := range []string{"/embed", "/embed/", "/embed/open-petition/extra", "/petitions/open-petition/thanks"} {
			checkHeaders(t, ce.get(target).Header())
		}
	})
}

func TestEmbedWithoutPartnersIsFramableBySelfOnly(t *testing.T) {
	e := newEnv(t)
	w := e.get("/embed/open-petition")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	checkFramable(t, w, "'self'")
	checkHeaders(t, e.get("/petitions/open-petition").Header())
}

func TestEmbedOriginsAreChecked(t *testing.T) {
	for _, origin := range []string{"https://partner.example; script-src *", "'unsafe-inline'", "*", "partner.example"} {
		o := server.Options{EmbedOrigins: []string{origin}}
		if _, err := server.New(o); err == nil || !strings.Contains(err.Error(), "EmbedOrigins") {
			t.Errorf("server.New with EmbedOrigins %q: error %v, want one naming EmbedOrigins", origin, err)
		}
	}
}

func TestEmbedPage(t *testing.T) {
	e := newEnv(t, withEmbedOrigins(partnerOrigin), withTranslations(testTranslations))
	e.counter.Add(e.open.ID, "KH", 1234)
	w := e.get("/embed/open-petition")
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	text := html.UnescapeString(body)
	for _, want := range []string{"Free the prisoners", "1,234 people have signed", "Goal: 500 signatures"} {
		mustContain(t, text, want)
	}
	mustNotContain(t, body, "<script")

	forms := tagsNamed(body, "form")
	if len(forms) != 1 || forms[0].attrs["action"] != "/embed/open-petition/signatures?lang=en" || forms[0].attrs["method"] != "post" {
		t.Fatalf("widget forms %v, want one posting to the widget in its language", forms)
	}
	// The same fields as the petition page's form, honeypot and token too.
	fieldNames := func(page string) []string {
		var names []string
		for _, tg := range tags(section(t, page, `<form class="sign"`, "</form>")) {
			if n := tg.attrs["name"]; n != "" && (tg.name == "input" || tg.name == "select" || tg.name == "textarea") {
				names = append(names, n)
			}
		}
		return names
	}
	if got, want := fieldNames(body), fieldNames(e.get("/petitions/open-petition").Body.String()); !slices.Equal(got, want) {
		t.Errorf("widget form fields %q, the petition page's %q", got, want)
	}
	// Every link leaves the frame for a new tab, without handing it the
	// opener; the language links stay in the frame.
	for _, a := range tagsNamed(body, "a") {
		href := a.attrs["href"]
		if strings.HasPrefix(href, "/embed/") {
			continue
		}
		if a.attrs["target"] != "_blank" || !strings.Contains(a.attrs["rel"], "noopener") {
			t.Errorf("link %q: target %q rel %q, want _blank and noopener", href, a.attrs["target"], a.attrs["rel"])
		}
	}
	mustContain(t, body, `href="/petitions/open-petition" target="_blank" rel="noopener"`)

	t.Run("in another language", func(t *testing.T) {
		fr := e.get("/embed/open-petition?lang=fr").Body.String()
		mustContain(t, fr, `<html lang="fr">`)
		mustContain(t, html.UnescapeString(fr), "Libérez les prisonniers")
		mustContain(t, html.UnescapeString(fr), "1\u202f234")
		mustContain(t, fr, `action="/embed/open-petition/signatures?lang=fr"`)
		// Khmer has only the summary: the English title is marked and explained.
		km := e.get("/embed/open-petition?lang=km").Body.String()
		mustContain(t, km, `<h1 class="embed-title" lang="en">`)
		mustContain(t, km, e.note("km", "content.untranslated"))
		// The language comes from the browser when the snippet names none.
		th := e.get("/embed/open-petition", "Accept-Language", "th-TH,th;q=0.9").Body.String()
		mustContain(t, th, `action="/embed/open-petition/signatures?lang=th"`)
	})

	t.Run("closed petition", func(t *testing.T) {
		closed := e.get("/embed/closed-petition").Body.String()
		mustContain(t, closed, e.msg("petition.closed"))
		mustNotContain(t, closed, "<form")
	})
}

func TestEmbedSign(t *testing.T) {
	e := newEnv(t, withEmbedOrigins(partnerOrigin))
	before := e.counter.Get(e.open.ID).Total

	w := e.postEmbed("open-petition", "km", e.validForm("embed@example.org"))
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("sign in the widget: status %d, want 200 (the thanks, in the frame)", w.Code)
	}
	// Nothing rests on a cookie, which a browser may refuse to a frame.
	if c := w.Result().Cookies(); len(c) > 0 {
		t.Errorf("the widget's answer sets cookies %v; it must work without any", c)
	}
	if got := w.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q on a page with a receipt code, want no-store", got)
	}
	mustContain(t, body, `<html lang="km">`)
	mustContain(t, body, html.EscapeString(e.msgs.T("km", "thanks.receipt_title")))
	code := html.UnescapeString(section(t, body, `<p class="receipt-code"><code>`, "</code>"))
	code = strings.TrimSuffix(strings.TrimPrefix(code, `<p class="receipt-code"><code>`), "</code>")
	sig := e.findByEmail("embed@example.org")
	if !receiptRe.MatchString(code) || !e.receiptOpens(code, sig) {
		t.Errorf("receipt %q does not open the stored signature", code)
	}
	if sig.Lang != "km" || sig.Source != "embed" || sig.Country != "KH" {
		t.Errorf("stored signature: lang %q, source %q, country %q; want km, embed, KH", sig.Lang, sig.Source, sig.Country)
	}
	if got := e.counter.Get(e.open.ID).Total; got != before+1 {
		t.Errorf("count %d after signing, want %d", got, before+1)
	}
	mustNotContain(t, body, "<form")

	t.Run("the same address again gets the same answer", func(t *testing.T) {
		again := e.postEmbed("open-petition", "km", e.validForm("embed@example.org"))
		if again.Code != http.StatusOK || !strings.Contains(again.Body.String(), `<p class="receipt-code">`) {
			t.Errorf("repeat: status %d, want the same thanks as a first signature", again.Code)
		}
		if got := e.counter.Get(e.open.ID).Total; got != before+1 {
			t.Errorf("count %d after a repeat, want %d", got, before+1)
		}
	})

	t.Run("errors are shown beside the fields, values kept", func(t *testing.T) {
		form := e.validForm("embed-error@example.org")
		form.Set("name", "")
		form.Set("comment", "Kept as typed")
		w := e.postEmbed("open-petition", "fr", form)
		body := w.Body.String()
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422", w.Code)
		}
		mustContain(t, body, `action="/embed/open-petition/signatures?lang=fr"`)
		mustContain(t, body, html.EscapeString(e.msgs.T("fr", "field.name.required")))
		mustContain(t, body, "Kept as typed</textarea>")
		mustContain(t, body, `value="embed-error@example.org"`)
		if byID(t, body, "f-name").attrs["aria-invalid"] != "true" {
			t.Error("the name field is not marked aria-invalid")
		}
	})

	t.Run("bots get a thanks and are not stored", func(t *testing.T) {
		stored := e.storedCount()
		honeypot := e.validForm("bot1@example.org")
		honeypot.Set("website", "http://spam.example")
		fast := e.validForm("bot2@example.org")
		fast.Set("t", e.vault.FormToken(e.clock.Now()))
		for name, form := range map[string]url.Values{"honeypot": honeypot, "too fast": fast} {
			w := e.postEmbed("open-petition", "en", form)
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `<p class="receipt-code">`) {
				t.Errorf("%s: status %d, want a thanks like anyone's", name, w.Code)
			}
		}
		if got := e.storedCount(); got != stored {
			t.Errorf("%d signatures stored after two bots, want %d", got, stored)
		}
	})
}

// The console's petition page offers the <iframe> code for partners.
func TestEmbedSnippetInConsole(t *testing.T) {
	for _, tt := range []struct {
		name    string
		origins []string
		note    string
	}{
		{"with partners", []string{partnerOrigin, "https://other.example"}, "admin.embed.origins"},
		{"without partners", nil, "admin.embed.no_origins"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ce := newConsoleEnv(t, withEmbedOrigins(tt.origins...))
			body := ce.signIn("viewer").get("/admin/petitions/open-petition").Body.String()
			ta := byID(t, body, "embed-code")
			if ta.name != "textarea" || !ta.has("readonly") {
				t.Errorf("embed code is in a <%s>, readonly %t; want a readonly textarea", ta.name, ta.has("readonly"))
			}
			code := html.UnescapeString(section(t, body, `aria-describedby="embed-code-hint">`, "</textarea>"))
			want := `<iframe src="http://campaign.test/embed/open-petition?lang=en" title="Sign the petition: Free the prisoners" width="100%" height="1600"`
			if !strings.Contains(code, want) {
				t.Errorf("snippet %q, want it to contain %q", code, want)
			}
			frame := tagsNamed(code, "iframe")
			if len(frame) != 1 || frame[0].attrs["title"] == "" || strings.Contains(code, "<script") {
				t.Errorf("snippet %q: want one iframe with a title and no script", code)
			}
			if tt.origins != nil {
				mustContain(t, body, ce.msg("admin.embed.origins", strings.Join(tt.origins, ", ")))
			} else {
				mustContain(t, body, ce.msg("admin.embed.no_origins"))
			}
		})
	}
}
