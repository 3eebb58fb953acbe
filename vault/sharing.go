package vault

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/coffre/coffre/vault/meta"
)

// SharingStore is what consents, drop links, requests, the journal and
// document edits need from the metadata store (*meta.SQLite provides it).
type SharingStore interface {
	JournalStore
	ConsentStore
	DropLinkStore
	RequestStore
	// SetDocumentTitle and SetDocumentExpiry change a committed document of
	// the owner (meta.ErrNotFound otherwise); DocumentsOfOwner lists every
	// row of an owner in any state; DeleteOwnerData removes the owner's
	// consents, links, requests, journal and row once no document is left.
	SetDocumentTitle(ctx context.Context, id, ownerID string, titleSealed []byte) error
	SetDocumentExpiry(ctx context.Context, id, ownerID string, expires time.Time) error
	// SetDocumentType, SetDocumentUnread and CountUnread: filing a paper
	// and its "new" mark (unread.go).
	SetDocumentType(ctx context.Context, id, ownerID, category, docType string, titleSealed []byte) error
	SetDocumentUnread(ctx context.Context, id, ownerID string, unread bool) error
	CountUnread(ctx context.Context, ownerID string) (int, error)
	DocumentsOfOwner(ctx context.Context, ownerID string) ([]meta.Document, error)
	DeleteOwnerData(ctx context.Context, ownerID string) error
}

// ownedAccess is access restricted to the document's owner: a document of
// another owner, or none, is ErrNotFound.
func (s *Service) ownedAccess(ctx context.Context, owner *Principal, docID string) (meta.Access, error) {
	if err := requireOwner(owner); err != nil {
		return meta.Access{}, err
	}
	if !validID(docID) {
		return meta.Access{}, fmt.Errorf("vault: document: %w", ErrNotFound)
	}
	acc, err := s.meta.DocumentAccess(ctx, docID, KindOwner, owner.id)
	if err != nil {
		return meta.Access{}, mapMeta("document", err)
	}
	return acc, nil
}

// Grant gives a grantee (a worker or organisation) read access to one of
// the owner's documents: a one-document consent for a year (GrantConsent
// with Scope{Documents: {docID}}, Days 365). Errors: ErrNotFound (document
// or grantee), ErrConflict (the grantee can already read it), ErrInvalid
// (not an owner, bad grantee), ErrConfirmRequired (as GrantConsent).
func (s *Service) Grant(ctx context.Context, owner *Principal, docID string, to Grantee) error {
	if err := requireConfirmedOwner(owner); err != nil {
		return err
	}
	if to.Kind == KindOwner || !to.Kind.Valid() || to.ID == "" {
		return fmt.Errorf("%w: grantee %q/%q", ErrInvalid, to.Kind, to.ID)
	}
	if _, err := s.ownedAccess(ctx, owner, docID); err != nil {
		return err
	}
	_, err := s.meta.DocumentAccess(ctx, docID, to.Kind, to.ID)
	if err == nil {
		ok, err := s.granteeCanRead(ctx, docID, granteeSelf{kind: to.Kind, id: to.ID})
		if err != nil {
			return err
		}
		if ok {
			return fmt.Errorf("vault: grant: %w", ErrConflict)
		}
	} else if !errors.Is(err, meta.ErrNotFound) {
		return mapMeta("grant", err)
	}
	_, err = s.GrantConsent(ctx, owner, NewConsent{Grantee: to, Scope: Scope{Documents: []string{docID}}, Days: 365})
	return err
}

// Revoke removes a grantee's access to one document at once: every live
// consent of this owner to the grantee that covers the document (by id or
// by category) is revoked, and the wraps they alone covered are deleted, so
// the grantee's next OpenDocument fails with ErrNoAccess (a read already
// streaming goes on to its end). Errors: ErrNotFound (no such document of
// this owner, or no live consent covering it), ErrInvalid.
func (s *Service) Revoke(ctx context.Context, owner *Principal, docID string, from Grantee) error {
	if from.Kind == KindOwner || !from.Kind.Valid() || from.ID == "" {
		return fmt.Errorf("%w: grantee %q/%q", ErrInvalid, from.Kind, from.ID)
	}
	acc, err := s.ownedAccess(ctx, owner, docID)
	if err != nil {
		return err
	}
	cs, err := s.meta.LiveConsentsFor(ctx, from.Kind, from.ID, s.now().UTC())
	if err != nil {
		return mapMeta("revoke", err)
	}
	n := 0
	for _, c := range cs {
		if !c.Covers(acc.Document) {
			continue
		}
		if err := s.RevokeConsent(ctx, owner, c.ID); err != nil && !errors.Is(err, ErrConflict) {
			return err
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("vault: revoke: no such grant: %w", ErrNotFound)
	}
	return nil
}
