package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Redo statuses (migration 18).
const (
	RedoOpen      = "open"
	RedoForwarded = "forwarded"
	RedoClosed    = "closed"
)

// Redo is a worker's "redo this one, because…" on a paper received for a
// request.
type Redo struct {
	ID         string
	OwnerID    string
	RequestID  string
	WorkerID   string
	DocumentID string
	DocType    string
	Reason     string
	// NoteSealed is the worker's few words, sealed to owner and worker
	// (nil for none).
	NoteSealed    []byte
	Status        string
	LinkID        string
	ReplacementID string
	Created       time.Time
	Forwarded     time.Time
	Closed        time.Time
}

const redoColumns = `id, owner_id, request_id, worker_id, document_id, doc_type, reason, note_sealed, status,
	link_id, replacement_id, created_at, forwarded_at, closed_at`

func scanRedo(s scanner, extra ...any) (Redo, error) {
	var r Redo
	var link, repl sql.NullString
	var created int64
	var fwd, closed sql.NullInt64
	if err := s.Scan(append([]any{&r.ID, &r.OwnerID, &r.RequestID, &r.WorkerID, &r.DocumentID, &r.DocType, &r.Reason,
		&r.NoteSealed, &r.Status, &link, &repl, &created, &fwd, &closed}, extra...)...); err != nil {
		return Redo{}, err
	}
	r.LinkID, r.ReplacementID = link.String, repl.String
	r.Created, r.Forwarded, r.Closed = fromDB(created), fromOptTime(fwd), fromOptTime(closed)
	return r, nil
}

// macInput: every column decides something the owner or the worker acts
// on: who asks whom, about which paper and request, why (the owner
// forwards what she reads), the link a replacement closes it through, and
// where it stands.
func (r Redo) macInput(m macw) {
	m.str(r.ID)
	m.str(r.OwnerID)
	m.str(r.RequestID)
	m.str(r.WorkerID)
	m.str(r.DocumentID)
	m.str(r.DocType)
	m.str(r.Reason)
	m.bytes(r.NoteSealed)
	m.str(r.Status)
	m.str(r.LinkID)
	m.str(r.ReplacementID)
	m.time(r.Created)
	m.time(r.Forwarded)
	m.time(r.Closed)
}

var redoSeal = &sealSpec{table: "redos", key: "id = ?", cols: redoColumns,
	load: func(sc scanner) ([]any, macInput, error) {
		r, err := scanRedo(sc)
		return []any{r.ID}, r.macInput, err
	}}

// InsertRedo stores an open redo. ErrConflict when the request already has
// a redo of that type not closed (or on a duplicate id); ErrNotFound when
// the owner, request or worker is missing.
func (o *ops) InsertRedo(ctx context.Context, r Redo) error {
	if r.ID == "" || r.OwnerID == "" || r.RequestID == "" || r.WorkerID == "" || r.DocumentID == "" || r.DocType == "" || r.Reason == "" {
		return errors.New("meta: insert redo: missing field")
	}
	return o.atomic(ctx, func(tx *Tx) error {
		if err := tx.lockRow(ctx, "requests", "id", r.RequestID); err != nil {
			return err
		}
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM redos WHERE request_id = ? AND doc_type = ? AND status <> ?`,
			r.RequestID, r.DocType, RedoClosed).Scan(&n); err != nil {
			return tx.wrap("insert redo", err)
		}
		if n > 0 {
			return fmt.Errorf("meta: insert redo: one not closed already: %w", ErrConflict)
		}
		if _, err := tx.exec(ctx, "insert redo",
			`INSERT INTO redos (`+redoColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, NULL, NULL)`,
			r.ID, r.OwnerID, r.RequestID, r.WorkerID, r.DocumentID, r.DocType, r.Reason, r.NoteSealed, RedoOpen,
			toDB(r.Created)); err != nil {
			return err
		}
		return tx.reseal(ctx, redoSeal, r.ID)
	})
}

// Redo returns a redo, or ErrNotFound (ErrTampered for a row failing its
// integrity check).
func (o *ops) Redo(ctx context.Context, id string) (Redo, error) {
	var mac []byte
	r, err := scanRedo(o.queryRow(ctx, `SELECT `+redoColumns+`, mac FROM redos WHERE id = ?`, id), &mac)
	if err != nil {
		return Redo{}, o.wrap("redo", err)
	}
	if err := o.check("redos", "redo", r.macInput, mac); err != nil {
		return Redo{}, err
	}
	return r, nil
}

// queryRedos reads redos through their check (failing rows are left out).
func (o *ops) queryRedos(ctx context.Context, what, where string, args ...any) ([]Redo, error) {
	rows, err := o.query(ctx, `SELECT `+redoColumns+`, mac FROM redos WHERE `+where, args...)
	if err != nil {
		return nil, o.wrap(what, err)
	}
	defer rows.Close()
	var out []Redo
	for rows.Next() {
		var mac []byte
		r, err := scanRedo(rows, &mac)
		if err != nil {
			return nil, o.wrap(what, err)
		}
		if !o.intact("redos", r.macInput, mac) {
			continue
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap(what, err)
	}
	return out, nil
}

// RedosOfOwner returns the redos an owner was asked, newest first.
func (o *ops) RedosOfOwner(ctx context.Context, ownerID string) ([]Redo, error) {
	return o.queryRedos(ctx, "redos of owner", `owner_id = ? ORDER BY created_at DESC, id`, ownerID)
}

// RedosOfWorker returns the redos a worker asked, newest first.
func (o *ops) RedosOfWorker(ctx context.Context, workerID string) ([]Redo, error) {
	return o.queryRedos(ctx, "redos of worker", `worker_id = ? ORDER BY created_at DESC, id`, workerID)
}

// RedoByLink returns the redo not closed that linkID was made for, or
// ErrNotFound.
func (o *ops) RedoByLink(ctx context.Context, linkID string) (Redo, error) {
	rs, err := o.queryRedos(ctx, "redo by link", `link_id = ? AND status = ?`, linkID, RedoForwarded)
	if err != nil {
		return Redo{}, err
	}
	if len(rs) == 0 {
		return Redo{}, fmt.Errorf("meta: redo by link: %w", ErrNotFound)
	}
	return rs[0], nil
}

// updateRedo changes a redo whose status is one of from, through its
// check, in one transaction; then, when not nil, after runs in the same
// transaction with the row as it was before the change. ErrConflict when
// its status is another; ErrNotFound (ErrTampered) when it is missing or
// fails its check.
func (o *ops) updateRedo(ctx context.Context, id, what string, from []string, after func(tx *Tx, was Redo) error, set string, args ...any) error {
	return o.atomic(ctx, func(tx *Tx) error {
		if err := tx.lockRow(ctx, "redos", "id", id); err != nil {
			return err
		}
		r, err := tx.Redo(ctx, id)
		if err != nil {
			return err
		}
		ok := false
		for _, f := range from {
			ok = ok || r.Status == f
		}
		if !ok {
			return fmt.Errorf("meta: %s: redo %s: %w", what, r.Status, ErrConflict)
		}
		if err := tx.execOne(ctx, what, `UPDATE redos SET `+set+` WHERE id = ?`, append(args, id)...); err != nil {
			return err
		}
		if err := tx.reseal(ctx, redoSeal, id); err != nil {
			return err
		}
		if after == nil {
			return nil
		}
		return after(tx, r)
	})
}

// ForwardRedo records the drop link an open (or already forwarded) redo
// was forwarded through: the newest link replaces the previous one, which
// is revoked in the same transaction (the previous link is the one the row
// holds under its lock: of forwards racing each other, only the last
// one's link stays live).
func (o *ops) ForwardRedo(ctx context.Context, id, linkID string, now time.Time) error {
	if linkID == "" {
		return errors.New("meta: forward redo: missing link")
	}
	revokePrevious := func(tx *Tx, was Redo) error {
		if was.LinkID == "" || was.LinkID == linkID {
			return nil
		}
		if err := tx.lockRow(ctx, "drop_links", "id", was.LinkID); err != nil {
			return err
		}
		res, err := tx.exec(ctx, "revoke previous redo link", `UPDATE drop_links SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`,
			toDB(now), was.LinkID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // revoked already (or gone): nothing to reseal
		}
		return tx.reseal(ctx, dropLinkSeal, was.LinkID)
	}
	return o.updateRedo(ctx, id, "forward redo", []string{RedoOpen, RedoForwarded}, revokePrevious,
		`status = ?, link_id = ?, forwarded_at = ?`, RedoForwarded, linkID, toDB(now))
}

// CloseRedo closes a forwarded redo with its replacement.
func (o *ops) CloseRedo(ctx context.Context, id, replacementID string, now time.Time) error {
	if replacementID == "" {
		return errors.New("meta: close redo: missing replacement")
	}
	return o.updateRedo(ctx, id, "close redo", []string{RedoForwarded}, nil,
		`status = ?, replacement_id = ?, closed_at = ?`, RedoClosed, replacementID, toDB(now))
}

// ReopenRedo puts a forwarded redo back to open (what arrived did not pass
// the check): the owner may forward it again.
func (o *ops) ReopenRedo(ctx context.Context, id string) error {
	return o.updateRedo(ctx, id, "reopen redo", []string{RedoForwarded}, nil, `status = ?`, RedoOpen)
}
