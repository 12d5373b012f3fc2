package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// The figures organizers see are exact counts straight from the
// signatures table: no small-count suppression (that is for public pages).
// A status of "" (StatusAny) counts signatures of every status.

// StatusAny selects signatures of every status in the figures queries.
const StatusAny = ""

// dayLayout is how the figures queries write a calendar day.
const dayLayout = "2006-01-02"

// CountryCount is the number of signatures from one country.
type CountryCount struct {
	Country string
	N       int64
}

// DayCount is the number of signatures on one UTC calendar day.
type DayCount struct {
	Day time.Time // midnight UTC
	N   int64
}

// CountByStatus returns a petition's signature counts keyed by status; a
// status with no signatures is absent (its count is zero).
func (db *DB) CountByStatus(ctx context.Context, petitionID int64) (map[string]int64, error) {
	var rows []struct {
		Status string
		N      int64
	}
	err := db.gorm.WithContext(ctx).Table("signatures").Select("status, COUNT(*) AS n").
		Where("petition_id = ?", petitionID).Group("status").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count signatures by status: %w", err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// CountByCountry returns a petition's signature counts in status (StatusAny
// for all) by country, largest first, then by country code.
func (db *DB) CountByCountry(ctx context.Context, petitionID int64, status string) ([]CountryCount, error) {
	var out []CountryCount
	q := db.figuresQuery(ctx, petitionID, status).Select("country, COUNT(*) AS n").
		Group("country").Order("n DESC, country")
	if err := q.Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("count signatures by country: %w", err)
	}
	return out, nil
}

// CountByDay returns a petition's signature counts in status (StatusAny for
// all) per UTC calendar day, oldest first, from the day of since onwards.
// Days without signatures are absent. Confirmed signatures count on the day
// they were confirmed (the day they started to count; the day they were
// signed if that is unknown), all others on the day they were signed.
func (db *DB) CountByDay(ctx context.Context, petitionID int64, status string, since time.Time) ([]DayCount, error) {
	day := db.dayOf(dayColumn(status))
	var rows []struct {
		Day string
		N   int64
	}
	q := db.figuresQuery(ctx, petitionID, status).Select(day+" AS day, COUNT(*) AS n").
		Where(day+" >= ?", since.UTC().Format(dayLayout)).Group(day).Order("day")
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count signatures by day: %w", err)
	}
	out := make([]DayCount, 0, len(rows))
	for _, r := range rows {
		d, err := time.Parse(dayLayout, r.Day)
		if err != nil {
			return nil, fmt.Errorf("count signatures by day: read day %q: %w", r.Day, err)
		}
		out = append(out, DayCount{Day: d, N: r.N})
	}
	return out, nil
}

// LastSignatureDay returns the latest UTC calendar day on which a petition
// has signatures in status (StatusAny for all), counted as CountByDay
// counts them, or ErrNotFound when it has none.
func (db *DB) LastSignatureDay(ctx context.Context, petitionID int64, status string) (time.Time, error) {
	var last sql.NullString
	err := db.figuresQuery(ctx, petitionID, status).Select("MAX(" + db.dayOf(dayColumn(status)) + ")").
		Row().Scan(&last)
	if err != nil {
		return time.Time{}, fmt.Errorf("find last signature day: %w", err)
	}
	if !last.Valid {
		return time.Time{}, ErrNotFound
	}
	d, err := time.Parse(dayLayout, last.String)
	if err != nil {
		return time.Time{}, fmt.Errorf("find last signature day: read day %q: %w", last.String, err)
	}
	return d, nil
}

// figuresQuery selects a petition's signatures in status.
func (db *DB) figuresQuery(ctx context.Context, petitionID int64, status string) *gorm.DB {
	q := db.gorm.WithContext(ctx).Table("signatures").Where("petition_id = ?", petitionID)
	if status != StatusAny {
		q = q.Where("status = ?", status)
	}
	return q
}

// dayColumn is the timestamp that places a signature in status on a day.
func dayColumn(status string) string {
	if status == StatusConfirmed {
		return "COALESCE(confirmed_at, signed_at)"
	}
	return "signed_at"
}

// dayOf returns SQL for the UTC calendar day of the timestamp expression
// col, as text 'YYYY-MM-DD'. SQLite keeps timestamps as text that starts
// with the day ("2006-01-02 15:04:05.999999999+00:00", always written in
// UTC); PostgreSQL keeps a timestamptz that must be turned to UTC first.
func (db *DB) dayOf(col string) string {
	if db.dialect == "postgres" {
		return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
	}
	return "substr(" + col + ", 1, 10)"
}
