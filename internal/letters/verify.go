package letters

import (
	"context"
	"slices"
	"time"

	"github.com/cambodia-sanctions/campaign/internal/store"
)

// Inclusion is the answer to a signer who checks a letter's digest.
type Inclusion struct {
	Included     bool
	Jurisdiction string // code of the letter whose digest includes the signature
	Count        int64  // signatures the letter counts
	GeneratedAt  time.Time
	Steps        []Step // the proof's hashing steps, from the leaf up
}

// Verify checks whether signature sig is counted in a letter of its
// petition whose digest root is root. It decodes the letter's members,
// reads their receipt hashes, recomputes the root from them (a digest
// whose members no longer give its root proves nothing) and checks the
// inclusion proof of sig's own receipt hash against it. Anything that does
// not prove inclusion — no such root, not a member, a changed database —
// is the same "not included"; the answer names nothing of other signers.
func (s *Service) Verify(ctx context.Context, sig *store.Signature, root Hash) (Inclusion, error) {
	digests, err := s.store.FindLetterDigestsByRoot(ctx, sig.PetitionID, root[:])
	if err != nil {
		return Inclusion{}, err
	}
	for _, d := range digests {
		in, err := s.verifyIn(ctx, d, sig, root)
		if err != nil || in.Included {
			return in, err
		}
	}
	return Inclusion{}, nil
}

func (s *Service) verifyIn(ctx context.Context, d *store.LetterDigest, sig *store.Signature, root Hash) (Inclusion, error) {
	ids, err := DecodeMembers(d.Members)
	if err != nil {
		return Inclusion{}, nil
	}
	index, found := slices.BinarySearch(ids, sig.ID)
	if !found {
		return Inclusion{}, nil
	}
	hashes, err := s.store.FindReceiptHashes(ctx, d.PetitionID, ids)
	if err != nil {
		return Inclusion{}, err
	}
	leaves := make([]Hash, len(hashes))
	for i, h := range hashes {
		if h == nil {
			return Inclusion{}, nil
		}
		leaves[i] = LeafHash(h)
	}
	if Root(leaves) != root {
		return Inclusion{}, nil
	}
	proof, err := Prove(leaves, index)
	if err != nil {
		return Inclusion{}, nil
	}
	steps, ok := proof.Verify(LeafHash(sig.ReceiptHash), root)
	if !ok {
		return Inclusion{}, nil
	}
	return Inclusion{Included: true, Jurisdiction: d.Jurisdiction, Count: d.SignerCount,
		GeneratedAt: d.GeneratedAt, Steps: steps}, nil
}
