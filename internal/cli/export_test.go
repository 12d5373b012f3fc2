package cli_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/content"
	"github.com/cambodia-sanctions/campaign/internal/export"
	"github.com/cambodia-sanctions/campaign/internal/petition"
	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

const (
	exportSlug = "coordinated-sanctions"
	exportKey  = "5d2a8f1c0b3e6d9a4c7f2e5b8a1d4c7f0e3b6a9d2c5f8e1b4a7d0c3f6e9b2a5d"
)

// exportData is a data directory whose database holds the campaign's
// petitions and signatures on one of them, sealed under exportKey.
type exportData struct {
	dir  string
	vars map[string]string
	db   *store.DB
	p    *store.Petition
	svc  *signing.Service
}

func newExportData(t *testing.T) *exportData {
	t.Helper()
	ctx := context.Background()
	d := &exportData{dir: t.TempDir()}
	d.vars = map[string]string{"CAMPAIGN_DATA_DIR": d.dir, "CAMPAIGN_SECRET_KEY": exportKey}
	var err error
	if d.db, err = store.Open(ctx, "sqlite://"+filepath.Join(d.dir, "campaign.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.db.Close() })
	if _, err := d.db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	camp, err := content.Load("../../config")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := petition.Sync(ctx, d.db, camp.Petitions); err != nil {
		t.Fatal(err)
	}
	if d.p, err = d.db.FindPetitionBySlug(ctx, exportSlug); err != nil {
		t.Fatal(err)
	}
	key, _ := hex.DecodeString(exportKey)
	v, err := vault.New(key)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	tick := 0
	d.svc = signing.NewService(v, nil, nil, false, func() time.Time { tick++; return start.Add(time.Duration(tick) * time.Minute) })
	return d
}

// sign stores signatures for inputs.
func (d *exportData) sign(t *testing.T, ins ...signing.Input) {
	t.Helper()
	ctx := context.Background()
	batch := make([]*store.Signature, 0, len(ins))
	for _, in := range ins {
		sig, _, err := d.svc.Prepare(ctx, d.p, signing.Request{Input: in, Lang: "en", Source: "web"})
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, sig)
	}
	if _, err := d.db.InsertSignatures(ctx, batch); err != nil {
		t.Fatal(err)
	}
}

// exporterBytes is what the exporter writes for the options.
func (d *exportData) exporterBytes(t *testing.T, profile string, bom bool) []byte {
	t.Helper()
	o, err := export.ParseOptions(profile, "", "", "", "", bom)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := export.NewExporter(d.db, d.svc).Export(context.Background(), &buf, d.p, o, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// lastAudit returns the newest audit entry.
func (d *exportData) lastAudit(t *testing.T) *store.AuditEntry {
	t.Helper()
	entries, err := d.db.FindAudit(context.Background(), 0, 1)
	if err != nil || len(entries) == 0 {
		t.Fatalf("audit log: %v, %v", entries, err)
	}
	return entries[0]
}

func TestExportCommandToStdout(t *testing.T) {
	d := newExportData(t)
	d.sign(t,
		signing.Input{Name: "សុខ ដារ៉ា", Email: "dara@example.org", Country: "KH", City: "ភ្នំពេញ", Public: true},
		signing.Input{Name: "-Minus Sign", Email: "minus@example.org", Country: "FR", Comment: "line one\nline two"},
	)
	code, out, errOut := run(t, context.Background(), d.vars, "export", "--petition", exportSlug)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if want := d.exporterBytes(t, "names", false); out != string(want) {
		t.Errorf("stdout:\n%s\nwant the exporter's bytes:\n%s", out, want)
	}
	if !strings.HasPrefix(out, "signed_at,confirmed_at,status,name,country,") || strings.Contains(out, "@example.org") {
		t.Errorf("the default profile is not names (no email column):\n%s", out)
	}
	for _, s := range []string{"សុខ ដារ៉ា", "'-Minus Sign", "\"line one\nline two\""} {
		if !strings.Contains(out, s) {
			t.Errorf("stdout lacks %q", s)
		}
	}
	a := d.lastAudit(t)
	want := store.AuditEntry{Actor: "cli", Action: "export", Target: exportSlug,
		Detail: "profile=names; status=confirmed; country=; since=; until=", RowCount: 2}
	if a.Actor != want.Actor || a.Action != want.Action || a.Target != want.Target || a.Detail != want.Detail || a.RowCount != want.RowCount {
		t.Errorf("audit entry %+v, want %+v", *a, want)
	}
}

func TestExportCommandToFile(t *testing.T) {
	d := newExportData(t)
	const n = export.ProgressEvery + 5
	ins := make([]signing.Input, n)
	for i := range ins {
		ins[i] = signing.Input{Name: fmt.Sprintf("Signer %d", i), Email: fmt.Sprintf("s%d@example.org", i), Country: "KH"}
	}
	d.sign(t, ins...)
	outDir := t.TempDir()
	out := filepath.Join(outDir, "signers.csv")
	// An older file of the same name, readable by others, is replaced.
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, errOut := run(t, context.Background(), d.vars, "export", "--petition", exportSlug,
		"--profile", "full", "--bom", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if stdout != "" {
		t.Errorf("stdout %q, want nothing when writing to a file", stdout)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := d.exporterBytes(t, "full", true); !bytes.Equal(got, want) {
		t.Errorf("the file (%d bytes) differs from the exporter's output (%d bytes)", len(got), len(want))
	}
	info, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("file mode %o, want 600: it holds every signer's email", mode)
	}
	if entries, _ := os.ReadDir(outDir); len(entries) != 1 {
		t.Errorf("the output directory holds %d entries, want only the export (no temporary file left)", len(entries))
	}
	for _, want := range []string{fmt.Sprintf("exported %d rows (", export.ProgressEvery),
		fmt.Sprintf("exported %d rows of %s (profile full, status confirmed) to %s", n, exportSlug, out)} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr does not say %q:\n%s", want, errOut)
		}
	}
	if a := d.lastAudit(t); a.Detail != "profile=full; status=confirmed; country=; since=; until=" || a.RowCount != n || a.Actor != "cli" {
		t.Errorf("audit entry %+v, want the full export of %d rows by cli", *a, n)
	}
}

func TestExportCommandBadUsage(t *testing.T) {
	d := newExportData(t)
	before := len(auditEntries(t, d))
	for _, tt := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"no petition", []string{"export"}, 2, "--petition is required"},
		{"unknown petition", []string{"export", "--petition", "no-such-petition"}, 2, `no petition with the slug "no-such-petition"`},
		{"unknown profile", []string{"export", "--petition", exportSlug, "--profile", "emails"}, 2, "use counts, names or full"},
		{"unknown status", []string{"export", "--petition", exportSlug, "--status", "signed"}, 2, "--status"},
		{"bad country", []string{"export", "--petition", exportSlug, "--country", "Cambodia"}, 2, "--country"},
		{"bad time", []string{"export", "--petition", exportSlug, "--since", "last week"}, 2, "RFC 3339"},
		{"until before since", []string{"export", "--petition", exportSlug, "--since", "2026-11-02", "--until", "2026-11-01"}, 2, "later than since"},
		{"unknown flag", []string{"export", "--petition", exportSlug, "--emails"}, 2, "flag provided but not defined"},
		{"stray argument", []string{"export", "--petition", exportSlug, "out.csv"}, 2, `unexpected argument "out.csv"`},
		{"unwritable output", []string{"export", "--petition", exportSlug, "--out", filepath.Join(d.dir, "missing", "x.csv")}, 1, "--out"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := run(t, context.Background(), d.vars, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr: %s)", code, tt.code, errOut)
			}
			if !strings.Contains(errOut, tt.says) {
				t.Errorf("stderr does not say %q:\n%s", tt.says, errOut)
			}
		})
	}
	if after := len(auditEntries(t, d)); after != before {
		t.Errorf("%d audit entries added by exports that never ran, want none", after-before)
	}
}

func auditEntries(t *testing.T, d *exportData) []*store.AuditEntry {
	t.Helper()
	entries, err := d.db.FindAudit(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}
