package server_test

import (
	"context"
	"html"
	"net/http"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
)

// datedPetition adds an open petition that closes at midnight UTC on
// 1 March 2027, with a large goal and 12,345 signatures from Cambodia.
func datedPetition(t *testing.T, e *env, opens *time.Time) *store.Petition {
	t.Helper()
	closes := time.Date(2027, time.March, 1, 0, 0, 0, 0, time.UTC)
	p := testutil.MustCreatePetition(t, e.db, store.Petition{Slug: "dated", Title: "Dated", Goal: 250000,
		OpensAt: opens, ClosesAt: &closes})
	if err := e.catalog.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.counter.Add(p.ID, "KH", 12345)
	return p
}

// Counts, goals and figures use the grouping of the page's language, and
// dates its month names (and, in Thai, the Buddhist Era).
func TestNumbersAndDatesInEachLanguage(t *testing.T) {
	e := newEnv(t)
	datedPetition(t, e, nil)
	tests := []struct {
		lang                 string
		count, goal, figure  string
		openUntil, closedOn  string
		apiDisplay, signedOn string
	}{
		{"en", "12,345 people have signed", "Goal: 250,000 signatures", ">12,345</td>",
			"Open for signatures until 28 February 2027.", "Closed on 1 March 2027.", "12,345", "Signed on 1 March 2026."},
		{"fr", "12\u202f345 personnes ont signé", "Objectif\u00a0: 250\u202f000 signatures", ">12\u202f345</td>",
			"Ouverte aux signatures jusqu’au 28 février 2027 inclus.", "Clôturée le 1 mars 2027.", "12\u202f345", "Signature enregistrée le 1 mars 2026."},
		{"km", "12.345", "250.000", ">12.345</td>",
			"បើកឱ្យចុះហត្ថលេខារហូតដល់ថ្ងៃទី 28 កុម្ភៈ 2027។", "បានបិទនៅថ្ងៃទី 1 មីនា 2027។", "12.345", "បានចុះហត្ថលេខានៅថ្ងៃទី 1 មីនា 2026។"},
		{"th", "12,345", "250,000", ">12,345</td>",
			"เปิดให้ลงชื่อถึงวันที่ 28 กุมภาพันธ์ พ.ศ. 2570", "ปิดรับการลงชื่อเมื่อวันที่ 1 มีนาคม พ.ศ. 2570", "12,345", "ลงชื่อเมื่อวันที่ 1 มีนาคม พ.ศ. 2569"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			page := html.UnescapeString(e.get("/petitions/dated?lang=" + tt.lang).Body.String())
			for _, want := range []string{tt.count, tt.goal, tt.figure, `<p class="schedule">` + tt.openUntil + "</p>"} {
				mustContain(t, page, want)
			}
			list := html.UnescapeString(e.get("/petitions?lang=" + tt.lang).Body.String())
			mustContain(t, list, tt.openUntil)
			if got := decodeJSON(t, e.get("/api/petitions/dated?lang="+tt.lang))["total_display"]; got != tt.apiDisplay {
				t.Errorf("API total_display %q, want %q", got, tt.apiDisplay)
			}
		})
	}
	// Signing moves the count, so the thanks pages come after.
	for _, tt := range tests {
		b := e.newBrowser()
		b.get("/language/" + tt.lang)
		if w := b.postForm("dated", e.validForm("dated-"+tt.lang+"@example.org")); w.Code != http.StatusSeeOther {
			t.Fatalf("sign in %s: status %d", tt.lang, w.Code)
		}
		mustContain(t, html.UnescapeString(b.get("/petitions/dated/thanks").Body.String()), tt.signedOn)
	}

	e.clock.Advance(366 * 24 * time.Hour) // 2 March 2027: closed by its date
	for _, tt := range tests {
		page := html.UnescapeString(e.get("/petitions/dated?lang=" + tt.lang).Body.String())
		mustContain(t, page, `<p class="schedule">`+tt.closedOn+"</p>")
		mustNotContain(t, page, tt.openUntil)
	}
}

func TestScheduleBeforeOpening(t *testing.T) {
	e := newEnv(t)
	opens := time.Date(2026, time.April, 15, 9, 0, 0, 0, time.UTC)
	datedPetition(t, e, &opens)
	for lang, want := range map[string]string{
		"en": "Opens for signatures on 15 April 2026.",
		"fr": "Ouverte aux signatures à partir du 15 avril 2026.",
		"km": "បើកឱ្យចុះហត្ថលេខាចាប់ពីថ្ងៃទី 15 មេសា 2026។",
		"th": "เปิดให้ลงชื่อตั้งแต่วันที่ 15 เมษายน พ.ศ. 2569",
	} {
		page := html.UnescapeString(e.get("/petitions/dated?lang=" + lang).Body.String())
		mustContain(t, page, `<p class="schedule">`+want+"</p>")
	}
	// A petition without dates says nothing about them.
	mustNotContain(t, e.get("/petitions/open-petition").Body.String(), `class="schedule"`)
}
