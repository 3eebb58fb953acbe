package vault

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"filippo.io/age"

	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// Passkeys. An owner enrols WebAuthn credentials (one per device). The
// WebAuthn ceremony itself (origin, RP ID, challenge, signature) is
// checked by the web layer with go-webauthn before anything reaches this
// file; what the vault keeps is the credential's public data, its
// signature counter and, when the authenticator has the PRF extension,
// one more wrap of the owner's identity keyed by the PRF output through
// the secret KDF (scrypt with the pepper, seal.WrapWithSecret). The PRF
// output is an argument, never stored: a copy of the database, even with
// the pepper, opens nothing without the authenticator. Removing a passkey
// deletes its wrap.

// Limits on what a browser sends (WebAuthn caps credential ids at 1023
// bytes; a COSE public key is far below 1 KiB).
const (
	MaxCredentialID   = 1023
	MaxPasskeyKey     = 1024
	MaxPasskeyName    = 64
	PRFOutputSize     = 32
	maxPasskeysPerOwn = 20
)

var (
	// ErrPasskeyNeedsSecret: the passkey signed in but has no PRF wrap
	// (its authenticator has no PRF): the owner types the secret once.
	ErrPasskeyNeedsSecret = errors.New("vault: this passkey signs in; the secret opens the vault")
	// ErrPasskeyReplay: the assertion's counter did not move forward.
	ErrPasskeyReplay = errors.New("vault: passkey counter went back")
	// ErrTooManyPasskeys: the owner already has the most passkeys allowed.
	ErrTooManyPasskeys = errors.New("vault: too many passkeys")
)

// Passkey is an enrolled credential as the owner sees it.
type Passkey struct {
	ID, Name string
	// Unlocks: the passkey opens the vault (PRF), not only signs in.
	Unlocks           bool
	Created, LastUsed time.Time // LastUsed zero: never
}

// NewPasskey is a credential the web layer verified at registration.
type NewPasskey struct {
	CredentialID, PublicKey []byte
	SignCount               uint32
	Name                    string
	// PRF is the authenticator's PRF output (nil: no PRF). Not kept.
	PRF []byte
}

func checkPRF(prf []byte) error {
	if prf != nil && len(prf) != PRFOutputSize {
		return fmt.Errorf("%w: PRF output must be %d bytes", ErrInvalid, PRFOutputSize)
	}
	return nil
}

// AddPasskey enrols a credential for the owner (who must hold a confirmed
// session: see RequireConfirmed). Errors: ErrInvalid (bad sizes, empty or
// overlong name), ErrConflict (credential already enrolled),
// ErrTooManyPasskeys, ErrConfirmRequired. Journaled. Nothing is written on
// error.
func (s *Service) AddPasskey(ctx context.Context, owner *Principal, np NewPasskey) (string, error) {
	if err := requireConfirmedOwner(owner); err != nil {
		return "", err
	}
	switch {
	case len(np.CredentialID) == 0 || len(np.CredentialID) > MaxCredentialID:
		return "", fmt.Errorf("%w: credential id size", ErrInvalid)
	case len(np.PublicKey) == 0 || len(np.PublicKey) > MaxPasskeyKey:
		return "", fmt.Errorf("%w: public key size", ErrInvalid)
	case np.Name == "" || !utf8.ValidString(np.Name) || utf8.RuneCountInString(np.Name) > MaxPasskeyName:
		return "", fmt.Errorf("%w: device name", ErrInvalid)
	}
	if err := checkPRF(np.PRF); err != nil {
		return "", err
	}
	existing, err := s.meta.Passkeys(ctx, owner.id)
	if err != nil {
		return "", mapMeta("add passkey", err)
	}
	if len(existing) >= maxPasskeysPerOwn {
		return "", ErrTooManyPasskeys
	}
	var wrap []byte
	if np.PRF != nil {
		err = s.withKDF(ctx, func() error {
			var err error
			wrap, err = seal.WrapWithSecret(owner.identity, np.PRF, s.pepper, s.scrypt)
			return err
		})
		if err != nil {
			return "", fmt.Errorf("vault: add passkey: %w", err)
		}
	}
	id, err := newID()
	if err != nil {
		return "", err
	}
	err = s.meta.AddPasskey(ctx, meta.Passkey{
		ID: id, OwnerID: owner.id, CredentialID: np.CredentialID, PublicKey: np.PublicKey,
		SignCount: np.SignCount, Name: np.Name, IdentityByPRF: wrap, Created: s.now().UTC(),
	})
	if err != nil {
		return "", mapMeta("add passkey", err)
	}
	if err := s.record(ctx, owner.id, Event{Kind: EventPasskeyAdded, ActorKind: ActorOwner, ActorID: owner.id}); err != nil {
		return "", fmt.Errorf("vault: add passkey: journal: %w", err)
	}
	return id, nil
}

// Passkeys lists the owner's passkeys, oldest first.
func (s *Service) Passkeys(ctx context.Context, owner *Principal) ([]Passkey, error) {
	if err := requireOwner(owner); err != nil {
		return nil, err
	}
	rows, err := s.meta.Passkeys(ctx, owner.id)
	if err != nil {
		return nil, mapMeta("passkeys", err)
	}
	out := make([]Passkey, 0, len(rows))
	for _, r := range rows {
		p := Passkey{ID: r.ID, Name: r.Name, Unlocks: len(r.IdentityByPRF) > 0, Created: r.Created, LastUsed: r.LastUsed}
		out = append(out, p)
	}
	return out, nil
}

// RemovePasskey deletes one of the owner's passkeys and its wrap.
// ErrNotFound when the owner has none with that id. Journaled.
func (s *Service) RemovePasskey(ctx context.Context, owner *Principal, id string) error {
	if err := requireConfirmedOwner(owner); err != nil {
		return err
	}
	if err := s.meta.DeletePasskey(ctx, owner.id, id); err != nil {
		return mapMeta("remove passkey", err)
	}
	return s.record(ctx, owner.id, Event{Kind: EventPasskeyRemoved, ActorKind: ActorOwner, ActorID: owner.id})
}

// PasskeyOwner returns the owner id a credential belongs to: the web
// layer needs it (and the stored public key and counter) to verify the
// assertion. ErrNotFound for an unknown credential.
func (s *Service) PasskeyOwner(ctx context.Context, credentialID []byte) (ownerID string, publicKey []byte, count uint32, err error) {
	if len(credentialID) == 0 || len(credentialID) > MaxCredentialID {
		return "", nil, 0, fmt.Errorf("%w: credential id size", ErrInvalid)
	}
	p, err := s.meta.PasskeyByCredential(ctx, credentialID)
	if err != nil {
		return "", nil, 0, mapMeta("passkey", err)
	}
	return p.OwnerID, p.PublicKey, p.SignCount, nil
}

// PasskeyAssertion is a sign-in the web layer verified (signature,
// origin, RP ID, challenge) for CredentialID, with the counter it carried
// and the PRF output (nil when the authenticator has none).
type PasskeyAssertion struct {
	CredentialID []byte
	SignCount    uint32
	PRF          []byte
}

// LoginWithPasskey opens an owner's vault with a verified assertion. It
// is counted by the login throttle (the owner's counter and the address's)
// and journaled like a login with the secret. Errors: ErrInvalid (sizes),
// ErrNotFound (unknown credential), ErrPasskeyReplay (counter back;
// counted), ErrWrongSecret (PRF output does not open the wrap; counted),
// *ThrottledError, ErrPasskeyNeedsSecret (no PRF wrap: sign-in accepted,
// the caller asks for the secret and calls Login).
func (s *Service) LoginWithPasskey(ctx context.Context, a PasskeyAssertion, clientIP string) (*Principal, error) {
	if err := checkPRF(a.PRF); err != nil {
		return nil, err
	}
	if len(a.CredentialID) == 0 || len(a.CredentialID) > MaxCredentialID {
		return nil, fmt.Errorf("%w: credential id size", ErrInvalid)
	}
	pk, err := s.meta.PasskeyByCredential(ctx, a.CredentialID)
	if err != nil {
		return nil, mapMeta("passkey login", err)
	}
	o, err := s.meta.Owner(ctx, pk.OwnerID)
	if err != nil {
		return nil, mapMeta("passkey login", err)
	}
	att, err := s.beginAttempt(ctx, scopeOwnerLogin, o.ID, clientIP)
	if err != nil {
		return nil, err
	}
	id, err := s.openPasskey(ctx, pk, o, a)
	if err != nil {
		if (errors.Is(err, ErrPasskeyReplay) || errors.Is(err, seal.ErrWrongSecret)) && att.locked(ctx) {
			if jerr := s.record(ctx, o.ID, Event{Kind: EventLoginLocked, ActorKind: ActorSystem}); jerr != nil {
				return nil, fmt.Errorf("vault: passkey login: %w (journal: %v)", err, jerr)
			}
		}
		return nil, fmt.Errorf("vault: passkey login: %w", err)
	}
	if err := att.succeeded(ctx); err != nil {
		return nil, err
	}
	if err := s.record(ctx, o.ID, Event{Kind: EventLogin, ActorKind: ActorOwner, ActorID: o.ID}); err != nil {
		return nil, fmt.Errorf("vault: passkey login: journal: %w", err)
	}
	return &Principal{kind: KindOwner, id: o.ID, identity: id, confirmed: true, retired: o.RetiredIdentities}, nil
}

// openPasskey advances the counter and opens the PRF wrap.
func (s *Service) openPasskey(ctx context.Context, pk meta.Passkey, o meta.Owner, a PasskeyAssertion) (*age.X25519Identity, error) {
	var id *age.X25519Identity
	if len(pk.IdentityByPRF) > 0 && a.PRF != nil {
		err := s.derive(ctx, func() error {
			var err error
			id, err = seal.UnwrapWithSecret(pk.IdentityByPRF, a.PRF, s.pepper)
			return err
		})
		if err != nil {
			return nil, err
		}
		if id.Recipient().String() != o.PublicKey {
			return nil, fmt.Errorf("identity does not match public key: %w", ErrCorrupt)
		}
	}
	if err := s.meta.UsePasskey(ctx, pk.ID, a.SignCount, s.now().UTC()); err != nil {
		if errors.Is(err, meta.ErrCounterBack) {
			return nil, fmt.Errorf("%w: %w", ErrPasskeyReplay, err)
		}
		return nil, mapMeta("passkey use", err)
	}
	if id == nil {
		return nil, ErrPasskeyNeedsSecret
	}
	return id, nil
}

// PasskeyProof is a fresh passkey assertion (verified by the web layer)
// of a PRF passkey of the owner: sudo mode accepts it like the secret.
type PasskeyProof PasskeyAssertion

func (PasskeyProof) scope() string { return scopeOwnerLogin }

func (p PasskeyProof) verify(ctx context.Context, s *Service, o meta.Owner) (*age.X25519Identity, error) {
	if err := checkPRF(p.PRF); err != nil {
		return nil, err
	}
	pk, err := s.meta.PasskeyByCredential(ctx, p.CredentialID)
	if err != nil || pk.OwnerID != o.ID {
		return nil, fmt.Errorf("%w: not a passkey of this owner", ErrInvalid)
	}
	return s.openPasskey(ctx, pk, o, PasskeyAssertion(p))
}
