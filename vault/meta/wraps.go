package meta

import (
	"context"
	"errors"
	"fmt"
)

func validWrap(w Wrap) error {
	if w.DocumentID == "" || w.RecipientID == "" || len(w.WrappedKey) == 0 {
		return errors.New("meta: wrap: missing field")
	}
	if !w.RecipientKind.Valid() {
		return fmt.Errorf("meta: wrap: bad recipient kind %q", w.RecipientKind)
	}
	return nil
}

func (o *ops) insertWrap(ctx context.Context, w Wrap) error {
	if err := validWrap(w); err != nil {
		return err
	}
	_, err := o.exec(ctx, "insert wrap",
		`INSERT INTO document_wraps (document_id, recipient_kind, recipient_id, wrapped_key, created_at) VALUES (?, ?, ?, ?, ?)`,
		w.DocumentID, string(w.RecipientKind), w.RecipientID, w.WrappedKey, toDB(w.Created))
	return err
}

// AddWrap adds a recipient's wrap to a committed document. ErrNotFound when
// no committed document has that id; ErrConflict when the recipient already
// holds a wrap.
func (o *ops) AddWrap(ctx context.Context, w Wrap) error {
	if err := validWrap(w); err != nil {
		return err
	}
	res, err := o.exec(ctx, "add wrap",
		`INSERT INTO document_wraps (document_id, recipient_kind, recipient_id, wrapped_key, created_at)
		SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM documents WHERE id = ? AND state = ?)`,
		w.DocumentID, string(w.RecipientKind), w.RecipientID, w.WrappedKey, toDB(w.Created),
		w.DocumentID, string(StateCommitted))
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("meta: add wrap: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("meta: add wrap: document %s: %w", w.DocumentID, ErrNotFound)
	}
	return nil
}

// DeleteWrap removes one recipient's wrap. ErrNotFound when there is none.
func (o *ops) DeleteWrap(ctx context.Context, docID string, kind RecipientKind, recipientID string) error {
	return o.execOne(ctx, "delete wrap",
		`DELETE FROM document_wraps WHERE document_id = ? AND recipient_kind = ? AND recipient_id = ?`,
		docID, string(kind), recipientID)
}

// Wraps returns every wrap of a document (any state), ordered by kind then
// recipient. A document without wraps (or missing) gives an empty slice.
func (o *ops) Wraps(ctx context.Context, docID string) ([]Wrap, error) {
	rows, err := o.query(ctx,
		`SELECT `+wrapColumns+` FROM document_wraps w WHERE w.document_id = ? ORDER BY w.recipient_kind, w.recipient_id`, docID)
	if err != nil {
		return nil, o.wrap("wraps", err)
	}
	defer rows.Close()
	var out []Wrap
	for rows.Next() {
		var ws wrapScan
		if err := rows.Scan(ws.dest()...); err != nil {
			return nil, o.wrap("wraps", err)
		}
		out = append(out, ws.wrap())
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap("wraps", err)
	}
	return out, nil
}
