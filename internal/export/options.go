package export

import (
	"fmt"
	"strings"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/country"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

// Profile says how much of each signature an export contains.
type Profile string

// Export profiles (SPEC §6).
const (
	// ProfileCounts has no signer at all: country, status, count.
	ProfileCounts Profile = "counts"
	// ProfileNames has every column but the email (the column is left out,
	// not left empty, so the file plainly holds no addresses).
	ProfileNames Profile = "names"
	// ProfileFull has every column, emails included: owners only.
	ProfileFull Profile = "full"
)

// StatusAll is the status option that selects signatures of every status.
const StatusAll = "all"

// Options choose what an export contains. The zero value is not valid;
// ParseOptions fills in the defaults.
type Options struct {
	Profile Profile
	// Status is confirmed (the default), pending, withdrawn, invalidated
	// or all.
	Status string
	// Country, when set, is an ISO 3166-1 alpha-2 code.
	Country string
	// Since (inclusive) and Until (exclusive) bound the time of signing;
	// nil is unbounded. A date given for until means to the end of that
	// UTC day, so consecutive ranges never overlap.
	Since, Until *time.Time
	// BOM starts the file with a UTF-8 byte order mark, which some
	// spreadsheets need to read UTF-8 as such.
	BOM bool
}

// OptionError says which export option is wrong and what it accepts. Its
// message is fit for a command line; Key names the problem for callers
// that translate.
type OptionError struct {
	Field    string // profile, status, country, since or until
	Value    string
	Accepted string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("%s %q: %s", e.Field, e.Value, e.Accepted)
}

// Key names the problem: the option's name, or "order" for an until that
// is not after since.
func (e *OptionError) Key() string {
	if e.Accepted == acceptOrder {
		return "order"
	}
	return e.Field
}

// What each option accepts, said the same way to the CLI and the console.
const (
	acceptProfile = "use counts, names or full"
	acceptStatus  = "use confirmed, pending, withdrawn, invalidated or all"
	acceptCountry = "use a two-letter ISO 3166-1 country code, such as KH"
	acceptTime    = "use an RFC 3339 time (2026-11-26T08:00:00Z) or a UTC date (2026-11-26)"
	acceptOrder   = "must be later than since"
)

// ParseOptions reads export options as a command line or a query string
// gives them; empty values take the defaults (profile names, status
// confirmed, every country, any time). Times are RFC 3339 or YYYY-MM-DD in
// UTC. The error is an *OptionError.
func ParseOptions(profile, status, countryCode, since, until string, bom bool) (Options, error) {
	o := Options{Profile: Profile(strings.ToLower(strings.TrimSpace(profile))),
		Status: strings.ToLower(strings.TrimSpace(status)), Country: strings.ToUpper(strings.TrimSpace(countryCode)), BOM: bom}
	switch o.Profile {
	case "":
		o.Profile = ProfileNames
	case ProfileCounts, ProfileNames, ProfileFull:
	default:
		return Options{}, &OptionError{"profile", profile, acceptProfile}
	}
	switch o.Status {
	case "":
		o.Status = store.StatusConfirmed
	case store.StatusConfirmed, store.StatusPending, store.StatusWithdrawn, store.StatusInvalidated, StatusAll:
	default:
		return Options{}, &OptionError{"status", status, acceptStatus}
	}
	if o.Country != "" && !country.Valid(o.Country) {
		return Options{}, &OptionError{"country", countryCode, acceptCountry}
	}
	var err error
	if o.Since, err = parseTime("since", since, false); err != nil {
		return Options{}, err
	}
	if o.Until, err = parseTime("until", until, true); err != nil {
		return Options{}, err
	}
	if o.Since != nil && o.Until != nil && !o.Until.After(*o.Since) {
		return Options{}, &OptionError{"until", until, acceptOrder}
	}
	return o, nil
}

// parseTime reads an RFC 3339 time or a date; a date as the end of a
// range (endOfDay) means the start of the next day.
func parseTime(field, raw string, endOfDay bool) (*time.Time, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339, raw); err == nil {
		t = t.UTC()
		return &t, nil
	}
	t, err := time.Parse(time.DateOnly, raw)
	if err != nil {
		return nil, &OptionError{field, raw, acceptTime}
	}
	if endOfDay {
		t = t.AddDate(0, 0, 1)
	}
	return &t, nil
}

// Filter is the store filter that selects the options' signatures of
// petition petitionID.
func (o Options) Filter(petitionID int64) store.SignatureFilter {
	f := store.SignatureFilter{PetitionID: petitionID, Status: o.Status, Country: o.Country}
	if o.Status == StatusAll {
		f.Status = store.StatusAny
	}
	if o.Since != nil {
		f.SignedFrom = *o.Since
	}
	if o.Until != nil {
		f.SignedBefore = *o.Until
	}
	return f
}

// AuditDetail describes the options for the audit log:
// "profile=names; status=confirmed; country=KH; since=…; until=…", with
// empty values for filters not set and times in RFC 3339 (until exclusive).
func (o Options) AuditDetail() string {
	return fmt.Sprintf("profile=%s; status=%s; country=%s; since=%s; until=%s",
		o.Profile, o.Status, o.Country, formatTime(o.Since), formatTime(o.Until))
}

// FileName is the name to save an export of petition slug under, e.g.
// coordinated-sanctions-2026-11-26-names.csv for day (taken in UTC).
func FileName(slug string, day time.Time, p Profile) string {
	return fmt.Sprintf("%s-%s-%s.csv", slug, day.UTC().Format(time.DateOnly), p)
}
