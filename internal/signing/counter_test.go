package signing_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
)

// insertRows stores n signatures of a petition in one country and status.
func insertRows(t *testing.T, db *store.DB, petitionID int64, country, status string, n int) {
	t.Helper()
	batch := make([]*store.Signature, n)
	for i := range batch {
		id := fmt.Sprintf("%d/%s/%s/%d", petitionID, country, status, i)
		batch[i] = &store.Signature{
			PetitionID: petitionID, EmailHash: []byte("e:" + id), ReceiptHash: []byte("r:" + id),
			Status: status, Country: country, Lang: "en", Source: "web", SignedAt: time.Now(),
		}
	}
	if _, err := db.InsertSignatures(context.Background(), batch); err != nil {
		t.Fatalf("insert %d %s signatures: %v", n, status, err)
	}
}

func loadFromDB(t *testing.T, c *signing.Counter, db *store.DB) {
	t.Helper()
	rows, err := db.CountSignatures(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c.Load(rows)
}

func TestCounterLoadCountsOnlyConfirmed(t *testing.T) {
	db := testutil.NewDB(t)
	a := testutil.MustCreatePetition(t, db, store.Petition{Slug: "first"})
	b := testutil.MustCreatePetition(t, db, store.Petition{Slug: "second"})
	empty := testutil.MustCreatePetition(t, db, store.Petition{Slug: "no-signers"})
	insertRows(t, db, a.ID, "KH", store.StatusConfirmed, 5)
	insertRows(t, db, a.ID, "FR", store.StatusConfirmed, 2)
	insertRows(t, db, a.ID, "KH", store.StatusPending, 4)
	insertRows(t, db, a.ID, "DE", store.StatusPending, 3) // no confirmed signer in DE
	insertRows(t, db, a.ID, "FR", store.StatusWithdrawn, 1)
	insertRows(t, db, a.ID, "KH", store.StatusInvalidated, 6)
	insertRows(t, db, b.ID, "US", store.StatusConfirmed, 1)

	clock := testutil.NewClock()
	c := signing.NewCounter(clock.Now)
	loadFromDB(t, c, db)

	tests := []struct {
		petition  *store.Petition
		total     int64
		byCountry map[string]int64
	}{
		{a, 7, map[string]int64{"KH": 5, "FR": 2}},
		{b, 1, map[string]int64{"US": 1}},
		{empty, 0, map[string]int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.petition.Slug, func(t *testing.T) {
			if got := c.Total(tt.petition.ID); got != tt.total {
				t.Errorf("Total = %d, want %d confirmed signatures", got, tt.total)
			}
			got := c.Get(tt.petition.ID)
			if got.Total != tt.total || !maps.Equal(got.ByCountry, tt.byCountry) {
				t.Errorf("Get = total %d by country %v, want %d %v", got.Total, got.ByCountry, tt.total, tt.byCountry)
			}
			if got.ByCountry == nil {
				t.Error("Get returned a nil ByCountry map; pages range over it")
			}
		})
	}
}

func TestCounterAddGetTotal(t *testing.T) {
	clock := testutil.NewClock()
	c := signing.NewCounter(clock.Now)
	steps := []struct {
		country   string
		delta     int64
		total     int64
		byCountry map[string]int64
	}{
		{"KH", 1, 1, map[string]int64{"KH": 1}},
		{"KH", 1, 2, map[string]int64{"KH": 2}},
		{"FR", 1, 3, map[string]int64{"KH": 2, "FR": 1}},
		{"FR", -1, 2, map[string]int64{"KH": 2}}, // a withdrawal empties FR: it leaves the table
		{"KH", -1, 1, map[string]int64{"KH": 1}},
	}
	for i, s := range steps {
		clock.Advance(time.Minute)
		c.Add(7, s.country, s.delta)
		got := c.Get(7)
		if got.Total != s.total || c.Total(7) != s.total || !maps.Equal(got.ByCountry, s.byCountry) {
			t.Errorf("after step %d (Add %s %+d): total %d/%d by country %v, want %d %v",
				i+1, s.country, s.delta, got.Total, c.Total(7), got.ByCountry, s.total, s.byCountry)
		}
		if !got.UpdatedAt.Equal(clock.Now()) {
			t.Errorf("after step %d: updated at %v, want the clock's %v", i+1, got.UpdatedAt, clock.Now())
		}
	}
	if c.Total(8) != 0 || c.Get(8).Total != 0 {
		t.Errorf("another petition shows %d, want 0", c.Total(8))
	}
}

func TestCounterGetReturnsACopy(t *testing.T) {
	c := signing.NewCounter(time.Now)
	c.Add(1, "KH", 3)
	got := c.Get(1)
	got.ByCountry["KH"] = 1000
	got.ByCountry["FR"] = 5
	if again := c.Get(1); again.ByCountry["KH"] != 3 || len(again.ByCountry) != 1 {
		t.Errorf("changing a returned tally changed the counter: %v, want map[KH:3]", again.ByCountry)
	}
}

func TestCounterVersion(t *testing.T) {
	db := testutil.NewDB(t)
	p := testutil.MustCreatePetition(t, db, store.Petition{})
	other := testutil.MustCreatePetition(t, db, store.Petition{Slug: "other"})
	insertRows(t, db, p.ID, "KH", store.StatusConfirmed, 3)
	clock := testutil.NewClock()
	c := signing.NewCounter(clock.Now)

	// Each step changes the figures or not; the version (an ETag) must
	// change exactly when they do, and never come back to an earlier value
	// that described other figures.
	steps := []struct {
		name    string
		do      func()
		changed bool
	}{
		{"first load", func() { loadFromDB(t, c, db) }, true},
		{"identical reload", func() { loadFromDB(t, c, db) }, false},
		{"Add", func() { c.Add(p.ID, "KH", 1) }, true},
		{"reload lower than the in-memory figure", func() { loadFromDB(t, c, db) }, true},
		{"new confirmed signature reloaded", func() {
			insertRows(t, db, p.ID, "FR", store.StatusConfirmed, 1)
			loadFromDB(t, c, db)
		}, true},
		{"pending signature reloaded", func() {
			insertRows(t, db, p.ID, "DE", store.StatusPending, 2)
			loadFromDB(t, c, db)
		}, false},
		{"another petition's signature reloaded", func() {
			insertRows(t, db, other.ID, "KH", store.StatusConfirmed, 1)
			loadFromDB(t, c, db)
		}, false},
		{"Add to another petition", func() { c.Add(other.ID, "KH", 1) }, false},
		{"reload with no rows for the petition", func() { c.Load(nil) }, true},
		{"identical empty reload", func() { c.Load(nil) }, false},
		{"Add after it emptied", func() { c.Add(p.ID, "GB", 1) }, true},
		{"reload from the database", func() { loadFromDB(t, c, db) }, true},
	}
	seen := map[uint64]string{} // version → figures it stood for
	prev := c.Get(p.ID)
	for _, s := range steps {
		clock.Advance(time.Minute)
		s.do()
		got := c.Get(p.ID)
		figures := fmt.Sprint(got.Total, got.ByCountry)
		if changed := got.Version != prev.Version; changed != s.changed {
			t.Errorf("%s: version %d → %d (figures %s → %s); want changed=%v",
				s.name, prev.Version, got.Version, fmt.Sprint(prev.Total, prev.ByCountry), figures, s.changed)
		}
		if !s.changed && !got.UpdatedAt.Equal(prev.UpdatedAt) {
			t.Errorf("%s: updated at moved from %v to %v with no change", s.name, prev.UpdatedAt, got.UpdatedAt)
		}
		if was, ok := seen[got.Version]; ok && was != figures {
			t.Errorf("%s: version %d stood for %s before and now for %s: a cached page would not refresh", s.name, got.Version, was, figures)
		}
		seen[got.Version] = figures
		prev = got
	}
}

func TestTallyCountries(t *testing.T) {
	tally := signing.Tally{ByCountry: map[string]int64{"US": 1, "FR": 2, "KH": 5, "DE": 2, "AU": 1}}
	got := tally.Countries()
	want := []signing.CountryCount{{"KH", 5}, {"DE", 2}, {"FR", 2}, {"AU", 1}, {"US", 1}}
	if !slices.Equal(got, want) {
		t.Errorf("Countries() = %v, want largest first, ties by code: %v", got, want)
	}
	if empty := (signing.Tally{}).Countries(); len(empty) != 0 {
		t.Errorf("Countries() of an empty tally = %v, want none", empty)
	}
}

func TestCounterConcurrentAdd(t *testing.T) {
	const workers, adds = 16, 200
	c := signing.NewCounter(time.Now)
	countries := []string{"KH", "FR", "US", "AU"}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range adds {
				c.Add(1, countries[(w+i)%len(countries)], 1)
				_ = c.Get(1).Countries() // readers run alongside writers
				_ = c.Total(1)
			}
		})
	}
	wg.Wait()
	got := c.Get(1)
	if got.Total != workers*adds {
		t.Errorf("total %d after %d concurrent Adds, want %d", got.Total, workers*adds, workers*adds)
	}
	var sum int64
	for _, n := range got.ByCountry {
		sum += n
	}
	if sum != got.Total || len(got.ByCountry) != len(countries) {
		t.Errorf("by country %v sums to %d over %d countries, want %d over %d", got.ByCountry, sum, len(got.ByCountry), got.Total, len(countries))
	}
}

// A reload never lands between a change reaching the database and its Add:
// it waits, so the figure is neither counted twice nor lost.
func TestCounterReloadWaitsForChangesUnderWay(t *testing.T) {
	c := signing.NewCounter(time.Now)
	c.Load([]store.CountRow{{PetitionID: 1, Country: "KH", Status: store.StatusConfirmed, N: 10}})
	db := int64(10) // what the database holds
	var mu sync.Mutex
	written := make(chan struct{})
	proceed := make(chan struct{})
	changed := make(chan error, 1)
	go func() {
		changed <- c.Change(func() error {
			mu.Lock()
			db++ // committed...
			mu.Unlock()
			close(written)
			<-proceed // ...not yet added: a reload now would count it twice
			c.Add(1, "KH", 1)
			return nil
		})
	}()
	<-written
	reloaded := make(chan error, 1)
	go func() {
		reloaded <- c.Reload(func() ([]store.CountRow, error) {
			mu.Lock()
			defer mu.Unlock()
			return []store.CountRow{{PetitionID: 1, Country: "KH", Status: store.StatusConfirmed, N: db}}, nil
		})
	}()
	select {
	case <-reloaded:
		t.Fatal("reload ran while a change was committed but not yet added")
	case <-time.After(50 * time.Millisecond):
	}
	close(proceed)
	if err := <-changed; err != nil {
		t.Fatal(err)
	}
	if err := <-reloaded; err != nil {
		t.Fatal(err)
	}
	if got := c.Total(1); got != 11 {
		t.Errorf("total %d after a change and a reload, want 11", got)
	}
}
