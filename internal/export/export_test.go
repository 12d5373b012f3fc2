package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
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
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

// testKey is a fixed secret key for tests.
const testKey = "6b1e0c3f9a7d2e4b8c5f1a0d3e6b9c2f5a8d1e4b7c0f3a6d9e2b5c8f1a4d7e0b"

func testVault(t testing.TB) *vault.Vault {
	t.Helper()
	key, _ := hex.DecodeString(testKey)
	v, err := vault.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// signed is one stored signature as the test signed it.
type signed struct {
	in        signing.Input
	status    string
	signedAt  time.Time
	confirmed *time.Time
}

// fixture is a petition on a real database with the service that seals
// and opens its signatures, and what the test signed, in id order.
type fixture struct {
	t      *testing.T
	db     *store.DB
	vault  *vault.Vault
	svc    *signing.Service
	p      *store.Petition
	now    time.Time
	signed []signed
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, db: testutil.NewDB(t), vault: testVault(t), now: t0}
	f.p = testutil.MustCreatePetition(t, f.db, store.Petition{Slug: "coordinated-sanctions"})
	testutil.MustCreatePetition(t, f.db, store.Petition{Slug: "another-petition"})
	f.svc = signing.NewService(f.vault, nil, nil, false, func() time.Time { return f.now })
	return f
}

func (f *fixture) exporter() *export.Exporter { return export.NewExporter(f.db, f.svc) }

// sign stores a signature the way the site does (validated, then sealed by
// the service) at time at, with status; confirmed is when it was confirmed.
func (f *fixture) sign(in signing.Input, status string, at time.Time, confirmed *time.Time) {
	f.t.Helper()
	f.now = at
	sig, _, err := f.svc.Prepare(context.Background(), f.p, signing.Request{Input: in, Lang: "en", Source: "web"})
	if err != nil {
		f.t.Fatalf("prepare %q: %v", in.Name, err)
	}
	sig.Status, sig.ConfirmedAt = status, confirmed
	f.insert(sig, in, at)
}

// signRaw stores a signature sealed as the service seals them, without
// the form's validation: cells the form refuses (a leading tab or carriage
// return) can still reach the database through older or imported rows.
func (f *fixture) signRaw(in signing.Input, at time.Time) {
	f.t.Helper()
	hash := f.vault.EmailHash(in.Email)
	sig := &store.Signature{PetitionID: f.p.ID, EmailHash: hash, ReceiptHash: f.vault.EmailHash("receipt " + in.Email),
		Status: store.StatusConfirmed, Country: in.Country, Public: in.Public, IncludeInLetters: in.IncludeInLetters,
		Updates: in.Updates, Lang: "en", Source: "paper", SignedAt: at, ConfirmedAt: &at}
	for _, fl := range []struct {
		dst   *[]byte
		name  string
		value string
	}{{&sig.NameEnc, "name", in.Name}, {&sig.EmailEnc, "email", in.Email}, {&sig.CityEnc, "city", in.City},
		{&sig.CommentEnc, "comment", in.Comment}} {
		sealed, err := f.vault.Seal([]byte(fl.value), signing.FieldAAD(f.p.ID, hash, fl.name))
		if err != nil {
			f.t.Fatal(err)
		}
		*fl.dst = sealed
	}
	f.insert(sig, in, at)
}

func (f *fixture) insert(sig *store.Signature, in signing.Input, at time.Time) {
	f.t.Helper()
	if _, err := f.db.InsertSignatures(context.Background(), []*store.Signature{sig}); err != nil {
		f.t.Fatal(err)
	}
	f.signed = append(f.signed, signed{in: in, status: sig.Status, signedAt: at, confirmed: sig.ConfirmedAt})
}

// export runs an export with o and returns the raw bytes and the records
// encoding/csv reads from them (header first, BOM removed).
func (f *fixture) export(o export.Options) ([]byte, [][]string) {
	f.t.Helper()
	var buf bytes.Buffer
	n, err := f.exporter().Export(context.Background(), &buf, f.p, o, nil)
	if err != nil {
		f.t.Fatalf("export %+v: %v", o, err)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte("\uFEFF")))).ReadAll()
	if err != nil {
		f.t.Fatalf("encoding/csv cannot read the export: %v\n%s", err, buf.Bytes())
	}
	if n != int64(len(recs)-1) {
		f.t.Errorf("Export says %d rows, the file has %d", n, len(recs)-1)
	}
	return buf.Bytes(), recs
}

func opts(t *testing.T, profile, status, country, since, until string) export.Options {
	t.Helper()
	o, err := export.ParseOptions(profile, status, country, since, until, false)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// want is the record a signature should export as in profile p: written
// out here from what was signed, independently of the exporter.
func (s signed) want(p export.Profile) []string {
	rec := []string{rfc3339(&s.signedAt), rfc3339(s.confirmed), s.status, s.in.Name}
	if p == export.ProfileFull {
		rec = append(rec, s.in.Email)
	}
	rec = append(rec, s.in.Country, s.in.City, s.in.Comment,
		strconv.FormatBool(s.in.Public), strconv.FormatBool(s.in.IncludeInLetters), strconv.FormatBool(s.in.Updates))
	for i, c := range rec {
		if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			rec[i] = "'" + c
		}
	}
	return rec
}

func rfc3339(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// compareRecords checks the data rows field by field against sigs.
func compareRecords(t *testing.T, p export.Profile, recs [][]string, sigs []signed) {
	t.Helper()
	if len(recs)-1 != len(sigs) {
		t.Fatalf("%d data rows, want %d", len(recs)-1, len(sigs))
	}
	header := export.ProfileColumns(p)
	for i, s := range sigs {
		got, want := recs[i+1], s.want(p)
		for j := range want {
			if got[j] != want[j] {
				t.Errorf("row %d (%s), column %s: %q, want %q", i+1, s.in.Email, header[j], got[j], want[j])
			}
		}
	}
}

// mixed signs five varied signatures: statuses, countries, consents, days.
func (f *fixture) mixed() {
	confirmed := t0.Add(30 * time.Minute)
	f.sign(signing.Input{Name: "Sok Dara", Email: "dara@example.org", Country: "KH", City: "Phnom Penh",
		Comment: "Free them all.\nNow.", Public: true, IncludeInLetters: true}, store.StatusConfirmed, t0, &confirmed)
	f.sign(signing.Input{Name: "Jean Dupont", Email: "jean@example.fr", Country: "FR", Updates: true},
		store.StatusPending, t0.Add(24*time.Hour), nil)
	f.sign(signing.Input{Name: "Mary \"Moll\" Smith, Jr.", Email: "mary@example.com", Country: "US", City: "Boston",
		Comment: `Quotes "inside", commas, too`}, store.StatusConfirmed, t0.Add(48*time.Hour+500*time.Millisecond), tptr(t0.Add(49*time.Hour)))
	f.sign(signing.Input{Name: "Withdrawn Person", Email: "gone@example.org", Country: "KH"},
		store.StatusWithdrawn, t0.Add(72*time.Hour), tptr(t0.Add(72*time.Hour)))
	f.sign(signing.Input{Name: "Bot Account", Email: "bot@spam.example", Country: "TH", Public: true, Updates: true},
		store.StatusInvalidated, t0.Add(96*time.Hour), nil)
}

func tptr(t time.Time) *time.Time { return &t }

func TestExportProfiles(t *testing.T) {
	f := newFixture(t)
	f.mixed()
	for _, p := range []export.Profile{export.ProfileFull, export.ProfileNames} {
		t.Run(string(p), func(t *testing.T) {
			raw, recs := f.export(opts(t, string(p), "all", "", "", ""))
			if !slices.Equal(recs[0], export.ProfileColumns(p)) {
				t.Errorf("header %v, want %v", recs[0], export.ProfileColumns(p))
			}
			compareRecords(t, p, recs, f.signed)
			for _, s := range f.signed {
				if has := bytes.Contains(raw, []byte(s.in.Email)); has != (p == export.ProfileFull) {
					t.Errorf("file contains %s: %v, want %v", s.in.Email, has, p == export.ProfileFull)
				}
			}
		})
	}
	// The exact text of a row: times in RFC 3339 UTC to the second, quoting
	// as RFC 4180 says, booleans spelled out.
	raw, _ := f.export(opts(t, "full", "", "US", "", ""))
	want := "signed_at,confirmed_at,status,name,email,country,city,comment,public,include_in_letters,updates\n" +
		"2026-03-03T12:00:00Z,2026-03-03T13:00:00Z,confirmed,\"Mary \"\"Moll\"\" Smith, Jr.\",mary@example.com,US,Boston," +
		"\"Quotes \"\"inside\"\", commas, too\",false,false,false\n"
	if string(raw) != want {
		t.Errorf("file:\n%s\nwant:\n%s", raw, want)
	}
}

func TestExportHeaderOfEachProfile(t *testing.T) {
	for _, tt := range []struct {
		p    export.Profile
		want string
	}{
		{export.ProfileFull, "signed_at,confirmed_at,status,name,email,country,city,comment,public,include_in_letters,updates"},
		{export.ProfileNames, "signed_at,confirmed_at,status,name,country,city,comment,public,include_in_letters,updates"},
		{export.ProfileCounts, "country,status,count"},
	} {
		if got := strings.Join(export.ProfileColumns(tt.p), ","); got != tt.want {
			t.Errorf("%s: header %s, want %s", tt.p, got, tt.want)
		}
	}
	// Columns itself is shared with import: asking for one profile's
	// header must not change it.
	export.ProfileColumns(export.ProfileNames)[0] = "changed"
	if export.Columns()[0] != "signed_at" || len(export.Columns()) != 11 {
		t.Errorf("Columns changed: %v", export.Columns())
	}
}

func TestExportCounts(t *testing.T) {
	f := newFixture(t)
	f.mixed()
	f.sign(signing.Input{Name: "Another Dara", Email: "dara2@example.org", Country: "KH"}, store.StatusConfirmed, t0, tptr(t0))
	tests := []struct {
		status, country string
		want            string
	}{
		{"", "", "country,status,count\nKH,confirmed,2\nUS,confirmed,1\n"},
		{"all", "", "country,status,count\nFR,pending,1\nKH,confirmed,2\nKH,withdrawn,1\nTH,invalidated,1\nUS,confirmed,1\n"},
		{"all", "KH", "country,status,count\nKH,confirmed,2\nKH,withdrawn,1\n"},
		{"pending", "US", "country,status,count\n"},
	}
	for _, tt := range tests {
		raw, recs := f.export(opts(t, "counts", tt.status, tt.country, "", ""))
		if string(raw) != tt.want {
			t.Errorf("counts, status %q, country %q:\n%s\nwant:\n%s", tt.status, tt.country, raw, tt.want)
		}
		for _, r := range recs[1:] {
			if len(r) != 3 {
				t.Errorf("counts row %v has %d fields, want 3", r, len(r))
			}
		}
	}
}

func TestExportFilters(t *testing.T) {
	f := newFixture(t)
	f.mixed()
	tests := []struct {
		name                          string
		status, country, since, until string
		want                          []int // indexes into f.signed
	}{
		{"default is confirmed", "", "", "", "", []int{0, 2}},
		{"pending", "pending", "", "", "", []int{1}},
		{"withdrawn", "withdrawn", "", "", "", []int{3}},
		{"invalidated", "invalidated", "", "", "", []int{4}},
		{"all", "all", "", "", "", []int{0, 1, 2, 3, 4}},
		{"country", "all", "KH", "", "", []int{0, 3}},
		{"country in lower case", "confirmed", "kh", "", "", []int{0}},
		{"since a date", "all", "", "2026-03-02", "", []int{1, 2, 3, 4}},
		{"until a date is the end of that day", "all", "", "", "2026-03-02", []int{0, 1}},
		{"one day", "all", "", "2026-03-03", "2026-03-03", []int{2}},
		{"since a time, inclusive", "all", "", "2026-03-02T12:00:00Z", "", []int{1, 2, 3, 4}},
		{"until a time, exclusive", "all", "", "", "2026-03-02T12:00:00Z", []int{0}},
		{"time with an offset", "all", "", "2026-03-02T19:00:00+07:00", "2026-03-02T19:00:01+07:00", []int{1}},
		{"everything at once", "confirmed", "US", "2026-03-02", "2026-03-04", []int{2}},
		{"nothing matches", "pending", "KH", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, recs := f.export(opts(t, "full", tt.status, tt.country, tt.since, tt.until))
			var want []signed
			for _, i := range tt.want {
				want = append(want, f.signed[i])
			}
			compareRecords(t, export.ProfileFull, recs, want)
		})
	}
}

func TestExportNeutralizesFormulas(t *testing.T) {
	f := newFixture(t)
	// Each formula start in the name, the city and the comment; the rest of
	// the cell must come out unchanged.
	starts := []struct{ name, c string }{{"equals", "="}, {"plus", "+"}, {"minus", "-"}, {"at", "@"},
		{"tab", "\t"}, {"carriage return", "\r"}}
	for i, s := range starts {
		f.signRaw(signing.Input{Name: s.c + "HYPERLINK(\"http://evil.example\",\"x\")", Email: fmt.Sprintf("f%d@example.org", i),
			Country: "KH", City: s.c + "cmd|' /C calc'!A0", Comment: s.c + "1+1"}, t0.Add(time.Duration(i)*time.Minute))
	}
	// Harmless cells stay as they are: a formula sign inside, or an
	// apostrophe already in front.
	f.signRaw(signing.Input{Name: "Anne-Marie O'Neil", Email: "anne@example.org", Country: "KH", City: "'=quoted",
		Comment: "1+1=2 @home -ok"}, t0.Add(time.Hour))
	_, recs := f.export(opts(t, "names", "", "", "", ""))
	header := export.ProfileColumns(export.ProfileNames)
	col := func(name string) int { return slices.Index(header, name) }
	for i, s := range starts {
		r := recs[i+1]
		for _, c := range []struct{ column, value string }{
			{"name", s.c + "HYPERLINK(\"http://evil.example\",\"x\")"},
			{"city", s.c + "cmd|' /C calc'!A0"},
			{"comment", s.c + "1+1"},
		} {
			if got, want := r[col(c.column)], "'"+c.value; got != want {
				t.Errorf("%s in %s: %q, want %q (an apostrophe, then the cell unchanged)", s.name, c.column, got, want)
			}
		}
	}
	last := recs[len(recs)-1]
	for column, want := range map[string]string{"name": "Anne-Marie O'Neil", "city": "'=quoted", "comment": "1+1=2 @home -ok"} {
		if got := last[col(column)]; got != want {
			t.Errorf("harmless %s: %q, want it unchanged, %q", column, got, want)
		}
	}
}

func TestExportScriptsSurviveByteForByte(t *testing.T) {
	f := newFixture(t)
	people := []signing.Input{
		{Name: "សុខ ដារ៉ា", Email: "khmer@example.org", Country: "KH", City: "ភ្នំពេញ", Comment: "សូមដាក់ទណ្ឌកម្ម។\nអរគុណ"},
		{Name: "สมชาย ใจดี", Email: "thai@example.org", Country: "TH", City: "กรุงเทพมหานคร", Comment: "ขอบคุณครับ"},
		{Name: "أحمد الحسن", Email: "arabic@example.org", Country: "FR", City: "باريس", Comment: "العدالة للجميع"},
		{Name: "Zoë 🌱 Müller 👩🏽‍🌾", Email: "emoji@example.org", Country: "DE", City: "Köln", Comment: "✊🏾 🇰🇭"},
	}
	for i, in := range people {
		f.sign(in, store.StatusConfirmed, t0.Add(time.Duration(i)*time.Minute), tptr(t0))
	}
	raw, recs := f.export(opts(t, "full", "", "", "", ""))
	compareRecords(t, export.ProfileFull, recs, f.signed)
	for _, in := range people {
		for _, s := range []string{in.Name, in.City} {
			if !bytes.Contains(raw, []byte(s)) {
				t.Errorf("the file lacks the bytes of %q", s)
			}
		}
	}
}

func TestExportBOM(t *testing.T) {
	f := newFixture(t)
	f.mixed()
	for _, p := range []string{"names", "counts"} {
		with := opts(t, p, "", "", "", "")
		with.BOM = true
		raw, _ := f.export(with)
		if !bytes.HasPrefix(raw, []byte("\xEF\xBB\xBF"+export.ProfileColumns(export.Profile(p))[0]+",")) {
			t.Errorf("%s with BOM starts %q, want EF BB BF then the header", p, raw[:min(len(raw), 12)])
		}
		plain, _ := f.export(opts(t, p, "", "", "", ""))
		if !bytes.Equal(raw[3:], plain) {
			t.Errorf("%s: with and without BOM differ beyond the BOM", p)
		}
		if bytes.Contains(plain, []byte("\xEF\xBB\xBF")) {
			t.Errorf("%s without BOM has one", p)
		}
	}
}

func TestExportEmptyHasOnlyTheHeader(t *testing.T) {
	f := newFixture(t)
	for _, p := range []export.Profile{export.ProfileFull, export.ProfileNames, export.ProfileCounts} {
		raw, _ := f.export(opts(t, string(p), "", "", "", ""))
		if want := strings.Join(export.ProfileColumns(p), ",") + "\n"; string(raw) != want {
			t.Errorf("%s of an empty petition: %q, want only the header %q", p, raw, want)
		}
	}
}

// recordingWriter notes each write and flush, and can fail or stop.
type recordingWriter struct {
	buf     bytes.Buffer
	writes  []int // queries made before each write
	flushes int
	queries *atomic.Int64
	failAt  int // the write (1-based) that fails; 0 never
	onWrite func(n int)
}

var errDisk = errors.New("disk full")

func (w *recordingWriter) Write(b []byte) (int, error) {
	w.writes = append(w.writes, int(w.queries.Load()))
	if w.onWrite != nil {
		w.onWrite(len(w.writes))
	}
	if len(w.writes) == w.failAt {
		return 0, errDisk
	}
	return w.buf.Write(b)
}

func (w *recordingWriter) Flush() error {
	w.flushes++
	if w.buf.Len() > 0 && !bytes.HasSuffix(w.buf.Bytes(), []byte("\n")) {
		return errors.New("flushed in the middle of a row")
	}
	return nil
}

// countingStore counts the export's queries.
type countingStore struct {
	*store.DB
	queries *atomic.Int64
}

func (s countingStore) ExportSignatures(ctx context.Context, f store.SignatureFilter, after int64, page []store.Signature) ([]store.Signature, error) {
	s.queries.Add(1)
	return s.DB.ExportSignatures(ctx, f, after, page)
}

// many signs n plain confirmed signatures.
func (f *fixture) many(n int) {
	for i := range n {
		f.sign(signing.Input{Name: fmt.Sprintf("Signer %d", i), Email: fmt.Sprintf("s%d@example.org", i), Country: "KH"},
			store.StatusConfirmed, t0.Add(time.Duration(i)*time.Second), tptr(t0))
	}
}

func TestExportStreamsBatchByBatch(t *testing.T) {
	f := newFixture(t)
	f.many(50)
	queries := &atomic.Int64{}
	ex := export.NewExporter(countingStore{f.db, queries}, f.svc)
	ex.SetBatchSize(7, 20)
	w := &recordingWriter{queries: queries}
	var progress []int64
	n, err := ex.Export(context.Background(), w, f.p, opts(t, "full", "", "", "", ""), func(rows int64) { progress = append(progress, rows) })
	if err != nil || n != 50 {
		t.Fatalf("Export: %d rows, %v; want 50, nil", n, err)
	}
	if w.writes[0] != 0 {
		t.Errorf("the header was written after %d queries, want before the first (the download starts at once)", w.writes[0])
	}
	// 50 rows in pages of 7: 8 pages (the last of one row), each flushed,
	// after the header's own flush.
	if got := queries.Load(); got != 8 {
		t.Errorf("%d queries, want 8 pages of at most 7", got)
	}
	if w.flushes != 9 {
		t.Errorf("%d flushes, want 9: the header, then each page", w.flushes)
	}
	if !slices.Equal(progress, []int64{21, 42}) {
		t.Errorf("progress %v, want [21 42]: at the end of the pages that pass each 20 rows", progress)
	}
	recs, err := csv.NewReader(&w.buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	compareRecords(t, export.ProfileFull, recs, f.signed)

	// A last page exactly full needs one more, empty, query to know it was
	// the last.
	ex.SetBatchSize(10, 1000)
	queries.Store(0)
	if n, err := ex.Export(context.Background(), &recordingWriter{queries: queries}, f.p, opts(t, "full", "", "", "", ""), nil); err != nil || n != 50 {
		t.Fatalf("Export: %d rows, %v; want 50, nil", n, err)
	}
	if got := queries.Load(); got != 6 {
		t.Errorf("%d queries, want 6", got)
	}
}

func TestExportStopsOnWriteError(t *testing.T) {
	f := newFixture(t)
	f.many(50)
	ex := f.exporter()
	ex.SetBatchSize(7, 1000)
	// Write 1 is the header, 2 the first page, 3 fails.
	w := &recordingWriter{queries: &atomic.Int64{}, failAt: 3}
	n, err := ex.Export(context.Background(), w, f.p, opts(t, "names", "", "", "", ""), nil)
	if !errors.Is(err, errDisk) {
		t.Errorf("error %v, want the writer's", err)
	}
	if n != 7 {
		t.Errorf("%d rows reported, want 7: the rows written before the failure", n)
	}
}

func TestExportStopsWhenCancelled(t *testing.T) {
	f := newFixture(t)
	f.many(50)
	ex := f.exporter()
	ex.SetBatchSize(7, 1000)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &recordingWriter{queries: &atomic.Int64{}, onWrite: func(n int) {
		if n == 2 {
			cancel()
		}
	}}
	n, err := ex.Export(ctx, w, f.p, opts(t, "names", "", "", "", ""), nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if n >= 50 {
		t.Errorf("%d rows: the export ran to the end after it was cancelled", n)
	}
}

func TestExportFailsOnUnreadableRow(t *testing.T) {
	f := newFixture(t)
	f.many(3)
	other, err := vault.New(bytes.Repeat([]byte{7}, vault.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	ex := export.NewExporter(f.db, signing.NewService(other, nil, nil, false, time.Now))
	var buf bytes.Buffer
	n, err := ex.Export(context.Background(), &buf, f.p, opts(t, "names", "", "", "", ""), nil)
	if err == nil {
		t.Fatalf("export under the wrong key succeeded with %d rows: it must fail, not write wrong data", n)
	}
	if strings.Contains(buf.String(), "Signer") {
		t.Errorf("a row reached the file: %q", buf.String())
	}
}
