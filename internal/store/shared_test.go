package store_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
)

// What several instances sharing one database rely on. These run on
// SQLite and, with CAMPAIGN_TEST_POSTGRES set, on PostgreSQL.

func countsOf(t *testing.T, db *store.DB) map[string]int64 {
	t.Helper()
	rows, err := db.CountSignatures(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		if r.N != 0 {
			out[fmt.Sprintf("%d/%s/%s", r.PetitionID, r.Country, r.Status)] += r.N
		}
	}
	return out
}

// The counts the server loads follow every kind of change exactly: new
// rows, repeats, confirmation, withdrawal and bulk moderation.
func TestCountSignaturesFollowsEveryChange(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	p := testutil.MustCreatePetition(t, db, store.Petition{})
	batch := []*store.Signature{sig(p.ID, "a", "confirmed"), sig(p.ID, "b", "pending"), sig(p.ID, "c", "confirmed"), sig(p.ID, "a", "confirmed")}
	batch[2].Country = "FR"
	if _, err := db.InsertSignatures(ctx, batch); err != nil {
		t.Fatal(err)
	}
	key := func(country, status string) string { return fmt.Sprintf("%d/%s/%s", p.ID, country, status) }
	want := map[string]int64{key("KH", "confirmed"): 1, key("KH", "pending"): 1, key("FR", "confirmed"): 1}
	if got := countsOf(t, db); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after inserting: %v, want %v", got, want)
	}
	if ok, err := db.ConfirmSignature(ctx, batch[1].ID, time.Now()); err != nil || !ok {
		t.Fatalf("confirm: %v %v", ok, err)
	}
	if _, err := db.WithdrawSignature(ctx, batch[0].ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	want = map[string]int64{key("KH", "confirmed"): 1, key("KH", "withdrawn"): 1, key("FR", "confirmed"): 1}
	if got := countsOf(t, db); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after confirming b and withdrawing a: %v, want %v", got, want)
	}
	if _, err := db.InvalidateSignatures(ctx, store.SignatureFilter{PetitionID: p.ID, Country: "FR"}); err != nil {
		t.Fatal(err)
	}
	want = map[string]int64{key("KH", "confirmed"): 1, key("KH", "withdrawn"): 1, key("FR", "invalidated"): 1}
	if got := countsOf(t, db); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after invalidating FR: %v, want %v", got, want)
	}
}

// queueMails signs n pending signatures, each queuing a confirmation mail.
func queueMails(t *testing.T, db *store.DB, n int) {
	t.Helper()
	p := testutil.MustCreatePetition(t, db, store.Petition{})
	batch := make([]*store.Signature, n)
	for i := range batch {
		batch[i] = sig(p.ID, fmt.Sprint("m", i), "pending")
		batch[i].FirstMail = &store.QueuedMail{Kind: store.MailConfirm, PayloadEnc: []byte{byte(i)}}
	}
	if _, err := db.InsertSignatures(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
}

// Two workers claiming due mail at the same moment never get the same
// message, and a claimed message is not due again until its lease ends.
func TestClaimDueOutboxHandsEachMessageToOneWorker(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	queueMails(t, db, 60)
	now := time.Now().Add(time.Second)
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				msgs, err := db.ClaimDueOutbox(ctx, now, 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(msgs) == 0 {
					return
				}
				mu.Lock()
				for _, m := range msgs {
					seen[m.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 60 {
		t.Errorf("claimed %d distinct messages, want 60", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("message %d claimed %d times, want once", id, n)
		}
	}
	if msgs, _ := db.ClaimDueOutbox(ctx, now.Add(store.OutboxLease/2), 100); len(msgs) != 0 {
		t.Errorf("%d messages claimed again within their lease", len(msgs))
	}
	if msgs, _ := db.ClaimDueOutbox(ctx, now.Add(store.OutboxLease+time.Second), 100); len(msgs) != 60 {
		t.Errorf("after the lease %d messages due again, want all 60 (their sender never reported)", len(msgs))
	}
	var ids []int64
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	if err := db.MarkOutboxSent(ctx, ids[0], now); err != nil {
		t.Fatal(err)
	}
	if msgs, _ := db.ClaimDueOutbox(ctx, now.Add(3*store.OutboxLease), 100); len(msgs) != 59 {
		t.Errorf("after one was sent %d are due, want 59", len(msgs))
	}
}

// A periodic job is claimed once per period however many instances ask.
func TestClaimPeriodicJobOncePerPeriod(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	var mu sync.Mutex
	claimed := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := db.ClaimPeriodicJob(ctx, "retention", time.Hour, now)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				claimed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if claimed != 1 {
		t.Fatalf("8 instances asking at once: %d ran the job, want 1", claimed)
	}
	if ok, _ := db.ClaimPeriodicJob(ctx, "retention", time.Hour, now.Add(30*time.Minute)); ok {
		t.Error("job claimed again half-way through its period")
	}
	if ok, _ := db.ClaimPeriodicJob(ctx, "retention", time.Hour, now.Add(61*time.Minute)); !ok {
		t.Error("job not claimed after its period")
	}
	if ok, _ := db.ClaimPeriodicJob(ctx, "other", time.Hour, now); !ok {
		t.Error("another job's claim blocked by the first")
	}
}

// While one holder runs a locked job, a second asker without waiting is
// told it is locked (on PostgreSQL; SQLite has one server per file).
func TestWithLockExcludesASecondHolder(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	inside := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.WithLock(ctx, store.LockHousekeeping, false, func() error {
			close(inside)
			<-release
			return nil
		})
	}()
	<-inside
	err := db.WithLock(ctx, store.LockHousekeeping, false, func() error { return nil })
	close(release)
	if err2 := <-done; err2 != nil {
		t.Fatal(err2)
	}
	if db.Dialect() == "postgres" && !errors.Is(err, store.ErrLocked) {
		t.Errorf("second holder got %v, want ErrLocked", err)
	}
	// Released: the next one gets it.
	if err := db.WithLock(ctx, store.LockHousekeeping, false, func() error { return nil }); err != nil {
		t.Errorf("after release: %v", err)
	}
}

// Instances starting together on one new PostgreSQL database migrate it
// once between them: each waits its turn, the first applies everything, the
// others find nothing to do. Only meaningful on a shared database.
func TestConcurrentMigrationsOnPostgres(t *testing.T) {
	if !testutil.OnPostgres() {
		t.Skip("the PostgreSQL run covers this")
	}
	url := testutil.NewPostgresDatabase(t)
	ctx := context.Background()
	const instances = 4
	applied := make([]int, instances)
	var wg sync.WaitGroup
	for i := range instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := store.Open(ctx, url)
			if err != nil {
				t.Error(err)
				return
			}
			defer db.Close()
			got, err := db.Migrate(ctx)
			if err != nil {
				t.Errorf("instance %d: %v", i, err)
			}
			applied[i] = len(got)
		}()
	}
	wg.Wait()
	total := 0
	for _, n := range applied {
		total += n
	}
	if total != store.LatestVersion() {
		t.Errorf("migrations applied per instance %v: want %d in all, each once", applied, store.LatestVersion())
	}
}

// A PostgreSQL password never appears in an error.
func TestOpenPostgresErrorHidesPassword(t *testing.T) {
	for _, url := range []string{
		"postgres://app:s3cret-pw@127.0.0.1:1/campaign?sslmode=disable&connect_timeout=2",
		"postgres://app:s3cret%pw@127.0.0.1:1/campaign", // not a valid URL: the % is not escaped
		"postgres://app:s3cret#pw@127.0.0.1:1/campaign",
	} {
		_, err := store.Open(context.Background(), url)
		if err == nil {
			t.Fatalf("opened %s", url)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

// Two withdrawals of one signature at the same moment (two instances):
// exactly one reports the status it had, so the counters move once.
func TestConcurrentWithdrawalsReportOnce(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	p := testutil.MustCreatePetition(t, db, store.Petition{})
	for round := range 10 {
		s := sig(p.ID, fmt.Sprint("w", round), store.StatusConfirmed)
		if _, err := db.InsertSignatures(ctx, []*store.Signature{s}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		got := make([]string, 4)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				prev, err := db.WithdrawSignature(ctx, s.ID, time.Now())
				if err != nil {
					t.Error(err)
				}
				got[i] = prev
			}()
		}
		wg.Wait()
		reported := 0
		for _, prev := range got {
			if prev != "" {
				reported++
			}
		}
		if reported != 1 {
			t.Fatalf("round %d: withdrawals reported %q, want the previous status exactly once", round, got)
		}
	}
}

// Featuring petitions from two consoles at once leaves exactly one featured.
func TestConcurrentFeaturingLeavesOne(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	var ids []int64
	for i := range 4 {
		ids = append(ids, testutil.MustCreatePetition(t, db, store.Petition{Slug: fmt.Sprint("p", i)}).ID)
	}
	for round := range 10 {
		var wg sync.WaitGroup
		for _, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := db.SetFeaturedPetition(ctx, id); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		ps, err := db.FindPetitions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		featured := 0
		for _, p := range ps {
			if p.Featured {
				featured++
			}
		}
		if featured != 1 {
			t.Fatalf("round %d: %d petitions featured, want 1", round, featured)
		}
	}
}

// Released messages are due again at once; sent ones are never released.
func TestReleaseOutboxMakesUnattemptedMessagesDue(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	queueMails(t, db, 5)
	now := time.Now().Add(time.Second)
	msgs, err := db.ClaimDueOutbox(ctx, now, 10)
	if err != nil || len(msgs) != 5 {
		t.Fatalf("claimed %d (%v), want 5", len(msgs), err)
	}
	if err := db.MarkOutboxSent(ctx, msgs[0].ID, now); err != nil {
		t.Fatal(err)
	}
	ids := []int64{msgs[0].ID, msgs[1].ID, msgs[2].ID}
	if err := db.ReleaseOutbox(ctx, ids, now); err != nil {
		t.Fatal(err)
	}
	again, err := db.ClaimDueOutbox(ctx, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 2 || again[0].ID != msgs[1].ID || again[1].ID != msgs[2].ID {
		t.Errorf("after releasing 3 (one already sent) claimed %+v, want messages %d and %d", again, msgs[1].ID, msgs[2].ID)
	}
}
