package server_test

// Accessibility tests (issue 10, "Accessible" and "Proven in a real
// browser"): axe-core, installed from npm by .ci/run, is injected into every
// public page in each language and into the console pages, and the test
// fails on any violation of impact serious or critical. axe runs through
// the DevTools protocol (Runtime.evaluate), which the page's
// Content-Security-Policy does not govern; the test checks that the
// injection causes no CSP violation. A keyboard test tabs through the home
// page's form, and a 360-pixel-wide screenshot of the home page is taken in
// each language (copied to CAMPAIGN_ARTIFACTS_DIR when set).

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cambodia-sanctions/campaign/internal/server"
)

// a11yLangs are the site's languages.
var a11yLangs = []string{"en", "km", "th", "fr"}

// axeSource returns axe-core's axe.min.js: from CAMPAIGN_AXE_JS, or where
// .ci/run installs it (.cache/axe at the repository's root). Without it the
// test skips, except under CI, which must run it.
func axeSource(t *testing.T) string {
	t.Helper()
	path := os.Getenv("CAMPAIGN_AXE_JS")
	if path == "" {
		path = filepath.Join("..", "..", ".cache", "axe", "node_modules", "axe-core", "axe.min.js")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("axe-core not found at %s (CAMPAIGN_AXE_JS), and CI must run the accessibility tests (.ci/run installs it): %v", path, err)
		}
		t.Skipf("axe-core not found at %s: accessibility tests skipped (run npm install --prefix .cache/axe axe-core@4, or set CAMPAIGN_AXE_JS): %v", path, err)
	}
	return string(b)
}

// axeViolation is the part of an axe result the test reports.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
	Nodes   int      `json:"nodes"`
}

// axeRun is evaluated in the page: it runs axe and returns its violations.
const axeRun = `axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify(r.violations.map(v => ({
	id: v.id, impact: v.impact || '', help: v.help, nodes: v.nodes.length,
	targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
}))))`

// violations injects axe into the tab's page (unless it is there already),
// runs it and returns its violations.
func (tb *tab) violations(t *testing.T, axe, label string) []axeViolation {
	t.Helper()
	tb.take()
	if _, err := chromedp.Run(tb.ctx, chromedp.Evaluate[chromedp.Void](
		`if (typeof axe === "undefined") {`+axe+"\n}")); err != nil {
		t.Fatalf("%s: inject axe-core: %v", label, err)
	}
	out, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: run axe: %v", label, err)
	}
	// DevTools evaluation is not subject to the page's policy: injecting
	// and running axe must not have been reported as a CSP violation.
	for _, m := range tb.take().messages {
		if isCSPViolation(m) {
			t.Errorf("%s: injecting axe caused a Content-Security-Policy violation: %s", label, m)
		}
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("%s: axe results %q: %v", label, out, err)
	}
	return vs
}

// audit fails on each serious or critical violation axe finds in the
// tab's page; moderate and minor ones are logged.
func (tb *tab) audit(t *testing.T, axe, label string) {
	t.Helper()
	for _, v := range tb.violations(t, axe, label) {
		msg := fmt.Sprintf("%s: axe %s (%s): %s; %d nodes, first %q", label, v.ID, v.Impact, v.Help, v.Nodes, v.Targets)
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Error(msg)
		} else {
			t.Log(msg)
		}
	}
}

// withLang adds ?lang=XX (or &lang=XX) to path.
func withLang(path, lang string) string {
	if strings.Contains(path, "?") {
		return path + "&lang=" + lang
	}
	return path + "?lang=" + lang
}

// visitLang loads path in lang and checks it as visit does, without the
// path check (the query differs).
func (tb *tab) visitLang(t *testing.T, path, lang string, status int) {
	t.Helper()
	got := tb.load(t, chromedp.Navigate(tb.origin+withLang(path, lang)))
	tb.check(t, got, status, siteHeaders)
	if l, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); err != nil || l != lang {
		t.Errorf("%s?lang=%s: <html lang=%q>, want %q (%v)", path, lang, l, lang, err)
	}
}

func TestBrowserAccessibility(t *testing.T) {
	start := time.Now()
	axe := axeSource(t)
	browserCtx := startBrowser(t, 150*time.Second)
	ce := newConsoleEnv(t, withLetters(t), func(o *server.Options) { o.MinFillTime = time.Second })
	ts := httptest.NewServer(ce.srv.Handler())
	t.Cleanup(ts.Close)
	ce.mustAccount("owner@campaign.test", "owner")

	// A second server with email confirmation, for a real confirm page.
	ee := newEmailEnv(t)
	ets := httptest.NewServer(ee.srv.Handler())
	t.Cleanup(ets.Close)
	const pendingEmail = "pending@example.org"
	ee.signJSON(t, "open-petition", pendingEmail, false)
	token := ee.confirmToken(t, pendingEmail)

	tb := newTab(t, browserCtx, ts.URL, true)

	// Sign first, in English, so the thanks page can be audited.
	signThroughForm(t, ce, tb, "a11y@example.org")

	t.Run("public pages", func(t *testing.T) {
		pages := []struct {
			path   string
			status int
		}{
			{"/", http.StatusOK},
			{"/petitions", http.StatusOK},
			{"/petitions/open-petition", http.StatusOK},
			{"/petitions/closed-petition", http.StatusOK},
			{thanksPath, http.StatusOK},
			{"/privacy", http.StatusOK},
			{"/withdraw", http.StatusOK},
			{"/verify", http.StatusOK},
			{"/confirm/not-a-real-token", http.StatusNotFound},
			{"/no-such-page", http.StatusNotFound},
			{"/admin/login", http.StatusOK},
		}
		for _, lang := range a11yLangs {
			t.Run(lang, func(t *testing.T) {
				for _, p := range pages {
					tb.visitLang(t, p.path, lang, p.status)
					tb.audit(t, axe, p.path+"?lang="+lang)
				}
			})
		}
	})

	t.Run("confirm page", func(t *testing.T) {
		et := newTab(t, tb.ctx, ets.URL, true)
		for _, lang := range a11yLangs {
			et.visitLang(t, "/confirm/"+token, lang, http.StatusOK)
			et.audit(t, axe, "/confirm/TOKEN?lang="+lang)
		}
	})

	t.Run("widget", func(t *testing.T) {
		// The widget's pages may be framed, by this site only here: no
		// partner is listed.
		rule := widgetHeaders("'self'")
		submit := chromedp.Click(chromedp.CSS(`form.sign button[type="submit"]`))
		for _, lang := range a11yLangs {
			t.Run(lang, func(t *testing.T) {
				path := "/embed/open-petition?lang=" + lang
				tb.check(t, tb.load(t, chromedp.Navigate(ts.URL+path)), http.StatusOK, rule)
				tb.audit(t, axe, path)
				// Sent empty: every required field says what is missing.
				ce.clock.Advance(2 * time.Second)
				tb.check(t, tb.load(t, submit), http.StatusUnprocessableEntity, rule)
				tb.audit(t, axe, path+", form with errors")
				// Corrected: the thanks, with the receipt code, in the frame.
				if err := chromedp.Do(tb.ctx, fill("f-name", "Sok Dara", "f-email", "widget-"+lang+"@example.org", "f-country", "Cambodia")); err != nil {
					t.Fatal(err)
				}
				tb.check(t, tb.load(t, submit), http.StatusOK, rule)
				if code := tb.text(t, ".receipt-code"); !receiptRe.MatchString(code) {
					t.Fatalf("%s: after signing the widget shows receipt %q", path, code)
				}
				tb.audit(t, axe, path+", thanks")
				tb.check(t, tb.load(t, chromedp.Navigate(ts.URL+"/embed/closed-petition?lang="+lang)), http.StatusOK, rule)
				tb.audit(t, axe, "/embed/closed-petition?lang="+lang)
			})
		}
	})

	t.Run("console", func(t *testing.T) {
		tb.visit(t, "/admin/login", http.StatusOK)
		if err := chromedp.Do(tb.ctx, fill("f-email", "owner@campaign.test", "f-password", testPassword)); err != nil {
			t.Fatal(err)
		}
		tb.check(t, tb.load(t, chromedp.Click(chromedp.CSS(`form[action="/admin/login"] button`))), http.StatusOK, siteHeaders)
		if got := tb.path(t); got != "/admin" {
			t.Fatalf("after signing in the page is %s, want /admin", got)
		}
		for _, lang := range a11yLangs {
			t.Run(lang, func(t *testing.T) {
				for _, path := range []string{
					"/admin",
					"/admin/petitions/new",
					"/admin/petitions/open-petition",
					"/admin/petitions/open-petition/edit",
					"/admin/petitions/open-petition/signatures",
					"/admin/petitions/open-petition/letters",
					"/admin/petitions/open-petition/templates/en",
					"/admin/jurisdictions/GB",
					"/admin/audit",
					"/admin/accounts",
				} {
					tb.visitLang(t, path, lang, http.StatusOK)
					tb.audit(t, axe, path+"?lang="+lang)
				}
			})
		}
	})

	// The audit must be able to fail: an image without a text alternative
	// and an unlabelled field are critical violations.
	t.Run("audit catches a violation", func(t *testing.T) {
		tb.visit(t, "/privacy", http.StatusOK)
		if _, err := chromedp.Run(tb.ctx, chromedp.Evaluate[chromedp.Void](
			`document.querySelector("main").insertAdjacentHTML("beforeend", '<img src="/no-such.png"><input type="text">')`)); err != nil {
			t.Fatal(err)
		}
		ids := map[string]string{}
		for _, v := range tb.violations(t, axe, "canary") {
			ids[v.ID] = v.Impact
		}
		if ids["image-alt"] != "critical" || ids["label"] != "critical" {
			t.Errorf("axe did not report the unlabelled image and field as critical; it reported %v", ids)
		}
	})

	t.Logf("accessibility test took %s", time.Since(start).Round(time.Millisecond))
}

// focusState is what document.activeElement is after a key press.
type focusState struct {
	ID      string `json:"id"`
	Tag     string `json:"tag"`
	Type    string `json:"type"`
	Visible bool   `json:"visible"` // it matches :focus-visible
	Outline string `json:"outline"` // its computed outline-style
	Width   string `json:"width"`   // its computed outline-width
	Href    string `json:"href"`    // a link's href attribute
}

const focusProbe = `(() => { const e = document.activeElement; if (!e || e === document.body) return JSON.stringify({});
const s = getComputedStyle(e); return JSON.stringify({id: e.id, tag: e.tagName.toLowerCase(), type: e.type || '',
visible: e.matches(':focus-visible'), outline: s.outlineStyle, width: s.outlineWidth, href: e.getAttribute('href') || ''}); })()`

// TestBrowserKeyboard tabs through the home page's form with the keyboard
// alone: focus reaches each field and then the submit button, in order,
// and each shows a visible focus outline.
func TestBrowserKeyboard(t *testing.T) {
	browserCtx := startBrowser(t, 60*time.Second)
	e := newEnv(t)
	ts := httptest.NewServer(e.srv.Handler())
	t.Cleanup(ts.Close)
	tb := newTab(t, browserCtx, ts.URL, true)
	tb.visit(t, "/", http.StatusOK)

	// The form's controls (and its link to the privacy notice) a person
	// reaches by keyboard, in document order.
	want, err := chromedp.Run(tb.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('form.sign :is(input, select, textarea, button, a[href])')]
		.filter(e => e.type !== 'hidden' && e.tabIndex >= 0).map(e => e.id || (e.tagName === 'A' ? 'link ' + e.getAttribute('href') : 'submit'))`))
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < 8 || want[0] != "f-name" || want[len(want)-1] != "submit" {
		t.Fatalf("the home page's form controls are %q, want f-name first and the submit button last", want)
	}

	var got []string
	for range 60 {
		if err := chromedp.Do(tb.ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatal(err)
		}
		s, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](focusProbe))
		if err != nil {
			t.Fatal(err)
		}
		var f focusState
		if err := json.Unmarshal([]byte(s), &f); err != nil {
			t.Fatal(err)
		}
		name := f.ID
		switch {
		case f.ID != "":
		case f.Tag == "button" && f.Type == "submit":
			name = "submit"
		case f.Tag == "a":
			name = "link " + f.Href
		}
		if len(got) == 0 && name != want[0] {
			continue // the skip link, the header, the article before the form
		}
		got = append(got, name)
		if !f.Visible || f.Outline == "none" || f.Width == "0px" {
			t.Errorf("%s (%s) focused by keyboard: :focus-visible %t, outline-style %q width %q; want a visible outline",
				name, f.Tag, f.Visible, f.Outline, f.Width)
		}
		if len(got) == len(want) {
			break
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Tab moves focus through %q, want %q", got, want)
	}
}

// TestBrowserScreenshots takes a 360-pixel-wide full-page screenshot of the
// home page (with the article as shipped in config/, so the French text
// and the English fallback in Khmer and Thai show) and of the signing
// widget in each language, under the test's temporary directory and, when
// CAMPAIGN_ARTIFACTS_DIR is set, there too (CI keeps it).
func TestBrowserScreenshots(t *testing.T) {
	browserCtx := startBrowser(t, 60*time.Second)
	e := newEnv(t, withRealArticle(t))
	ts := httptest.NewServer(e.srv.Handler())
	t.Cleanup(ts.Close)
	tb := newTab(t, browserCtx, ts.URL, true)
	dir := t.TempDir()
	artifacts := os.Getenv("CAMPAIGN_ARTIFACTS_DIR")
	if artifacts != "" {
		if err := os.MkdirAll(artifacts, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, shot := range []struct{ path, name string }{{"/", "home"}, {"/embed/open-petition", "embed"}} {
		for _, lang := range a11yLangs {
			if shot.name == "embed" {
				tb.check(t, tb.load(t, chromedp.Navigate(tb.origin+withLang(shot.path, lang))), http.StatusOK, widgetHeaders("'self'"))
			} else {
				tb.visitLang(t, shot.path, lang, http.StatusOK)
			}
			// Fonts load after the load event in some engines; wait for them.
			if _, err := chromedp.Run(tb.ctx, chromedp.Evaluate[chromedp.Void](`document.fonts.ready.then(() => true)`, chromedp.EvalAwaitPromise)); err != nil {
				t.Fatal(err)
			}
			name := shot.name + "-" + lang + "-360"
			tb.screenshot(t, dir, name)
			if artifacts != "" {
				b, err := os.ReadFile(filepath.Join(dir, name+".png"))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(artifacts, name+".png"), b, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("artifact: %s", filepath.Join(artifacts, name+".png"))
			}
		}
	}
}
