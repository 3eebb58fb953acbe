package vault

import (
	"context"
	"fmt"
	"github.com/coffre/coffre/vault/meta"
	"time"
)

// SharingEnd is what a worker learns of a person who stopped sharing with
// them: the name the person chose to show, and when.
type SharingEnd struct {
	// OwnerName is the name the owner chose to show ("" if none).
	OwnerName string
	// At is when the last consent ended; Revoked says the owner stopped it
	// (false: it expired).
	At      time.Time
	Revoked bool
}

// end is when a consent stopped, and whether by revocation.
func consentEnd(revoked, expires time.Time) (time.Time, bool) {
	if !revoked.IsZero() && revoked.Before(expires) {
		return revoked, true
	}
	return expires, false
}

// SharingEnded tells a worker when an owner's consents to them (or to their
// organisation) ended, once none is live any more, so that a stale page can
// say "this person stopped sharing on …". Errors: ErrInvalid (not a
// worker), ErrNotFound (no consent from this owner ever, or one still live).
func (s *Service) SharingEnded(ctx context.Context, p *Principal, ownerID string) (SharingEnd, error) {
	if !p.valid() || p.kind != KindWorker {
		return SharingEnd{}, fmt.Errorf("%w: worker required", ErrInvalid)
	}
	if !validID(ownerID) {
		return SharingEnd{}, fmt.Errorf("vault: sharing ended: %w", ErrNotFound)
	}
	return s.lastEnd(ctx, p, ownerID, func(meta.Consent) bool { return true })
}

// PaperSharingEnded tells a worker when the sharing of one of an owner's
// papers with them ended: the latest end of the consents (theirs or their
// organisation's) that covered it, once none that covers it is live, so
// that a stale "Télécharger" says "this person stopped sharing on …" even
// while she still shares other papers. Errors: ErrInvalid (not a worker),
// ErrNotFound (no such paper of hers, no consent ever covered it, or one
// covering it is still live).
func (s *Service) PaperSharingEnded(ctx context.Context, p *Principal, ownerID, docID string) (SharingEnd, error) {
	if !p.valid() || p.kind != KindWorker {
		return SharingEnd{}, fmt.Errorf("%w: worker required", ErrInvalid)
	}
	if !validID(ownerID) || !validID(docID) {
		return SharingEnd{}, fmt.Errorf("vault: paper sharing ended: %w", ErrNotFound)
	}
	d, err := s.meta.Document(ctx, docID)
	if err != nil || d.OwnerID != ownerID {
		return SharingEnd{}, fmt.Errorf("vault: paper sharing ended: %w", ErrNotFound)
	}
	return s.lastEnd(ctx, p, ownerID, func(c meta.Consent) bool { return c.Covers(d) })
}

// lastEnd is the latest end of the owner's consents to p (or p's
// organisation) that which keeps; ErrNotFound when there is none, or one
// of them is still live.
func (s *Service) lastEnd(ctx context.Context, p *Principal, ownerID string, which func(meta.Consent) bool) (SharingEnd, error) {
	cs, err := s.meta.ConsentsOfOwner(ctx, ownerID)
	if err != nil {
		return SharingEnd{}, mapMeta("sharing ended", err)
	}
	now := s.now()
	var out SharingEnd
	found := false
	for _, c := range cs {
		if !which(c) {
			continue
		}
		for _, g := range p.granteeSelves() {
			if c.GranteeKind != g.kind || c.GranteeID != g.id {
				continue
			}
			if c.LiveAt(now) {
				return SharingEnd{}, fmt.Errorf("vault: sharing ended: still shared: %w", ErrNotFound)
			}
			at, revoked := consentEnd(c.Revoked, c.Expires)
			if found && !at.After(out.At) {
				continue
			}
			found = true
			out = SharingEnd{At: at, Revoked: revoked}
			if d, err := openConsent(c, g.ids...); err == nil {
				out.OwnerName = d.ShowName
			}
		}
	}
	if !found {
		return SharingEnd{}, fmt.Errorf("vault: sharing ended: %w", ErrNotFound)
	}
	return out, nil
}

// PendingRequests counts the requests an owner has not answered yet (for
// the badge on her menu); no sealed detail is opened. ErrInvalid when p is
// not an owner.
func (s *Service) PendingRequests(ctx context.Context, owner *Principal) (int, error) {
	if err := requireOwner(owner); err != nil {
		return 0, err
	}
	// A request a worker addressed to her identifier (phone number,
	// e-mail) since she signed in reaches her here too: the count on top
	// of her papers and in the menu is the list's.
	s.deliverWaitingFor(ctx, owner.id)
	rs, err := s.meta.RequestsOfOwner(ctx, owner.id)
	if err != nil {
		return 0, mapMeta("pending requests", err)
	}
	n := 0
	for _, r := range rs {
		if r.Status == RequestPending {
			n++
		}
	}
	return n, nil
}

// UndoWindow is how long after stopping a share the owner can take it back.
const UndoWindow = time.Minute

// consentUndoer is the store's ability to take back a revocation.
type consentUndoer interface {
	UnrevokeConsent(ctx context.Context, id, ownerID string, since time.Time) ([]string, error)
}

// UndoRevoke takes back a consent the owner stopped less than UndoWindow
// ago: it is live again until its own expiry, and the documents it covers
// are wrapped to the grantee again. It needs no confirmation: it restores
// exactly what the owner granted (same grantee, documents, types and
// expiry), never more, and only within a minute of her stopping it, so a
// stolen session cannot widen anything with it. Journaled as a grant. A
// consent that is live already (the undo sent twice) is a success with
// nothing done. Errors: ErrInvalid (not an owner), ErrNotFound (no such
// consent, revoked too long ago, or the grantee's key changed since: an
// organisation key rotation).
func (s *Service) UndoRevoke(ctx context.Context, owner *Principal, consentID string) error {
	if err := requireOwner(owner); err != nil {
		return err
	}
	u, ok := s.meta.(consentUndoer)
	if !ok || !validID(consentID) {
		return fmt.Errorf("vault: undo revoke: %w", ErrNotFound)
	}
	was, err := s.meta.Consent(ctx, consentID)
	if err != nil || was.OwnerID != owner.id {
		return fmt.Errorf("vault: undo revoke: %w", ErrNotFound)
	}
	if was.Revoked.IsZero() {
		return nil // live: taken back already (the undo sent twice: Back, then the button again)
	}
	rcpt, err := s.granteeRecipient(ctx, Grantee{Kind: was.GranteeKind, ID: was.GranteeID})
	if err != nil {
		return fmt.Errorf("vault: undo revoke: %w", err) // removed or disabled since
	}
	if rcpt.String() != was.GranteePublicKey {
		// The organisation's key was rotated since (coffre admin
		// rotate-org-key skips stopped shares): an undo would wrap the
		// papers to the retired key. Too late: she shares again.
		return fmt.Errorf("vault: undo revoke: grantee key changed: %w", ErrNotFound)
	}
	held, err := u.UnrevokeConsent(ctx, consentID, owner.id, s.now().UTC().Add(-UndoWindow))
	if err != nil {
		return mapMeta("undo revoke", err)
	}
	c, err := s.meta.Consent(ctx, consentID)
	if err != nil {
		return mapMeta("undo revoke", err)
	}
	// Only what the grantee held when she stopped: a paper filed under one
	// of the consent's types since it was added is not handed over by a
	// stop and its undo (filing never widens a share).
	if err := s.wrapCoveredAmong(ctx, owner, c, held); err != nil {
		s.undoConsent(ctx, c)
		return err
	}
	d, _ := openConsent(c, owner.identity)
	return s.record(ctx, owner.id, Event{
		Kind: EventConsentGranted, ActorKind: ActorOwner, ActorID: owner.id,
		Target: s.granteeName(ctx, Grantee{Kind: c.GranteeKind, ID: c.GranteeID}), Detail: d.Purpose,
		Grantee: Grantee{Kind: c.GranteeKind, ID: c.GranteeID}, ShownName: d.ShowName, ConsentID: c.ID, Undo: true,
	})
}
