package signing

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/vault"
)

// TagRetention is how long a day's client-tag key is kept. Within it,
// organizers can group signatures that came from one network on one day
// (fraud review); after it, the key is deleted and a tag can no longer be
// linked to any network, not even by someone holding the secret key.
const TagRetention = 7 * 24 * time.Hour

// TagKeyStore keeps the sealed daily keys, shared by every instance.
type TagKeyStore interface {
	ClientTagKey(ctx context.Context, day string, candidate []byte) ([]byte, error)
	DeleteClientTagKeysBefore(ctx context.Context, day string) (int64, error)
}

// TagKeys hands out each day's random client-tag key: created on first use
// (the first instance to store one wins), kept sealed in the database and
// cached in memory.
type TagKeys struct {
	store TagKeyStore
	vault *vault.Vault
	mu    sync.RWMutex
	keys  map[string][]byte
}

// NewTagKeys returns the daily key keeper.
func NewTagKeys(st TagKeyStore, v *vault.Vault) *TagKeys {
	return &TagKeys{store: st, vault: v, keys: map[string][]byte{}}
}

// Tag returns the client tag of addr for the UTC day of now.
func (t *TagKeys) Tag(ctx context.Context, addr netip.Addr, now time.Time) ([]byte, error) {
	key, err := t.key(ctx, now.UTC().Format(time.DateOnly))
	if err != nil {
		return nil, err
	}
	return vault.TagWithKey(key, addr), nil
}

func (t *TagKeys) key(ctx context.Context, day string) ([]byte, error) {
	t.mu.RLock()
	k := t.keys[day]
	t.mu.RUnlock()
	if k != nil {
		return k, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if k := t.keys[day]; k != nil {
		return k, nil
	}
	fresh, err := vault.NewTagKey()
	if err != nil {
		return nil, err
	}
	aad := TagKeyAAD(day)
	sealed, err := t.vault.Seal(fresh, aad)
	if err != nil {
		return nil, err
	}
	stored, err := t.store.ClientTagKey(ctx, day, sealed)
	if err != nil {
		return nil, err
	}
	k, err = t.vault.Open(stored, aad)
	if errors.Is(err, vault.ErrDecrypt) {
		// The day's key was stored by a process with another secret key
		// (a key rotation is under way, or this process still runs with
		// the old key). Signing must go on: this process tags with a key
		// of its own for the rest of the day, so its tags do not match
		// the other process's — fraud review sees two groups, not one.
		k, err = fresh, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open client-tag key of %s: %w", day, err)
	}
	t.keys[day] = k
	return k, nil
}

// TagKeyAAD is the associated data of the sealed client-tag key of day.
func TagKeyAAD(day string) []byte { return []byte("client-tag-key/" + day) }

// Purge deletes the keys older than TagRetention, from the database and
// from memory, and returns how many rows went.
func (t *TagKeys) Purge(ctx context.Context, now time.Time) (int64, error) {
	cutoff := now.UTC().Add(-TagRetention).Format(time.DateOnly)
	n, err := t.store.DeleteClientTagKeysBefore(ctx, cutoff)
	if err != nil {
		return 0, err
	}
	t.Forget(now)
	return n, nil
}

// Forget drops from memory the day keys past their retention. Every
// instance runs it every hour, even those that did not win that hour's
// Purge of the database: a key kept in any memory could still link tags.
func (t *TagKeys) Forget(now time.Time) {
	cutoff := now.UTC().Add(-TagRetention).Format(time.DateOnly)
	t.mu.Lock()
	defer t.mu.Unlock()
	for day := range t.keys {
		if day < cutoff {
			delete(t.keys, day)
		}
	}
}
