package vault

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/coffre/coffre/vault/meta"
)

// WebAuthn ceremonies in progress. Between the options a browser gets and
// the answer it sends back, the challenge and what it allows are kept in
// the database, so that any instance sharing it can check the answer:
// bound to one session (or, before signing in, to the browser's ceremony
// cookie), for one purpose, for CeremonyTTL at most, and taken by the
// first answer whatever its outcome (a replayed answer finds nothing).
//
// What a ceremony allows (a login ticket names the passkey that was
// shown, for instance) is sealed to its row with a pepper-keyed MAC over
// the challenge's hash, the binding, the purpose and the data: someone who
// writes the database but lacks the pepper can neither plant a ceremony
// nor change what one allows (found by an attacker's review: a planted
// "login-secret" ticket signed a TOTP worker in with the secret alone).

// CeremonyTTL is how long a ceremony waits for its answer.
const CeremonyTTL = 5 * time.Minute

// minChallenge is the shortest challenge accepted (WebAuthn: 16 bytes).
const minChallenge = 16

// infoCeremonyMAC derives the key of the ceremonies' MACs.
const infoCeremonyMAC = "coffre/vault/v1/ceremony-mac"

// ceremonyMAC is HMAC-SHA256 over what a ceremony row says.
func (s *Service) ceremonyMAC(hash, binding, purpose string, data []byte) []byte {
	m := hmac.New(sha256.New, s.pepperKey(infoCeremonyMAC))
	for _, f := range []string{hash, binding, purpose} {
		m.Write([]byte(f))
		m.Write([]byte{0})
	}
	m.Write(data)
	return m.Sum(nil)
}

func ceremonyKeys(challenge []byte, binding string) (string, string, error) {
	if len(challenge) < minChallenge || len(challenge) > 64 || binding == "" {
		return "", "", fmt.Errorf("%w: ceremony challenge or binding", ErrInvalid)
	}
	h := sha256.Sum256(challenge)
	b := sha256.Sum256([]byte(binding))
	return hex.EncodeToString(h[:]), hex.EncodeToString(b[:]), nil
}

// SaveCeremony keeps a ceremony's state (data, public values) under its
// challenge, bound to binding, for purpose, until CeremonyTTL.
func (s *Service) SaveCeremony(ctx context.Context, challenge []byte, binding, purpose string, data []byte) error {
	h, b, err := ceremonyKeys(challenge, binding)
	if err != nil {
		return err
	}
	if purpose == "" || len(data) == 0 {
		return fmt.Errorf("%w: ceremony purpose or data", ErrInvalid)
	}
	sealed := append(s.ceremonyMAC(h, b, purpose, data), data...)
	ch := meta.Challenge{Hash: h, Binding: b, Purpose: purpose, Data: sealed, Expires: s.now().UTC().Add(CeremonyTTL)}
	return mapMetaNil("save ceremony", s.meta.PutChallenge(ctx, ch))
}

// TakeCeremony returns the state of the ceremony of challenge, bound to
// binding, for purpose, and forgets it: once. ErrNotFound when there is
// none (never made, already taken, expired, another binding or purpose).
func (s *Service) TakeCeremony(ctx context.Context, challenge []byte, binding, purpose string) ([]byte, error) {
	h, b, err := ceremonyKeys(challenge, binding)
	if err != nil {
		return nil, err
	}
	sealed, err := s.meta.TakeChallenge(ctx, h, b, purpose, s.now().UTC())
	if err != nil {
		return nil, mapMeta("take ceremony", err)
	}
	if len(sealed) <= sha256.Size || !hmac.Equal(sealed[:sha256.Size], s.ceremonyMAC(h, b, purpose, sealed[sha256.Size:])) {
		return nil, fmt.Errorf("vault: take ceremony: %w", ErrNotFound) // planted or changed: as if absent
	}
	return sealed[sha256.Size:], nil
}

// SessionBinding is what binds a ceremony to the session p was resumed
// from ("" when p does not come from a session).
func (p *Principal) SessionBinding() string {
	if p == nil || p.session == "" {
		return ""
	}
	return "session:" + p.session
}
