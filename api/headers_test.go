package api_test

import (
	"strings"
	"testing"
)

// TestSecurityHeaders: every kind of answer (pages, JSON, the helper's
// drop page, errors) carries a CSP without inline scripts that forbids
// framing, no-referrer (tokens in drop-link paths never leak in Referer),
// nosniff, DENY framing and no-store; HSTS only under TLS (this server is
// plain HTTP, so none).
func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, envOptions{rateLimits: highLimits})
	c := e.client()
	for _, path := range []string{"/", "/login", "/api/v1/session", "/api/v1/documents", "/d/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "/api/v1/drop/x/pages", "/nowhere"} {
		r := c.get(t, path)
		h := r.header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s (%d): CSP %q lacks %q", path, r.status, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows inline scripts: %q", path, csp)
		}
		for k, v := range map[string]string{"Permissions-Policy": "camera=(self), microphone=(), geolocation=()", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Cache-Control": "no-store"} {
			if h.Get(k) != v {
				t.Errorf("%s (%d): %s = %q, want %q", path, r.status, k, h.Get(k), v)
			}
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain HTTP", path)
		}
	}
}
