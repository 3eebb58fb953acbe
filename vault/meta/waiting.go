package meta

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// WaitingRequest is a worker's request made by an identifier no vault has
// (yet) (migration 9). It becomes a Request, with the same id, if a vault
// is created with that identifier before Expires.
type WaitingRequest struct {
	ID       string
	WorkerID string
	// IdentifierHash is the HMAC of the normalised identifier (as
	// owners.identifier_hash).
	IdentifierHash string
	// DetailsSealed holds purpose and message, sealed to the worker and
	// the server key.
	DetailsSealed []byte
	Types         []string
	Days          int
	Created       time.Time
	Expires       time.Time
}

const waitingColumns = `id, worker_id, identifier_hash, details_sealed, types, days, created_at, expires_at`

func scanWaiting(s scanner, extra ...any) (WaitingRequest, error) {
	var w WaitingRequest
	var types string
	var created, expires int64
	if err := s.Scan(append([]any{&w.ID, &w.WorkerID, &w.IdentifierHash, &w.DetailsSealed, &types, &w.Days, &created, &expires}, extra...)...); err != nil {
		return WaitingRequest{}, err
	}
	w.Types, w.Created, w.Expires = splitTypes(types), fromDB(created), fromDB(expires)
	return w, nil
}

// macInput: every column of a waiting request decides something: it
// becomes a request from that worker, for those types and that duration,
// to the vault with that identifier.
func (w WaitingRequest) macInput(m macw) {
	m.str(w.ID)
	m.str(w.WorkerID)
	m.str(w.IdentifierHash)
	m.bytes(w.DetailsSealed)
	m.str(joinTypes(w.Types))
	m.int(int64(w.Days))
	m.time(w.Created)
	m.time(w.Expires)
}

var waitingSeal = &sealSpec{table: "waiting_requests", key: "id = ?", cols: waitingColumns,
	load: func(sc scanner) ([]any, macInput, error) {
		w, err := scanWaiting(sc)
		return []any{w.ID}, w.macInput, err
	}}

// InsertWaitingRequest stores a waiting request. ErrNotFound when the
// worker is missing; ErrConflict on a duplicate id.
func (o *ops) InsertWaitingRequest(ctx context.Context, w WaitingRequest) error {
	if w.ID == "" || w.WorkerID == "" || w.IdentifierHash == "" || len(w.DetailsSealed) == 0 || len(w.Types) == 0 || w.Days <= 0 {
		return errors.New("meta: insert waiting request: missing field")
	}
	for _, t := range w.Types {
		if t == "" || containsComma(t) {
			return fmt.Errorf("meta: insert waiting request: bad type %q", t)
		}
	}
	return o.atomic(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "insert waiting request",
			`INSERT INTO waiting_requests (`+waitingColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			w.ID, w.WorkerID, w.IdentifierHash, w.DetailsSealed, joinTypes(w.Types), w.Days, toDB(w.Created), toDB(w.Expires)); err != nil {
			return err
		}
		return tx.reseal(ctx, waitingSeal, w.ID)
	})
}

// queryWaiting reads waiting requests through their check (failing rows
// are left out: never delivered).
func (o *ops) queryWaiting(ctx context.Context, what, where string, args ...any) ([]WaitingRequest, error) {
	rows, err := o.query(ctx, `SELECT `+waitingColumns+`, mac FROM waiting_requests WHERE `+where, args...)
	if err != nil {
		return nil, o.wrap(what, err)
	}
	defer rows.Close()
	var out []WaitingRequest
	for rows.Next() {
		var mac []byte
		w, err := scanWaiting(rows, &mac)
		if err != nil {
			return nil, o.wrap(what, err)
		}
		if !o.intact("waiting_requests", w.macInput, mac) {
			continue
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap(what, err)
	}
	return out, nil
}

// WaitingRequestsOfWorker lists a worker's waiting requests not expired at
// now, newest first.
func (o *ops) WaitingRequestsOfWorker(ctx context.Context, workerID string, now time.Time) ([]WaitingRequest, error) {
	return o.queryWaiting(ctx, "waiting requests of worker",
		`worker_id = ? AND expires_at > ? ORDER BY created_at DESC, id`, workerID, toDB(now))
}

// WaitingRequestsFor lists the waiting requests for an identifier not
// expired at now, oldest first.
func (o *ops) WaitingRequestsFor(ctx context.Context, identifierHash string, now time.Time) ([]WaitingRequest, error) {
	return o.queryWaiting(ctx, "waiting requests for identifier",
		`identifier_hash = ? AND expires_at > ? ORDER BY created_at, id`, identifierHash, toDB(now))
}

// DeliverWaitingRequest turns a waiting request into r (same id, worker,
// types and duration) in one transaction. ErrNotFound when it was
// delivered or removed meanwhile, or fails its integrity check, or r does
// not match it.
func (o *ops) DeliverWaitingRequest(ctx context.Context, r Request) error {
	return o.atomic(ctx, func(tx *Tx) error {
		if err := tx.lockRow(ctx, "waiting_requests", "id", r.ID); err != nil {
			return err
		}
		ws, err := tx.queryWaiting(ctx, "deliver waiting request", `id = ?`, r.ID)
		if err != nil {
			return err
		}
		if len(ws) != 1 || ws[0].WorkerID != r.WorkerID || joinTypes(ws[0].Types) != joinTypes(r.Types) || ws[0].Days != r.Days {
			return fmt.Errorf("meta: deliver waiting request %s: %w", r.ID, ErrNotFound)
		}
		if err := tx.execOne(ctx, "deliver waiting request", `DELETE FROM waiting_requests WHERE id = ?`, r.ID); err != nil {
			return err
		}
		return tx.InsertRequest(ctx, r)
	})
}

// DeleteExpiredWaitingRequests removes the waiting requests expired at now
// and returns how many.
func (o *ops) DeleteExpiredWaitingRequests(ctx context.Context, now time.Time) (int, error) {
	res, err := o.exec(ctx, "delete expired waiting requests", `DELETE FROM waiting_requests WHERE expires_at <= ?`, toDB(now))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("meta: delete expired waiting requests: %w", err)
	}
	return int(n), nil
}

// WaitingForOwners lists up to limit waiting requests (not expired at now)
// whose identifier now has a vault, each with the owner's id, oldest first.
func (o *ops) WaitingForOwners(ctx context.Context, now time.Time, limit int) ([]WaitingRequest, []string, error) {
	rows, err := o.query(ctx,
		`SELECT w.id, w.worker_id, w.identifier_hash, w.details_sealed, w.types, w.days, w.created_at, w.expires_at, w.mac, o.id
		FROM waiting_requests w JOIN owners o ON o.identifier_hash = w.identifier_hash
		WHERE w.expires_at > ? ORDER BY w.created_at, w.id LIMIT ?`, toDB(now), limit)
	if err != nil {
		return nil, nil, o.wrap("waiting for owners", err)
	}
	defer rows.Close()
	var ws []WaitingRequest
	var owners []string
	for rows.Next() {
		var owner string
		var mac []byte
		w, err := scanWaiting(rows, &mac, &owner)
		if err != nil {
			return nil, nil, o.wrap("waiting for owners", err)
		}
		if !o.intact("waiting_requests", w.macInput, mac) {
			continue // the owner's row is checked where the caller reads it
		}
		ws, owners = append(ws, w), append(owners, owner)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, o.wrap("waiting for owners", err)
	}
	return ws, owners, nil
}
