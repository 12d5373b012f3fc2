package server_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

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

// testKey is a fixed secret key for tests.
const testKey = "6b1e0c3f9a7d2e4b8c5f1a0d3e6b9c2f5a8d1e4b7c0f3a6d9e2b5c8f1a4d7e0b"

// env is a running test server with its parts exposed for assertions.
type env struct {
	t       *testing.T
	db      *store.DB
	dbPath  string
	clock   *testutil.Clock
	vault   *vault.Vault
	counter *signing.Counter
	catalog *petition.Catalog
	writer  *signing.BatchWriter
	srv     *server.Server
	open    *store.Petition // "open-petition", featured
	closed  *store.Petition // "closed-petition"
}

type envOption func(*server.Options)

// newEnv builds the real server on a fresh SQLite database with two
// petitions: one open and featured, one closed.
func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	db, path := testutil.NewDBFile(t)
	clock := testutil.NewClock()
	key, _ := hex.DecodeString(testKey)
	v, err := vault.New(key)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, dbPath: path, clock: clock, vault: v}
	e.open = testutil.MustCreatePetition(t, db, store.Petition{Slug: "open-petition", Title: "Free the prisoners", Featured: true, Goal: 500})
	e.closed = testutil.MustCreatePetition(t, db, store.Petition{Slug: "closed-petition", Title: "An old petition", Status: store.PetitionClosed})
	e.catalog = petition.NewCatalog(db)
	if err := e.catalog.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.counter = signing.NewCounter(clock.Now)
	e.writer = signing.NewBatchWriter(db, 64, nil)
	t.Cleanup(func() { _ = e.writer.Close(context.Background()) })
	svc := signing.NewService(v, e.writer, e.counter, false, clock.Now)
	msgs, err := i18n.Load(web.FS, "locales")
	if err != nil {
		t.Fatal(err)
	}
	o := server.Options{
		Petitions: e.catalog, Signing: svc, Counter: e.counter, Vault: v, Messages: msgs,
		Article: content.Article{Title: "The article title", HTML: template.HTML("<p>Article body text.</p>")},
		Now:     clock.Now, BaseURL: "http://campaign.test", MinPublicCount: 10,
		MinFillTime: 3 * time.Second, MaxBodyBytes: 64 << 10,
	}
	for _, opt := range opts {
		opt(&o)
	}
	e.srv, err = server.New(o)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	return e
}

// do sends a request through the real router.
func (e *env) do(method, target string, body string, header ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(w, r)
	return w
}

func (e *env) get(target string, header ...string) *httptest.ResponseRecorder {
	return e.do(http.MethodGet, target, "", header...)
}

// formToken returns a form token issued long enough ago to pass the fill-time check.
func (e *env) formToken() string {
	return e.vault.FormToken(e.clock.Now().Add(-10 * time.Second))
}

// validForm is a complete, valid signing form.
func (e *env) validForm(email string) url.Values {
	return url.Values{
		"name": {"Sok Dara"}, "email": {email}, "country": {"KH"}, "city": {"Phnom Penh"},
		"comment": {"Free them all."}, "t": {e.formToken()},
	}
}

// postForm posts a form to a petition's sign endpoint.
func (e *env) postForm(slug string, form url.Values) *httptest.ResponseRecorder {
	return e.do(http.MethodPost, "/petitions/"+slug+"/signatures", form.Encode(),
		"Content-Type", "application/x-www-form-urlencoded")
}

// postJSON posts a JSON body to a petition's sign endpoint.
func (e *env) postJSON(slug, body string) *httptest.ResponseRecorder {
	return e.do(http.MethodPost, "/petitions/"+slug+"/signatures", body, "Content-Type", "application/json")
}

// storedCount counts signature rows straight from the database.
func (e *env) storedCount() int64 {
	e.t.Helper()
	rows, err := e.db.CountSignatures(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	var n int64
	for _, r := range rows {
		n += r.N
	}
	return n
}

func mustContain(t *testing.T, body, want string) {
	t.Helper()
	if !strings.Contains(body, want) {
		t.Errorf("page does not contain %q", want)
	}
}

func mustNotContain(t *testing.T, body, unwanted string) {
	t.Helper()
	if strings.Contains(body, unwanted) {
		t.Errorf("page contains %q, which it must not", unwanted)
	}
}

var _ = bytes.Contains
