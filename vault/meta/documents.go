package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

const docColumns = `d.id, d.owner_id, d.category, d.title_sealed, d.media_type, d.pages, d.size, d.profile,
	d.blob_key, d.state, d.state_since, d.created_at, d.expires_at, d.doc_type,
	d.store_id, d.move_state, d.move_store, d.move_since, d.unread, d.hints_sealed, d.checks_sealed, d.mac`

const wrapColumns = `w.document_id, w.recipient_kind, w.recipient_id, w.wrapped_key, w.created_at`

type scanner interface{ Scan(dest ...any) error }

// scanDocument scans docColumns (then extra); mac receives the row's mac
// (nil: ignored).
func scanDocument(s scanner, mac *[]byte, extra ...any) (Document, error) {
	var d Document
	var state string
	var since, created int64
	var expires sql.NullInt64
	var mv storeMoveScan
	var unread int
	var ignored []byte
	if mac == nil {
		mac = &ignored
	}
	dest := append([]any{&d.ID, &d.OwnerID, &d.Category, &d.TitleSealed, &d.MediaType, &d.Pages, &d.Size, &d.Profile,
		&d.BlobKey, &state, &since, &created, &expires, &d.DocType,
		&mv.store, &mv.state, &mv.other, &mv.since, &unread, &d.HintsSealed, &d.ChecksSealed, mac}, extra...)
	if err := s.Scan(dest...); err != nil {
		return Document{}, err
	}
	mv.apply(&d)
	d.Unread = unread != 0
	d.State = State(state)
	d.StateSince = fromDB(since)
	d.Created = fromDB(created)
	d.Expires = fromOptTime(expires)
	return d, nil
}

// macInput: a document's decisive fields are those that decide which
// consents cover it: its owner, category, type and creation time (a type
// scope covers papers added after the consent). Its state, size, title,
// expiry and store decide nothing anyone reads: a document key wrap is
// still needed to read it, and no mac can make one.
func (d Document) macInput(m macw) {
	m.str(d.ID)
	m.str(d.OwnerID)
	m.str(d.Category)
	m.str(d.DocType)
	m.time(d.Created)
}

var documentSeal = &sealSpec{table: "documents", key: "id = ?", cols: `id, owner_id, category, doc_type, created_at`,
	load: func(sc scanner) ([]any, macInput, error) {
		var d Document
		var created int64
		err := sc.Scan(&d.ID, &d.OwnerID, &d.Category, &d.DocType, &created)
		d.Created = fromDB(created)
		return []any{d.ID}, d.macInput, err
	}}

// wrapScan holds the scan targets of wrapColumns.
type wrapScan struct {
	w       Wrap
	kind    string
	created int64
}

func (ws *wrapScan) dest() []any {
	return []any{&ws.w.DocumentID, &ws.kind, &ws.w.RecipientID, &ws.w.WrappedKey, &ws.created}
}

func (ws *wrapScan) wrap() Wrap {
	w := ws.w
	w.RecipientKind = RecipientKind(ws.kind)
	w.Created = fromDB(ws.created)
	return w
}

// InsertDocument inserts a document row, normally in StatePending (the
// payload not yet stored). StateSince is set to the store's clock. A
// duplicate id or blob key is ErrConflict; a missing owner is ErrNotFound.
func (o *ops) InsertDocument(ctx context.Context, d Document) error {
	if d.ID == "" || d.OwnerID == "" || d.BlobKey == "" || d.MediaType == "" || len(d.TitleSealed) == 0 {
		return errors.New("meta: insert document: missing field")
	}
	switch d.State {
	case StatePending, StateCommitted:
	default:
		return fmt.Errorf("meta: insert document: bad state %q", d.State)
	}
	cols := `id, owner_id, category, title_sealed, media_type, pages, size, profile,
			blob_key, state, state_since, created_at, expires_at, doc_type, store_id`
	args := []any{d.ID, d.OwnerID, d.Category, d.TitleSealed, d.MediaType, d.Pages, d.Size, d.Profile,
		d.BlobKey, string(d.State), toDB(o.now()), toDB(d.Created), optTime(d.Expires), d.DocType, optString(d.StoreID)}
	// The columns of migrations 16 and 19 only when set (their defaults otherwise).
	if d.Unread {
		cols += ", unread"
		args = append(args, 1)
	}
	if len(d.HintsSealed) > 0 {
		cols += ", hints_sealed"
		args = append(args, d.HintsSealed)
	}
	if len(d.ChecksSealed) > 0 {
		cols += ", checks_sealed"
		args = append(args, d.ChecksSealed)
	}
	return o.atomic(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "insert document",
			`INSERT INTO documents (`+cols+`) VALUES (?`+strings.Repeat(", ?", len(args)-1)+`)`, args...); err != nil {
			return err
		}
		return tx.reseal(ctx, documentSeal, d.ID)
	})
}

// CommitDocument atomically turns a pending document into a committed one
// with its final plaintext size and inserts its key wraps (at least one).
// A missing document is ErrNotFound; one not pending is ErrConflict, as is a
// duplicate wrap. On error nothing changes.
func (o *ops) CommitDocument(ctx context.Context, id string, size int64, wraps []Wrap) error {
	if len(wraps) == 0 {
		return errors.New("meta: commit document: no wrap")
	}
	if size < 0 {
		return errors.New("meta: commit document: negative size")
	}
	for _, w := range wraps {
		if w.DocumentID != id {
			return fmt.Errorf("meta: commit document: wrap for document %q", w.DocumentID)
		}
	}
	return o.atomic(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, "commit document",
			`UPDATE documents SET state = ?, size = ?, state_since = ? WHERE id = ? AND state = ?`,
			string(StateCommitted), size, toDB(tx.now()), id, string(StatePending))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("meta: commit document: %w", err)
		} else if n == 0 {
			if _, err := tx.Document(ctx, id); err != nil {
				return err
			}
			return fmt.Errorf("meta: commit document %s: not pending: %w", id, ErrConflict)
		}
		for _, w := range wraps {
			if err := tx.insertWrap(ctx, w); err != nil {
				return err
			}
		}
		return nil
	})
}

// Document returns a document in any state, or ErrNotFound. It does not
// check the row's mac: it grants nothing (DocumentAccess and ListAccess,
// which come with a wrap, do).
func (o *ops) Document(ctx context.Context, id string) (Document, error) {
	d, err := scanDocument(o.queryRow(ctx, `SELECT `+docColumns+` FROM documents d WHERE d.id = ?`, id), nil)
	if err != nil {
		return Document{}, o.wrap("document", err)
	}
	return d, nil
}

// DocumentByBlobKey returns the document (any state) whose payload is under
// key, or ErrNotFound.
func (o *ops) DocumentByBlobKey(ctx context.Context, key string) (Document, error) {
	d, err := scanDocument(o.queryRow(ctx, `SELECT `+docColumns+` FROM documents d WHERE d.blob_key = ?`, key), nil)
	if err != nil {
		return Document{}, o.wrap("document by blob key", err)
	}
	return d, nil
}

// DocumentAccess returns a committed document with the recipient's wrap of
// its key. ErrNotFound when the document is missing, not committed, or the
// recipient holds no wrap: the three are deliberately indistinguishable;
// ErrTampered when the document row fails its integrity check.
func (o *ops) DocumentAccess(ctx context.Context, docID string, kind RecipientKind, recipientID string) (Access, error) {
	var ws wrapScan
	var mac []byte
	d, err := scanDocument(o.queryRow(ctx,
		`SELECT `+docColumns+`, `+wrapColumns+`
		FROM documents d JOIN document_wraps w ON w.document_id = d.id
		WHERE d.id = ? AND d.state = ? AND w.recipient_kind = ? AND w.recipient_id = ?`,
		docID, string(StateCommitted), string(kind), recipientID), &mac, ws.dest()...)
	if err != nil {
		return Access{}, o.wrap("document access", err)
	}
	if err := o.check("documents", "document access", d.macInput, mac); err != nil {
		return Access{}, err
	}
	return Access{Document: d, Wrap: ws.wrap()}, nil
}

// ListAccess returns every committed document the recipient holds a wrap
// for, oldest first (ties by id); a document row failing its integrity
// check is left out.
func (o *ops) ListAccess(ctx context.Context, kind RecipientKind, recipientID string) ([]Access, error) {
	rows, err := o.query(ctx,
		`SELECT `+docColumns+`, `+wrapColumns+`
		FROM documents d JOIN document_wraps w ON w.document_id = d.id
		WHERE w.recipient_kind = ? AND w.recipient_id = ? AND d.state = ?
		ORDER BY d.created_at, d.id`,
		string(kind), recipientID, string(StateCommitted))
	if err != nil {
		return nil, o.wrap("list access", err)
	}
	defer rows.Close()
	var out []Access
	for rows.Next() {
		var ws wrapScan
		var mac []byte
		d, err := scanDocument(rows, &mac, ws.dest()...)
		if err != nil {
			return nil, o.wrap("list access", err)
		}
		if !o.intact("documents", d.macInput, mac) {
			continue
		}
		out = append(out, Access{Document: d, Wrap: ws.wrap()})
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap("list access", err)
	}
	return out, nil
}

// StaleDocuments returns documents left pending or deleting since before
// the given time (crashed or abandoned operations), oldest first.
func (o *ops) StaleDocuments(ctx context.Context, before time.Time) ([]Document, error) {
	rows, err := o.query(ctx,
		`SELECT `+docColumns+` FROM documents d
		WHERE d.state <> ? AND d.state_since < ? ORDER BY d.state_since, d.id`,
		string(StateCommitted), toDB(before))
	if err != nil {
		return nil, o.wrap("stale documents", err)
	}
	defer rows.Close()
	var out []Document
	for rows.Next() {
		d, err := scanDocument(rows, nil)
		if err != nil {
			return nil, o.wrap("stale documents", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap("stale documents", err)
	}
	return out, nil
}

// BeginDeleteDocument atomically removes every wrap of a committed document
// owned by ownerID and marks it deleting, so it is no longer listed nor
// readable; the caller then deletes the payload and the row
// (DeleteDocument). It returns the document as it was. ErrNotFound when no
// committed document with that id belongs to ownerID.
func (o *ops) BeginDeleteDocument(ctx context.Context, id, ownerID string) (Document, error) {
	var d Document
	err := o.atomic(ctx, func(tx *Tx) error {
		var err error
		d, err = tx.Document(ctx, id)
		if err != nil {
			return err
		}
		if d.OwnerID != ownerID || d.State != StateCommitted {
			return fmt.Errorf("meta: begin delete %s: %w", id, ErrNotFound)
		}
		if err := tx.execOne(ctx, "begin delete",
			`UPDATE documents SET state = ?, state_since = ? WHERE id = ? AND state = ?`,
			string(StateDeleting), toDB(tx.now()), id, string(StateCommitted)); err != nil {
			return err
		}
		_, err = tx.exec(ctx, "begin delete: wraps", `DELETE FROM document_wraps WHERE document_id = ?`, id)
		return err
	})
	if err != nil {
		return Document{}, err
	}
	return d, nil
}

// DeleteDocument removes a document row in any state, with its wraps.
// A missing row is ErrNotFound.
func (o *ops) DeleteDocument(ctx context.Context, id string) error {
	return o.atomic(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "delete document: wraps", `DELETE FROM document_wraps WHERE document_id = ?`, id); err != nil {
			return err
		}
		return tx.execOne(ctx, "delete document", `DELETE FROM documents WHERE id = ?`, id)
	})
}

// DeleteStaleDocument removes a document row (and any wraps) only if it is
// still not committed and has been in its state since before the given time,
// and returns it as it was: fsck's safe removal, which cannot race with an
// upload that commits in the meantime. ErrNotFound when the row is missing;
// ErrConflict when it is committed or not stale.
func (o *ops) DeleteStaleDocument(ctx context.Context, id string, before time.Time) (Document, error) {
	var d Document
	err := o.atomic(ctx, func(tx *Tx) error {
		if err := tx.lockRow(ctx, "documents", "id", id); err != nil { // a racing commit is seen as committed
			return err
		}
		var err error
		d, err = tx.Document(ctx, id)
		if err != nil {
			return err
		}
		if d.State == StateCommitted || !d.StateSince.Before(before) {
			return fmt.Errorf("meta: delete stale document %s: %s since %s: %w", id, d.State, d.StateSince.Format(time.RFC3339), ErrConflict)
		}
		if _, err := tx.exec(ctx, "delete stale document: wraps", `DELETE FROM document_wraps WHERE document_id = ?`, id); err != nil {
			return err
		}
		return tx.execOne(ctx, "delete stale document",
			`DELETE FROM documents WHERE id = ? AND state <> ? AND state_since < ?`, id, string(StateCommitted), toDB(before))
	})
	if err != nil {
		return Document{}, err
	}
	return d, nil
}
