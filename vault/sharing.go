package vault

import (
	"context"
	"errors"
	"fmt"

	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

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

// Grant gives a grantee (a worker) read access to one of the owner's
// documents by wrapping the document key to the grantee's public key.
// Errors: ErrNotFound (document or grantee), ErrConflict (already granted),
// ErrInvalid (not an owner, bad grantee).
func (s *Service) Grant(ctx context.Context, owner *Principal, docID string, to Grantee) error {
	if to.Kind == KindOwner || !to.Kind.Valid() || to.ID == "" {
		return fmt.Errorf("%w: grantee %q/%q", ErrInvalid, to.Kind, to.ID)
	}
	acc, err := s.ownedAccess(ctx, owner, docID)
	if err != nil {
		return err
	}
	rcpt, err := s.granteeRecipient(ctx, to)
	if err != nil {
		return err
	}
	ident, err := seal.UnwrapIdentity(acc.Wrap.WrappedKey, owner.identity)
	if err != nil {
		return fmt.Errorf("vault: grant: document key: %w: %w", ErrCorrupt, err)
	}
	w, err := seal.WrapIdentity(ident, rcpt)
	if err != nil {
		return fmt.Errorf("vault: grant: %w", err)
	}
	err = s.meta.AddWrap(ctx, meta.Wrap{DocumentID: docID, RecipientKind: to.Kind, RecipientID: to.ID, WrappedKey: w, Created: s.now().UTC()})
	if err != nil {
		return mapMeta("grant", err)
	}
	return nil
}

// Revoke removes a grantee's access at once: their wrap is deleted, so their
// next OpenDocument fails with ErrNoAccess (a read already streaming goes on
// to its end). Errors: ErrNotFound (no such document of this owner, or no
// such grant), ErrInvalid.
func (s *Service) Revoke(ctx context.Context, owner *Principal, docID string, from Grantee) error {
	if from.Kind == KindOwner || !from.Kind.Valid() || from.ID == "" {
		return fmt.Errorf("%w: grantee %q/%q", ErrInvalid, from.Kind, from.ID)
	}
	if _, err := s.ownedAccess(ctx, owner, docID); err != nil {
		return err
	}
	if err := s.meta.DeleteWrap(ctx, docID, from.Kind, from.ID); err != nil {
		if errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("vault: revoke: no such grant: %w", ErrNotFound)
		}
		return mapMeta("revoke", err)
	}
	return nil
}
