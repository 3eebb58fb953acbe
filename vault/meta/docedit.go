package meta

import (
	"context"
	"errors"
	"time"
)

// SetDocumentTitle replaces the sealed title of a committed document owned
// by ownerID. ErrNotFound otherwise.
func (o *ops) SetDocumentTitle(ctx context.Context, id, ownerID string, titleSealed []byte) error {
	if len(titleSealed) == 0 {
		return errors.New("meta: set document title: empty title")
	}
	return o.execOne(ctx, "set document title",
		`UPDATE documents SET title_sealed = ? WHERE id = ? AND owner_id = ? AND state = ?`,
		titleSealed, id, ownerID, string(StateCommitted))
}

// SetDocumentExpiry sets (zero: clears) the validity end of a committed
// document owned by ownerID. ErrNotFound otherwise.
func (o *ops) SetDocumentExpiry(ctx context.Context, id, ownerID string, expires time.Time) error {
	return o.execOne(ctx, "set document expiry",
		`UPDATE documents SET expires_at = ? WHERE id = ? AND owner_id = ? AND state = ?`,
		optTime(expires), id, ownerID, string(StateCommitted))
}

// DocumentsOfOwner returns every document row of an owner in any state,
// oldest first (account deletion).
func (o *ops) DocumentsOfOwner(ctx context.Context, ownerID string) ([]Document, error) {
	rows, err := o.query(ctx,
		`SELECT `+docColumns+` FROM documents d WHERE d.owner_id = ? ORDER BY d.created_at, d.id`, ownerID)
	if err != nil {
		return nil, o.wrap("documents of owner", err)
	}
	defer rows.Close()
	var out []Document
	for rows.Next() {
		d, err := scanDocument(rows, nil)
		if err != nil {
			return nil, o.wrap("documents of owner", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap("documents of owner", err)
	}
	return out, nil
}
