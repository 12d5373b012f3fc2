package vault

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
)

const testKeyHex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

func TestParseKey(t *testing.T) {
	want, _ := hex.DecodeString(testKeyHex)
	for _, in := range []string{testKeyHex, "  " + testKeyHex + "\n", strings.ToUpper(testKeyHex)} {
		got, err := ParseKey(in)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("ParseKey(%q) = %x, %v; want %x", in, got, err, want)
		}
	}
}

func TestParseKeyErrors(t *testing.T) {
	tests := []struct{ name, in, detail string }{
		{"empty", "", "got 0 characters"},
		{"too short", testKeyHex[:63], "got 63 characters"},
		{"too long", testKeyHex + "0", "got 65 characters"},
		{"base64 instead of hex", "ABEiM0RVZneImaq7zN3u/wARIjNEVWZ3iJmqu8zd7v8=", "got 44 characters"},
		{"not hex", "zz" + testKeyHex[2:], "not hexadecimal"},
		{"inner space", testKeyHex[:32] + " " + testKeyHex[33:], "not hexadecimal"},
		{"placeholder zeros", strings.Repeat("0", 64), "all zeros"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := ParseKey(tt.in)
			if err == nil {
				t.Fatalf("ParseKey(%q) = %x, nil; want an error", tt.in, key)
			}
			msg := err.Error()
			if !strings.Contains(msg, "64 hexadecimal characters (32 random bytes)") || !strings.Contains(msg, "openssl rand -hex 32") {
				t.Errorf("error %q does not say what a key must look like", msg)
			}
			if !strings.Contains(msg, tt.detail) {
				t.Errorf("error %q does not say %q", msg, tt.detail)
			}
			if len(tt.in) > 8 && strings.Contains(msg, tt.in[2:10]) {
				t.Errorf("error %q quotes the key material", msg)
			}
		})
	}
}

func skipOnWindows(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("Unix permission bits")
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	skipOnWindows(t)
	dir := filepath.Join(t.TempDir(), "secrets")
	path := filepath.Join(dir, "campaign.key")

	key, created, err := LoadOrCreateKeyFile(path)
	if err != nil || !created {
		t.Fatalf("first LoadOrCreateKeyFile = created %v, err %v; want a new key file", created, err)
	}
	if len(key) != KeySize {
		t.Errorf("key length = %d, want %d", len(key), KeySize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}\n$`).Match(data) {
		t.Errorf("key file holds %q, want 64 lower-case hex characters and a newline", data)
	}
	if got := hex.EncodeToString(key) + "\n"; got != string(data) {
		t.Errorf("returned key does not match the file")
	}
	assertMode(t, path, 0o600)
	assertMode(t, dir, 0o700)
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the key file (no temporary files left)", len(entries))
	}

	again, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created {
		t.Fatalf("second LoadOrCreateKeyFile = created %v, err %v; want the existing file read", created, err)
	}
	if !bytes.Equal(again, key) {
		t.Errorf("second call returned a different key; restarting must keep the key or all data is lost")
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s mode = %04o, want %04o", filepath.Base(path), got, want)
	}
}

func TestLoadOrCreateKeyFileReadsExisting(t *testing.T) {
	skipOnWindows(t)
	path := filepath.Join(t.TempDir(), "campaign.key")
	if err := os.WriteFile(path, []byte(testKeyHex+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	key, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created || hex.EncodeToString(key) != testKeyHex {
		t.Errorf("LoadOrCreateKeyFile = %x, created %v, %v; want the operator's key, not created", key, created, err)
	}
}

func TestLoadOrCreateKeyFileRefuses(t *testing.T) {
	skipOnWindows(t)
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		want    string
	}{
		{"world readable", testKeyHex + "\n", 0o644, "chmod 600 "},
		{"group readable", testKeyHex + "\n", 0o640, "chmod 600 "},
		{"malformed", "changeme\n", 0o600, "64 hexadecimal characters"},
		{"empty", "", 0o600, "64 hexadecimal characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "campaign.key")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			key, created, err := LoadOrCreateKeyFile(path)
			if err == nil {
				t.Fatalf("LoadOrCreateKeyFile = %x, created %v, nil; want an error", key, created)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %q should contain %q and the path", err, tt.want)
			}
			if data, _ := os.ReadFile(path); string(data) != tt.content {
				t.Errorf("the refused file was changed to %q; it must be left alone", data)
			}
		})
	}
}

func TestLoadOrCreateKeyFileConcurrent(t *testing.T) {
	skipOnWindows(t)
	path := filepath.Join(t.TempDir(), "new", "campaign.key")
	const n = 10
	keys := make([][]byte, n)
	created := make([]bool, n)
	errs := make([]error, n)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range n {
		wg.Go(func() {
			start.Wait()
			keys[i], created[i], errs[i] = LoadOrCreateKeyFile(path)
		})
	}
	start.Done()
	wg.Wait()
	creators := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("goroutine %d: %v", i, errs[i])
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Errorf("goroutine %d got key %x, goroutine 0 got %x; want one key for everyone", i, keys[i], keys[0])
		}
		if created[i] {
			creators++
		}
	}
	if creators != 1 {
		t.Errorf("%d callers report creating the key, want exactly 1", creators)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the key file", len(entries))
	}
}

func TestShellQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/etc/campaign/campaign.key", "/etc/campaign/campaign.key"},
		{"/srv/my keys/k", "'/srv/my keys/k'"},
		{"/srv/it's/k", `'/srv/it'\''s/k'`},
	}
	for _, tt := range tests {
		if got := shellQuote(tt.in); got != tt.want {
			t.Errorf("shellQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
