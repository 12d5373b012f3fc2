package letters_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/letters"
	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

// benchNames are the names of signers who consent to be named, in the
// scripts the PDFs must shape.
var benchNames = []string{"សុខ ដារា", "สมชาย ใจดี", "Nguyễn Văn An", "Ольга Петрова", "محمد علي", "Maria Papadopoulou",
	"Jean-Luc Dubois", "Chan Sophea"}

var benchCities = []string{"Phnom Penh", "London", "Paris", "Berlin", "Melbourne", "", "Toronto", "Lyon"}

// BenchmarkLettersMillion times issue 7's figure: every letter of a
// petition with 1,000,000 confirmed signatures, as PDF. Seeding (sealed as
// signing does, in batches of 5,000) is not timed. Signers are spread over
// the petition's 37 jurisdictions and a few countries it does not address;
// 1% consent to be named. Run with
//
//	go test -run '^$' -bench LettersMillion -benchtime 3x ./internal/letters/
//
// LETTERS_BENCH_N changes the number of signatures.
func BenchmarkLettersMillion(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds a million signatures")
	}
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("LETTERS_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	f := newFixture(b)
	seedMillion(b, f, n)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		batch, err := f.svc.Generate(ctx, f.p, nil, letters.Actor{Name: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		composed := time.Since(start)
		pdfs, err := f.svc.RenderPDFs(ctx, batch, "")
		if err != nil {
			b.Fatal(err)
		}
		var bytes int
		for _, p := range pdfs {
			bytes += len(p)
		}
		b.Logf("run %d: %d letters, %d signatures: composed (one pass, digests recorded) in %s, %d PDFs (%.1f MB) in %s; total %s",
			i+1, len(batch.Letters), batch.Total, composed.Round(time.Millisecond), len(pdfs), float64(bytes)/1e6,
			(time.Since(start) - composed).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		b.ReportMetric(float64(len(pdfs)), "letters/op")
	}
}

// seedMillion stores n confirmed signatures as the load-test seeder does.
func seedMillion(b *testing.B, f *fixture, n int) {
	b.Helper()
	ctx := context.Background()
	var codes []string
	for _, j := range f.reg.Jurisdictions {
		if j.Code != letters.EU {
			codes = append(codes, j.Code)
		}
	}
	codes = append(codes, "KH", "TH", "KH", "AU", "US", "GB", "FR") // some not addressed, some larger
	start := time.Now()
	const batchSize = 5000
	rows := make([]*store.Signature, 0, batchSize)
	for i := 0; i < n; i++ {
		named := i%100 == 0
		in := signing.Input{Name: "Signer " + strconv.Itoa(i), Email: fmt.Sprintf("bench-%d@mail.example", i),
			Country: codes[i%len(codes)], City: benchCities[i%len(benchCities)], IncludeInLetters: named}
		if named {
			in.Name = benchNames[(i/100)%len(benchNames)]
		}
		sig, _, err := f.sign.Prepare(ctx, f.p, signing.Request{Input: in, Lang: "en", Source: "web"})
		if err != nil {
			b.Fatal(err)
		}
		rows = append(rows, sig)
		if len(rows) == batchSize || i == n-1 {
			if _, err := f.db.InsertSignatures(ctx, rows); err != nil {
				b.Fatal(err)
			}
			rows = rows[:0]
		}
	}
	b.Logf("seeded %d signatures in %s", n, time.Since(start).Round(time.Second))
}
