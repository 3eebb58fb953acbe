package vault

import (
	"context"
	"errors"
	"fmt"

	"github.com/coffre/coffre/vault/meta"
)

// deleteAccountRounds bounds how often DeleteAccount sweeps documents that
// appear while it runs (a deposit in flight when the links were revoked).
const deleteAccountRounds = 3

// DeleteAccount destroys an owner's whole account (DESIGN.md flow 6), for
// good: drop links are revoked first so that nothing new arrives, then
// every document goes (wraps, payload, row), the owner's sessions end, and
// one transaction removes consents, requests, links, the journal and the
// owner row. If it fails midway, what is gone stays gone and calling it
// again finishes the job. Errors: ErrInvalid (not an owner),
// ErrConfirmRequired (no recent proof of the secret), ErrNotFound.
func (s *Service) DeleteAccount(ctx context.Context, owner *Principal) error {
	if err := requireConfirmedOwner(owner); err != nil {
		return err
	}
	now := s.now().UTC()
	links, err := s.meta.DropLinksOfOwner(ctx, owner.id)
	if err != nil {
		return mapMeta("delete account", err)
	}
	for _, l := range links {
		if l.Revoked.IsZero() {
			if err := s.meta.RevokeDropLink(ctx, l.ID, now); err != nil {
				return mapMeta("delete account: drop link", err)
			}
		}
	}
	for round := 0; ; round++ {
		if err := s.deleteAllDocuments(ctx, owner.id); err != nil {
			return err
		}
		if _, err := s.meta.DeleteSessions(ctx, KindOwner, owner.id); err != nil {
			return mapMeta("delete account: sessions", err)
		}
		err := s.meta.DeleteOwnerData(ctx, owner.id)
		if err == nil {
			return nil
		}
		if !errors.Is(err, meta.ErrConflict) || round+1 >= deleteAccountRounds {
			return mapMeta("delete account", err)
		}
	}
}

// deleteAllDocuments removes every document row of an owner, whatever its
// state, with its wraps and payload.
func (s *Service) deleteAllDocuments(ctx context.Context, ownerID string) error {
	docs, err := s.meta.DocumentsOfOwner(ctx, ownerID)
	if err != nil {
		return mapMeta("delete account: documents", err)
	}
	for _, d := range docs {
		if d.State == meta.StateCommitted {
			// Hide it and drop every wrap first, as Delete does.
			if _, err := s.meta.BeginDeleteDocument(ctx, d.ID, ownerID); err != nil && !errors.Is(err, meta.ErrNotFound) {
				return mapMeta("delete account: document", err)
			}
		}
		if _, err := s.deletePayloads(ctx, d); err != nil {
			return fmt.Errorf("vault: delete account: payload: %w", err)
		}
		if err := s.meta.DeleteDocument(ctx, d.ID); err != nil && !errors.Is(err, meta.ErrNotFound) {
			return mapMeta("delete account: document", err)
		}
	}
	return nil
}
