// Package export writes signatures as CSV (streaming, in flat memory) and
// reads CSV files of paper signatures back in. The same code serves the
// console download and the campaign export/import commands.
package export

import "strings"

// Columns is the header of a signature file, in order (SPEC §6). Import
// reads the same columns.
func Columns() []string {
	return []string{"signed_at", "confirmed_at", "status", "name", "email", "country", "city", "comment",
		"public", "include_in_letters", "updates"}
}

// CountColumns is the header of the counts profile.
func CountColumns() []string { return []string{"country", "status", "count"} }

// formulaStart reports whether a spreadsheet would take a cell starting
// with r as a formula (or, for tab and carriage return, mangle it).
func formulaStart(b byte) bool {
	switch b {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// Neutralize makes a cell that a spreadsheet would run as a formula show as
// text, by prefixing it with an apostrophe; the rest is unchanged.
func Neutralize(s string) string {
	if s != "" && formulaStart(s[0]) {
		return "'" + s
	}
	return s
}

// Unneutralize reverses Neutralize on import, so a file exported and
// imported again stores what was signed, not the apostrophe.
func Unneutralize(s string) string {
	if len(s) >= 2 && s[0] == '\'' && formulaStart(s[1]) {
		return s[1:]
	}
	return strings.Clone(s)
}
