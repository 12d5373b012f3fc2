package server_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

const thanksPath = "/petitions/open-petition/thanks"

// checkThanksRedirect asserts the answer to a signature that looks
// accepted: 303 to the thanks page with a receipt cookie scoped to it.
func checkThanksRedirect(t *testing.T, w *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	if w.Code != http.StatusSeeOther {
		t.Fatalf("status %d, want 303; body %s", w.Code, w.Body)
	}
	if loc := w.Header().Get("Location"); loc != thanksPath {
		t.Errorf("Location %q, want %q", loc, thanksPath)
	}
	c := receiptCookie(w)
	if c == nil {
		t.Fatalf("no receipt cookie set")
	}
	if !receiptRe.MatchString(c.Value) {
		t.Errorf("receipt code %q does not look like XXXX-XXXX-XXXX-XXXX", c.Value)
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != thanksPath {
		t.Errorf("receipt cookie HttpOnly=%v SameSite=%v Path=%q, want HttpOnly, SameSite=Strict, Path=%q",
			c.HttpOnly, c.SameSite, c.Path, thanksPath)
	}
	if c.MaxAge <= 0 || c.MaxAge > 3600 {
		t.Errorf("receipt cookie MaxAge %d, want a short positive lifetime", c.MaxAge)
	}
	return c
}

func TestSignByForm(t *testing.T) {
	e := newEnv(t)
	b := e.newBrowser()
	form := e.validForm("dara@example.org")
	form.Set("public", "true")
	form.Set("updates", "true")
	w := b.postForm("open-petition", form)
	code := checkThanksRedirect(t, w).Value

	// The thanks page shows the code once.
	th := b.get(thanksPath)
	if th.Code != http.StatusOK {
		t.Fatalf("thanks: status %d, want 200", th.Code)
	}
	if cc := th.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("thanks: Cache-Control %q, want no-store (it carries a receipt code)", cc)
	}
	mustContain(t, th.Body.String(), `<p class="receipt-code"><code>`+code+`</code></p>`)
	mustContain(t, th.Body.String(), e.msg("thanks.confirmed"))
	mustContain(t, th.Body.String(), "1 person has signed")
	again := b.get(thanksPath)
	mustNotContain(t, again.Body.String(), code)
	mustContain(t, again.Body.String(), e.msg("thanks.no_receipt"))

	// The cookie never travels beyond the thanks page.
	u, _ := url.Parse("http://campaign.test/")
	if cs := b.jar.Cookies(u); len(cs) != 0 {
		t.Errorf("browser sends %v to /, want no cookie", cs)
	}

	// The count moved by one on the page and in the API.
	mustContain(t, e.get("/").Body.String(), "1 person has signed")
	if got := decodeJSON(t, e.get("/api/petitions/open-petition"))["total"]; got != 1.0 {
		t.Errorf("API total %v, want 1", got)
	}

	// Stored as given.
	if n := e.storedCount(); n != 1 {
		t.Fatalf("stored %d signatures, want 1", n)
	}
	sig := e.findByEmail("dara@example.org")
	if !sig.Public || sig.IncludeInLetters || !sig.Updates {
		t.Errorf("stored consents public=%v include_in_letters=%v updates=%v, want true, false, true",
			sig.Public, sig.IncludeInLetters, sig.Updates)
	}
	if sig.Country != "KH" || sig.Status != "confirmed" || sig.Source != "web" {
		t.Errorf("stored country %q status %q source %q, want KH, confirmed, web", sig.Country, sig.Status, sig.Source)
	}
	if !e.receiptOpens(code, sig) {
		t.Errorf("stored receipt hash does not match the code shown to the signer")
	}
}

func TestSignConsentsStoredAsGiven(t *testing.T) {
	for _, tt := range []struct {
		public, letters, updates bool
	}{{false, false, false}, {true, true, true}, {false, true, false}} {
		e := newEnv(t)
		form := e.validForm("dara@example.org")
		for name, on := range map[string]bool{"public": tt.public, "include_in_letters": tt.letters, "updates": tt.updates} {
			if on {
				form.Set(name, "true")
			}
		}
		checkThanksRedirect(t, e.postForm("open-petition", form))
		sig := e.findByEmail("dara@example.org")
		if sig.Public != tt.public || sig.IncludeInLetters != tt.letters || sig.Updates != tt.updates {
			t.Errorf("ticked public=%v letters=%v updates=%v, stored %v %v %v",
				tt.public, tt.letters, tt.updates, sig.Public, sig.IncludeInLetters, sig.Updates)
		}
	}
}

// headerNames lists a response's header names without the ones that differ
// on every response by design.
func headerNames(w *httptest.ResponseRecorder) []string {
	var out []string
	for k := range w.Header() {
		if k != "X-Request-Id" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func TestDuplicateSignatureLooksLikeFirst(t *testing.T) {
	e := newEnv(t)
	first := e.postForm("open-petition", e.validForm("dara@example.org"))
	fc := checkThanksRedirect(t, first)
	for _, email := range []string{"dara@example.org", "DARA@Example.ORG", "dara+petition@example.org", "  dara@example.org  "} {
		t.Run(email, func(t *testing.T) {
			w := e.postForm("open-petition", e.validForm(email))
			c := checkThanksRedirect(t, w)
			if c.Value == fc.Value {
				t.Errorf("repeat got the first signer's receipt code")
			}
			if c.Path != fc.Path || c.MaxAge != fc.MaxAge || c.HttpOnly != fc.HttpOnly || c.SameSite != fc.SameSite {
				t.Errorf("repeat cookie %+v differs from first %+v", c, fc)
			}
			if got, want := headerNames(w), headerNames(first); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("repeat headers %v, first %v: a difference tells who has signed", got, want)
			}
			if w.Body.String() != first.Body.String() {
				t.Errorf("repeat body %q, first %q", w.Body, first.Body)
			}
			if n := e.storedCount(); n != 1 {
				t.Errorf("stored %d signatures, want still 1", n)
			}
			mustContain(t, e.get("/").Body.String(), "1 person has signed")
		})
	}
}

// errorCase is a form that fails one rule.
type errorCase struct {
	name  string
	field string
	value string
	key   string // message key in en.json
}

func formErrorCases() []errorCase {
	return []errorCase{
		{"missing name", "name", "", "field.name.required"},
		{"blank name", "name", "   ", "field.name.required"},
		{"name 101 chars", "name", strings.Repeat("a", 101), "field.name.too_long"},
		{"name 101 Khmer chars", "name", strings.Repeat("ក", 101), "field.name.too_long"},
		{"name with www", "name", "www.spam.com", "field.name.no_urls"},
		{"name with scheme", "name", "http://x", "field.name.no_urls"},
		{"name invalid UTF-8", "name", "\xff\xfe", "field.name.bad_characters"},
		{"name with NUL", "name", "Sok\x00Dara", "field.name.bad_characters"},
		{"name with ESC", "name", "Sok\x1b[31mDara", "field.name.bad_characters"},
		{"name with newline", "name", "Sok\nDara", "field.name.bad_characters"},
		{"name with bidi override", "name", "\u202eSok Dara", "field.name.bad_characters"},
		{"missing email", "email", "", "field.email.required"},
		{"invalid email", "email", "dara-at-example.org", "field.email.email"},
		{"email 255 chars", "email", strings.Repeat("a", 243) + "@example.org", "field.email.too_long"},
		{"missing country", "country", "", "field.country.required"},
		{"unknown country", "country", "ZZ", "field.country.country"},
		{"city with URL", "city", "evil.com", "field.city.no_urls"},
		{"comment 501 chars", "comment", strings.Repeat("b", 501), "field.comment.too_long"},
	}
}

func TestSignFormValidation(t *testing.T) {
	for _, tt := range formErrorCases() {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			form := e.validForm("dara@example.org")
			form.Set("include_in_letters", "true")
			form.Set(tt.field, tt.value)
			w := e.postForm("open-petition", form)
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422; Location %q", w.Code, w.Header().Get("Location"))
			}
			if n := e.storedCount(); n != 0 {
				t.Errorf("stored %d signatures for an invalid form, want 0", n)
			}
			body := w.Body.String()
			if !utf8.ValidString(body) {
				t.Errorf("page is not valid UTF-8")
			}
			msg := e.msg(tt.key)
			id := "f-" + tt.field
			el := elementsByID(t, body)

			// The message beside the field, tied to it for screen readers.
			mustContain(t, body, `<p class="field-error" id="`+id+`-error">`+msg+`</p>`)
			ctl := el[id]
			if ctl.attrs["aria-invalid"] != "true" {
				t.Errorf("%s has aria-invalid=%q, want true", id, ctl.attrs["aria-invalid"])
			}
			if !strings.Contains(" "+ctl.attrs["aria-describedby"]+" ", " "+id+"-error ") {
				t.Errorf("%s aria-describedby=%q, want it to name %s-error", id, ctl.attrs["aria-describedby"], id)
			}
			// The summary links to the field.
			summary := section(t, body, `<div class="error-summary"`, "</div>")
			mustContain(t, summary, `<a href="#`+id+`">`+msg+`</a>`)
			// No other field is marked wrong.
			for _, f := range []string{"name", "email", "country", "city", "comment"} {
				if f != tt.field && el["f-"+f].attrs["aria-invalid"] != "" {
					t.Errorf("f-%s is marked invalid too", f)
				}
			}

			// The other values are kept.
			keep := map[string]string{"name": "Sok Dara", "email": "dara@example.org", "city": "Phnom Penh"}
			for f, v := range keep {
				if f != tt.field && el["f-"+f].attrs["value"] != v {
					t.Errorf("f-%s value %q, want the submitted %q kept", f, el["f-"+f].attrs["value"], v)
				}
			}
			if tt.field != "comment" {
				mustContain(t, body, ">Free them all.</textarea>")
			}
			if tt.field != "country" {
				mustContain(t, body, `<option value="KH" selected>`)
			}
			if !el["f-letters"].has("checked") || el["f-public"].has("checked") {
				t.Errorf("consents not kept as ticked (only include_in_letters)")
			}
			// A valid printable value comes back as typed.
			if tt.field == "name" && utf8.ValidString(tt.value) && !strings.ContainsFunc(tt.value, isCtl) &&
				el["f-name"].attrs["value"] != tt.value {
				t.Errorf("name value %q, want the submitted %q kept", el["f-name"].attrs["value"], tt.value)
			}
			// Still a usable form: an empty honeypot and a valid token.
			if hp := el["f-website"]; hp.attrs["value"] != "" {
				t.Errorf("honeypot value %q, want empty", hp.attrs["value"])
			}
			for _, in := range tagsNamed(body, "input") {
				if in.attrs["name"] == "t" {
					if _, ok := e.vault.CheckFormToken(in.attrs["value"]); !ok {
						t.Errorf("form shown again with token %q, which does not check out", in.attrs["value"])
					}
				}
			}
		})
	}
}

func isCtl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x202a && r <= 0x202e) }

func TestSignAcceptsLongNonLatinName(t *testing.T) {
	tests := []struct{ name, value string }{
		{"100 Khmer characters", strings.Repeat("ក", 100)},
		{"100 Latin characters", strings.Repeat("a", 100)},
		{"Khmer with signs", "សុខ ដារា"},
		{"Thai", "สมชาย ใจดี"},
		{"padded to 100 after trimming", "  " + strings.Repeat("x", 100) + "  "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			form := e.validForm("dara@example.org")
			form.Set("name", tt.value)
			checkThanksRedirect(t, e.postForm("open-petition", form))
			if n := e.storedCount(); n != 1 {
				t.Errorf("stored %d, want 1", n)
			}
		})
	}
}

// TestFormThatCannotBeParsed: a checkbox with a value that is not a boolean
// shows the form again, never a 500, and never echoes the honeypot.
func TestFormThatCannotBeParsed(t *testing.T) {
	e := newEnv(t)
	form := e.validForm("dara@example.org")
	form.Set("public", "maybe")
	form.Set("website", "bot-filled-honeypot")
	w := e.postForm("open-petition", form)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", w.Code)
	}
	body := w.Body.String()
	mustContain(t, body, e.msg("field.form.invalid"))
	mustNotContain(t, body, "bot-filled-honeypot")
	if n := e.storedCount(); n != 0 {
		t.Errorf("stored %d, want 0", n)
	}
}

// TestCorrectedFormSignsEvenWhenQuick: a signer who fixes a typo on the
// re-shown form and sends it again at once is not mistaken for a bot; the
// form keeps the time it was first shown.
func TestCorrectedFormSignsEvenWhenQuick(t *testing.T) {
	e := newEnv(t)
	b := e.newBrowser()
	page := b.get("/petitions/open-petition").Body.String()
	form := e.validForm("dara@example")
	for _, in := range tagsNamed(page, "input") {
		if in.attrs["name"] == "t" {
			form.Set("t", in.attrs["value"])
		}
	}
	e.clock.Advance(30 * time.Second) // the signer takes time to fill the form in
	w := b.postForm("open-petition", form)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("typo: status %d, want 422", w.Code)
	}
	var tok string
	for _, in := range tagsNamed(w.Body.String(), "input") {
		if in.attrs["name"] == "t" {
			tok = in.attrs["value"]
		}
	}
	e.clock.Advance(time.Second) // and fixes it in one second
	form.Set("email", "dara@example.org")
	form.Set("t", tok)
	checkThanksRedirect(t, b.postForm("open-petition", form))
	if n := e.storedCount(); n != 1 {
		t.Errorf("stored %d signatures after the corrected form, want 1: the signer was told thanks but not counted", n)
	}
}

func TestBotsGetSilentSuccess(t *testing.T) {
	tests := []struct {
		name   string
		modify func(e *env, f url.Values)
	}{
		{"honeypot filled", func(e *env, f url.Values) { f.Set("website", "http://spam.example") }},
		{"token missing", func(e *env, f url.Values) { f.Del("t") }},
		{"token tampered", func(e *env, f url.Values) {
			tok := []byte(f.Get("t"))
			tok[len(tok)-1] ^= 1
			f.Set("t", string(tok))
		}},
		{"token garbage", func(e *env, f url.Values) { f.Set("t", "not-a-token") }},
		{"filled in 1s", func(e *env, f url.Values) { f.Set("t", e.vault.FormToken(e.clock.Now().Add(-time.Second))) }},
		{"token from the future", func(e *env, f url.Values) { f.Set("t", e.vault.FormToken(e.clock.Now().Add(time.Hour))) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			human := e.postForm("open-petition", e.validForm("human@example.org"))
			form := e.validForm("bot@example.org")
			tt.modify(e, form)
			b := e.newBrowser()
			w := b.postForm("open-petition", form)
			checkThanksRedirect(t, w)
			if got, want := headerNames(w), headerNames(human); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("bot headers %v, human %v: a difference tells the bot", got, want)
			}
			th := b.get(thanksPath)
			mustContain(t, th.Body.String(), receiptCookieValue(t, w))
			if n := e.storedCount(); n != 1 {
				t.Errorf("stored %d signatures, want only the human's 1", n)
			}
			mustContain(t, e.get("/").Body.String(), "1 person has signed")
		})
	}
}

func receiptCookieValue(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	c := receiptCookie(w)
	if c == nil {
		t.Fatal("no receipt cookie")
	}
	return c.Value
}
