package vault

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"strings"
)

// Device tokens (OWASP "device cookie"): a successful login hands the
// client a token naming the account, a random nonce and a pepper-keyed MAC
// over both. Nothing is stored: the token proves by itself that this
// client once signed in to this account. A login attempt that presents a
// valid one counts against a counter of that device, not against the
// account's shared counter for unknown clients, so an attacker who knows
// someone's identifier can lock out unknown clients only, never the
// person's own browser; failures from a known device lock that device
// (same policy as the account: 5 free, growing delays, locked 1 h at 20).

// Client describes where a login attempt comes from.
type Client struct {
	// IP is the client address ("" if unknown), for the per-address
	// counter.
	IP string
	// Device is the device token the client kept from an earlier
	// successful login ("" if none).
	Device string
}

// deviceNonceSize is the random part of a device token, in bytes.
const deviceNonceSize = 16

// newDeviceToken issues a device token for account in scope.
func (s *Service) newDeviceToken(scope, account string) string {
	n := make([]byte, deviceNonceSize)
	_, _ = rand.Read(n) // crypto/rand never fails
	nonce := base64.RawURLEncoding.EncodeToString(n)
	return nonce + "." + s.deviceMAC(scope, account, nonce)
}

func (s *Service) deviceMAC(scope, account, nonce string) string {
	return s.keyedHash(infoDevice, scope+"\x00"+account, nonce)[:32]
}

// deviceNonce returns the nonce of a valid device token of account in
// scope, or "" when the token is empty, malformed or for another account.
func (s *Service) deviceNonce(scope, account, token string) string {
	nonce, mac, ok := strings.Cut(token, ".")
	if !ok || len(token) > 100 {
		return ""
	}
	if b, err := base64.RawURLEncoding.DecodeString(nonce); err != nil || len(b) != deviceNonceSize {
		return ""
	}
	if !hmac.Equal([]byte(mac), []byte(s.deviceMAC(scope, account, nonce))) {
		return ""
	}
	return nonce
}

// beginDeviceAttempt is beginAttempt where the account counter is the
// device's own when the client presents a valid device token.
func (s *Service) beginDeviceAttempt(ctx context.Context, scope, account string, cl Client) (*attempt, error) {
	key := "a:" + s.keyedHash(infoThrottle, scope, account)
	if nonce := s.deviceNonce(scope, account, cl.Device); nonce != "" {
		key = "d:" + s.keyedHash(infoThrottle, scope+"/device", nonce)
	}
	return s.beginAttemptKey(ctx, key, cl.IP)
}
