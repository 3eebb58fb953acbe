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
}

// CreateSession inserts a session. A duplicate token hash is ErrConflict.
func (o *ops) CreateSession(ctx context.Context, s Session) error {
	if s.TokenHash == "" || s.PrincipalID == "" || len(s.IdentityWrap) == 0 {
		return errors.New("meta: create session: missing field")
	}
	if s.Kind != RecipientOwner && s.Kind != RecipientWorker {
		return fmt.Errorf("meta: create session: bad kind %q", s.Kind)
	}
	_, err := o.exec(ctx, "create session",
		`INSERT INTO sessions (token_hash, principal_kind, principal_id, identity_wrap, org_identity_wrap,
			created_at, last_seen, idle_expires, absolute_expires, confirmed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.TokenHash, string(s.Kind), s.PrincipalID, s.IdentityWrap, s.OrgIdentityWrap,
		toDB(s.Created), toDB(s.LastSeen), toDB(s.IdleExpires), toDB(s.AbsoluteExpires), confirmedDB(s.ConfirmedAt))
	return err
}

// Session returns a session by token hash (expired or not), or ErrNotFound.
func (o *ops) Session(ctx context.Context, tokenHash string) (Session, error) {
	var s Session
	var kind string
	var created, seen, idle, abs, confirmed int64
	err := o.queryRow(ctx,
		`SELECT token_hash, principal_kind, principal_id, identity_wrap, org_identity_wrap,
			created_at, last_seen, idle_expires, absolute_expires, confirmed_at
		FROM sessions WHERE token_hash = ?`, tokenHash).
		Scan(&s.TokenHash, &kind, &s.PrincipalID, &s.IdentityWrap, &s.OrgIdentityWrap, &created, &seen, &idle, &abs, &confirmed)
	if err != nil {
		return Session{}, o.wrap("session", err)
	}
	s.Kind = RecipientKind(kind)
	s.Created, s.LastSeen, s.IdleExpires, s.AbsoluteExpires = fromDB(created), fromDB(seen), fromDB(idle), fromDB(abs)
	if confirmed != 0 {
		s.ConfirmedAt = fromDB(confirmed)
	}
	return s, nil
}

// TouchSession moves a session's last-seen time and idle expiry forward
// (never backward). ErrNotFound for a missing session.
func (o *ops) TouchSession(ctx context.Context, tokenHash string, lastSeen, idleExpires time.Time) error {
	return o.atomic(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, "touch session",
			`UPDATE sessions SET last_seen = ?, idle_expires = ? WHERE token_hash = ? AND last_seen <= ? AND idle_expires <= ?`,
			toDB(lastSeen), toDB(idleExpires), tokenHash, toDB(lastSeen), toDB(idleExpires))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("meta: touch session: %w", err)
		} else if n == 0 {
			// Missing, or already touched later by another request.
			_, err := tx.Session(ctx, tokenHash)
			return err
		}
		return nil
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
	return o.execOne(ctx, "confirm session",
		`UPDATE sessions SET confirmed_at = ? WHERE token_hash = ?`, confirmedDB(at), tokenHash)
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
