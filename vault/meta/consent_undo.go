package meta

import (
	"context"
	"fmt"
	"time"
)

// UnrevokeConsent takes back the revocation of a consent of ownerID made at
// or after since (the undo window): the consent is live again (until its
// own expiry). The grantee's wraps, deleted at revocation, are not
// restored here: the caller wraps again. ErrNotFound when there is no such
// consent of this owner revoked within the window.
func (o *ops) UnrevokeConsent(ctx context.Context, id, ownerID string, since time.Time) error {
	return o.updateConsent(ctx, id, func(tx *Tx, c Consent) error {
		if c.OwnerID != ownerID || c.Revoked.IsZero() || toDB(c.Revoked) < toDB(since) {
			return fmt.Errorf("meta: unrevoke consent %s: %w", id, ErrNotFound)
		}
		return tx.execOne(ctx, "unrevoke consent", `UPDATE consents SET revoked_at = NULL WHERE id = ?`, id)
	})
}
