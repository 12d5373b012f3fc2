package jurisdiction

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/language"
	"gopkg.in/yaml.v3"

	"github.com/cambodia-sanctions/campaign/internal/country"
	"github.com/cambodia-sanctions/campaign/internal/yamlfile"
)

// htmlTag finds what looks like an HTML tag in text that letters print as
// written.
var htmlTag = regexp.MustCompile(`<[a-zA-Z/!][^>]*>`)

// textField reads a text value of at most max characters: required, with
// runs of white space (a folded or literal block's line breaks) made one
// space.
func textField(v *yaml.Node, max int) (string, string) {
	if yamlfile.IsNull(v) {
		return "", "must not be empty"
	}
	if v.Kind != yaml.ScalarNode {
		return "", "must be text, not " + yamlfile.Describe(v)
	}
	return textValue(v.Value, max)
}

func textValue(s string, max int) (string, string) {
	s = strings.Join(strings.Fields(s), " ")
	switch n := utf8.RuneCountInString(s); {
	case s == "":
		return "", "must not be empty"
	case n > max:
		return "", fmt.Sprintf("must be at most %d characters, it has %d", max, n)
	}
	if tag := htmlTag.FindString(s); tag != "" {
		return "", fmt.Sprintf("is plain text, printed as written: remove the HTML %q", tag)
	}
	return s, ""
}

func boolField(v *yaml.Node) (bool, string) {
	var b bool
	if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" || v.Decode(&b) != nil {
		return false, fmt.Sprintf("must be true or false, got %s", yamlfile.Describe(v))
	}
	return b, ""
}

// codeValue accepts an ISO 3166-1 alpha-2 code (country.Valid, which has
// XK for Kosovo) or "EU", written in capitals.
func codeValue(s string) (string, string) {
	code := strings.TrimSpace(s)
	if code == "EU" || code == "XK" || country.Valid(code) {
		return code, ""
	}
	upper := strings.ToUpper(code)
	switch {
	case upper == "UK":
		return "", `the code for the United Kingdom is "GB"`
	case upper == "EU" || country.Valid(upper):
		return "", fmt.Sprintf("write codes in capitals: %q, not %q", upper, code)
	}
	return "", fmt.Sprintf(`%q is not an ISO 3166-1 alpha-2 country code (such as "FR"), "XK" or "EU"`, code)
}

func scalarValue(v *yaml.Node) (string, bool) {
	if v.Kind != yaml.ScalarNode || yamlfile.IsNull(v) {
		return "", false
	}
	return strings.TrimSpace(v.Value), true
}

func codeField(v *yaml.Node) (string, string) {
	s, ok := scalarValue(v)
	if !ok {
		return "", fmt.Sprintf(`must be a country code such as "FR", "XK" or "EU", got %s`, yamlfile.Describe(v))
	}
	return codeValue(s)
}

var languagePattern = regexp.MustCompile(`^[a-z]{2}$`)

// languageField accepts a two-letter ISO 639-1 code.
func languageField(v *yaml.Node) (string, string) {
	s, ok := scalarValue(v)
	if ok && languagePattern.MatchString(s) {
		if _, err := language.ParseBase(s); err == nil {
			return s, ""
		}
	}
	return "", fmt.Sprintf(`must be a two-letter ISO 639-1 language code in lower case, such as "en", "fr" or "de", got %s`, yamlfile.Describe(v))
}

func confidenceField(v *yaml.Node) (string, string) {
	s, _ := scalarValue(v)
	switch s {
	case Confirmed, Partial, Unconfirmed:
		return s, ""
	}
	return "", fmt.Sprintf("must be %q (✔), %q (~) or %q (✘), got %s", Confirmed, Partial, Unconfirmed, yamlfile.Describe(v))
}

var sourcePattern = regexp.MustCompile(`^[A-Z][A-Za-z0-9-]{0,11}$`)

// sourceValue accepts a source key as sanctions-facts.md §5 lists them.
func sourceValue(s string) (string, string) {
	s = strings.TrimSpace(s)
	if !sourcePattern.MatchString(s) {
		return "", fmt.Sprintf(`%q is not a source key such as "S6", "D12" or "X-a" (see sanctions-facts.md §5)`, s)
	}
	return s, ""
}

func sourceField(v *yaml.Node) (string, string) {
	s, ok := scalarValue(v)
	if !ok {
		return "", fmt.Sprintf(`must be a source key such as "D12", got %s`, yamlfile.Describe(v))
	}
	return sourceValue(s)
}

// dateLayouts are the precisions a designation date may have.
var dateLayouts = map[int]string{4: "2006", 7: "2006-01", 10: time.DateOnly}

// dateField accepts YYYY-MM-DD, YYYY-MM or YYYY: the sources do not always
// give the day.
func dateField(v *yaml.Node) (string, string) {
	s, ok := scalarValue(v)
	if ok {
		if layout, known := dateLayouts[len(s)]; known {
			if _, err := time.Parse(layout, s); err == nil {
				return s, ""
			}
		}
	}
	return "", fmt.Sprintf("must be a date such as 2019-12-09, 2019-12 or 2019, got %s", yamlfile.Describe(v))
}
