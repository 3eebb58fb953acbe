package meta

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// ShareCode is a worker's short-lived share code (migration 15). The code
// itself is not stored: Hash and Bind are pepper-keyed HMACs made by the
// vault.
type ShareCode struct {
	// Hash is the HMAC of the normalised code (the key).
	Hash     string
	WorkerID string
	// WorkerKey, OrgID and OrgKey are what the worker's session held when
	// the code was made ("" for no active organisation).
	WorkerKey string
	OrgID     string
	OrgKey    string
	// Bind is the HMAC over the code and the fields above with Expires.
	Bind    string
	Created time.Time
	Expires time.Time
	// Used is when an owner shared with it (zero: not yet); UsedBy an HMAC
	// of that owner.
	Used   time.Time
	UsedBy string
}

const shareCodeColumns = `code_hash, worker_id, worker_key, org_id, org_key, bind, created_at, expires_at, used_at, used_by`

// InsertShareCode stores a new code and, in the same transaction, removes
// the worker's other codes not used yet: a worker has one live code at a
// time. ErrConflict on a duplicate hash; ErrNotFound when the worker is
// missing.
func (o *ops) InsertShareCode(ctx context.Context, sc ShareCode) error {
	if sc.Hash == "" || sc.WorkerID == "" || sc.WorkerKey == "" || sc.Bind == "" || sc.Expires.IsZero() {
		return errors.New("meta: insert share code: missing field")
	}
	return o.atomic(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "insert share code",
			`DELETE FROM share_codes WHERE worker_id = ? AND used_at IS NULL`, sc.WorkerID); err != nil {
			return err
		}
		_, err := tx.exec(ctx, "insert share code",
			`INSERT INTO share_codes (`+shareCodeColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)`,
			sc.Hash, sc.WorkerID, sc.WorkerKey, sc.OrgID, sc.OrgKey, sc.Bind, toDB(sc.Created), toDB(sc.Expires))
		return err
	})
}

// ShareCodeByHash returns a code's row, used or not, expired or not;
// ErrNotFound when there is none.
func (o *ops) ShareCodeByHash(ctx context.Context, hash string) (ShareCode, error) {
	var sc ShareCode
	var created, expires int64
	var used sql.NullInt64
	var usedBy sql.NullString
	err := o.queryRow(ctx, `SELECT `+shareCodeColumns+` FROM share_codes WHERE code_hash = ?`, hash).Scan(
		&sc.Hash, &sc.WorkerID, &sc.WorkerKey, &sc.OrgID, &sc.OrgKey, &sc.Bind, &created, &expires, &used, &usedBy)
	if err != nil {
		return ShareCode{}, o.wrap("share code", err)
	}
	sc.Created, sc.Expires, sc.Used, sc.UsedBy = fromDB(created), fromDB(expires), fromOptTime(used), usedBy.String
	return sc, nil
}

// UseShareCode marks a code used by usedBy at now, only if it is unused
// and not expired at now (checked in the same statement: of two owners
// racing, one wins); ErrNotFound otherwise.
func (o *ops) UseShareCode(ctx context.Context, hash, usedBy string, now time.Time) error {
	if usedBy == "" {
		return errors.New("meta: use share code: no owner")
	}
	return o.execOne(ctx, "use share code",
		`UPDATE share_codes SET used_at = ?, used_by = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?`,
		toDB(now), usedBy, hash, toDB(now))
}

// ReleaseShareCode takes back UseShareCode when the share it was for
// failed; ErrNotFound when usedBy did not use it.
func (o *ops) ReleaseShareCode(ctx context.Context, hash, usedBy string) error {
	return o.execOne(ctx, "release share code",
		`UPDATE share_codes SET used_at = NULL, used_by = NULL WHERE code_hash = ? AND used_by = ?`, hash, usedBy)
}

// DeleteExpiredShareCodes removes the codes that expired before before,
// used or not, and returns how many went.
func (o *ops) DeleteExpiredShareCodes(ctx context.Context, before time.Time) (int, error) {
	res, err := o.exec(ctx, "delete expired share codes", `DELETE FROM share_codes WHERE expires_at < ?`, toDB(before))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, o.wrap("delete expired share codes", err)
	}
	return int(n), nil
}
