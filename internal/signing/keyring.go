package signing

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

// ErrKeyRotated is returned when a petition needs a new data key but the
// database holds data keys that this process's secret key cannot open: the
// secret key was rotated (`campaign keys rotate`) and this process still
// runs with the old one. A key made now would open only with the old
// secret key, so none is made; restart with the new key.
var ErrKeyRotated = errors.New("signing: the secret key was rotated; restart with the new key")

// KeyStore loads and creates data keys (*store.DB).
type KeyStore interface {
	FindDataKeys(ctx context.Context) ([]*store.DataKey, error)
	CreateDataKey(ctx context.Context, petitionID int64, check func([]*store.DataKey) error,
		wrap func(id int64) ([]byte, error)) (*store.DataKey, error)
}

// DefaultKeyRefresh is how often a keyring re-reads the data keys, so a
// running server stops using keys destroyed by `campaign shred` and moves
// to the keys a rotation makes, within seconds and without a restart.
const DefaultKeyRefresh = 5 * time.Second

// Keyring hands out the data keys that seal each petition's personal
// fields. Keys are unwrapped once and kept in memory; finding the key of
// a petition or of a row is one map read, with no lock. A petition without
// a key gets one the first time it needs it. A Keyring is safe for
// concurrent use; create one with NewKeyring.
type Keyring struct {
	store KeyStore
	vault *vault.Vault
	now   func() time.Time
	every time.Duration

	mu         sync.Mutex                         // serialises loads and creations
	byID       atomic.Pointer[map[int64]*dataKey] // every key seen, destroyed ones too
	sealing    atomic.Pointer[map[int64]*dataKey] // petition id → key new rows are sealed with
	next       atomic.Int64                       // when to refresh, Unix nanoseconds
	refreshing atomic.Bool
}

// dataKey is one data key as this process knows it: key is nil when the
// key is destroyed or wrapped only under another secret key.
type dataKey struct {
	id, petitionID int64
	key            *vault.DataKey
	err            error // why key is nil: vault.ErrKeyDestroyed, vault.ErrKeyUnavailable, vault.ErrDecrypt
}

// NewKeyring returns a keyring over st whose keys open with v.
func NewKeyring(st KeyStore, v *vault.Vault) *Keyring {
	k := &Keyring{store: st, vault: v, now: time.Now, every: DefaultKeyRefresh}
	empty := map[int64]*dataKey{}
	k.byID.Store(&empty)
	k.sealing.Store(&empty)
	// The first need loads the keys; refreshes start an interval later.
	k.next.Store(k.now().Add(k.every).UnixNano())
	return k
}

// SetRefresh changes how often the keyring re-reads the data keys (0:
// never) and its clock; tests use it.
func (k *Keyring) SetRefresh(every time.Duration, now func() time.Time) *Keyring {
	k.every, k.now = every, now
	k.next.Store(now().Add(every).UnixNano())
	return k
}

// Vault is the vault whose secret key opens the keyring's keys.
func (k *Keyring) Vault() *vault.Vault { return k.vault }

// SealingKey returns the data key, and its id, that new personal fields of
// petition petitionID are sealed with: the newest key of the petition this
// process can open, made on first use if it has none.
func (k *Keyring) SealingKey(ctx context.Context, petitionID int64) (int64, *vault.DataKey, error) {
	k.maybeRefresh()
	if dk := (*k.sealing.Load())[petitionID]; dk != nil {
		return dk.id, dk.key, nil
	}
	dk, err := k.createSealing(ctx, petitionID)
	if err != nil {
		return 0, nil, err
	}
	return dk.id, dk.key, nil
}

// Key returns the data key with id: vault.ErrKeyDestroyed when it was
// destroyed, vault.ErrKeyUnavailable when only another secret key opens it.
func (k *Keyring) Key(ctx context.Context, id int64) (*vault.DataKey, error) {
	k.maybeRefresh()
	dk := (*k.byID.Load())[id]
	if dk == nil {
		k.mu.Lock()
		err := k.load(ctx)
		k.mu.Unlock()
		if err != nil {
			return nil, err
		}
		if dk = (*k.byID.Load())[id]; dk == nil {
			return nil, fmt.Errorf("signing: data key %d does not exist", id)
		}
	}
	if dk.key == nil {
		return nil, fmt.Errorf("data key %d: %w", id, dk.err)
	}
	return dk.key, nil
}

// OpenField opens one sealed field with the data key keyID, or with the
// vault's own field key when keyID is nil (rows sealed before data keys).
func (k *Keyring) OpenField(ctx context.Context, keyID *int64, sealed, aad []byte) ([]byte, error) {
	if len(sealed) == 0 {
		return nil, nil
	}
	if keyID == nil {
		return k.vault.Open(sealed, aad)
	}
	dk, err := k.Key(ctx, *keyID)
	if err != nil {
		return nil, err
	}
	return dk.Open(sealed, aad)
}

// Load reads every data key now. Keyrings load by themselves when they
// need to; Load lets a command fail early when the keys cannot be read.
func (k *Keyring) Load(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.load(ctx)
}

// ErrWrongSecretKey means the database's data keys exist but none opens
// with this process's secret key.
var ErrWrongSecretKey = errors.New("the secret key opens none of this database's data keys")

// CheckSecretKey loads the data keys and fails with ErrWrongSecretKey when
// there are live keys and this secret key opens none of them: an instance
// started with another key than the others would seal data no one else can
// read and hash emails so that duplicates go unnoticed.
func (k *Keyring) CheckSecretKey(ctx context.Context) error {
	if err := k.Load(ctx); err != nil {
		return err
	}
	live, opened := 0, 0
	for _, dk := range *k.byID.Load() {
		if errors.Is(dk.err, vault.ErrKeyDestroyed) {
			continue
		}
		live++
		if dk.key != nil {
			opened++
		}
	}
	if live > 0 && opened == 0 {
		return ErrWrongSecretKey
	}
	return nil
}

// createSealing makes sure petitionID has a key to seal with: another
// process may have made one since the last load; if not, it is made, in a
// transaction that first checks that no key exists which this process
// cannot open (a rotation to another secret key under way or done).
func (k *Keyring) createSealing(ctx context.Context, petitionID int64) (*dataKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if dk := (*k.sealing.Load())[petitionID]; dk != nil {
		return dk, nil
	}
	if err := k.load(ctx); err != nil {
		return nil, err
	}
	if dk := (*k.sealing.Load())[petitionID]; dk != nil {
		return dk, nil
	}
	raw, err := vault.NewDataKey()
	if err != nil {
		return nil, err
	}
	errExists := errors.New("a usable key exists")
	check := func(keys []*store.DataKey) error {
		for _, row := range keys {
			if !row.Live() {
				continue
			}
			_, err := k.vault.UnwrapDataKey(row.Wrapped, row.ID, row.PetitionID)
			switch {
			case err != nil:
				return fmt.Errorf("%w (data key %d: %v)", ErrKeyRotated, row.ID, err)
			case row.PetitionID == petitionID:
				return errExists
			}
		}
		return nil
	}
	wrap := func(id int64) ([]byte, error) { return k.vault.WrapDataKey(raw, id, petitionID) }
	if _, err := k.store.CreateDataKey(ctx, petitionID, check, wrap); err != nil && !errors.Is(err, errExists) {
		return nil, fmt.Errorf("create data key: %w", err)
	}
	if err := k.load(ctx); err != nil {
		return nil, err
	}
	if dk := (*k.sealing.Load())[petitionID]; dk != nil {
		return dk, nil
	}
	return nil, fmt.Errorf("signing: no usable data key for petition %d after creating one", petitionID)
}

// load reads every data key and rebuilds both maps; k.mu must be held.
// Keys already unwrapped are kept as they are: a process that opened a key
// before a rotation rewrapped it under the new secret key keeps using it.
func (k *Keyring) load(ctx context.Context) error {
	rows, err := k.store.FindDataKeys(ctx)
	if err != nil {
		return err
	}
	old := *k.byID.Load()
	byID := make(map[int64]*dataKey, len(rows))
	sealing := map[int64]*dataKey{}
	for _, row := range rows {
		dk := &dataKey{id: row.ID, petitionID: row.PetitionID}
		switch prev := old[row.ID]; {
		case !row.Live():
			dk.err = vault.ErrKeyDestroyed
		case prev != nil && prev.key != nil:
			dk.key = prev.key
		default:
			raw, err := k.vault.UnwrapDataKey(row.Wrapped, row.ID, row.PetitionID)
			if err == nil {
				dk.key, err = vault.OpenDataKey(raw)
			}
			dk.err = err
		}
		byID[row.ID] = dk
		if dk.key != nil {
			sealing[row.PetitionID] = dk // rows come by id: the newest wins
		}
	}
	k.byID.Store(&byID)
	k.sealing.Store(&sealing)
	if k.every > 0 {
		k.next.Store(k.now().Add(k.every).UnixNano())
	}
	return nil
}

// maybeRefresh starts a reload in the background when one is due. The
// caller never waits for it: sealing keeps using the keys it has.
func (k *Keyring) maybeRefresh() {
	if k.every <= 0 || k.now().UnixNano() < k.next.Load() || !k.refreshing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer k.refreshing.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		k.mu.Lock()
		defer k.mu.Unlock()
		if err := k.load(ctx); err != nil {
			// Try again at the next interval; meanwhile the keys in
			// memory serve.
			k.next.Store(k.now().Add(k.every).UnixNano())
		}
	}()
}
