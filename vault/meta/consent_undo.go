package meta

import (
	"context"
	"fmt"
	"time"
)

// UnrevokeConsent takes back the revocation of a consent of ownerID made at
// or after since (the undo window): the consent is live again (until its
// own expiry). The grantee's wraps, deleted at revocation, are not
// restored here: it returns the papers the grantee held a wrap of when the
// consent was revoked (rows failing their integrity check left out), for
// the caller to wrap again — those only — and forgets the list.
// ErrNotFound when there is no such consent of this owner revoked within
// the window.
func (o *ops) UnrevokeConsent(ctx context.Context, id, ownerID string, since time.Time) ([]string, error) {
	var docs []string
	err := o.updateConsent(ctx, id, func(tx *Tx, c Consent) error {
		if c.OwnerID != ownerID || c.Revoked.IsZero() || toDB(c.Revoked) < toDB(since) {
			return fmt.Errorf("meta: unrevoke consent %s: %w", id, ErrNotFound)
		}
		if err := tx.execOne(ctx, "unrevoke consent", `UPDATE consents SET revoked_at = NULL WHERE id = ?`, id); err != nil {
			return err
		}
		var err error
		if docs, err = tx.takeUndoList(ctx, id); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return docs, nil
}

// undoTable is the table of the papers a stop may give back (version 17).
const undoTable = "consent_undo_wraps"

// keepUndoList records, for the consent's undo, the papers of its owner
// the grantee holds a wrap of now (replacing an earlier list).
func (tx *Tx) keepUndoList(ctx context.Context, c Consent) error {
	if _, err := tx.exec(ctx, "undo list: clear", `DELETE FROM consent_undo_wraps WHERE consent_id = ?`, c.ID); err != nil {
		return err
	}
	rows, err := tx.query(ctx, `SELECT w.document_id FROM document_wraps w JOIN documents d ON d.id = w.document_id
		WHERE w.recipient_kind = ? AND w.recipient_id = ? AND d.owner_id = ? ORDER BY w.document_id`,
		string(c.GranteeKind), c.GranteeID, c.OwnerID)
	if err != nil {
		return tx.wrap("undo list", err)
	}
	var docs []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			rows.Close()
			return tx.wrap("undo list", err)
		}
		docs = append(docs, d)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return tx.wrap("undo list", err)
	}
	for _, d := range docs {
		var mac []byte
		if tx.rk != nil {
			mac = tx.rk.sum(undoTable, scopeMACInput(c.ID, d))
		}
		if _, err := tx.exec(ctx, "undo list: add",
			`INSERT INTO consent_undo_wraps (consent_id, document_id, mac) VALUES (?, ?, ?)`, c.ID, d, mac); err != nil {
			return err
		}
	}
	return nil
}

// takeUndoList returns and forgets the consent's undo list; rows failing
// their check are counted and left out.
func (tx *Tx) takeUndoList(ctx context.Context, consentID string) ([]string, error) {
	rows, err := tx.query(ctx, `SELECT document_id, mac FROM consent_undo_wraps WHERE consent_id = ? ORDER BY document_id`, consentID)
	if err != nil {
		return nil, tx.wrap("undo list", err)
	}
	docs := []string{} // never nil: nil would mean every paper
	for rows.Next() {
		var d string
		var mac []byte
		if err := rows.Scan(&d, &mac); err != nil {
			rows.Close()
			return nil, tx.wrap("undo list", err)
		}
		if tx.intact(undoTable, scopeMACInput(consentID, d), mac) {
			docs = append(docs, d)
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, tx.wrap("undo list", err)
	}
	if _, err := tx.exec(ctx, "undo list: take", `DELETE FROM consent_undo_wraps WHERE consent_id = ?`, consentID); err != nil {
		return nil, err
	}
	return docs, nil
}
