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

// SetDocumentType files a committed document owned by ownerID under
// another category and type (docType "" for none); a non-empty titleSealed
// replaces its title in the same statement, nil keeps it. ErrNotFound
// otherwise; ErrTampered when the row fails its integrity check (the
// category and type are under its mac: a paper retyped without the
// pepper is never resealed).
func (o *ops) SetDocumentType(ctx context.Context, id, ownerID, category, docType string, titleSealed []byte) error {
	if category == "" {
		return errors.New("meta: set document type: empty category")
	}
	if titleSealed != nil && len(titleSealed) == 0 {
		return errors.New("meta: set document type: empty title")
	}
	return o.atomic(ctx, func(tx *Tx) error {
		if err := tx.lockRow(ctx, "documents", "id", id); err != nil {
			return err
		}
		var mac []byte
		d, err := scanDocument(tx.queryRow(ctx, `SELECT `+docColumns+` FROM documents d WHERE d.id = ? AND d.owner_id = ? AND d.state = ?`,
			id, ownerID, string(StateCommitted)), &mac)
		if err != nil {
			return tx.wrap("set document type", err)
		}
		if err := tx.check("documents", "set document type", d.macInput, mac); err != nil {
			return err
		}
		if titleSealed == nil {
			err = tx.execOne(ctx, "set document type",
				`UPDATE documents SET category = ?, doc_type = ? WHERE id = ?`, category, docType, id)
		} else {
			err = tx.execOne(ctx, "set document type",
				`UPDATE documents SET category = ?, doc_type = ?, title_sealed = ? WHERE id = ?`, category, docType, titleSealed, id)
		}
		if err != nil {
			return err
		}
		return tx.reseal(ctx, documentSeal, id)
	})
}

// SetDocumentUnread marks a committed document owned by ownerID as new
// (not opened yet) or opened. ErrNotFound otherwise.
func (o *ops) SetDocumentUnread(ctx context.Context, id, ownerID string, unread bool) error {
	return o.execOne(ctx, "set document unread",
		`UPDATE documents SET unread = ? WHERE id = ? AND owner_id = ? AND state = ?`,
		boolInt(unread), id, ownerID, string(StateCommitted))
}

// CountUnread counts the committed documents of ownerID not opened yet.
func (o *ops) CountUnread(ctx context.Context, ownerID string) (int, error) {
	var n int
	if err := o.queryRow(ctx,
		`SELECT COUNT(*) FROM documents WHERE owner_id = ? AND unread = 1 AND state = ?`,
		ownerID, string(StateCommitted)).Scan(&n); err != nil {
		return 0, o.wrap("count unread", err)
	}
	return n, nil
}

// boolInt stores a flag as 1 or 0 (an INTEGER column in both dialects).
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
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
