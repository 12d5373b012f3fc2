package signing_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/i18n"
	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/web"
)

// validationKeys lists every message key Check can put in
// ValidationError.Fields, from Input's own rules: each field × each rule.
func validationKeys(t *testing.T) []string {
	t.Helper()
	var keys []string
	typ := reflect.TypeFor[signing.Input]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		rules := f.Tag.Get("validate")
		if rules == "" {
			continue
		}
		field := strings.Split(f.Tag.Get("json"), ",")[0]
		for _, rule := range strings.Split(rules, ",") {
			tag, _, _ := strings.Cut(rule, "=")
			keys = append(keys, field+"."+signing.RuleKey(tag))
		}
	}
	if len(keys) < 10 {
		t.Fatalf("found only %d validation keys (%v): the tag parsing is broken", len(keys), keys)
	}
	return keys
}

func TestEveryValidationMessageHasEnglishText(t *testing.T) {
	msgs, err := i18n.Load(web.FS, "locales")
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, k := range msgs.Keys(i18n.Fallback) {
		known[k] = true
	}
	for _, key := range validationKeys(t) {
		// The form handler shows ValidationError messages as "field." + key.
		if !known["field."+key] {
			t.Errorf("validation can produce %q but web/locales/en.json has no %q: the signer would see the raw key", key, "field."+key)
		}
	}
}

func TestValidationKeysMatchWhatCheckReports(t *testing.T) {
	// Guards validationKeys itself: keys that Check really produced must be
	// among the ones derived from the tags.
	keys := map[string]bool{}
	for _, k := range validationKeys(t) {
		keys[k] = true
	}
	in := signing.Input{Name: "www.spam.example", Email: "nope", Country: "ZZ", City: strings.Repeat("x", 101), Comment: "\x00"}
	ve, ok := signing.AsValidation(signing.NewValidator().Check(&in))
	if !ok || len(ve.Fields) != 5 {
		t.Fatalf("Check = %v, want five field errors", ve)
	}
	for field, key := range ve.Fields {
		if !keys[key] {
			t.Errorf("Check reported %s: %q, which the tag-derived list lacks", field, key)
		}
	}
}
