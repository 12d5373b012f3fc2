package server_test

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/signing"
)

// hostileInput is what a signer types, sent as is by form and by JSON.
type hostileInput struct {
	Name, Email, City, Comment string
}

func (in hostileInput) form(e *env) url.Values {
	return url.Values{"name": {in.Name}, "email": {in.Email}, "country": {"KH"}, "city": {in.City},
		"comment": {in.Comment}, "t": {e.formToken()}}
}

func (in hostileInput) json(t *testing.T) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"name": in.Name, "email": in.Email, "country": "KH", "city": in.City,
		"comment": in.Comment})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// at returns in with its email's domain replaced, so the form and the JSON
// copy of one input are two signers.
func (in hostileInput) at(domain string) hostileInput {
	local, _, _ := strings.Cut(in.Email, "@")
	in.Email = local + "@" + domain
	return in
}

// Inputs that are legitimate, however they look: stored byte for byte.
var acceptedHostile = []struct {
	label string
	in    hostileInput
}{
	{"SQL in every field", hostileInput{Name: `'; DROP TABLE signatures; --`, Email: `o'brien@x`,
		City: `" OR 1=1 --`, Comment: "'); DELETE FROM petitions; --\n\" OR \"\"=\""}},
	{"SQL quote trick", hostileInput{Name: `" OR 1=1`, Email: `robert@x`, City: `1' OR '1'='1`, Comment: `%'; --`}},
	{"markup", hostileInput{Name: `<script>alert(1)</script>`, Email: `markup@x`,
		City: `"><img src=x onerror=alert(1)>`, Comment: `</textarea><script>alert(2)</script>`}},
	{"Khmer with zero-width joiners", hostileInput{Name: "សុខ\u200dដារ៉ា\u200d", Email: "khmer@x",
		City: "ភ្នំ\u200dពេញ", Comment: "សូមដោះលែង\u200dពួកគេ"}},
	{"Arabic with a zero-width joiner", hostileInput{Name: "محمد\u200dعلي", Email: "arabic@x", City: "الرياض"}},
	{"ASCII admin", hostileInput{Name: "Admin Latin", Email: "admin@x"}},
	// Cyrillic а (U+0430): looks like "admin", is another address.
	{"homoglyph admin", hostileInput{Name: "Admin Cyrillic", Email: "\u0430dmin@x"}},
	{"100 Khmer letters, the longest name", hostileInput{Name: strings.Repeat("ក", 100), Email: "long@x"}},
}

// Inputs refused with 422, and the field that says why.
var refusedHostile = []struct {
	label, field, key string
	in                hostileInput
}{
	{"bidi override in the name", "name", "name.bad_characters",
		hostileInput{Name: "\u202eSok Dara", Email: "bidi1@x"}},
	{"bidi override in the city", "city", "city.bad_characters",
		hostileInput{Name: "Sok Dara", Email: "bidi2@x", City: "Phnom\u202e Penh"}},
	{"bidi isolate in the comment", "comment", "comment.bad_characters",
		hostileInput{Name: "Sok Dara", Email: "bidi3@x", Comment: "free \u2067them\u2069"}},
	{"101-character name", "name", "name.too_long",
		hostileInput{Name: strings.Repeat("a", 101), Email: "long1@x"}},
	{"101 Khmer letters", "name", "name.too_long",
		hostileInput{Name: strings.Repeat("ក", 101), Email: "long2@x"}},
	{"markup and a bad address", "email", "email.email",
		hostileInput{Name: `"><script>alert(3)</script>`, Email: `"><script>alert(4)</script>`}},
}

// TestHostileSignatures signs with SQL metacharacters, Unicode tricks and
// markup by form and by JSON, then checks what was stored (opened with the
// signing service), what the pages show, and that nothing else changed.
func TestHostileSignatures(t *testing.T) {
	ce := newConsoleEnv(t)
	e := ce.env
	// A first ordinary signature creates what every later one shares (the
	// day's client-tag key), so the snapshot below sees only what they add.
	checkThanksRedirect(t, e.postForm("open-petition", e.validForm("first@example.org")))
	before := dbSnapshot(t, e)
	stored := e.storedCount()

	for _, tt := range acceptedHostile {
		t.Run("accept "+tt.label, func(t *testing.T) {
			byForm, byJSON := tt.in.at("form.example.org"), tt.in.at("json.example.org")
			checkThanksRedirect(t, e.postForm("open-petition", byForm.form(e)))
			if w := e.postJSON("open-petition", byJSON.json(t)); w.Code != http.StatusCreated {
				t.Fatalf("JSON: status %d, want 201; body %s", w.Code, w.Body)
			}
			for _, in := range []hostileInput{byForm, byJSON} {
				got, err := e.svc.Open(e.findByEmail(in.Email))
				if err != nil {
					t.Fatalf("open the signature of %q: %v", in.Email, err)
				}
				if want := (signing.Input{Name: in.Name, Email: in.Email, Country: "KH", City: in.City, Comment: in.Comment}); got != want {
					t.Errorf("stored %#v,\nwant   %#v byte for byte", got, want)
				}
			}
		})
	}
	// The homoglyph is another signer, not a repeat of admin@.
	for _, domain := range []string{"form.example.org", "json.example.org"} {
		latin, cyrillic := e.findByEmail("admin@"+domain), e.findByEmail("\u0430dmin@"+domain)
		if latin.ID == cyrillic.ID || string(latin.EmailHash) == string(cyrillic.EmailHash) {
			t.Errorf("admin@%s and its Cyrillic look-alike are one signature", domain)
		}
	}

	for _, tt := range refusedHostile {
		t.Run("refuse "+tt.label, func(t *testing.T) {
			w := e.postForm("open-petition", tt.in.at("form.example.org").form(e))
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("form: status %d, want 422", w.Code)
			}
			body := w.Body.String()
			mustContain(t, body, e.msg("field."+tt.key))
			// The values come back in the form, escaped.
			mustContain(t, body, `value="`+template.HTMLEscapeString(strings.ToValidUTF8(tt.in.Name, "\uFFFD"))+`"`)
			mustNotContain(t, body, "<script>alert(")

			w = e.postJSON("open-petition", tt.in.at("json.example.org").json(t))
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("JSON: status %d, want 422; body %s", w.Code, w.Body)
			}
			var got struct{ Errors map[string]string }
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || got.Errors[tt.field] != e.msgs.T("en", "field."+tt.key) {
				t.Errorf("JSON errors %s, want %s: %q", w.Body, tt.field, e.msgs.T("en", "field."+tt.key))
			}
		})
	}

	t.Run("refuse a 1 MB name", func(t *testing.T) {
		huge := hostileInput{Name: strings.Repeat("ក", 1<<20/3), Email: "huge@example.org"}
		for _, r := range []struct {
			label, contentType, body string
		}{
			{"form", "application/x-www-form-urlencoded", huge.form(e).Encode()},
			{"JSON", "application/json", huge.json(t)},
		} {
			for _, chunked := range []bool{false, true} {
				req := httptest.NewRequest(http.MethodPost, "/petitions/open-petition/signatures", strings.NewReader(r.body))
				req.Header.Set("Content-Type", r.contentType)
				if chunked { // no Content-Length: the limit must hold while reading
					req.ContentLength = -1
					req.Body = io.NopCloser(strings.NewReader(r.body))
				}
				if w := e.serve(req); w.Code != http.StatusRequestEntityTooLarge {
					t.Errorf("%s (chunked %v): status %d, want 413", r.label, chunked, w.Code)
				}
			}
		}
	})

	t.Run("SQL in the address", func(t *testing.T) {
		for _, slug := range []string{"%27%20OR%201%3D1%20--", "open-petition%27%3B%20DROP%20TABLE%20signatures%3B%20--"} {
			if w := e.get("/petitions/" + slug); w.Code != http.StatusNotFound {
				t.Errorf("GET /petitions/%s: status %d, want 404", slug, w.Code)
			}
			if w := e.postForm(slug, e.validForm("slug@example.org")); w.Code != http.StatusNotFound {
				t.Errorf("POST to /petitions/%s: status %d, want 404", slug, w.Code)
			}
		}
	})

	if got, want := e.storedCount(), stored+int64(2*len(acceptedHostile)); got != want {
		t.Errorf("%d signatures stored, want %d: every accepted one and nothing else", got, want)
	}
	after := dbSnapshot(t, e)
	delete(before.counts, "signatures")
	delete(after.counts, "signatures")
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("the rest of the database changed:\nbefore %v\nafter  %v", before, after)
	}

	checkHostilePages(t, ce)
}

// checkHostilePages asserts that the public pages still work and that the
// console shows every accepted input exactly, escaped.
func checkHostilePages(t *testing.T, ce *consoleEnv) {
	t.Helper()
	for _, target := range []string{"/", "/petitions", "/petitions/open-petition", "/api/petitions/open-petition", "/privacy"} {
		if w := ce.get(target); w.Code != http.StatusOK {
			t.Errorf("GET %s after hostile input: status %d, want 200", target, w.Code)
		}
	}
	w := ce.signIn("owner").get("/admin/petitions/open-petition/signatures")
	if w.Code != http.StatusOK {
		t.Fatalf("console search: status %d, want 200", w.Code)
	}
	body := w.Body.String()
	for _, tt := range acceptedHostile {
		for _, s := range []string{tt.in.Name, tt.in.at("form.example.org").Email, tt.in.City, tt.in.Comment} {
			if s != "" {
				mustContain(t, body, "<td>"+template.HTMLEscapeString(s)+"</td>")
			}
		}
	}
	for _, raw := range []string{"<script>alert(", "<img src=x", "</textarea><script>"} {
		mustNotContain(t, body, raw)
	}
}

// snapshot is the schema of the database and how many rows each table has.
type snapshot struct {
	schema    []string
	counts    map[string]int64
	petitions []string
}

// dbSnapshot reads the database file as another process would.
func dbSnapshot(t *testing.T, e *env) snapshot {
	t.Helper()
	db := e.rawDB(t)
	s := snapshot{counts: map[string]int64{}}
	rows, err := db.Query(`SELECT type, name, COALESCE(sql, '') FROM sqlite_master ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var typ, name, sql string
		if err := rows.Scan(&typ, &name, &sql); err != nil {
			t.Fatal(err)
		}
		s.schema = append(s.schema, typ+" "+name+": "+sql)
		if typ == "table" {
			tables = append(tables, name)
		}
	}
	for _, table := range tables {
		var n int64
		if err := db.QueryRow(`SELECT COUNT(*) FROM "` + table + `"`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		s.counts[table] = n
	}
	prow, err := db.Query(`SELECT id, slug, title, summary, body, demands, goal, status, countries, featured,
		COALESCE(closes_at, ''), updated_at FROM petitions ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer prow.Close()
	for prow.Next() {
		var cols [12]any
		ptrs := make([]any, len(cols))
		for i := range cols {
			ptrs[i] = &cols[i]
		}
		if err := prow.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		s.petitions = append(s.petitions, fmt.Sprint(cols))
	}
	return s
}
