package signing_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"net/netip"
	"testing"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/testutil"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

func TestClientTagsGroupOneDayAndForgetAfterAWeek(t *testing.T) {
	db := testutil.NewDB(t)
	key, _ := hex.DecodeString(testKey)
	v, _ := vault.New(key)
	ctx := context.Background()
	tags := signing.NewTagKeys(db, v)
	addr := netip.MustParseAddr("203.0.113.5")
	day1 := time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)

	a, err := tags.Tag(ctx, addr, day1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := tags.Tag(ctx, addr, day1.Add(20*time.Hour))
	if !bytes.Equal(a, b) {
		t.Error("two signatures from one address on one UTC day have different tags; want them grouped")
	}
	next, _ := tags.Tag(ctx, addr, day1.Add(24*time.Hour))
	if bytes.Equal(a, next) {
		t.Error("tags on two days are equal; they must not link across days")
	}
	// A second instance on the same database agrees on the day's key.
	other := signing.NewTagKeys(db, v)
	if c, _ := other.Tag(ctx, addr, day1); !bytes.Equal(a, c) {
		t.Error("another instance computes a different tag for the same address and day")
	}

	n, err := tags.Purge(ctx, day1.Add(8*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("purge after 8 days deleted %d keys, want 1 (day 1; day 2 is within the week)", n)
	}
	// With the key gone, the same address on day 1 gets a new, unlinkable tag.
	fresh := signing.NewTagKeys(db, v)
	if again, _ := fresh.Tag(ctx, addr, day1); bytes.Equal(a, again) {
		t.Error("after the key was purged the old tag can still be recomputed")
	}
	// The other instance, which did not run the purge, forgets the key
	// from its memory too.
	other.Forget(day1.Add(8 * 24 * time.Hour))
	if again, _ := other.Tag(ctx, addr, day1); bytes.Equal(a, again) {
		t.Error("an instance that did not purge still recomputes the old tag after forgetting")
	}
}
