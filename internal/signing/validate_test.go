package signing_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/signing"
)

// validInput is a signature that passes every rule; cases change one thing.
func validInput() signing.Input {
	return signing.Input{
		Name:    "Sokha Chan",
		Email:   "sokha@example.org",
		Country: "KH",
		City:    "Phnom Penh",
		Comment: "For my family.",
	}
}

// email254 is a valid address of exactly 254 characters, the longest allowed.
func email254() string {
	domain := strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 57) + ".org"
	return strings.Repeat("a", 64) + "@" + domain
}

func TestValidateRules(t *testing.T) {
	tests := []struct {
		name string
		edit func(in *signing.Input)
		want map[string]string // nil: the input is valid
	}{
		{"valid", func(in *signing.Input) {}, nil},
		{"optional city and comment may be empty", func(in *signing.Input) { in.City, in.Comment = "", "" }, nil},

		{"name missing", func(in *signing.Input) { in.Name = "" }, map[string]string{"name": "name.required"}},
		{"name only spaces", func(in *signing.Input) { in.Name = " \t  " }, map[string]string{"name": "name.required"}},
		{"email missing", func(in *signing.Input) { in.Email = "" }, map[string]string{"email": "email.required"}},
		{"country missing", func(in *signing.Input) { in.Country = "" }, map[string]string{"country": "country.required"}},
		{"everything missing", func(in *signing.Input) { *in = signing.Input{} },
			map[string]string{"name": "name.required", "email": "email.required", "country": "country.required"}},

		{"name of 100 Khmer characters", func(in *signing.Input) { in.Name = strings.Repeat("ក", 100) }, nil},
		{"name of 101 Khmer characters", func(in *signing.Input) { in.Name = strings.Repeat("ក", 101) },
			map[string]string{"name": "name.too_long"}},
		{"name of 100 Latin characters", func(in *signing.Input) { in.Name = strings.Repeat("é", 100) }, nil},
		{"name of 101 Latin characters", func(in *signing.Input) { in.Name = strings.Repeat("a", 101) },
			map[string]string{"name": "name.too_long"}},
		{"Khmer name with zero-width space", func(in *signing.Input) { in.Name = "សុខា\u200bចាន់" }, nil},

		{"name with scheme", func(in *signing.Input) { in.Name = "see http://spam.example" }, map[string]string{"name": "name.no_urls"}},
		{"name with www", func(in *signing.Input) { in.Name = "www.cheap-pills" }, map[string]string{"name": "name.no_urls"}},
		{"name with a domain", func(in *signing.Input) { in.Name = "Buy at pills.com now" }, map[string]string{"name": "name.no_urls"}},
		{"name with initials is not a URL", func(in *signing.Input) { in.Name = "J. R. R. Tolkien" }, nil},
		{"city with a domain", func(in *signing.Input) { in.City = "casino.xyz" }, map[string]string{"city": "city.no_urls"}},
		{"comment may hold a link", func(in *signing.Input) { in.Comment = "Background: https://example.org/report" }, nil},

		{"email without @", func(in *signing.Input) { in.Email = "sokha.example.org" }, map[string]string{"email": "email.email"}},
		{"email without domain", func(in *signing.Input) { in.Email = "sokha@" }, map[string]string{"email": "email.email"}},
		{"email with a space inside", func(in *signing.Input) { in.Email = "so kha@example.org" }, map[string]string{"email": "email.email"}},
		{"email of 254 characters", func(in *signing.Input) { in.Email = email254() }, nil},
		{"email of 255 characters", func(in *signing.Input) { in.Email = "a" + email254() }, map[string]string{"email": "email.too_long"}},
		{"email with surrounding spaces", func(in *signing.Input) { in.Email = "  sokha@example.org \n" }, nil},

		{"lower-case country is accepted", func(in *signing.Input) { in.Country = "kh" }, nil},
		{"country with spaces", func(in *signing.Input) { in.Country = " fr " }, nil},
		{"unknown country code", func(in *signing.Input) { in.Country = "ZZ" }, map[string]string{"country": "country.country"}},
		{"country name instead of code", func(in *signing.Input) { in.Country = "Cambodia" }, map[string]string{"country": "country.country"}},
		{"UK is not the ISO code", func(in *signing.Input) { in.Country = "UK" }, map[string]string{"country": "country.country"}},

		{"city of 100 characters", func(in *signing.Input) { in.City = strings.Repeat("ភ", 100) }, nil},
		{"city of 101 characters", func(in *signing.Input) { in.City = strings.Repeat("x", 101) }, map[string]string{"city": "city.too_long"}},
		{"comment of 500 characters", func(in *signing.Input) { in.Comment = strings.Repeat("ក", 500) }, nil},
		{"comment of 501 characters", func(in *signing.Input) { in.Comment = strings.Repeat("ក", 501) },
			map[string]string{"comment": "comment.too_long"}},

		{"name with invalid UTF-8", func(in *signing.Input) { in.Name = "Sokha\xff" }, map[string]string{"name": "name.bad_characters"}},
		{"city with invalid UTF-8", func(in *signing.Input) { in.City = "\xc3\x28" }, map[string]string{"city": "city.bad_characters"}},
		{"comment with invalid UTF-8", func(in *signing.Input) { in.Comment = "ok \xed\xa0\x80" }, map[string]string{"comment": "comment.bad_characters"}},
		{"name with NUL", func(in *signing.Input) { in.Name = "Sok\x00ha" }, map[string]string{"name": "name.bad_characters"}},
		{"name with escape", func(in *signing.Input) { in.Name = "Sokha\x1b[31m" }, map[string]string{"name": "name.bad_characters"}},
		{"comment with bell", func(in *signing.Input) { in.Comment = "ring\x07" }, map[string]string{"comment": "comment.bad_characters"}},
		{"comment with lone CR", func(in *signing.Input) { in.Comment = "line\rover" }, map[string]string{"comment": "comment.bad_characters"}},
		{"name with right-to-left override", func(in *signing.Input) { in.Name = "Sokha\u202Egro.elpmaxe" }, map[string]string{"name": "name.bad_characters"}},
		{"name with left-to-right embedding", func(in *signing.Input) { in.Name = "\u202ASokha" }, map[string]string{"name": "name.bad_characters"}},
		{"city with first-strong isolate", func(in *signing.Input) { in.City = "Phnom\u2068Penh" }, map[string]string{"city": "city.bad_characters"}},
		{"comment with pop directional isolate", func(in *signing.Input) { in.Comment = "hi\u2069" }, map[string]string{"comment": "comment.bad_characters"}},

		{"name with newline", func(in *signing.Input) { in.Name = "Sokha\nChan" }, map[string]string{"name": "name.bad_characters"}},
		{"name with tab", func(in *signing.Input) { in.Name = "Sokha\tChan" }, map[string]string{"name": "name.bad_characters"}},
		{"city with newline", func(in *signing.Input) { in.City = "Phnom\nPenh" }, map[string]string{"city": "city.bad_characters"}},
		{"comment with newlines", func(in *signing.Input) { in.Comment = "First line.\nSecond line.\r\nThird." }, nil},
		{"trailing newline in name is trimmed", func(in *signing.Input) { in.Name = "Sokha Chan\r\n" }, nil},

		{"several fields at once", func(in *signing.Input) {
			in.Name, in.Email, in.Comment = "", "nope", strings.Repeat("x", 501)
		}, map[string]string{"name": "name.required", "email": "email.email", "comment": "comment.too_long"}},
	}
	svc := signing.NewService(nil, nil, nil, false, nil)
	checks := []struct {
		name  string
		check func(*signing.Input) error
	}{
		{"Validator.Check", signing.NewValidator().Check},
		{"Service.Validate", svc.Validate},
	}
	for _, tt := range tests {
		for _, c := range checks {
			t.Run(tt.name+"/"+c.name, func(t *testing.T) {
				in := validInput()
				tt.edit(&in)
				err := c.check(&in)
				if tt.want == nil {
					if err != nil {
						t.Fatalf("%s(%#v) = %v, want no error", c.name, in, err)
					}
					return
				}
				ve, ok := signing.AsValidation(err)
				if !ok {
					t.Fatalf("%s = %v, want a *ValidationError with %v", c.name, err, tt.want)
				}
				if !maps.Equal(ve.Fields, tt.want) {
					t.Errorf("fields = %v, want %v", ve.Fields, tt.want)
				}
			})
		}
	}
}

func TestValidateNormalizes(t *testing.T) {
	in := signing.Input{
		Name:    "  Sokha Chan \t",
		Email:   " Sokha@Example.org  ",
		Country: " kh ",
		City:    "  Phnom Penh ",
		Comment: "\r\n  First line.\r\nSecond line.  \r\n",
	}
	if err := signing.NewValidator().Check(&in); err != nil {
		t.Fatalf("Check: %v, want no error", err)
	}
	want := signing.Input{
		Name:    "Sokha Chan",
		Email:   "Sokha@Example.org", // case is kept: the canonical form is only for duplicates
		Country: "KH",
		City:    "Phnom Penh",
		Comment: "First line.\nSecond line.",
	}
	if in != want {
		t.Errorf("after Check the input is\n%#v\nwant\n%#v", in, want)
	}
}

func TestValidationErrorNamesFieldsNotValues(t *testing.T) {
	in := validInput()
	in.Name = "Secret Person http://x.example"
	err := signing.NewValidator().Check(&in)
	if err == nil {
		t.Fatal("Check accepted a URL in the name")
	}
	// The error text ends up in logs, which must never hold a signer's name.
	if msg := err.Error(); strings.Contains(msg, "Secret") || !strings.Contains(msg, "name") {
		t.Errorf("error text %q should name the field and not repeat the value", msg)
	}
}
