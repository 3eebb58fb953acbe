package main

// The addresses an owner's bucket may never use: the IANA special-purpose
// address registries, as a table.

import (
	"net"
	"net/netip"
)

// specialRange is one row of the IANA IPv4 or IPv6 Special-Purpose Address
// Registry (https://www.iana.org/assignments/iana-ipv4-special-registry,
// .../iana-ipv6-special-registry, as of 2026), or of the multicast
// registries, or an address form RFC 4291 deprecates.
type specialRange struct {
	prefix netip.Prefix
	name   string
	rfc    string
}

func sp(prefix, name, rfc string) specialRange {
	return specialRange{netip.MustParsePrefix(prefix), name, rfc}
}

// specialRanges: every address inside one of these is refused for an
// owner's bucket (unless the operator lists it). That includes the rows the
// registry marks globally reachable (anycast services, AS112, the NAT64
// well-known prefix): no S3 bucket lives at such an address, and the
// translation prefixes (NAT64, 6to4, Teredo, IPv4-compatible) carry an
// IPv4 address that the gateway may route to a private network.
var specialRanges = []specialRange{
	// IPv4 Special-Purpose Address Registry.
	sp("0.0.0.0/8", "this network", "RFC 791"),
	sp("0.0.0.0/32", "this host on this network", "RFC 1122"),
	sp("10.0.0.0/8", "private-use", "RFC 1918"),
	sp("100.64.0.0/10", "shared address space (carrier-grade NAT)", "RFC 6598"),
	sp("127.0.0.0/8", "loopback", "RFC 1122"),
	sp("169.254.0.0/16", "link local", "RFC 3927"),
	sp("172.16.0.0/12", "private-use", "RFC 1918"),
	sp("192.0.0.0/24", "IETF protocol assignments", "RFC 6890"),
	sp("192.0.0.0/29", "IPv4 service continuity prefix (DS-Lite)", "RFC 7335"),
	sp("192.0.0.8/32", "IPv4 dummy address", "RFC 7600"),
	sp("192.0.0.9/32", "port control protocol anycast", "RFC 7723"),
	sp("192.0.0.10/32", "traversal using relays around NAT anycast", "RFC 8155"),
	sp("192.0.0.170/32", "NAT64/DNS64 discovery", "RFC 8880"),
	sp("192.0.0.171/32", "NAT64/DNS64 discovery", "RFC 8880"),
	sp("192.0.2.0/24", "documentation (TEST-NET-1)", "RFC 5737"),
	sp("192.31.196.0/24", "AS112-v4", "RFC 7535"),
	sp("192.52.193.0/24", "AMT", "RFC 7450"),
	sp("192.88.99.0/24", "deprecated 6to4 relay anycast", "RFC 7526"),
	sp("192.168.0.0/16", "private-use", "RFC 1918"),
	sp("192.175.48.0/24", "direct delegation AS112 service", "RFC 7534"),
	sp("198.18.0.0/15", "benchmarking", "RFC 2544"),
	sp("198.51.100.0/24", "documentation (TEST-NET-2)", "RFC 5737"),
	sp("203.0.113.0/24", "documentation (TEST-NET-3)", "RFC 5737"),
	sp("240.0.0.0/4", "reserved", "RFC 1112"),
	sp("255.255.255.255/32", "limited broadcast", "RFC 8190"),
	// IPv4 multicast address space registry.
	sp("224.0.0.0/4", "multicast", "RFC 5771"),

	// IPv6 Special-Purpose Address Registry.
	sp("::1/128", "loopback address", "RFC 4291"),
	sp("::/128", "unspecified address", "RFC 4291"),
	sp("::ffff:0:0/96", "IPv4-mapped address", "RFC 4291"),
	sp("64:ff9b::/96", "IPv4-IPv6 translation (NAT64 well-known prefix)", "RFC 6052"),
	sp("64:ff9b:1::/48", "IPv4-IPv6 translation (local use)", "RFC 8215"),
	sp("100::/64", "discard-only address block", "RFC 6666"),
	sp("100:0:0:1::/64", "dummy IPv6 prefix", "RFC 9780"),
	sp("2001::/23", "IETF protocol assignments", "RFC 2928"),
	sp("2001::/32", "TEREDO", "RFC 4380"),
	sp("2001:1::1/128", "port control protocol anycast", "RFC 7723"),
	sp("2001:1::2/128", "traversal using relays around NAT anycast", "RFC 8155"),
	sp("2001:1::3/128", "DNS-SD service registration protocol anycast", "RFC 9665"),
	sp("2001:2::/48", "benchmarking", "RFC 5180"),
	sp("2001:3::/32", "AMT", "RFC 7450"),
	sp("2001:4:112::/48", "AS112-v6", "RFC 7535"),
	sp("2001:10::/28", "deprecated ORCHID", "RFC 4843"),
	sp("2001:20::/28", "ORCHIDv2", "RFC 7343"),
	sp("2001:30::/28", "drone remote ID protocol entity tags", "RFC 9374"),
	sp("2001:db8::/32", "documentation", "RFC 3849"),
	sp("2002::/16", "6to4", "RFC 3056"),
	sp("2620:4f:8000::/48", "direct delegation AS112 service", "RFC 7534"),
	sp("3fff::/20", "documentation", "RFC 9637"),
	sp("5f00::/16", "segment routing SIDs", "RFC 9602"),
	sp("fc00::/7", "unique-local", "RFC 4193"),
	sp("fe80::/10", "link-local unicast", "RFC 4291"),
	// Deprecated forms (RFC 4291 §2.5.5.1, RFC 3879) and multicast.
	sp("::/96", "IPv4-compatible address (deprecated)", "RFC 4291"),
	sp("fec0::/10", "site-local (deprecated)", "RFC 3879"),
	sp("ff00::/8", "multicast", "RFC 4291"),
}

// specialRangeOf returns the registry row holding ip (the first listed), or
// false for a public unicast address. An IPv4-mapped address is checked as
// the IPv4 address it reaches.
func specialRangeOf(ip net.IP) (specialRange, bool) {
	addr, ok := netip.AddrFromSlice(ip)
	if !ok {
		return specialRange{name: "malformed address"}, true
	}
	addr = addr.Unmap()
	for _, r := range specialRanges {
		if r.prefix.Contains(addr) {
			return r, true
		}
	}
	return specialRange{}, false
}

// public reports whether ip is a public unicast address: in none of the
// special-purpose ranges.
func public(ip net.IP) bool {
	_, special := specialRangeOf(ip)
	return !special
}
