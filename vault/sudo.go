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
// and accepting a request (either widens who reads), adding or removing a
// passkey (owners and workers), and adding an address for alerts or
// turning titles on in them (alerts.go) need the person to have proved
// again, within ConfirmWindow and in this very session, that they hold
// the secret, the recovery code or one of their passkeys (a fresh
// assertion). The proof goes through the same database throttle as
// logging in (same counters), so a thief cannot use a session to guess
// the secret faster than at the login page.

// ConfirmWindow is how long one proof lets a session do sensitive things.
const ConfirmWindow = 5 * time.Minute

// ErrConfirmRequired: the action needs a recent proof of the secret (or of
// the recovery code, or a passkey) in this session; see ConfirmSession.
var ErrConfirmRequired = errors.New("vault: confirm with your secret first")

// EventSessionsEnded: the owner's other sessions ended because the secret
// or the recovery code changed.
const EventSessionsEnded = "other-sessions-ended"

// Proof is what an owner or a worker presents again to confirm a
// sensitive action: SecretProof, RecoveryCodeProof (owners) or
// PasskeyProof (passkeys.go).
type Proof interface {
	// verify checks the proof against the stored account and returns the
	// identity it opened (nil for a passkey that proves presence without
	// opening anything); scope names the throttle counter.
	verify(ctx context.Context, s *Service, a proofAccount) (*age.X25519Identity, error)
	scope(kind RecipientKind) string
}

// proofAccount is the stored account a proof is checked against.
type proofAccount struct {
	kind                 RecipientKind
	id, publicKey        string
	bySecret, byRecovery []byte
}

// SecretProof is the current secret.
type SecretProof []byte

func (SecretProof) scope(kind RecipientKind) string {
	if kind == KindWorker {
		return scopeWorkerLogin
	}
	return scopeOwnerLogin
}

func (p SecretProof) verify(ctx context.Context, s *Service, a proofAccount) (*age.X25519Identity, error) {
	sec, err := checkSecretForms(p)
	if err != nil {
		return nil, err
	}
	var id *age.X25519Identity
	err = s.derive(ctx, func() error {
		var err error
		id, err = s.openWithSecret(a.bySecret, sec)
		return err
	})
	return id, err
}

// RecoveryCodeProof is the owner's current recovery code (as printed).
type RecoveryCodeProof string

func (RecoveryCodeProof) scope(RecipientKind) string { return scopeOwnerRecovery }

func (p RecoveryCodeProof) verify(ctx context.Context, s *Service, a proofAccount) (*age.X25519Identity, error) {
	if a.kind != KindOwner {
		return nil, fmt.Errorf("%w: only owners have a recovery code", ErrInvalid)
	}
	rc, err := seal.ParseRecoveryCode(string(p))
	if err != nil {
		return nil, fmt.Errorf("%w: recovery code: %w", ErrInvalid, err)
	}
	var id *age.X25519Identity
	err = s.derive(ctx, func() error {
		var err error
		id, err = seal.UnwrapWithRecoveryCode(a.byRecovery, rc)
		return err
	})
	return id, err
}

// proofTarget loads the account p's proof is checked against and the
// account its throttle counter counts on for scope: the very counter of
// the logins (an owner's identifier, a worker's e-mail) or, for the
// recovery code, of the recoveries.
func (s *Service) proofTarget(ctx context.Context, p *Principal, scope string) (proofAccount, string, error) {
	if p.kind == KindWorker {
		w, wa, err := s.meta.WorkerAccount(ctx, p.id)
		if err != nil {
			return proofAccount{}, "", mapMeta("confirm", err)
		}
		return proofAccount{kind: KindWorker, id: w.ID, publicKey: w.PublicKey, bySecret: w.IdentityBySecret}, workerCounter(wa, w.ID), nil
	}
	o, a, err := s.meta.OwnerAccount(ctx, p.id)
	if err != nil {
		return proofAccount{}, "", mapMeta("confirm", err)
	}
	pa := proofAccount{kind: KindOwner, id: o.ID, publicKey: o.PublicKey, bySecret: o.IdentityBySecret, byRecovery: o.IdentityByRecovery}
	if scope != scopeOwnerRecovery {
		return pa, ownerCounter(a, o.ID), nil
	}
	// The recoveries' counter of this identifier: guesses made through a
	// session and at the recovery page add up.
	account := p.id
	if len(a.IdentifierSealed) > 0 {
		if shown, err := seal.OpenString(a.IdentifierSealed, p.identity); err == nil {
			// Kept as typed: the counter is the canonical form's.
			if ident, err := NormalizeIdentifier(shown); err == nil {
				account = ident
			}
		}
	}
	return pa, account, nil
}

// CheckProof verifies the proof of an owner or a worker through the login
// throttle, without touching any session. Errors: ErrInvalid (not signed
// in, empty or malformed proof: not counted; a recovery code from a
// worker; another account's passkey), ErrWrongSecret or
// ErrWrongRecoveryCode (counted), ErrPasskeyReplay (counted),
// *ThrottledError, ErrCorrupt.
func (s *Service) CheckProof(ctx context.Context, p *Principal, proof Proof, clientIP string) error {
	if err := requireSignedIn(p); err != nil {
		return err
	}
	if proof == nil {
		return fmt.Errorf("%w: no proof", ErrInvalid)
	}
	switch pr := proof.(type) {
	case RecoveryCodeProof: // a typo is not an attempt
		if p.kind != KindOwner {
			return fmt.Errorf("%w: only owners have a recovery code", ErrInvalid)
		}
		if _, err := seal.ParseRecoveryCode(string(pr)); err != nil {
			return fmt.Errorf("%w: recovery code: %w", ErrInvalid, err)
		}
	case SecretProof:
		if _, err := normSecret(pr); err != nil {
			return err
		}
	case PasskeyProof:
		if err := checkCredentialID(pr.CredentialID); err != nil {
			return err
		}
	}
	scope := proof.scope(p.kind)
	acct, account, err := s.proofTarget(ctx, p, scope)
	if err != nil {
		return err
	}
	att, err := s.beginAttempt(ctx, scope, account, clientIP)
	if err != nil {
		return err
	}
	id, err := proof.verify(ctx, s, acct)
	if err != nil {
		counted := errors.Is(err, seal.ErrWrongSecret) || errors.Is(err, seal.ErrWrongRecoveryCode) || errors.Is(err, ErrPasskeyReplay)
		if counted && p.kind == KindOwner && att.locked(ctx) {
			if jerr := s.record(ctx, p.id, Event{Kind: EventLoginLocked, ActorKind: ActorSystem}); jerr != nil {
				return fmt.Errorf("vault: confirm: %w (journal: %v)", err, jerr)
			}
		}
		return fmt.Errorf("vault: confirm: %w", err)
	}
	if (id != nil && id.Recipient().String() != acct.publicKey) || acct.publicKey != p.PublicKey() {
		return fmt.Errorf("vault: confirm: identity does not match public key: %w", ErrCorrupt)
	}
	return att.succeeded(ctx)
}

// ConfirmSession checks the proof of an owner or a worker (CheckProof)
// and marks the session owner was resumed from as confirmed now: for
// ConfirmWindow that session may do what needs confirmation, and owner
// counts as confirmed for the rest of this request. Errors: those of CheckProof, ErrNoSession
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
	owner.confirmed, owner.confirmedUntil, owner.clock = true, now.Add(ConfirmWindow), s.now
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

// IsConfirmed reports whether p may do what needs confirmation now: judged
// when it is asked (the action), not when the request began.
func (p *Principal) IsConfirmed() bool {
	if p == nil || !p.confirmed {
		return false
	}
	return p.clock == nil || p.confirmedUntil.IsZero() || p.clock().Before(p.confirmedUntil)
}

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
