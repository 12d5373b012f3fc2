package letters_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cambodia-sanctions/campaign/internal/letters"
)

func leaves(n int) []letters.Hash {
	out := make([]letters.Hash, n)
	for i := range out {
		out[i] = letters.LeafHash(fmt.Appendf(nil, "receipt-%d", i))
	}
	return out
}

// TestRootKnownValues pins the tree's definition (RFC 9162 §2.1.1).
func TestRootKnownValues(t *testing.T) {
	if got := letters.Root(nil); hex.EncodeToString(got[:]) != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("empty tree: %x, want SHA-256 of nothing", got)
	}
	a, b, c := []byte("a"), []byte("b"), []byte("c")
	leaf := func(x []byte) [32]byte { return sha256.Sum256(append([]byte{0}, x...)) }
	node := func(l, r [32]byte) [32]byte { return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...)) }
	la, lb, lc := leaf(a), leaf(b), leaf(c)
	if letters.LeafHash(a) != la {
		t.Fatal("a leaf is not SHA-256(0x00 ‖ receipt hash)")
	}
	tests := []struct {
		name   string
		leaves []letters.Hash
		want   [32]byte
	}{
		{"one leaf is the root", []letters.Hash{la}, la},
		{"two", []letters.Hash{la, lb}, node(la, lb)},
		// The odd last node is carried up, not paired with itself.
		{"three", []letters.Hash{la, lb, lc}, node(node(la, lb), lc)},
	}
	for _, tt := range tests {
		if got := letters.Root(tt.leaves); got != tt.want {
			t.Errorf("%s: %x, want %x", tt.name, got, tt.want)
		}
	}
	// The rule we chose makes (a, b, c) and (a, b, c, c) differ; a rule
	// that duplicated the last node would give both the same root.
	if letters.Root([]letters.Hash{la, lb, lc}) == letters.Root([]letters.Hash{la, lb, lc, lc}) {
		t.Error("a list and the same list with its last leaf repeated have the same root")
	}
}

// TestInclusionProofs proves every leaf of every tree size up to 70 (odd
// sizes, powers of two and their neighbours, a single leaf) and checks
// that a proof fails for anything but its own leaf, position and root.
func TestInclusionProofs(t *testing.T) {
	for n := 1; n <= 70; n++ {
		ls := leaves(n)
		root := letters.Root(ls)
		other := letters.Root(leaves(n + 1))
		for i := range n {
			p, err := letters.Prove(ls, i)
			if err != nil {
				t.Fatal(err)
			}
			steps, ok := p.Verify(ls[i], root)
			if !ok {
				t.Fatalf("n=%d i=%d: the proof of a leaf does not verify", n, i)
			}
			if len(steps) != len(p.Path) {
				t.Fatalf("n=%d i=%d: %d steps for %d hashes", n, i, len(steps), len(p.Path))
			}
			if n == 1 && len(p.Path) != 0 {
				t.Fatalf("a single leaf needs no sibling, got %d", len(p.Path))
			}
			if _, ok := p.Verify(ls[(i+1)%n], root); ok && n > 1 {
				t.Fatalf("n=%d i=%d: another leaf verifies with this proof", n, i)
			}
			if _, ok := p.Verify(ls[i], other); ok {
				t.Fatalf("n=%d i=%d: the proof verifies against another root", n, i)
			}
			if n > 1 {
				moved := p
				moved.Index = (i + 1) % n
				if _, ok := moved.Verify(ls[i], root); ok {
					t.Fatalf("n=%d i=%d: the proof verifies at another position", n, i)
				}
				bad := p
				bad.Path = slices.Clone(p.Path)
				bad.Path[0][0] ^= 1
				if _, ok := bad.Verify(ls[i], root); ok {
					t.Fatalf("n=%d i=%d: a proof with a changed sibling verifies", n, i)
				}
				short := p
				short.Path = p.Path[:len(p.Path)-1]
				if _, ok := short.Verify(ls[i], root); ok {
					t.Fatalf("n=%d i=%d: a truncated proof verifies", n, i)
				}
			}
		}
	}
}

func TestProofLengths(t *testing.T) {
	tests := []struct{ n, index, want int }{
		{1, 0, 0}, {2, 1, 1}, {3, 2, 1}, {3, 0, 2}, {4, 3, 2}, {5, 4, 1}, {8, 5, 3}, {1000, 999, 8}, {1000, 0, 10},
	}
	for _, tt := range tests {
		p, _ := letters.Prove(leaves(tt.n), tt.index)
		if len(p.Path) != tt.want {
			t.Errorf("leaf %d of %d: %d hashes, want %d", tt.index, tt.n, len(p.Path), tt.want)
		}
	}
	if _, err := letters.Prove(leaves(3), 3); err == nil {
		t.Error("a proof for a leaf past the end")
	}
}

func TestMembersRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 1000} {
		ids := make([]int64, 0, n)
		id := int64(0)
		for range n {
			id += 1 + r.Int64N(1<<20)
			ids = append(ids, id)
		}
		b := letters.EncodeMembers(ids)
		got, err := letters.DecodeMembers(b)
		if err != nil || !slices.Equal(got, ids) || (n > 0 && got == nil) {
			t.Errorf("%d ids: got %d back, err %v", n, len(got), err)
		}
	}
	consecutive := make([]int64, 100000)
	for i := range consecutive {
		consecutive[i] = int64(i + 1)
	}
	if b := letters.EncodeMembers(consecutive); len(b) > 100003 {
		t.Errorf("100,000 consecutive ids take %d bytes, want about one each", len(b))
	}
	for _, bad := range [][]byte{nil, {}, {5, 1}, {2, 1, 0}, {1, 1, 9}, {0x80}} {
		if _, err := letters.DecodeMembers(bad); err == nil {
			t.Errorf("malformed members %v decoded", bad)
		}
	}
}

func TestRootTyping(t *testing.T) {
	h := letters.LeafHash([]byte("x"))
	printed := letters.FormatRoot(h[:])
	if len(printed) != 64+7 {
		t.Errorf("printed root %q is not eight groups of eight", printed)
	}
	for _, typed := range []string{printed, hex.EncodeToString(h[:]), " " + printed + "\n",
		hex.EncodeToString(h[:])[:30] + " - \t" + hex.EncodeToString(h[:])[30:]} {
		got, err := letters.ParseRoot(typed)
		if err != nil || got != h {
			t.Errorf("ParseRoot(%q) = %x, %v", typed, got, err)
		}
	}
	upper, err := letters.ParseRoot(fmt.Sprintf("%X", h[:]))
	if err != nil || upper != h {
		t.Errorf("upper-case hex: %v", err)
	}
	for _, bad := range []string{"", "abc", printed[:70], printed + "0", "zz" + printed[2:]} {
		if _, err := letters.ParseRoot(bad); err == nil {
			t.Errorf("ParseRoot(%q) accepted", bad)
		}
	}
}
