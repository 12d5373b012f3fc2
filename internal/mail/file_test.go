package mail_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/mail"
)

func TestFileWritesEml(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "outbox")
	var logs syncBuffer
	tr, err := mail.NewFile(dir, testFrom, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("NewFile: %v", err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("outbox directory: %v, mode %v; want it created with 0700", err, fi.Mode().Perm())
	}
	m := confirmMessage(t)
	if err := tr.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("outbox directory holds %d entries, want exactly one .eml file", len(entries))
	}
	name := entries[0].Name()
	if !regexp.MustCompile(`^\d{8}T\d{6}Z-[A-Z2-7]{12}\.eml$`).MatchString(name) {
		t.Errorf("file name %q, want like 20260301T120000Z-ABCDEFGHIJKL.eml", name)
	}
	info, err := entries[0].Info()
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600: the file holds an address", info.Mode().Perm())
	}
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	p := parseMail(t, data)
	if p.Subject != m.Subject || !strings.Contains(p.To, testTo) {
		t.Errorf("file has Subject %q To %q, want %q to %s", p.Subject, p.To, m.Subject, testTo)
	}
	if !strings.Contains(p.Text, testBase+"/confirm/"+testToken) || !strings.Contains(p.HTML, testBase+"/confirm/"+testToken) {
		t.Errorf("text or HTML part lacks the confirmation link")
	}
	if got := logs.String(); !strings.Contains(got, name) || strings.Contains(got, testTo) || strings.Contains(got, testToken) {
		t.Errorf("log = %q, want the file name and neither address nor token", got)
	}
}

func TestFileSendsEachToItsOwnFile(t *testing.T) {
	dir := t.TempDir()
	tr, err := mail.NewFile(dir, testFrom, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := tr.Send(context.Background(), confirmMessage(t)); err != nil {
			t.Fatal(err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("directory holds %d files after 3 sends within one second, want 3", len(entries))
	}
}
