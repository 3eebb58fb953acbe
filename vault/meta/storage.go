package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Storage scopes (migration 6): whose documents a storage target holds.
const (
	ScopeOrganisation = "organisation"
	ScopeOwner        = "owner"
)

// Move states of a document (migration 6).
const (
	// MoveCopying: a mover claimed the document and copies its payload to
	// Move.Store; the payload still lives in StoreID.
	MoveCopying = "copying"
	// MoveCleaning: StoreID already names the new store; the old copy in
	// Move.Store is still to delete.
	MoveCleaning = "cleaning"
)

// Move is a document's move in progress; the zero value is none.
type Move struct {
	// State is "", MoveCopying or MoveCleaning.
	State string
	// Store is the other store of the move ("" is the default store): the
	// destination while copying, the old store while cleaning.
	Store string
	// Since is when the state was entered; while copying it also tells the
	// claim apart from a later one.
	Since time.Time
}

// storeMoveScan holds the scan targets of a document's storage columns.
type storeMoveScan struct {
	store, state, other sql.NullString
	since               sql.NullInt64
}

func (m *storeMoveScan) apply(d *Document) {
	d.StoreID = m.store.String
	d.Move = Move{State: m.state.String, Store: m.other.String, Since: fromOptTime(m.since)}
}

// StorageTarget is an S3 bucket holding the documents of an organisation's
// entrusting owners, or of one owner. Its configuration (endpoint, bucket,
// credentials) is sealed to the server key by the vault.
type StorageTarget struct {
	ID string
	// Scope is ScopeOrganisation or ScopeOwner, ScopeID the organisation's
	// or the owner's id.
	Scope, ScopeID string
	ConfigSealed   []byte
	Created        time.Time
	// Retired is when the target was replaced or cleared (zero: active).
	Retired time.Time
}

const targetColumns = `id, scope, scope_id, config_sealed, created_at, retired_at`

func scanTarget(s scanner, extra ...any) (StorageTarget, error) {
	var t StorageTarget
	var created int64
	var retired sql.NullInt64
	if err := s.Scan(append([]any{&t.ID, &t.Scope, &t.ScopeID, &t.ConfigSealed, &created, &retired}, extra...)...); err != nil {
		return StorageTarget{}, err
	}
	t.Created, t.Retired = fromDB(created), fromOptTime(retired)
	return t, nil
}

// macInput: every column of a storage target decides where someone's
// papers go.
func (t StorageTarget) macInput(m macw) {
	m.str(t.ID)
	m.str(t.Scope)
	m.str(t.ScopeID)
	m.bytes(t.ConfigSealed)
	m.time(t.Created)
	m.time(t.Retired)
}

var targetSeal = &sealSpec{table: "storage_targets", key: "id = ?", cols: targetColumns,
	load: func(sc scanner) ([]any, macInput, error) {
		t, err := scanTarget(sc)
		return []any{t.ID}, t.macInput, err
	}}

// queryTargets reads targets through their check (failing rows are left
// out).
func (o *ops) queryTargets(ctx context.Context, what, where string, args ...any) ([]StorageTarget, error) {
	rows, err := o.query(ctx, `SELECT `+targetColumns+`, mac FROM storage_targets WHERE `+where, args...)
	if err != nil {
		return nil, o.wrap(what, err)
	}
	defer rows.Close()
	var out []StorageTarget
	for rows.Next() {
		var mac []byte
		t, err := scanTarget(rows, &mac)
		if err != nil {
			return nil, o.wrap(what, err)
		}
		if !o.intact("storage_targets", t.macInput, mac) {
			continue
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap(what, err)
	}
	return out, nil
}

// retireTargets retires the active targets of a scope and returns how
// many. A target failing its integrity check is retired too (it must not
// stay active) but keeps failing it: it is never sealed again.
func (tx *Tx) retireTargets(ctx context.Context, scope, scopeID string) (int, error) {
	rows, err := tx.query(ctx, `SELECT `+targetColumns+`, mac FROM storage_targets WHERE scope = ? AND scope_id = ? AND retired_at IS NULL`,
		scope, scopeID)
	if err != nil {
		return 0, tx.wrap("retire storage target", err)
	}
	type active struct {
		id     string
		intact bool
	}
	var all []active
	for rows.Next() {
		var mac []byte
		t, err := scanTarget(rows, &mac)
		if err != nil {
			rows.Close()
			return 0, tx.wrap("retire storage target", err)
		}
		all = append(all, active{t.ID, tx.intact("storage_targets", t.macInput, mac)})
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return 0, tx.wrap("retire storage target", err)
	}
	for _, a := range all {
		if err := tx.execOne(ctx, "retire storage target",
			`UPDATE storage_targets SET retired_at = ? WHERE id = ?`, toDB(tx.now()), a.id); err != nil {
			return 0, err
		}
		if a.intact {
			if err := tx.reseal(ctx, targetSeal, a.id); err != nil {
				return 0, err
			}
		}
	}
	return len(all), nil
}

// SetStorageTarget makes t the active target of its scope, retiring the
// previous one in the same transaction. A duplicate id is ErrConflict.
func (o *ops) SetStorageTarget(ctx context.Context, t StorageTarget) error {
	if t.ID == "" || t.ScopeID == "" || len(t.ConfigSealed) == 0 || t.Scope != ScopeOrganisation && t.Scope != ScopeOwner {
		return errors.New("meta: set storage target: missing field or bad scope")
	}
	return o.atomic(ctx, func(tx *Tx) error {
		if _, err := tx.retireTargets(ctx, t.Scope, t.ScopeID); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "set storage target",
			`INSERT INTO storage_targets (id, scope, scope_id, config_sealed, created_at) VALUES (?, ?, ?, ?, ?)`,
			t.ID, t.Scope, t.ScopeID, t.ConfigSealed, toDB(t.Created)); err != nil {
			return err
		}
		return tx.reseal(ctx, targetSeal, t.ID)
	})
}

// StorageTarget returns a target, active or retired, or ErrNotFound
// (ErrTampered for a row failing its integrity check).
func (o *ops) StorageTarget(ctx context.Context, id string) (StorageTarget, error) {
	var mac []byte
	t, err := scanTarget(o.queryRow(ctx, `SELECT `+targetColumns+`, mac FROM storage_targets WHERE id = ?`, id), &mac)
	if err != nil {
		return StorageTarget{}, o.wrap("storage target", err)
	}
	if err := o.check("storage_targets", "storage target", t.macInput, mac); err != nil {
		return StorageTarget{}, err
	}
	return t, nil
}

// ActiveStorageTarget returns the active target of a scope, or
// ErrNotFound (a target failing its integrity check counts as none).
func (o *ops) ActiveStorageTarget(ctx context.Context, scope, scopeID string) (StorageTarget, error) {
	ts, err := o.queryTargets(ctx, "active storage target", `scope = ? AND scope_id = ? AND retired_at IS NULL`, scope, scopeID)
	if err != nil {
		return StorageTarget{}, err
	}
	if len(ts) == 0 {
		return StorageTarget{}, fmt.Errorf("meta: active storage target: %w", ErrNotFound)
	}
	return ts[0], nil
}

// StorageTargets returns every target, active and retired, oldest first
// (those failing their integrity check are left out).
func (o *ops) StorageTargets(ctx context.Context) ([]StorageTarget, error) {
	return o.queryTargets(ctx, "storage targets", `1 = 1 ORDER BY created_at, id`)
}

// RetireStorageTarget retires the active target of a scope (its documents
// then move back). ErrNotFound when the scope has none.
func (o *ops) RetireStorageTarget(ctx context.Context, scope, scopeID string) error {
	return o.atomic(ctx, func(tx *Tx) error {
		n, err := tx.retireTargets(ctx, scope, scopeID)
		if err == nil && n == 0 {
			err = fmt.Errorf("meta: retire storage target: %w", ErrNotFound)
		}
		return err
	})
}

// PurgeStorageTargets deletes the retired targets no document row refers
// to any more (as its store or the other end of a move), and returns how
// many it deleted.
func (o *ops) PurgeStorageTargets(ctx context.Context) (int, error) {
	res, err := o.exec(ctx, "purge storage targets",
		`DELETE FROM storage_targets WHERE retired_at IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.store_id = storage_targets.id OR d.move_store = storage_targets.id)`)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("meta: purge storage targets: %w", err)
	}
	return int(n), nil
}

// effectiveStore is the SQL expression of an owner's effective store ("" is
// the default store) given the owners row o: the owner's own active target
// when ownerBuckets (a parameter, 1 or 0) allows it, else the active target
// of the organisation the owner entrusted (assisted_org_id), else "".
const effectiveStore = `COALESCE(
	(SELECT t.id FROM storage_targets t WHERE ? = 1 AND t.scope = 'owner' AND t.scope_id = o.id AND t.retired_at IS NULL),
	(SELECT t.id FROM storage_targets t WHERE t.scope = 'organisation' AND t.scope_id = o.assisted_org_id AND t.retired_at IS NULL),
	'')`

func boolParam(b bool) int {
	if b {
		return 1
	}
	return 0
}

// EffectiveStore returns the store new documents of an owner go to: "" for
// the default store, else a target id (as effectiveStore), read through
// the integrity checks of the owner and the targets. ErrNotFound for a
// missing owner.
func (o *ops) EffectiveStore(ctx context.Context, ownerID string, ownerBuckets bool) (string, error) {
	_, a, err := o.OwnerAccount(ctx, ownerID)
	if err != nil {
		return "", err
	}
	if ownerBuckets {
		t, err := o.ActiveStorageTarget(ctx, ScopeOwner, ownerID)
		if err == nil {
			return t.ID, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return "", err
		}
	}
	if a.AssistedOrgID != "" {
		t, err := o.ActiveStorageTarget(ctx, ScopeOrganisation, a.AssistedOrgID)
		if err == nil {
			return t.ID, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return "", err
		}
	}
	return "", nil
}

// MoveScope selects the documents a move or a progress query covers: one
// owner's (OwnerID), those of the owners who entrusted an organisation
// (OrgID), or every owner's (both empty).
type MoveScope struct {
	OwnerID, OrgID string
	// OwnerBuckets: owners' own targets count (the operator allows them).
	OwnerBuckets bool
}

func (m MoveScope) where() (string, []any) {
	switch {
	case m.OwnerID != "":
		return ` AND o.id = ?`, []any{m.OwnerID}
	case m.OrgID != "":
		return ` AND o.assisted_org_id = ?`, []any{m.OrgID}
	}
	return "", nil
}

// ToMove is a committed document whose payload is not where it should be,
// or whose move is unfinished.
type ToMove struct {
	Document Document
	// Target is the owner's effective store ("" default).
	Target string
}

// DocumentsToMove returns up to limit committed documents of the scope
// whose store differs from their owner's effective store, or that are in
// the middle of a move, oldest first.
func (o *ops) DocumentsToMove(ctx context.Context, scope MoveScope, limit int) ([]ToMove, error) {
	w, args := scope.where()
	q := `SELECT ` + docColumns + `, ` + effectiveStore + ` FROM documents d JOIN owners o ON o.id = d.owner_id
		WHERE d.state = ?` + w + ` AND (d.move_state IS NOT NULL OR COALESCE(d.store_id, '') <> ` + effectiveStore + `)
		ORDER BY d.created_at, d.id LIMIT ?`
	all := append([]any{boolParam(scope.OwnerBuckets), string(StateCommitted)}, args...)
	all = append(all, boolParam(scope.OwnerBuckets), limit)
	rows, err := o.query(ctx, q, all...)
	if err != nil {
		return nil, o.wrap("documents to move", err)
	}
	defer rows.Close()
	var out []ToMove
	for rows.Next() {
		var tm ToMove
		if tm.Document, err = scanDocument(rows, nil, &tm.Target); err != nil {
			return nil, o.wrap("documents to move", err)
		}
		out = append(out, tm)
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap("documents to move", err)
	}
	return out, nil
}

// StorageProgress counts the committed documents of a scope (and their
// plaintext bytes) and how many of them are settled in their owner's
// effective store with no move unfinished.
type StorageProgress struct {
	Total, Placed           int64
	TotalBytes, PlacedBytes int64
}

// StorageProgress returns the progress of the scope's documents.
func (o *ops) StorageProgress(ctx context.Context, scope MoveScope) (StorageProgress, error) {
	w, args := scope.where()
	var p StorageProgress
	var placed, placedBytes, totalBytes sql.NullInt64
	all := append([]any{boolParam(scope.OwnerBuckets), boolParam(scope.OwnerBuckets), string(StateCommitted)}, args...)
	err := o.queryRow(ctx, `SELECT COUNT(*),
			SUM(CASE WHEN d.move_state IS NULL AND COALESCE(d.store_id, '') = `+effectiveStore+` THEN 1 ELSE 0 END),
			SUM(d.size),
			SUM(CASE WHEN d.move_state IS NULL AND COALESCE(d.store_id, '') = `+effectiveStore+` THEN d.size ELSE 0 END)
		FROM documents d JOIN owners o ON o.id = d.owner_id WHERE d.state = ?`+w, all...).
		Scan(&p.Total, &placed, &totalBytes, &placedBytes)
	if err != nil {
		return StorageProgress{}, o.wrap("storage progress", err)
	}
	p.Placed, p.TotalBytes, p.PlacedBytes = placed.Int64, totalBytes.Int64, placedBytes.Int64
	return p, nil
}

// ClaimMove claims a committed document for a copy from store from to
// store to ("" default), at now: it succeeds when no move is in progress,
// or when a copy claimed before staleBefore was abandoned (a mover that
// crashed). ErrConflict otherwise (moved meanwhile, being moved, deleted).
func (o *ops) ClaimMove(ctx context.Context, docID, from, to string, now, staleBefore time.Time) error {
	res, err := o.exec(ctx, "claim move",
		`UPDATE documents SET move_state = ?, move_store = ?, move_since = ?
		WHERE id = ? AND state = ? AND COALESCE(store_id, '') = ?
		AND (move_state IS NULL OR move_state = ? AND move_since < ?)`,
		MoveCopying, to, toDB(now), docID, string(StateCommitted), from, MoveCopying, toDB(staleBefore))
	return oneOrConflict("claim move", res, err)
}

// SwitchStore ends the copy claimed at since: the document's store becomes
// to and the old store from is left to clean (MoveCleaning), in one
// conditional write. ErrConflict when the claim is no longer this one or
// the document is not committed any more.
func (o *ops) SwitchStore(ctx context.Context, docID, from, to string, since, now time.Time) error {
	res, err := o.exec(ctx, "switch store",
		`UPDATE documents SET store_id = ?, move_state = ?, move_store = ?, move_since = ?
		WHERE id = ? AND state = ? AND COALESCE(store_id, '') = ? AND move_state = ? AND move_store = ? AND move_since = ?`,
		optString(to), MoveCleaning, from, toDB(now),
		docID, string(StateCommitted), from, MoveCopying, to, toDB(since))
	return oneOrConflict("switch store", res, err)
}

// ReleaseMove drops the copy claim taken at since (the copy failed and its
// partial object was removed). ErrConflict when the claim is not this one.
func (o *ops) ReleaseMove(ctx context.Context, docID, to string, since time.Time) error {
	res, err := o.exec(ctx, "release move",
		`UPDATE documents SET move_state = NULL, move_store = NULL, move_since = NULL
		WHERE id = ? AND move_state = ? AND move_store = ? AND move_since = ?`,
		docID, MoveCopying, to, toDB(since))
	return oneOrConflict("release move", res, err)
}

// FinishMove records that the old copy in store old is gone. ErrConflict
// when the document is not cleaning that store.
func (o *ops) FinishMove(ctx context.Context, docID, old string) error {
	res, err := o.exec(ctx, "finish move",
		`UPDATE documents SET move_state = NULL, move_store = NULL, move_since = NULL
		WHERE id = ? AND move_state = ? AND move_store = ?`,
		docID, MoveCleaning, old)
	return oneOrConflict("finish move", res, err)
}

func oneOrConflict(what string, res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("meta: %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("meta: %s: %w", what, ErrConflict)
	}
	return nil
}
