package store_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
)

// figSig is a signature of pid in status from country, signed at signed and
// (when not nil) confirmed at confirmed.
func figSig(pid int64, status, country string, signed time.Time, confirmed *time.Time) *store.Signature {
	s := randomSig(pid)
	s.Status, s.Country, s.SignedAt, s.ConfirmedAt = status, country, signed, confirmed
	return s
}

func mustInsertFigs(t *testing.T, db *store.DB, sigs ...*store.Signature) {
	t.Helper()
	inserted, err := db.InsertSignatures(context.Background(), sigs)
	if err != nil {
		t.Fatalf("insert signatures: %v", err)
	}
	for i, ok := range inserted {
		if !ok {
			t.Fatalf("signature %d was not inserted", i)
		}
	}
}

func figDay(s string) time.Time {
	d, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestCountByStatusIsExactAndPerPetition(t *testing.T) {
	db := testutil.NewDB(t)
	p := testutil.MustCreatePetition(t, db, store.Petition{Slug: "p"})
	other := testutil.MustCreatePetition(t, db, store.Petition{Slug: "other"})
	at := figDay("2026-03-01 10:00")
	var sigs []*store.Signature
	for status, n := range map[string]int{store.StatusConfirmed: 3, store.StatusPending: 2,
		store.StatusWithdrawn: 1, store.StatusInvalidated: 1} {
		for range n {
			sigs = append(sigs, figSig(p.ID, status, "KH", at, nil))
		}
	}
	sigs = append(sigs, figSig(other.ID, store.StatusConfirmed, "KH", at, nil), figSig(other.ID, store.StatusConfirmed, "FR", at, nil))
	mustInsertFigs(t, db, sigs...)

	got, err := db.CountByStatus(context.Background(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"confirmed": 3, "pending": 2, "withdrawn": 1, "invalidated": 1}
	if !maps.Equal(got, want) {
		t.Errorf("CountByStatus = %v, want %v (the other petition's signatures must not count)", got, want)
	}
	empty := testutil.MustCreatePetition(t, db, store.Petition{Slug: "empty"})
	if got, err := db.CountByStatus(context.Background(), empty.ID); err != nil || len(got) != 0 {
		t.Errorf("petition without signatures: %v, %v; want an empty map", got, err)
	}
}

func TestCountByCountryFiltersByStatusLargestFirst(t *testing.T) {
	db := testutil.NewDB(t)
	p := testutil.MustCreatePetition(t, db, store.Petition{})
	at := figDay("2026-03-01 10:00")
	var sigs []*store.Signature
	add := func(status, country string, n int) {
		for range n {
			sigs = append(sigs, figSig(p.ID, status, country, at, nil))
		}
	}
	add(store.StatusConfirmed, "FR", 2)
	add(store.StatusConfirmed, "KH", 3)
	add(store.StatusConfirmed, "EU", 1)
	add(store.StatusConfirmed, "DE", 1)
	add(store.StatusPending, "KH", 4)
	add(store.StatusInvalidated, "US", 5)
	mustInsertFigs(t, db, sigs...)

	tests := []struct {
		status string
		want   string
	}{
		{store.StatusConfirmed, "[{KH 3} {FR 2} {DE 1} {EU 1}]"},
		{store.StatusPending, "[{KH 4}]"},
		{store.StatusWithdrawn, "[]"},
		{store.StatusAny, "[{KH 7} {US 5} {FR 2} {DE 1} {EU 1}]"},
	}
	for _, tt := range tests {
		t.Run("status="+tt.status, func(t *testing.T) {
			got, err := db.CountByCountry(context.Background(), p.ID, tt.status)
			if err != nil {
				t.Fatal(err)
			}
			if s := fmt.Sprint(got); s != tt.want {
				t.Errorf("CountByCountry(%q) = %s, want %s (largest first, ties by code)", tt.status, s, tt.want)
			}
		})
	}
}

func TestCountByDayUsesUTCDaysAndTheRightTimestamp(t *testing.T) {
	db := testutil.NewDB(t)
	p := testutil.MustCreatePetition(t, db, store.Petition{})
	other := testutil.MustCreatePetition(t, db, store.Petition{Slug: "other"})
	phnomPenh := time.FixedZone("ICT", 7*3600)
	confirmedMar3 := figDay("2026-03-03 09:00")
	mustInsertFigs(t, db,
		figSig(p.ID, store.StatusConfirmed, "KH", figDay("2026-02-20 10:00"), nil), // before since
		figSig(p.ID, store.StatusConfirmed, "KH", figDay("2026-03-01 10:00"), nil),
		figSig(p.ID, store.StatusConfirmed, "KH", figDay("2026-03-01 23:59"), nil),
		// 06:30 on 2 March in Phnom Penh is 23:30 on 1 March in UTC.
		figSig(p.ID, store.StatusConfirmed, "KH", time.Date(2026, 3, 2, 6, 30, 0, 0, phnomPenh), nil),
		// Signed on 1 March, confirmed on 3 March: counts on 3 March as confirmed.
		figSig(p.ID, store.StatusConfirmed, "FR", figDay("2026-03-01 12:00"), &confirmedMar3),
		figSig(p.ID, store.StatusPending, "FR", figDay("2026-03-04 08:00"), nil),
		figSig(other.ID, store.StatusConfirmed, "FR", figDay("2026-03-02 08:00"), nil),
	)
	since := figDay("2026-03-01 15:00") // only the day of since matters
	tests := []struct {
		status string
		want   string
	}{
		{store.StatusConfirmed, "2026-03-01:3 2026-03-03:1"},
		{store.StatusPending, "2026-03-04:1"},
		{store.StatusAny, "2026-03-01:4 2026-03-04:1"},
		{store.StatusWithdrawn, ""},
	}
	for _, tt := range tests {
		t.Run("status="+tt.status, func(t *testing.T) {
			got, err := db.CountByDay(context.Background(), p.ID, tt.status, since)
			if err != nil {
				t.Fatal(err)
			}
			if s := figFormatDays(got); s != tt.want {
				t.Errorf("CountByDay(%q, since 1 March) = %q, want %q", tt.status, s, tt.want)
			}
			for _, d := range got {
				if d.Day.Location() != time.UTC || !d.Day.Equal(d.Day.Truncate(24*time.Hour)) {
					t.Errorf("day %v is not midnight UTC", d.Day)
				}
			}
		})
	}
	all, err := db.CountByDay(context.Background(), p.ID, store.StatusConfirmed, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if s, want := figFormatDays(all), "2026-02-20:1 2026-03-01:3 2026-03-03:1"; s != want {
		t.Errorf("CountByDay(confirmed, since zero) = %q, want %q", s, want)
	}
}

func figFormatDays(ds []store.DayCount) string {
	s := ""
	for i, d := range ds {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%s:%d", d.Day.Format("2006-01-02"), d.N)
	}
	return s
}

func TestLastSignatureDay(t *testing.T) {
	db := testutil.NewDB(t)
	p := testutil.MustCreatePetition(t, db, store.Petition{})
	ctx := context.Background()
	if _, err := db.LastSignatureDay(ctx, p.ID, store.StatusAny); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("petition without signatures: err %v, want ErrNotFound", err)
	}
	confirmed := figDay("2026-03-09 01:00")
	mustInsertFigs(t, db,
		figSig(p.ID, store.StatusConfirmed, "KH", figDay("2026-03-02 10:00"), nil),
		figSig(p.ID, store.StatusConfirmed, "KH", figDay("2026-03-05 10:00"), &confirmed),
		figSig(p.ID, store.StatusPending, "KH", figDay("2026-03-07 10:00"), nil),
	)
	for status, want := range map[string]string{
		store.StatusConfirmed: "2026-03-09", store.StatusPending: "2026-03-07", store.StatusAny: "2026-03-07",
	} {
		got, err := db.LastSignatureDay(ctx, p.ID, status)
		if err != nil {
			t.Fatalf("LastSignatureDay(%q): %v", status, err)
		}
		if got.Format("2006-01-02") != want {
			t.Errorf("LastSignatureDay(%q) = %s, want %s", status, got.Format("2006-01-02"), want)
		}
	}
	if _, err := db.LastSignatureDay(ctx, p.ID, store.StatusWithdrawn); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("no withdrawn signatures: err %v, want ErrNotFound", err)
	}
}
