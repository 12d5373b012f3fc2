package config

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestSecretFileVariants(t *testing.T) {
	keyFile := writeFile(t, "key", testKey+"\n")
	smtpFile := writeFile(t, "smtp", "smtp://u:pw@mail.example.org:587\r\n")
	dbFile := writeFile(t, "db", "postgres://app:pw@db/campaign\n")
	emptyFile := writeFile(t, "empty", "\n")

	t.Run("values are read from files without the trailing newline", func(t *testing.T) {
		c := mustLoad(t, map[string]string{
			"CAMPAIGN_SECRET_KEY_FILE": keyFile,
			"CAMPAIGN_SMTP_URL_FILE":   smtpFile,
			"CAMPAIGN_DATABASE_FILE":   dbFile,
			"CAMPAIGN_MAIL_FROM":       "a@example.org",
		})
		if got := c.SecretKey.Value(); got != testKey {
			t.Errorf("SecretKey from file = %q, want %q", got, testKey)
		}
		if got, want := c.SMTPURL.Value(), "smtp://u:pw@mail.example.org:587"; got != want {
			t.Errorf("SMTPURL from file = %q, want %q", got, want)
		}
		if got, want := c.Database, "postgres://app:pw@db/campaign"; got != want {
			t.Errorf("Database from file = %q, want %q", got, want)
		}
	})

	errTests := []struct {
		name string
		vars map[string]string
		want []string
	}{
		{"variable and file both set",
			map[string]string{"CAMPAIGN_SECRET_KEY": testKey, "CAMPAIGN_SECRET_KEY_FILE": keyFile},
			[]string{"CAMPAIGN_SECRET_KEY and CAMPAIGN_SECRET_KEY_FILE are both set"}},
		{"missing file",
			map[string]string{"CAMPAIGN_SMTP_URL_FILE": "/nonexistent/smtp"},
			[]string{`CAMPAIGN_SMTP_URL_FILE: cannot read "/nonexistent/smtp"`}},
		{"empty file",
			map[string]string{"CAMPAIGN_SECRET_KEY_FILE": emptyFile},
			[]string{"CAMPAIGN_SECRET_KEY_FILE: file", "is empty"}},
		{"bad key in file is reported without its value",
			map[string]string{"CAMPAIGN_SECRET_KEY_FILE": writeFile(t, "bad", "s3cr3t-value\n")},
			[]string{"CAMPAIGN_SECRET_KEY: is not valid (12 characters)"}},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.vars), "")
			if err == nil {
				t.Fatalf("Load(%v) succeeded, want an error", tt.vars)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error = %v\nwant it to contain %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error reveals the file's content: %v", err)
			}
		})
	}
}

func TestParseEnvLine(t *testing.T) {
	tests := []struct {
		line      string
		key, val  string
		ok        bool
		wantError string
	}{
		{"", "", "", false, ""},
		{"   # a comment", "", "", false, ""},
		{"A=b", "A", "b", true, ""},
		{"  A = b  ", "A", "b", true, ""},
		{"export A=b", "A", "b", true, ""},
		{"export   A=b", "A", "b", true, ""},
		{"A=", "A", "", true, ""},
		{`A="two words"`, "A", "two words", true, ""},
		{`A='single # not a comment'`, "A", "single # not a comment", true, ""},
		{`A="esc \" \\ \n end"`, "A", "esc \" \\ \n end", true, ""},
		{`A='no \n escapes'`, "A", `no \n escapes`, true, ""},
		{`A="quoted" # trailing comment`, "A", "quoted", true, ""},
		{"A=value # trailing comment", "A", "value", true, ""},
		{"A=smtp://u:p#ss@host", "A", "smtp://u:p#ss@host", true, ""},
		{"A=#comment only", "A", "", true, ""},
		{"A=x=y", "A", "x=y", true, ""},
		{"just words", "", "", false, "expected KEY=VALUE"},
		{"1A=b", "", "", false, "expected KEY=VALUE with a KEY"},
		{"A B=c", "", "", false, "expected KEY=VALUE with a KEY"},
		{`A="unterminated`, "", "", false, "A: missing closing \" quote"},
		{`A="x" y`, "", "", false, "A: unexpected text after the closing quote"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			key, val, ok, err := parseEnvLine(tt.line)
			if tt.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantError) {
					t.Errorf("parseEnvLine(%q) error = %v, want %q", tt.line, err, tt.wantError)
				}
				return
			}
			if err != nil || key != tt.key || val != tt.val || ok != tt.ok {
				t.Errorf("parseEnvLine(%q) = %q, %q, %v, %v; want %q, %q, %v, nil",
					tt.line, key, val, ok, err, tt.key, tt.val, tt.ok)
			}
		})
	}
}

func TestReadEnvFile(t *testing.T) {
	known := knownNames(settings())
	t.Run("later lines win and foreign keys are ignored", func(t *testing.T) {
		got, err := readEnvFile(strings.NewReader("\ufeffCAMPAIGN_ADDR=:1\nPOSTGRES_PASSWORD=x\nCAMPAIGN_ADDR=:2\n"), "f.env", known)
		if err != nil {
			t.Fatal(err)
		}
		if got["CAMPAIGN_ADDR"] != ":2" || got["POSTGRES_PASSWORD"] != "x" {
			t.Errorf("got %v, want CAMPAIGN_ADDR=:2 from the last line", got)
		}
	})
	t.Run("every bad line is reported with file:line and no value", func(t *testing.T) {
		_, err := readEnvFile(strings.NewReader("# ok\nCAMPAIGN_ADRR=:1\nCAMPAIGN_ADDR_FILE=x\nnonsense hunter2\nA=\"hunter2\n"), "f.env", known)
		if err == nil {
			t.Fatal("readEnvFile accepted a file with four bad lines")
		}
		for _, want := range []string{
			"f.env:2: CAMPAIGN_ADRR is not a known variable",
			"f.env:3: CAMPAIGN_ADDR_FILE is not a known variable",
			"f.env:4: expected KEY=VALUE",
			"f.env:5: A: missing closing",
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error = %v\nwant it to contain %q", err, want)
			}
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error quotes a value from the file: %v", err)
		}
	})
}

func TestLoadWithEnvFile(t *testing.T) {
	file := writeFile(t, "campaign.env", `# settings for tests
export CAMPAIGN_ADDR=":9001"
CAMPAIGN_LOG_FORMAT='json'
CAMPAIGN_LOG_LEVEL=debug # noisy
CAMPAIGN_SECRET_KEY_FILE=`+writeFile(t, "key", testKey+"\n")+`
`)
	other := writeFile(t, "other.env", "CAMPAIGN_ADDR=:9002\n")
	tests := []struct {
		name    string
		vars    map[string]string
		envFile string
		want    map[string]string // Summary lines that must appear
	}{
		{"file given to Load", nil, file,
			map[string]string{"CAMPAIGN_ADDR": ":9001", "CAMPAIGN_LOG_FORMAT": "json", "CAMPAIGN_LOG_LEVEL": "debug",
				"CAMPAIGN_SECRET_KEY": "****", "CAMPAIGN_BASE_URL": "http://localhost:9001"}},
		{"file named by CAMPAIGN_ENV_FILE", map[string]string{"CAMPAIGN_ENV_FILE": file}, "",
			map[string]string{"CAMPAIGN_ADDR": ":9001"}},
		{"argument wins over CAMPAIGN_ENV_FILE", map[string]string{"CAMPAIGN_ENV_FILE": other}, file,
			map[string]string{"CAMPAIGN_ADDR": ":9001"}},
		{"environment wins over file", map[string]string{"CAMPAIGN_ADDR": ":7000", "CAMPAIGN_LOG_FORMAT": "text"}, file,
			map[string]string{"CAMPAIGN_ADDR": ":7000", "CAMPAIGN_LOG_FORMAT": "text", "CAMPAIGN_LOG_LEVEL": "debug"}},
		{"empty environment value falls back to file", map[string]string{"CAMPAIGN_ADDR": ""}, file,
			map[string]string{"CAMPAIGN_ADDR": ":9001"}},
		{"environment secret replaces file's _FILE", map[string]string{"CAMPAIGN_SECRET_KEY": strings.Repeat("ab", 32)}, file,
			map[string]string{"CAMPAIGN_SECRET_KEY": "****"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.vars), tt.envFile)
			if err != nil {
				t.Fatalf("Load failed: %v", err)
			}
			summary := c.Summary()
			for k, v := range tt.want {
				if !slices.Contains(summary, k+"="+v) {
					t.Errorf("want %s=%s, got summary:\n%s", k, v, strings.Join(summary, "\n"))
				}
			}
		})
	}

	t.Run("missing env file is an error naming it", func(t *testing.T) {
		_, err := Load(env(map[string]string{"CAMPAIGN_ENV_FILE": "/nonexistent.env"}), "")
		if err == nil || !strings.Contains(err.Error(), `CAMPAIGN_ENV_FILE: cannot read "/nonexistent.env"`) {
			t.Errorf("error = %v, want one naming CAMPAIGN_ENV_FILE and the path", err)
		}
	})
	t.Run("variable and _FILE both in the file", func(t *testing.T) {
		both := writeFile(t, "both.env", "CAMPAIGN_SMTP_URL=smtp://h\nCAMPAIGN_SMTP_URL_FILE=/x\n")
		_, err := Load(env(nil), both)
		if err == nil || !strings.Contains(err.Error(), "CAMPAIGN_SMTP_URL and CAMPAIGN_SMTP_URL_FILE are both set") {
			t.Errorf("error = %v, want one naming both variables", err)
		}
	})
}

// The example env file must list every variable at its real default.
func TestExampleEnvFile(t *testing.T) {
	const path = "../../config/campaign.env.example"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the example env file is missing: %v", err)
	}
	text := string(data)
	for _, s := range settings() {
		if s.set != nil && !strings.Contains(text, "\n# "+s.name+"=") {
			t.Errorf("%s lacks a commented-out line for %s", path, s.name)
		}
	}

	c, err := Load(env(nil), path)
	if err != nil {
		t.Fatalf("loading the example as shipped: %v", err)
	}
	if got, want := c.Summary(), Default().Summary(); !slices.Equal(got, want) {
		t.Errorf("the example as shipped changes settings:\n got %q\nwant %q", got, want)
	}

	var uncommented []string
	for line := range strings.SplitSeq(text, "\n") {
		if rest, ok := strings.CutPrefix(line, "# CAMPAIGN_"); ok && strings.Contains(rest, "=") {
			uncommented = append(uncommented, "CAMPAIGN_"+rest)
		}
	}
	c, err = Load(env(nil), writeFile(t, "all.env", strings.Join(uncommented, "\n")))
	if err != nil {
		t.Fatalf("loading the example with every line uncommented: %v", err)
	}
	if got, want := c.Summary(), Default().Summary(); !slices.Equal(got, want) {
		t.Errorf("the example's values are not the defaults:\n got %q\nwant %q", got, want)
	}
}
