package meta

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Session is a server-side login session (migration 2). The token itself is
// never stored: TokenHash is its SHA-256, and the identities are wrapped to
// a key derived from the token and the pepper.
type Session struct {
	TokenHash   string
	Kind        RecipientKind
	PrincipalID string
	// IdentityWrap is the principal's identity wrapped to the session key;
	// OrgIdentityWrap the organisation identity of a worker (nil if none).
	IdentityWrap    []byte
	OrgIdentityWrap []byte
	Created         time.Time
	LastSeen        time.Time
	IdleExpires     time.Time
	AbsoluteExpires time.Time
	// ConfirmedAt is when the owner last proved, in this session, that they
	// hold the secret or the recovery code (migration 8); zero for never.
	ConfirmedAt time.Time
	// SecretDue: the owner must change her secret before anything else (a
	// worker saw it typed; migration 13).
	SecretDue bool
}

// macInput: a session's decisive fields are who it is for, its identity
// wraps, and its times (idle and absolute expiry, confirmation);
// last_seen decides nothing.
func (s Session) macInput(m macw) {
	m.str(s.TokenHash)
	m.str(string(s.Kind))
	m.str(s.PrincipalID)
	m.bytes(s.IdentityWrap)
	m.bytes(s.OrgIdentityWrap)
	m.time(s.Created)
	m.time(s.IdleExpires)
	m.time(s.AbsoluteExpires)
	m.time(s.ConfirmedAt)
	if s.SecretDue { // written only when set: macs made before migration 13 still verify
		m.str("secret-due")
	}
}

const sessionColumns = `token_hash, principal_kind, principal_id, identity_wrap, org_identity_wrap,
	created_at, last_seen, idle_expires, absolute_expires, confirmed_at, secret_due`

func scanSession(sc scanner, extra ...any) (Session, error) {
	var s Session
	var kind string
	var created, seen, idle, abs, confirmed, due int64
	if err := sc.Scan(append([]any{&s.TokenHash, &kind, &s.PrincipalID, &s.IdentityWrap, &s.OrgIdentityWrap,
		&created, &seen, &idle, &abs, &confirmed, &due}, extra...)...); err != nil {
		return Session{}, err
	}
	s.SecretDue = due != 0
	s.Kind = RecipientKind(kind)
	s.Created, s.LastSeen, s.IdleExpires, s.AbsoluteExpires = fromDB(created), fromDB(seen), fromDB(idle), fromDB(abs)
	if confirmed != 0 {
		s.ConfirmedAt = fromDB(confirmed)
	}
	return s, nil
}

var sessionSeal = &sealSpec{table: "sessions", key: "token_hash = ?", cols: sessionColumns,
	load: func(sc scanner) ([]any, macInput, error) {
		s, err := scanSession(sc)
		return []any{s.TokenHash}, s.macInput, err
	}}

// CreateSession inserts a session. A duplicate token hash is ErrConflict.
func (o *ops) CreateSession(ctx context.Context, s Session) error {
	if s.TokenHash == "" || s.PrincipalID == "" || len(s.IdentityWrap) == 0 {
		return errors.New("meta: create session: missing field")
	}
	if s.Kind != RecipientOwner && s.Kind != RecipientWorker {
		return fmt.Errorf("meta: create session: bad kind %q", s.Kind)
	}
	return o.atomic(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "create session",
			`INSERT INTO sessions (token_hash, principal_kind, principal_id, identity_wrap, org_identity_wrap,
			created_at, last_seen, idle_expires, absolute_expires, confirmed_at, secret_due)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			s.TokenHash, string(s.Kind), s.PrincipalID, s.IdentityWrap, s.OrgIdentityWrap,
			toDB(s.Created), toDB(s.LastSeen), toDB(s.IdleExpires), toDB(s.AbsoluteExpires), confirmedDB(s.ConfirmedAt), boolParam(s.SecretDue)); err != nil {
			return err
		}
		return tx.reseal(ctx, sessionSeal, s.TokenHash)
	})
}

// Session returns a session by token hash (expired or not), or ErrNotFound
// (ErrTampered for a row that fails its integrity check).
func (o *ops) Session(ctx context.Context, tokenHash string) (Session, error) {
	var mac []byte
	s, err := scanSession(o.queryRow(ctx, `SELECT `+sessionColumns+`, mac FROM sessions WHERE token_hash = ?`, tokenHash), &mac)
	if err != nil {
		return Session{}, o.wrap("session", err)
	}
	if err := o.check("sessions", "session", s.macInput, mac); err != nil {
		return Session{}, err
	}
	return s, nil
}

// lockedSession locks a session's row and reads it through its check.
func (tx *Tx) lockedSession(ctx context.Context, tokenHash string) (Session, error) {
	if err := tx.lockRow(ctx, "sessions", "token_hash", tokenHash); err != nil {
		return Session{}, err
	}
	return tx.Session(ctx, tokenHash)
}

// TouchSession moves a session's last-seen time and idle expiry forward
// (never backward). ErrNotFound for a missing session (or one failing its
// integrity check: it is not touched).
func (o *ops) TouchSession(ctx context.Context, tokenHash string, lastSeen, idleExpires time.Time) error {
	return o.atomic(ctx, func(tx *Tx) error {
		s, err := tx.lockedSession(ctx, tokenHash)
		if err != nil {
			return err
		}
		if toDB(s.LastSeen) > toDB(lastSeen) || toDB(s.IdleExpires) > toDB(idleExpires) {
			return nil // already touched later by another request
		}
		if err := tx.execOne(ctx, "touch session",
			`UPDATE sessions SET last_seen = ?, idle_expires = ? WHERE token_hash = ?`,
			toDB(lastSeen), toDB(idleExpires), tokenHash); err != nil {
			return err
		}
		return tx.reseal(ctx, sessionSeal, tokenHash)
	})
}

// DeleteSession removes a session; a missing one is not an error. It
// reports whether a row was removed.
func (o *ops) DeleteSession(ctx context.Context, tokenHash string) (bool, error) {
	res, err := o.exec(ctx, "delete session", `DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("meta: delete session: %w", err)
	}
	return n > 0, nil
}

// DeleteSessions removes every session of a principal and returns how many.
func (o *ops) DeleteSessions(ctx context.Context, kind RecipientKind, principalID string) (int, error) {
	res, err := o.exec(ctx, "delete sessions",
		`DELETE FROM sessions WHERE principal_kind = ? AND principal_id = ?`, string(kind), principalID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("meta: delete sessions: %w", err)
	}
	return int(n), nil
}

func confirmedDB(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return toDB(t)
}

// ConfirmSession records that the session's principal proved again, at
// at, that they hold their secret (or recovery code). ErrNotFound for a
// missing session.
func (o *ops) ConfirmSession(ctx context.Context, tokenHash string, at time.Time) error {
	return o.atomic(ctx, func(tx *Tx) error {
		if _, err := tx.lockedSession(ctx, tokenHash); err != nil {
			return err
		}
		if err := tx.execOne(ctx, "confirm session",
			`UPDATE sessions SET confirmed_at = ? WHERE token_hash = ?`, confirmedDB(at), tokenHash); err != nil {
			return err
		}
		return tx.reseal(ctx, sessionSeal, tokenHash)
	})
}

// ClearSessionSecretDue records that the session's owner changed her
// secret: the session may do everything again. ErrNotFound for a missing
// session (or one failing its integrity check: not rewritten).
func (o *ops) ClearSessionSecretDue(ctx context.Context, tokenHash string) error {
	return o.atomic(ctx, func(tx *Tx) error {
		if _, err := tx.lockedSession(ctx, tokenHash); err != nil {
			return err
		}
		if err := tx.execOne(ctx, "clear secret due", `UPDATE sessions SET secret_due = 0 WHERE token_hash = ?`, tokenHash); err != nil {
			return err
		}
		return tx.reseal(ctx, sessionSeal, tokenHash)
	})
}

// DeleteOtherSessions removes every session of a principal but the one
// whose token hash is keep, and returns how many went. The rows are gone
// for every instance sharing the database: the next request bearing one
// of their tokens finds nothing.
func (o *ops) DeleteOtherSessions(ctx context.Context, kind RecipientKind, principalID, keep string) (int, error) {
	res, err := o.exec(ctx, "delete other sessions",
		`DELETE FROM sessions WHERE principal_kind = ? AND principal_id = ? AND token_hash <> ?`,
		string(kind), principalID, keep)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("meta: delete other sessions: %w", err)
	}
	return int(n), nil
}

// DeleteExpiredSessions removes every session idle or absolutely expired at
// now and returns how many.
func (o *ops) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	res, err := o.exec(ctx, "delete expired sessions",
		`DELETE FROM sessions WHERE idle_expires <= ? OR absolute_expires <= ?`, toDB(now), toDB(now))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("meta: delete expired sessions: %w", err)
	}
	return int(n), nil
}
