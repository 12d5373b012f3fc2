package signing

import (
	"sort"
	"sync"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
)

// Counter keeps the confirmed-signature totals of every petition in memory,
// overall and per country, so that page views never count rows. It is
// loaded from the database at start, moved by every committed signature and
// may be reloaded from the database at any time (by a periodic refresh when
// several instances share one database).
type Counter struct {
	mu      sync.RWMutex
	tallies map[int64]*tally
	now     func() time.Time

	// changing is held shared by every database change that then moves the
	// figures (Change), and exclusively by a reload (Reload), so a reload
	// never reads a change that is in the database but not yet added here
	// (which would count it twice) nor overwrites one added meanwhile.
	changing sync.RWMutex
}

// Change runs fn, a database write followed by the Add calls it implies,
// with no reload in between.
func (c *Counter) Change(fn func() error) error {
	c.changing.RLock()
	defer c.changing.RUnlock()
	return fn()
}

// Reload replaces every figure with what read returns, once every Change
// under way has finished and while none starts. Never call it from inside
// a Change.
func (c *Counter) Reload(read func() ([]store.CountRow, error)) error {
	c.changing.Lock()
	defer c.changing.Unlock()
	rows, err := read()
	if err != nil {
		return err
	}
	c.Load(rows)
	return nil
}

type tally struct {
	total     int64
	byCountry map[string]int64
	version   uint64
	updated   time.Time
}

// Tally is a copy of one petition's figures at a moment.
type Tally struct {
	Total     int64
	ByCountry map[string]int64
	// Version changes whenever a figure changes; it makes a cheap ETag.
	Version   uint64
	UpdatedAt time.Time
}

// CountryCount is one country's figure.
type CountryCount struct {
	Country string
	N       int64
}

// NewCounter returns an empty counter using now for timestamps.
func NewCounter(now func() time.Time) *Counter {
	return &Counter{tallies: map[int64]*tally{}, now: now}
}

// Load replaces every figure with the confirmed counts in rows.
func (c *Counter) Load(rows []store.CountRow) {
	fresh := map[int64]*tally{}
	now := c.now()
	for _, r := range rows {
		if r.Status != store.StatusConfirmed {
			continue
		}
		t := fresh[r.PetitionID]
		if t == nil {
			t = &tally{byCountry: map[string]int64{}, updated: now}
			fresh[r.PetitionID] = t
		}
		t.total += r.N
		t.byCountry[r.Country] += r.N
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, t := range fresh {
		if old := c.tallies[id]; old != nil {
			t.version = old.version
			if sameTally(old, t) {
				t.updated = old.updated
			} else {
				t.version++
			}
		} else {
			t.version = 1
		}
	}
	for id, old := range c.tallies {
		switch {
		case fresh[id] != nil:
		case old.total == 0 && len(old.byCountry) == 0:
			// Still empty: keep it with its version, which must never
			// restart and repeat an ETag that stood for other figures.
			fresh[id] = old
		default:
			fresh[id] = &tally{byCountry: map[string]int64{}, version: old.version + 1, updated: now}
		}
	}
	c.tallies = fresh
}

func sameTally(a, b *tally) bool {
	if a.total != b.total || len(a.byCountry) != len(b.byCountry) {
		return false
	}
	for k, v := range a.byCountry {
		if b.byCountry[k] != v {
			return false
		}
	}
	return true
}

// Add moves a petition's figures by delta confirmed signatures in country.
func (c *Counter) Add(petitionID int64, country string, delta int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.tallies[petitionID]
	if t == nil {
		t = &tally{byCountry: map[string]int64{}}
		c.tallies[petitionID] = t
	}
	t.total += delta
	t.byCountry[country] += delta
	if t.byCountry[country] <= 0 {
		delete(t.byCountry, country)
	}
	t.version++
	t.updated = c.now()
}

// Total returns a petition's confirmed total.
func (c *Counter) Total(petitionID int64) int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if t := c.tallies[petitionID]; t != nil {
		return t.total
	}
	return 0
}

// Get returns a copy of a petition's figures.
func (c *Counter) Get(petitionID int64) Tally {
	c.mu.RLock()
	defer c.mu.RUnlock()
	t := c.tallies[petitionID]
	if t == nil {
		return Tally{ByCountry: map[string]int64{}}
	}
	by := make(map[string]int64, len(t.byCountry))
	for k, v := range t.byCountry {
		by[k] = v
	}
	return Tally{Total: t.total, ByCountry: by, Version: t.version, UpdatedAt: t.updated}
}

// Countries returns the tally's countries, largest first, ties by code.
func (t Tally) Countries() []CountryCount {
	out := make([]CountryCount, 0, len(t.ByCountry))
	for k, v := range t.ByCountry {
		out = append(out, CountryCount{Country: k, N: v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Country < out[j].Country
	})
	return out
}
