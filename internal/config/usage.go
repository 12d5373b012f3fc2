package config

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// Usage writes every CAMPAIGN_* variable with its default and a one-line
// description, aligned in columns. Variables that also accept NAME_FILE
// (the value read from that file) are marked [_FILE].
func Usage(w io.Writer) {
	fmt.Fprint(w, `Settings come from CAMPAIGN_* environment variables and, optionally, an env
file of KEY=VALUE lines; a variable set in the environment wins over the file.
An empty value counts as unset. NAME[_FILE]: NAME_FILE=PATH reads the value
from the file PATH instead (for secrets; set NAME or NAME_FILE, not both).
Durations: Go syntax (90s, 10m, 1h30m) or whole days (30d).

`)
	def := Default()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  VARIABLE\tDEFAULT\tDESCRIPTION")
	for _, s := range settings() {
		name := s.name
		if s.file {
			name += "[_FILE]"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", name, usageDefault(s, def), s.desc)
	}
	_ = tw.Flush()
}

func usageDefault(s setting, def *Config) string {
	if s.defNote != "" {
		return s.defNote
	}
	if s.get != nil {
		if v := s.get(def); v != "" {
			return v
		}
	}
	return "(none)"
}
