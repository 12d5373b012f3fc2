package server_test

import (
	"html"
	"net/http"
	"strings"
	"testing"
)

// TestPageViewsNeverQueryTheDatabase closes the database after start-up:
// if any page view or API call touched it, it would fail. Counts still move
// because they come from the in-memory counter.
func TestPageViewsNeverQueryTheDatabase(t *testing.T) {
	e := newEnv(t)
	if w := e.postForm("open-petition", e.validForm("first@example.org")); w.Code != http.StatusSeeOther {
		t.Fatalf("sign: %d", w.Code)
	}
	e.writer.Close(t.Context())
	e.db.Close()
	for i := 0; i < 300; i++ {
		for _, path := range []string{"/", "/petitions", "/petitions/open-petition", "/api/petitions/open-petition"} {
			w := e.get(path)
			if w.Code != http.StatusOK {
				t.Fatalf("view %d of %s with the database closed: status %d", i, path, w.Code)
			}
		}
	}
	if body := e.get("/").Body.String(); !strings.Contains(body, "1 person has signed") {
		t.Errorf("home page does not show the stored count of 1")
	}
	e.counter.Add(e.open.ID, "FR", 41)
	for _, path := range []string{"/", "/petitions", "/petitions/open-petition"} {
		if body := e.get(path).Body.String(); !strings.Contains(body, "42 people have signed") {
			t.Errorf("%s does not show the new count 42 after the counter moved", path)
		}
	}
}

// TestCachedPagesGetFreshTokens checks that two views of a cached page carry
// their own fill-time tokens, not the one rendered into the cache.
func TestCachedPagesGetFreshTokens(t *testing.T) {
	e := newEnv(t)
	first := e.get("/").Body.String()
	e.clock.Advance(5e9)
	second := e.get("/").Body.String()
	tok := func(body string) string {
		i := strings.Index(body, `name="t" value="`)
		if i < 0 {
			t.Fatal("no token field on the page")
		}
		rest := body[i+len(`name="t" value="`):]
		return rest[:strings.IndexByte(rest, '"')]
	}
	if tok(first) == tok(second) {
		t.Error("two views 5s apart carry the same form token; the cache must fill it per request")
	}
	if strings.Contains(first, "@@dyn") {
		t.Error("a cache marker leaked into the page")
	}
}

func TestAPIETag(t *testing.T) {
	e := newEnv(t)
	w := e.get("/api/petitions/open-petition")
	etag := w.Header().Get("ETag")
	if etag == "" || !strings.Contains(w.Header().Get("Cache-Control"), "max-age") {
		t.Fatalf("API answer has ETag %q and Cache-Control %q; want both", etag, w.Header().Get("Cache-Control"))
	}
	if w := e.get("/api/petitions/open-petition", "If-None-Match", etag); w.Code != http.StatusNotModified {
		t.Errorf("unchanged figures with If-None-Match: status %d, want 304", w.Code)
	}
	e.counter.Add(e.open.ID, "US", 1)
	if w := e.get("/api/petitions/open-petition", "If-None-Match", etag); w.Code != http.StatusOK {
		t.Errorf("figures changed but If-None-Match got %d, want 200 with the new figures", w.Code)
	}
}

// TestMarkerLookalikesInContentAreText: text that looks like a page-cache
// placeholder, typed into a petition by an organizer, is shown as text and
// never breaks or alters the public pages.
func TestMarkerLookalikesInContentAreText(t *testing.T) {
	e := newEnv(t)
	p := e.open
	p.Title = "Title @@dyn:x@@ and @@dyn:count:1@@"
	if err := e.db.UpdatePetition(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	if err := e.catalog.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/", "/petitions", "/petitions/open-petition"} {
		w := e.get(path)
		if w.Code != http.StatusOK {
			t.Fatalf("%s with a marker lookalike in the title: %d, want 200", path, w.Code)
		}
		mustContain(t, w.Body.String(), "Title @@dyn:x@@ and @@dyn:count:1@@")
	}
}

// TestSigningWhileTheDatabaseIsDownSaysNotRecorded: when the database does
// not take a signature, the signer is told plainly that nothing was saved
// and to try again (503 with Retry-After), in the page and in the API; the
// count does not move.
func TestSigningWhileTheDatabaseIsDownSaysNotRecorded(t *testing.T) {
	e := newEnv(t)
	e.db.Close()
	w := e.postForm("open-petition", e.validForm("down@example.org"))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("form with the database down: status %d, Retry-After %q; want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	if want := e.msg("error.not_recorded"); !strings.Contains(w.Body.String(), html.EscapeString(want)) {
		t.Errorf("form page does not say %q", want)
	}
	w = e.postJSON("open-petition", `{"name":"Down Time","email":"down2@example.org","country":"FR"}`)
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), e.msg("error.not_recorded")) {
		t.Errorf("API with the database down: %d %s", w.Code, w.Body.String())
	}
	if n := e.counter.Total(e.open.ID); n != 0 {
		t.Errorf("count %d after failed signings, want 0", n)
	}
}
