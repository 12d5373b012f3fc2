package export_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/export"
	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
)

// BenchmarkExportMillion measures the figure: exporting 1,000,000
// signatures with the full profile to a file, in at most 5 s with a peak
// RSS under 100 MB. Seeding the database takes about a minute, so run it
// on its own:
//
//	go test -run XXX -bench ExportMillion -benchtime 3x ./internal/export/
//
// EXPORT_BENCH_ROWS sets another number of rows. It reports the median
// time of the exports, rows per second, and the peak RSS (VmHWM) of the
// process after seeding and during the exports; the peak is reset after
// seeding where the kernel allows it (/proc/self/clear_refs), so the second
// figure is the export's own.
func BenchmarkExportMillion(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds a million signatures")
	}
	n := 1_000_000
	if v := os.Getenv("EXPORT_BENCH_ROWS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatalf("EXPORT_BENCH_ROWS: %v", err)
		}
	}
	ctx := context.Background()
	db := testutil.NewDB(b)
	p := testutil.MustCreatePetition(b, db, store.Petition{Slug: "coordinated-sanctions"})
	svc := seedBench(b, db, p, n)

	runtime.GC()
	debug.FreeOSMemory()
	seedHWM := readVmHWM(b)
	reset := resetVmHWM()
	out := filepath.Join(b.TempDir(), "export.csv")
	ex := export.NewExporter(db, svc)
	o := export.Options{Profile: export.ProfileFull, Status: store.StatusConfirmed}
	var times []time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		f, err := os.Create(out)
		if err != nil {
			b.Fatal(err)
		}
		rows, err := ex.Export(ctx, f, p, o, nil)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
		if rows != int64(n) {
			b.Fatalf("exported %d rows, want %d", rows, n)
		}
	}
	b.StopTimer()
	exportHWM := readVmHWM(b)
	slices.Sort(times)
	median := times[len(times)/2]
	info, _ := os.Stat(out)
	b.ReportMetric(median.Seconds(), "s/export")
	b.ReportMetric(float64(n)/median.Seconds(), "rows/s")
	b.ReportMetric(float64(seedHWM)/1024, "MB-RSS-seed")
	b.ReportMetric(float64(exportHWM)/1024, "MB-RSS-export")
	b.Logf("%d rows, full profile, %d MB file: median %.2fs of %d (%v); peak RSS %d MB after seeding, %d MB during the exports (peak reset: %v)",
		n, info.Size()>>20, median.Seconds(), len(times), times, seedHWM>>10, exportHWM>>10, reset)
}

// seedBench fills petition p with n confirmed signatures, sealed as the
// site seals them, in transactions of 5000, and returns the service that
// opens them.
func seedBench(b *testing.B, db *store.DB, p *store.Petition, n int) *signing.Service {
	b.Helper()
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var tick atomic.Int64
	clock := func() time.Time { return base.Add(time.Duration(tick.Add(1)) * time.Second) }
	svc := signing.NewService(testVault(b), nil, nil, false, clock)
	names := []string{"Sok Dara", "សុខ ដារ៉ា", "สมชาย ใจดี", "أحمد الحسن", "Nguyễn Văn An", "Zoë 🌱 Müller"}
	countries := []string{"KH", "TH", "US", "FR", "DE", "GB", "AU", "JP"}
	const batch = 5000
	sigs := make([]*store.Signature, 0, batch)
	start := time.Now()
	for i := range n {
		in := signing.Input{Name: names[i%len(names)] + " " + strconv.Itoa(i),
			Email: fmt.Sprintf("signer-%d@example.org", i), Country: countries[i%len(countries)],
			City: "Phnom Penh", Public: i%2 == 0, IncludeInLetters: i%3 == 0, Updates: i%5 == 0}
		if i%4 == 0 {
			in.Comment = "Sanction those responsible, as the other governments have."
		}
		sig, _, err := svc.Prepare(ctx, p, signing.Request{Input: in, Lang: "en", Source: "web"})
		if err != nil {
			b.Fatal(err)
		}
		sigs = append(sigs, sig)
		if len(sigs) == batch || i == n-1 {
			if _, err := db.InsertSignatures(ctx, sigs); err != nil {
				b.Fatal(err)
			}
			sigs = sigs[:0]
		}
	}
	b.Logf("seeded %d signatures in %.1fs", n, time.Since(start).Seconds())
	return svc
}

// readVmHWM returns the process's peak resident set size in KiB.
func readVmHWM(b *testing.B) int64 {
	b.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status: peak RSS cannot be measured here")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				b.Fatalf("VmHWM %q: %v", v, err)
			}
			return kb
		}
	}
	b.Fatal("no VmHWM in /proc/self/status")
	return 0
}

// resetVmHWM sets the peak RSS back to the current RSS (Linux 4.0+).
func resetVmHWM() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}
