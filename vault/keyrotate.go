package vault

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// Key rotation: "I think someone saw my secret". The owner gets a new
// identity, a new secret and a new recovery code; every document key is
// re-wrapped to the new identity and the old identity's wraps are
// destroyed; the consents', requests' and drop links' details are
// resealed; every other session ends. It runs in two phases recorded in
// the database (meta.KeyRotation), so that a crash at any point leaves a
// vault that opens (with the old secret before the switch, the new one
// after) and calling RotateKeys again finishes the job:
//
//  1. adding: the new identity N is stored wrapped to the old one O; each
//     owner wrap becomes a wrap to O and N (either opens it);
//  2. switch (one transaction): the owner's public key, secret, recovery
//     and assisted-recovery wraps and sealed fields move to N, O is kept
//     wrapped to N, every other session ends, the passkeys' PRF wraps (of
//     O) are destroyed — each passkey asks the new secret once at its
//     next sign-in, then opens the vault again —, the asking session
//     carries N;
//  3. removing: each owner wrap becomes a wrap to N alone (a document
//     stored meanwhile for O is re-wrapped too), details are resealed to N
//     and their other reader, and the rotation row (with O) is deleted.
//
// Journal entries and inbox messages, append-only records that are never
// rewritten, stay sealed to O: O is kept sealed to N among the owner's
// retired identities, only to read them.

// KeyRotationStore keeps rotations in progress. Contracts: BeginKeyRotation
// fails with meta.ErrConflict when one is in progress; SwitchOwnerKeys is
// all or nothing and fails with meta.ErrConflict when the owner's public
// key is no longer the old one; SetOwnerWrap and SetDetailsSealed fail
// with meta.ErrNotFound when the row is gone.
type KeyRotationStore interface {
	BeginKeyRotation(ctx context.Context, r meta.KeyRotation) error
	KeyRotation(ctx context.Context, ownerID string) (meta.KeyRotation, error)
	SetOwnerWrap(ctx context.Context, docID, ownerID string, wrapped []byte) error
	SwitchOwnerKeys(ctx context.Context, sw meta.OwnerKeySwitch) error
	FinishKeyRotation(ctx context.Context, ownerID string) error
	OwnerRetiredIdentities(ctx context.Context, ownerID string) ([]byte, error)
	SetDetailsSealed(ctx context.Context, what, id, ownerID string, sealed []byte) error
}

// EventKeysRotated: the owner rotated their keys.
const EventKeysRotated = "keys-rotated"

// RotateKeys gives the owner a new identity, secret and recovery code (see
// above); owner then holds the new identity. It needs a confirmed owner
// resumed from a session or just unlocked. A crashed rotation is finished
// by calling it again (with the owner unlocked by either secret). It
// returns the new recovery code, shown once. Errors: ErrInvalid,
// ErrConfirmRequired, ErrWeakSecret, ErrConflict (another rotation moved
// the keys meanwhile: sign in again), ErrCorrupt. Journaled.
func (s *Service) RotateKeys(ctx context.Context, owner *Principal, newSecret []byte) (seal.RecoveryCode, error) {
	var none seal.RecoveryCode
	if err := requireConfirmedOwner(owner); err != nil {
		return none, err
	}
	if err := CheckSecret(newSecret); err != nil {
		return none, err
	}
	secret, err := normSecret(newSecret)
	if err != nil {
		return none, err
	}
	oldID, newID, phase, err := s.rotationKeys(ctx, owner)
	if err != nil {
		return none, err
	}
	if phase == meta.RotationAdding {
		if err := s.rewrapOwnerDocs(ctx, owner.id, []*age.X25519Identity{oldID, newID}, oldID, newID); err != nil {
			return none, err
		}
	}
	code, err := seal.NewRecoveryCode()
	if err != nil {
		return none, fmt.Errorf("vault: rotate keys: %w", err)
	}
	if phase == meta.RotationAdding {
		if err := s.switchKeys(ctx, owner, oldID, newID, secret, code); err != nil {
			return none, err
		}
	} else {
		// The switch happened in a run that did not finish: its secret and
		// code may never have reached the owner; set this run's.
		if err := s.setSecretAndCode(ctx, owner.id, newID, secret, code); err != nil {
			return none, err
		}
	}
	owner.identity = newID
	if err := s.rewrapOwnerDocs(ctx, owner.id, []*age.X25519Identity{newID, oldID}, newID); err != nil {
		return none, err
	}
	if err := s.resealDetails(ctx, owner.id, newID, oldID); err != nil {
		return none, err
	}
	if err := s.meta.FinishKeyRotation(ctx, owner.id); err != nil {
		return none, mapMeta("rotate keys", err)
	}
	if err := s.record(ctx, owner.id, Event{Kind: EventKeysRotated, ActorKind: ActorOwner, ActorID: owner.id}); err != nil {
		return none, fmt.Errorf("vault: rotate keys: journal: %w", err)
	}
	// The passkeys' wraps went with the old identity (SwitchOwnerKeys):
	// each will ask the new secret once, and the journal names them.
	if err := s.passkeysJournal(ctx, owner, EventPasskeysToReenrol); err != nil {
		return none, fmt.Errorf("vault: rotate keys: %w", err)
	}
	return code, nil
}

// rotationKeys starts a rotation or resumes the one in progress, and
// returns the old and new identities and the phase.
func (s *Service) rotationKeys(ctx context.Context, owner *Principal) (oldID, newID *age.X25519Identity, phase string, err error) {
	r, err := s.meta.KeyRotation(ctx, owner.id)
	if errors.Is(err, meta.ErrNotFound) {
		n, err := seal.NewIdentity()
		if err != nil {
			return nil, nil, "", fmt.Errorf("vault: rotate keys: %w", err)
		}
		carried, err := seal.WrapIdentity(n, owner.identity.Recipient())
		if err != nil {
			return nil, nil, "", fmt.Errorf("vault: rotate keys: %w", err)
		}
		r = meta.KeyRotation{OwnerID: owner.id, OldPublicKey: owner.PublicKey(), NewPublicKey: n.Recipient().String(),
			CarriedIdentityWrap: carried, Phase: meta.RotationAdding, Started: s.now().UTC()}
		if err := s.meta.BeginKeyRotation(ctx, r); err != nil {
			return nil, nil, "", mapMeta("rotate keys", err)
		}
		return owner.identity, n, meta.RotationAdding, nil
	}
	if err != nil {
		return nil, nil, "", mapMeta("rotate keys", err)
	}
	carried, err := seal.UnwrapIdentity(r.CarriedIdentityWrap, owner.identity)
	if err != nil {
		// The owner holds neither key of this rotation's phase: the keys
		// moved under this session.
		return nil, nil, "", fmt.Errorf("vault: rotate keys: keys changed meanwhile: %w", ErrConflict)
	}
	switch {
	case r.Phase == meta.RotationAdding && owner.PublicKey() == r.OldPublicKey && carried.Recipient().String() == r.NewPublicKey:
		return owner.identity, carried, r.Phase, nil
	case r.Phase == meta.RotationRemoving && owner.PublicKey() == r.NewPublicKey && carried.Recipient().String() == r.OldPublicKey:
		return carried, owner.identity, r.Phase, nil
	}
	return nil, nil, "", fmt.Errorf("vault: rotate keys: rotation does not match the owner's keys: %w", ErrCorrupt)
}

// rewrapOwnerDocs re-wraps every document key the owner holds to the
// recipients of to, opening each with any of ids.
func (s *Service) rewrapOwnerDocs(ctx context.Context, ownerID string, ids []*age.X25519Identity, to ...*age.X25519Identity) error {
	accs, err := s.meta.ListAccess(ctx, KindOwner, ownerID)
	if err != nil {
		return mapMeta("rotate keys", err)
	}
	opens := make([]age.Identity, len(ids))
	for i, id := range ids {
		opens[i] = id
	}
	rcpts := make([]age.Recipient, len(to))
	for i, id := range to {
		rcpts[i] = id.Recipient()
	}
	for _, acc := range accs {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("vault: rotate keys: %w", err)
		}
		docKey, err := seal.UnwrapIdentity(acc.Wrap.WrappedKey, opens...)
		if err != nil {
			return fmt.Errorf("vault: rotate keys: document %s: %w: %w", acc.Document.ID, ErrCorrupt, err)
		}
		w, err := seal.WrapIdentity(docKey, rcpts...)
		if err != nil {
			return fmt.Errorf("vault: rotate keys: %w", err)
		}
		if err := s.meta.SetOwnerWrap(ctx, acc.Document.ID, ownerID, w); err != nil && !errors.Is(err, meta.ErrNotFound) {
			return mapMeta("rotate keys", err) // a document deleted meanwhile is fine
		}
	}
	return nil
}

// switchKeys moves the owner to newID in one transaction.
func (s *Service) switchKeys(ctx context.Context, owner *Principal, oldID, newID *age.X25519Identity, secret []byte, code seal.RecoveryCode) error {
	o, a, err := s.meta.OwnerAccount(ctx, owner.id)
	if err != nil {
		return mapMeta("rotate keys", err)
	}
	me := newID.Recipient()
	sw := meta.OwnerKeySwitch{OwnerID: owner.id, OldPublicKey: o.PublicKey, NewPublicKey: me.String(),
		KeepSession: owner.session, ConfirmedAt: s.now().UTC().Truncate(time.Microsecond)}
	err = s.derive(ctx, func() error {
		var err error
		if sw.IdentityBySecret, err = seal.WrapWithSecret(newID, secret, s.pepper, s.scrypt); err != nil {
			return err
		}
		sw.IdentityByRecovery, err = seal.WrapWithRecoveryCode(newID, code)
		return err
	})
	if err != nil {
		return fmt.Errorf("vault: rotate keys: %w", err)
	}
	for _, f := range []struct {
		from []byte
		to   *[]byte
	}{{a.IdentifierSealed, &sw.IdentifierSealed}, {a.NameSealed, &sw.NameSealed}} {
		if len(f.from) == 0 {
			continue
		}
		v, err := seal.OpenString(f.from, oldID)
		if err != nil {
			return fmt.Errorf("vault: rotate keys: account: %w: %w", ErrCorrupt, err)
		}
		if *f.to, err = seal.SealString(v, me); err != nil {
			return fmt.Errorf("vault: rotate keys: %w", err)
		}
	}
	if len(a.IdentityByOrg) > 0 && a.AssistedOrgID != "" {
		org, err := s.meta.Organisation(ctx, a.AssistedOrgID)
		if err != nil {
			return mapMeta("rotate keys", err)
		}
		r, err := seal.ParseRecipient(org.RecoveryPublicKey)
		if err != nil {
			return fmt.Errorf("vault: rotate keys: organisation recovery key: %w: %w", ErrCorrupt, err)
		}
		if sw.IdentityByOrg, err = seal.WrapIdentity(newID, r); err != nil {
			return fmt.Errorf("vault: rotate keys: %w", err)
		}
	}
	if sw.OldIdentityWrap, err = seal.WrapIdentity(oldID, me); err != nil {
		return fmt.Errorf("vault: rotate keys: %w", err)
	}
	retired, err := s.retiredIdentities(ctx, owner.id, oldID)
	if err != nil {
		return err
	}
	keys := []string{oldID.String()}
	for _, id := range retired {
		keys = append(keys, id.String())
	}
	if sw.RetiredIdentities, err = seal.SealString(strings.Join(keys, "\n"), me); err != nil {
		return fmt.Errorf("vault: rotate keys: %w", err)
	}
	if owner.session != "" {
		if sw.SessionIdentityWrap, err = seal.WrapIdentity(newID, owner.sessionKey); err != nil {
			return fmt.Errorf("vault: rotate keys: %w", err)
		}
	}
	if err := s.meta.SwitchOwnerKeys(ctx, sw); err != nil {
		return mapMeta("rotate keys", err)
	}
	owner.retired = sw.RetiredIdentities
	return nil
}

// setSecretAndCode wraps newID under secret and code (a resumed rotation).
func (s *Service) setSecretAndCode(ctx context.Context, ownerID string, newID *age.X25519Identity, secret []byte, code seal.RecoveryCode) error {
	var bySecret, byCode []byte
	err := s.derive(ctx, func() error {
		var err error
		if bySecret, err = seal.WrapWithSecret(newID, secret, s.pepper, s.scrypt); err != nil {
			return err
		}
		byCode, err = seal.WrapWithRecoveryCode(newID, code)
		return err
	})
	if err != nil {
		return fmt.Errorf("vault: rotate keys: %w", err)
	}
	if err := s.meta.SetOwnerIdentityBySecret(ctx, ownerID, bySecret); err != nil {
		return mapMeta("rotate keys", err)
	}
	return mapMetaNil("rotate keys", s.meta.SetOwnerIdentityByRecovery(ctx, ownerID, byCode))
}

// retiredIdentities opens the owner's retired identities with current
// (nil when there are none).
func (s *Service) retiredIdentities(ctx context.Context, ownerID string, current *age.X25519Identity) ([]*age.X25519Identity, error) {
	b, err := s.meta.OwnerRetiredIdentities(ctx, ownerID)
	if err != nil {
		return nil, mapMeta("retired identities", err)
	}
	if len(b) == 0 {
		return nil, nil
	}
	text, err := seal.OpenString(b, current)
	if err != nil {
		return nil, fmt.Errorf("vault: retired identities: %w: %w", ErrCorrupt, err)
	}
	var out []*age.X25519Identity
	for _, line := range strings.Fields(text) {
		id, err := age.ParseX25519Identity(line)
		if err != nil {
			return nil, fmt.Errorf("vault: retired identities: %w: %w", ErrCorrupt, err)
		}
		out = append(out, id)
	}
	return out, nil
}

// historyIdentities are the identities that open what was sealed to the
// principal in the past (journal entries, inbox messages): the current one
// first, then the retired ones. Retired identities that do not open are
// left out (only history is lost).
func (p *Principal) historyIdentities() []age.Identity {
	ids := []age.Identity{p.identity}
	if len(p.retired) == 0 {
		return ids
	}
	text, err := seal.OpenString(p.retired, p.identity)
	if err != nil {
		return ids
	}
	for _, line := range strings.Fields(text) {
		if id, err := age.ParseX25519Identity(line); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// resealDetails reseals the details of the owner's consents, requests and
// drop links to newID and their other reader, opening them with newID or
// oldID.
func (s *Service) resealDetails(ctx context.Context, ownerID string, newID, oldID *age.X25519Identity) error {
	reseal := func(what, id string, sealed []byte, other age.Recipient) error {
		text, err := seal.OpenString(sealed, newID, oldID)
		if err != nil {
			return fmt.Errorf("vault: rotate keys: %s %s: %w: %w", what, id, ErrCorrupt, err)
		}
		to := []age.Recipient{newID.Recipient()}
		if other != nil {
			to = append(to, other)
		}
		out, err := seal.SealString(text, to...)
		if err != nil {
			return fmt.Errorf("vault: rotate keys: %w", err)
		}
		if err := s.meta.SetDetailsSealed(ctx, what, id, ownerID, out); err != nil && !errors.Is(err, meta.ErrNotFound) {
			return mapMeta("rotate keys", err)
		}
		return nil
	}
	workerKey := func(id string) (age.Recipient, error) {
		w, err := s.meta.Worker(ctx, id)
		if errors.Is(err, meta.ErrNotFound) {
			return nil, nil // gone: the owner alone reads it now
		}
		if err != nil {
			return nil, mapMeta("rotate keys", err)
		}
		return seal.ParseRecipient(w.PublicKey)
	}
	consents, err := s.meta.ConsentsOfOwner(ctx, ownerID)
	if err != nil {
		return mapMeta("rotate keys", err)
	}
	for _, c := range consents {
		r, err := seal.ParseRecipient(c.GranteePublicKey)
		if err != nil {
			return fmt.Errorf("vault: rotate keys: grantee key: %w: %w", ErrCorrupt, err)
		}
		if err := reseal(meta.DetailsConsent, c.ID, c.DetailsSealed, r); err != nil {
			return err
		}
	}
	reqs, err := s.meta.RequestsOfOwner(ctx, ownerID)
	if err != nil {
		return mapMeta("rotate keys", err)
	}
	for _, rq := range reqs {
		r, err := workerKey(rq.WorkerID)
		if err != nil {
			return err
		}
		if err := reseal(meta.DetailsRequest, rq.ID, rq.DetailsSealed, r); err != nil {
			return err
		}
	}
	links, err := s.meta.DropLinksOfOwner(ctx, ownerID)
	if err != nil {
		return mapMeta("rotate keys", err)
	}
	for _, l := range links {
		var r age.Recipient
		if l.CreatedByKind == KindWorker {
			if r, err = workerKey(l.CreatedByID); err != nil {
				return err
			}
		}
		if err := reseal(meta.DetailsDropLink, l.ID, l.DetailsSealed, r); err != nil {
			return err
		}
	}
	return nil
}
