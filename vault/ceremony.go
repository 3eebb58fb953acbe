package vault

import (
	"context"
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

// CeremonyTTL is how long a ceremony waits for its answer.
const CeremonyTTL = 5 * time.Minute

// minChallenge is the shortest challenge accepted (WebAuthn: 16 bytes).
const minChallenge = 16

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
	ch := meta.Challenge{Hash: h, Binding: b, Purpose: purpose, Data: data, Expires: s.now().UTC().Add(CeremonyTTL)}
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
	data, err := s.meta.TakeChallenge(ctx, h, b, purpose, s.now().UTC())
	if err != nil {
		return nil, mapMeta("take ceremony", err)
	}
	return data, nil
}

// SessionBinding is what binds a ceremony to the session p was resumed
// from ("" when p does not come from a session).
func (p *Principal) SessionBinding() string {
	if p == nil || p.session == "" {
		return ""
	}
	return "session:" + p.session
}
