package main

// Bring your own bucket: the store opener given to the vault, with the
// endpoint policy for owners' buckets, and the storage maintenance sweep.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/blob"
	"github.com/coffre/coffre/vault/blob/s3"
)

// endpointPolicy decides which endpoints owners' buckets may use. An
// organisation's bucket is set by the operator and trusted; an owner's is
// not (the server would connect wherever the owner says): with a non-empty
// allow-list only those hosts are accepted, and every address of the IANA
// special-purpose registries (loopback, private, link-local, carrier-grade
// NAT, benchmarking, reserved, NAT64, 6to4, IPv4-compatible...; see
// specialRanges) is refused unless the host (or that address) is on the list.
type endpointPolicy struct {
	hosts map[string]bool
	// resolve looks a host up (net.DefaultResolver in production).
	resolve func(ctx context.Context, host string) ([]net.IP, error)
}

// parseHostList reads a comma-separated list of host names or addresses.
func parseHostList(s string) (map[string]bool, error) {
	m := map[string]bool{}
	for _, h := range strings.Split(s, ",") {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		if strings.ContainsAny(h, "/:@ ") && net.ParseIP(h) == nil {
			return nil, fmt.Errorf("%q: want a host name or an IP address, without port or scheme", h)
		}
		m[h] = true
	}
	return m, nil
}

func newEndpointPolicy(list string) (*endpointPolicy, error) {
	hosts, err := parseHostList(list)
	if err != nil {
		return nil, err
	}
	return &endpointPolicy{hosts: hosts, resolve: func(ctx context.Context, host string) ([]net.IP, error) {
		return net.DefaultResolver.LookupIP(ctx, "ip", host)
	}}, nil
}

// allowed checks a resolved address of host.
func (p *endpointPolicy) allowed(host string, ip net.IP) error {
	if public(ip) || p.hosts[host] || p.hosts[ip.String()] {
		return nil
	}
	r, _ := specialRangeOf(ip)
	return fmt.Errorf("%w: %s is not a public address (%s, %s)", vault.ErrEndpointRefused, ip, r.name, r.rfc)
}

// check refuses an endpoint before any connection.
func (p *endpointPolicy) check(ctx context.Context, endpoint string) (string, error) {
	host := endpoint
	if h, _, err := net.SplitHostPort(endpoint); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	if len(p.hosts) > 0 && !p.hosts[host] {
		return "", fmt.Errorf("%w: host not on the operator's list", vault.ErrEndpointRefused)
	}
	ips := []net.IP{net.ParseIP(host)}
	if ips[0] == nil {
		var err error
		if ips, err = p.resolve(ctx, host); err != nil {
			return "", fmt.Errorf("resolving the endpoint: %w", err)
		}
	}
	for _, ip := range ips {
		if err := p.allowed(host, ip); err != nil {
			return "", err
		}
	}
	return host, nil
}

// transport is an HTTP transport whose every connection is checked again
// at dial time (the name may resolve elsewhere by then), with no proxy.
func (p *endpointPolicy) transport(host string) http.RoundTripper {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			h, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			ip := net.ParseIP(h)
			if ip == nil {
				return fmt.Errorf("%w: unresolved address", vault.ErrEndpointRefused)
			}
			return p.allowed(host, ip)
		}}
	return &http.Transport{
		DialContext: d.DialContext, ForceAttemptHTTP2: true, MaxIdleConns: 16, IdleConnTimeout: 90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second, ExpectContinueTimeout: time.Second,
	}
}

// storageOpener opens storage targets on S3 with the policy for owners'
// buckets. It never creates a bucket.
func storageOpener(policy *endpointPolicy) vault.StoreOpener {
	return func(ctx context.Context, t vault.StorageTarget) (blob.Store, error) {
		cfg := s3.Config{
			Endpoint: t.Endpoint, AccessKey: t.AccessKey, SecretKey: t.SecretKey, Bucket: t.Bucket,
			UseTLS: t.UseTLS, Region: t.Region, Prefix: t.Prefix,
		}
		if t.Scope == vault.ScopeOwner {
			host, err := policy.check(ctx, t.Endpoint)
			if err != nil {
				return nil, err
			}
			cfg.Transport = policy.transport(host)
		}
		st, err := s3.New(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return st, nil
	}
}

// errKind classifies a move error for the log.
func errKind(err error) string {
	switch {
	case errors.Is(err, vault.ErrCorrupt):
		return "payload missing or damaged"
	case errors.Is(err, vault.ErrEndpointRefused):
		return "endpoint refused"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "store unreachable or failing"
}

// storageSweepTimeout bounds one storage sweep; an unfinished move goes on
// at the next one.
const storageSweepTimeout = 4 * time.Minute

// sweepStorage moves documents whose storage setting changed and forgets
// retired targets. Safe on several instances at once. Only counts are
// logged.
func sweepStorage(ctx context.Context, v *vault.Service, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, storageSweepTimeout)
	defer cancel()
	res, purged, err := v.SweepStorage(ctx)
	if err != nil && !errors.Is(err, context.Canceled) {
		// The error may name an owner's endpoint or bucket: log its kind only.
		log.Warn("maintenance: storage moves", "kind", errKind(err), "failed", res.Failed, "busy", res.Busy)
	}
	if res.Moved+res.Cleaned+purged > 0 {
		log.Info("maintenance: documents moved between stores", "moved", res.Moved, "bytes", res.Bytes,
			"cleaned", res.Cleaned, "busy", res.Busy, "targets_forgotten", purged)
	}
}
