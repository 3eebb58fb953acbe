package vault

import (
	"context"
	"errors"
	"fmt"
	"time"

	"filippo.io/age"

	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// Confirmation ("sudo mode"). A session alone — its cookie and CSRF token,
// which a thief may copy — must not be able to take the vault. Minting a
// recovery code, exporting keys, deleting the account, opting into
// assisted recovery, changing storage, rotating keys, granting a consent
// and accepting a request (either widens who reads) need the owner to
// have proved again, within ConfirmWindow and in this very session, that
// they hold the secret or the recovery code. The proof goes through the
// same database throttle as logging in (same counters), so a thief cannot
// use a session to guess the secret faster than at the login page.

// ConfirmWindow is how long one proof lets a session do sensitive things.
const ConfirmWindow = 5 * time.Minute

// ErrConfirmRequired: the action needs a recent proof of the secret (or of
// the recovery code) in this session; see ConfirmSession.
var ErrConfirmRequired = errors.New("vault: confirm with your secret first")

// EventSessionsEnded: the owner's other sessions ended because the secret
// or the recovery code changed.
const EventSessionsEnded = "other-sessions-ended"

// Proof is what an owner presents again to confirm a sensitive action.
// SecretProof and RecoveryCodeProof exist today; a passkey assertion can
// become another Proof without changing any caller.
type Proof interface {
	// verify checks the proof against the owner's stored account and
	// returns the identity it opened; scope names the throttle counter.
	verify(ctx context.Context, s *Service, o meta.Owner) (*age.X25519Identity, error)
	scope() string
}

// SecretProof is the owner's current secret.
type SecretProof []byte

func (SecretProof) scope() string { return scopeOwnerLogin }

func (p SecretProof) verify(ctx context.Context, s *Service, o meta.Owner) (*age.X25519Identity, error) {
	secret, err := normSecret(p)
	if err != nil {
		return nil, err
	}
	var id *age.X25519Identity
	err = s.derive(ctx, func() error {
		var err error
		id, err = seal.UnwrapWithSecret(o.IdentityBySecret, secret, s.pepper)
		return err
	})
	return id, err
}

// RecoveryCodeProof is the owner's current recovery code (as printed).
type RecoveryCodeProof string

func (RecoveryCodeProof) scope() string { return scopeOwnerRecovery }

func (p RecoveryCodeProof) verify(ctx context.Context, s *Service, o meta.Owner) (*age.X25519Identity, error) {
	rc, err := seal.ParseRecoveryCode(string(p))
	if err != nil {
		return nil, fmt.Errorf("%w: recovery code: %w", ErrInvalid, err)
	}
	var id *age.X25519Identity
	err = s.derive(ctx, func() error {
		var err error
		id, err = seal.UnwrapWithRecoveryCode(o.IdentityByRecovery, rc)
		return err
	})
	return id, err
}

// CheckProof verifies an owner's proof through the login throttle, without
// touching any session. Errors: ErrInvalid (not an owner, empty or
// malformed proof: not counted), ErrWrongSecret or ErrWrongRecoveryCode
// (counted), *ThrottledError, ErrCorrupt.
func (s *Service) CheckProof(ctx context.Context, owner *Principal, proof Proof, clientIP string) error {
	if err := requireOwner(owner); err != nil {
		return err
	}
	if proof == nil {
		return fmt.Errorf("%w: no proof", ErrInvalid)
	}
	o, a, err := s.meta.OwnerAccount(ctx, owner.id)
	if err != nil {
		return mapMeta("confirm", err)
	}
	// The login counter of this identifier: guesses made through a session
	// and at the login page add up.
	account := owner.id
	if len(a.IdentifierSealed) > 0 {
		if shown, err := seal.OpenString(a.IdentifierSealed, owner.identity); err == nil {
			// Kept as typed: the login counter is the canonical form's.
			if ident, err := NormalizeIdentifier(shown); err == nil {
				account = ident
			}
		}
	}
	if rp, ok := proof.(RecoveryCodeProof); ok { // a typo is not an attempt
		if _, err := seal.ParseRecoveryCode(string(rp)); err != nil {
			return fmt.Errorf("%w: recovery code: %w", ErrInvalid, err)
		}
	}
	if sp, ok := proof.(SecretProof); ok {
		if _, err := normSecret(sp); err != nil {
			return err
		}
	}
	att, err := s.beginAttempt(ctx, proof.scope(), account, clientIP)
	if err != nil {
		return err
	}
	id, err := proof.verify(ctx, s, o)
	if err != nil {
		if (errors.Is(err, seal.ErrWrongSecret) || errors.Is(err, seal.ErrWrongRecoveryCode)) && att.locked(ctx) {
			if jerr := s.record(ctx, o.ID, Event{Kind: EventLoginLocked, ActorKind: ActorSystem}); jerr != nil {
				return fmt.Errorf("vault: confirm: %w (journal: %v)", err, jerr)
			}
		}
		return fmt.Errorf("vault: confirm: %w", err)
	}
	if id.Recipient().String() != o.PublicKey || o.PublicKey != owner.PublicKey() {
		return fmt.Errorf("vault: confirm: identity does not match public key: %w", ErrCorrupt)
	}
	return att.succeeded(ctx)
}

// ConfirmSession checks the owner's proof (CheckProof) and marks the
// session owner was resumed from as confirmed now: for ConfirmWindow that
// session may do what needs confirmation, and owner counts as confirmed
// for the rest of this request. Errors: those of CheckProof, ErrNoSession
// (owner was not resumed from a live session).
func (s *Service) ConfirmSession(ctx context.Context, owner *Principal, proof Proof, clientIP string) error {
	if err := s.CheckProof(ctx, owner, proof, clientIP); err != nil {
		return err
	}
	if owner.session == "" {
		return fmt.Errorf("vault: confirm: %w", ErrNoSession)
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	if err := s.meta.ConfirmSession(ctx, owner.session, now); err != nil {
		if errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("vault: confirm: %w", ErrNoSession)
		}
		return mapMeta("confirm", err)
	}
	owner.confirmed, owner.confirmedUntil = true, now.Add(ConfirmWindow)
	return nil
}

// Confirmed reports whether sess holds a proof younger than ConfirmWindow.
// It is the one place that decides (ResumeSession asks it); a passkey
// assertion, when it comes, only has to set the same time.
func (s *Service) Confirmed(sess Session) bool {
	if sess.ConfirmedAt.IsZero() {
		return false
	}
	age := s.now().Sub(sess.ConfirmedAt)
	return age >= -time.Minute && age < ConfirmWindow
}

// IsConfirmed reports whether p may do what needs confirmation now.
func (p *Principal) IsConfirmed() bool { return p != nil && p.confirmed }

// ConfirmedUntil is when the session's confirmation stops counting (zero
// when p is not confirmed through its session).
func (p *Principal) ConfirmedUntil() time.Time {
	if p == nil {
		return time.Time{}
	}
	return p.confirmedUntil
}

// endOtherSessions ends every session of p but the one p was resumed from
// (all of them when none), on every instance sharing the database, and
// journals it for an owner when any ended.
func (s *Service) endOtherSessions(ctx context.Context, owner *Principal) error {
	n, err := s.meta.DeleteOtherSessions(ctx, owner.kind, owner.id, owner.session)
	if err != nil {
		return mapMeta("end other sessions", err)
	}
	if n > 0 && owner.kind == KindOwner {
		return s.recordOrErr(ctx, owner.id, Event{Kind: EventSessionsEnded, ActorKind: ActorSystem, Detail: fmt.Sprint(n)})
	}
	return nil
}
