package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/export"
	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
)

// roundTripSigners are signatures with everything an export must carry
// back: scripts, formula-like cells, quotes, line breaks, empty fields,
// emails as typed, rows without email.
var roundTripSigners = []signing.Input{
	{Name: "សុខា ចាន់ធាវី", Email: "Sokha+Petition@Example.org", Country: "KH", City: "ភ្នំពេញ",
		Comment: "ដោះលែងពួកគេ។\nFree them.", Public: true, IncludeInLetters: true, Updates: true},
	{Name: "สมชาย ใจดี", Email: "somchai@example.org", Country: "TH", City: "Chiang Mai"},
	{Name: "محمد الأحمد", Email: "m@example.org", Country: "AE", Comment: `He said "enough", then left.`, Public: true},
	{Name: "Dara 🌺🇰🇭", Email: "dara@example.org", Country: "US", Updates: true},
	{Name: "=SUM(A1)", Email: "formula@example.org", Country: "GB", City: "+855 12 345 678",
		Comment: "-1, @everyone\n=HYPERLINK(\"x\")"},
	{Name: "@Sokha", Country: "KH", City: "Siem Reap"},
	{Name: "Jane O'Brien", Country: "IE", Comment: "On paper, no email."},
}

func TestImportRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := newImportFixture(t)
	for i, in := range roundTripSigners {
		src.clock.Advance(time.Duration(97+i) * time.Minute)
		insertRoundTripSigner(t, src, in, i%3 == 1)
	}
	first := exportAll(t, src)
	if !bytes.Contains(first, []byte("'=SUM(A1)")) || !bytes.Contains(first, []byte("'+855")) {
		t.Fatalf("the export did not neutralise formula-like cells, so this test proves less than it should:\n%s", first)
	}

	dst := newImportFixture(t)
	dst.clock.Advance(7 * 24 * time.Hour) // imports happen after the signing
	rep, err := dst.im.Import(ctx, bytes.NewReader(first), dst.p, export.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Imported != len(roundTripSigners) || rep.Invalid != 0 || rep.Duplicates != 0 {
		t.Fatalf("import of an export: %+v, want all %d rows imported", rep, len(roundTripSigners))
	}
	second := exportAll(t, dst)

	want, got := parseCSV(t, first), parseCSV(t, second)
	if len(got) != len(want) {
		t.Fatalf("second export has %d records, the first %d", len(got), len(want))
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("record %d differs after export → import → export:\n got %q\nwant %q", i, got[i], want[i])
		}
	}
	// Identical files could hide a cell that came back still neutralised
	// (export leaves "'=x" as it is): compare what is stored too.
	srcRows, dstRows := src.rows(t), dst.rows(t)
	for i := range srcRows {
		s, d := srcRows[i], dstRows[i]
		if d.in != s.in || d.sig.Status != s.sig.Status || !d.sig.SignedAt.Equal(s.sig.SignedAt) ||
			!equalTimePtr(d.sig.ConfirmedAt, s.sig.ConfirmedAt) {
			t.Errorf("row %d stored as %+v (%s), want %+v (%s)", i, d.in, d.sig.Status, s.in, s.sig.Status)
		}
		if s.in.Email != "" && !bytes.Equal(d.sig.EmailHash, s.sig.EmailHash) {
			t.Errorf("row %d: email hash changed, so the signer could sign again", i)
		}
	}
	pending := 0
	for _, rec := range want[1:] {
		if rec[2] == store.StatusPending {
			pending++
		}
	}
	if pending == 0 || pending == len(want)-1 {
		t.Errorf("%d pending rows of %d: the test should mix statuses", pending, len(want)-1)
	}
}

// insertRoundTripSigner stores a web signature (or a paper one, without
// email) signed at the fixture's clock time, pending if asked.
func insertRoundTripSigner(t *testing.T, f *importFixture, in signing.Input, pending bool) {
	t.Helper()
	ctx := context.Background()
	req := signing.Request{Input: in, Source: "web", Lang: "en"}
	var sig *store.Signature
	var err error
	if in.Email == "" {
		sig, err = f.svc.PreparePaper(f.p, req)
	} else {
		sig, _, err = f.svc.Prepare(ctx, f.p, req)
	}
	if err != nil {
		t.Fatalf("prepare %q: %v", in.Name, err)
	}
	if pending {
		sig.Status, sig.ConfirmedAt = store.StatusPending, nil
	} else {
		at := sig.SignedAt.Add(42 * time.Second)
		sig.ConfirmedAt = &at
	}
	if _, err := f.db.InsertSignatures(ctx, []*store.Signature{sig}); err != nil {
		t.Fatal(err)
	}
}

func exportAll(t *testing.T, f *importFixture) []byte {
	t.Helper()
	var buf bytes.Buffer
	o := export.Options{Profile: export.ProfileFull, Status: export.StatusAll}
	if _, err := export.NewExporter(f.db, f.svc).Export(context.Background(), &buf, f.p, o, nil); err != nil {
		t.Fatalf("export: %v", err)
	}
	return buf.Bytes()
}

func parseCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		t.Fatalf("parse export: %v", err)
	}
	return recs
}
