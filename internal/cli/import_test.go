package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/content"
	"github.com/cambodia-sanctions/campaign/internal/petition"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

const importSlug = "free-political-prisoners"

const importCSVHeader = "signed_at,confirmed_at,status,name,email,country,city,comment,public,include_in_letters,updates\n"

// newImportDataDir returns a data directory whose database holds the
// campaign's petitions, and the settings that point the CLI at it.
func newImportDataDir(t *testing.T) (dir string, vars map[string]string) {
	t.Helper()
	ctx := context.Background()
	dir = t.TempDir()
	db, err := store.Open(ctx, "sqlite://"+filepath.Join(dir, "campaign.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	camp, err := content.Load("../../config")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := petition.Sync(ctx, db, camp.Petitions); err != nil {
		t.Fatal(err)
	}
	return dir, map[string]string{"CAMPAIGN_DATA_DIR": dir}
}

// writeImportFile writes body to a file in dir and returns its path.
func writeImportFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// importState returns the petition's signature counts by status and the
// newest audit entry.
func importState(t *testing.T, dir string) (map[string]int64, *store.AuditEntry) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite://"+filepath.Join(dir, "campaign.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := db.FindPetitionBySlug(ctx, importSlug)
	if err != nil {
		t.Fatal(err)
	}
	counts, err := db.CountByStatus(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	audit, err := db.FindAudit(ctx, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) == 0 {
		return counts, nil
	}
	return counts, audit[0]
}

func TestImportCommand(t *testing.T) {
	dir, vars := newImportDataDir(t)
	good := writeImportFile(t, dir, "event-2026-02.csv", importCSVHeader+
		"2026-02-01T10:00:00Z,2026-02-01T10:00:00Z,confirmed,Sokha Chanthavy,sokha@example.org,KH,Battambang,,true,true,false\n"+
		",,pending,Dara Pich,dara@example.org,US,,,,,\n"+
		",,,សុខា,,KH,,,,,\n")
	bad := writeImportFile(t, dir, "bad.csv", importCSVHeader+
		",,,Jane Doe,jane@example.org,GB,,,,,\n"+
		",,,Bad Email,not-an-email,GB,,,,,\n"+
		",,,Bad Country,bc@example.org,ZZ,,,,,\n")
	tests := []struct {
		name        string
		args        []string
		stdin       string
		wantCode    int
		wantOut     []string // each in stdout
		wantErr     string   // in stderr
		wantCounts  map[string]int64
		wantAudit   string // the audit detail, "" for no new entry
		wantAuditRC int64
	}{
		{"dry run", []string{"--petition", importSlug, "--dry-run", good}, "", 0,
			[]string{"rows:         3", "would import: 3", "dry run: nothing was written"}, "",
			map[string]int64{}, "file=event-2026-02.csv; imported=3; duplicates=0; invalid=0; dry-run=true", 0},
		{"good file", []string{"--petition", importSlug, good}, "", 0,
			[]string{"petition:     " + importSlug, "rows:         3", "imported:     3", "duplicates:   0", "invalid:      0"}, "",
			map[string]int64{"confirmed": 2, "pending": 1}, "file=event-2026-02.csv; imported=3; duplicates=0; invalid=0; dry-run=false", 3},
		{"same file again", []string{"--petition", importSlug, good}, "", 0,
			[]string{"imported:     1", "duplicates:   2", "line 2: duplicate:", "line 3: duplicate:"}, "",
			map[string]int64{"confirmed": 3, "pending": 1}, "file=event-2026-02.csv; imported=1; duplicates=2; invalid=0; dry-run=false", 1},
		{"bad rows", []string{"--petition", importSlug, bad}, "", 1,
			[]string{"invalid:      2", "line 3: email: is not a valid email address", `line 4: country: "ZZ" is not a country code`,
				"nothing imported", "--skip-invalid"}, "nothing imported: 2 invalid row(s)",
			map[string]int64{"confirmed": 3, "pending": 1}, "file=bad.csv; imported=0; duplicates=0; invalid=2; dry-run=false", 0},
		{"skip invalid, flag after the file", []string{"--petition", importSlug, bad, "--skip-invalid"}, "", 0,
			[]string{"imported:     1", "invalid:      2", "line 3: email:"}, "",
			map[string]int64{"confirmed": 4, "pending": 1}, "file=bad.csv; imported=1; duplicates=0; invalid=2; dry-run=false", 1},
		{"standard input", []string{"--petition", importSlug, "-"}, "name,country\nPiseth,KH\n", 0,
			[]string{"imported:     1"}, "",
			map[string]int64{"confirmed": 5, "pending": 1}, "file=stdin; imported=1; duplicates=0; invalid=0; dry-run=false", 1},
		{"missing header", []string{"--petition", importSlug, "-"}, "Piseth,KH\n", 1,
			[]string{"line 1: header: missing header"}, "nothing imported",
			map[string]int64{"confirmed": 5, "pending": 1}, "file=stdin; imported=0; duplicates=0; invalid=1; dry-run=false", 0},
		{"unknown petition", []string{"--petition", "no-such-petition", good}, "", 2, nil, `unknown petition "no-such-petition"`,
			map[string]int64{"confirmed": 5, "pending": 1}, "", 0},
		{"no file", []string{"--petition", importSlug}, "", 2, nil, "missing FILE", nil, "", 0},
		{"two files", []string{"--petition", importSlug, good, bad}, "", 2, nil, "one FILE at a time", nil, "", 0},
		{"no petition", []string{good}, "", 2, nil, "--petition is required", nil, "", 0},
		{"file not found", []string{"--petition", importSlug, filepath.Join(dir, "nope.csv")}, "", 2, nil, "cannot open", nil, "", 0},
		{"unknown flag", []string{"--petition", importSlug, "--force", good}, "", 2, nil, "flag provided but not defined", nil, "", 0},
		{"bad language", []string{"--petition", importSlug, "--lang", "Khmer!", good}, "", 2, nil, "--lang", nil, "", 0},
		{"help", []string{"-h"}, "", 0, nil, "--skip-invalid", nil, "", 0},
	}
	lastAudit := int64(0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runWithStdin(t, vars, tt.stdin, append([]string{"import"}, tt.args...)...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantErr, errOut)
			}
			if tt.wantCounts == nil {
				return
			}
			counts, audit := importState(t, dir)
			for status, n := range tt.wantCounts {
				if counts[status] != n {
					t.Errorf("%d %s signatures, want %d (all: %v)", counts[status], status, n, counts)
				}
			}
			checkImportAudit(t, audit, &lastAudit, tt.wantAudit, tt.wantAuditRC)
		})
	}
}

// checkImportAudit checks that the newest audit entry is a new one with
// detail and rowCount, or that there is no new one when detail is "".
func checkImportAudit(t *testing.T, a *store.AuditEntry, last *int64, detail string, rowCount int64) {
	t.Helper()
	if detail == "" {
		if a != nil && a.ID != *last {
			t.Errorf("a new audit entry %+v, want none", a)
		}
		return
	}
	if a == nil || a.ID == *last {
		t.Fatalf("no new audit entry, want one with %q", detail)
	}
	*last = a.ID
	if a.Actor != "cli" || a.Action != "import" || a.Target != importSlug || a.Detail != detail || a.RowCount != rowCount {
		t.Errorf("audit entry %s %s %s %q rows %d; want cli import %s %q rows %d",
			a.Actor, a.Action, a.Target, a.Detail, a.RowCount, importSlug, detail, rowCount)
	}
}

func TestImportCommandShowsProgressForLongFiles(t *testing.T) {
	_, vars := newImportDataDir(t)
	var b strings.Builder
	b.WriteString("name,country\n")
	for range 10_001 {
		b.WriteString("Sokha,KH\n")
	}
	code, out, errOut := runWithStdin(t, vars, b.String(), "import", "--petition", importSlug, "--dry-run", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "read 10000 rows") || strings.Contains(out, "read 10000") {
		t.Errorf("progress should be on stderr only:\nstdout: %s\nstderr: %s", out, errOut)
	}
}
