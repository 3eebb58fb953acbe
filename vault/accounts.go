package vault

import (
	"context"
	"fmt"
	"time"

	"filippo.io/age"
	"golang.org/x/text/unicode/norm"

	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// Principal is someone holding an unlocked identity: an owner (from Login,
// Unlock, Recover or a resumed session) or a worker (from UnlockWorker). It lives in memory for
// the time of a session and must never be logged or stored as is.
type Principal struct {
	kind     RecipientKind
	id       string
	identity *age.X25519Identity
	// orgID and orgIdentity: a worker's organisation and, once the worker's
	// membership is active, the organisation's grantee identity.
	orgID       string
	orgIdentity *age.X25519Identity
	// session is the token hash of the session the principal was resumed
	// from ("" when it came from a secret or code just typed).
	session string
	// sessionKey is the public key the session row wraps the identity to
	// (set with session), so that a key rotation can hand the new
	// identity to the session that asked for it.
	sessionKey age.Recipient
	// retired is the owner's retired identities, sealed to identity (from
	// the owner row the session was resumed with; nil otherwise).
	retired []byte
	// confirmed: the principal proved the secret or recovery code during
	// this request, or its session did within ConfirmWindow (sudo.go).
	confirmed bool
	// confirmedUntil is when a session's confirmation stops counting (zero
	// when confirmed by a secret typed for this request only); clock tells
	// the time it is judged at, when the action is done (a request whose
	// body is still arriving when the window closes is refused).
	confirmedUntil time.Time
	clock          func() time.Time
	// orgNext is the organisation's next identity while a key rotation is
	// under way (org_rotate.go).
	orgNext *age.X25519Identity
	// secretDue: an owner whose secret a worker saw typed (SecretChangeDue).
	secretDue bool
}

// SecretChangeDue reports whether an owner must choose a new secret before
// anything else: a worker created her vault, or reset its secret in an
// assisted recovery, so the worker saw the secret typed; until the owner
// changes it, her sessions may only change it (ChangeSecret) or end.
func (p *Principal) SecretChangeDue() bool { return p != nil && p.secretDue }

// OrgID returns a worker's organisation id ("" for owners and workers
// without one).
func (p *Principal) OrgID() string { return p.orgID }

// ID returns the owner's or worker's id.
func (p *Principal) ID() string { return p.id }

// Kind returns KindOwner or KindWorker.
func (p *Principal) Kind() RecipientKind { return p.kind }

// PublicKey returns the principal's age recipient ("age1…").
func (p *Principal) PublicKey() string { return p.identity.Recipient().String() }

func (p *Principal) valid() bool { return p != nil && p.identity != nil && p.id != "" }

// requireConfirmedOwner fails with ErrInvalid unless p is an unlocked
// owner, and with ErrConfirmRequired unless p proved the secret (or the
// recovery code) recently: a session alone is not enough (sudo.go).
func requireConfirmedOwner(p *Principal) error {
	if err := requireOwner(p); err != nil {
		return err
	}
	if !p.IsConfirmed() {
		return ErrConfirmRequired
	}
	return nil
}

// requireOwner fails with ErrInvalid unless p is an unlocked owner.
func requireOwner(p *Principal) error {
	if !p.valid() || p.kind != KindOwner {
		return fmt.Errorf("%w: owner required", ErrInvalid)
	}
	return nil
}

// normSecret normalises a secret to Unicode NFC and folds its keyboard
// variants (fold.go) so that the same passphrase typed on different
// keyboards opens the same wrap. Every wrap is made with this form; a wrap
// made before the fold opens with openWithSecret.
func normSecret(secret []byte) ([]byte, error) {
	if len(secret) == 0 {
		return nil, fmt.Errorf("%w: empty secret", ErrInvalid)
	}
	if len(secret) > MaxSecretBytes {
		return nil, fmt.Errorf("%w: secret longer than %d bytes", ErrInvalid, MaxSecretBytes)
	}
	return []byte(foldSecret(norm.NFC.String(string(secret)))), nil
}

// CreateOwner creates an owner: a fresh identity stored wrapped by secret +
// pepper and by a fresh recovery code. It returns the owner id and the
// recovery code, which is shown once (printed on the recovery sheet) and
// never stored.
func (s *Service) CreateOwner(ctx context.Context, secret []byte) (string, seal.RecoveryCode, error) {
	secret, err := normSecret(secret)
	if err != nil {
		return "", seal.RecoveryCode{}, err
	}
	id, err := newID()
	if err != nil {
		return "", seal.RecoveryCode{}, err
	}
	ident, err := seal.NewIdentity()
	if err != nil {
		return "", seal.RecoveryCode{}, fmt.Errorf("vault: create owner: %w", err)
	}
	code, err := seal.NewRecoveryCode()
	if err != nil {
		return "", seal.RecoveryCode{}, fmt.Errorf("vault: create owner: %w", err)
	}
	var bySecret, byCode []byte
	err = s.withKDF(ctx, func() error {
		var err error
		if bySecret, err = seal.WrapWithSecret(ident, secret, s.pepper, s.scrypt); err != nil {
			return err
		}
		byCode, err = seal.WrapWithRecoveryCode(ident, code)
		return err
	})
	if err != nil {
		return "", seal.RecoveryCode{}, fmt.Errorf("vault: create owner: %w", err)
	}
	err = s.meta.CreateOwner(ctx, meta.Owner{
		ID: id, PublicKey: ident.Recipient().String(),
		IdentityBySecret: bySecret, IdentityByRecovery: byCode, Created: s.now().UTC(),
	})
	if err != nil {
		return "", seal.RecoveryCode{}, mapMeta("create owner", err)
	}
	return id, code, nil
}

// Unlock opens an owner's identity with their secret. Errors: ErrNotFound
// (no such owner), ErrWrongSecret.
func (s *Service) Unlock(ctx context.Context, ownerID string, secret []byte) (*Principal, error) {
	sec, err := checkSecretForms(secret)
	if err != nil {
		return nil, err
	}
	o, err := s.meta.Owner(ctx, ownerID)
	if err != nil {
		return nil, mapMeta("unlock", err)
	}
	var ident *age.X25519Identity
	err = s.withKDF(ctx, func() error {
		var err error
		ident, err = s.openWithSecret(o.IdentityBySecret, sec)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("vault: unlock: %w", err)
	}
	if ident.Recipient().String() != o.PublicKey {
		return nil, fmt.Errorf("vault: unlock: identity does not match public key: %w", ErrCorrupt)
	}
	return &Principal{kind: KindOwner, id: o.ID, identity: ident, confirmed: true, retired: o.RetiredIdentities}, nil
}

// OwnerPublicKey returns an owner's age recipient: all a relay needs to add
// documents. ErrNotFound for an unknown owner.
func (s *Service) OwnerPublicKey(ctx context.Context, ownerID string) (string, error) {
	o, err := s.meta.Owner(ctx, ownerID)
	if err != nil {
		return "", mapMeta("owner public key", err)
	}
	return o.PublicKey, nil
}

// CreateWorker creates a worker (a grantee) whose identity is wrapped by
// secret + pepper, and returns its id.
func (s *Service) CreateWorker(ctx context.Context, secret []byte) (string, error) {
	secret, err := normSecret(secret)
	if err != nil {
		return "", err
	}
	id, err := newID()
	if err != nil {
		return "", err
	}
	ident, err := seal.NewIdentity()
	if err != nil {
		return "", fmt.Errorf("vault: create worker: %w", err)
	}
	var bySecret []byte
	err = s.withKDF(ctx, func() error {
		var err error
		bySecret, err = seal.WrapWithSecret(ident, secret, s.pepper, s.scrypt)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("vault: create worker: %w", err)
	}
	err = s.meta.CreateWorker(ctx, meta.Worker{ID: id, PublicKey: ident.Recipient().String(), IdentityBySecret: bySecret, Created: s.now().UTC()})
	if err != nil {
		return "", mapMeta("create worker", err)
	}
	return id, nil
}

// UnlockWorker opens a worker's identity. Errors: ErrNotFound, ErrWrongSecret.
func (s *Service) UnlockWorker(ctx context.Context, workerID string, secret []byte) (*Principal, error) {
	sec, err := checkSecretForms(secret)
	if err != nil {
		return nil, err
	}
	w, err := s.meta.Worker(ctx, workerID)
	if err != nil {
		return nil, mapMeta("unlock worker", err)
	}
	var ident *age.X25519Identity
	err = s.withKDF(ctx, func() error {
		var err error
		ident, err = s.openWithSecret(w.IdentityBySecret, sec)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("vault: unlock worker: %w", err)
	}
	if ident.Recipient().String() != w.PublicKey {
		return nil, fmt.Errorf("vault: unlock worker: identity does not match public key: %w", ErrCorrupt)
	}
	p := &Principal{kind: KindWorker, id: w.ID, identity: ident}
	_, a, err := s.meta.WorkerAccount(ctx, w.ID)
	if err != nil {
		return nil, mapMeta("unlock worker", err)
	}
	if !a.Disabled.IsZero() {
		return nil, fmt.Errorf("vault: unlock worker: disabled: %w", ErrWrongSecret)
	}
	if err := s.loadOrgIdentities(ctx, p, a, ident); err != nil {
		return nil, fmt.Errorf("vault: unlock worker: %w", err)
	}
	return p, nil
}

// granteeRecipient resolves a grantee's public key.
func (s *Service) granteeRecipient(ctx context.Context, g Grantee) (*age.X25519Recipient, error) {
	switch g.Kind {
	case KindWorker:
		// A worker an administrator disabled or removed from their
		// organisation is given nothing: not a new share, not a share
		// taken back (attacker's review: an owner's undo within the minute
		// gave a removed member back what remove-member had cut).
		w, a, err := s.meta.WorkerAccount(ctx, g.ID)
		if err != nil {
			return nil, mapMeta("grantee", err)
		}
		// A member has a login (an e-mail); without an organisation it was
		// removed (a worker made by CreateWorker has neither).
		if removed := a.OrgID == "" && a.EmailHash != ""; removed || !a.Disabled.IsZero() {
			return nil, fmt.Errorf("vault: grantee: worker removed or disabled: %w", ErrNotFound)
		}
		r, err := seal.ParseRecipient(w.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("vault: grantee key: %w: %w", ErrCorrupt, err)
		}
		return r, nil
	case KindOrganisation:
		org, err := s.meta.Organisation(ctx, g.ID)
		if err != nil {
			return nil, mapMeta("grantee", err)
		}
		pk := org.PublicKey
		if org.NextPublicKey != "" { // a key rotation is under way: new grants go to the new key
			pk = org.NextPublicKey
		}
		r, err := seal.ParseRecipient(pk)
		if err != nil {
			return nil, fmt.Errorf("vault: grantee key: %w: %w", ErrCorrupt, err)
		}
		return r, nil
	}
	return nil, fmt.Errorf("%w: grantee kind %q", ErrInvalid, g.Kind)
}

// Grantee names a reader other than the owner.
type Grantee struct {
	Kind RecipientKind
	ID   string
}
