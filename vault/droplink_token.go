package vault

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"filippo.io/age"
)

// linkTokenSize is the drop link token's entropy in bytes (256 bits).
const linkTokenSize = 32

// newLinkToken returns a fresh token (base64url, no padding) and the hex
// SHA-256 of its bytes, which is all the database keeps.
func newLinkToken() (token, hash string, raw []byte, err error) {
	raw = make([]byte, linkTokenSize)
	if _, err := rand.Read(raw); err != nil {
		return "", "", nil, fmt.Errorf("vault: drop link token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(raw), linkTokenHash(raw), raw, nil
}

// parseLinkToken decodes a token; anything malformed is ErrNoLink (the
// token itself never appears in an error).
func parseLinkToken(token string) (raw []byte, hash string, err error) {
	if len(token) != base64.RawURLEncoding.EncodedLen(linkTokenSize) {
		return nil, "", fmt.Errorf("vault: drop link: %w", ErrNoLink)
	}
	raw, err = base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) != linkTokenSize {
		return nil, "", fmt.Errorf("vault: drop link: %w", ErrNoLink)
	}
	return raw, linkTokenHash(raw), nil
}

func linkTokenHash(raw []byte) string {
	h := sha256.Sum256(raw)
	return hex.EncodeToString(h[:])
}

// linkIdentity derives from the token the age X25519 identity that the
// link's public part (label, requested types) is sealed to: only a token
// holder can open it; the database alone cannot.
func linkIdentity(raw []byte) (*age.X25519Identity, error) {
	scalar, err := hkdf.Key(sha256.New, raw, nil, "coffre drop link label v1", 32)
	if err != nil {
		return nil, fmt.Errorf("vault: drop link key: %w", err)
	}
	id, err := identityFromSeed(scalar)
	if err != nil {
		return nil, fmt.Errorf("vault: drop link key: %w", err)
	}
	return id, nil
}
