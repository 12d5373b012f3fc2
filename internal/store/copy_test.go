package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
)

// copyCampaign is a campaign filled through the store's own methods, with
// what a comparison needs to find every row again.
type copyCampaign struct {
	db        *store.DB
	petitions []*store.Petition
	maxSigID  int64
	tokens    [][]byte // session token hashes, the last one deleted
	lastSess  int64    // id of the deleted session
	day       string   // client-tag key day
}

// fillCampaign writes rows into every table: signatures in every status
// with sealed bytes, NULL and empty fields, mails sent and failed, a
// disabled organizer, a deleted session (a gap at the end of the id
// sequence), letters, data keys and meta marks. Times carry nanoseconds.
func fillCampaign(t *testing.T, db *store.DB) *copyCampaign {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	db.SetClock(func() time.Time { return now })
	c := &copyCampaign{db: db, day: "2026-03-01"}
	opens, closes := now.Add(-time.Hour), now.Add(90*24*time.Hour)
	c.petitions = append(c.petitions,
		testutil.MustCreatePetition(t, db, store.Petition{Slug: "copy-one", Featured: true, OpensAt: &opens, ClosesAt: &closes}),
		testutil.MustCreatePetition(t, db, store.Petition{Slug: "copy-two", Countries: store.StringList{"KH"}}))
	p1, p2 := c.petitions[0].ID, c.petitions[1].ID
	key, err := db.CreateDataKey(ctx, p1, func([]*store.DataKey) error { return nil },
		func(id int64) ([]byte, error) { return []byte(fmt.Sprintf("wrapped-%d", id)), nil })
	must(t, err)

	var batch []*store.Signature
	for i := range 40 {
		pid, country := p1, []string{"KH", "GB", "FR", "US"}[i%4]
		if i%5 == 4 {
			pid = p2
		}
		s := &store.Signature{PetitionID: pid, EmailHash: []byte(fmt.Sprintf("email-hash-%02d", i)),
			ReceiptHash: []byte(fmt.Sprintf("receipt-%02d", i)), Status: store.StatusPending, Country: country,
			NameEnc: []byte{0, 1, 2, byte(i), 0xff}, EmailEnc: []byte(fmt.Sprintf("sealed-email-%d", i)),
			Public: i%2 == 0, IncludeInLetters: i%3 == 0, Updates: i%7 == 0, Lang: "km", Source: "web",
			SignedAt: now.Add(time.Duration(i) * time.Second), ConfirmHash: []byte(fmt.Sprintf("confirm-%d", i)),
			FirstMail: &store.QueuedMail{Kind: store.MailConfirm, PayloadEnc: []byte(fmt.Sprintf("mail-%d", i))}}
		switch i % 4 {
		case 0:
			s.CityEnc, s.CommentEnc = []byte("sealed-city"), []byte{} // an empty comment is not NULL
		case 1:
			s.KeyID, s.ClientTag, s.EmailDomainHash = &key.ID, []byte("client-tag"), []byte("domain")
		}
		expires := now.Add(48 * time.Hour)
		s.ConfirmExpiresAt = &expires
		batch = append(batch, s)
	}
	_, err = db.InsertSignatures(ctx, batch)
	must(t, err)
	for i, s := range batch {
		c.maxSigID = max(c.maxSigID, s.ID)
		switch i % 6 {
		case 1, 2, 3:
			_, err = db.ConfirmSignature(ctx, s.ID, now.Add(time.Minute))
		case 4:
			_, err = db.WithdrawSignature(ctx, s.ID, now.Add(2*time.Minute))
		}
		must(t, err)
	}
	_, err = db.InvalidateSignatures(ctx, store.SignatureFilter{PetitionID: p1, Country: "FR", Status: store.StatusConfirmed})
	must(t, err)
	due, err := db.ClaimDueOutbox(ctx, now.Add(time.Hour), 3)
	must(t, err)
	must(t, db.MarkOutboxSent(ctx, due[0].ID, now))
	must(t, db.MarkOutboxFailed(ctx, due[1].ID, now, "550 no such user"))
	must(t, db.MarkOutboxRetry(ctx, due[2].ID, 1, now.Add(time.Minute), "421 try later"))

	owner := &store.Organizer{Email: "owner@example.org", Role: store.RoleOwner, PasswordHash: "$argon2id$owner"}
	viewer := &store.Organizer{Email: "viewer@example.org", Role: store.RoleViewer, PasswordHash: "$argon2id$viewer"}
	must(t, db.CreateOrganizer(ctx, owner))
	must(t, db.CreateOrganizer(ctx, viewer))
	for i := range 3 {
		s := &store.Session{TokenHash: []byte(fmt.Sprintf("token-%d", i)), OrganizerID: owner.ID, CSRFToken: "csrf",
			CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(12 * time.Hour)}
		must(t, db.CreateSession(ctx, s))
		c.tokens, c.lastSess = append(c.tokens, s.TokenHash), s.ID
	}
	must(t, db.DeleteSession(ctx, c.lastSess))
	must(t, db.DisableOrganizer(ctx, viewer.ID))
	must(t, db.AddAudit(ctx, &store.AuditEntry{ActorID: &owner.ID, Actor: owner.Email, Action: "export", Target: "copy-one", RowCount: 12}))
	must(t, db.AddAudit(ctx, &store.AuditEntry{Actor: "cli", Action: "import", Detail: "paper.csv"}))

	digests := []*store.LetterDigest{{PetitionID: p1, Jurisdiction: "GB", SignerCount: 2, TotalCount: 9,
		Root: []byte("root"), Members: []byte{2, 1, 1}, GeneratedAt: now, GeneratedBy: owner.Email}}
	must(t, db.CreateLetterDigests(ctx, digests, &store.AuditEntry{Actor: owner.Email, Action: "letters.generate"}))
	must(t, db.AddLetterStatus(ctx, &store.LetterStatus{PetitionID: p1, Jurisdiction: "GB", Status: "sent",
		Channel: "post", At: now, ByActor: owner.Email}, nil))
	must(t, db.SaveJurisdictionOverride(ctx, &store.JurisdictionOverride{Code: "GB", Addressee: "The Secretary",
		Address: "King Charles St\nLondon", AddressConfirmed: true, Language: "en", UpdatedBy: owner.Email}, nil))
	must(t, db.SaveJurisdictionOverride(ctx, &store.JurisdictionOverride{Code: "FR", UpdatedBy: owner.Email}, nil))
	must(t, db.SaveLetterTemplate(ctx, &store.LetterTemplate{PetitionID: p1, Language: "fr", Body: "Madame, Monsieur,", UpdatedBy: owner.Email}, nil))
	must(t, db.SaveLetterTemplate(ctx, &store.LetterTemplate{PetitionID: p1, Language: "en", Body: "Dear Minister,", UpdatedBy: owner.Email}, nil))

	_, err = db.ClientTagKey(ctx, c.day, []byte("sealed-day-key"))
	must(t, err)
	must(t, db.BumpCountsVersion(ctx))
	must(t, db.BumpCatalogVersion(ctx))
	must(t, db.SetKeyRotationMark(ctx, 17))
	_, err = db.ClaimPeriodicJob(ctx, "retention", time.Hour, now)
	must(t, err)
	_, err = db.ShredPersonalData(ctx, []int64{p2}, now) // leaves NULL sealed fields
	must(t, err)
	return c
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// copyDestinations open an empty destination database of each kind.
var copyDestinations = []struct {
	name string
	open func(t *testing.T) *store.DB
}{
	{"to PostgreSQL", func(t *testing.T) *store.DB { return openCopyDB(t, testutil.NewPostgresDatabase(t)) }},
	{"to SQLite", func(t *testing.T) *store.DB {
		return openCopyDB(t, "sqlite://"+filepath.Join(t.TempDir(), "copy.db"))
	}},
}

func openCopyDB(t *testing.T, url string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), url)
	must(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// TestCopyKeepsEveryRow copies a campaign (SQLite, or PostgreSQL on the
// second run) into an empty PostgreSQL and an empty SQLite database, and
// reads every table back through the store on both sides.
func TestCopyKeepsEveryRow(t *testing.T) {
	for _, dest := range copyDestinations {
		t.Run(dest.name, func(t *testing.T) {
			ctx := context.Background()
			src := fillCampaign(t, testutil.NewDB(t))
			to := dest.open(t)
			var progress []string
			report, err := store.Copy(ctx, src.db, to, func(table string, done, total int64) {
				progress = append(progress, fmt.Sprintf("%s %d/%d", table, done, total))
			})
			if err != nil {
				t.Fatalf("copy: %v", err)
			}
			if d := report.Differences(); len(d) > 0 {
				t.Errorf("the copy reports differences:\n%s", strings.Join(d, "\n"))
			}
			for _, want := range []string{"signatures 40/40", "outbox 40/40", "client_tag_keys 1/1", "sessions 2/2"} {
				if !slices.Contains(progress, want) {
					t.Errorf("progress %q does not include %q", progress, want)
				}
			}
			sameCampaign(t, src, to)
			checkFreshIDs(t, src, to)
		})
	}
}

// sameCampaign reads every table through the store's own queries on both
// sides; times compare to the microsecond, PostgreSQL's precision.
func sameCampaign(t *testing.T, src *copyCampaign, to *store.DB) {
	t.Helper()
	ctx := context.Background()
	from := src.db
	same := func(what string, read func(db *store.DB) (any, error)) {
		t.Helper()
		want, err := read(from)
		must(t, err)
		got, err := read(to)
		if err != nil {
			t.Errorf("%s in the copy: %v", what, err)
			return
		}
		if w, g := dump(want), dump(got); w != g {
			t.Errorf("%s differ:\nsource %s\ncopy   %s", what, w, g)
		}
	}
	same("petitions", func(db *store.DB) (any, error) { return db.FindPetitions(ctx) })
	for id := int64(1); id <= src.maxSigID; id++ {
		same(fmt.Sprintf("signature %d", id), func(db *store.DB) (any, error) { return db.FindSignatureByID(ctx, id) })
	}
	same("signature counts", func(db *store.DB) (any, error) {
		rows, err := db.CountSignatures(ctx)
		slices.SortFunc(rows, func(a, b store.CountRow) int { return strings.Compare(dump(a), dump(b)) })
		return rows, err
	})
	same("organizers", func(db *store.DB) (any, error) { return db.FindOrganizers(ctx) })
	for _, tok := range src.tokens {
		same("session "+string(tok), func(db *store.DB) (any, error) {
			s, err := db.FindSessionByTokenHash(ctx, tok)
			if errors.Is(err, store.ErrNotFound) {
				return "not found", nil
			}
			return s, err
		})
	}
	same("audit log", func(db *store.DB) (any, error) { return db.FindAudit(ctx, 0, 100) })
	same("data keys", func(db *store.DB) (any, error) { return db.FindDataKeys(ctx) })
	same("jurisdiction overrides", func(db *store.DB) (any, error) { return db.FindJurisdictionOverrides(ctx) })
	for _, p := range src.petitions {
		same("letter digests", func(db *store.DB) (any, error) { return db.FindLetterDigestsByRoot(ctx, p.ID, []byte("root")) })
		same("letter status", func(db *store.DB) (any, error) { return db.FindLetterStatuses(ctx, p.ID) })
		same("letter templates", func(db *store.DB) (any, error) { return db.FindLetterTemplates(ctx, p.ID) })
	}
	same("client-tag key", func(db *store.DB) (any, error) { return db.ClientTagKey(ctx, src.day, []byte("another key")) })
	same("meta", func(db *store.DB) (any, error) {
		counts, err1 := db.CountsVersion(ctx)
		catalog, err2 := db.CatalogVersion(ctx)
		mark, ok, err3 := db.KeyRotationMark(ctx)
		return []any{counts, catalog, mark, ok}, errors.Join(err1, err2, err3)
	})
	same("outbox depth", func(db *store.DB) (any, error) { return db.OutboxDepth(ctx) })
	same("due mail", func(db *store.DB) (any, error) { // last: claiming moves the messages on
		return db.ClaimDueOutbox(ctx, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), 100)
	})
}

// checkFreshIDs inserts into the copy: new rows get ids past every id the
// source ever gave, the deleted session's included.
func checkFreshIDs(t *testing.T, src *copyCampaign, to *store.DB) {
	t.Helper()
	ctx := context.Background()
	s := &store.Signature{PetitionID: src.petitions[0].ID, EmailHash: []byte("new-email"), ReceiptHash: []byte("new-receipt"),
		Status: store.StatusPending, Country: "KH", Lang: "en", Source: "web", SignedAt: time.Now()}
	if ok, err := to.InsertSignatures(ctx, []*store.Signature{s}); err != nil || !ok[0] {
		t.Fatalf("sign in the copy: inserted %v, %v", ok, err)
	}
	if s.ID <= src.maxSigID {
		t.Errorf("a new signature in the copy got id %d, want more than the source's last %d", s.ID, src.maxSigID)
	}
	sess := &store.Session{TokenHash: []byte("new-token"), OrganizerID: 1, CSRFToken: "x",
		CreatedAt: time.Now(), LastSeenAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	must(t, to.CreateSession(ctx, sess))
	if sess.ID <= src.lastSess {
		t.Errorf("a new session in the copy got id %d, reusing the source's deleted %d", sess.ID, src.lastSess)
	}
	p := testutil.MustCreatePetition(t, to, store.Petition{Slug: "after-the-move"})
	if p.ID <= src.petitions[1].ID {
		t.Errorf("a new petition in the copy got id %d, want more than %d", p.ID, src.petitions[1].ID)
	}
}

// dump prints v with times in UTC to the microsecond.
func dump(v any) string {
	var b strings.Builder
	dumpValue(&b, reflect.ValueOf(v))
	return b.String()
}

func dumpValue(b *strings.Builder, v reflect.Value) {
	if !v.IsValid() {
		b.WriteString("nil")
		return
	}
	if t, ok := v.Interface().(time.Time); ok {
		b.WriteString(t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano))
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		dumpValue(b, v.Elem())
	case reflect.Struct:
		b.WriteString("{")
		for i := range v.NumField() {
			fmt.Fprintf(b, "%s:", v.Type().Field(i).Name)
			dumpValue(b, v.Field(i))
			b.WriteString(" ")
		}
		b.WriteString("}")
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			b.WriteString("nil")
			return
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			fmt.Fprintf(b, "%q", v.Bytes())
			return
		}
		b.WriteString("[")
		for i := range v.Len() {
			dumpValue(b, v.Index(i))
			b.WriteString(" ")
		}
		b.WriteString("]")
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		b.WriteString("map[")
		for _, k := range keys {
			fmt.Fprintf(b, "%v:", k)
			dumpValue(b, v.MapIndex(k))
			b.WriteString(" ")
		}
		b.WriteString("]")
	default:
		fmt.Fprintf(b, "%v", v.Interface())
	}
}

// TestCopyRefusesDestinationWithData: a copy never merges two campaigns,
// and a database named by mistake is left as it was.
func TestCopyRefusesDestinationWithData(t *testing.T) {
	for _, dest := range copyDestinations {
		t.Run(dest.name, func(t *testing.T) {
			ctx := context.Background()
			src := fillCampaign(t, testutil.NewDB(t))
			to := dest.open(t)
			_, err := to.Migrate(ctx)
			must(t, err)
			testutil.MustCreatePetition(t, to, store.Petition{Slug: "already-here"})
			_, err = store.Copy(ctx, src.db, to, nil)
			if !errors.Is(err, store.ErrDestinationNotEmpty) {
				t.Fatalf("copy into a database with a petition: %v, want ErrDestinationNotEmpty", err)
			}
			if !strings.Contains(err.Error(), "copy into an empty, migrated database") {
				t.Errorf("message %q does not say what to do", err)
			}
			ps, err := to.FindPetitions(ctx)
			must(t, err)
			if len(ps) != 1 || ps[0].Slug != "already-here" {
				t.Errorf("the destination now holds %d petitions, want only its own", len(ps))
			}
			if _, err := store.Copy(ctx, src.db, src.db, nil); !errors.Is(err, store.ErrDestinationNotEmpty) {
				t.Errorf("copy of a database into itself: %v, want ErrDestinationNotEmpty", err)
			}
		})
	}
}

// TestCopyReadsOneSnapshot signs into the source while the copy runs: the
// server's writes are not held up, and the copy holds exactly what the
// source held when it started.
func TestCopyReadsOneSnapshot(t *testing.T) {
	ctx := context.Background()
	src := fillCampaign(t, testutil.NewDB(t))
	to := copyDestinations[1].open(t)
	if testutil.OnPostgres() {
		to = copyDestinations[0].open(t)
	}
	before, err := src.db.CountByStatus(ctx, src.petitions[0].ID)
	must(t, err)
	signed := 0
	report, err := store.Copy(ctx, src.db, to, func(table string, done, total int64) {
		if table != "petitions" {
			return
		}
		wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		s := &store.Signature{PetitionID: src.petitions[0].ID, EmailHash: []byte("late-email"), ReceiptHash: []byte("late"),
			Status: store.StatusConfirmed, Country: "KH", Lang: "en", Source: "web", SignedAt: time.Now()}
		if _, err := src.db.InsertSignatures(wctx, []*store.Signature{s}); err != nil {
			t.Errorf("signing while the copy runs: %v", err)
			return
		}
		signed++
	})
	must(t, err)
	if signed != 1 {
		t.Fatalf("signed %d times during the copy, want 1", signed)
	}
	if d := report.Differences(); len(d) > 0 {
		t.Errorf("differences against the snapshot: %s", strings.Join(d, "; "))
	}
	after, err := to.CountByStatus(ctx, src.petitions[0].ID)
	must(t, err)
	if dump(after) != dump(before) {
		t.Errorf("the copy counts %v, want %v: what the source held when the copy started", after, before)
	}
}

// TestVerifyFindsDifferences changes the copy after the fact: Verify names
// the table and the petition's counts that no longer match.
func TestVerifyFindsDifferences(t *testing.T) {
	ctx := context.Background()
	src := fillCampaign(t, testutil.NewDB(t))
	to := copyDestinations[1].open(t)
	_, err := store.Copy(ctx, src.db, to, nil)
	must(t, err)
	report, err := store.Verify(ctx, src.db, to)
	must(t, err)
	if d := report.Differences(); len(d) > 0 {
		t.Fatalf("right after the copy: %v", d)
	}
	sigs, err := to.FindSignatures(ctx, store.SignatureFilter{PetitionID: src.petitions[0].ID, Status: store.StatusConfirmed}, 0, 1)
	must(t, err)
	_, err = to.WithdrawSignature(ctx, sigs[0].ID, time.Now())
	must(t, err)
	must(t, to.AddAudit(ctx, &store.AuditEntry{Actor: "cli", Action: "test"}))
	report, err = store.Verify(ctx, src.db, to)
	must(t, err)
	got := strings.Join(report.Differences(), "\n")
	for _, want := range []string{
		"signatures: same number of rows but different contents",
		"audit_log: 3 rows in the source, 4 in the destination",
		"petition copy-one, withdrawn signatures:",
		"petition copy-one, confirmed signatures:",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("differences do not say %q:\n%s", want, got)
		}
	}
}

// TestCopyRefusesUnknownColumns: a column added by a later migration that
// copy does not know would be lost; the copy refuses instead.
func TestCopyRefusesUnknownColumns(t *testing.T) {
	ctx := context.Background()
	src := fillCampaign(t, testutil.NewDB(t))
	must(t, src.db.ExecAdmin(ctx, "ALTER TABLE organizers ADD COLUMN phone TEXT"))
	_, err := store.Copy(ctx, src.db, copyDestinations[1].open(t), nil)
	if err == nil || !strings.Contains(err.Error(), "organizers.phone") {
		t.Errorf("copy of a source with an unknown column: %v, want a refusal naming organizers.phone", err)
	}
}
