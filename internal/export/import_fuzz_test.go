package export_test

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/export"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

// FuzzImport feeds arbitrary bytes to the importer: it must never panic,
// never fail on a readable file, never write anything from a file it
// reports errors for (without SkipInvalid), and its report must add up.
func FuzzImport(f *testing.F) {
	seeds := []string{
		"", "\xEF\xBB\xBF", "\"", "name,country\n\"Sokha\nKH", "name,country\nSokha,KH\n",
		"name,country,email\nSokha,KH,\nSokha,KH,\nDara,US,d@example.org\nDara,US,D@example.org\n",
		importHeader + "2026-02-01T10:00:00Z,2026-02-01T10:05:00Z,confirmed,Sokha,s@example.org,kh,,\"a\nb\",yes,no,1\n",
		importHeader + ",,pending,'=SUM(A1),,KH,'+1,'-2,,,\n",
		mixedFile,
	}
	for _, tc := range badRowCases {
		seeds = append(seeds, tc.file, importHeader+tc.row+"\n")
	}
	for _, s := range seeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	fx := newImportFixture(f)
	f.Fuzz(func(t *testing.T, data []byte, skip bool) {
		ctx := context.Background()
		before := fx.count(t)
		rep, err := fx.im.Import(ctx, bytes.NewReader(data), fx.p, export.ImportOptions{SkipInvalid: skip})
		if err != nil {
			t.Fatalf("Import failed on a file in memory: %v", err)
		}
		added := fx.count(t) - before
		if added != int64(rep.Imported) {
			t.Fatalf("report says %d imported, the database gained %d", rep.Imported, added)
		}
		if (rep.Invalid > 0) != (len(rep.Errors) > 0) {
			t.Fatalf("%d invalid rows but %d errors", rep.Invalid, len(rep.Errors))
		}
		if !skip && len(rep.Errors) > 0 && added != 0 {
			t.Fatalf("imported %d rows from a file with errors %v", added, rep.Errors)
		}
		checkReportAddsUp(t, data, rep, skip)
	})
}

func checkReportAddsUp(t *testing.T, data []byte, rep export.ImportReport, skip bool) {
	t.Helper()
	lines := bytes.Count(data, []byte("\n")) + 1
	for _, e := range rep.Errors {
		if e.Line < 1 || e.Line > lines || e.Reason == "" {
			t.Fatalf("error %+v: line outside 1..%d or no reason", e, lines)
		}
	}
	if len(rep.DuplicateLines) != rep.Duplicates || !slices.IsSorted(rep.DuplicateLines) {
		t.Fatalf("duplicates %d, lines %v", rep.Duplicates, rep.DuplicateLines)
	}
	headerBad := rep.Rows == 0 && rep.Invalid == 1
	switch {
	case headerBad:
		if rep.Imported != 0 || rep.Errors[0].Line != 1 {
			t.Fatalf("a bad header, yet %+v", rep)
		}
	case skip || rep.Invalid == 0:
		if rep.Imported+rep.Duplicates+rep.Invalid != rep.Rows {
			t.Fatalf("%d imported + %d duplicates + %d invalid != %d rows", rep.Imported, rep.Duplicates, rep.Invalid, rep.Rows)
		}
	default:
		if rep.Imported != 0 || rep.Duplicates+rep.Invalid > rep.Rows {
			t.Fatalf("report does not add up: %+v", rep)
		}
	}
}

// count returns how many signatures the fixture's petition has.
func (f *importFixture) count(t testing.TB) int64 {
	t.Helper()
	n, err := f.db.CountMatchingSignatures(context.Background(), store.SignatureFilter{PetitionID: f.p.ID})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
