package server_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

// modSigner is one signature on the open petition for moderation tests.
type modSigner struct {
	name, email, country, city, comment string
	status                              string // confirmed unless set
	signedAt                            time.Time
	tag                                 string // client tag, hex
}

// modDay is midnight UTC of the test clock's day.
var modDay = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// mustModSignatures stores signatures on the open petition with their
// personal fields sealed as the signing service seals them (any name, even
// one the form would refuse), then loads the counter as serve does at start.
func (ce *consoleEnv) mustModSignatures(signers ...modSigner) []*store.Signature {
	ce.t.Helper()
	var batch []*store.Signature
	for _, sg := range signers {
		emailHash := ce.vault.EmailHash(sg.email)
		row := &store.Signature{PetitionID: ce.open.ID, EmailHash: emailHash, ReceiptHash: ce.vault.EmailHash("receipt " + sg.email),
			Status: sg.status, Country: sg.country, SignedAt: sg.signedAt, Lang: "en", Source: "web",
			EmailDomainHash: ce.vault.EmailDomainHash(sg.email)}
		if row.Status == "" {
			row.Status = store.StatusConfirmed
		}
		if row.Status == store.StatusConfirmed {
			at := sg.signedAt.Add(time.Minute)
			row.ConfirmedAt = &at
		}
		if sg.tag != "" {
			tag, err := hex.DecodeString(sg.tag)
			if err != nil {
				ce.t.Fatal(err)
			}
			row.ClientTag = tag
		}
		for _, f := range []struct {
			dst         *[]byte
			field, text string
		}{{&row.NameEnc, "name", sg.name}, {&row.EmailEnc, "email", sg.email}, {&row.CityEnc, "city", sg.city},
			{&row.CommentEnc, "comment", sg.comment}} {
			sealed, err := ce.vault.Seal([]byte(f.text), signing.FieldAAD(ce.open.ID, emailHash, f.field))
			if err != nil {
				ce.t.Fatal(err)
			}
			*f.dst = sealed
		}
		batch = append(batch, row)
	}
	if _, err := ce.db.InsertSignatures(context.Background(), batch); err != nil {
		ce.t.Fatal(err)
	}
	ce.reloadCounter()
	return batch
}

func (ce *consoleEnv) reloadCounter() {
	ce.t.Helper()
	rows, err := ce.db.CountSignatures(context.Background())
	if err != nil {
		ce.t.Fatal(err)
	}
	ce.counter.Load(rows)
}

// publicTotal is the open petition's total as the public API shows it.
func (ce *consoleEnv) publicTotal() int64 {
	ce.t.Helper()
	w := ce.get("/api/petitions/open-petition")
	if w.Code != http.StatusOK {
		ce.t.Fatalf("GET /api/petitions/open-petition: %d", w.Code)
	}
	return int64(decodeJSON(ce.t, w)["total"].(float64))
}

// modStatuses reads back the status of each signature.
func (ce *consoleEnv) modStatuses(sigs []*store.Signature) []string {
	ce.t.Helper()
	var out []string
	for _, s := range sigs {
		got, err := ce.db.FindSignatureByID(context.Background(), s.ID)
		if err != nil {
			ce.t.Fatalf("signature %d: %v (moderation must not delete rows)", s.ID, err)
		}
		out = append(out, got.Status)
	}
	return out
}

// modFixture is six signatures: three from a "botnet" (one domain, one
// client tag, one hour on day 2), three ordinary ones.
func modFixture(ce *consoleEnv) []*store.Signature {
	return ce.mustModSignatures(
		modSigner{name: "Dara Keo", email: "dara@mail.example", country: "KH", city: "Phnom Penh", signedAt: modDay.Add(9 * time.Hour), tag: "aaaa0001"},
		modSigner{name: "Marie Curie", email: "marie@mail.example", country: "FR", city: "Paris", signedAt: modDay.Add(20 * time.Hour), tag: "bbbb0002"},
		modSigner{name: "Bot One", email: "one@spam.example", country: "US", signedAt: modDay.Add(26 * time.Hour), tag: "cccc0003"},
		modSigner{name: "Bot Two", email: "two@spam.example", country: "US", signedAt: modDay.Add(26*time.Hour + 5*time.Minute), tag: "cccc0003"},
		modSigner{name: "Bot Three", email: "three@spam.example", country: "US", status: store.StatusPending, signedAt: modDay.Add(26*time.Hour + 9*time.Minute), tag: "cccc0003"},
		modSigner{name: "Sok Lina", email: "lina@other.example", country: "KH", status: store.StatusPending, signedAt: modDay.Add(50 * time.Hour), tag: "dddd0004"},
	)
}

func TestSignatureSearchFilters(t *testing.T) {
	ce := newConsoleEnv(t)
	modFixture(ce)
	u := ce.signIn("organizer")
	all := []string{"Dara Keo", "Marie Curie", "Bot One", "Bot Two", "Bot Three", "Sok Lina"}
	tests := []struct {
		query string
		want  []string
	}{
		{"", all},
		{"status=pending", []string{"Bot Three", "Sok Lina"}},
		{"status=confirmed&country=us", []string{"Bot One", "Bot Two"}},
		{"country=KH", []string{"Dara Keo", "Sok Lina"}},
		{"from=2026-03-02", []string{"Bot One", "Bot Two", "Bot Three", "Sok Lina"}},
		{"from=2026-03-01&to=2026-03-01", []string{"Dara Keo", "Marie Curie"}},
		{"to=2026-03-02", []string{"Dara Keo", "Marie Curie", "Bot One", "Bot Two", "Bot Three"}},
		{"domain=spam.example", []string{"Bot One", "Bot Two", "Bot Three"}},
		{"domain=%40MAIL.example", []string{"Dara Keo", "Marie Curie"}},
		{"tag=cccc0003", []string{"Bot One", "Bot Two", "Bot Three"}},
		{"tag=CCCC0003&status=pending", []string{"Bot Three"}},
		{"domain=nobody.example", nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			w := u.get("/admin/petitions/open-petition/signatures?" + tt.query)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d, want 200", w.Code)
			}
			body := w.Body.String()
			mustContain(t, body, ce.msg("admin.moderation.total", fmt.Sprint(len(tt.want))))
			for _, name := range all {
				shown := strings.Contains(body, name)
				want := slices.Contains(tt.want, name)
				if shown != want {
					t.Errorf("%s shown %v, want %v", name, shown, want)
				}
			}
		})
	}
}

func TestSignatureSearchRefusesBadFilters(t *testing.T) {
	ce := newConsoleEnv(t)
	modFixture(ce)
	u := ce.signIn("organizer")
	tests := []struct{ query, msg string }{
		{"status=deleted", "admin.moderation.error.status"},
		{"country=KHM", "admin.moderation.error.country"},
		{"from=2026-13-01", "admin.moderation.error.date"},
		{"from=2026-03-05&to=2026-03-01", "admin.moderation.error.date_order"},
		{"domain=a@b.example", "admin.moderation.error.domain"},
		{"tag=xyz", "admin.moderation.error.tag"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			w := u.get("/admin/petitions/open-petition/signatures?" + tt.query)
			if w.Code != http.StatusUnprocessableEntity {
				t.Errorf("status %d, want 422", w.Code)
			}
			mustContain(t, w.Body.String(), ce.msg(tt.msg))
			mustNotContain(t, w.Body.String(), "Dara Keo")
		})
	}
	if w := u.get("/admin/petitions/no-such-petition/signatures"); w.Code != http.StatusNotFound {
		t.Errorf("unknown petition: %d, want 404", w.Code)
	}
}

func TestSignatureSearchEscapesAndShowsEmailsToOwnersOnly(t *testing.T) {
	ce := newConsoleEnv(t)
	ce.mustModSignatures(modSigner{name: "<script>alert(1)</script>", email: "evil@attack.example", country: "KH",
		city: `"><b>city</b>`, comment: `<img src=x onerror=alert(2)>`, signedAt: modDay, tag: "0123456789abcdef"})
	owner := ce.signIn("owner")
	organizer := ce.signIn("organizer")

	ob := owner.get("/admin/petitions/open-petition/signatures").Body.String()
	mustContain(t, ob, "&lt;script&gt;alert(1)&lt;/script&gt;")
	mustContain(t, ob, "&lt;img src=x onerror=alert(2)&gt;")
	mustContain(t, ob, "&lt;b&gt;city&lt;/b&gt;")
	for _, raw := range []string{"<script>alert", "<img src=x", "<b>city"} {
		mustNotContain(t, ob, raw)
	}
	mustContain(t, ob, "evil@attack.example")
	mustContain(t, ob, ">01234567<") // the client tag, short
	mustContain(t, ob, "?tag=0123456789abcdef")

	gb := organizer.get("/admin/petitions/open-petition/signatures").Body.String()
	mustContain(t, gb, "&lt;script&gt;alert(1)&lt;/script&gt;")
	mustNotContain(t, gb, "<script>alert")
	// Not hidden: absent. Neither the address nor its parts reach an organizer.
	mustNotContain(t, gb, "evil@attack.example")
	mustNotContain(t, gb, "attack.example")
	mustNotContain(t, gb, ">"+ce.msgs.T("en", "admin.moderation.email")+"<")
}

func TestSignatureSearchPaginates(t *testing.T) {
	ce := newConsoleEnv(t)
	var signers []modSigner
	for i := range 120 {
		signers = append(signers, modSigner{name: fmt.Sprintf("Signer %03d", i), email: fmt.Sprintf("s%d@x.example", i),
			country: "KH", signedAt: modDay.Add(time.Duration(i) * time.Minute)})
	}
	ce.mustModSignatures(signers...)
	u := ce.signIn("organizer")
	seen := map[string]bool{}
	next := "/admin/petitions/open-petition/signatures?country=KH"
	var perPage []int
	for next != "" && len(perPage) < 5 {
		w := u.get(next)
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", next, w.Code)
		}
		body := w.Body.String()
		mustContain(t, body, ce.msg("admin.moderation.total", "120"))
		n := 0
		for i := range 120 {
			name := fmt.Sprintf("Signer %03d", i)
			if strings.Contains(body, name) {
				if seen[name] {
					t.Errorf("%s shown on two pages", name)
				}
				seen[name] = true
				n++
			}
		}
		perPage = append(perPage, n)
		if len(perPage) == 1 && !strings.Contains(body, "Signer 119") {
			t.Error("the first page does not start with the newest signature")
		}
		next = ""
		for _, a := range tagsNamed(body, "a") {
			if a.attrs["rel"] == "next" {
				next = a.attrs["href"]
				if !strings.Contains(next, "country=KH") {
					t.Errorf("next page link %q drops the search", next)
				}
			}
		}
	}
	if fmt.Sprint(perPage) != "[50 50 20]" || len(seen) != 120 {
		t.Errorf("pages of %v showing %d signatures, want [50 50 20] showing all 120", perPage, len(seen))
	}
	if w := u.get("/admin/petitions/open-petition/signatures?before=abc"); w.Code != http.StatusNotFound {
		t.Errorf("a malformed page cursor: %d, want 404", w.Code)
	}
}

func TestBulkModeration(t *testing.T) {
	tests := []struct {
		name   string
		filter url.Values
		hit    []int // fixture rows the filter reaches
	}{
		{"time window", url.Values{"from": {"2026-03-02"}, "to": {"2026-03-02"}}, []int{2, 3, 4}},
		{"email domain", url.Values{"domain": {"spam.example"}}, []int{2, 3, 4}},
		{"client tag", url.Values{"tag": {"cccc0003"}, "status": {"confirmed"}}, []int{2, 3}},
		{"country", url.Values{"country": {"KH"}}, []int{0, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ce := newConsoleEnv(t)
			sigs := modFixture(ce)
			before := ce.modStatuses(sigs)
			publicBefore := ce.publicTotal()
			if publicBefore != 4 {
				t.Fatalf("public total before moderation %d, want the 4 confirmed", publicBefore)
			}
			u := ce.signIn("organizer")

			form := url.Values(maps.Clone(tt.filter))
			form.Set("action", "invalidate")
			form.Set("reason", "botnet on day 2")
			w := u.post("/admin/petitions/open-petition/signatures/moderate", form)
			if w.Code != http.StatusSeeOther {
				t.Fatalf("invalidate: %d, want 303; body %s", w.Code, w.Body)
			}
			loc := w.Header().Get("Location")
			for k := range tt.filter {
				if !strings.Contains(loc, k+"=") {
					t.Errorf("redirect %q drops the %s filter", loc, k)
				}
			}
			after := ce.modStatuses(sigs)
			var lost int64
			for i := range sigs {
				want := before[i]
				if slices.Contains(tt.hit, i) && (before[i] == store.StatusConfirmed || before[i] == store.StatusPending) {
					want = store.StatusInvalidated
				}
				if before[i] == store.StatusConfirmed && want == store.StatusInvalidated {
					lost++
				}
				if after[i] != want {
					t.Errorf("row %d (%s): %s after invalidate, want %s", i, sigs[i].Country, after[i], want)
				}
			}
			if got := ce.publicTotal(); got != publicBefore-lost {
				t.Errorf("public total %d right after invalidating, want %d", got, publicBefore-lost)
			}
			page := u.get(loc).Body.String()
			mustContain(t, page, ce.msg("admin.moderation.done.invalidate", len(tt.hit)))
			e := lastAudit(t, ce, "signatures.invalidate")
			if e.RowCount != int64(len(tt.hit)) || e.Target != "open-petition" || e.Actor != "organizer@campaign.test" ||
				!strings.Contains(e.Detail, "reason: botnet on day 2") || !strings.Contains(e.Detail, "filter: ") {
				t.Errorf("audit entry %+v, want %d rows on open-petition by the organizer with reason and filter", e, len(tt.hit))
			}

			form.Set("action", "restore")
			if form.Has("status") {
				// The rows are no longer confirmed: find them as invalidated.
				form.Set("status", store.StatusInvalidated)
			}
			form.Set("reason", "false alarm")
			if w := u.post("/admin/petitions/open-petition/signatures/moderate", form); w.Code != http.StatusSeeOther {
				t.Fatalf("restore: %d, want 303", w.Code)
			}
			if got := ce.modStatuses(sigs); fmt.Sprint(got) != fmt.Sprint(before) {
				t.Errorf("statuses after restore %v, want as before %v", got, before)
			}
			if got := ce.publicTotal(); got != publicBefore {
				t.Errorf("public total after restore %d, want %d", got, publicBefore)
			}
			if e := lastAudit(t, ce, "signatures.restore"); e.RowCount != int64(len(tt.hit)) || !strings.Contains(e.Detail, "false alarm") {
				t.Errorf("restore audit entry %+v, want %d rows and the reason", e, len(tt.hit))
			}
		})
	}
}

func TestBulkModerationRefusals(t *testing.T) {
	ce := newConsoleEnv(t)
	sigs := modFixture(ce)
	u := ce.signIn("organizer")
	before := ce.modStatuses(sigs)
	tests := []struct {
		name string
		form url.Values
		msg  string
	}{
		{"no reason", url.Values{"action": {"invalidate"}, "domain": {"spam.example"}, "reason": {"   "}}, "admin.moderation.error.reason"},
		{"no filter", url.Values{"action": {"invalidate"}, "reason": {"everything"}}, "admin.moderation.error.no_filter"},
		{"unknown action", url.Values{"action": {"delete"}, "domain": {"spam.example"}, "reason": {"x"}}, "admin.moderation.error.action"},
		{"bad filter", url.Values{"action": {"invalidate"}, "tag": {"not hex"}, "reason": {"x"}}, "admin.moderation.error.tag"},
		{"reason too long", url.Values{"action": {"invalidate"}, "domain": {"spam.example"}, "reason": {strings.Repeat("x", 501)}}, "admin.moderation.error.reason_long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := u.post("/admin/petitions/open-petition/signatures/moderate", tt.form)
			if w.Code != http.StatusUnprocessableEntity {
				t.Errorf("status %d, want 422", w.Code)
			}
			mustContain(t, w.Body.String(), ce.msg(tt.msg))
			if got := ce.modStatuses(sigs); fmt.Sprint(got) != fmt.Sprint(before) {
				t.Errorf("statuses changed to %v by a refused form", got)
			}
		})
	}
	for _, a := range ce.auditActions() {
		if strings.HasPrefix(a, "signatures.") {
			t.Errorf("a refused form was audited as %s", a)
		}
	}
	// The refused form keeps the search and the reason typed.
	w := u.post("/admin/petitions/open-petition/signatures/moderate",
		url.Values{"action": {"bogus"}, "domain": {"spam.example"}, "reason": {"kept reason"}})
	body := w.Body.String()
	mustContain(t, body, "kept reason")
	mustContain(t, body, `name="domain" value="spam.example"`)
}

func TestModerationFormCarriesTheSearch(t *testing.T) {
	ce := newConsoleEnv(t)
	modFixture(ce)
	u := ce.signIn("organizer")
	body := u.get("/admin/petitions/open-petition/signatures?domain=spam.example&status=confirmed").Body.String()
	form := section(t, body, `action="/admin/petitions/open-petition/signatures/moderate"`, "</form>")
	for _, want := range []string{`name="csrf" value="` + u.csrf + `"`, `name="domain" value="spam.example"`,
		`name="status" value="confirmed"`, `name="reason"`, `value="invalidate"`, `value="restore"`} {
		mustContain(t, form, want)
	}
}
