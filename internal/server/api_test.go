package server_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSignByJSON(t *testing.T) {
	e := newEnv(t)
	// No token, no honeypot: the JSON endpoint relies on rate limits instead.
	body := `{"name":"Sok Dara","email":"dara@example.org","country":"KH","city":"Phnom Penh",
		"comment":"Free them all.","public":true,"include_in_letters":true,"updates":false}`
	w := e.postJSON("open-petition", body)
	if w.Code != http.StatusCreated {
		t.Fatalf("status %d, want 201; body %s", w.Code, w.Body)
	}
	got := decodeJSON(t, w)
	if len(got) != 2 || got["status"] != "confirmed" || !receiptRe.MatchString(toString(got["receipt"])) {
		t.Errorf("body %s, want exactly {\"status\":\"confirmed\",\"receipt\":\"XXXX-XXXX-XXXX-XXXX\"}", w.Body)
	}
	if receiptCookie(w) != nil {
		t.Errorf("JSON answer sets a receipt cookie; the receipt is in the body")
	}
	sig := e.findByEmail("dara@example.org")
	if !sig.Public || !sig.IncludeInLetters || sig.Updates || sig.Source != "api" {
		t.Errorf("stored public=%v letters=%v updates=%v source=%q, want true, true, false, api",
			sig.Public, sig.IncludeInLetters, sig.Updates, sig.Source)
	}
	if !e.receiptOpens(toString(got["receipt"]), sig) {
		t.Errorf("stored receipt hash does not match the receipt returned")
	}
	if total := decodeJSON(t, e.get("/api/petitions/open-petition"))["total"]; total != 1.0 {
		t.Errorf("API total %v after one signature, want 1", total)
	}

	// A repeat, in any spelling of the address, answers the same way.
	for _, email := range []string{"dara@example.org", "Dara+x@EXAMPLE.org"} {
		w := e.postJSON("open-petition", `{"name":"Sok Dara","email":"`+email+`","country":"KH"}`)
		if w.Code != http.StatusCreated {
			t.Fatalf("repeat %s: status %d, want 201", email, w.Code)
		}
		again := decodeJSON(t, w)
		if len(again) != 2 || again["status"] != "confirmed" || !receiptRe.MatchString(toString(again["receipt"])) {
			t.Errorf("repeat %s: body %s, want the same shape as a first signature", email, w.Body)
		}
		if again["receipt"] == got["receipt"] {
			t.Errorf("repeat %s got the first signer's receipt", email)
		}
	}
	if n := e.storedCount(); n != 1 {
		t.Errorf("stored %d, want 1", n)
	}
}

// TestJSONIgnoresFormOnlyFields: the honeypot and token are not part of the
// JSON contract; sending them changes nothing.
func TestJSONIgnoresFormOnlyFields(t *testing.T) {
	e := newEnv(t)
	w := e.postJSON("open-petition", `{"name":"Sok Dara","email":"dara@example.org","country":"KH","website":"x","t":"bad"}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("status %d, want 201; body %s", w.Code, w.Body)
	}
	if n := e.storedCount(); n != 1 {
		t.Errorf("stored %d, want 1", n)
	}
}

func TestSignByJSONValidation(t *testing.T) {
	long := strings.Repeat("c", 501)
	tests := []struct {
		name string
		body string
		want map[string]string // field → message key
	}{
		{"missing email", `{"name":"Sok Dara","country":"KH"}`, map[string]string{"email": "field.email.required"}},
		{"invalid email", `{"name":"Sok Dara","email":"nope","country":"KH"}`, map[string]string{"email": "field.email.email"}},
		{"everything wrong", `{"name":"www.spam.com","email":"","country":"ZZ","city":"http://x","comment":"` + long + `"}`,
			map[string]string{"name": "field.name.no_urls", "email": "field.email.required", "country": "field.country.country",
				"city": "field.city.no_urls", "comment": "field.comment.too_long"}},
		{"empty object", `{}`, map[string]string{"name": "field.name.required", "email": "field.email.required", "country": "field.country.required"}},
		{"bidi override", `{"name":"\u202eSok","email":"a@example.org","country":"KH"}`, map[string]string{"name": "field.name.bad_characters"}},
		{"control character", `{"name":"Sok\u001bDara","email":"a@example.org","country":"KH"}`, map[string]string{"name": "field.name.bad_characters"}},
		{"invalid UTF-8", "{\"name\":\"\xff\xfe\",\"email\":\"a@example.org\",\"country\":\"KH\"}", map[string]string{"name": "field.name.bad_characters"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			w := e.postJSON("open-petition", tt.body)
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422; body %s", w.Code, w.Body)
			}
			var got struct {
				Errors map[string]string `json:"errors"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %s is not {\"errors\":{...}}: %v", w.Body, err)
			}
			want := map[string]string{}
			for f, key := range tt.want {
				want[f] = e.msgs.T("en", key)
			}
			if len(got.Errors) != len(want) {
				t.Errorf("errors %v, want %v", got.Errors, want)
			}
			for f, msg := range want {
				if got.Errors[f] != msg {
					t.Errorf("errors[%q] = %q, want %q", f, got.Errors[f], msg)
				}
			}
			if n := e.storedCount(); n != 0 {
				t.Errorf("stored %d, want 0", n)
			}
		})
	}
}

func TestSignByJSONMalformed(t *testing.T) {
	for _, body := range []string{`{"name":`, `not json`, `{"public":"yes"}`, `["a"]`} {
		t.Run(body, func(t *testing.T) {
			e := newEnv(t)
			w := e.postJSON("open-petition", body)
			if w.Code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400; body %s", w.Code, w.Body)
			}
			var got struct {
				Errors map[string]string `json:"errors"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || len(got.Errors) == 0 {
				t.Errorf("body %s, want {\"errors\":{...}}", w.Body)
			}
			if n := e.storedCount(); n != 0 {
				t.Errorf("stored %d, want 0", n)
			}
		})
	}
}

func TestAPIFigures(t *testing.T) {
	e := newEnv(t)
	w := e.get("/api/petitions/open-petition")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", w.Code)
	}
	got := decodeJSON(t, w)
	if got["slug"] != "open-petition" || got["title"] != "Free the prisoners" || got["open"] != true ||
		got["total"] != 0.0 || got["goal"] != 500.0 || got["updated_at"] != nil {
		t.Errorf("empty petition figures %s, want slug, title, open, total 0, goal 500, updated_at null", w.Body)
	}
	if bc, ok := got["by_country"].([]any); !ok || len(bc) != 0 {
		t.Errorf("by_country %v, want []", got["by_country"])
	}

	e.clock.Advance(time.Hour)
	e.counter.Add(e.open.ID, "US", 30)
	e.counter.Add(e.open.ID, "GB", 11)
	got = decodeJSON(t, e.get("/api/petitions/open-petition"))
	if got["total"] != 41.0 {
		t.Errorf("total %v, want 41", got["total"])
	}
	if want := e.clock.Now().UTC().Format(time.RFC3339); got["updated_at"] != want {
		t.Errorf("updated_at %v, want %s", got["updated_at"], want)
	}
	byCountry := countriesOf(t, got)
	if byCountry["US"].count != "30" || byCountry["GB"].count != "11" {
		t.Errorf("by_country %v, want US 30 and GB 11", byCountry)
	}

	closed := decodeJSON(t, e.get("/api/petitions/closed-petition"))
	if closed["open"] != false {
		t.Errorf("closed petition open=%v, want false", closed["open"])
	}
}

func TestAPIUnknownPetition(t *testing.T) {
	e := newEnv(t)
	w := e.get("/api/petitions/unknown")
	if w.Code != http.StatusNotFound {
		t.Fatalf("status %d, want 404", w.Code)
	}
	got := decodeJSON(t, w)
	if errs, ok := got["errors"].(map[string]any); !ok || len(errs) == 0 {
		t.Errorf("body %s, want {\"errors\":{...}}", w.Body)
	}
}

type apiCountry struct {
	count   string // "null" when suppressed
	display string
}

func countriesOf(t *testing.T, got map[string]any) map[string]apiCountry {
	t.Helper()
	out := map[string]apiCountry{}
	list, _ := got["by_country"].([]any)
	for _, item := range list {
		m, _ := item.(map[string]any)
		c := apiCountry{count: "null", display: toString(m["display"])}
		if n, ok := m["count"].(float64); ok {
			c.count = strconv.FormatFloat(n, 'f', -1, 64)
		} else if m["count"] != nil {
			t.Errorf("count for %v is %v, want a number or null", m["country"], m["count"])
		}
		out[toString(m["country"])] = c
	}
	return out
}

func toString(v any) string {
	s, _ := v.(string)
	return s
}

var figureRowRe = regexp.MustCompile(`<tr><td>([^<]*)</td><td class="num">([^<]*)</td></tr>`)

// pageFigures reads the by-country table of a petition page.
func pageFigures(t *testing.T, body string) map[string]string {
	t.Helper()
	table := section(t, body, `<section class="figures"`, "</section>")
	out := map[string]string{}
	for _, m := range figureRowRe.FindAllStringSubmatch(table, -1) {
		out[m[1]] = m[2]
	}
	return out
}

func TestSmallCountSuppression(t *testing.T) {
	names := map[string]string{"US": "United States", "FR": "France", "KH": "Cambodia", "TH": "Thailand"}
	tests := []struct {
		name       string
		counts     map[string]int64
		shown      map[string]string // country → exact figure
		suppressed []string
		withheld   []string // at least 10, hidden to shield a smaller one
	}{
		{
			// KH alone would be total - US - FR, so FR is hidden too.
			name:       "one small country hides the next smallest",
			counts:     map[string]int64{"US": 25, "FR": 12, "KH": 3},
			shown:      map[string]string{"US": "25"},
			suppressed: []string{"KH"},
			withheld:   []string{"FR"},
		},
		{
			// KH+TH would be total - US - FR: two signers would be one each.
			name:       "two small countries hide the next smallest too",
			counts:     map[string]int64{"US": 25, "FR": 12, "KH": 3, "TH": 4},
			shown:      map[string]string{"US": "25"},
			suppressed: []string{"KH", "TH"},
			withheld:   []string{"FR"},
		},
		{
			name:   "nothing small",
			counts: map[string]int64{"US": 25, "FR": 12},
			shown:  map[string]string{"US": "25", "FR": "12"},
		},
		{
			name:       "exactly the threshold is shown",
			counts:     map[string]int64{"US": 10, "FR": 10, "KH": 9, "TH": 1},
			shown:      map[string]string{"US": "10"},
			suppressed: []string{"KH", "TH"},
			withheld:   []string{"FR"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, withMinPublicCount(10))
			var total int64
			for cc, n := range tt.counts {
				e.counter.Add(e.open.ID, cc, n)
				total += n
			}
			fewer := e.msgs.T("en", "figures.fewer_than", "10")
			orMore := e.msgs.T("en", "figures.or_more", "10")

			api := decodeJSON(t, e.get("/api/petitions/open-petition"))
			if api["total"] != float64(total) {
				t.Errorf("API total %v, want %d", api["total"], total)
			}
			got := countriesOf(t, api)
			if len(got) != len(tt.counts) {
				t.Errorf("API lists %d countries, want %d", len(got), len(tt.counts))
			}
			page := pageFigures(t, e.get("/petitions/open-petition").Body.String())
			for cc, n := range tt.shown {
				if got[cc].count != n || got[cc].display != n {
					t.Errorf("API %s = %+v, want count %s", cc, got[cc], n)
				}
				if page[names[cc]] != n {
					t.Errorf("page shows %s as %q, want %s", names[cc], page[names[cc]], n)
				}
			}
			for _, cc := range tt.suppressed {
				if got[cc].count != "null" || got[cc].display != fewer {
					t.Errorf("API %s = %+v, want count null and %q", cc, got[cc], fewer)
				}
				if page[names[cc]] != fewer {
					t.Errorf("page shows %s as %q, want %q", names[cc], page[names[cc]], fewer)
				}
			}
			for _, cc := range tt.withheld {
				if got[cc].count != "null" || got[cc].display != orMore {
					t.Errorf("API %s = %+v, want count null and %q", cc, got[cc], orMore)
				}
				if page[names[cc]] != orMore {
					t.Errorf("page shows %s as %q, want %q", names[cc], page[names[cc]], orMore)
				}
			}
		})
	}
}
