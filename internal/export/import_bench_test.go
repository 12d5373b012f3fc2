package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/country"
	"github.com/cambodia-sanctions/campaign/internal/export"
)

// BenchmarkImport100k times importing a file of 100,000 valid paper
// signatures into a fresh database (issue 6: at most 10 seconds). Run with
//
//	go test -run '^$' -bench Import100k -benchtime 1x ./internal/export/
func BenchmarkImport100k(b *testing.B) {
	const rows = 100_000
	file := importBenchFile(b, rows)
	b.SetBytes(int64(len(file)))
	for b.Loop() {
		b.StopTimer()
		f := newImportFixture(b)
		b.StartTimer()
		start := time.Now()
		rep, err := f.im.Import(context.Background(), bytes.NewReader(file), f.p, export.ImportOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/import")
		if rep.Imported != rows || rep.Invalid != 0 {
			b.Fatalf("imported %d of %d rows (%d invalid: %v)", rep.Imported, rows, rep.Invalid, firstErrors(rep.Errors))
		}
	}
}

// importBenchFile is a valid file of n signatures: every country in turn,
// one name in five in Khmer, one row in ten without email, some comments.
func importBenchFile(b *testing.B, n int) []byte {
	b.Helper()
	countries := country.All()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(export.Columns())
	signed := time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC)
	for i := range n {
		name := fmt.Sprintf("Signer Number %d", i)
		if i%5 == 0 {
			name = fmt.Sprintf("សុខា ចាន់ធាវី %d", i)
		}
		email := fmt.Sprintf("signer%d@example.org", i)
		if i%10 == 3 {
			email = ""
		}
		comment := ""
		if i%7 == 0 {
			comment = "Free them all.\nThey did nothing wrong."
		}
		at := signed.Add(time.Duration(i) * time.Second).Format(time.RFC3339)
		_ = w.Write([]string{at, at, "confirmed", name, email, countries[i%len(countries)].Code, "Phnom Penh", comment,
			strconv.FormatBool(i%2 == 0), strconv.FormatBool(i%3 == 0), strconv.FormatBool(i%4 == 0)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func firstErrors(errs []export.RowError) []export.RowError {
	return errs[:min(len(errs), 5)]
}
