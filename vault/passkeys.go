package vault

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"filippo.io/age"

	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// Passkeys. An owner or a worker enrols WebAuthn credentials (one per
// device). The WebAuthn ceremony itself (origin, RP ID, challenge,
// signature, user verification) is checked by the web layer with
// go-webauthn before anything reaches this file; what the vault keeps is
// the credential's public data, its signature counter, its device name
// sealed to the principal and, when the authenticator has the PRF
// extension, one more wrap of the principal's identity keyed by the PRF
// output through the secret KDF (scrypt with the pepper,
// seal.WrapWithSecret). The PRF output is an argument, never stored: a
// copy of the database, even with the pepper, opens nothing without the
// authenticator. Removing a passkey deletes its wrap.
//
// A passkey without PRF signs in, then the secret is asked once to open
// the vault (UnlockWithPasskeySecret). A key rotation destroys the PRF
// wraps (they hold the retired identity): each passkey still signs in,
// and its next sign-in asks the new secret once and wraps the new
// identity (re-enrolment, journaled). A recovery keeps the identity, so
// the passkeys keep opening the vault (journaled too).

// Limits on what a browser sends (WebAuthn caps credential ids at 1023
// bytes; a COSE public key is far below 1 KiB).
const (
	MaxCredentialID   = 1023
	MaxPasskeyKey     = 1024
	MaxPasskeyName    = 64
	PRFOutputSize     = 32
	maxPasskeysPerOwn = 20
	maxTransports     = 8
	maxTransportLen   = 16
)

// Journal events of passkeys. Each names the passkey (its device name,
// sealed to the owner like every detail).
const (
	EventPasskeyAdded   = "passkey-added"
	EventPasskeyRemoved = "passkey-removed"
	// EventPasskeyLogin: the owner signed in with a passkey (the secret
	// was asked too when the passkey does not open the vault by itself).
	EventPasskeyLogin = "passkey-login"
	// EventPasskeyUnlocks: the passkey now opens the vault with no secret.
	EventPasskeyUnlocks = "passkey-unlocks"
	// EventPasskeyReenrolled: after a key rotation, the passkey opens the
	// vault again (the new secret was typed once with it).
	EventPasskeyReenrolled = "passkey-reenrolled"
	// EventPasskeysToReenrol: a key rotation made the passkeys' wraps
	// useless; each will ask the new secret once (detail: their names).
	EventPasskeysToReenrol = "passkeys-to-reenrol" // #nosec G101 -- a journal event kind, not a credential
	// EventPasskeysKept: after a recovery the passkeys still open the
	// vault (detail: their names).
	EventPasskeysKept = "passkeys-kept"
)

var (
	// ErrPasskeyNeedsSecret: the passkey signed in but does not open the
	// vault by itself (no PRF, or waiting for re-enrolment after a key
	// rotation): the secret is asked once (UnlockWithPasskeySecret).
	ErrPasskeyNeedsSecret = errors.New("vault: this passkey signs in; the secret opens the vault")
	// ErrPasskeyReplay: the assertion's counter did not move forward.
	ErrPasskeyReplay = errors.New("vault: passkey counter went back")
	// ErrTooManyPasskeys: the principal already has the most passkeys allowed.
	ErrTooManyPasskeys = errors.New("vault: too many passkeys")
)

// Passkey is an enrolled credential as its owner (or worker) sees it.
type Passkey struct {
	ID, Name string
	// Unlocks: the passkey opens the vault (PRF), not only signs in.
	Unlocks bool
	// Reenrol: it opened the vault before a key rotation; its next
	// sign-in asks the new secret once, then it opens the vault again.
	Reenrol           bool
	Created, LastUsed time.Time // LastUsed zero: never
}

// NewPasskey is a credential the web layer verified at registration.
type NewPasskey struct {
	CredentialID, PublicKey []byte
	SignCount               uint32
	// BackupEligible and BackupState are the registration's flags, which
	// every later assertion must match.
	BackupEligible, BackupState bool
	// Transports are what the browser reported ("internal", "hybrid", …).
	Transports []string
	Name       string
	// PRF is the authenticator's PRF output (nil: none yet). Not kept.
	PRF []byte
}

// PasskeyCredential is what the web layer needs to check an assertion of
// an enrolled credential: public data only.
type PasskeyCredential struct {
	// ID is the passkey's id in Coffre (Passkey.ID).
	ID                          string
	Kind                        RecipientKind
	PrincipalID                 string
	UserHandle                  []byte
	CredentialID, PublicKey     []byte
	SignCount                   uint32
	BackupEligible, BackupState bool
	Transports                  []string
}

// PasskeyUserHandle is the WebAuthn user handle of a principal: its kind's
// initial and its id (random, no personal data), at most 64 bytes.
func PasskeyUserHandle(kind RecipientKind, id string) []byte {
	k := "o"
	if kind == KindWorker {
		k = "w"
	}
	return []byte(k + ":" + id)
}

// UserHandle is p's WebAuthn user handle.
func (p *Principal) UserHandle() []byte { return PasskeyUserHandle(p.kind, p.id) }

func checkPRF(prf []byte) error {
	if prf != nil && len(prf) != PRFOutputSize {
		return fmt.Errorf("%w: PRF output must be %d bytes", ErrInvalid, PRFOutputSize)
	}
	return nil
}

func checkCredentialID(id []byte) error {
	if len(id) == 0 || len(id) > MaxCredentialID {
		return fmt.Errorf("%w: credential id size", ErrInvalid)
	}
	return nil
}

// requireSignedIn fails with ErrInvalid unless p is an unlocked owner or
// worker.
func requireSignedIn(p *Principal) error {
	if !p.valid() || (p.kind != KindOwner && p.kind != KindWorker) {
		return fmt.Errorf("%w: owner or worker required", ErrInvalid)
	}
	return nil
}

// requireConfirmed is requireSignedIn for a principal who proved the
// secret, the recovery code or a passkey recently (sudo.go).
func requireConfirmed(p *Principal) error {
	if err := requireSignedIn(p); err != nil {
		return err
	}
	if !p.IsConfirmed() {
		return ErrConfirmRequired
	}
	return nil
}

func passkeyFlags(eligible, state bool) uint8 {
	var f uint8
	if eligible {
		f |= meta.PasskeyBackupEligible
	}
	if state {
		f |= meta.PasskeyBackupState
	}
	return f
}

func checkTransports(ts []string) (string, error) {
	if len(ts) > maxTransports {
		return "", fmt.Errorf("%w: transports", ErrInvalid)
	}
	for _, t := range ts {
		if t == "" || len(t) > maxTransportLen || strings.ContainsFunc(t, func(r rune) bool {
			return (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-'
		}) {
			return "", fmt.Errorf("%w: transports", ErrInvalid)
		}
	}
	return strings.Join(ts, ","), nil
}

// AddPasskey enrols a credential for an owner or a worker, who must be
// confirmed (ConfirmSession). Errors: ErrInvalid (bad sizes, empty or
// overlong name), ErrConflict (credential already enrolled),
// ErrTooManyPasskeys, ErrConfirmRequired. Journaled for owners. Nothing is
// written on error.
func (s *Service) AddPasskey(ctx context.Context, p *Principal, np NewPasskey) (string, error) {
	if err := requireConfirmed(p); err != nil {
		return "", err
	}
	name := strings.TrimSpace(np.Name)
	switch {
	case checkCredentialID(np.CredentialID) != nil:
		return "", checkCredentialID(np.CredentialID)
	case len(np.PublicKey) == 0 || len(np.PublicKey) > MaxPasskeyKey:
		return "", fmt.Errorf("%w: public key size", ErrInvalid)
	case name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxPasskeyName ||
		strings.ContainsFunc(name, isControl):
		return "", fmt.Errorf("%w: device name", ErrInvalid)
	}
	transports, err := checkTransports(np.Transports)
	if err != nil {
		return "", err
	}
	if err := checkPRF(np.PRF); err != nil {
		return "", err
	}
	existing, err := s.meta.Passkeys(ctx, p.kind, p.id)
	if err != nil {
		return "", mapMeta("add passkey", err)
	}
	if len(existing) >= maxPasskeysPerOwn {
		return "", ErrTooManyPasskeys
	}
	nameSealed, err := seal.SealString(name, p.identity.Recipient())
	if err != nil {
		return "", fmt.Errorf("vault: add passkey: %w", err)
	}
	var wrap []byte
	if np.PRF != nil {
		if wrap, err = s.prfWrap(ctx, p.identity, np.PRF); err != nil {
			return "", err
		}
	}
	id, err := newID()
	if err != nil {
		return "", err
	}
	err = s.meta.AddPasskey(ctx, meta.Passkey{
		ID: id, Kind: p.kind, PrincipalID: p.id, CredentialID: np.CredentialID, PublicKey: np.PublicKey,
		SignCount: np.SignCount, Flags: passkeyFlags(np.BackupEligible, np.BackupState), Transports: transports,
		NameSealed: nameSealed, IdentityByPRF: wrap, Created: s.now().UTC(),
	})
	if err != nil {
		return "", mapMeta("add passkey", err)
	}
	if p.kind == KindOwner {
		if err := s.record(ctx, p.id, Event{Kind: EventPasskeyAdded, ActorKind: ActorOwner, ActorID: p.id, Detail: name}); err != nil {
			return "", fmt.Errorf("vault: add passkey: journal: %w", err)
		}
	}
	return id, nil
}

// prfWrap wraps identity by a PRF output through the secret KDF.
func (s *Service) prfWrap(ctx context.Context, identity *age.X25519Identity, prf []byte) ([]byte, error) {
	var wrap []byte
	err := s.withKDF(ctx, func() error {
		var err error
		wrap, err = seal.WrapWithSecret(identity, prf, s.pepper, s.scrypt)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("vault: passkey wrap: %w", err)
	}
	return wrap, nil
}

// Passkeys lists the passkeys of an owner or a worker, oldest first.
func (s *Service) Passkeys(ctx context.Context, p *Principal) ([]Passkey, error) {
	if err := requireSignedIn(p); err != nil {
		return nil, err
	}
	rows, err := s.meta.Passkeys(ctx, p.kind, p.id)
	if err != nil {
		return nil, mapMeta("passkeys", err)
	}
	out := make([]Passkey, 0, len(rows))
	for _, r := range rows {
		out = append(out, Passkey{
			ID: r.ID, Name: s.passkeyName(p, r), Unlocks: len(r.IdentityByPRF) > 0, Reenrol: !r.ReenrolSince.IsZero(),
			Created: r.Created, LastUsed: r.LastUsed,
		})
	}
	return out, nil
}

// passkeyName opens a passkey's device name (sealed to the principal's
// identity of the time: a retired one after a key rotation).
func (s *Service) passkeyName(p *Principal, r meta.Passkey) string {
	name, err := seal.OpenString(r.NameSealed, p.historyIdentities()...)
	if err != nil {
		return "?"
	}
	return name
}

// PasskeyCredentials returns the public data of p's passkeys, to exclude
// them from a new registration or to allow them in a confirmation.
func (s *Service) PasskeyCredentials(ctx context.Context, p *Principal) ([]PasskeyCredential, error) {
	if err := requireSignedIn(p); err != nil {
		return nil, err
	}
	rows, err := s.meta.Passkeys(ctx, p.kind, p.id)
	if err != nil {
		return nil, mapMeta("passkeys", err)
	}
	out := make([]PasskeyCredential, 0, len(rows))
	for _, r := range rows {
		out = append(out, credentialOf(r))
	}
	return out, nil
}

func credentialOf(r meta.Passkey) PasskeyCredential {
	c := PasskeyCredential{
		ID: r.ID, Kind: r.Kind, PrincipalID: r.PrincipalID, UserHandle: PasskeyUserHandle(r.Kind, r.PrincipalID),
		CredentialID: r.CredentialID, PublicKey: r.PublicKey, SignCount: r.SignCount,
		BackupEligible: r.Flags&meta.PasskeyBackupEligible != 0, BackupState: r.Flags&meta.PasskeyBackupState != 0,
	}
	if r.Transports != "" {
		c.Transports = strings.Split(r.Transports, ",")
	}
	return c
}

// PasskeyByCredential returns the public data of an enrolled credential,
// which the web layer needs to verify an assertion. ErrInvalid for a
// malformed id, ErrNotFound for an unknown one.
func (s *Service) PasskeyByCredential(ctx context.Context, credentialID []byte) (PasskeyCredential, error) {
	if err := checkCredentialID(credentialID); err != nil {
		return PasskeyCredential{}, err
	}
	r, err := s.meta.PasskeyByCredential(ctx, credentialID)
	if err != nil {
		return PasskeyCredential{}, mapMeta("passkey", err)
	}
	return credentialOf(r), nil
}

// RemovePasskey deletes one of p's passkeys and its wrap; p must be
// confirmed. ErrNotFound when p has none with that id. Journaled for
// owners.
func (s *Service) RemovePasskey(ctx context.Context, p *Principal, id string) error {
	if err := requireConfirmed(p); err != nil {
		return err
	}
	if !validID(id) {
		return fmt.Errorf("vault: remove passkey: %w", ErrNotFound)
	}
	rows, err := s.meta.Passkeys(ctx, p.kind, p.id)
	if err != nil {
		return mapMeta("remove passkey", err)
	}
	name := ""
	for _, r := range rows {
		if r.ID == id {
			name = s.passkeyName(p, r)
		}
	}
	if err := s.meta.DeletePasskey(ctx, p.kind, p.id, id); err != nil {
		return mapMeta("remove passkey", err)
	}
	if p.kind != KindOwner {
		return nil
	}
	return s.record(ctx, p.id, Event{Kind: EventPasskeyRemoved, ActorKind: ActorOwner, ActorID: p.id, Detail: name})
}

// PasskeyAssertion is a sign-in the web layer verified (signature,
// origin, RP ID, challenge, user verification) for CredentialID, with the
// counter it carried and the PRF output (nil when the authenticator gave
// none).
type PasskeyAssertion struct {
	CredentialID []byte
	SignCount    uint32
	PRF          []byte
}

// passkeyAccount is the stored account behind a passkey.
type passkeyAccount struct {
	pk       meta.Passkey
	owner    meta.Owner
	ownerAcc meta.OwnerAccount
	worker   meta.Worker
	workAcc  meta.WorkerAccount
}

// publicKey is the account's age recipient.
func (a passkeyAccount) publicKey() string {
	if a.pk.Kind == KindWorker {
		return a.worker.PublicKey
	}
	return a.owner.PublicKey
}

// scope and account name the login throttle counter the passkey counts on:
// the very counter of the secret's logins (ownerCounter, workerCounter).
func (a passkeyAccount) scope() string {
	if a.pk.Kind == KindWorker {
		return scopeWorkerLogin
	}
	return scopeOwnerLogin
}

func (a passkeyAccount) account() string {
	if a.pk.Kind == KindWorker {
		return workerCounter(a.workAcc, a.worker.ID)
	}
	return ownerCounter(a.ownerAcc, a.owner.ID)
}

// ownerCounter is the account the owner's login counter counts on: the
// identifier's keyed hash, which a login with the identifier, a
// confirmation and a passkey sign-in all know.
func ownerCounter(a meta.OwnerAccount, ownerID string) string {
	if a.IdentifierHash != "" {
		return a.IdentifierHash
	}
	return "owner:" + ownerID
}

// workerCounter is the same for a worker: the e-mail's keyed hash.
func workerCounter(a meta.WorkerAccount, workerID string) string {
	if a.EmailHash != "" {
		return a.EmailHash
	}
	return "worker:" + workerID
}

func (s *Service) loadPasskeyAccount(ctx context.Context, credentialID []byte) (passkeyAccount, error) {
	var acc passkeyAccount
	if err := checkCredentialID(credentialID); err != nil {
		return acc, err
	}
	pk, err := s.meta.PasskeyByCredential(ctx, credentialID)
	if err != nil {
		return acc, mapMeta("passkey", err)
	}
	acc.pk = pk
	switch pk.Kind {
	case KindOwner:
		acc.owner, acc.ownerAcc, err = s.meta.OwnerAccount(ctx, pk.PrincipalID)
	case KindWorker:
		acc.worker, acc.workAcc, err = s.meta.WorkerAccount(ctx, pk.PrincipalID)
	default:
		return acc, fmt.Errorf("vault: passkey of kind %q: %w", pk.Kind, ErrCorrupt)
	}
	if err != nil {
		return acc, mapMeta("passkey", err)
	}
	return acc, nil
}

// LoginWithPasskey signs an owner or a worker in with a verified
// assertion, from a client that may hold a device token (LoginFrom): it is
// counted by the same login throttle as the secret (the account's counter,
// or the device's, and the address's) and journaled for owners. With a PRF
// output that opens the passkey's wrap, the vault opens with no secret.
// Errors: ErrInvalid (sizes), ErrNotFound (unknown credential),
// ErrPasskeyReplay (counter back; counted), ErrWrongSecret (PRF output
// does not open the wrap, or a disabled worker; counted),
// *ThrottledError, ErrPasskeyNeedsSecret (sign-in accepted, counter
// moved: the caller asks for the secret and calls
// UnlockWithPasskeySecret). Nothing is written on refusal but the
// throttle's count.
func (s *Service) LoginWithPasskey(ctx context.Context, a PasskeyAssertion, cl Client) (*Principal, string, error) {
	if err := checkPRF(a.PRF); err != nil {
		return nil, "", err
	}
	acc, err := s.loadPasskeyAccount(ctx, a.CredentialID)
	if err != nil {
		return nil, "", err
	}
	att, err := s.beginDeviceAttempt(ctx, acc.scope(), acc.account(), cl)
	if err != nil {
		return nil, "", err
	}
	if acc.pk.Kind == KindWorker && !acc.workAcc.Disabled.IsZero() { // the same answer as a wrong secret
		return nil, "", fmt.Errorf("vault: passkey login: disabled: %w", ErrWrongSecret)
	}
	id, err := s.openPasskey(ctx, acc, a, false)
	if errors.Is(err, ErrPasskeyNeedsSecret) {
		// The assertion was good: the secret's attempt counts on its own.
		if serr := att.succeeded(ctx); serr != nil {
			return nil, "", serr
		}
		return nil, "", fmt.Errorf("vault: passkey login: %w", err)
	}
	if err != nil {
		return nil, "", s.failedPasskey(ctx, acc, att, err)
	}
	p, err := s.passkeyPrincipal(ctx, acc, id)
	if err != nil {
		return nil, "", err
	}
	if err := att.succeeded(ctx); err != nil {
		return nil, "", err
	}
	if acc.pk.Kind == KindOwner {
		ev := Event{Kind: EventPasskeyLogin, ActorKind: ActorOwner, ActorID: p.id, Detail: s.passkeyName(p, acc.pk)}
		if err := s.record(ctx, p.id, ev); err != nil {
			return nil, "", fmt.Errorf("vault: passkey login: journal: %w", err)
		}
		s.deliverWaiting(ctx, p.id, acc.ownerAcc.IdentifierHash)
	}
	return p, s.newDeviceToken(acc.scope(), acc.account()), nil
}

// failedPasskey journals a lock the failure caused (owners) and wraps err.
func (s *Service) failedPasskey(ctx context.Context, acc passkeyAccount, att *attempt, err error) error {
	counted := errors.Is(err, ErrPasskeyReplay) || errors.Is(err, seal.ErrWrongSecret)
	if counted && acc.pk.Kind == KindOwner && att.locked(ctx) {
		if jerr := s.record(ctx, acc.owner.ID, Event{Kind: EventLoginLocked, ActorKind: ActorSystem}); jerr != nil {
			return fmt.Errorf("vault: passkey login: %w (journal: %v)", err, jerr)
		}
	}
	return fmt.Errorf("vault: passkey login: %w", err)
}

// passkeyPrincipal is the principal a passkey opened.
func (s *Service) passkeyPrincipal(ctx context.Context, acc passkeyAccount, id *age.X25519Identity) (*Principal, error) {
	if acc.pk.Kind == KindOwner {
		return &Principal{kind: KindOwner, id: acc.owner.ID, identity: id, confirmed: true, retired: acc.owner.RetiredIdentities}, nil
	}
	p := &Principal{kind: KindWorker, id: acc.worker.ID, identity: id, confirmed: true}
	if err := s.loadOrgIdentities(ctx, p, acc.workAcc, id); err != nil {
		return nil, fmt.Errorf("vault: passkey login: %w", err)
	}
	if p.orgIdentity != nil {
		_, _ = s.activate(ctx, acc.workAcc.OrgID, p.orgIdentity) // best effort, as at a secret login
	}
	return p, nil
}

// openPasskey checks the counter, opens the PRF wrap and records the use.
// With presence, a passkey that does not open the vault by itself is
// enough (the caller has the identity already: a confirmation) and the
// identity returned is nil; without, it is ErrPasskeyNeedsSecret.
func (s *Service) openPasskey(ctx context.Context, acc passkeyAccount, a PasskeyAssertion, presence bool) (*age.X25519Identity, error) {
	pk := acc.pk
	if (a.SignCount != 0 || pk.SignCount != 0) && a.SignCount <= pk.SignCount {
		return nil, fmt.Errorf("%w: stored %d, presented %d", ErrPasskeyReplay, pk.SignCount, a.SignCount)
	}
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
		if id.Recipient().String() != acc.publicKey() {
			return nil, fmt.Errorf("identity does not match public key: %w", ErrCorrupt)
		}
	}
	if err := s.meta.UsePasskey(ctx, pk.ID, a.SignCount, s.now().UTC()); err != nil {
		if errors.Is(err, meta.ErrCounterBack) {
			return nil, fmt.Errorf("%w: %w", ErrPasskeyReplay, err)
		}
		return nil, mapMeta("passkey use", err)
	}
	if id == nil && !presence {
		return nil, ErrPasskeyNeedsSecret
	}
	return id, nil
}

// PasskeySecret is the second step of a passkey sign-in that needs the
// secret: the credential whose assertion the web layer verified (and
// kept, bound to the browser, between the two steps), the secret typed,
// and the PRF output of that assertion when the authenticator gave one.
type PasskeySecret struct {
	CredentialID []byte
	Secret       []byte
	PRF          []byte
}

// UnlockWithPasskeySecret opens the vault of a passkey that signed in but
// does not open it by itself (LoginWithPasskey answered
// ErrPasskeyNeedsSecret): the secret opens it, through the same throttle
// and journal as a login. A worker's one-time code is not asked: the
// passkey (user verification) stands in for it. When a PRF output comes
// along and the passkey has no wrap, the identity is wrapped by it: after
// a key rotation the passkey is re-enrolled (EventPasskeyReenrolled),
// otherwise it now opens the vault (EventPasskeyUnlocks). Errors:
// ErrInvalid, ErrNotFound, ErrWrongSecret (counted), *ThrottledError.
func (s *Service) UnlockWithPasskeySecret(ctx context.Context, ps PasskeySecret, cl Client) (*Principal, string, error) {
	sec, err := checkSecretForms(ps.Secret)
	if err != nil {
		return nil, "", err
	}
	if err := checkPRF(ps.PRF); err != nil {
		return nil, "", err
	}
	acc, err := s.loadPasskeyAccount(ctx, ps.CredentialID)
	if err != nil {
		return nil, "", err
	}
	att, err := s.beginDeviceAttempt(ctx, acc.scope(), acc.account(), cl)
	if err != nil {
		return nil, "", err
	}
	bySecret := acc.owner.IdentityBySecret
	if acc.pk.Kind == KindWorker {
		bySecret = acc.worker.IdentityBySecret
	}
	var id *age.X25519Identity
	err = s.derive(ctx, func() error {
		var err error
		id, err = s.openWithSecret(bySecret, sec)
		return err
	})
	if err != nil {
		return nil, "", s.failedPasskey(ctx, acc, att, err)
	}
	if id.Recipient().String() != acc.publicKey() {
		return nil, "", fmt.Errorf("vault: passkey login: identity does not match public key: %w", ErrCorrupt)
	}
	if acc.pk.Kind == KindWorker && !acc.workAcc.Disabled.IsZero() {
		return nil, "", fmt.Errorf("vault: passkey login: disabled: %w", ErrWrongSecret)
	}
	p, err := s.passkeyPrincipal(ctx, acc, id)
	if err != nil {
		return nil, "", err
	}
	if err := att.succeeded(ctx); err != nil {
		return nil, "", err
	}
	if ps.PRF != nil && len(acc.pk.IdentityByPRF) == 0 {
		if err := s.enrolPRF(ctx, p, acc.pk, ps.PRF); err != nil {
			return nil, "", err
		}
	}
	if acc.pk.Kind == KindOwner {
		ev := Event{Kind: EventPasskeyLogin, ActorKind: ActorOwner, ActorID: p.id, Detail: s.passkeyName(p, acc.pk)}
		if err := s.record(ctx, p.id, ev); err != nil {
			return nil, "", fmt.Errorf("vault: passkey login: journal: %w", err)
		}
		s.deliverWaiting(ctx, p.id, acc.ownerAcc.IdentifierHash)
	}
	return p, s.newDeviceToken(acc.scope(), acc.account()), nil
}

// enrolPRF wraps p's identity by a PRF output of passkey pk and journals
// it for owners: re-enrolled after a key rotation, or newly unlocking.
func (s *Service) enrolPRF(ctx context.Context, p *Principal, pk meta.Passkey, prf []byte) error {
	wrap, err := s.prfWrap(ctx, p.identity, prf)
	if err != nil {
		return err
	}
	if err := s.meta.SetPasskeyWrap(ctx, p.kind, p.id, pk.ID, wrap); err != nil {
		return mapMeta("passkey wrap", err)
	}
	if p.kind != KindOwner {
		return nil
	}
	kind := EventPasskeyUnlocks
	if !pk.ReenrolSince.IsZero() {
		kind = EventPasskeyReenrolled
	}
	return s.record(ctx, p.id, Event{Kind: kind, ActorKind: ActorOwner, ActorID: p.id, Detail: s.passkeyName(p, pk)})
}

// EnrolPasskeyPRF makes one of p's passkeys open the vault: a fresh
// assertion of it (verified by the web layer) brings the PRF output, which
// wraps p's identity. It is the second step of a registration whose
// authenticator gave no PRF output at creation, and how a passkey is
// re-enrolled after a key rotation from a signed-in session. The
// assertion itself proves the person holds the passkey. Errors:
// ErrInvalid (sizes, no PRF, not p's passkey), ErrPasskeyReplay, and those
// of the store. Journaled for owners.
func (s *Service) EnrolPasskeyPRF(ctx context.Context, p *Principal, a PasskeyAssertion) error {
	if err := requireSignedIn(p); err != nil {
		return err
	}
	if a.PRF == nil {
		return fmt.Errorf("%w: no PRF output", ErrInvalid)
	}
	if err := checkPRF(a.PRF); err != nil {
		return err
	}
	acc, err := s.loadPasskeyAccount(ctx, a.CredentialID)
	if err != nil {
		return err
	}
	if acc.pk.Kind != p.kind || acc.pk.PrincipalID != p.id || acc.publicKey() != p.PublicKey() {
		return fmt.Errorf("%w: not a passkey of this account", ErrInvalid)
	}
	if len(acc.pk.IdentityByPRF) > 0 {
		// Already opens the vault: the PRF output must open it (a check
		// of the assertion, nothing to write but the use).
		id, err := s.openPasskey(ctx, acc, a, true)
		if err != nil {
			return fmt.Errorf("vault: passkey enrol: %w", err)
		}
		if id == nil || id.Recipient().String() != p.PublicKey() {
			return fmt.Errorf("vault: passkey enrol: %w", ErrCorrupt)
		}
		return nil
	}
	if _, err := s.openPasskey(ctx, acc, a, true); err != nil {
		return fmt.Errorf("vault: passkey enrol: %w", err)
	}
	return s.enrolPRF(ctx, p, acc.pk, a.PRF)
}

// PasskeyProof is a fresh passkey assertion (verified by the web layer)
// of one of the principal's passkeys: sudo mode accepts it like the
// secret. Its PRF output, when the passkey has a wrap, must open it.
type PasskeyProof PasskeyAssertion

func (PasskeyProof) scope(kind RecipientKind) string {
	if kind == KindWorker {
		return scopeWorkerLogin
	}
	return scopeOwnerLogin
}

func (p PasskeyProof) verify(ctx context.Context, s *Service, acct proofAccount) (*age.X25519Identity, error) {
	if err := checkPRF(p.PRF); err != nil {
		return nil, err
	}
	acc, err := s.loadPasskeyAccount(ctx, p.CredentialID)
	if err != nil || acc.pk.Kind != acct.kind || acc.pk.PrincipalID != acct.id {
		return nil, fmt.Errorf("%w: not a passkey of this account", ErrInvalid)
	}
	return s.openPasskey(ctx, acc, PasskeyAssertion(p), true)
}

// passkeysJournal journals, for an owner, what a recovery or a key
// rotation did to the passkeys (kind EventPasskeysKept or
// EventPasskeysToReenrol), naming those concerned; nothing when none is.
func (s *Service) passkeysJournal(ctx context.Context, p *Principal, kind string) error {
	rows, err := s.meta.Passkeys(ctx, KindOwner, p.id)
	if err != nil {
		return mapMeta("passkeys", err)
	}
	var names []string
	for _, r := range rows {
		switch {
		case kind == EventPasskeysKept && len(r.IdentityByPRF) > 0,
			kind == EventPasskeysToReenrol && !r.ReenrolSince.IsZero():
			names = append(names, s.passkeyName(p, r))
		}
	}
	if len(names) == 0 {
		return nil
	}
	return s.record(ctx, p.id, Event{Kind: kind, ActorKind: ActorSystem, Detail: strings.Join(names, ", ")})
}
