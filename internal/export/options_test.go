package export_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/export"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

func TestParseOptions(t *testing.T) {
	day := func(s string) *time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return &tm
	}
	tests := []struct {
		name                                   string
		profile, status, country, since, until string
		want                                   export.Options
	}{
		{"defaults", "", "", "", "", "", export.Options{Profile: export.ProfileNames, Status: store.StatusConfirmed}},
		{"every value", "FULL", " all ", "kh", "2026-11-01", "2026-11-26",
			export.Options{Profile: export.ProfileFull, Status: "all", Country: "KH",
				Since: day("2026-11-01T00:00:00Z"), Until: day("2026-11-27T00:00:00Z")}},
		{"times in another zone are read in UTC", "counts", "pending", "", "2026-11-01T08:00:00+07:00", "2026-11-01T09:30:00.5-01:00",
			export.Options{Profile: export.ProfileCounts, Status: store.StatusPending,
				Since: day("2026-11-01T01:00:00Z"), Until: day("2026-11-01T10:30:00.5Z")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := export.ParseOptions(tt.profile, tt.status, tt.country, tt.since, tt.until, false)
			if err != nil {
				t.Fatal(err)
			}
			if got.Profile != tt.want.Profile || got.Status != tt.want.Status || got.Country != tt.want.Country ||
				!sameTime(got.Since, tt.want.Since) || !sameTime(got.Until, tt.want.Until) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			for _, tm := range []*time.Time{got.Since, got.Until} {
				if tm != nil && tm.Location() != time.UTC {
					t.Errorf("time %v is not in UTC", tm)
				}
			}
		})
	}
}

func sameTime(a, b *time.Time) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && a.Equal(*b))
}

func TestParseOptionsSaysWhatIsAccepted(t *testing.T) {
	tests := []struct {
		name                                   string
		profile, status, country, since, until string
		key, says                              string
	}{
		{"profile", "everything", "", "", "", "", "profile", "counts, names or full"},
		{"status", "", "signed", "", "", "", "status", "confirmed, pending, withdrawn, invalidated or all"},
		{"country name", "", "", "Cambodia", "", "", "country", "two-letter"},
		{"unknown code", "", "", "ZZ", "", "", "country", "two-letter"},
		{"since", "", "", "", "yesterday", "", "since", "RFC 3339"},
		{"until", "", "", "", "", "26/11/2026", "until", "or a UTC date"},
		{"until before since", "", "", "", "2026-11-26", "2026-11-01", "order", "later than since"},
		{"until equal to since", "", "", "", "2026-11-26T00:00:00Z", "2026-11-26T00:00:00Z", "order", "later than since"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := export.ParseOptions(tt.profile, tt.status, tt.country, tt.since, tt.until, false)
			var oe *export.OptionError
			if !errors.As(err, &oe) {
				t.Fatalf("error %v, want an *OptionError", err)
			}
			if oe.Key() != tt.key {
				t.Errorf("key %q, want %q", oe.Key(), tt.key)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("message %q does not say %q", err, tt.says)
			}
		})
	}
}

func TestAuditDetailAndFileName(t *testing.T) {
	o, err := export.ParseOptions("full", "all", "KH", "2026-11-01", "2026-11-25T18:00:00+01:00", true)
	if err != nil {
		t.Fatal(err)
	}
	want := "profile=full; status=all; country=KH; since=2026-11-01T00:00:00Z; until=2026-11-25T17:00:00Z"
	if got := o.AuditDetail(); got != want {
		t.Errorf("AuditDetail %q, want %q", got, want)
	}
	defaults, _ := export.ParseOptions("", "", "", "", "", false)
	if got, want := defaults.AuditDetail(), "profile=names; status=confirmed; country=; since=; until="; got != want {
		t.Errorf("AuditDetail %q, want %q", got, want)
	}
	at := time.Date(2026, 11, 26, 23, 30, 0, 0, time.FixedZone("UTC-5", -5*3600))
	if got, want := export.FileName("coordinated-sanctions", at, export.ProfileNames),
		"coordinated-sanctions-2026-11-27-names.csv"; got != want {
		t.Errorf("FileName %q, want %q (the date in UTC)", got, want)
	}
}
