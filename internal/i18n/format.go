package i18n

import (
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Number formats n with the digit grouping of lang, as CLDR has it (through
// golang.org/x/text): 12,345 in English and Thai, 12.345 in Khmer, and
// 12 345 in French, grouped with a narrow no-break space (U+202F).
func Number(lang string, n int64) string {
	s := message.NewPrinter(language.Make(lang)).Sprintf("%d", n)
	if base, _ := language.Make(lang).Base(); base.String() == "fr" {
		// x/text's French data predates CLDR 34, which changed the group
		// separator from U+00A0 to the narrow U+202F French typography uses.
		s = strings.ReplaceAll(s, "\u00a0", "\u202f")
	}
	return s
}

// Date writes t's calendar day (in t's location) as lang writes dates: the
// catalog's "date.long" pattern, in which {day}, {month} and {year} stand
// for the day of the month, the name of the month ("date.month.1" to
// "date.month.12") and the year, and {year_be} for the year of the
// Buddhist Era (the year + 543) that Thai dates count in.
func (c *Catalog) Date(lang string, t time.Time) string {
	return strings.NewReplacer(
		"{day}", strconv.Itoa(t.Day()),
		"{month}", c.T(lang, "date.month."+strconv.Itoa(int(t.Month()))),
		"{year}", strconv.Itoa(t.Year()),
		"{year_be}", strconv.Itoa(t.Year()+543),
	).Replace(c.T(lang, "date.long"))
}
