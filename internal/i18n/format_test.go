package i18n_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/i18n"
	"github.com/cambodia-sanctions/campaign/web"
)

func TestNumber(t *testing.T) {
	tests := []struct {
		lang string
		n    int64
		want string
	}{
		{"en", 12345, "12,345"},
		{"en", 1234567, "1,234,567"},
		{"en", 999, "999"},
		{"fr", 12345, "12\u202f345"}, // narrow no-break space, as CLDR and French typography have it
		{"fr", 1234567, "1\u202f234\u202f567"},
		{"km", 12345, "12.345"}, // CLDR km groups with a full stop
		{"km", 1234567, "1.234.567"},
		{"th", 12345, "12,345"},
		{"th", 0, "0"},
		{"xx", 12345, "12,345"}, // unknown: CLDR's root grouping
	}
	for _, tt := range tests {
		if got := i18n.Number(tt.lang, tt.n); got != tt.want {
			t.Errorf("Number(%q, %d) = %q, want %q", tt.lang, tt.n, got, tt.want)
		}
	}
}

func TestDate(t *testing.T) {
	c, err := i18n.Load(web.FS, "locales")
	if err != nil {
		t.Fatal(err)
	}
	closes := time.Date(2027, time.March, 1, 0, 0, 0, 0, time.UTC)
	signed := time.Date(2026, time.November, 26, 23, 59, 0, 0, time.UTC)
	tests := []struct {
		lang string
		t    time.Time
		want string
	}{
		{"en", closes, "1 March 2027"},
		{"en", signed, "26 November 2026"},
		{"fr", closes, "1 mars 2027"},
		{"fr", signed, "26 novembre 2026"},
		{"km", closes, "1 មីនា 2027"},
		{"km", signed, "26 វិច្ឆិកា 2026"},
		{"th", closes, "1 มีนาคม พ.ศ. 2570"}, // Thai dates count years in the Buddhist Era
		{"th", signed, "26 พฤศจิกายน พ.ศ. 2569"},
		{"de", closes, "1 March 2027"}, // no catalog: English
	}
	for _, tt := range tests {
		if got := c.Date(tt.lang, tt.t); got != tt.want {
			t.Errorf("Date(%q, %s) = %q, want %q", tt.lang, tt.t.Format(time.DateOnly), got, tt.want)
		}
	}
	// Every month has its own name in every language.
	for _, lang := range c.Languages() {
		seen := map[string]time.Month{}
		for m := time.January; m <= time.December; m++ {
			name := c.T(lang, "date.month."+strconv.Itoa(int(m)))
			if first, dup := seen[name]; dup {
				t.Errorf("%s: %s and %s are both called %q", lang, first, m, name)
			}
			seen[name] = m
		}
	}
}
