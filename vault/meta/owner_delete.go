package meta

import (
	"context"
	"fmt"
)

// DeleteOwnerData removes, in one transaction, everything of an owner that
// part [B] keeps — journal, drop links, redos, requests, consents — and then the
// owner row. Documents must be deleted first (their payloads live in the
// blob store): a remaining document makes it fail with ErrConflict.
// ErrNotFound when the owner does not exist.
func (o *ops) DeleteOwnerData(ctx context.Context, ownerID string) error {
	return o.atomic(ctx, func(tx *Tx) error {
		if err := tx.lockRow(ctx, "owners", "id", ownerID); err != nil {
			return err
		}
		if _, err := tx.Owner(ctx, ownerID); err != nil {
			return err
		}
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM documents WHERE owner_id = ?`, ownerID).Scan(&n); err != nil {
			return tx.wrap("delete owner", err)
		}
		if n > 0 {
			return fmt.Errorf("meta: delete owner %s: %d documents left: %w", ownerID, n, ErrConflict)
		}
		for _, q := range []string{
			`DELETE FROM journal WHERE owner_id = ?`,
			`DELETE FROM journal_heads WHERE owner_id = ?`,
			`DELETE FROM journal_hashes WHERE owner_id = ?`,
			`DELETE FROM drop_links WHERE owner_id = ?`,
			`DELETE FROM redos WHERE owner_id = ?`,
			`DELETE FROM requests WHERE owner_id = ?`,
			`DELETE FROM consents WHERE owner_id = ?`,
			`DELETE FROM storage_targets WHERE scope = 'owner' AND scope_id = ?`,
			`DELETE FROM passkeys WHERE owner_id = ?`,
		} {
			if _, err := tx.exec(ctx, "delete owner data", q, ownerID); err != nil {
				return err
			}
		}
		return tx.execOne(ctx, "delete owner", `DELETE FROM owners WHERE id = ?`, ownerID)
	})
}
