package main

import (
	"math/big"
	"net"
	"net/netip"
	"testing"
)

// ianaSpecial is the test's own copy of the IANA IPv4 and IPv6
// Special-Purpose Address Registries (every row, 2026), plus multicast and
// the address forms RFC 4291 and RFC 3879 deprecate.
var ianaSpecial = []string{
	// IPv4
	"0.0.0.0/8", "0.0.0.0/32", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
	"169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.0.0.0/29",
	"192.0.0.8/32", "192.0.0.9/32", "192.0.0.10/32", "192.0.0.170/32",
	"192.0.0.171/32", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24",
	"192.88.99.0/24", "192.168.0.0/16", "192.175.48.0/24", "198.18.0.0/15",
	"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
	"224.0.0.0/4",
	// IPv6
	"::1/128", "::/128", "::ffff:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48",
	"100::/64", "100:0:0:1::/64", "2001::/23", "2001::/32", "2001:1::1/128",
	"2001:1::2/128", "2001:1::3/128", "2001:2::/48", "2001:3::/32",
	"2001:4:112::/48", "2001:10::/28", "2001:20::/28", "2001:30::/28",
	"2001:db8::/32", "2002::/16", "2620:4f:8000::/48", "3fff::/20",
	"5f00::/16", "fc00::/7", "fe80::/10",
	"::/96", "fec0::/10", "ff00::/8",
}

// lastOf returns the last address of a prefix.
func lastOf(n *net.IPNet) net.IP {
	ip := n.IP.To16()
	if len(n.Mask) == net.IPv4len {
		ip = n.IP.To4()
	}
	last := make(net.IP, len(ip))
	for i := range ip {
		last[i] = ip[i] | ^n.Mask[i]
	}
	return last
}

// TestSpecialPurposeAddressesRefused: for every row of the registries, its
// first, middle and last address (and, for IPv4, the IPv4-mapped IPv6
// form of each) is refused as an owner's bucket endpoint; NAT64 and 6to4
// forms of private addresses too; public addresses pass.
func TestSpecialPurposeAddressesRefused(t *testing.T) {
	p, err := newEndpointPolicy("")
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range ianaSpecial {
		_, n, err := net.ParseCIDR(row)
		if err != nil {
			t.Fatalf("%s: %v", row, err)
		}
		last := lastOf(n)
		first := n.IP.To16()
		if len(last) == net.IPv4len {
			first = n.IP.To4()
		}
		mid := new(big.Int).Add(new(big.Int).SetBytes(first), new(big.Int).SetBytes(last))
		mid.Rsh(mid, 1)
		midIP := make(net.IP, len(last))
		mid.FillBytes(midIP)
		for _, ip := range []net.IP{first, midIP, last} {
			forms := []net.IP{ip}
			if v4 := ip.To4(); v4 != nil {
				forms = append(forms, v4.To16()) // ::ffff:a.b.c.d
			}
			for _, f := range forms {
				if _, err := p.check(t.Context(), f.String()); err == nil {
					t.Errorf("row %s: %s accepted as a bucket endpoint", row, f)
				}
				if err := p.allowed("host.example", f); err == nil {
					t.Errorf("row %s: %s allowed at dial time", row, f)
				}
			}
		}
	}
	for _, s := range []string{
		"64:ff9b::a9fe:a9fe", // NAT64 form of 169.254.169.254
		"64:ff9b::7f00:1",    // NAT64 form of 127.0.0.1
		"2002:c0a8:0101::1",  // 6to4 form of 192.168.1.1
		"2002:7f00:1::",      // 6to4 form of 127.0.0.1
		"::7f00:1",           // IPv4-compatible 127.0.0.1
		"::a00:1",            // IPv4-compatible 10.0.0.1
		"::ffff:169.254.169.254",
		"[::ffff:0.0.0.1]:9000",
		"0.1.2.3:9000",
		"198.19.255.254",
		"241.0.0.1",
	} {
		if _, err := p.check(t.Context(), s); err == nil {
			t.Errorf("%s accepted as a bucket endpoint", s)
		}
	}
	for _, s := range []string{"151.101.2.10", "8.8.8.8", "1.1.1.1", "198.20.0.1", "223.255.255.254",
		"2a00:1450:4007:80e::2004", "2606:4700::1111", "2003::1"} {
		if _, err := p.check(t.Context(), s); err != nil {
			t.Errorf("public address %s refused: %v", s, err)
		}
	}
	// The code's table holds every row.
	have := map[netip.Prefix]bool{}
	for _, r := range specialRanges {
		have[r.prefix.Masked()] = true
	}
	for _, row := range ianaSpecial {
		if !have[netip.MustParsePrefix(row).Masked()] {
			t.Errorf("registry row %s missing from specialRanges", row)
		}
	}
}
