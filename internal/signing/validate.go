package signing

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"

	"github.com/cambodia-sanctions/campaign/internal/country"
)

// Input is one signature as a signer (web form, JSON) or an organizer
// (paper import) gives it. The rules live here, not on the HTTP form
// structs, so every way in applies the same ones.
type Input struct {
	Name             string `json:"name" validate:"required,max=100,text,nourl"`
	Email            string `json:"email" validate:"required,max=254,email,text"`
	Country          string `json:"country" validate:"required,country"`
	City             string `json:"city" validate:"max=100,text,nourl"`
	Comment          string `json:"comment" validate:"max=500,multiline"`
	Public           bool   `json:"public"`
	IncludeInLetters bool   `json:"include_in_letters"`
	Updates          bool   `json:"updates"`
}

// Normalize trims every text field and upper-cases the country code.
func (in *Input) Normalize() {
	in.Name = strings.TrimSpace(in.Name)
	in.Email = strings.TrimSpace(in.Email)
	in.Country = strings.ToUpper(strings.TrimSpace(in.Country))
	in.City = strings.TrimSpace(in.City)
	in.Comment = strings.TrimSpace(strings.ReplaceAll(in.Comment, "\r\n", "\n"))
}

// ValidationError lists what is wrong with an input, field by field. Each
// message is a catalog key ("name.required") that the caller translates.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	return "invalid signature: " + strings.Join(keys, ", ")
}

// AsValidation returns the validation error inside err, if any.
func AsValidation(err error) (*ValidationError, bool) {
	var ve *ValidationError
	ok := errors.As(err, &ve)
	return ve, ok
}

// Validator checks inputs against the signing rules.
type Validator struct {
	v     *validator.Validate
	urlRe *regexp.Regexp
}

// NewValidator builds the rule set once; it is safe for concurrent use.
func NewValidator() *Validator {
	val := &Validator{v: validator.New(validator.WithRequiredStructEnabled()), urlRe: regexp.MustCompile(urlPattern)}
	v := val.v
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		return strings.Split(f.Tag.Get("json"), ",")[0]
	})
	_ = v.RegisterValidation("text", func(fl validator.FieldLevel) bool { return isCleanText(fl.Field().String(), false) })
	_ = v.RegisterValidation("multiline", func(fl validator.FieldLevel) bool { return isCleanText(fl.Field().String(), true) })
	_ = v.RegisterValidation("nourl", func(fl validator.FieldLevel) bool { return !val.urlRe.MatchString(fl.Field().String()) })
	_ = v.RegisterValidation("country", func(fl validator.FieldLevel) bool { return country.Valid(fl.Field().String()) })
	return val
}

// Check normalizes in and returns a *ValidationError when a rule fails.
func (val *Validator) Check(in *Input) error {
	in.Normalize()
	err := val.v.Struct(in)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err
	}
	fields := map[string]string{}
	for _, fe := range verrs {
		if _, seen := fields[fe.Field()]; seen {
			continue
		}
		fields[fe.Field()] = fe.Field() + "." + ruleKey(fe.Tag())
	}
	return &ValidationError{Fields: fields}
}

// ruleKey names the message for a failed rule; text and multiline share one.
func ruleKey(tag string) string {
	switch tag {
	case "max":
		return "too_long"
	case "text", "multiline":
		return "bad_characters"
	case "nourl":
		return "no_urls"
	case "email", "country", "required":
		return tag
	}
	return "invalid"
}

// isCleanText rejects invalid UTF-8 and control characters (newlines and
// tabs only where multiline text is allowed), and the Unicode bidi overrides
// that can make a name display as something else.
func isCleanText(s string, multiline bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
			if !multiline {
				return false
			}
		case unicode.IsControl(r), r == utf8.RuneError:
			return false
		case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
			return false
		}
	}
	return true
}

// urlPattern catches links in names, the usual payload of spam signatures.
const urlPattern = `(?i)(://|www\.|\b[a-z0-9-]+\.(com|net|org|info|biz|ru|cn|xyz|top|io|co|click|link|site|online|shop|app|me|ly)\b)`
