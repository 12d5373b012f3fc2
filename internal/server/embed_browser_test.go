package server_test

// The signing widget in a real browser: a partner's page on another site
// frames /embed/open-petition, and a person signs through the frame.
// Chromium runs the cross-site frame in its own process (site isolation
// stays on), so the test drives it through its own target.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/cambodia-sanctions/campaign/internal/server"
)

// widgetHeaders is the header rule of a page of the widget: its documents
// may be framed by ancestors (framableProblems); its stylesheet and fonts
// are the site's, with the site's headers.
func widgetHeaders(ancestors ...string) headersRule {
	return func(r *network.Response) []string {
		if u, err := url.Parse(r.URL); err == nil && strings.HasPrefix(u.Path, "/embed/") {
			return withURL(r, framableProblems(headerOf(r), ancestors))
		}
		return siteHeaders(r)
	}
}

// partnerSite serves one page that frames src, on http://localhost:PORT:
// another site than the campaign's http://127.0.0.1:PORT, as a partner's
// would be. src is read at each request, so it can be set once the
// campaign's server exists.
func partnerSite(t *testing.T, src *string) (origin string) {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>A partner organisation</title></head>
<body style="margin:0;font-family:sans-serif"><h1 style="margin:8px">A partner organisation</h1>
<iframe id="widget" src="%s" title="Sign the petition" width="100%%" height="1100" style="border:0;display:block"></iframe>
</body></html>`, *src)
	}))
	t.Cleanup(ts.Close)
	_, port, err := net.SplitHostPort(strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	return "http://localhost:" + port
}

// frameTarget waits for the cross-site frame whose URL starts with prefix
// and returns a tab attached to it.
func frameTarget(t *testing.T, parent *tab, prefix string) *tab {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		infos, err := chromedp.Targets(parent.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, prefix) {
				ft := &tab{origin: parent.origin, inflight: map[network.RequestID]string{}}
				ctx, cancel := chromedp.NewContext(parent.ctx, chromedp.WithTargetID(info.TargetID), chromedp.WithListener(ft.record))
				t.Cleanup(cancel)
				ft.ctx = ctx
				if err := chromedp.Do(ctx, chromedp.Func(func(context.Context, *chromedp.Target) error { return nil })); err != nil {
					t.Fatalf("attach to the frame: %v", err)
				}
				return ft
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no frame loaded %s… in 10s (was it refused?)", prefix)
	return nil
}

// framedLocation returns the address of the document in the frame that
// was asked to load prefix…: that address when the browser showed it, or
// an error page's (chrome-error://…) when it refused to.
func framedLocation(t *testing.T, parent *tab, prefix string) string {
	t.Helper()
	ft := frameTarget(t, parent, prefix)
	loc, err := chromedp.Run(ft.ctx, chromedp.Evaluate[string](`location.href`))
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// openPartner loads the partner's page in tb and waits for its load event.
// (tab.load would wait for the frame's requests too, which the page's
// target never sees finish: the frame runs in another process.)
func openPartner(t *testing.T, tb *tab, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Navigate(url))); err != nil {
		t.Fatalf("load %s: %v", url, err)
	}
}

func TestBrowserEmbedOnPartnerSite(t *testing.T) {
	browserCtx := startBrowser(t, 90*time.Second)
	var src string
	partner := partnerSite(t, &src)
	ce := newConsoleEnv(t, withEmbedOrigins(partner), func(o *server.Options) { o.MinFillTime = time.Second })
	ts := httptest.NewServer(ce.srv.Handler())
	t.Cleanup(ts.Close)
	widget := ts.URL + "/embed/open-petition"

	tb := newTab(t, browserCtx, partner, true)
	src = widget + "?lang=en"
	openPartner(t, tb, partner+"/")
	ft := frameTarget(t, tb, widget)

	// The frame shows the widget, loaded from the campaign's site only.
	if got := strings.Join(strings.Fields(ft.text(t, "h1.embed-title")), " "); got != "Free the prisoners "+ce.msgs.T("en", "embed.new_tab") {
		t.Errorf("the frame's heading is %q", got)
	}
	framedScreenshot(t, tb, ft, "embed-partner-form-360")
	if err := chromedp.Do(ft.ctx, fill("f-name", "Sok Dara", "f-email", "framed@example.org", "f-country", "Cambodia",
		"f-comment", "Signed on a partner's page.")); err != nil {
		t.Fatalf("fill the framed form: %v", err)
	}
	ce.clock.Advance(2 * time.Second) // past MinFillTime on the server's clock
	ft.take()
	if err := chromedp.Do(ft.ctx, chromedp.Click(chromedp.CSS(`form.sign button[type="submit"]`))); err != nil {
		t.Fatalf("submit the framed form: %v", err)
	}
	code := ft.text(t, ".receipt-code")
	ft.settle(t)
	sig := ce.findByEmail("framed@example.org")
	if !receiptRe.MatchString(code) || !ce.receiptOpens(code, sig) || sig.Source != "embed" {
		t.Errorf("the frame shows receipt %q; opens the stored signature: %t; source %q", code, ce.receiptOpens(code, sig), sig.Source)
	}
	got := ft.take()
	for _, r := range got.responses {
		if strings.HasPrefix(r.URL, widget) {
			for _, p := range framableProblems(headerOf(r), []string{"'self'", partner}) {
				t.Errorf("%s (%d): %s", r.URL, r.Status, p)
			}
		}
	}
	for _, raw := range got.requests {
		if !strings.HasPrefix(raw, ts.URL+"/") && !strings.HasPrefix(raw, "data:") {
			t.Errorf("the frame requested %s, off the campaign's site", raw)
		}
	}
	for _, m := range got.messages {
		if isCSPViolation(m) {
			t.Errorf("in the frame: %s", m)
		}
	}
	// The thanks stayed in the frame; the partner's page is still there.
	if loc, err := chromedp.Run(tb.ctx, chromedp.Location()); err != nil || loc != partner+"/" {
		t.Errorf("after signing the top page is %q (%v), want the partner's %s/", loc, err, partner)
	}
	framedScreenshot(t, tb, ft, "embed-partner-thanks-360")

	// A page of the site that is not the widget is refused in the frame,
	// even on a listed partner's page.
	src = ts.URL + "/petitions/open-petition"
	openPartner(t, tb, partner+"/")
	if loc := framedLocation(t, tb, src); !strings.HasPrefix(loc, "chrome-error:") {
		t.Errorf("a listed partner framing /petitions/open-petition: the frame shows %s, want it refused", loc)
	}
}

// An unlisted site cannot frame the widget.
func TestBrowserEmbedRefusedToOtherSites(t *testing.T) {
	browserCtx := startBrowser(t, 60*time.Second)
	var src string
	stranger := partnerSite(t, &src)
	e := newEnv(t, withEmbedOrigins("https://partner.example"))
	ts := httptest.NewServer(e.srv.Handler())
	t.Cleanup(ts.Close)
	src = ts.URL + "/embed/open-petition"
	tb := newTab(t, browserCtx, stranger, true)
	openPartner(t, tb, stranger+"/")
	if loc := framedLocation(t, tb, src); !strings.HasPrefix(loc, "chrome-error:") {
		t.Errorf("an unlisted site framing the widget: the frame shows %s, want it refused", loc)
	}
}

// framedScreenshot takes a screenshot of the partner's page once the
// frame's fonts have loaded, with a viewport as tall as the page (Chromium
// leaves a cross-site frame blank below the viewport otherwise).
func framedScreenshot(t *testing.T, tb, ft *tab, name string) {
	t.Helper()
	if _, err := chromedp.Run(ft.ctx, chromedp.Evaluate[chromedp.Void](`document.fonts.ready.then(() => true)`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	height, err := chromedp.Run(tb.ctx, chromedp.Evaluate[int64](`document.documentElement.scrollHeight`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tb.ctx, chromedp.EmulateViewport(phoneWidth, height)); err != nil {
		t.Fatal(err)
	}
	screenshotArtifact(t, tb, name)
	if err := chromedp.Do(tb.ctx, chromedp.EmulateViewport(phoneWidth, 740)); err != nil {
		t.Fatal(err)
	}
}

// screenshotArtifact saves a 360-pixel-wide screenshot of the tab's page
// under the test's temporary directory and, when CAMPAIGN_ARTIFACTS_DIR is
// set, there too.
func screenshotArtifact(t *testing.T, tb *tab, name string) {
	t.Helper()
	dir := t.TempDir()
	tb.screenshot(t, dir, name)
	artifacts := os.Getenv("CAMPAIGN_ARTIFACTS_DIR")
	if artifacts == "" {
		return
	}
	b, err := os.ReadFile(filepath.Join(dir, name+".png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(artifacts, name+".png"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("artifact: %s", filepath.Join(artifacts, name+".png"))
}
