package config

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// readEnvFile parses an env file: KEY=VALUE lines, blank lines and # comment
// lines, an optional "export " prefix, values optionally in single quotes
// (taken literally) or double quotes (\" \\ \n escapes). In an unquoted
// value a # at the start or after a space begins a comment. Later lines win
// over earlier ones. A CAMPAIGN_ key that known lacks is an error, to catch
// typos; other keys are ignored so the file can be shared with other tools.
// Messages give file:line and never quote a value, which may be a secret.
func readEnvFile(r io.Reader, name string, known map[string]bool) (map[string]string, error) {
	vals := make(map[string]string)
	var errs []error
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		key, value, ok, err := parseEnvLine(line)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s:%d: %w", name, n, err))
		case !ok:
		case strings.HasPrefix(key, "CAMPAIGN_") && !known[key]:
			errs = append(errs, fmt.Errorf(`%s:%d: %s is not a known variable; run "campaign serve -h" for the list`,
				name, n, key))
		default:
			vals[key] = value
		}
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", name, err))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return vals, nil
}

// parseEnvLine splits one line; ok is false for blank and comment lines.
func parseEnvLine(line string) (key, value string, ok bool, err error) {
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") {
		return "", "", false, nil
	}
	if rest, found := strings.CutPrefix(line, "export "); found {
		line = strings.TrimLeft(rest, " \t")
	}
	key, raw, found := strings.Cut(line, "=")
	if !found {
		return "", "", false, errors.New("expected KEY=VALUE")
	}
	key = strings.TrimSpace(key)
	if !validKey(key) {
		return "", "", false, errors.New("expected KEY=VALUE with a KEY of letters, digits and _")
	}
	value, err = parseEnvValue(strings.TrimLeft(raw, " \t"))
	if err != nil {
		return "", "", false, fmt.Errorf("%s: %w", key, err)
	}
	return key, value, true, nil
}

// parseEnvValue reads the part after "=", leading blanks removed.
func parseEnvValue(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	quote := raw[0]
	if quote != '"' && quote != '\'' {
		for i := 0; i < len(raw); i++ {
			if raw[i] == '#' && (i == 0 || raw[i-1] == ' ' || raw[i-1] == '\t') {
				raw = raw[:i]
				break
			}
		}
		return strings.TrimSpace(raw), nil
	}
	var b strings.Builder
	for i := 1; i < len(raw); i++ {
		ch := raw[i]
		switch {
		case ch == quote:
			rest := strings.TrimSpace(raw[i+1:])
			if rest != "" && !strings.HasPrefix(rest, "#") {
				return "", errors.New("unexpected text after the closing quote")
			}
			return b.String(), nil
		case ch == '\\' && quote == '"' && i+1 < len(raw):
			i++
			switch raw[i] {
			case 'n':
				b.WriteByte('\n')
			case '"', '\\':
				b.WriteByte(raw[i])
			default:
				b.WriteByte('\\')
				b.WriteByte(raw[i])
			}
		default:
			b.WriteByte(ch)
		}
	}
	return "", fmt.Errorf("missing closing %c quote", quote)
}

func validKey(key string) bool {
	if key == "" {
		return false
	}
	for i, r := range key {
		letter := r == '_' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z')
		if !letter && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return true
}
