package server_test

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// ogImage is the picture link previews show, served under /static.
const ogImage = "../../web/static/og-image.png"

// TestOpenGraphImage checks the committed card: a PNG of 1200×630, the
// size Open Graph and Twitter's large card expect, small enough for a slow
// connection. With CAMPAIGN_RENDER_OG_IMAGE=1 it first renders
// testdata/og-card.html in Chromium and writes the PNG (then commit it).
func TestOpenGraphImage(t *testing.T) {
	if os.Getenv("CAMPAIGN_RENDER_OG_IMAGE") == "1" {
		renderOGImage(t)
	}
	b, err := os.ReadFile(ogImage)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", ogImage, err)
	}
	if cfg.Width != 1200 || cfg.Height != 630 {
		t.Errorf("%s is %d×%d, want 1200×630", ogImage, cfg.Width, cfg.Height)
	}
	if len(b) > 300<<10 {
		t.Errorf("%s is %d KiB; keep it under 300 KiB for slow connections", ogImage, len(b)>>10)
	}
}

func renderOGImage(t *testing.T) {
	t.Helper()
	browserCtx := startBrowser(t, 30*time.Second)
	mux := http.NewServeMux()
	mux.Handle("/fonts/", http.StripPrefix("/fonts/", http.FileServer(http.Dir("../../web/static/fonts"))))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, "testdata/og-card.html") })
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	ctx, cancel := chromedp.NewContext(browserCtx)
	t.Cleanup(cancel)
	buf, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1200, 630)); err != nil {
			return nil, err
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/")); err != nil {
			return nil, err
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`document.fonts.ready.then(() => true)`, chromedp.EvalAwaitPromise)); err != nil {
			return nil, err
		}
		r, err := cdp.Call(ctx, tg, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format: page.CaptureScreenshotFormatPng, Clip: &page.Viewport{Width: 1200, Height: 630, Scale: 1}})
		return r.Data, err
	})
	if err != nil {
		t.Fatalf("render testdata/og-card.html: %v", err)
	}
	if err := os.WriteFile(ogImage, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d KiB)", ogImage, len(buf)>>10)
}
