package vault

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"
	"time"
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

func TestClientTag(t *testing.T) {
	v := mustVault(t, 1)
	addr := netip.MustParseAddr("2001:db8:1:2::1")
	day1 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	phnomPenh := time.FixedZone("ICT", 7*3600)
	tests := []struct {
		name string
		a, b time.Time
		same bool
	}{
		{"same UTC day", day1, day1.Add(23*time.Hour + 59*time.Minute), true},
		{"next UTC day", day1.Add(23*time.Hour + 59*time.Minute), day1.Add(24 * time.Hour), false},
		{"zone does not matter, UTC date does", time.Date(2025, 3, 2, 6, 0, 0, 0, phnomPenh), day1.Add(23 * time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ta, tb := v.ClientTag(addr, tt.a), v.ClientTag(addr, tt.b)
			if len(ta) != 16 {
				t.Fatalf("ClientTag length = %d, want 16", len(ta))
			}
			if bytes.Equal(ta, tb) != tt.same {
				t.Errorf("ClientTag at %v = %x, at %v = %x; want same = %v", tt.a, ta, tt.b, tb, tt.same)
			}
		})
	}
	if a, b := v.ClientTag(addr, day1), v.ClientTag(netip.MustParseAddr("2001:db8:1:2::99"), day1); !bytes.Equal(a, b) {
		t.Errorf("ClientTag differs within one /64 on one day (%x vs %x); want the same tag", a, b)
	}
	if a, b := v.ClientTag(addr, day1), v.ClientTag(netip.MustParseAddr("2001:db8:1:3::1"), day1); bytes.Equal(a, b) {
		t.Errorf("ClientTag equal for two /64s on one day (%x); want different", a)
	}
	if tag, key := v.ClientTag(addr, day1), v.ClientKey(addr); hex.EncodeToString(tag) == key {
		t.Errorf("ClientTag reuses the ClientKey value; want a separate key")
	}
}
