package country

import (
	"strings"
	"testing"
)

func TestAllHasEveryCodeOnce(t *testing.T) {
	all := All()
	if got, want := len(all), 250; got != want {
		t.Fatalf("len(All()) = %d, want %d (249 ISO 3166-1 codes plus XK)", got, want)
	}
	seen := make(map[string]string)
	for _, c := range all {
		if len(c.Code) != 2 || strings.ToUpper(c.Code) != c.Code || c.Code[0] < 'A' || c.Code[0] > 'Z' || c.Code[1] < 'A' || c.Code[1] > 'Z' {
			t.Errorf("code %q (%s) is not two upper-case letters", c.Code, c.Name)
		}
		if c.Name == "" || strings.TrimSpace(c.Name) != c.Name {
			t.Errorf("code %s has name %q, want a trimmed, non-empty name", c.Code, c.Name)
		}
		if prev, dup := seen[c.Code]; dup {
			t.Errorf("code %s appears twice: %q and %q", c.Code, prev, c.Name)
		}
		seen[c.Code] = c.Name
	}
}

// TestTableSortedByCode guards lookup, which binary-searches the table.
func TestTableSortedByCode(t *testing.T) {
	for i := 1; i < len(table); i++ {
		if table[i-1].Code >= table[i].Code {
			t.Errorf("table out of order at %d: %s before %s; lookup would miss codes", i, table[i-1].Code, table[i].Code)
		}
	}
}

func TestValid(t *testing.T) {
	tests := []struct {
		code string
		want bool
	}{
		{"KH", true},
		{"TH", true},
		{"US", true},
		{"GB", true},
		{"FR", true},
		{"XK", true},
		{"AD", true},
		{"ZW", true},
		{"kh", false},
		{"Kh", false},
		{"ZZ", false},
		{"", false},
		{"EU", false},
		{"UK", false},
		{"KHM", false},
		{" KH", false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			if got := Valid(tt.code); got != tt.want {
				t.Errorf("Valid(%q) = %v, want %v", tt.code, got, tt.want)
			}
		})
	}
}

func TestName(t *testing.T) {
	tests := []struct{ code, want string }{
		{"KH", "Cambodia"},
		{"GB", "United Kingdom"},
		{"KR", "South Korea"},
		{"KP", "North Korea"},
		{"TW", "Taiwan"},
		{"VN", "Vietnam"},
		{"CI", "Côte d'Ivoire"},
		{"TR", "Türkiye"},
		{"XK", "Kosovo"},
		{"kh", ""},
		{"ZZ", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Name(tt.code); got != tt.want {
			t.Errorf("Name(%q) = %q, want %q", tt.code, got, tt.want)
		}
	}
}

func TestAllSortedByName(t *testing.T) {
	all := All()
	for i := 1; i < len(all); i++ {
		if sortKey(all[i-1].Name) > sortKey(all[i].Name) {
			t.Errorf("All() out of order: %q before %q", all[i-1].Name, all[i].Name)
		}
	}
	index := make(map[string]int, len(all))
	for i, c := range all {
		index[c.Name] = i
	}
	// Accented names sit with their base letter, not after "Zimbabwe".
	order := [][2]string{
		{"Afghanistan", "Åland Islands"},
		{"Åland Islands", "Albania"},
		{"Costa Rica", "Côte d'Ivoire"},
		{"Côte d'Ivoire", "Croatia"},
		{"Tunisia", "Türkiye"},
		{"Türkiye", "Turkmenistan"},
		{"Réunion", "Romania"},
		{"San Marino", "São Tomé and Príncipe"},
		{"Cuba", "Curaçao"},
		{"Curaçao", "Cyprus"},
	}
	for _, o := range order {
		if index[o[0]] >= index[o[1]] {
			t.Errorf("All(): %q at %d, %q at %d; want the first before the second", o[0], index[o[0]], o[1], index[o[1]])
		}
	}
	if last := all[len(all)-1].Name; last != "Zimbabwe" {
		t.Errorf("last country is %q, want Zimbabwe (accented names must not sort last)", last)
	}
}

func TestAllReturnsCopy(t *testing.T) {
	first := All()
	want := first[0]
	first[0] = Country{Code: "ZZ", Name: "Nowhere"}
	first = first[:1]
	second := All()
	if len(second) != 250 || second[0] != want {
		t.Errorf("after changing the first result, All() = %d entries starting %v; want 250 starting %v", len(second), second[0], want)
	}
	if Valid("ZZ") {
		t.Error("Valid(\"ZZ\") = true after changing a returned slice; the table must not be shared")
	}
}
