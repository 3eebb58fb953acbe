package vault

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"

	"filippo.io/age"

	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// ErrWrongTOTP: the worker's one-time code is missing, wrong or already
// used. LoginWorker returns it wrapped together with ErrWrongSecret, so
// that callers answer it exactly like a wrong secret.
var ErrWrongTOTP = errors.New("vault: wrong one-time code")

// Organisation is a structure whose workers may be granted access as a
// whole (a CCAS, a France Services office).
//
// Keys: the organisation holds a grantee identity (PublicKey; documents
// consented to the organisation are wrapped to it) and a recovery identity.
// The recovery key is given once to the organisation, kept offline, and
// serves twice: it opens the grantee identity (to give it to new members,
// ActivateMembers) and, for owners who opted in, resets a forgotten secret
// (AssistedRecover). Each active member holds the grantee identity wrapped
// to their own key; a new member is pending until an active member logs in
// (membership is passed on at login) or ActivateMembers runs.
type Organisation struct {
	ID, Name string
	// PublicKey is the organisation's grantee recipient ("age1…").
	PublicKey string
}

// PersonInfo is what others may see of a worker or organisation.
type PersonInfo struct {
	ID, Name, OrgID, OrgName string
	Kind                     RecipientKind
}

// maxEmail bounds an e-mail address.
const maxEmail = 254

// normEmail lower-cases and checks an e-mail address.
func normEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" || domain == "" || len(e) > maxEmail || strings.ContainsAny(e, " \t\r\n<>,;\"") ||
		strings.Contains(domain, "@") || !strings.Contains(domain, ".") {
		return "", fmt.Errorf("%w: e-mail address", ErrInvalid)
	}
	return e, nil
}

func (s *Service) emailHash(normalized string) string {
	return s.keyedHash(infoIdentifier, "worker-email", normalized)
}

// sealServer seals a short string to the server key.
func (s *Service) sealServer(v string) ([]byte, error) {
	return seal.SealString(v, s.serverIdentity().Recipient())
}

func (s *Service) openServer(b []byte) (string, error) {
	if len(b) == 0 {
		return "", nil
	}
	v, err := seal.OpenString(b, s.serverIdentity())
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return v, nil
}

// organisation loads an organisation with its name opened.
func (s *Service) organisation(ctx context.Context, id string) (Organisation, error) {
	org, err := s.meta.Organisation(ctx, id)
	if err != nil {
		return Organisation{}, mapMeta("organisation", err)
	}
	name, err := s.openServer(org.NameSealed)
	if err != nil {
		return Organisation{}, fmt.Errorf("vault: organisation name: %w", err)
	}
	return Organisation{ID: org.ID, Name: name, PublicKey: org.PublicKey}, nil
}

// CreateOrganisation creates an organisation and returns its recovery key
// (an age identity, "AGE-SECRET-KEY-1…"), shown once and never stored: the
// organisation keeps it offline (see Organisation). Errors: ErrInvalid.
func (s *Service) CreateOrganisation(ctx context.Context, name string) (Organisation, string, error) {
	name, err := cleanName(name)
	if err != nil {
		return Organisation{}, "", err
	}
	if name == "" {
		return Organisation{}, "", fmt.Errorf("%w: organisation name required", ErrInvalid)
	}
	id, err := newID()
	if err != nil {
		return Organisation{}, "", err
	}
	grantee, err := seal.NewIdentity()
	if err != nil {
		return Organisation{}, "", fmt.Errorf("vault: create organisation: %w", err)
	}
	recovery, err := seal.NewIdentity()
	if err != nil {
		return Organisation{}, "", fmt.Errorf("vault: create organisation: %w", err)
	}
	byRecovery, err := seal.WrapIdentity(grantee, recovery.Recipient())
	if err != nil {
		return Organisation{}, "", fmt.Errorf("vault: create organisation: %w", err)
	}
	sealedName, err := s.sealServer(name)
	if err != nil {
		return Organisation{}, "", fmt.Errorf("vault: create organisation: %w", err)
	}
	err = s.meta.CreateOrganisation(ctx, meta.Organisation{
		ID: id, NameSealed: sealedName, PublicKey: grantee.Recipient().String(),
		IdentityByRecovery: byRecovery, RecoveryPublicKey: recovery.Recipient().String(), Created: s.now().UTC(),
	})
	if err != nil {
		return Organisation{}, "", mapMeta("create organisation", err)
	}
	return Organisation{ID: id, Name: name, PublicKey: grantee.Recipient().String()}, recovery.String(), nil
}

// Organisations lists every organisation (admin).
func (s *Service) Organisations(ctx context.Context) ([]Organisation, error) {
	rows, err := s.meta.Organisations(ctx)
	if err != nil {
		return nil, mapMeta("organisations", err)
	}
	out := make([]Organisation, 0, len(rows))
	for _, r := range rows {
		name, err := s.openServer(r.NameSealed)
		if err != nil {
			return nil, fmt.Errorf("vault: organisation name: %w", err)
		}
		out = append(out, Organisation{ID: r.ID, Name: name, PublicKey: r.PublicKey})
	}
	return out, nil
}

// AddWorker creates a worker in organisation orgID ("" for a worker of no
// organisation) with a secret (CheckSecret applies) and, with withTOTP, a
// TOTP secret whose otpauth:// URI it returns (shown once, to enrol an
// authenticator app). The worker's membership is pending until an active
// member logs in or ActivateMembers runs. Errors: ErrInvalid (e-mail, name,
// unknown organisation), ErrWeakSecret, ErrConflict (e-mail taken).
func (s *Service) AddWorker(ctx context.Context, orgID, email, displayName string, secret []byte, withTOTP bool) (string, string, error) {
	em, err := normEmail(email)
	if err != nil {
		return "", "", err
	}
	name, err := cleanName(displayName)
	if err != nil {
		return "", "", err
	}
	if name == "" {
		return "", "", fmt.Errorf("%w: worker name required", ErrInvalid)
	}
	if err := CheckSecret(secret); err != nil {
		return "", "", err
	}
	if secret, err = normSecret(secret); err != nil {
		return "", "", err
	}
	if orgID != "" {
		if _, err := s.meta.Organisation(ctx, orgID); err != nil {
			if errors.Is(err, meta.ErrNotFound) {
				return "", "", fmt.Errorf("%w: unknown organisation", ErrInvalid)
			}
			return "", "", mapMeta("add worker", err)
		}
	}
	id, err := newID()
	if err != nil {
		return "", "", err
	}
	identity, err := seal.NewIdentity()
	if err != nil {
		return "", "", fmt.Errorf("vault: add worker: %w", err)
	}
	var bySecret []byte
	err = s.derive(ctx, func() error {
		var err error
		bySecret, err = seal.WrapWithSecret(identity, secret, s.pepper, s.scrypt)
		return err
	})
	if err != nil {
		return "", "", fmt.Errorf("vault: add worker: %w", err)
	}
	a := meta.WorkerAccount{OrgID: orgID, EmailHash: s.emailHash(em)}
	if a.EmailSealed, err = s.sealServer(em); err != nil {
		return "", "", fmt.Errorf("vault: add worker: %w", err)
	}
	if a.NameSealed, err = s.sealServer(name); err != nil {
		return "", "", fmt.Errorf("vault: add worker: %w", err)
	}
	uri := ""
	if withTOTP {
		sec, err := newTOTPSecret()
		if err != nil {
			return "", "", err
		}
		if a.TOTPSealed, err = s.sealServer(sec); err != nil {
			return "", "", fmt.Errorf("vault: add worker: %w", err)
		}
		uri = totpURI(em, sec)
	}
	err = s.meta.CreateWorkerAccount(ctx, meta.Worker{
		ID: id, PublicKey: identity.Recipient().String(), IdentityBySecret: bySecret, Created: s.now().UTC(),
	}, a)
	if err != nil {
		return "", "", mapMeta("add worker", err)
	}
	return id, uri, nil
}

// LoginWorker logs a worker in by e-mail, secret and, if the worker enrolled
// TOTP, the current one-time code (ignored otherwise). Throttled like Login
// (its own account counters). An active member passes the organisation's
// identity on to pending members. Errors: ErrInvalid, ErrWrongSecret (also
// for an unknown e-mail or a disabled worker, after the same work, and for
// a wrong or replayed one-time code, checked after the secret's derivation
// so that it costs the same time: such errors also match ErrWrongTOTP),
// ErrThrottled.
func (s *Service) LoginWorker(ctx context.Context, email string, secret []byte, totp string, clientIP string) (*Principal, error) {
	em, err := normEmail(email)
	if err != nil {
		return nil, err
	}
	sec, err := checkSecretForms(secret)
	if err != nil {
		return nil, err
	}
	// The counter of the e-mail's keyed hash, which a passkey sign-in and
	// a confirmation count on too.
	att, err := s.beginAttempt(ctx, scopeWorkerLogin, s.emailHash(em), clientIP)
	if err != nil {
		return nil, err
	}
	w, a, err := s.meta.WorkerAccountByEmail(ctx, s.emailHash(em))
	if errors.Is(err, meta.ErrNotFound) {
		s.decoySecret(ctx, sec)
		return nil, fmt.Errorf("vault: worker login: %w", ErrWrongSecret)
	}
	if err != nil {
		return nil, mapMeta("worker login", err)
	}
	// The secret is always derived first, so that a wrong or replayed
	// one-time code costs the same time as a wrong secret and is answered
	// the same way (ErrWrongSecret; errors.Is(err, ErrWrongTOTP) tells
	// them apart for the server's own use only).
	var identity *age.X25519Identity
	err = s.derive(ctx, func() error {
		var err error
		identity, err = s.openWithSecret(w.IdentityBySecret, sec)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("vault: worker login: %w", err)
	}
	if identity.Recipient().String() != w.PublicKey {
		return nil, fmt.Errorf("vault: worker login: identity does not match public key: %w", ErrCorrupt)
	}
	if len(a.TOTPSealed) > 0 {
		sec, err := s.openServer(a.TOTPSealed)
		if err != nil {
			return nil, fmt.Errorf("vault: worker login: totp secret: %w", err)
		}
		step, ok := checkTOTP(sec, totp, s.now())
		if !ok {
			return nil, fmt.Errorf("vault: worker login: %w: %w", ErrWrongSecret, ErrWrongTOTP)
		}
		if err := s.meta.UseTOTPStep(ctx, w.ID, step); err != nil {
			if errors.Is(err, meta.ErrConflict) {
				return nil, fmt.Errorf("vault: worker login: code already used: %w: %w", ErrWrongSecret, ErrWrongTOTP)
			}
			return nil, mapMeta("worker login", err)
		}
	}
	if !a.Disabled.IsZero() { // disabled: the same answer as a wrong secret
		return nil, fmt.Errorf("vault: worker login: disabled: %w", ErrWrongSecret)
	}
	// Confirmed for this request: the secret was just typed (sudo.go).
	p := &Principal{kind: KindWorker, id: w.ID, identity: identity, confirmed: true}
	if err := s.loadOrgIdentities(ctx, p, a, identity); err != nil {
		return nil, fmt.Errorf("vault: worker login: %w", err)
	}
	if p.orgIdentity != nil {
		// Best effort: a failure here is retried at the next member login.
		_, _ = s.activate(ctx, a.OrgID, p.orgIdentity)
	}
	if err := att.succeeded(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// activate wraps the organisation identity to every pending member.
func (s *Service) activate(ctx context.Context, orgID string, orgIdentity *age.X25519Identity) (int, error) {
	pending, err := s.meta.PendingMembers(ctx, orgID)
	if err != nil {
		return 0, mapMeta("pending members", err)
	}
	n := 0
	for _, w := range pending {
		r, err := seal.ParseRecipient(w.PublicKey)
		if err != nil {
			return n, fmt.Errorf("vault: member key: %w: %w", ErrCorrupt, err)
		}
		wrap, err := seal.WrapIdentity(orgIdentity, r)
		if err != nil {
			return n, fmt.Errorf("vault: activate member: %w", err)
		}
		if err := s.meta.SetMemberOrgIdentity(ctx, w.ID, orgID, wrap); err != nil {
			if errors.Is(err, meta.ErrNotFound) { // activated meanwhile
				continue
			}
			return n, mapMeta("activate member", err)
		}
		n++
	}
	return n, nil
}

// parseOrgRecoveryKey checks that key is orgID's recovery key.
func (s *Service) parseOrgRecoveryKey(org meta.Organisation, key string) (*age.X25519Identity, error) {
	rk, err := age.ParseX25519Identity(strings.TrimSpace(key))
	if err != nil {
		return nil, fmt.Errorf("%w: organisation recovery key malformed", ErrInvalid)
	}
	if subtle.ConstantTimeCompare([]byte(rk.Recipient().String()), []byte(org.RecoveryPublicKey)) != 1 {
		return nil, fmt.Errorf("vault: not this organisation's recovery key: %w", ErrWrongRecoveryCode)
	}
	return rk, nil
}

// ActivateMembers gives the organisation identity to every pending member,
// using the organisation's recovery key, and returns how many were
// activated. Errors: ErrNotFound (organisation), ErrInvalid (malformed
// key), ErrWrongRecoveryCode (another key).
func (s *Service) ActivateMembers(ctx context.Context, orgID, recoveryKey string) (int, error) {
	org, err := s.meta.Organisation(ctx, orgID)
	if err != nil {
		return 0, mapMeta("activate members", err)
	}
	rk, err := s.parseOrgRecoveryKey(org, recoveryKey)
	if err != nil {
		return 0, err
	}
	id, err := seal.UnwrapIdentity(org.IdentityByRecovery, rk)
	if err != nil {
		return 0, fmt.Errorf("vault: organisation identity: %w: %w", ErrCorrupt, err)
	}
	if id.Recipient().String() != org.PublicKey {
		return 0, fmt.Errorf("vault: organisation identity does not match its public key: %w", ErrCorrupt)
	}
	return s.activate(ctx, orgID, id)
}

// WorkerInfo returns a worker's name and organisation. ErrNotFound.
func (s *Service) WorkerInfo(ctx context.Context, id string) (PersonInfo, error) {
	_, a, err := s.meta.WorkerAccount(ctx, id)
	if err != nil {
		return PersonInfo{}, mapMeta("worker info", err)
	}
	name, err := s.openServer(a.NameSealed)
	if err != nil {
		return PersonInfo{}, fmt.Errorf("vault: worker name: %w", err)
	}
	info := PersonInfo{ID: id, Name: name, OrgID: a.OrgID, Kind: KindWorker}
	if a.OrgID != "" {
		org, err := s.organisation(ctx, a.OrgID)
		if err != nil {
			return PersonInfo{}, err
		}
		info.OrgName = org.Name
	}
	return info, nil
}

// OrganisationInfo describes an organisation as a grantee (Name = OrgName).
// ErrNotFound.
func (s *Service) OrganisationInfo(ctx context.Context, id string) (PersonInfo, error) {
	org, err := s.organisation(ctx, id)
	if err != nil {
		return PersonInfo{}, err
	}
	return PersonInfo{ID: id, Name: org.Name, OrgID: id, OrgName: org.Name, Kind: KindOrganisation}, nil
}

// workerEvent is a journal event done by worker p (names filled best effort).
func (s *Service) workerEvent(ctx context.Context, kind string, p *Principal) Event {
	ev := Event{Kind: kind, ActorKind: ActorWorker, ActorID: p.id}
	if info, err := s.WorkerInfo(ctx, p.id); err == nil {
		ev.ActorName, ev.OrgName = info.Name, info.OrgName
	}
	return ev
}

// SetAssistedRecovery lets organisation orgID reset the owner's secret with
// its recovery key ("" withdraws the permission): the owner's identity is
// wrapped to (or the wrap removed from) the organisation's recovery key.
// Opting in hands the organisation a way into the vault: it needs a
// confirmed owner (ErrConfirmRequired); withdrawing does not. Errors:
// ErrInvalid (not an owner, unknown organisation). Journaled.
func (s *Service) SetAssistedRecovery(ctx context.Context, owner *Principal, orgID string) error {
	if err := requireOwner(owner); err != nil {
		return err
	}
	if orgID != "" && !owner.IsConfirmed() {
		return ErrConfirmRequired
	}
	if orgID == "" {
		if err := s.meta.SetOwnerAssistedRecovery(ctx, owner.id, "", nil); err != nil {
			return mapMeta("withdraw assisted recovery", err)
		}
		return s.recordOrErr(ctx, owner.id, Event{Kind: EventAssistedRecoveryOff, ActorKind: ActorOwner, ActorID: owner.id})
	}
	org, err := s.meta.Organisation(ctx, orgID)
	if err != nil {
		if errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("%w: unknown organisation", ErrInvalid)
		}
		return mapMeta("assisted recovery", err)
	}
	r, err := seal.ParseRecipient(org.RecoveryPublicKey)
	if err != nil {
		return fmt.Errorf("vault: organisation recovery key: %w: %w", ErrCorrupt, err)
	}
	wrap, err := seal.WrapIdentity(owner.identity, r)
	if err != nil {
		return fmt.Errorf("vault: assisted recovery: %w", err)
	}
	if err := s.meta.SetOwnerAssistedRecovery(ctx, owner.id, orgID, wrap); err != nil {
		return mapMeta("assisted recovery", err)
	}
	name, _ := s.openServer(org.NameSealed)
	return s.recordOrErr(ctx, owner.id, Event{Kind: EventAssistedRecoverySet, ActorKind: ActorOwner, ActorID: owner.id, Target: name})
}

func (s *Service) recordOrErr(ctx context.Context, ownerID string, ev Event) error {
	if err := s.record(ctx, ownerID, ev); err != nil {
		return fmt.Errorf("vault: journal %s: %w", ev.Kind, err)
	}
	return nil
}

// AssistedRecover sets a new secret for an owner who opted in to assisted
// recovery by the worker's organisation, using the organisation's recovery
// key; the owner's sessions end and the journal records which worker did
// it. The owner's recovery code is cancelled in the same write (the sheet
// may be lost or in other hands); its replacement is never shown to the
// worker: the owner is asked to print a new sheet at the next login
// (RecoverySheetDue, NewRecoveryCode). It returns the unlocked owner (for a
// session on the person's phone).
// Errors: ErrInvalid (not a worker of an organisation, malformed key or
// identifier), ErrWeakSecret, ErrWrongRecoveryCode (not the organisation's
// key), ErrNoAccess (no such owner, or not opted in for this organisation:
// indistinguishable).
func (s *Service) AssistedRecover(ctx context.Context, worker *Principal, orgRecoveryKey string, ownerIdentifier string, newSecret []byte) (*Principal, error) {
	if !worker.valid() || worker.kind != KindWorker || worker.orgID == "" {
		return nil, fmt.Errorf("%w: assisted recovery needs a worker of an organisation", ErrInvalid)
	}
	ident, err := NormalizeIdentifier(ownerIdentifier)
	if err != nil {
		return nil, err
	}
	if err := CheckSecret(newSecret); err != nil {
		return nil, err
	}
	if newSecret, err = normSecret(newSecret); err != nil {
		return nil, err
	}
	org, err := s.meta.Organisation(ctx, worker.orgID)
	if err != nil {
		return nil, mapMeta("assisted recovery", err)
	}
	rk, err := s.parseOrgRecoveryKey(org, orgRecoveryKey)
	if err != nil {
		return nil, err
	}
	o, a, err := s.meta.OwnerAccountByIdentifier(ctx, s.identifierHash(ident))
	if errors.Is(err, meta.ErrNotFound) || err == nil && (a.AssistedOrgID != worker.orgID || len(a.IdentityByOrg) == 0) {
		return nil, fmt.Errorf("vault: assisted recovery: %w", ErrNoAccess)
	}
	if err != nil {
		return nil, mapMeta("assisted recovery", err)
	}
	identity, err := seal.UnwrapIdentity(a.IdentityByOrg, rk)
	if err != nil {
		return nil, fmt.Errorf("vault: assisted recovery: %w: %w", ErrCorrupt, err)
	}
	if identity.Recipient().String() != o.PublicKey {
		return nil, fmt.Errorf("vault: assisted recovery: identity does not match public key: %w", ErrCorrupt)
	}
	var bySecret, byCode []byte
	err = s.derive(ctx, func() error {
		var err error
		if bySecret, err = seal.WrapWithSecret(identity, newSecret, s.pepper, s.scrypt); err != nil {
			return err
		}
		// The new code is discarded at once: it must not reach the worker.
		// The owner prints a new sheet at their next login (RecoverySheetDue).
		var discarded seal.RecoveryCode
		byCode, err = s.rewrapRecovery(identity, &discarded)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("vault: assisted recovery: %w", err)
	}
	return s.finishRecovery(ctx, recoveryOutcome{
		ownerID: o.ID, identity: identity, oldByCode: o.IdentityByRecovery, bySecret: bySecret, byCode: byCode,
		lost: ErrConflict,
		events: []Event{
			s.workerEvent(ctx, EventAssistedRecovery, worker),
			{Kind: EventRecoveryCodeRevoked, ActorKind: ActorSystem},
		},
	})
}
