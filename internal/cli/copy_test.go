package cli_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
)

// newCopySource writes a small SQLite campaign: one petition, twelve
// signatures (eight confirmed, four pending) and their mails.
func newCopySource(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "campaign.db")
	db, err := store.Open(ctx, "sqlite://"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	p := testutil.MustCreatePetition(t, db, store.Petition{Slug: "copy-cli"})
	var batch []*store.Signature
	for i := range 12 {
		batch = append(batch, &store.Signature{PetitionID: p.ID, EmailHash: []byte(fmt.Sprint("email-", i)),
			ReceiptHash: []byte(fmt.Sprint("receipt-", i)), Status: store.StatusPending, Country: "KH", Lang: "en",
			Source: "web", NameEnc: []byte(fmt.Sprint("sealed-name-", i)), SignedAt: time.Now(),
			FirstMail: &store.QueuedMail{Kind: store.MailConfirm, PayloadEnc: []byte("sealed-mail")}})
	}
	if _, err := db.InsertSignatures(ctx, batch); err != nil {
		t.Fatal(err)
	}
	for _, s := range batch[:8] {
		if _, err := db.ConfirmSignature(ctx, s.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func TestCopyCommand(t *testing.T) {
	dests := []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"to PostgreSQL", func(t *testing.T) string {
			// A password in the URL (the test server trusts local
			// connections and ignores it) must never be printed.
			u, _ := url.Parse(testutil.NewPostgresDatabase(t))
			u.User = url.UserPassword(u.User.Username(), "s3cret-pw")
			return u.String()
		}},
		{"to SQLite", func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "new.db") }},
	}
	for _, dest := range dests {
		t.Run(dest.name, func(t *testing.T) {
			ctx := context.Background()
			from, to := "sqlite://"+newCopySource(t), dest.url(t)
			code, out, errOut := run(t, ctx, nil, "copy", "--from", from, "--to", to)
			if code != 0 {
				t.Fatalf("copy: exit %d\n%s%s", code, out, errOut)
			}
			for _, want := range []string{
				`(?m)^signatures +12 +12  same$`,
				`(?m)^outbox +12 +12  same$`,
				`(?m)^copy-cli confirmed +8 +8 +8$`,
				`(?m)^copy-cli pending +4 +4 +4$`,
				`(?m)^verified: identical$`,
			} {
				if !regexp.MustCompile(want).MatchString(out) {
					t.Errorf("summary does not match %s:\n%s", want, out)
				}
			}
			if !strings.Contains(errOut, "signatures: 12/12 (100%)") {
				t.Errorf("no progress for the signatures on stderr:\n%s", errOut)
			}
			if strings.Contains(out+errOut, "s3cret-pw") {
				t.Errorf("the password was printed:\n%s%s", out, errOut)
			}

			code, out, errOut = run(t, ctx, nil, "copy", "--from", from, "--to", to)
			if code != 1 || !strings.Contains(errOut, "copy into an empty, migrated database") {
				t.Errorf("second copy into the same database: exit %d, %s%s; want 1 and a refusal", code, out, errOut)
			}
			if code, out, errOut := run(t, ctx, nil, "copy", "--verify-only", "--from", from, "--to", to); code != 0 ||
				!strings.Contains(out, "verified: identical") {
				t.Errorf("--verify-only after the copy: exit %d\n%s%s", code, out, errOut)
			}

			db, err := store.Open(ctx, to)
			if err != nil {
				t.Fatal(err)
			}
			late := &store.Signature{PetitionID: 1, EmailHash: []byte("late"), ReceiptHash: []byte("late"),
				Status: store.StatusConfirmed, Country: "GB", Lang: "en", Source: "web", SignedAt: time.Now()}
			if _, err := db.InsertSignatures(ctx, []*store.Signature{late}); err != nil {
				t.Fatal(err)
			}
			db.Close()
			code, out, errOut = run(t, ctx, nil, "copy", "--verify-only", "--from", from, "--to", to)
			if code != 1 || !strings.Contains(out, "signatures: 12 rows in the source, 13 in the destination") ||
				!strings.Contains(errOut, "do not switch to it") {
				t.Errorf("--verify-only after a change: exit %d, want 1 and the difference listed\n%s%s", code, out, errOut)
			}
		})
	}
}

func TestCopyCommandUsage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := "sqlite://" + newCopySource(t)
	missing := filepath.Join(dir, "typo.db")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"help", []string{"copy", "-h"}, 0, "signatures made after that moment are NOT"},
		{"no flags", []string{"copy"}, 2, "both --from and --to are required"},
		{"same database", []string{"copy", "--from", src, "--to", src}, 2, "name the same database"},
		{"same file another way", []string{"copy", "--from", src, "--to", "sqlite://" + filepath.Join(filepath.Dir(src[9:]), ".", "campaign.db")}, 2, "name the same database"},
		{"missing source", []string{"copy", "--from", "sqlite://" + missing, "--to", "sqlite://" + filepath.Join(dir, "new.db")}, 2, "no SQLite database at"},
		{"unreachable server", []string{"copy", "--from", src, "--to", "postgres://campaign:hunter22pw@127.0.0.1:1/campaign"}, 1, "postgres://campaign:xxxxx@127.0.0.1:1/campaign"},
		{"malformed URL", []string{"copy", "--from", src, "--to", "postgres://campaign:hunter22pw%zz@127.0.0.1:1/campaign"}, 1, "--to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, ctx, nil, tt.args...)
			if code != tt.wantCode || !strings.Contains(out+errOut, tt.want) {
				t.Errorf("exit %d, want %d with %q:\n%s%s", code, tt.wantCode, tt.want, out, errOut)
			}
			if strings.Contains(out+errOut, "hunter22pw") {
				t.Errorf("the password was printed:\n%s%s", out, errOut)
			}
		})
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("a mistyped source path was created")
	}
}
