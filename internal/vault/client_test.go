package vault

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"
)

func TestClientKey(t *testing.T) {
	v := mustVault(t, 1)
	key := func(s string) string { return v.ClientKey(netip.MustParseAddr(s)) }
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"IPv6 same /64", "2001:db8:1:2::1", "2001:db8:1:2:ffff:eeee:dddd:cccc", true},
		{"IPv6 other /64", "2001:db8:1:2::1", "2001:db8:1:3::1", false},
		{"IPv6 zone ignored", "fe80::1%eth0", "fe80::2", true},
		{"IPv4 neighbours", "203.0.113.7", "203.0.113.8", false},
		{"IPv4-mapped IPv6 is IPv4", "::ffff:203.0.113.7", "203.0.113.7", true},
		{"IPv4 vs IPv6 with same leading bytes", "32.1.13.184", "2001:db8::", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ka, kb := key(tt.a), key(tt.b)
			if (ka == kb) != tt.same {
				t.Errorf("ClientKey(%s) = %s, ClientKey(%s) = %s; want same bucket = %v", tt.a, ka, tt.b, kb, tt.same)
			}
		})
	}
	for _, s := range []string{"203.0.113.7", "2001:db8:1:2::1"} {
		k := key(s)
		if len(k) != 32 {
			t.Errorf("ClientKey(%s) = %q, want 32 hex characters", s, k)
		}
		if strings.Contains(k, s) || strings.Contains(k, "2001") || strings.Contains(k, "db8") {
			t.Errorf("ClientKey(%s) = %q contains the address text", s, k)
		}
	}
	if other := mustVault(t, 2).ClientKey(netip.MustParseAddr("203.0.113.7")); other == key("203.0.113.7") {
		t.Errorf("ClientKey is the same under two secret keys; want it keyed")
	}
}

func TestTagWithKey(t *testing.T) {
	v := mustVault(t, 1)
	k1, _ := NewTagKey()
	k2, _ := NewTagKey()
	addr := netip.MustParseAddr("2001:db8:1:2::1")
	if got := TagWithKey(k1, addr); len(got) != 16 {
		t.Fatalf("tag length = %d, want 16", len(got))
	}
	if a, b := TagWithKey(k1, addr), TagWithKey(k1, netip.MustParseAddr("2001:db8:1:2::99")); !bytes.Equal(a, b) {
		t.Errorf("tags differ within one /64 (%x vs %x); want the same", a, b)
	}
	if a, b := TagWithKey(k1, addr), TagWithKey(k1, netip.MustParseAddr("2001:db8:1:3::1")); bytes.Equal(a, b) {
		t.Errorf("tags equal for two /64s (%x); want different", a)
	}
	if bytes.Equal(TagWithKey(k1, addr), TagWithKey(k2, addr)) {
		t.Error("tags equal under two day keys; want different")
	}
	if hex.EncodeToString(TagWithKey(k1, addr)) == v.ClientKey(addr) {
		t.Error("tag equals the rate-limit key")
	}
}
