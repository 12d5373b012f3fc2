package server_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// htmlResponses produces every kind of HTML the public site sends: each
// page, each error page, the form with errors and the thanks page.
func htmlResponses(t *testing.T, e *env) map[string]*httptest.ResponseRecorder {
	t.Helper()
	b := e.newBrowser()
	bad := e.validForm("dara@example.org")
	bad.Set("email", "")
	out := map[string]*httptest.ResponseRecorder{
		"home":            e.get("/"),
		"list":            e.get("/petitions"),
		"petition":        e.get("/petitions/open-petition"),
		"closed petition": e.get("/petitions/closed-petition"),
		"privacy":         e.get("/privacy"),
		"404":             e.get("/nope"),
		"405":             e.do(http.MethodDelete, "/", ""),
		"422":             e.postForm("open-petition", bad),
		"409":             e.postForm("closed-petition", e.validForm("dara@example.org")),
		"415":             e.do(http.MethodPost, "/petitions/open-petition/signatures", "x", "Content-Type", "text/plain"),
		"413":             e.do(http.MethodPost, "/petitions/open-petition/signatures", bigForm(e), "Content-Type", "application/x-www-form-urlencoded"),
	}
	b.postForm("open-petition", e.validForm("thanks@example.org"))
	out["thanks"] = b.get(thanksPath)
	out["thanks again"] = b.get(thanksPath)
	for name, w := range out {
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Fatalf("%s: Content-Type %q, want HTML", name, ct)
		}
	}
	return out
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	for name, w := range htmlResponses(t, e) {
		t.Run(name, func(t *testing.T) {
			h := w.Header()
			csp := h.Get("Content-Security-Policy")
			if !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("CSP %q lacks default-src 'self'", csp)
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("CSP %q allows inline code", csp)
			}
			if !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("CSP %q does not forbid framing", csp)
			}
			for header, want := range map[string]string{
				"Referrer-Policy":        "no-referrer",
				"X-Content-Type-Options": "nosniff",
				"X-Frame-Options":        "DENY",
			} {
				if got := h.Get(header); got != want {
					t.Errorf("%s %q, want %q", header, got, want)
				}
			}
			if got := h.Get("Strict-Transport-Security"); got != "" {
				t.Errorf("HSTS %q on a plain-http site, want none (it would lock out an http-only install)", got)
			}
		})
	}
}

func TestHSTSOnlyOverHTTPS(t *testing.T) {
	e := newEnv(t, withBaseURL("https://campaign.test"))
	for _, target := range []string{"/", "/nope", "/api/petitions/open-petition"} {
		if got := e.get(target).Header().Get("Strict-Transport-Security"); !strings.Contains(got, "max-age=") {
			t.Errorf("GET %s over https: HSTS %q, want max-age", target, got)
		}
	}
	// The receipt cookie is Secure too.
	w := e.postForm("open-petition", e.validForm("dara@example.org"))
	if c := receiptCookie(w); c == nil || !c.Secure {
		t.Errorf("receipt cookie %v over https, want Secure", c)
	}
	plain := newEnv(t)
	if c := receiptCookie(plain.postForm("open-petition", plain.validForm("dara@example.org"))); c == nil || c.Secure {
		t.Errorf("receipt cookie %v over http, want not Secure (the browser would drop it)", c)
	}
}

// TestNoThirdPartyOrInlineCode: nothing a page loads comes from elsewhere,
// and nothing runs or styles inline (the CSP would block it anyway; a page
// that relies on it is broken).
func TestNoThirdPartyOrInlineCode(t *testing.T) {
	e := newEnv(t)
	for name, w := range htmlResponses(t, e) {
		t.Run(name, func(t *testing.T) {
			body := w.Body.String()
			for _, tg := range tags(body) {
				for attr, v := range tg.attrs {
					if attr == "style" || strings.HasPrefix(attr, "on") {
						t.Errorf("<%s %s=%q>: inline style or script", tg.name, attr, v)
					}
				}
				switch tg.name {
				case "link", "script", "img", "iframe", "source", "video", "audio", "embed", "object":
				default:
					continue
				}
				for _, attr := range []string{"src", "href", "srcset", "data"} {
					v, ok := tg.attrs[attr]
					if !ok {
						continue
					}
					sameOrigin := strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "//")
					// rel=canonical names this site's own public address.
					if tg.name == "link" && tg.attrs["rel"] == "canonical" && strings.HasPrefix(v, "http://campaign.test/") {
						sameOrigin = true
					}
					if !sameOrigin {
						t.Errorf("<%s %s=%q> points at another origin", tg.name, attr, v)
					}
				}
				if tg.name == "script" && !tg.has("src") {
					t.Errorf("inline <script>")
				}
			}
			if strings.Contains(body, "<style") {
				t.Errorf("page has a <style> element")
			}
			if strings.Contains(strings.ToLower(body), "javascript:") {
				t.Errorf("page has a javascript: URL")
			}
		})
	}
}

// TestShareLinksArePlainLinks: the thanks page's share links go to other
// sites, as links only, and leak nothing about the signer.
func TestShareLinksArePlainLinks(t *testing.T) {
	e := newEnv(t)
	b := e.newBrowser()
	b.postForm("open-petition", e.validForm("dara@example.org"))
	body := b.get(thanksPath).Body.String()
	share := section(t, body, `<ul class="share">`, "</ul>")
	links := tagsNamed(share, "a")
	if len(links) < 3 {
		t.Fatalf("%d share links, want several", len(links))
	}
	for _, a := range links {
		if !strings.Contains(a.attrs["href"], "campaign.test%2Fpetitions%2Fopen-petition") &&
			!strings.Contains(a.attrs["href"], "campaign.test/petitions/open-petition") {
			t.Errorf("share link %q does not carry the petition's address", a.attrs["href"])
		}
		if strings.Contains(a.attrs["href"], "dara") {
			t.Errorf("share link %q carries the signer's data", a.attrs["href"])
		}
		if !strings.Contains(a.attrs["rel"], "noreferrer") {
			t.Errorf("share link rel=%q, want noreferrer", a.attrs["rel"])
		}
	}
}

// TestDatabaseFileRevealsNoSigner reads the raw SQLite file (and its
// write-ahead log) after a signature, as someone holding a seized copy would.
func TestDatabaseFileRevealsNoSigner(t *testing.T) {
	e := newEnv(t)
	form := e.validForm("dara@example.org")
	form.Set("name", "Sok Dara")
	form.Set("city", "Battambang")
	form.Set("comment", "My brother is in Prey Sar")
	checkThanksRedirect(t, e.postForm("open-petition", form))
	w := e.postJSON("open-petition", `{"name":"Chan Sopheap","email":"sopheap@example.net","country":"TH","city":"Chiang Mai"}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("JSON sign: status %d", w.Code)
	}
	if n := e.storedCount(); n != 2 {
		t.Fatalf("stored %d, want 2", n)
	}
	var raw []byte
	for _, p := range []string{e.dbPath, e.dbPath + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		raw = append(raw, b...)
	}
	// The file holds what was written: the petition is there in clear.
	if !bytes.Contains(raw, []byte("open-petition")) {
		t.Fatalf("database file does not contain the petition slug; the test is not reading the data")
	}
	for _, secret := range []string{"Sok Dara", "dara@example.org", "Battambang", "Prey Sar",
		"Chan Sopheap", "sopheap@example.net", "Chiang Mai", "example.org", "example.net"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("database file contains %q in clear", secret)
		}
	}
	// No client address either.
	if bytes.Contains(raw, []byte("192.0.2.1")) {
		t.Errorf("database file contains the client's IP address")
	}
}

// TestSignerNameIsEscaped: a name carrying markup never reaches a page as
// markup, whether the form is shown again or the signature is accepted.
func TestSignerNameIsEscaped(t *testing.T) {
	const evil = `<script>alert(1)</script>`
	e := newEnv(t)
	bad := e.validForm("not-an-email")
	bad.Set("name", evil)
	bad.Set("city", `"><img src=x onerror=alert(1)>`)
	bad.Set("comment", `</textarea><script>alert(2)</script>`)
	w := e.postForm("open-petition", bad)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", w.Code)
	}
	body := w.Body.String()
	mustNotContain(t, body, "<script>")
	mustNotContain(t, body, "<img src=x")
	if got := byID(t, body, "f-name").attrs["value"]; got != evil {
		t.Errorf("name kept as %q, want %q shown as text", got, evil)
	}

	good := e.validForm("dara@example.org")
	good.Set("name", evil)
	b := e.newBrowser()
	checkThanksRedirect(t, b.postForm("open-petition", good))
	pages := map[string]*httptest.ResponseRecorder{"thanks": b.get(thanksPath)}
	for _, p := range []string{"/", "/petitions", "/petitions/open-petition", "/api/petitions/open-petition", "/privacy"} {
		pages[p] = e.get(p)
	}
	for name, w := range pages {
		if strings.Contains(w.Body.String(), "<script>") {
			t.Errorf("%s contains an unescaped <script>", name)
		}
	}
}
