package signing

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

// A key rotation moves all personal data from the secret key a campaign
// runs with (old) to a new one, while the server keeps signing with the old
// key. It happens in two steps.
//
// Rotate, run with both keys:
//
//  1. gives every petition a new data key, wrapped under both secret keys
//     for now, so a running server's keyring moves to it at its next
//     refresh (DefaultKeyRefresh) and rows it signs from then on are
//     already under the new key;
//  2. re-encrypts every signature under its petition's new data key in
//     batches, each its own short transaction, and recomputes the keyed
//     email hashes under the new secret key where the email is still
//     stored (duplicates keep being found after the switch);
//  3. in one transaction, leaves the new data keys wrapped under the new
//     secret key only, and wraps every older data key — including any
//     that a running server is still sealing with — under both; seals the
//     client-tag keys under the new secret key.
//
// From then on every data key opens with the new secret key, so nothing a
// server signs before it is restarted with the new key is lost: rows it
// seals with a data key it holds in memory stay readable. A process still
// running with the old key cannot make a data key any more (ErrKeyRotated);
// only a petition created during the rotation could need one.
//
// Finish, run with the new key once the server runs with it, re-encrypts
// what was signed with the old key since the rotation began (new data key,
// new keyed hashes) and strips the old secret key's wrapping from every
// data key: after it, nothing in the database opens with the old key.

// RotationStore is what a key rotation needs from the database (*store.DB).
type RotationStore interface {
	KeyStore
	FindPetitions(ctx context.Context) ([]*store.Petition, error)
	RewrapDataKeys(ctx context.Context, rewrap func([]*store.DataKey) (map[int64][]byte, error)) (int, error)
	FindSignaturesToRekey(ctx context.Context, afterID, untilID int64, current []int64, since int64, limit int) ([]*store.Signature, error)
	UpdateRekeyed(ctx context.Context, batch []store.Rekey) (store.RekeyResult, error)
	ResealClientTagKeys(ctx context.Context, reseal func(day string, sealed []byte) ([]byte, error)) (int, error)
	MaxSignatureID(ctx context.Context) (int64, error)
	SetKeyRotationMark(ctx context.Context, id int64) error
	KeyRotationMark(ctx context.Context) (int64, bool, error)
	ClearKeyRotationMark(ctx context.Context) error
}

// Rotator re-encrypts the personal data of a campaign. Set Progress to
// hear of each batch; Batch and Settle have working defaults.
type Rotator struct {
	st       RotationStore
	old, new *vault.Vault // old is nil when finishing
	openers  []*Keyring   // keyrings a row is opened with, in order
	targets  map[int64]target

	// Progress, if not nil, is called after each batch with the rows
	// re-encrypted so far and the id reached.
	Progress func(rows, atID int64)
	// Batch is how many rows one transaction re-encrypts.
	Batch int
	// Settle is how long Rotate leaves between giving petitions their new
	// data keys and taking the old secret key's wrapping off them, so that
	// running servers have loaded the new keys meanwhile.
	Settle time.Duration
	// Passes bounds how often Rotate walks the signatures.
	Passes int
	// Pause, if true, waits after each batch as long as its transaction
	// took, so the signature writer of a running server always gets in.
	Pause bool
}

// target is the data key a petition's rows are moved to.
type target struct {
	id  int64
	key *vault.DataKey
}

// RotationReport says what a rotation step did.
type RotationReport struct {
	Rows       int64 // signatures re-encrypted
	KeysMade   int   // data keys created
	Rewrapped  int   // data keys whose wrapping changed
	TagKeys    int   // client-tag keys sealed again
	Unreadable int64 // rows that no key opened (left as they are)
	Erased     int64 // rows whose data key was destroyed (nothing to move)
	Conflicts  int64 // rows that kept their old email hash: the new one was taken
}

// NewRotator prepares a rotation from the secret key of old to that of
// new; old nil prepares Finish.
func NewRotator(st RotationStore, old, new *vault.Vault) *Rotator {
	r := &Rotator{st: st, old: old, new: new, targets: map[int64]target{},
		Batch: 1000, Settle: DefaultKeyRefresh + time.Second, Passes: 3, Pause: true}
	if old != nil {
		r.openers = append(r.openers, NewKeyring(st, old).SetRefresh(0, time.Now))
	}
	r.openers = append(r.openers, NewKeyring(st, new).SetRefresh(0, time.Now))
	return r
}

// Rotate runs the first step (see above). It can be run again after an
// interruption with the same two keys: it carries on where it stopped.
func (r *Rotator) Rotate(ctx context.Context) (RotationReport, error) {
	var rep RotationReport
	if r.old == nil {
		return rep, errors.New("signing: Rotate needs the old secret key")
	}
	since, err := r.markStart(ctx)
	if err != nil {
		return rep, err
	}
	if err := r.checkKeys(ctx); err != nil {
		return rep, err
	}
	ps, err := r.st.FindPetitions(ctx)
	if err != nil {
		return rep, err
	}
	settled := time.Now().Add(r.Settle)
	for _, p := range ps {
		made, err := r.target(ctx, p.ID)
		if err != nil {
			return rep, err
		}
		if made {
			rep.KeysMade++
		}
	}
	// The first pass moves everything; later ones, once running servers
	// have loaded the new keys, what was signed meanwhile. Rows a server
	// still seals under an older key after the last pass stay readable
	// (step 3) and are moved by Finish.
	for pass := 0; pass < max(r.Passes, 1); pass++ {
		if pass == 1 {
			select {
			case <-ctx.Done():
				return rep, ctx.Err()
			case <-time.After(time.Until(settled)):
			}
		}
		before := rep.Rows
		if err := r.pass(ctx, since, &rep); err != nil {
			return rep, err
		}
		if pass > 0 && rep.Rows == before {
			break
		}
	}
	if rep.Rewrapped, err = r.st.RewrapDataKeys(ctx, r.rewrapForRotation); err != nil {
		return rep, fmt.Errorf("rewrap data keys: %w", err)
	}
	rep.TagKeys, err = r.st.ResealClientTagKeys(ctx, func(day string, sealed []byte) ([]byte, error) {
		k, err := r.old.Open(sealed, TagKeyAAD(day))
		if err != nil {
			return nil, nil // already sealed under the new key, or not readable: left as it is
		}
		return r.new.Seal(k, TagKeyAAD(day))
	})
	if err != nil {
		return rep, fmt.Errorf("reseal client-tag keys: %w", err)
	}
	return rep, nil
}

// Finish runs the second step (see above) with the new secret key only.
// Run without a rotation before it, it moves rows sealed with the vault's
// own field key to data keys.
func (r *Rotator) Finish(ctx context.Context) (RotationReport, error) {
	var rep RotationReport
	since, ok, err := r.st.KeyRotationMark(ctx)
	if err != nil {
		return rep, err
	}
	if !ok {
		since = math.MaxInt64
	}
	if err := r.checkKeys(ctx); err != nil {
		return rep, err
	}
	if err := r.pass(ctx, since, &rep); err != nil {
		return rep, err
	}
	if rep.Rewrapped, err = r.st.RewrapDataKeys(ctx, r.rewrapForFinish); err != nil {
		return rep, fmt.Errorf("rewrap data keys: %w", err)
	}
	return rep, r.st.ClearKeyRotationMark(ctx)
}

// markStart records the highest signature id as the start of the rotation,
// unless an unfinished rotation recorded an earlier one.
func (r *Rotator) markStart(ctx context.Context) (int64, error) {
	if id, ok, err := r.st.KeyRotationMark(ctx); err != nil || ok {
		return id, err
	}
	id, err := r.st.MaxSignatureID(ctx)
	if err != nil {
		return 0, err
	}
	return id, r.st.SetKeyRotationMark(ctx, id)
}

// checkKeys refuses to start when a live data key opens with none of the
// keys at hand: the key given is not the one the database was written with.
func (r *Rotator) checkKeys(ctx context.Context) error {
	keys, err := r.st.FindDataKeys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.Live() && r.unwrap(k) == nil {
			if r.old == nil {
				return fmt.Errorf("data key %d does not open with this secret key: run this with the new key, once the server runs with it", k.ID)
			}
			return fmt.Errorf("data key %d opens with neither the current nor the new secret key: is the current key the one this database was written with?", k.ID)
		}
	}
	return nil
}

// unwrap returns the raw data key of k under any key at hand, or nil.
func (r *Rotator) unwrap(k *store.DataKey) []byte {
	for _, v := range []*vault.Vault{r.new, r.old} {
		if v == nil {
			continue
		}
		if raw, err := v.UnwrapDataKey(k.Wrapped, k.ID, k.PetitionID); err == nil {
			return raw
		}
	}
	return nil
}

// target finds or makes the data key petitionID's rows move to: its newest
// key that opens with the new secret key. Rotate makes it wrapped under
// both keys, for servers still running with the old one; Finish as any
// keyring does. It reports whether it made one.
func (r *Rotator) target(ctx context.Context, petitionID int64) (made bool, err error) {
	if _, ok := r.targets[petitionID]; ok {
		return false, nil
	}
	t, ok, err := r.findTarget(ctx, petitionID)
	if err != nil || ok {
		r.targets[petitionID] = t
		return false, err
	}
	if r.old == nil {
		_, _, err = r.openers[0].SealingKey(ctx, petitionID)
	} else {
		err = r.makeTarget(ctx, petitionID)
	}
	if err != nil {
		return false, fmt.Errorf("new data key for petition %d: %w", petitionID, err)
	}
	if t, ok, err = r.findTarget(ctx, petitionID); err == nil && !ok {
		err = fmt.Errorf("signing: the new data key of petition %d cannot be found", petitionID)
	}
	if err != nil {
		return false, err
	}
	r.targets[petitionID] = t
	return true, nil
}

// findTarget returns the newest live data key of petitionID that opens
// with the new secret key.
func (r *Rotator) findTarget(ctx context.Context, petitionID int64) (target, bool, error) {
	keys, err := r.st.FindDataKeys(ctx)
	if err != nil {
		return target{}, false, err
	}
	var raw []byte
	var found *store.DataKey
	for _, k := range keys {
		if k.PetitionID != petitionID || !k.Live() {
			continue
		}
		if b, err := r.new.UnwrapDataKey(k.Wrapped, k.ID, k.PetitionID); err == nil {
			raw, found = b, k
		}
	}
	if found == nil {
		return target{}, false, nil
	}
	dk, err := vault.OpenDataKey(raw)
	if err != nil {
		return target{}, false, err
	}
	return target{found.ID, dk}, true, nil
}

// makeTarget creates a data key for petitionID wrapped under both secret
// keys.
func (r *Rotator) makeTarget(ctx context.Context, petitionID int64) error {
	raw, err := vault.NewDataKey()
	if err != nil {
		return err
	}
	check := func(keys []*store.DataKey) error {
		for _, k := range keys {
			if k.Live() && r.unwrap(k) == nil {
				return fmt.Errorf("data key %d opens with neither secret key", k.ID)
			}
		}
		return nil
	}
	wrap := func(id int64) ([]byte, error) {
		a, err := r.new.WrapDataKey(raw, id, petitionID)
		if err != nil {
			return nil, err
		}
		b, err := r.old.WrapDataKey(raw, id, petitionID)
		if err != nil {
			return nil, err
		}
		return vault.JoinWraps(a, b)
	}
	_, err = r.st.CreateDataKey(ctx, petitionID, check, wrap)
	return err
}
