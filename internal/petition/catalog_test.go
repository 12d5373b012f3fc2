package petition_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/content"
	"github.com/cambodia-sanctions/campaign/internal/petition"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
)

// config is what config/petitions.yaml would hold: one featured petition
// with dates and one plain one.
func config() []content.Petition {
	opens := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
	closes := time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC)
	return []content.Petition{
		{
			Slug: "free-them", Title: "Free the prisoners", Summary: "Release everyone held for speaking out.",
			Body: "They were arrested for **speaking**.", Demands: []string{"Release them", "Drop the charges"},
			Goal: 10000, Status: store.PetitionOpen, Countries: []string{"US", "GB", "EU"}, Featured: true,
			OpensAt: &opens, ClosesAt: &closes,
		},
		{
			Slug: "asset-freeze", Title: "Freeze their assets", Summary: "Sanction the officials responsible.",
			Body: "Assets abroad.", Demands: []string{"Freeze assets"},
			Goal: 5000, Status: store.PetitionOpen, Countries: []string{"AU"},
		},
	}
}

func mustSync(t *testing.T, db *store.DB, ps []content.Petition, wantCreated, wantUpdated int) {
	t.Helper()
	created, updated, err := petition.Sync(context.Background(), db, ps)
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if created != wantCreated || updated != wantUpdated {
		t.Errorf("Sync created %d and updated %d, want %d and %d", created, updated, wantCreated, wantUpdated)
	}
}

func mustFind(t *testing.T, db *store.DB, slug string) *store.Petition {
	t.Helper()
	p, err := db.FindPetitionBySlug(context.Background(), slug)
	if err != nil {
		t.Fatalf("find petition %q: %v", slug, err)
	}
	return p
}

func TestSyncCreatesPetitionsFromConfig(t *testing.T) {
	db := testutil.NewDB(t)
	mustSync(t, db, config(), 2, 0)
	want := config()[0]
	got := mustFind(t, db, "free-them")
	if got.Title != want.Title || got.Summary != want.Summary || got.Body != want.Body || got.Goal != want.Goal ||
		got.Status != want.Status || !got.Featured {
		t.Errorf("stored petition %+v, want the config entry %+v", got, want)
	}
	if !slices.Equal(got.Demands, want.Demands) || !slices.Equal(got.Countries, want.Countries) {
		t.Errorf("stored demands %v countries %v, want %v %v", got.Demands, got.Countries, want.Demands, want.Countries)
	}
	if got.OpensAt == nil || !got.OpensAt.Equal(*want.OpensAt) || got.ClosesAt == nil || !got.ClosesAt.Equal(*want.ClosesAt) {
		t.Errorf("stored dates %v–%v, want %v–%v", got.OpensAt, got.ClosesAt, want.OpensAt, want.ClosesAt)
	}
	if got.ConfigHash == "" {
		t.Error("stored petition has no config hash: later syncs cannot tell whether the config changed")
	}
	if plain := mustFind(t, db, "asset-freeze"); plain.OpensAt != nil || plain.ClosesAt != nil || plain.Featured {
		t.Errorf("petition without dates stored with opens %v closes %v featured %v, want none", plain.OpensAt, plain.ClosesAt, plain.Featured)
	}
}

func TestSyncIsIdempotent(t *testing.T) {
	db := testutil.NewDB(t)
	mustSync(t, db, config(), 2, 0)
	before := mustFind(t, db, "free-them")
	mustSync(t, db, config(), 0, 0)
	mustSync(t, db, config(), 0, 0)
	after := mustFind(t, db, "free-them")
	if !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("an unchanged sync rewrote the petition (updated at %v → %v)", before.UpdatedAt, after.UpdatedAt)
	}
	all, err := db.FindPetitions(context.Background())
	if err != nil || len(all) != 2 {
		t.Errorf("%d petitions after three syncs (err %v), want 2", len(all), err)
	}
}

func TestSyncUpdatesChangedConfig(t *testing.T) {
	db := testutil.NewDB(t)
	mustSync(t, db, config(), 2, 0)
	before := mustFind(t, db, "free-them")

	changed := config()
	changed[0].Title = "Free all political prisoners"
	changed[0].Demands = append(changed[0].Demands, "Let observers in")
	changed[0].ClosesAt = nil
	mustSync(t, db, changed, 0, 1)

	got := mustFind(t, db, "free-them")
	if got.Title != "Free all political prisoners" || len(got.Demands) != 3 || got.ClosesAt != nil {
		t.Errorf("after a config change the petition reads %q, %v, closes %v; want the new title, 3 demands, no closing date",
			got.Title, got.Demands, got.ClosesAt)
	}
	if got.ID != before.ID || !got.CreatedAt.Equal(before.CreatedAt) {
		t.Errorf("update replaced the petition: id %d created %v, want id %d created %v (signatures point at the id)",
			got.ID, got.CreatedAt, before.ID, before.CreatedAt)
	}
	if got.ConfigHash == before.ConfigHash {
		t.Error("config hash unchanged after the config changed")
	}
	if other := mustFind(t, db, "asset-freeze"); other.Title != "Freeze their assets" {
		t.Errorf("unchanged petition now titled %q", other.Title)
	}

	// A new entry is created beside the existing ones.
	added := append(changed, content.Petition{Slug: "visa-bans", Title: "Visa bans", Summary: "s", Body: "b",
		Demands: []string{"Ban visas"}, Goal: 100, Status: store.PetitionClosed, Countries: []string{"CA"}})
	mustSync(t, db, added, 1, 0)
}

func TestSyncKeepsEditsMadeInTheDatabase(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	mustSync(t, db, config(), 2, 0)

	// An organizer closes the petition and retitles it from the console.
	edited := mustFind(t, db, "asset-freeze")
	edited.Title = "Freeze their assets now"
	edited.Status = store.PetitionClosed
	if err := db.UpdatePetition(ctx, edited); err != nil {
		t.Fatal(err)
	}

	mustSync(t, db, config(), 0, 0) // a restart with the same config
	got := mustFind(t, db, "asset-freeze")
	if got.Title != "Freeze their assets now" || got.Status != store.PetitionClosed {
		t.Errorf("restart with unchanged config overwrote the console edit: %q %s, want %q closed",
			got.Title, got.Status, "Freeze their assets now")
	}

	// Once the config entry itself changes, the config wins.
	changed := config()
	changed[1].Goal = 7500
	mustSync(t, db, changed, 0, 1)
	got = mustFind(t, db, "asset-freeze")
	if got.Goal != 7500 || got.Title != "Freeze their assets" || got.Status != store.PetitionOpen {
		t.Errorf("after a config change: goal %d title %q status %s, want the config's 7500 %q open",
			got.Goal, got.Title, got.Status, "Freeze their assets")
	}
}

func TestSyncStopsOnDatabaseError(t *testing.T) {
	db := testutil.NewDB(t)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := petition.Sync(context.Background(), db, config()); err == nil || !strings.Contains(err.Error(), "free-them") {
		t.Errorf("Sync on a closed database = %v, want an error naming the petition", err)
	}
}

func newCatalog(t *testing.T, db *store.DB) *petition.Catalog {
	t.Helper()
	c := petition.NewCatalog(db)
	if err := c.Reload(context.Background()); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	return c
}

func slugs(ps []*petition.Petition) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Slug
	}
	return out
}

func TestCatalogAllAndBySlug(t *testing.T) {
	db := testutil.NewDB(t)
	testutil.MustCreatePetition(t, db, store.Petition{Slug: "older-one"})
	testutil.MustCreatePetition(t, db, store.Petition{Slug: "featured-one", Featured: true})
	testutil.MustCreatePetition(t, db, store.Petition{Slug: "closed-one", Status: store.PetitionClosed})
	c := newCatalog(t, db)

	if got, want := slugs(c.All()), []string{"featured-one", "older-one", "closed-one"}; !slices.Equal(got, want) {
		t.Errorf("All() = %v, want featured first, then in creation order: %v", got, want)
	}
	p, ok := c.BySlug("older-one")
	if !ok || p.Slug != "older-one" || p.Title != "Test petition" {
		t.Errorf("BySlug(older-one) = %+v, %v; want the petition", p, ok)
	}
	for _, slug := range []string{"missing", "", "Older-One"} {
		if p, ok := c.BySlug(slug); ok || p != nil {
			t.Errorf("BySlug(%q) = %+v, %v; want nil, false", slug, p, ok)
		}
	}
}

func TestCatalogRendersMarkdown(t *testing.T) {
	db := testutil.NewDB(t)
	testutil.MustCreatePetition(t, db, store.Petition{Slug: "md", Body: "They were jailed for **speaking**.\n\n<script>alert(1)</script>\n\n[report](https://example.org/r)"})
	c := newCatalog(t, db)
	p, ok := c.BySlug("md")
	if !ok {
		t.Fatal("petition md missing from the catalog")
	}
	html := string(p.BodyHTML)
	for _, want := range []string{"<strong>speaking</strong>", `<a href="https://example.org/r"`, "<p>"} {
		if !strings.Contains(html, want) {
			t.Errorf("BodyHTML = %q, want it to contain %q", html, want)
		}
	}
	if strings.Contains(html, "<script>") {
		t.Errorf("BodyHTML = %q lets raw HTML through", html)
	}
	if p.Body != "They were jailed for **speaking**.\n\n<script>alert(1)</script>\n\n[report](https://example.org/r)" {
		t.Errorf("the Markdown source was changed: %q", p.Body)
	}
}

func TestCatalogFeatured(t *testing.T) {
	type row struct {
		slug     string
		featured bool
		status   string
	}
	open, closed := store.PetitionOpen, store.PetitionClosed
	tests := []struct {
		name string
		rows []row
		want string // "" for nil
	}{
		{"the featured one", []row{{"first", false, open}, {"chosen", true, open}, {"third", false, open}}, "chosen"},
		{"featured even when closed", []row{{"first", false, open}, {"chosen", true, closed}}, "chosen"},
		{"none featured: the first open one", []row{{"old", false, closed}, {"second", false, open}, {"third", false, open}}, "second"},
		{"none featured, none open", []row{{"old", false, closed}, {"older", false, closed}}, ""},
		{"no petitions", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := testutil.NewDB(t)
			for _, r := range tt.rows {
				testutil.MustCreatePetition(t, db, store.Petition{Slug: r.slug, Featured: r.featured, Status: r.status})
			}
			got := newCatalog(t, db).Featured()
			switch {
			case tt.want == "" && got != nil:
				t.Errorf("Featured() = %q, want nil: the home page shows no petition", got.Slug)
			case tt.want != "" && got == nil:
				t.Errorf("Featured() = nil, want %q", tt.want)
			case tt.want != "" && got.Slug != tt.want:
				t.Errorf("Featured() = %q, want %q", got.Slug, tt.want)
			}
		})
	}
}

func TestCatalogReload(t *testing.T) {
	db := testutil.NewDB(t)
	ctx := context.Background()
	testutil.MustCreatePetition(t, db, store.Petition{Slug: "first"})
	c := petition.NewCatalog(db)
	if g := c.Generation(); g != 0 || len(c.All()) != 0 || c.Featured() != nil {
		t.Errorf("before Reload: generation %d, %d petitions, featured %v; want an empty catalog", g, len(c.All()), c.Featured())
	}
	if err := c.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	gen1 := c.Generation()
	old := c.All()

	// A petition added and one edited in the database appear only after Reload.
	testutil.MustCreatePetition(t, db, store.Petition{Slug: "second", Featured: true})
	edited, _ := db.FindPetitionBySlug(ctx, "first")
	edited.Title = "Edited title"
	if err := db.UpdatePetition(ctx, edited); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.BySlug("second"); ok {
		t.Error("a new petition showed up before Reload")
	}
	if err := c.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if gen2 := c.Generation(); gen2 <= gen1 {
		t.Errorf("generation %d after a second Reload, want more than %d", gen2, gen1)
	}
	if p, ok := c.BySlug("second"); !ok || c.Featured() != p {
		t.Errorf("after Reload: BySlug(second) = %v, featured %v; want the new featured petition", ok, c.Featured())
	}
	if p, _ := c.BySlug("first"); p == nil || p.Title != "Edited title" {
		t.Errorf("after Reload the edited petition reads %v, want %q", p, "Edited title")
	}
	if len(old) != 1 || old[0].Title != "Test petition" {
		t.Errorf("a snapshot taken before Reload changed: %v", slugs(old))
	}

	// A failed reload keeps serving the last good set.
	gen := c.Generation()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Reload(ctx); err == nil {
		t.Fatal("Reload on a closed database succeeded, want an error")
	}
	if c.Generation() != gen || len(c.All()) != 2 {
		t.Errorf("after a failed Reload: generation %d (was %d), %d petitions; want the previous set kept", c.Generation(), gen, len(c.All()))
	}
}
