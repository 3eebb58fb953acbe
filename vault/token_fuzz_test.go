package vault

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// FuzzTokens feeds arbitrary strings to the parsers of the two bearer tokens
// a client presents: the drop-link token (in the link's URL) and the session
// token (in the cookie). Properties: a token is accepted exactly when it is
// the canonical unpadded base64url encoding of the right number of bytes;
// the hash of an accepted token is stable; a refusal is ErrNoLink and its
// message never repeats the token.
func FuzzTokens(f *testing.F) {
	tok, _, _, err := newLinkToken()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		tok, tok[:len(tok)-1], tok + "A", strings.ToUpper(tok), "", "=",
		strings.Repeat("A", 43), strings.Repeat("_", 43), strings.Repeat("A", 42) + "B",
		strings.Repeat("A", 42) + "=", strings.Repeat("/", 43), "../../../../etc/passwd",
		"%00" + tok, tok + "\n", strings.Repeat("é", 22),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		canonical := func(n int) bool {
			b, err := base64.RawURLEncoding.DecodeString(s)
			return err == nil && len(b) == n && base64.RawURLEncoding.EncodeToString(b) == s
		}

		raw, hash, err := parseLinkToken(s)
		if want := canonical(linkTokenSize); (err == nil) != want {
			t.Fatalf("parseLinkToken(%q): err %v, canonical %v", s, err, want)
		}
		if err != nil {
			if !errors.Is(err, ErrNoLink) {
				t.Fatalf("parseLinkToken(%q): %v is not ErrNoLink", s, err)
			}
			if len(s) >= 8 && strings.Contains(err.Error(), s) {
				t.Fatalf("parseLinkToken error repeats the token: %v", err)
			}
		} else {
			if len(raw) != linkTokenSize || hash != linkTokenHash(raw) || len(hash) != 64 {
				t.Fatalf("parseLinkToken(%q): raw %d bytes, hash %q", s, len(raw), hash)
			}
			if base64.RawURLEncoding.EncodeToString(raw) != s {
				t.Fatalf("parseLinkToken(%q) accepted a non-canonical token", s)
			}
		}

		b, ok := parseToken(s)
		if want := canonical(sessionTokenBytes) && len(s) == sessionTokenLen; ok != want {
			t.Fatalf("parseToken(%q) = %v, canonical %v", s, ok, want)
		}
		if ok && (len(b) != sessionTokenBytes || base64.RawURLEncoding.EncodeToString(b) != s) {
			t.Fatalf("parseToken(%q) returned %d bytes that do not encode back", s, len(b))
		}
	})
}
