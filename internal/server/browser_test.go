package server_test

// Browser tests (issue 8, "Headers and origins"): the real server in
// process, Debian's Chromium driven over the DevTools protocol. Every
// public page and every console page an owner reaches is loaded at 360
// pixels wide; each must make no request that leaves the site's origin,
// cause no Content-Security-Policy violation, and carry the security
// headers on every response. Signing happens through the real form, with
// JavaScript on and off.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/audits"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/cambodia-sanctions/campaign/internal/server"
)

// phoneWidth is the viewport width of every page load: an old phone.
const phoneWidth = 360

// chromiumPath returns Debian's Chromium. Without it the test skips, except
// under CI, which installs it (.ci/run) and must run the browser tests.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not installed, and CI must run the browser tests (.ci/run installs it)")
	}
	t.Skip("chromium not installed: browser tests skipped (CI installs it)")
	return ""
}

// startBrowser starts headless Chromium with the flags this machine needs
// (no sandbox as root, no background traffic to Google's hosts) and a fresh
// profile. The browser stops when the test ends.
func startBrowser(t *testing.T, deadline time.Duration) context.Context {
	t.Helper()
	bin := chromiumPath(t)
	profile := t.TempDir()
	ctx, cancelTimeout := context.WithTimeout(context.Background(), deadline)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
	)
	// Registered after TempDir, so it runs first: the browser has exited
	// (cancelAlloc waits for it) before its profile is removed.
	t.Cleanup(func() { cancelAlloc(); cancelTimeout() })
	return allocCtx
}

// pageLog is what a tab did while one page loaded.
type pageLog struct {
	requests  []string            // URL of every request
	responses []*network.Response // every response, redirects included
	document  *network.Response   // the last main document
	messages  []string            // console calls, exceptions, log entries, issues
}

// tab is a browser tab whose events are recorded from its first message.
type tab struct {
	ctx      context.Context
	origin   string // the test server's origin, http://127.0.0.1:port
	mu       sync.Mutex
	seen     pageLog
	inflight map[network.RequestID]string // URL of each request not yet finished
}

// newTab opens a tab, 360 pixels wide, with the domains enabled that report
// what a page did. parent is the browser's allocator (the first tab starts
// the browser) or another tab's context (a new tab in the same browser).
func newTab(t *testing.T, parent context.Context, origin string, scripts bool) *tab {
	t.Helper()
	tb := &tab{origin: origin, inflight: map[network.RequestID]string{}}
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithListener(tb.record))
	t.Cleanup(cancel)
	tb.ctx = ctx
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		// chromedp enables Network and Log itself; Log is enabled here
		// too so the test does not rest on that. Audits reports CSP
		// violations as issues, in case a Chromium stops logging them.
		if _, err := cdp.Call(ctx, tg, audits.Enable, cdp.Empty{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, tg, log.Enable, cdp.Empty{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled,
			emulation.SetScriptExecutionDisabledParams{Value: !scripts})
		return err
	}), chromedp.EmulateViewport(phoneWidth, 740))
	if err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return tb
}

// record runs in the tab's message loop: it only appends, under the lock.
func (tb *tab) record(ev any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	s := &tb.seen
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		s.requests = append(s.requests, ev.Request.URL)
		tb.inflight[ev.RequestID] = ev.Request.URL
		if ev.RedirectResponse != nil {
			s.responses = append(s.responses, ev.RedirectResponse)
		}
	case *network.EventResponseReceived:
		s.responses = append(s.responses, ev.Response)
		if ev.Type == network.ResourceTypeDocument {
			s.document = ev.Response
		}
	case *network.EventLoadingFinished:
		delete(tb.inflight, ev.RequestID)
	case *network.EventLoadingFailed:
		delete(tb.inflight, ev.RequestID)
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range ev.Args {
			parts = append(parts, a.Description+string(a.Value))
		}
		s.messages = append(s.messages, "console."+string(ev.Type)+": "+strings.Join(parts, " "))
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + d.Exception.Description
		}
		s.messages = append(s.messages, "exception: "+text)
	case *log.EventEntryAdded:
		s.messages = append(s.messages, fmt.Sprintf("log %s %s: %s", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text))
	case *audits.EventIssueAdded:
		s.messages = append(s.messages, issueText(ev.Issue))
	}
}

func issueText(is *audits.InspectorIssue) string {
	msg := "issue " + string(is.Code)
	switch d := is.Details; {
	case d == nil:
	case d.ContentSecurityPolicyIssueDetails != nil:
		c := d.ContentSecurityPolicyIssueDetails
		msg += fmt.Sprintf(": directive %q blocked %q (%s)", c.ViolatedDirective, c.BlockedURL, c.ContentSecurityPolicyViolationType)
	case d.GenericIssueDetails != nil:
		g := d.GenericIssueDetails
		msg += fmt.Sprintf(": %s (attribute %q)", g.ErrorType, g.ViolatingNodeAttribute)
	}
	return msg
}

// take returns what the tab recorded since the last call.
func (tb *tab) take() pageLog {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	s := tb.seen
	tb.seen = pageLog{}
	return s
}

// load runs trigger (a navigation, a click that submits a form), waits for
// the page's load event and for its network to fall quiet, and returns
// what the tab did meanwhile.
func (tb *tab) load(t *testing.T, trigger chromedp.Action[chromedp.Void]) pageLog {
	t.Helper()
	tb.take()
	ctx, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, trigger)); err != nil {
		t.Fatalf("load page: %v", err)
	}
	tb.settle(t)
	return tb.take()
}

// settle waits until no request has been open for a moment, so that what
// a page fetches or reports after its load event is recorded too.
func (tb *tab) settle(t *testing.T) {
	t.Helper()
	const quiet, limit = 150 * time.Millisecond, 5 * time.Second
	var open []string
	for since, deadline := time.Now(), time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(25 * time.Millisecond) {
		tb.mu.Lock()
		open = open[:0]
		for _, u := range tb.inflight {
			open = append(open, u)
		}
		tb.mu.Unlock()
		if len(open) > 0 {
			since = time.Now()
		} else if time.Since(since) >= quiet {
			return
		}
	}
	t.Errorf("requests still open %s after the load event: %q", limit, open)
}

// visit loads path and checks it (check) with the site's headers rule.
func (tb *tab) visit(t *testing.T, path string, status int) {
	t.Helper()
	got := tb.load(t, chromedp.Navigate(tb.origin+path))
	if got.document != nil && mustURL(t, got.document.URL).Path != path {
		t.Errorf("GET %s ended on %s", path, got.document.URL)
	}
	tb.check(t, got, status, siteHeaders)
}

// check fails the test on each of got's problems (problems).
func (tb *tab) check(t *testing.T, got pageLog, status int, headers headersRule) {
	t.Helper()
	for _, p := range tb.problems(got, status, headers) {
		t.Error(p)
	}
	for _, m := range got.messages {
		if !isCSPViolation(m) && !strings.Contains(m, "Permissions-Policy") {
			t.Logf("browser says: %s", m)
		}
	}
}

// problems lists what a page must not do: answer other than status (0:
// no document expected), request anything from another origin, violate
// the Content-Security-Policy, send a Permissions-Policy the browser cannot
// read, or answer without the security headers.
func (tb *tab) problems(got pageLog, status int, headers headersRule) []string {
	var out []string
	switch {
	case status != 0 && got.document == nil:
		out = append(out, "no document was loaded")
	case status != 0 && got.document.Status != int64(status):
		out = append(out, fmt.Sprintf("%s: status %d, want %d", got.document.URL, got.document.Status, status))
	}
	for _, raw := range got.requests {
		if !tb.sameOrigin(raw) {
			out = append(out, fmt.Sprintf("request leaves the site's origin %s: %s", tb.origin, raw))
		}
	}
	for _, m := range got.messages {
		switch {
		case isCSPViolation(m):
			out = append(out, "Content-Security-Policy violation: "+m)
		case strings.Contains(m, "Permissions-Policy"):
			out = append(out, "the browser cannot read the Permissions-Policy: "+m)
		}
	}
	for _, r := range got.responses {
		// data: URLs (Chromium's own icons for date fields) have no headers.
		if u, err := url.Parse(r.URL); err == nil && tb.ours(u) {
			out = append(out, headers(r)...)
		}
	}
	return out
}

// sameOrigin reports whether a request stays on the site: its origin, or
// a data: URL that never touches the network.
func (tb *tab) sameOrigin(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	return u.Scheme == "data" || tb.ours(u)
}

// ours reports whether u is served by the test server.
func (tb *tab) ours(u *url.URL) bool { return u.Scheme+"://"+u.Host == tb.origin }

func isCSPViolation(msg string) bool {
	return strings.Contains(msg, "Content Security Policy") || strings.Contains(msg, "Content-Security-Policy") ||
		strings.Contains(msg, "Refused to") || strings.Contains(msg, string(audits.InspectorIssueCodeContentSecurityPolicyIssue))
}

// A headersRule lists what is wrong with one response's headers.
type headersRule func(r *network.Response) []string

// siteHeaders is issue 8's rule for every response (headers_test.go).
func siteHeaders(r *network.Response) []string {
	return withURL(r, headerProblems(headerOf(r), sitePolicy))
}

// printHeaders is the rule of a letter's print page: its own stricter
// policy, which allows its <style> element by hash and nothing else.
func printHeaders(r *network.Response) []string {
	return withURL(r, headerProblems(headerOf(r), func(csp string) []string {
		d := directives(csp)
		out := unsafeSources(d)
		if !slices.Equal(d["default-src"], []string{"'none'"}) || len(d["style-src"]) == 0 ||
			!strings.HasPrefix(d["style-src"][0], "'sha256-") || !slices.Equal(d["frame-ancestors"], []string{"'none'"}) {
			out = append(out, fmt.Sprintf("print policy %q, want default-src 'none', a hash-allowed style and no framing", csp))
		}
		return out
	}))
}

func withURL(r *network.Response, problems []string) []string {
	for i, p := range problems {
		problems[i] = fmt.Sprintf("%s (%d): %s", r.URL, r.Status, p)
	}
	return problems
}

func headerOf(r *network.Response) http.Header {
	h := http.Header{}
	for k, v := range r.Headers {
		h.Set(k, fmt.Sprint(v))
	}
	return h
}

// screenshot saves a full-page PNG of the tab's page in dir.
func (tb *tab) screenshot(t *testing.T, dir, name string) {
	t.Helper()
	buf, err := chromedp.Run(tb.ctx, func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
		m, err := cdp.Call(ctx, tg, page.GetLayoutMetrics, cdp.Empty{})
		if err != nil {
			return nil, err
		}
		r, err := cdp.Call(ctx, tg, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format: page.CaptureScreenshotFormatPng, CaptureBeyondViewport: new(true),
			Clip: &page.Viewport{Width: phoneWidth, Height: m.CSSContentSize.Height, Scale: 1},
		})
		return r.Data, err
	})
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s (%d pixels wide): %s", name, phoneWidth, path)
}

// fill types into the fields of a form, by element id, as a person would.
func fill(fields ...string) chromedp.Action[chromedp.Void] {
	var steps []chromedp.Action[chromedp.Void]
	for i := 0; i+1 < len(fields); i += 2 {
		steps = append(steps, chromedp.SendKeys(chromedp.ID(fields[i]), fields[i+1]))
	}
	return chromedp.Steps(steps...)
}

// text returns the text of the first element matching a CSS selector.
func (tb *tab) text(t *testing.T, sel string) string {
	t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// path returns the path of the tab's page.
func (tb *tab) path(t *testing.T) string {
	t.Helper()
	loc, err := chromedp.Run(tb.ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return mustURL(t, loc).Path
}

// scriptsRun reports whether the tab runs a page's scripts, on a page of
// its own (a data: URL, which the site's policy does not govern).
func (tb *tab) scriptsRun(t *testing.T) bool {
	t.Helper()
	const probe = `data:text/html,<p id="probe">off</p><script>document.getElementById("probe").textContent = "on"</script>`
	if err := chromedp.Do(tb.ctx, chromedp.Navigate(probe)); err != nil {
		t.Fatal(err)
	}
	return tb.text(t, "#probe") == "on"
}

// signThroughForm fills the open petition's form in tb, lets more than the
// minimum fill time pass on the server's clock, submits it and checks the
// thanks page, its receipt and the stored signature. It returns the receipt.
func signThroughForm(t *testing.T, ce *consoleEnv, tb *tab, email string) string {
	t.Helper()
	tb.visit(t, "/petitions/open-petition", http.StatusOK)
	// Typing into a select chooses the option whose label starts so.
	if err := chromedp.Do(tb.ctx, fill("f-name", "Sok Dara", "f-email", email, "f-country", "United Kingdom",
		"f-city", "Phnom Penh", "f-comment", "Free them all.")); err != nil {
		t.Fatalf("fill the form: %v", err)
	}
	ce.clock.Advance(2 * time.Second) // the server's clock: MinFillTime is 1s
	tb.check(t, tb.load(t, chromedp.Click(chromedp.CSS(`form.sign button[type="submit"]`))), http.StatusOK, siteHeaders)
	if got := tb.path(t); got != thanksPath {
		t.Fatalf("after signing the page is %s, want %s", got, thanksPath)
	}
	code := tb.text(t, ".receipt-code")
	if !receiptRe.MatchString(code) {
		t.Errorf("thanks page shows receipt %q, want a receipt code", code)
	}
	// The bot check answers like a success, so only the database tells.
	sig := ce.findByEmail(email)
	if sig.Country != "GB" || !ce.receiptOpens(code, sig) {
		t.Errorf("stored signature: country %q, receipt opens it: %t; want GB, true", sig.Country, ce.receiptOpens(code, sig))
	}
	return code
}

func TestBrowserPagesStayOnOrigin(t *testing.T) {
	start := time.Now()
	browserCtx := startBrowser(t, 90*time.Second)
	ce := newConsoleEnv(t, withLetters(t), func(o *server.Options) { o.MinFillTime = time.Second })
	ts := httptest.NewServer(ce.srv.Handler())
	t.Cleanup(ts.Close)
	ce.mustAccount("owner@campaign.test", "owner")
	shots := t.TempDir()

	tb := newTab(t, browserCtx, ts.URL, true)
	t.Logf("browser started in %s", time.Since(start).Round(time.Millisecond))

	t.Run("public pages", func(t *testing.T) {
		for _, p := range []struct {
			path   string
			status int
		}{
			{"/", http.StatusOK},
			{"/petitions", http.StatusOK},
			{"/petitions/open-petition", http.StatusOK},
			{"/petitions/closed-petition", http.StatusOK},
			{"/privacy", http.StatusOK},
			{"/withdraw", http.StatusOK},
			{"/verify", http.StatusOK},
			{"/confirm/not-a-real-token", http.StatusNotFound},
			{"/no-such-page", http.StatusNotFound},
			{"/admin/login", http.StatusOK},
		} {
			t.Run(p.path, func(t *testing.T) { tb.visit(t, p.path, p.status) })
		}
		tb.visit(t, "/", http.StatusOK)
		tb.screenshot(t, shots, "home-360")
	})

	t.Run("sign with JavaScript on", func(t *testing.T) {
		if !tb.scriptsRun(t) {
			t.Fatal("the tab runs no scripts; this test is about JavaScript on")
		}
		signThroughForm(t, ce, tb, "js-on@example.org")
	})

	t.Run("sign with JavaScript off, then withdraw", func(t *testing.T) {
		off := newTab(t, tb.ctx, ts.URL, false)
		if off.scriptsRun(t) {
			t.Fatal("the tab still runs scripts after Emulation.setScriptExecutionDisabled")
		}
		code := signThroughForm(t, ce, off, "js-off@example.org")
		off.visit(t, "/withdraw", http.StatusOK)
		if err := chromedp.Do(off.ctx, fill("f-code", code)); err != nil {
			t.Fatal(err)
		}
		off.check(t, off.load(t, chromedp.Click(chromedp.CSS(`form[action="/withdraw"] button`))), http.StatusOK, siteHeaders)
		if got := off.text(t, "main [role=status]"); got != ce.msgs.T("en", "withdraw.done") {
			t.Errorf("after withdrawing the page says %q, want %q", got, ce.msgs.T("en", "withdraw.done"))
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
		tb.screenshot(t, shots, "console-dashboard-360")
		for _, path := range []string{
			"/admin",
			"/admin/petitions/new",
			"/admin/petitions/open-petition",
			"/admin/petitions/open-petition/edit",
			"/admin/petitions/open-petition/signatures",
			"/admin/petitions/open-petition/letters",
			"/admin/petitions/open-petition/letters/GB",
			"/admin/petitions/open-petition/templates/en",
			"/admin/jurisdictions/GB",
			"/admin/audit",
			"/admin/accounts",
		} {
			t.Run(path, func(t *testing.T) { tb.visit(t, path, http.StatusOK) })
		}
		t.Run("letter print page", func(t *testing.T) {
			// Its <style> element is allowed by hash (admin_letters.go).
			const path = "/admin/petitions/open-petition/letters/GB"
			got := tb.load(t, chromedp.Navigate(ts.URL+path+"?size=a4"))
			tb.check(t, got, http.StatusOK, func(r *network.Response) []string {
				if mustURL(t, r.URL).Path == path {
					return printHeaders(r)
				}
				return siteHeaders(r) // /favicon.ico, which the page does not name
			})
		})
	})

	// The checks above must be able to fail: a page that loads an image from
	// another origin (127.0.0.2, so nothing leaves the machine) and runs an
	// inline script breaks both rules, and both must be reported.
	t.Run("checks catch a violation", func(t *testing.T) {
		tb.visit(t, "/", http.StatusOK)
		tb.take()
		const inject = `document.body.insertAdjacentHTML("beforeend", '<img src="http://127.0.0.2:9/canary.png">');` +
			`const s = document.createElement("script"); s.textContent = "document.title = 'inline ran'"; document.body.append(s);`
		if _, err := chromedp.Run(tb.ctx, chromedp.Evaluate[chromedp.Void](inject)); err != nil {
			t.Fatal(err)
		}
		tb.settle(t)
		var offOrigin, csp bool
		for _, p := range tb.problems(tb.take(), 0, siteHeaders) {
			t.Logf("caught: %s", p)
			offOrigin = offOrigin || strings.Contains(p, "leaves the site's origin")
			csp = csp || strings.Contains(p, "Content-Security-Policy violation")
		}
		if !offOrigin || !csp {
			t.Errorf("an off-origin image and an inline script: off-origin request reported %t, CSP violation reported %t; want both", offOrigin, csp)
		}
		if title, _ := chromedp.Run(tb.ctx, chromedp.Title()); title == "inline ran" {
			t.Errorf("the inline script ran: the CSP did not block it")
		}
	})

	t.Logf("browser test took %s", time.Since(start).Round(time.Millisecond))
}
