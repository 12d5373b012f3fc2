package server_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cambodia-sanctions/campaign/internal/content"
	"github.com/cambodia-sanctions/campaign/internal/i18n"
	"github.com/cambodia-sanctions/campaign/internal/petition"
	"github.com/cambodia-sanctions/campaign/internal/server"
	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
	"github.com/cambodia-sanctions/campaign/internal/vault"
	"github.com/cambodia-sanctions/campaign/web"
)

// fuzzSite is the real server on a fresh database, built once per fuzz
// target (newEnv needs a *testing.T, which a fuzz target's setup lacks)
// and shared by every input. Its catalog reads the petition from memory,
// so that FuzzPetitionPage can change it without a write per input.
type fuzzSite struct {
	db      *store.DB
	vault   *vault.Vault
	clock   *testutil.Clock
	catalog *petition.Catalog
	shown   *memPetition
	open    *store.Petition
	srv     *server.Server
}

// memPetition is a catalog store holding one petition, the one the
// database holds under the same id (signatures refer to it).
type memPetition struct {
	mu sync.Mutex
	p  store.Petition
}

func (m *memPetition) set(p store.Petition) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.p = p
}

func (m *memPetition) FindPetitions(context.Context) ([]*store.Petition, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.p
	return []*store.Petition{&p}, nil
}

func (m *memPetition) FindPetitionBySlug(_ context.Context, slug string) (*store.Petition, error) {
	ps, _ := m.FindPetitions(context.Background())
	if ps[0].Slug != slug {
		return nil, store.ErrNotFound
	}
	return ps[0], nil
}

func (m *memPetition) CreatePetition(context.Context, *store.Petition) error {
	return errors.New("memPetition is read-only")
}

func (m *memPetition) UpdatePetition(context.Context, *store.Petition) error {
	return errors.New("memPetition is read-only")
}

func newFuzzSite(tb testing.TB) *fuzzSite {
	tb.Helper()
	key, _ := hex.DecodeString(testKey)
	v, err := vault.New(key)
	if err != nil {
		tb.Fatal(err)
	}
	s := &fuzzSite{db: testutil.NewDB(tb), vault: v, clock: testutil.NewClock()}
	s.open = testutil.MustCreatePetition(tb, s.db, store.Petition{Slug: "open-petition", Title: "Free the prisoners",
		Featured: true, Goal: 500})
	s.shown = &memPetition{p: *s.open}
	s.catalog = petition.NewCatalog(s.shown)
	if err := s.catalog.Reload(context.Background()); err != nil {
		tb.Fatal(err)
	}
	counter := signing.NewCounter(s.clock.Now)
	writer := signing.NewBatchWriter(s.db, 64, nil)
	tb.Cleanup(func() { _ = writer.Close(context.Background()) })
	msgs, err := i18n.Load(web.FS, "locales")
	if err != nil {
		tb.Fatal(err)
	}
	s.srv, err = server.New(server.Options{
		Confirmations: s.db, Petitions: s.catalog, Counter: counter, Vault: v, Messages: msgs,
		Signing: signing.NewService(v, writer, counter, false, s.clock.Now),
		Article: content.Article{Title: "The article title", HTML: template.HTML("<p>Article body text.</p>")},
		Now:     s.clock.Now, BaseURL: "http://campaign.test", MinPublicCount: 10,
		MinFillTime: 3 * time.Second, MaxBodyBytes: 64 << 10,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func (s *fuzzSite) do(method, target, contentType, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	s.srv.Handler().ServeHTTP(w, r)
	return w
}

// FuzzSignForm posts arbitrary form bodies, with or without a valid form
// token: whatever arrives, the answer is a redirect to the thanks page, a
// form shown again with its errors (as valid UTF-8), or 413; never a 5xx.
func FuzzSignForm(f *testing.F) {
	site := newFuzzSite(f)
	for _, seed := range []string{
		"name=Sok+Dara&email=dara%40example.org&country=KH&city=Phnom+Penh&comment=Free+them.",
		"name=%27%3B+DROP+TABLE+signatures%3B+--&email=o%27brien%40example.org&country=KH",
		"name=%E2%80%AESok&email=a%40example.org&country=KH",
		"name=%E1%9E%9F%E2%80%8D%E1%9E%8A&email=%D0%B0dmin%40example.org&country=kh",
		"name=%3Cscript%3Ealert(1)%3C%2Fscript%3E&email=x%40example.org&country=KH&public=on&updates=maybe",
		"name=%ff%fe&email=%zz&country=ZZ&name=second",
		"website=http%3A%2F%2Fspam&name=Bot&email=bot%40example.org&country=KH",
		"public=yes&include_in_letters=2&updates=",
		";;&&==",
		"",
	} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, body string, withToken bool) {
		if withToken {
			body += "&t=" + site.vault.FormToken(site.clock.Now().Add(-10*time.Second))
		}
		w := site.do(http.MethodPost, "/petitions/open-petition/signatures", "application/x-www-form-urlencoded", body)
		switch w.Code {
		case http.StatusSeeOther:
			if loc := w.Header().Get("Location"); loc != thanksPath {
				t.Errorf("body %q: redirect to %q, want %q", body, loc, thanksPath)
			}
		case http.StatusUnprocessableEntity:
			if !utf8.Valid(w.Body.Bytes()) {
				t.Errorf("body %q: the form shown again is not valid UTF-8", body)
			}
		case http.StatusRequestEntityTooLarge:
		default:
			t.Errorf("body %q: status %d, want 303, 413 or 422; response %s", body, w.Code, w.Body)
		}
	})
}

// FuzzSignJSON posts arbitrary JSON bodies: the answer is 201 with a
// status and a receipt, or 400, 413 or 422 with {"errors": {...}}, always
// valid JSON; never a 5xx.
func FuzzSignJSON(f *testing.F) {
	site := newFuzzSite(f)
	for _, seed := range []string{
		`{"name":"Sok Dara","email":"dara@example.org","country":"KH","city":"Phnom Penh","comment":"Free them.","public":true}`,
		`{"name":"'; DROP TABLE signatures; --","email":"o'brien@example.org","country":"KH","city":"\" OR 1=1"}`,
		`{"name":"\u202eSok","email":"a@example.org","country":"KH"}`,
		`{"name":"សុខ\u200dដារ៉ា","email":"аdmin@example.org","country":"kh"}`,
		`{"name":"x","name":"y","email":"a@example.org","country":"KH","extra":{"deep":[1,2,{"x":null}]}}`,
		`{"name":1,"email":true,"country":null}`,
		`{"public":"yes"}`,
		`["a"]`,
		`{"name":"\ud800","email":"a@example.org","country":"KH"}`,
		"{\"name\":\"\xff\",\"email\":\"a@example.org\",\"country\":\"KH\"}",
		`{"name":`,
		`null`,
		``,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		w := site.do(http.MethodPost, "/petitions/open-petition/signatures", "application/json", body)
		var got struct {
			Status  string            `json:"status"`
			Receipt string            `json:"receipt"`
			Errors  map[string]string `json:"errors"`
		}
		switch w.Code {
		case http.StatusCreated:
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || got.Status == "" || !receiptRe.MatchString(got.Receipt) {
				t.Errorf("body %q: 201 with %s, want a status and a receipt", body, w.Body)
			}
		case http.StatusBadRequest, http.StatusUnprocessableEntity:
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || len(got.Errors) == 0 {
				t.Errorf("body %q: %d with %s, want {\"errors\":{...}}", body, w.Code, w.Body)
			}
		case http.StatusRequestEntityTooLarge:
		default:
			t.Errorf("body %q: status %d, want 201, 400, 413 or 422; response %s", body, w.Code, w.Body)
		}
	})
}

// scriptRe finds script elements, however spelled.
var scriptRe = regexp.MustCompile(`(?i)<\s*script`)

// FuzzPetitionPage renders arbitrary petition text — title, summary, one
// demand and the Markdown body — in the petition page and the home page
// that features it: the pages render, carry no script element beyond their
// own, and no link, source or form target that runs script.
func FuzzPetitionPage(f *testing.F) {
	site := newFuzzSite(f)
	baseline := map[string]int{}
	for _, target := range []string{"/petitions/open-petition", "/"} {
		baseline[target] = len(scriptRe.FindAllString(site.do(http.MethodGet, target, "", "").Body.String(), -1))
	}
	for _, seed := range [][4]string{
		{"Free the prisoners", "A summary.", "Release them", "Some **bold** text."},
		{"<script>alert(1)</script>", `"><script>alert(2)</script>`, "</li><script>x</script>", "<script>alert(3)</script>"},
		{"javascript:alert(1)", "<a href=\"javascript:alert(1)\">x</a>", "[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1)) <javascript:alert(1)>"},
		{"</title><script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>", "![x](javascript:alert(1))"},
		{"\u202eevil", "\x00\xff", "{{.Title}}", "[a](java\tscript:alert(1)) [b](&#106;avascript:alert(1))"},
		{"", "", "", ""},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	f.Fuzz(func(t *testing.T, title, summary, demand, body string) {
		p := *site.open
		p.Title, p.Summary, p.Demands, p.Body = title, summary, store.StringList{demand}, body
		site.shown.set(p)
		if err := site.catalog.Reload(context.Background()); err != nil {
			t.Fatalf("Markdown body %q: %v", body, err)
		}
		for _, target := range []string{"/petitions/open-petition", "/"} {
			w := site.do(http.MethodGet, target, "", "")
			if w.Code != http.StatusOK {
				t.Fatalf("%s with title %q summary %q demand %q body %q: status %d", target, title, summary, demand, body, w.Code)
			}
			page := w.Body.String()
			if n := len(scriptRe.FindAllString(page, -1)); n != baseline[target] {
				t.Errorf("%s with title %q summary %q demand %q body %q: %d script tags, want the page's own %d",
					target, title, summary, demand, body, n, baseline[target])
			}
			if attr, v, ok := scriptURL(page); ok {
				t.Errorf("%s with title %q summary %q demand %q body %q: %s=%q runs script", target, title, summary, demand, body, attr, v)
			}
		}
	})
}

// scriptURL finds an attribute whose URL a browser would run as script,
// reading it as a browser does: entities decoded (by tags), ASCII
// whitespace and controls removed, scheme case-insensitive.
func scriptURL(page string) (attr, value string, found bool) {
	for _, tg := range tags(page) {
		for _, name := range []string{"href", "src", "action", "formaction", "xlink:href", "poster", "data"} {
			v, ok := tg.attrs[name]
			if !ok {
				continue
			}
			clean := strings.Map(func(r rune) rune {
				if r <= ' ' {
					return -1
				}
				return r
			}, strings.ToLower(v))
			if strings.HasPrefix(clean, "javascript:") || strings.HasPrefix(clean, "vbscript:") ||
				strings.HasPrefix(clean, "data:text/html") {
				return name, v, true
			}
		}
	}
	return "", "", false
}
