package signing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

// The row-by-row work of a key rotation (see rotate.go): walking the
// signatures, re-encrypting them, and rewrapping the data keys.

// pass walks the signatures there are when it starts, from the lowest id,
// and re-encrypts those not yet under their petition's target key or
// signed since the rotation began. Rows signed meanwhile are the next
// pass's.
func (r *Rotator) pass(ctx context.Context, since int64, rep *RotationReport) error {
	until, err := r.st.MaxSignatureID(ctx)
	if err != nil {
		return err
	}
	var after int64
	for {
		current := make([]int64, 0, len(r.targets))
		for _, t := range r.targets {
			current = append(current, t.id)
		}
		rows, err := r.st.FindSignaturesToRekey(ctx, after, until, current, since, r.Batch)
		if err != nil || len(rows) == 0 {
			return err
		}
		after = rows[len(rows)-1].ID
		n, took, err := r.batch(ctx, rows, rep)
		if err != nil {
			return err
		}
		rep.Rows += n
		if r.Progress != nil {
			r.Progress(rep.Rows, after)
		}
		if r.Pause && took > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(min(took, time.Second)):
			}
		}
	}
}

// batch re-encrypts one batch of rows and stores them; rows whose new email
// hash is taken by another signature of the petition (the same address
// signed again under the old key while the rotation ran) keep their hash.
func (r *Rotator) batch(ctx context.Context, rows []*store.Signature, rep *RotationReport) (int64, time.Duration, error) {
	var todo []store.Rekey
	for _, sig := range rows {
		n, err := r.rekey(ctx, sig, false)
		switch {
		case errors.Is(err, vault.ErrKeyDestroyed):
			rep.Erased++
		case errors.Is(err, errUnreadable):
			rep.Unreadable++
		case err != nil:
			return 0, 0, err
		case n != nil:
			todo = append(todo, store.Rekey{Old: sig, New: n})
		}
	}
	if len(todo) == 0 {
		return 0, 0, nil
	}
	start := time.Now()
	res, err := r.st.UpdateRekeyed(ctx, todo)
	if err != nil {
		return 0, 0, err
	}
	done := int64(res.Updated)
	if len(res.Conflicts) > 0 {
		var again []store.Rekey
		for _, i := range res.Conflicts {
			n, err := r.rekey(ctx, todo[i].Old, true)
			if err != nil {
				return done, 0, err
			}
			if n != nil {
				again = append(again, store.Rekey{Old: todo[i].Old, New: n})
			}
		}
		rep.Conflicts += int64(len(again))
		res, err := r.st.UpdateRekeyed(ctx, again)
		if err != nil {
			return done, 0, err
		}
		done += int64(res.Updated)
	}
	return done, time.Since(start), nil
}

// errUnreadable marks a row that no key at hand opens.
var errUnreadable = errors.New("no key opens this signature")

// rekey returns sig re-encrypted under its petition's target key with its
// keyed hashes under the new secret key (the old email hash with
// keepHash), or nil when it already is.
func (r *Rotator) rekey(ctx context.Context, sig *store.Signature, keepHash bool) (*store.Signature, error) {
	in, err := r.open(ctx, sig)
	if err != nil {
		return nil, err
	}
	if _, err := r.target(ctx, sig.PetitionID); err != nil {
		return nil, err
	}
	t := r.targets[sig.PetitionID]
	n := &store.Signature{ID: sig.ID, PetitionID: sig.PetitionID, EmailHash: sig.EmailHash,
		EmailDomainHash: sig.EmailDomainHash, KeyID: &t.id}
	if in.Email != "" {
		if !keepHash {
			n.EmailHash = r.new.EmailHash(in.Email)
		}
		if len(sig.EmailDomainHash) > 0 {
			n.EmailDomainHash = r.new.EmailDomainHash(in.Email)
		}
	}
	if sig.KeyID != nil && *sig.KeyID == t.id && bytes.Equal(n.EmailHash, sig.EmailHash) &&
		bytes.Equal(n.EmailDomainHash, sig.EmailDomainHash) {
		return nil, nil
	}
	return n, sealFields(t.key, n, in)
}

// open decrypts the personal fields of sig with whichever key opens them.
func (r *Rotator) open(ctx context.Context, sig *store.Signature) (Input, error) {
	var destroyed error
	for _, kr := range r.openers {
		svc := &Service{vault: kr.vault, keys: kr}
		in, err := svc.Open(sig)
		if err == nil {
			return in, nil
		}
		if errors.Is(err, vault.ErrKeyDestroyed) {
			destroyed = err
		}
	}
	if destroyed != nil {
		return Input{}, destroyed
	}
	return Input{}, fmt.Errorf("signature %d: %w", sig.ID, errUnreadable)
}

// rewrapForRotation wraps each new data key under the new secret key only
// and every other live data key under both.
func (r *Rotator) rewrapForRotation(keys []*store.DataKey) (map[int64][]byte, error) {
	isTarget := map[int64]bool{}
	for _, t := range r.targets {
		isTarget[t.id] = true
	}
	out := map[int64][]byte{}
	for _, k := range keys {
		if !k.Live() {
			continue
		}
		raw := r.unwrap(k)
		if raw == nil {
			return nil, fmt.Errorf("data key %d opens with neither secret key", k.ID)
		}
		w, err := r.new.WrapDataKey(raw, k.ID, k.PetitionID)
		if err != nil {
			return nil, err
		}
		if !isTarget[k.ID] {
			old, err := r.old.WrapDataKey(raw, k.ID, k.PetitionID)
			if err != nil {
				return nil, err
			}
			if w, err = vault.JoinWraps(w, old); err != nil {
				return nil, err
			}
		}
		out[k.ID] = w
	}
	return out, nil
}

// rewrapForFinish wraps every live data key under the new secret key only.
func (r *Rotator) rewrapForFinish(keys []*store.DataKey) (map[int64][]byte, error) {
	out := map[int64][]byte{}
	for _, k := range keys {
		if !k.Live() {
			continue
		}
		raw, err := r.new.UnwrapDataKey(k.Wrapped, k.ID, k.PetitionID)
		if err != nil {
			return nil, fmt.Errorf("data key %d: %w", k.ID, err)
		}
		if out[k.ID], err = r.new.WrapDataKey(raw, k.ID, k.PetitionID); err != nil {
			return nil, err
		}
	}
	return out, nil
}
