package config

import (
	"fmt"
	"io"
	"strconv"
)

// mask is what a Secret prints instead of its value.
const mask = "****"

// Secret is a setting that must never reach a log: every way of printing it
// (String, GoString, any fmt verb, MarshalText and therefore JSON and slog)
// yields "****". Value returns the real value.
type Secret struct {
	value string
}

// NewSecret wraps v so that it prints as "****".
func NewSecret(v string) Secret {
	return Secret{value: v}
}

// Value returns the secret itself, for the code that actually needs it.
func (s Secret) Value() string {
	return s.value
}

// IsSet reports whether the secret holds a non-empty value.
func (s Secret) IsSet() bool {
	return s.value != ""
}

// String returns "****" whatever the value.
func (s Secret) String() string {
	return mask
}

// GoString returns "****" so that %#v does not reveal the value either.
func (s Secret) GoString() string {
	return mask
}

// Format prints "****" for every verb, quoted for %q, so that no fmt verb
// (%x included) can reveal the value.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = io.WriteString(f, strconv.Quote(mask))
		return
	}
	_, _ = io.WriteString(f, mask)
}

// MarshalText returns "****", which is what encoding/json and log/slog use.
func (s Secret) MarshalText() ([]byte, error) {
	return []byte(mask), nil
}
