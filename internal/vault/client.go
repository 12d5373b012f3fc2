package vault

import (
	"crypto/rand"
	"encoding/hex"
	"net/netip"
)

// clientHashSize is the length of client keys and tags: 128 bits is plenty
// to keep buckets apart and too short to matter as a fingerprint.
const clientHashSize = 16

// ClientKey returns a keyed hash, as 32 hex characters, of the client's
// network for in-memory rate-limit buckets: the whole address for IPv4
// (including IPv4-mapped IPv6), the /64 prefix for IPv6, since one IPv6
// subscriber usually holds a whole /64. The address cannot be read back from
// the result. All invalid addresses share one bucket.
func (v *Vault) ClientKey(addr netip.Addr) string {
	return hex.EncodeToString(mac(v.clientKey, clientNetwork(addr))[:clientHashSize])
}

// clientNetwork returns the bytes that identify a client's network, prefixed
// by the family so an IPv4 address never collides with an IPv6 prefix.
func clientNetwork(addr netip.Addr) []byte {
	addr = addr.Unmap()
	switch {
	case addr.Is4():
		a := addr.As4()
		return append([]byte{4}, a[:]...)
	case addr.Is6():
		a := addr.As16()
		return append([]byte{6}, a[:8]...)
	default:
		return []byte{0}
	}
}

// NewTagKey returns a fresh random key for one day's client tags.
func NewTagKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	return k, nil
}

// TagWithKey returns a 16-byte keyed hash of the client's network (same rule
// as ClientKey) under a random day key that is stored, sealed, only for a
// week: once the key is deleted the tag cannot be linked to any network.
func TagWithKey(dayKey []byte, addr netip.Addr) []byte {
	return mac(dayKey, clientNetwork(addr))[:clientHashSize]
}
