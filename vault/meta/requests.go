package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Request statuses as stored ("fulfilled" is computed, never stored).
const (
	RequestPending  = "pending"
	RequestAccepted = "accepted"
	RequestDeclined = "declined"
)

// Request is a worker's request to an owner for document types.
type Request struct {
	ID       string
	OwnerID  string
	WorkerID string
	// DetailsSealed holds purpose and message, sealed to owner and worker.
	DetailsSealed []byte
	// Types are catalogue type ids (stored comma-separated).
	Types     []string
	Days      int
	Status    string
	ConsentID string
	Created   time.Time
	Decided   time.Time
}

const requestColumns = `r.id, r.owner_id, r.worker_id, r.details_sealed, r.types, r.days, r.status,
	r.consent_id, r.created_at, r.decided_at`

func scanRequest(s scanner, extra ...any) (Request, error) {
	var r Request
	var types string
	var consent sql.NullString
	var created int64
	var decided sql.NullInt64
	if err := s.Scan(append([]any{&r.ID, &r.OwnerID, &r.WorkerID, &r.DetailsSealed, &types, &r.Days, &r.Status,
		&consent, &created, &decided}, extra...)...); err != nil {
		return Request{}, err
	}
	r.Types = splitTypes(types)
	r.ConsentID = consent.String
	r.Created, r.Decided = fromDB(created), fromOptTime(decided)
	return r, nil
}

// macInput: every column of a request decides something: to whom and from
// whom, what it asks for (types, duration, purpose) — what the owner
// accepts is what she reads in it —, its status and the consent its
// acceptance made.
func (r Request) macInput(m macw) {
	m.str(r.ID)
	m.str(r.OwnerID)
	m.str(r.WorkerID)
	m.bytes(r.DetailsSealed)
	m.str(joinTypes(r.Types))
	m.int(int64(r.Days))
	m.str(r.Status)
	m.str(r.ConsentID)
	m.time(r.Created)
	m.time(r.Decided)
}

var requestSeal = &sealSpec{table: "requests", key: "id = ?",
	cols: `id, owner_id, worker_id, details_sealed, types, days, status, consent_id, created_at, decided_at`,
	load: func(sc scanner) ([]any, macInput, error) {
		r, err := scanRequest(sc)
		return []any{r.ID}, r.macInput, err
	}}

// InsertRequest stores a pending request. ErrNotFound when the owner or
// worker is missing; ErrConflict on a duplicate id.
func (o *ops) InsertRequest(ctx context.Context, r Request) error {
	if r.ID == "" || r.OwnerID == "" || r.WorkerID == "" || len(r.DetailsSealed) == 0 || len(r.Types) == 0 || r.Days <= 0 {
		return errors.New("meta: insert request: missing field")
	}
	for _, t := range r.Types {
		if t == "" || containsComma(t) {
			return fmt.Errorf("meta: insert request: bad type %q", t)
		}
	}
	return o.atomic(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "insert request",
			`INSERT INTO requests (id, owner_id, worker_id, details_sealed, types, days, status, consent_id, created_at, decided_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, NULL)`,
			r.ID, r.OwnerID, r.WorkerID, r.DetailsSealed, joinTypes(r.Types), r.Days, RequestPending, toDB(r.Created)); err != nil {
			return err
		}
		return tx.reseal(ctx, requestSeal, r.ID)
	})
}

func containsComma(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == ',' {
			return true
		}
	}
	return false
}

// Request returns a request, or ErrNotFound (ErrTampered for a row
// failing its integrity check).
func (o *ops) Request(ctx context.Context, id string) (Request, error) {
	var mac []byte
	r, err := scanRequest(o.queryRow(ctx, `SELECT `+requestColumns+`, r.mac FROM requests r WHERE r.id = ?`, id), &mac)
	if err != nil {
		return Request{}, o.wrap("request", err)
	}
	if err := o.check("requests", "request", r.macInput, mac); err != nil {
		return Request{}, err
	}
	return r, nil
}

// queryRequests reads requests through their check (failing rows are left
// out).
func (o *ops) queryRequests(ctx context.Context, what, where string, args ...any) ([]Request, error) {
	rows, err := o.query(ctx, `SELECT `+requestColumns+`, r.mac FROM requests r WHERE `+where, args...)
	if err != nil {
		return nil, o.wrap(what, err)
	}
	defer rows.Close()
	var out []Request
	for rows.Next() {
		var mac []byte
		r, err := scanRequest(rows, &mac)
		if err != nil {
			return nil, o.wrap(what, err)
		}
		if !o.intact("requests", r.macInput, mac) {
			continue
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap(what, err)
	}
	return out, nil
}

// RequestsOfOwner returns the requests an owner received, newest first.
func (o *ops) RequestsOfOwner(ctx context.Context, ownerID string) ([]Request, error) {
	return o.queryRequests(ctx, "requests of owner", `r.owner_id = ? ORDER BY r.created_at DESC, r.id`, ownerID)
}

// RequestsOfWorker returns the requests a worker sent, newest first.
func (o *ops) RequestsOfWorker(ctx context.Context, workerID string) ([]Request, error) {
	return o.queryRequests(ctx, "requests of worker", `r.worker_id = ? ORDER BY r.created_at DESC, r.id`, workerID)
}

// AcceptRequest atomically inserts the consent c and marks the pending
// request of ownerID accepted with it. ErrNotFound: no such request of this
// owner; ErrConflict: not pending (decided meanwhile). All or nothing.
func (o *ops) AcceptRequest(ctx context.Context, id, ownerID string, c Consent, now time.Time) error {
	return o.atomic(ctx, func(tx *Tx) error {
		if err := tx.decide(ctx, id, ownerID, RequestAccepted, now); err != nil {
			return err
		}
		if err := tx.InsertConsent(ctx, c); err != nil {
			return err
		}
		if err := tx.execOne(ctx, "accept request", `UPDATE requests SET consent_id = ? WHERE id = ?`, c.ID, id); err != nil {
			return err
		}
		return tx.reseal(ctx, requestSeal, id)
	})
}

// DeclineRequest marks a pending request of ownerID declined. Errors as
// AcceptRequest.
func (o *ops) DeclineRequest(ctx context.Context, id, ownerID string, now time.Time) error {
	return o.atomic(ctx, func(tx *Tx) error { return tx.decide(ctx, id, ownerID, RequestDeclined, now) })
}

func (tx *Tx) decide(ctx context.Context, id, ownerID, status string, now time.Time) error {
	if err := tx.lockRow(ctx, "requests", "id", id); err != nil {
		return err
	}
	r, err := tx.Request(ctx, id)
	if err != nil {
		return err
	}
	if r.OwnerID != ownerID {
		return fmt.Errorf("meta: request %s: %w", id, ErrNotFound)
	}
	if r.Status != RequestPending {
		return fmt.Errorf("meta: request %s is %s: %w", id, r.Status, ErrConflict)
	}
	if err := tx.execOne(ctx, "decide request",
		`UPDATE requests SET status = ?, decided_at = ? WHERE id = ? AND status = ?`, status, toDB(now), id, RequestPending); err != nil {
		return err
	}
	return tx.reseal(ctx, requestSeal, id)
}
