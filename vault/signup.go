package vault

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"filippo.io/age"
	"golang.org/x/text/unicode/norm"

	"github.com/coffre/coffre/api/i18n"
	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// Journal event kinds recorded by the account code besides those of
// journal.go.
const (
	EventLoginLocked         = "login-locked"
	EventLogoutEverywhere    = "logout-everywhere"
	EventRecoveryCodeRenewed = "recovery-code-renewed"
	// EventRecoveryCodeReissued: a recovery by code replaced the code used.
	EventRecoveryCodeReissued = "recovery-code-reissued"
	// EventRecoveryCodeRevoked: an assisted recovery cancelled the code;
	// the owner is asked to print a new sheet (RecoverySheetDue).
	EventRecoveryCodeRevoked = "recovery-code-revoked"
	// EventRecoveryCodeWithheld: a worker created the vault; the code made
	// then was shown to nobody, and the owner is asked to make the sheet at
	// first sign-in (RecoverySheetDue).
	EventRecoveryCodeWithheld = "recovery-code-withheld"
	EventAssistedRecoverySet  = "assisted-recovery-set"
	EventAssistedRecoveryOff  = "assisted-recovery-withdrawn"
)

// MaxDisplayName bounds an owner's or worker's display name, in characters.
const MaxDisplayName = 100

// NewOwner describes a vault being created.
type NewOwner struct {
	// Identifier is a pseudonym or a French phone number as the person typed
	// it: the account is found by its canonical form (NormalizeIdentifier),
	// and the owner is shown it as typed ("06 12 34 56 78", "Élodie.M").
	Identifier string
	// Secret is typed by the person (never by a worker); CheckSecret applies.
	Secret []byte
	// Lang is "fr" (default) or "en".
	Lang string
	// DisplayName is optional, shown only to the owner (stored sealed).
	DisplayName string
	// AssistedRecoveryOrg, if set, lets that organisation's recovery key
	// reset the secret (the person opted in).
	AssistedRecoveryOrg string
}

// Profile is what an owner sees of their own account. Identifier is as
// the owner typed it at sign-up (the canonical form for older accounts).
type Profile struct {
	Identifier, DisplayName, Lang string
	// AssistedRecoveryOrg is the organisation allowed to reset the secret
	// ("" for none) and AssistedRecoveryOrgName its name.
	AssistedRecoveryOrg, AssistedRecoveryOrgName string
}

// shownIdentifier is the identifier as the person typed it, without the
// spaces around it (NFC, as NormalizeIdentifier reads it).
func shownIdentifier(s string) string { return strings.TrimSpace(norm.NFC.String(s)) }

// normLang is the catalogue code of an account's language ("fr" when
// none): a language Coffre has a catalogue for (package api/i18n), which
// its messages and the pages its upload links open are said in.
func normLang(lang string) (string, error) {
	if strings.TrimSpace(lang) == "" {
		return i18n.Default, nil
	}
	if c := i18n.For(lang); c != nil {
		return c.Code, nil
	}
	return "", fmt.Errorf("%w: language %q (one of %s)", ErrInvalid, lang, strings.Join(i18n.Codes(), ", "))
}

func cleanName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxDisplayName || strings.ContainsFunc(name, isControl) {
		return "", fmt.Errorf("%w: name: at most %d characters, no control characters", ErrInvalid, MaxDisplayName)
	}
	return name, nil
}

// isControl: C0 and C1 control characters, and the bidirectional
// embeddings and overrides (U+202A–U+202E) that make a name read
// backwards. The isolates (U+2066–U+2069), which Coffre's own
// right-to-left messages put around a name or a type (a link's label in
// Arabic holds them), the marks U+200E/U+200F and the joiners (U+200C,
// which Dari and Pashto spell with) stay allowed: an isolate ends with its
// paragraph and cannot reorder what surrounds it.
func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || (r >= 0x202a && r <= 0x202e)
}

// identifierHash is how an owner identifier is stored and looked up.
func (s *Service) identifierHash(normalized string) string {
	return s.keyedHash(infoIdentifier, "owner-identifier", normalized)
}

// derive runs a secret derivation in a KDF slot and counts it.
func (s *Service) derive(ctx context.Context, fn func() error) error {
	return s.withKDF(ctx, func() error {
		s.acct.kdfEvals.Add(1)
		return fn()
	})
}

// SignUp creates an owner account: a fresh identity wrapped by the secret
// (+ pepper), by a fresh recovery code (returned once, for the recovery
// sheet, never stored) and, if the person opted in, to the organisation's
// recovery key. by is nil when the person signs up alone, or the worker who
// creates the vault with the person present (the person types the secret):
// then no recovery code is returned (the zero code) — the worker never sees
// it — and the owner is asked to make the sheet at first sign-in
// (RecoverySheetDue).
// Errors: ErrInvalid (identifier, language, name, organisation, by not a
// worker), ErrWeakSecret, ErrConflict (identifier taken). Journaled.
func (s *Service) SignUp(ctx context.Context, nw NewOwner, by *Principal) (string, seal.RecoveryCode, error) {
	var none seal.RecoveryCode
	ident, err := NormalizeIdentifier(nw.Identifier)
	if err != nil {
		return "", none, err
	}
	if err := CheckSecret(nw.Secret); err != nil {
		return "", none, err
	}
	secret, err := normSecret(nw.Secret)
	if err != nil {
		return "", none, err
	}
	lang, err := normLang(nw.Lang)
	if err != nil {
		return "", none, err
	}
	name, err := cleanName(nw.DisplayName)
	if err != nil {
		return "", none, err
	}
	if by != nil && (!by.valid() || by.kind != KindWorker) {
		return "", none, fmt.Errorf("%w: sign-up on behalf of someone needs a worker", ErrInvalid)
	}
	var orgRecovery age.Recipient
	if nw.AssistedRecoveryOrg != "" {
		org, err := s.meta.Organisation(ctx, nw.AssistedRecoveryOrg)
		if err != nil {
			if errors.Is(err, meta.ErrNotFound) {
				return "", none, fmt.Errorf("%w: unknown organisation for assisted recovery", ErrInvalid)
			}
			return "", none, mapMeta("sign up", err)
		}
		if orgRecovery, err = seal.ParseRecipient(org.RecoveryPublicKey); err != nil {
			return "", none, fmt.Errorf("vault: sign up: organisation recovery key: %w: %w", ErrCorrupt, err)
		}
	}
	hash := s.identifierHash(ident)
	// Fail fast before the costly derivation; the insert re-checks.
	if _, _, err := s.meta.OwnerAccountByIdentifier(ctx, hash); err == nil {
		return "", none, fmt.Errorf("vault: sign up: identifier taken: %w", ErrConflict)
	} else if !errors.Is(err, meta.ErrNotFound) {
		return "", none, mapMeta("sign up", err)
	}
	id, err := newID()
	if err != nil {
		return "", none, err
	}
	identity, err := seal.NewIdentity()
	if err != nil {
		return "", none, fmt.Errorf("vault: sign up: %w", err)
	}
	code, err := seal.NewRecoveryCode()
	if err != nil {
		return "", none, fmt.Errorf("vault: sign up: %w", err)
	}
	var bySecret, byCode []byte
	err = s.derive(ctx, func() error {
		var err error
		if bySecret, err = seal.WrapWithSecret(identity, secret, s.pepper, s.scrypt); err != nil {
			return err
		}
		byCode, err = seal.WrapWithRecoveryCode(identity, code)
		return err
	})
	if err != nil {
		return "", none, fmt.Errorf("vault: sign up: %w", err)
	}
	acct := meta.OwnerAccount{IdentifierHash: hash, Lang: lang, AssistedOrgID: nw.AssistedRecoveryOrg}
	me := identity.Recipient()
	if acct.IdentifierSealed, err = seal.SealString(shownIdentifier(nw.Identifier), me); err != nil {
		return "", none, fmt.Errorf("vault: sign up: %w", err)
	}
	if name != "" {
		if acct.NameSealed, err = seal.SealString(name, me); err != nil {
			return "", none, fmt.Errorf("vault: sign up: %w", err)
		}
	}
	if orgRecovery != nil {
		if acct.IdentityByOrg, err = seal.WrapIdentity(identity, orgRecovery); err != nil {
			return "", none, fmt.Errorf("vault: sign up: %w", err)
		}
	}
	err = s.meta.CreateOwnerAccount(ctx, meta.Owner{
		ID: id, PublicKey: me.String(), IdentityBySecret: bySecret, IdentityByRecovery: byCode, Created: s.now().UTC(),
	}, acct)
	if err != nil {
		return "", none, mapMeta("sign up", err)
	}
	ev := Event{Kind: EventSignup, ActorKind: ActorOwner, ActorID: id}
	if by != nil {
		ev = s.workerEvent(ctx, EventSignup, by)
	}
	if err := s.record(ctx, id, ev); err != nil {
		return "", none, fmt.Errorf("vault: sign up: journal: %w", err)
	}
	// Requests made for this identifier before the vault existed arrive now.
	s.deliverWaiting(ctx, id, hash)
	if by != nil {
		withheld := s.workerEvent(ctx, EventRecoveryCodeWithheld, by)
		if err := s.record(ctx, id, withheld); err != nil {
			return "", none, fmt.Errorf("vault: sign up: journal: %w", err)
		}
		return id, none, nil
	}
	return id, code, nil
}

// OwnerIDByIdentifier resolves an identifier (any accepted spelling) to an
// owner id. Errors: ErrInvalid (not an identifier), ErrNotFound.
func (s *Service) OwnerIDByIdentifier(ctx context.Context, identifier string) (string, error) {
	ident, err := NormalizeIdentifier(identifier)
	if err != nil {
		return "", err
	}
	o, _, err := s.meta.OwnerAccountByIdentifier(ctx, s.identifierHash(ident))
	if err != nil {
		return "", mapMeta("owner by identifier", err)
	}
	return o.ID, nil
}

// decoySecret spends the work of a real secret check for an unknown
// identifier, so that timing does not tell which identifiers exist.
func (s *Service) decoySecret(ctx context.Context, sec secretForms) {
	s.acct.decoyOnce.Do(func() {
		id, err := seal.NewIdentity()
		if err != nil {
			s.acct.decoyErr = err
			return
		}
		var pw [32]byte
		copy(pw[:], s.pepperKey("coffre/vault/v1/decoy"))
		s.acct.decoy, s.acct.decoyErr = seal.WrapWithSecret(id, pw[:], s.pepper, s.scrypt)
	})
	if s.acct.decoyErr != nil {
		return
	}
	_ = s.derive(ctx, func() error {
		_, err := s.openWithSecret(s.acct.decoy, sec) // as many derivations as a real wrong secret
		return err
	})
}

// Login opens an owner's vault with identifier and secret. clientIP (may be
// "") feeds the per-address counter. Errors: ErrInvalid (malformed
// identifier, empty secret), ErrWrongSecret (wrong secret or unknown
// identifier, after the same work), *ThrottledError (ErrThrottled) when too
// many attempts failed — no secret is evaluated then. Journaled.
func (s *Service) Login(ctx context.Context, identifier string, secret []byte, clientIP string) (*Principal, error) {
	p, _, err := s.LoginFrom(ctx, identifier, secret, Client{IP: clientIP})
	return p, err
}

// LoginFrom is Login from a client that may hold a device token, which a
// successful login hands out (OWASP's "device cookie"): a browser that has
// signed in to this account before counts its failures on a budget of its
// own, so that failures from elsewhere (anyone who knows the identifier)
// do not lock it out; an unknown browser shares the account's budget. The
// new device token, to keep in place of the old one, is returned with the
// principal.
func (s *Service) LoginFrom(ctx context.Context, identifier string, secret []byte, cl Client) (*Principal, string, error) {
	ident, err := NormalizeIdentifier(identifier)
	if err != nil {
		return nil, "", err
	}
	sec, err := checkSecretForms(secret)
	if err != nil {
		return nil, "", err
	}
	// The counter (and the device tokens) of the identifier's keyed hash,
	// which a passkey sign-in and a confirmation count on too.
	account := s.identifierHash(ident)
	att, err := s.beginDeviceAttempt(ctx, scopeOwnerLogin, account, cl)
	if err != nil {
		return nil, "", err
	}
	p, err := s.login(ctx, ident, sec, att)
	if err != nil {
		return nil, "", err
	}
	return p, s.newDeviceToken(scopeOwnerLogin, account), nil
}

// login checks an owner's secret for an attempt already counted.
func (s *Service) login(ctx context.Context, ident string, sec secretForms, att *attempt) (*Principal, error) {
	o, _, err := s.meta.OwnerAccountByIdentifier(ctx, s.identifierHash(ident))
	if errors.Is(err, meta.ErrNotFound) {
		s.decoySecret(ctx, sec)
		return nil, fmt.Errorf("vault: login: %w", ErrWrongSecret)
	}
	if err != nil {
		return nil, mapMeta("login", err)
	}
	var identity *age.X25519Identity
	err = s.derive(ctx, func() error {
		var err error
		identity, err = s.openWithSecret(o.IdentityBySecret, sec)
		return err
	})
	if err != nil {
		if errors.Is(err, seal.ErrWrongSecret) && att.locked(ctx) {
			if jerr := s.record(ctx, o.ID, Event{Kind: EventLoginLocked, ActorKind: ActorSystem}); jerr != nil {
				return nil, fmt.Errorf("vault: login: %w (journal: %v)", err, jerr)
			}
		}
		return nil, fmt.Errorf("vault: login: %w", err)
	}
	if identity.Recipient().String() != o.PublicKey {
		return nil, fmt.Errorf("vault: login: identity does not match public key: %w", ErrCorrupt)
	}
	if err := att.succeeded(ctx); err != nil {
		return nil, err
	}
	if err := s.record(ctx, o.ID, Event{Kind: EventLogin, ActorKind: ActorOwner, ActorID: o.ID}); err != nil {
		return nil, fmt.Errorf("vault: login: journal: %w", err)
	}
	// Requests made with her identifier reach her as she signs in, so that
	// "Mes papiers" shows them at once (best effort; the sweep retries).
	s.deliverWaiting(ctx, o.ID, s.identifierHash(ident))
	return &Principal{kind: KindOwner, id: o.ID, identity: identity, confirmed: true, retired: o.RetiredIdentities}, nil
}

// Recover opens an owner's vault with the recovery code and sets newSecret:
// every document stays readable, every open session of the owner ends, and
// the recovery code is replaced in the same write as the secret: the code
// just used stops working and the new one is returned, to show once (a
// used sheet has often been handled by someone else). Of two recoveries
// racing with the same code exactly one succeeds. Throttled like Login,
// with its own account counter. Errors: ErrInvalid (identifier, malformed
// code — a typo the code's checksum caught, not counted as an attempt),
// ErrWeakSecret, ErrWrongRecoveryCode (wrong or already used code, unknown
// identifier), ErrThrottled. Journaled (the recovery and the new code).
func (s *Service) Recover(ctx context.Context, identifier, code string, newSecret []byte, clientIP string) (*Principal, seal.RecoveryCode, error) {
	var none seal.RecoveryCode
	ident, err := NormalizeIdentifier(identifier)
	if err != nil {
		return nil, none, err
	}
	if err := CheckSecret(newSecret); err != nil {
		return nil, none, err
	}
	if newSecret, err = normSecret(newSecret); err != nil {
		return nil, none, err
	}
	rc, err := seal.ParseRecoveryCode(code)
	if err != nil {
		return nil, none, fmt.Errorf("%w: recovery code: %w", ErrInvalid, err)
	}
	att, err := s.beginAttempt(ctx, scopeOwnerRecovery, ident, clientIP)
	if err != nil {
		return nil, none, err
	}
	o, _, err := s.meta.OwnerAccountByIdentifier(ctx, s.identifierHash(ident))
	if errors.Is(err, meta.ErrNotFound) {
		// Same work as a wrong code: one recovery-code derivation.
		_ = s.derive(ctx, func() error {
			_, err := seal.UnwrapWithRecoveryCode(s.recoveryDecoy(), rc)
			return err
		})
		return nil, none, fmt.Errorf("vault: recover: %w", ErrWrongRecoveryCode)
	}
	if err != nil {
		return nil, none, mapMeta("recover", err)
	}
	var identity *age.X25519Identity
	var bySecret, byCode []byte
	err = s.derive(ctx, func() error {
		var err error
		if identity, err = seal.UnwrapWithRecoveryCode(o.IdentityByRecovery, rc); err != nil {
			return err
		}
		if identity.Recipient().String() != o.PublicKey {
			return fmt.Errorf("identity does not match public key: %w", ErrCorrupt)
		}
		if bySecret, err = seal.WrapWithSecret(identity, newSecret, s.pepper, s.scrypt); err != nil {
			return err
		}
		byCode, err = s.rewrapRecovery(identity, &rc)
		return err
	})
	if err != nil {
		return nil, none, fmt.Errorf("vault: recover: %w", err)
	}
	fin := recoveryOutcome{
		ownerID: o.ID, identity: identity, oldByCode: o.IdentityByRecovery, bySecret: bySecret, byCode: byCode,
		att: att, lost: ErrWrongRecoveryCode,
		events: []Event{
			{Kind: EventRecovery, ActorKind: ActorOwner, ActorID: o.ID},
			{Kind: EventRecoveryCodeReissued, ActorKind: ActorSystem},
		},
	}
	p, err := s.finishRecovery(ctx, fin)
	if err != nil {
		return nil, none, err
	}
	return p, rc, nil
}

// rewrapRecovery replaces *code by a fresh recovery code and returns the
// identity wrapped under it. Runs inside a KDF slot.
func (s *Service) rewrapRecovery(identity *age.X25519Identity, code *seal.RecoveryCode) ([]byte, error) {
	fresh, err := seal.NewRecoveryCode()
	if err != nil {
		return nil, err
	}
	w, err := seal.WrapWithRecoveryCode(identity, fresh)
	if err != nil {
		return nil, err
	}
	*code = fresh
	return w, nil
}

// recoveryOutcome is what a successful recovery writes.
type recoveryOutcome struct {
	ownerID  string
	identity *age.X25519Identity
	// oldByCode is the recovery-code wrap that was read; bySecret and
	// byCode replace the secret and recovery-code wraps only if it is
	// still the stored one.
	oldByCode, bySecret, byCode []byte
	att                         *attempt
	// lost is the error when a concurrent recovery changed the wrap first.
	lost error
	// events are journaled in order.
	events []Event
}

// finishRecovery stores the new secret and recovery-code wraps in one
// conditional write, ends the owner's sessions, clears the counters and
// journals the events.
func (s *Service) finishRecovery(ctx context.Context, r recoveryOutcome) (*Principal, error) {
	if err := s.meta.ReplaceOwnerRecovery(ctx, r.ownerID, r.oldByCode, r.bySecret, r.byCode); err != nil {
		if errors.Is(err, meta.ErrConflict) {
			return nil, fmt.Errorf("vault: recover: recovery changed meanwhile: %w", r.lost)
		}
		return nil, mapMeta("recover", err)
	}
	if _, err := s.meta.DeleteSessions(ctx, KindOwner, r.ownerID); err != nil {
		return nil, mapMeta("recover: end sessions", err)
	}
	if r.att != nil {
		if err := r.att.succeeded(ctx); err != nil {
			return nil, err
		}
	}
	for _, ev := range r.events {
		if err := s.record(ctx, r.ownerID, ev); err != nil {
			return nil, fmt.Errorf("vault: recover: journal: %w", err)
		}
	}
	p := &Principal{kind: KindOwner, id: r.ownerID, identity: r.identity, confirmed: true}
	if o, err := s.meta.Owner(ctx, r.ownerID); err == nil {
		p.retired = o.RetiredIdentities
	}
	// The identity is the same: the passkeys that opened the vault still
	// do; the journal names them, so that a lost phone is noticed.
	if err := s.passkeysJournal(ctx, p, EventPasskeysKept); err != nil {
		return nil, fmt.Errorf("vault: recover: %w", err)
	}
	return p, nil
}

// RecoverySheetDue reports whether the owner has no recovery code they
// know of: an assisted recovery cancelled the old one, or a worker created
// the vault (the code was shown to nobody), and no new sheet was made
// since (NewRecoveryCode). The owner is then asked to print one.
func (s *Service) RecoverySheetDue(ctx context.Context, owner *Principal) (bool, error) {
	if err := requireOwner(owner); err != nil {
		return false, err
	}
	k, err := s.meta.LastJournalKind(ctx, owner.id, EventRecoveryCodeRevoked, EventRecoveryCodeWithheld,
		EventRecoveryCodeRenewed, EventRecoveryCodeReissued, EventKeysRotated)
	if err != nil {
		return false, mapMeta("recovery sheet due", err)
	}
	return k == EventRecoveryCodeRevoked || k == EventRecoveryCodeWithheld, nil
}

// secretDueKinds are the journal events after which a worker knows the
// owner's secret (she typed it in front of them), and secretOwnKinds those
// after which she chose one alone. The latest of them decides.
var (
	secretDueKinds = []string{EventRecoveryCodeWithheld, EventAssistedRecovery}
	secretOwnKinds = []string{EventSecretChanged, EventRecoveryCodeReissued, EventKeysRotated}
)

// secretChangeDue reports whether the owner's secret was last set with a
// worker present (a vault a worker created, an assisted recovery) and not
// changed by her since: her sessions must then change it first
// (Principal.SecretChangeDue).
func (s *Service) secretChangeDue(ctx context.Context, ownerID string) (bool, error) {
	k, err := s.meta.LastJournalKind(ctx, ownerID, append(append([]string(nil), secretDueKinds...), secretOwnKinds...)...)
	if err != nil {
		return false, mapMeta("secret change due", err)
	}
	return slices.Contains(secretDueKinds, k), nil
}

// ErrSameSecret: the new secret is the current one (also ErrInvalid).
var ErrSameSecret = fmt.Errorf("vault: the new secret is the current one: %w", ErrInvalid)

// recoveryDecoy is a recovery-code wrap nobody can open (its code is
// discarded), for unknown identifiers.
func (s *Service) recoveryDecoy() []byte {
	s.acct.recoveryDecoyOnce.Do(func() {
		id, err := seal.NewIdentity()
		if err != nil {
			return
		}
		code, err := seal.NewRecoveryCode()
		if err != nil {
			return
		}
		s.acct.recoveryDecoy, _ = seal.WrapWithRecoveryCode(id, code)
	})
	return s.acct.recoveryDecoy
}

// ChangeSecret replaces the secret of an unlocked owner or worker
// (CheckSecret applies). An owner must be confirmed (a session alone is
// not enough: ConfirmSession), and her new secret must differ from the
// current one (ErrSameSecret): when a worker saw the current one typed,
// keeping it would keep the worker's access. Every other session of the
// principal ends, on every instance; the session p came from stays, and
// may do everything again (SecretChangeDue). Every passkey of the
// principal is removed (removeAllPasskeys). Errors: ErrInvalid,
// ErrConfirmRequired, ErrWeakSecret, ErrSameSecret, ErrNotFound.
// Journaled for owners.
func (s *Service) ChangeSecret(ctx context.Context, p *Principal, newSecret []byte) error {
	if !p.valid() {
		return fmt.Errorf("%w: change secret: not logged in", ErrInvalid)
	}
	if p.kind == KindOwner && !p.IsConfirmed() {
		return ErrConfirmRequired
	}
	if err := CheckSecret(newSecret); err != nil {
		return err
	}
	sec, err := checkSecretForms(newSecret)
	if err != nil {
		return err
	}
	newSecret = sec.folded
	if p.kind == KindOwner {
		o, err := s.meta.Owner(ctx, p.id)
		if err != nil {
			return mapMeta("change secret", err)
		}
		same := false
		if err := s.derive(ctx, func() error {
			_, err := s.openWithSecret(o.IdentityBySecret, sec)
			same = err == nil
			return nil
		}); err != nil {
			return fmt.Errorf("vault: change secret: %w", err)
		}
		if same {
			return ErrSameSecret
		}
	}
	var bySecret []byte
	err = s.derive(ctx, func() error {
		var err error
		bySecret, err = seal.WrapWithSecret(p.identity, newSecret, s.pepper, s.scrypt)
		return err
	})
	if err != nil {
		return fmt.Errorf("vault: change secret: %w", err)
	}
	switch p.kind {
	case KindOwner:
		if err := s.meta.SetOwnerIdentityBySecret(ctx, p.id, bySecret); err != nil {
			return mapMeta("change secret", err)
		}
		if err := s.record(ctx, p.id, Event{Kind: EventSecretChanged, ActorKind: ActorOwner, ActorID: p.id}); err != nil {
			return fmt.Errorf("vault: change secret: journal: %w", err)
		}
		if p.session != "" && p.secretDue {
			if err := s.meta.ClearSessionSecretDue(ctx, p.session); err != nil && !errors.Is(err, meta.ErrNotFound) {
				return mapMeta("change secret", err)
			}
		}
		p.secretDue = false
	case KindWorker:
		if err := s.meta.SetWorkerIdentityBySecret(ctx, p.id, bySecret); err != nil {
			return mapMeta("change secret", err)
		}
	default:
		return fmt.Errorf("%w: change secret: kind %q", ErrInvalid, p.kind)
	}
	if err := s.removeAllPasskeys(ctx, p); err != nil {
		return err
	}
	return s.endOtherSessions(ctx, p)
}

// removeAllPasskeys removes every passkey of p when the secret changes:
// someone who knew the old secret could have added one of their own with
// it, and it would have outlived the change (found by an attacker's
// review). The person adds her phone's again (the page says so); each
// removal is journaled for an owner.
func (s *Service) removeAllPasskeys(ctx context.Context, p *Principal) error {
	rows, err := s.meta.Passkeys(ctx, p.kind, p.id)
	if err != nil {
		return mapMeta("change secret: passkeys", err)
	}
	for _, r := range rows {
		name := s.passkeyName(p, r)
		if err := s.meta.DeletePasskey(ctx, p.kind, p.id, r.ID); err != nil && !errors.Is(err, meta.ErrNotFound) {
			return mapMeta("change secret: passkeys", err)
		}
		if p.kind == KindOwner {
			if err := s.record(ctx, p.id, Event{Kind: EventPasskeyRemoved, ActorKind: ActorOwner, ActorID: p.id, Detail: name}); err != nil {
				return fmt.Errorf("vault: change secret: journal: %w", err)
			}
		}
	}
	return nil
}

// NewRecoveryCode replaces an owner's recovery code (a lost or used
// sheet): the old code stops working, and so does every other session of
// the owner, on every instance. The new code is shown once. The owner
// must be confirmed (ErrConfirmRequired): else a stolen session could
// mint a code and recover the vault with it.
func (s *Service) NewRecoveryCode(ctx context.Context, owner *Principal) (seal.RecoveryCode, error) {
	if err := requireConfirmedOwner(owner); err != nil {
		return seal.RecoveryCode{}, err
	}
	code, err := seal.NewRecoveryCode()
	if err != nil {
		return seal.RecoveryCode{}, fmt.Errorf("vault: new recovery code: %w", err)
	}
	var w []byte
	err = s.derive(ctx, func() error {
		var err error
		w, err = seal.WrapWithRecoveryCode(owner.identity, code)
		return err
	})
	if err != nil {
		return seal.RecoveryCode{}, fmt.Errorf("vault: new recovery code: %w", err)
	}
	if err := s.meta.SetOwnerIdentityByRecovery(ctx, owner.id, w); err != nil {
		return seal.RecoveryCode{}, mapMeta("new recovery code", err)
	}
	if err := s.record(ctx, owner.id, Event{Kind: EventRecoveryCodeRenewed, ActorKind: ActorOwner, ActorID: owner.id}); err != nil {
		return seal.RecoveryCode{}, fmt.Errorf("vault: new recovery code: journal: %w", err)
	}
	if err := s.endOtherSessions(ctx, owner); err != nil {
		return seal.RecoveryCode{}, err
	}
	return code, nil
}

// OwnerProfile returns what the owner sees of their account.
func (s *Service) OwnerProfile(ctx context.Context, owner *Principal) (Profile, error) {
	if err := requireOwner(owner); err != nil {
		return Profile{}, err
	}
	_, a, err := s.meta.OwnerAccount(ctx, owner.id)
	if err != nil {
		return Profile{}, mapMeta("profile", err)
	}
	p := Profile{Lang: a.Lang, AssistedRecoveryOrg: a.AssistedOrgID}
	if len(a.IdentifierSealed) > 0 {
		if p.Identifier, err = seal.OpenString(a.IdentifierSealed, owner.identity); err != nil {
			return Profile{}, fmt.Errorf("vault: profile: %w: %w", ErrCorrupt, err)
		}
	}
	if len(a.NameSealed) > 0 {
		if p.DisplayName, err = seal.OpenString(a.NameSealed, owner.identity); err != nil {
			return Profile{}, fmt.Errorf("vault: profile: %w: %w", ErrCorrupt, err)
		}
	}
	if a.AssistedOrgID != "" {
		if org, err := s.organisation(ctx, a.AssistedOrgID); err == nil {
			p.AssistedRecoveryOrgName = org.Name
		}
	}
	return p, nil
}

// SetProfile changes the owner's display name and language.
func (s *Service) SetProfile(ctx context.Context, owner *Principal, displayName, lang string) error {
	if err := requireOwner(owner); err != nil {
		return err
	}
	name, err := cleanName(displayName)
	if err != nil {
		return err
	}
	if lang, err = normLang(lang); err != nil {
		return err
	}
	var sealed []byte
	if name != "" {
		if sealed, err = seal.SealString(name, owner.identity.Recipient()); err != nil {
			return fmt.Errorf("vault: set profile: %w", err)
		}
	}
	return mapMetaNil("set profile", s.meta.SetOwnerProfile(ctx, owner.id, sealed, lang))
}

// mapMetaNil is mapMeta that keeps nil.
func mapMetaNil(what string, err error) error {
	if err == nil {
		return nil
	}
	return mapMeta(what, err)
}
