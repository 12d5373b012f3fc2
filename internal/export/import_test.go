package export_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/export"
	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

const importTestKey = "3c9e1f0a7b2d4e6f8a1c3e5b7d9f0a2c4e6b8d0f1a3c5e7b9d1f3a5c7e9b0d2f"

const importHeader = "signed_at,confirmed_at,status,name,email,country,city,comment,public,include_in_letters,updates\n"

// importFixture is an importer over a real SQLite database with one petition.
type importFixture struct {
	db    *store.DB
	vault *vault.Vault
	svc   *signing.Service
	clock *testutil.Clock
	p     *store.Petition
	im    *export.Importer
}

func newImportFixture(t testing.TB) *importFixture {
	t.Helper()
	db := testutil.NewDB(t)
	key, _ := hex.DecodeString(importTestKey)
	v, err := vault.New(key)
	if err != nil {
		t.Fatal(err)
	}
	clock := testutil.NewClock()
	svc := signing.NewService(v, nil, signing.NewCounter(clock.Now), false, clock.Now)
	return &importFixture{db: db, vault: v, svc: svc, clock: clock,
		p:  testutil.MustCreatePetition(t, db, store.Petition{Slug: "free-them"}),
		im: export.NewImporter(db, svc)}
}

// importCSV imports file and fails the test on an error (not on bad rows).
func (f *importFixture) importCSV(t testing.TB, file string, o export.ImportOptions) export.ImportReport {
	t.Helper()
	rep, err := f.im.Import(context.Background(), strings.NewReader(file), f.p, o)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	return rep
}

// storedRow is a stored signature with its personal fields opened.
type storedRow struct {
	sig *store.Signature
	in  signing.Input
}

// rows returns the petition's signatures, oldest first.
func (f *importFixture) rows(t testing.TB) []storedRow {
	t.Helper()
	sigs, err := f.db.FindSignatures(context.Background(), store.SignatureFilter{PetitionID: f.p.ID}, 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]storedRow, 0, len(sigs))
	for _, s := range slices.Backward(sigs) {
		in, err := f.svc.Open(s)
		if err != nil {
			t.Fatalf("open signature %d: %v", s.ID, err)
		}
		out = append(out, storedRow{s, in})
	}
	return out
}

func (f *importFixture) countsVersion(t testing.TB) int64 {
	t.Helper()
	v, err := f.db.CountsVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestImportGoodFile(t *testing.T) {
	f := newImportFixture(t)
	before := f.countsVersion(t)
	file := importHeader +
		"2026-02-01T10:00:00Z,2026-02-01T10:05:00Z,confirmed,Sokha Chanthavy,Sokha+paper@Example.org,kh,Battambang,\"For my brother.\nHe is still held.\",true,yes,0\n" +
		",,pending,Dara Pich,dara@example.org,US,,,false,no,1\n" +
		",,,Jane Doe,,GB,London,'=SUM(A1),,,\n"
	rep := f.importCSV(t, file, export.ImportOptions{Lang: "km"})
	if want := (export.ImportReport{Rows: 3, Imported: 3}); !equalReports(rep, want) {
		t.Fatalf("report %+v, want %+v", rep, want)
	}
	rows := f.rows(t)
	if len(rows) != 3 {
		t.Fatalf("%d rows stored, want 3", len(rows))
	}
	now := f.clock.Now()
	want := []struct {
		in          signing.Input
		status      string
		signedAt    time.Time
		confirmedAt *time.Time
		emailHash   []byte
	}{
		{signing.Input{Name: "Sokha Chanthavy", Email: "Sokha+paper@Example.org", Country: "KH", City: "Battambang",
			Comment: "For my brother.\nHe is still held.", Public: true, IncludeInLetters: true},
			store.StatusConfirmed, time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC), ptr(time.Date(2026, 2, 1, 10, 5, 0, 0, time.UTC)),
			f.vault.EmailHash("sokha@example.org")},
		{signing.Input{Name: "Dara Pich", Email: "dara@example.org", Country: "US", Updates: true},
			store.StatusPending, now, nil, f.vault.EmailHash("dara@example.org")},
		{signing.Input{Name: "Jane Doe", Country: "GB", City: "London", Comment: "=SUM(A1)"},
			store.StatusConfirmed, now, &now, nil},
	}
	for i, w := range want {
		got := rows[i]
		if got.in != w.in {
			t.Errorf("row %d opens to %+v, want %+v", i, got.in, w.in)
		}
		s := got.sig
		if s.Source != "paper" || s.Lang != "km" || s.Status != w.status {
			t.Errorf("row %d: source %q, lang %q, status %q; want paper, km, %s", i, s.Source, s.Lang, s.Status, w.status)
		}
		if !s.SignedAt.Equal(w.signedAt) || !equalTimePtr(s.ConfirmedAt, w.confirmedAt) {
			t.Errorf("row %d: signed %v, confirmed %v; want %v, %v", i, s.SignedAt, s.ConfirmedAt, w.signedAt, w.confirmedAt)
		}
		if w.emailHash != nil && !bytes.Equal(s.EmailHash, w.emailHash) {
			t.Errorf("row %d: email hash is not the canonical email's, so a later online signature would not be a duplicate", i)
		}
		if s.MailCount != 0 || len(s.ConfirmHash) != 0 {
			t.Errorf("row %d: mail count %d, confirm hash %x: a paper import must queue no mail", i, s.MailCount, s.ConfirmHash)
		}
	}
	if got := f.countsVersion(t); got != before+1 {
		t.Errorf("counts version %d after the import, want %d so running servers reload their counters", got, before+1)
	}
}

func TestImportColumnsByNameInAnyOrder(t *testing.T) {
	f := newImportFixture(t)
	file := "\xEF\xBB\xBFCountry, NAME ,updates\nkh,Sophea Lim,yes\r\nth,Somchai,\r\n"
	rep := f.importCSV(t, file, export.ImportOptions{})
	if rep.Imported != 2 || rep.Invalid != 0 {
		t.Fatalf("report %+v, want 2 imported: a BOM, CRLF, any order and case, optional columns left out", rep)
	}
	rows := f.rows(t)
	if rows[0].in.Name != "Sophea Lim" || rows[0].in.Country != "KH" || !rows[0].in.Updates || rows[0].in.Email != "" {
		t.Errorf("first row opens to %+v", rows[0].in)
	}
	if rows[1].in.Updates || rows[1].sig.Lang != "en" {
		t.Errorf("second row: updates %v, lang %q; want false (empty cell) and en (the default)", rows[1].in.Updates, rows[1].sig.Lang)
	}
}

// badRowCases are files with exactly one bad row or a bad header, and the
// error each must report.
var badRowCases = []struct {
	name      string
	file      string // the whole file; when empty, row between two good rows
	row       string // put at line 3
	wantLine  int
	wantField string
	wantIn    string // in the reason
}{
	{"bad email", "", ",,,Sokha,sokha(at)example.org,KH,,,,,", 3, "email", "not a valid email"},
	{"missing name", "", ",,,  ,a@example.org,KH,,,,,", 3, "name", "is required"},
	{"URL in name", "", ",,,Cheap pills www.spam.example,a@example.org,KH,,,,,", 3, "name", "web address"},
	{"link in name", "", ",,,see https://x.test/y,a@example.org,KH,,,,,", 3, "name", "web address"},
	{"name too long", "", ",,," + strings.Repeat("ស", 101) + ",a@example.org,KH,,,,,", 3, "name", "at most 100"},
	{"country ZZ", "", ",,,Sokha,a@example.org,ZZ,,,,,", 3, "country", `"ZZ" is not a country code`},
	{"country missing", "", ",,,Sokha,a@example.org,,,,,,", 3, "country", "is required"},
	{"comment too long", "", ",,,Sokha,a@example.org,KH,," + strings.Repeat("a", 501) + ",,,", 3, "comment", "at most 500"},
	{"control character", "", ",,,\"So\x07kha\",a@example.org,KH,,,,,", 3, "name", "not allowed"},
	{"bidi override", "", ",,,So\u202ekha,a@example.org,KH,,,,,", 3, "name", "not allowed"},
	{"line break in name", "", ",,,\"So\nkha\",a@example.org,KH,,,,,", 3, "name", "not allowed"},
	{"invalid UTF-8", "", ",,,So\xffkha,a@example.org,KH,,,,,", 3, "name", "not allowed"},
	{"bad status", "", ",,maybe,Sokha,a@example.org,KH,,,,,", 3, "status", `"maybe" is not a status`},
	{"withdrawn status", "", ",,withdrawn,Sokha,a@example.org,KH,,,,,", 3, "status", "withdrawn signatures cannot be imported"},
	{"invalidated status", "", ",,invalidated,Sokha,a@example.org,KH,,,,,", 3, "status", "invalidated signatures cannot be imported"},
	{"bad time", "", "01/02/2026,,,Sokha,a@example.org,KH,,,,,", 3, "signed_at", "not an RFC 3339 time"},
	{"bad confirmation time", "", ",2026-02-30T10:00:00Z,,Sokha,a@example.org,KH,,,,,", 3, "confirmed_at", "not an RFC 3339 time"},
	{"time in the future", "", "2027-01-01T00:00:00Z,,,Sokha,a@example.org,KH,,,,,", 3, "signed_at", "in the future"},
	{"confirmed before signed", "", "2026-02-02T00:00:00Z,2026-02-01T00:00:00Z,,Sokha,a@example.org,KH,,,,,", 3, "confirmed_at", "before signed_at"},
	{"pending with confirmation time", "", ",2026-02-01T00:00:00Z,pending,Sokha,a@example.org,KH,,,,,", 3, "confirmed_at", "empty for a pending"},
	{"wrong boolean", "", ",,,Sokha,a@example.org,KH,,,maybe,,", 3, "public", `"maybe" is not a yes/no value`},
	{"wrong boolean in updates", "", ",,,Sokha,a@example.org,KH,,,,,2", 3, "updates", "not a yes/no value"},
	{"too few fields", "", ",,,Sokha,a@example.org,KH", 3, "", "wrong number of fields"},
	{"bare quote", "", `,,,So"kha,a@example.org,KH,,,,,`, 3, "", "quote"},
	{"unknown column", importHeader[:len(importHeader)-1] + ",phone\n,,,Sokha,a@example.org,KH,,,,,,0123\n", "", 1, "header", `unknown column "phone"`},
	{"repeated column", "name,country,name\nSokha,KH,Sokha\n", "", 1, "header", `"name" appears twice`},
	{"missing name column", "email,country\na@example.org,KH\n", "", 1, "header", `missing column "name"`},
	{"missing header", "2026-02-01T10:00:00Z,,confirmed,Sokha,sokha@example.org,KH,,,true,true,true\n", "", 1, "header", "missing header"},
	{"empty file", "\xEF\xBB\xBF", "", 1, "header", "the file is empty"},
}

func TestImportBadRowsImportNothing(t *testing.T) {
	for _, tc := range badRowCases {
		t.Run(tc.name, func(t *testing.T) {
			f := newImportFixture(t)
			before := f.countsVersion(t)
			file := tc.file
			if file == "" {
				file = importHeader + ",,,Sokha,sokha@example.org,KH,,,,,\n" + tc.row + "\n" + ",,,Dara,dara@example.org,US,,,,,\n"
			}
			rep := f.importCSV(t, file, export.ImportOptions{})
			if rep.Invalid != 1 || rep.Imported != 0 {
				t.Errorf("report %+v, want 1 invalid and nothing imported", rep)
			}
			if !hasRowError(rep.Errors, tc.wantLine, tc.wantField, tc.wantIn) {
				t.Errorf("errors %v, want one at line %d, field %q, saying %q", rep.Errors, tc.wantLine, tc.wantField, tc.wantIn)
			}
			if n := len(f.rows(t)); n != 0 {
				t.Errorf("%d rows stored from a file with a bad row, want none", n)
			}
			if got := f.countsVersion(t); got != before {
				t.Errorf("counts version moved from %d to %d though nothing was imported", before, got)
			}
		})
	}
}

func hasRowError(errs []export.RowError, line int, field, reason string) bool {
	return slices.ContainsFunc(errs, func(e export.RowError) bool {
		return e.Line == line && e.Field == field && strings.Contains(e.Reason, reason)
	})
}

// mixedFile has good rows on lines 2-3 (one cell spans two lines) and 5,
// and bad rows on lines 4 and 6.
const mixedFile = importHeader +
	",,,Sokha,sokha@example.org,KH,,\"line one\nline two\",,,\n" +
	",,,Bad Email,not-an-email,KH,,,,,\n" +
	",,,Dara,dara@example.org,US,,,,,\n" +
	",,,Bad Twice,x@example.org,ZZ,,,maybe,,\n"

func TestImportReportsEveryBadRowByLine(t *testing.T) {
	f := newImportFixture(t)
	rep := f.importCSV(t, mixedFile, export.ImportOptions{})
	want := []export.RowError{
		{Line: 4, Field: "email", Reason: "is not a valid email address"},
		{Line: 6, Field: "country", Reason: `"ZZ" is not a country code: use ISO 3166-1 alpha-2, like KH or US`},
		{Line: 6, Field: "public", Reason: `"maybe" is not a yes/no value: use true or false (yes/no, 1/0, or empty for no)`},
	}
	if !slices.Equal(rep.Errors, want) {
		t.Errorf("errors\n%v\nwant\n%v", rep.Errors, want)
	}
	if rep.Rows != 4 || rep.Invalid != 2 || rep.Imported != 0 {
		t.Errorf("report %+v, want 4 rows, 2 invalid, none imported", rep)
	}
	if n := len(f.rows(t)); n != 0 {
		t.Errorf("%d rows stored, want none", n)
	}
}

func TestImportSkipInvalidImportsTheGoodRows(t *testing.T) {
	f := newImportFixture(t)
	rep := f.importCSV(t, mixedFile, export.ImportOptions{SkipInvalid: true})
	if rep.Rows != 4 || rep.Invalid != 2 || rep.Imported != 2 || len(rep.Errors) != 3 {
		t.Errorf("report %+v, want 4 rows, 2 invalid (3 errors), 2 imported", rep)
	}
	rows := f.rows(t)
	if len(rows) != 2 || rows[0].in.Comment != "line one\nline two" || rows[1].in.Name != "Dara" {
		t.Errorf("stored %d rows (%+v), want Sokha's with a two-line comment and Dara's", len(rows), rows)
	}
}

func TestImportDryRunWritesNothing(t *testing.T) {
	f := newImportFixture(t)
	f.importCSV(t, importHeader+",,,Sokha,sokha@example.org,KH,,,,,\n", export.ImportOptions{})
	before := f.countsVersion(t)
	file := importHeader + ",,,Sokha again,SOKHA@example.org,KH,,,,,\n" + ",,,Dara,dara@example.org,US,,,,,\n" +
		",,,Jane,,GB,,,,,\n" + ",,,Dara twice,dara+2@example.org,US,,,,,\n"
	rep := f.importCSV(t, file, export.ImportOptions{DryRun: true})
	want := export.ImportReport{Rows: 4, Imported: 2, Duplicates: 2, DuplicateLines: []int{2, 5}}
	if !equalReports(rep, want) {
		t.Errorf("dry run report %+v, want %+v", rep, want)
	}
	if n := len(f.rows(t)); n != 1 {
		t.Errorf("%d rows after a dry run, want the 1 from before", n)
	}
	if got := f.countsVersion(t); got != before {
		t.Errorf("a dry run bumped the counts version from %d to %d", before, got)
	}
	rep = f.importCSV(t, mixedFile, export.ImportOptions{DryRun: true, SkipInvalid: true})
	if rep.Imported != 1 || rep.Duplicates != 1 || rep.Invalid != 2 || len(f.rows(t)) != 1 {
		t.Errorf("dry run with --skip-invalid: %+v and %d rows; want 1 would import, 1 duplicate, 2 invalid, nothing written",
			rep, len(f.rows(t)))
	}
}

func TestImportSkipsDuplicates(t *testing.T) {
	f := newImportFixture(t)
	ctx := context.Background()
	web, _, err := f.svc.Prepare(ctx, f.p, signing.Request{Input: signing.Input{Name: "Sokha online",
		Email: "sokha@example.org", Country: "KH"}, Source: "web", Lang: "km"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.InsertSignatures(ctx, []*store.Signature{web}); err != nil {
		t.Fatal(err)
	}
	file := importHeader +
		",,,Sokha on paper,Sokha+event@Example.ORG,KH,,,,,\n" + // line 2: signed online before
		",,,Dara,dara@example.org,US,,,,,\n" + // line 3: new
		",,,Dara again, dara@EXAMPLE.org ,US,,,,,\n" + // line 4: same as line 3
		",,,Jane,,GB,,,,,\n" // line 5: new, no email
	rep := f.importCSV(t, file, export.ImportOptions{})
	want := export.ImportReport{Rows: 4, Imported: 2, Duplicates: 2, DuplicateLines: []int{2, 4}}
	if !equalReports(rep, want) {
		t.Errorf("report %+v, want %+v", rep, want)
	}
	rows := f.rows(t)
	names := []string{}
	for _, r := range rows {
		names = append(names, r.in.Name)
	}
	if !slices.Equal(names, []string{"Sokha online", "Dara", "Jane"}) {
		t.Errorf("stored %q, want the online signature kept and the first of each duplicate", names)
	}
	if rows[0].sig.Source != "web" {
		t.Errorf("the earlier signature's source became %q", rows[0].sig.Source)
	}
	again := f.importCSV(t, file, export.ImportOptions{})
	if again.Imported != 1 || again.Duplicates != 3 {
		t.Errorf("importing the file again: %+v, want only the row without email imported again", again)
	}
}

func TestImportRowsWithoutEmailDoNotCollide(t *testing.T) {
	f := newImportFixture(t)
	file := importHeader + strings.Repeat(",,,Sokha,,KH,,,,,\n", 5)
	rep := f.importCSV(t, file, export.ImportOptions{})
	if rep.Imported != 5 || rep.Duplicates != 0 {
		t.Fatalf("report %+v, want 5 rows without email imported, none taken for duplicates", rep)
	}
	seen := map[string]bool{}
	for _, r := range f.rows(t) {
		if seen[string(r.sig.EmailHash)] {
			t.Error("two rows without email share an email hash")
		}
		seen[string(r.sig.EmailHash)] = true
		if r.sig.EmailEnc != nil || r.sig.EmailDomainHash != nil || r.in.Email != "" {
			t.Errorf("a row without email stores email %x and domain hash %x", r.sig.EmailEnc, r.sig.EmailDomainHash)
		}
		if bytes.Equal(r.sig.EmailHash, f.vault.EmailHash("")) {
			t.Error("a row without email has the hash of the empty address")
		}
	}
}

func TestImportKeepsEveryScriptByteForByte(t *testing.T) {
	f := newImportFixture(t)
	names := []string{
		"សុខា ចាន់ធាវី",    // Khmer, with combining vowel signs
		"สมชาย ใจดี",       // Thai
		"محمد الأحمد",      // Arabic, right to left
		"Dara 🌺🇰🇭",         // emoji, a flag
		"👩‍👩‍👧 Nguyễn Thị", // zero-width joiners, decomposable Latin
		"Zoë Ångström",     // precomposed Latin
	}
	var file strings.Builder
	file.WriteString(importHeader)
	for i, n := range names {
		file.WriteString(",,,\"" + n + "\",p" + string(rune('a'+i)) + "@example.org,KH,ភ្នំពេញ,\"" + n + "\n" + n + "\",,,\n")
	}
	rep := f.importCSV(t, file.String(), export.ImportOptions{})
	if rep.Imported != len(names) {
		t.Fatalf("report %+v, want %d imported", rep, len(names))
	}
	for i, r := range f.rows(t) {
		if r.in.Name != names[i] || r.in.Comment != names[i]+"\n"+names[i] || r.in.City != "ភ្នំពេញ" {
			t.Errorf("row %d: name %q (% x), want %q (% x)", i, r.in.Name, r.in.Name, names[i], names[i])
		}
	}
}

func TestImportUndoesFormulaNeutralising(t *testing.T) {
	cells := map[string]string{
		"'=SUM(A1)": "=SUM(A1)", "'+855 12 345 678": "+855 12 345 678", "'-Sokha": "-Sokha", "'@Sokha": "@Sokha",
		"'Sokha": "'Sokha", "O'Brien": "O'Brien", "''=x": "''=x",
	}
	for cell, want := range cells {
		t.Run(cell, func(t *testing.T) {
			f := newImportFixture(t)
			rep := f.importCSV(t, importHeader+",,,"+cell+",,KH,"+cell+","+cell+",,,\n", export.ImportOptions{})
			if rep.Imported != 1 {
				t.Fatalf("report %+v", rep)
			}
			in := f.rows(t)[0].in
			if in.Name != want || in.City != want || in.Comment != want {
				t.Errorf("cell %q stored as name %q, city %q, comment %q; want %q", cell, in.Name, in.City, in.Comment, want)
			}
		})
	}
}

func TestImportProgress(t *testing.T) {
	f := newImportFixture(t)
	var file strings.Builder
	file.WriteString("name,country\n")
	for range export.ImportProgressEvery*2 + 5 {
		file.WriteString("Sokha,KH\n")
	}
	var calls []int
	rep := f.importCSV(t, file.String(), export.ImportOptions{DryRun: true, Progress: func(n int) { calls = append(calls, n) }})
	if want := []int{export.ImportProgressEvery, 2 * export.ImportProgressEvery}; !slices.Equal(calls, want) {
		t.Errorf("progress calls %v, want %v", calls, want)
	}
	if rep.Imported != export.ImportProgressEvery*2+5 {
		t.Errorf("report %+v", rep)
	}
}

func equalReports(a, b export.ImportReport) bool {
	return a.Rows == b.Rows && a.Imported == b.Imported && a.Duplicates == b.Duplicates && a.Invalid == b.Invalid &&
		slices.Equal(a.Errors, b.Errors) && slices.Equal(a.DuplicateLines, b.DuplicateLines)
}

func equalTimePtr(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func ptr[T any](v T) *T { return &v }
