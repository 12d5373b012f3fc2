package letters

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// The verification digest of a letter is a Merkle tree hash over the
// receipt hashes of exactly the signatures the letter counts, in id order.
// It is the tree of RFC 9162 §2.1.1 (Certificate Transparency):
//
//	leaf  = SHA-256(0x00 ‖ receipt_hash)
//	node  = SHA-256(0x01 ‖ left ‖ right)
//	empty = SHA-256("")
//
// Built level by level, an odd node at the end of a level is carried up
// unchanged to the next level, never paired with a copy of itself: a
// duplicated last node would give the lists (a, b, c) and (a, b, c, c) the
// same root. The prefixes keep a leaf from passing for an inner node. A
// signer's inclusion proof is the list of sibling hashes from their leaf up
// to the root (RFC 9162 §2.1.3); the siblings are hashes of hashes of other
// signers' keyed receipt hashes and are never shown to anyone.

// Hash is a SHA-256 value of the digest tree.
type Hash [sha256.Size]byte

// LeafHash is the tree's leaf for one signature's stored receipt hash.
func LeafHash(receiptHash []byte) Hash {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(receiptHash)
	var out Hash
	h.Sum(out[:0])
	return out
}

// nodeHash is an inner node over its two children.
func nodeHash(left, right *Hash) Hash {
	var buf [1 + 2*sha256.Size]byte
	buf[0] = 1
	copy(buf[1:], left[:])
	copy(buf[1+sha256.Size:], right[:])
	return sha256.Sum256(buf[:])
}

// Root returns the Merkle tree hash of leaves (which it leaves unchanged).
func Root(leaves []Hash) Hash {
	if len(leaves) == 0 {
		return sha256.Sum256(nil)
	}
	level := append([]Hash(nil), leaves...)
	for len(level) > 1 {
		level = nextLevel(level)
	}
	return level[0]
}

// nextLevel hashes pairs of level in place and returns the level above; a
// last node without a pair is carried up unchanged.
func nextLevel(level []Hash) []Hash {
	n := 0
	for i := 0; i+1 < len(level); i += 2 {
		level[n] = nodeHash(&level[i], &level[i+1])
		n++
	}
	if len(level)%2 == 1 {
		level[n] = level[len(level)-1]
		n++
	}
	return level[:n]
}

// Proof is the inclusion proof of one leaf: its index, the tree's size and
// the sibling hashes from the leaf up to the root.
type Proof struct {
	Index, Size int
	Path        []Hash
}

// Prove returns the inclusion proof of leaves[index].
func Prove(leaves []Hash, index int) (Proof, error) {
	if index < 0 || index >= len(leaves) {
		return Proof{}, fmt.Errorf("letters: leaf %d of a tree of %d", index, len(leaves))
	}
	p := Proof{Index: index, Size: len(leaves)}
	level := append([]Hash(nil), leaves...)
	for i := index; len(level) > 1; i /= 2 {
		if sib := i ^ 1; sib < len(level) {
			p.Path = append(p.Path, level[sib])
		}
		level = nextLevel(level)
	}
	return p, nil
}

// Step is one hashing step of a proof, as a signer is shown it: whether
// the neighbouring hash was on the left or the right (never its value).
type Step struct {
	Level       int  // 1 for the step just above the leaves
	SiblingLeft bool // the neighbour was on the left
}

// Verify reports whether the proof takes leaf to root (RFC 9162 §2.1.3.2)
// and returns the steps it took.
func (p Proof) Verify(leaf, root Hash) ([]Step, bool) {
	if p.Index < 0 || p.Index >= p.Size {
		return nil, false
	}
	fn, sn := p.Index, p.Size-1
	r := leaf
	var steps []Step
	level := 0
	for _, sib := range p.Path {
		if sn == 0 {
			return nil, false
		}
		level++
		if fn%2 == 1 || fn == sn {
			r = nodeHash(&sib, &r)
			steps = append(steps, Step{Level: level, SiblingLeft: true})
			// A last node without a pair was carried up unchanged.
			for fn%2 == 0 && fn != 0 {
				fn, sn = fn/2, sn/2
				level++
			}
		} else {
			r = nodeHash(&r, &sib)
			steps = append(steps, Step{Level: level})
		}
		fn, sn = fn/2, sn/2
	}
	return steps, sn == 0 && r == root
}

// EncodeMembers writes ascending ids compactly: their number, then each id
// as the difference from the one before, all as unsigned varints.
func EncodeMembers(ids []int64) []byte {
	out := binary.AppendUvarint(make([]byte, 0, 2*len(ids)+4), uint64(len(ids)))
	prev := int64(0)
	for _, id := range ids {
		out = binary.AppendUvarint(out, uint64(id-prev))
		prev = id
	}
	return out
}

// errMembers reports a members list that is not what EncodeMembers writes.
var errMembers = errors.New("letters: malformed digest members")

// DecodeMembers reads what EncodeMembers wrote.
func DecodeMembers(b []byte) ([]int64, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, errMembers
	}
	b = b[k:]
	ids := make([]int64, 0, n)
	prev := int64(0)
	for range n {
		d, k := binary.Uvarint(b)
		if k <= 0 || (d == 0 && len(ids) > 0) {
			return nil, errMembers
		}
		b = b[k:]
		prev += int64(d)
		ids = append(ids, prev)
	}
	if len(b) != 0 {
		return nil, errMembers
	}
	return ids, nil
}

// FormatRoot writes a root as a signer reads it off a printed letter: 64
// hex digits in eight groups of eight.
func FormatRoot(h []byte) string {
	s := hex.EncodeToString(h)
	var b strings.Builder
	for i := 0; i < len(s); i += 8 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+8, len(s))])
	}
	return b.String()
}

// ErrRootFormat is returned for a typed root that is not 64 hex digits.
var ErrRootFormat = errors.New("letters: a digest root is 64 hexadecimal digits")

// ParseRoot reads a root as typed by a signer: hex digits in either case,
// with any spaces, tabs, line breaks or dashes between them ignored.
func ParseRoot(s string) (Hash, error) {
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '-', '\u00a0':
			return -1
		}
		return r
	}, s)
	var h Hash
	if len(clean) != 2*len(h) {
		return h, ErrRootFormat
	}
	if _, err := hex.Decode(h[:], []byte(clean)); err != nil {
		return h, ErrRootFormat
	}
	return h, nil
}
