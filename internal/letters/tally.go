package letters

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/cambodia-sanctions/campaign/internal/jurisdiction"
	"github.com/cambodia-sanctions/campaign/internal/signing"
	"github.com/cambodia-sanctions/campaign/internal/store"
	"github.com/cambodia-sanctions/campaign/internal/vault"
)

// tally is what one pass over a petition's confirmed signatures gives the
// letters: the total, and for each jurisdiction written to the signatures
// it counts (ids and Merkle leaves, in id order) and the names of those
// who consented to be named.
type tally struct {
	total  int64
	groups map[string]*group // by jurisdiction code
}

// group is the signatures one letter counts.
type group struct {
	ids    []int64
	leaves []Hash
	names  []signer
}

// signer is a consenting signer's name as the letters print it.
type signer struct {
	country, name, city string
}

// empty is the group of a letter nobody has signed for yet.
var empty = &group{}

func (t *tally) group(code string) *group {
	if g := t.groups[code]; g != nil {
		return g
	}
	return empty
}

// tally reads the petition's confirmed signatures once, in id order. A
// signature counts in the letter to its country of residence and, for a
// resident of an EU member state, in the EU's letter too. Names are
// decrypted only for signers who consented and only where a letter prints
// them; emails are never read.
func (s *Service) tally(ctx context.Context, petitionID int64, js []jurisdiction.Jurisdiction) (*tally, error) {
	t := &tally{groups: map[string]*group{}}
	for _, j := range js {
		t.groups[j.Code] = &group{}
	}
	eu := t.groups[EU]
	members := euMemberCodes(s.reg)
	err := s.store.ScanLetterSigners(ctx, petitionID, func(row *store.LetterSigner) error {
		t.total++
		home := t.groups[string(row.Country)]
		inEU := eu != nil && members[string(row.Country)]
		if home == nil && !inEU {
			return nil
		}
		leaf := LeafHash(row.ReceiptHash)
		var named *signer
		if row.IncludeInLetters && len(row.NameEnc) > 0 {
			n, err := s.open(ctx, petitionID, row)
			switch {
			case errors.Is(err, vault.ErrKeyDestroyed):
				// Shredded: the signature still counts, unnamed, as
				// once its personal data is erased.
			case err != nil:
				return err
			default:
				named = &n
			}
		}
		for _, g := range []*group{home, eu} {
			if g == nil || (g == eu && !inEU) {
				continue
			}
			g.ids = append(g.ids, row.ID)
			g.leaves = append(g.leaves, leaf)
			if named != nil {
				g.names = append(g.names, *named)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// open decrypts the name and city of a consenting signer.
func (s *Service) open(ctx context.Context, petitionID int64, row *store.LetterSigner) (signer, error) {
	n := signer{country: string(row.Country)}
	name, err := s.keys.OpenField(ctx, row.KeyID, row.NameEnc, signing.FieldAAD(petitionID, row.EmailHash, "name"))
	if err != nil {
		return n, fmt.Errorf("open the name of signature %d: %w", row.ID, err)
	}
	n.name = string(name)
	if len(row.CityEnc) > 0 {
		city, err := s.keys.OpenField(ctx, row.KeyID, row.CityEnc, signing.FieldAAD(petitionID, row.EmailHash, "city"))
		if err != nil {
			return n, fmt.Errorf("open the city of signature %d: %w", row.ID, err)
		}
		n.city = string(city)
	}
	return n, nil
}

// roots computes every group's Merkle root, on up to workers goroutines.
func (t *tally) roots(workers int) map[string]Hash {
	out := make(map[string]Hash, len(t.groups))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(workers, 1))
	for code, g := range t.groups {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			r := Root(g.leaves)
			mu.Lock()
			out[code] = r
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}
