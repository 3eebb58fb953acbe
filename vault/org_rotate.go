package vault

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"filippo.io/age"

	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// Rotation of an organisation's grantee key (coffre admin rotate-org-key).
//
// It replaces the organisation's identity by a new one: every live grant
// (document-key wrap, live consent) made to the old key is re-wrapped to the
// new one and the old wrap overwritten; members holding the old identity get
// the new one; owners whose shares were re-wrapped are told in their
// journal. Whoever kept a copy of the old identity (a removed member) opens
// nothing live afterwards. It is resumable: the new key is recorded (sealed
// to the organisation recovery key) before anything is re-wrapped, every
// step is a compare-and-swap that a second run skips, and a run interrupted
// at any point leaves every grant readable by the members (they hold both
// keys while the rotation is under way). Running it again finishes it.

// orgIdentities are the identities a worker reads their organisation's
// grants with: its key and, while a rotation is under way, the next one.
func (p *Principal) orgIdentities() []age.Identity {
	if p.orgNext == nil {
		return []age.Identity{p.orgIdentity}
	}
	return []age.Identity{p.orgIdentity, p.orgNext}
}

// loadOrgIdentities opens, from the worker's account row as stored now,
// the organisation identities a worker holds (none when the membership is
// pending or removed). It is called for every request, so that a removed
// member or a finished rotation takes effect at once on every instance.
func (s *Service) loadOrgIdentities(ctx context.Context, p *Principal, a meta.WorkerAccount, with age.Identity) error {
	p.orgID, p.orgIdentity, p.orgNext = a.OrgID, nil, nil
	if a.OrgID == "" || len(a.OrgIdentityWrap) == 0 {
		return nil
	}
	org, err := s.meta.Organisation(ctx, a.OrgID)
	if err != nil {
		return mapMeta("organisation", err)
	}
	cur, err := seal.UnwrapIdentity(a.OrgIdentityWrap, with)
	if err != nil {
		return fmt.Errorf("organisation identity: %w: %w", ErrCorrupt, err)
	}
	pub := cur.Recipient().String()
	switch {
	case pub == org.PublicKey:
		p.orgIdentity = cur
	case pub == org.NextPublicKey:
		// The rotation finished between the two reads.
		p.orgIdentity = cur
	default:
		return fmt.Errorf("organisation identity does not match its public key: %w", ErrCorrupt)
	}
	if len(a.NextOrgIdentityWrap) > 0 && org.NextPublicKey != "" {
		next, err := seal.UnwrapIdentity(a.NextOrgIdentityWrap, with)
		if err != nil {
			return fmt.Errorf("organisation next identity: %w: %w", ErrCorrupt, err)
		}
		if next.Recipient().String() != org.NextPublicKey {
			return fmt.Errorf("organisation next identity does not match its public key: %w", ErrCorrupt)
		}
		p.orgNext = next
	}
	return nil
}

// RotationReport says what RotateOrganisationKey did.
type RotationReport struct {
	// Resumed is true when an interrupted rotation was finished.
	Resumed bool
	// PublicKey is the organisation's new grantee key.
	PublicKey string
	// Wraps, Consents and Members count what was re-wrapped by this run;
	// Owners how many owners were told in their journal.
	Wraps, Consents, Members, Owners int
}

// RotateOrganisationKey gives organisation orgID a new grantee key (see the
// top of this file), or finishes a rotation interrupted earlier. The
// organisation recovery key opens the old and the new identity; it stays
// the same. Errors: ErrNotFound (organisation), ErrInvalid (malformed
// key), ErrWrongRecoveryCode (another key), ErrCorrupt.
func (s *Service) RotateOrganisationKey(ctx context.Context, orgID, recoveryKey string) (RotationReport, error) {
	var rep RotationReport
	org, err := s.meta.Organisation(ctx, orgID)
	if err != nil {
		return rep, mapMeta("rotate organisation key", err)
	}
	rk, err := s.parseOrgRecoveryKey(org, recoveryKey)
	if err != nil {
		return rep, err
	}
	old, err := openByRecovery(org.IdentityByRecovery, rk, org.PublicKey)
	if err != nil {
		return rep, err
	}
	var next *age.X25519Identity
	if org.NextPublicKey != "" {
		rep.Resumed = true
		if next, err = openByRecovery(org.NextIdentityByRecovery, rk, org.NextPublicKey); err != nil {
			return rep, err
		}
	} else {
		if next, err = seal.NewIdentity(); err != nil {
			return rep, fmt.Errorf("vault: rotate organisation key: %w", err)
		}
		byRecovery, err := seal.WrapIdentity(next, rk.Recipient())
		if err != nil {
			return rep, fmt.Errorf("vault: rotate organisation key: %w", err)
		}
		owners, err := s.orgGrantOwners(ctx, orgID)
		if err != nil {
			return rep, err
		}
		err = s.meta.BeginOrgRotation(ctx, orgID, org.PublicKey, next.Recipient().String(), byRecovery, owners)
		if err != nil {
			return rep, mapMeta("rotate organisation key", err)
		}
	}
	rep.PublicKey = next.Recipient().String()
	if err := s.rotationStep("begun"); err != nil {
		return rep, err
	}
	if err := s.rotateMembers(ctx, orgID, next, &rep); err != nil {
		return rep, err
	}
	if err := s.rotateConsents(ctx, orgID, old, next, &rep); err != nil {
		return rep, err
	}
	if err := s.rotateWraps(ctx, orgID, old, next, &rep); err != nil {
		return rep, err
	}
	if err := s.journalRotation(ctx, orgID, &rep); err != nil {
		return rep, err
	}
	if err := s.meta.FinishOrgRotation(ctx, orgID, rep.PublicKey); err != nil {
		return rep, mapMeta("rotate organisation key: finish", err)
	}
	return rep, nil
}

// openByRecovery opens an organisation identity wrapped to its recovery key
// and checks it against want.
func openByRecovery(wrap []byte, rk *age.X25519Identity, want string) (*age.X25519Identity, error) {
	id, err := seal.UnwrapIdentity(wrap, rk)
	if err != nil {
		return nil, fmt.Errorf("vault: organisation identity: %w: %w", ErrCorrupt, err)
	}
	if id.Recipient().String() != want {
		return nil, fmt.Errorf("vault: organisation identity does not match its public key: %w", ErrCorrupt)
	}
	return id, nil
}

// rotationStep lets tests stop a rotation at a named step (a crash).
func (s *Service) rotationStep(step string) error {
	if s.testRotationHook == nil {
		return nil
	}
	return s.testRotationHook(step)
}

// orgGrantOwners lists the owners with a live consent to, or a document
// wrapped for, the organisation.
func (s *Service) orgGrantOwners(ctx context.Context, orgID string) ([]string, error) {
	var out []string
	add := func(id string) {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	cs, err := s.meta.LiveConsentsFor(ctx, KindOrganisation, orgID, s.now().UTC())
	if err != nil {
		return nil, mapMeta("rotate organisation key", err)
	}
	for _, c := range cs {
		add(c.OwnerID)
	}
	accs, err := s.meta.ListAccess(ctx, KindOrganisation, orgID)
	if err != nil {
		return nil, mapMeta("rotate organisation key", err)
	}
	for _, a := range accs {
		add(a.Document.OwnerID)
	}
	return out, nil
}

func (s *Service) rotateMembers(ctx context.Context, orgID string, next *age.X25519Identity, rep *RotationReport) error {
	ws, err := s.meta.MembersWithoutNext(ctx, orgID)
	if err != nil {
		return mapMeta("rotate organisation key: members", err)
	}
	for _, w := range ws {
		r, err := seal.ParseRecipient(w.PublicKey)
		if err != nil {
			return fmt.Errorf("vault: member key: %w: %w", ErrCorrupt, err)
		}
		wrap, err := seal.WrapIdentity(next, r)
		if err != nil {
			return fmt.Errorf("vault: rotate organisation key: %w", err)
		}
		if err := s.meta.SetMemberNextOrgIdentity(ctx, w.ID, orgID, wrap); err != nil {
			if errors.Is(err, meta.ErrNotFound) { // removed meanwhile
				continue
			}
			return mapMeta("rotate organisation key: members", err)
		}
		rep.Members++
	}
	return s.rotationStep("members")
}

// rotateConsents re-seals the details of every live consent to the
// organisation for the new key and points the consent at it (documents
// the owner adds later are wrapped to the new key).
func (s *Service) rotateConsents(ctx context.Context, orgID string, old, next *age.X25519Identity, rep *RotationReport) error {
	nextPub := next.Recipient().String()
	cs, err := s.meta.LiveConsentsFor(ctx, KindOrganisation, orgID, s.now().UTC())
	if err != nil {
		return mapMeta("rotate organisation key: consents", err)
	}
	for _, c := range cs {
		if c.GranteePublicKey == nextPub {
			continue
		}
		text, err := seal.OpenString(c.DetailsSealed, old)
		if err != nil {
			return fmt.Errorf("vault: rotate organisation key: consent %s: %w: %w", c.ID, ErrCorrupt, err)
		}
		o, err := s.meta.Owner(ctx, c.OwnerID)
		if err != nil {
			return mapMeta("rotate organisation key: consents", err)
		}
		ownerRcpt, err := seal.ParseRecipient(o.PublicKey)
		if err != nil {
			return fmt.Errorf("vault: owner key: %w: %w", ErrCorrupt, err)
		}
		details, err := seal.SealString(text, ownerRcpt, next.Recipient())
		if err != nil {
			return fmt.Errorf("vault: rotate organisation key: %w", err)
		}
		if err := s.meta.AddRotationOwner(ctx, orgID, c.OwnerID); err != nil {
			return mapMeta("rotate organisation key: consents", err)
		}
		if err := s.meta.RekeyConsent(ctx, c.ID, c.GranteePublicKey, nextPub, details); err != nil {
			if errors.Is(err, meta.ErrNotFound) {
				continue
			}
			return mapMeta("rotate organisation key: consents", err)
		}
		rep.Consents++
	}
	return s.rotationStep("consents")
}

// rotateWraps re-wraps every document key held by the organisation to the
// new key, overwriting the old wrap; wraps already for the new key are
// left alone.
func (s *Service) rotateWraps(ctx context.Context, orgID string, old, next *age.X25519Identity, rep *RotationReport) error {
	accs, err := s.meta.ListAccess(ctx, KindOrganisation, orgID)
	if err != nil {
		return mapMeta("rotate organisation key: wraps", err)
	}
	for _, acc := range accs {
		docIdent, err := seal.UnwrapIdentity(acc.Wrap.WrappedKey, old)
		if err != nil {
			if _, nerr := seal.UnwrapIdentity(acc.Wrap.WrappedKey, next); nerr == nil {
				continue // done by an earlier run
			}
			return fmt.Errorf("vault: rotate organisation key: document %s: %w: %w", acc.Document.ID, ErrCorrupt, err)
		}
		wrap, err := seal.WrapIdentity(docIdent, next.Recipient())
		if err != nil {
			return fmt.Errorf("vault: rotate organisation key: %w", err)
		}
		if err := s.meta.AddRotationOwner(ctx, orgID, acc.Document.OwnerID); err != nil {
			return mapMeta("rotate organisation key: wraps", err)
		}
		err = s.meta.ReplaceWrap(ctx, acc.Document.ID, KindOrganisation, orgID, acc.Wrap.WrappedKey, wrap)
		if err != nil {
			if errors.Is(err, meta.ErrNotFound) { // revoked or deleted meanwhile
				continue
			}
			return mapMeta("rotate organisation key: wraps", err)
		}
		rep.Wraps++
		if err := s.rotationStep("wrap"); err != nil {
			return err
		}
	}
	return nil
}

// journalRotation tells each affected owner, once.
func (s *Service) journalRotation(ctx context.Context, orgID string, rep *RotationReport) error {
	owners, err := s.meta.RotationOwners(ctx, orgID)
	if err != nil {
		return mapMeta("rotate organisation key: journal", err)
	}
	name := ""
	if org, err := s.organisation(ctx, orgID); err == nil {
		name = org.Name
	}
	for _, o := range owners {
		err := s.record(ctx, o, Event{Kind: EventOrgKeyRotated, ActorKind: ActorSystem, Target: name})
		if err != nil && !errors.Is(err, ErrNotFound) { // an owner deleted meanwhile has no journal
			return fmt.Errorf("vault: rotate organisation key: journal: %w", err)
		}
		if err := s.meta.MarkRotationOwnerJournaled(ctx, orgID, o, s.now().UTC()); err != nil {
			return mapMeta("rotate organisation key: journal", err)
		}
		rep.Owners++
		if err := s.rotationStep("journal"); err != nil {
			return err
		}
	}
	return nil
}
