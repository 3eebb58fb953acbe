package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// DropLink is an upload link into an owner's vault. Only the token's hash
// is stored; the label is sealed (to the token-derived key, and to the owner
// and creating worker).
type DropLink struct {
	ID      string
	OwnerID string
	// TokenHash is the hex SHA-256 of the token.
	TokenHash     string
	PublicSealed  []byte
	DetailsSealed []byte
	CreatedByKind RecipientKind
	CreatedByID   string
	// RequestID is the request the link answers, "" if none.
	RequestID string
	// ConsentID is the consent a worker's link was made under ("" for the
	// owner's links): the link works only while it is live. ConsentExpires
	// and ConsentRevoked are that consent's (read, not written).
	ConsentID      string
	ConsentExpires time.Time
	ConsentRevoked time.Time
	Created        time.Time
	Expires        time.Time
	MaxUses        int
	Uses           int
	// Revoked is zero while not revoked.
	Revoked time.Time
}

// linkSelect reads links; the liveness of the consent a link was made
// under is read after, through the consent's own check (withConsent).
const linkSelect = `SELECT l.id, l.owner_id, l.token_hash, l.public_sealed, l.details_sealed, l.created_by_kind,
	l.created_by_id, l.request_id, l.created_at, l.expires_at, l.max_uses, l.uses, l.revoked_at,
	l.consent_id, l.mac
	FROM drop_links l`

// scanLink scans a link's columns, then extra (linkSelect: the mac).
func scanLink(s scanner, extra ...any) (DropLink, error) {
	var l DropLink
	var kind string
	var req, consent sql.NullString
	var created, expires int64
	var revoked sql.NullInt64
	if err := s.Scan(append([]any{&l.ID, &l.OwnerID, &l.TokenHash, &l.PublicSealed, &l.DetailsSealed, &kind,
		&l.CreatedByID, &req, &created, &expires, &l.MaxUses, &l.Uses, &revoked,
		&consent}, extra...)...); err != nil {
		return DropLink{}, err
	}
	l.CreatedByKind = RecipientKind(kind)
	l.RequestID, l.ConsentID = req.String, consent.String
	l.Created, l.Expires, l.Revoked = fromDB(created), fromDB(expires), fromOptTime(revoked)
	return l, nil
}

// macInput: a drop link's decisive fields are whose vault it fills, its
// token's hash, who made it and under which request and consent (a
// deposit answering a request is wrapped to the requesting worker), its
// expiry, uses and revocation. The sealed label decides nothing.
func (l DropLink) macInput(m macw) {
	m.str(l.ID)
	m.str(l.OwnerID)
	m.str(l.TokenHash)
	m.str(string(l.CreatedByKind))
	m.str(l.CreatedByID)
	m.str(l.RequestID)
	m.str(l.ConsentID)
	m.time(l.Created)
	m.time(l.Expires)
	m.int(int64(l.MaxUses))
	m.int(int64(l.Uses))
	m.time(l.Revoked)
}

var dropLinkSeal = &sealSpec{table: "drop_links", key: "id = ?",
	cols: `id, owner_id, token_hash, public_sealed, details_sealed, created_by_kind,
	created_by_id, request_id, created_at, expires_at, max_uses, uses, revoked_at, consent_id`,
	load: func(sc scanner) ([]any, macInput, error) {
		l, err := scanLink(sc)
		return []any{l.ID}, l.macInput, err
	}}

// link reads one link through its check, with its consent's liveness.
func (o *ops) link(ctx context.Context, where string, arg any) (DropLink, error) {
	var mac []byte
	l, err := scanLink(o.queryRow(ctx, linkSelect+` WHERE `+where, arg), &mac)
	if err != nil {
		return DropLink{}, o.wrap("drop link", err)
	}
	if err := o.check("drop_links", "drop link", l.macInput, mac); err != nil {
		return DropLink{}, err
	}
	return o.withConsent(ctx, l)
}

// withConsent fills ConsentExpires and ConsentRevoked from the consent the
// link was made under, read through its check: a consent that fails it (or
// is gone) leaves them zero, and the link unusable.
func (o *ops) withConsent(ctx context.Context, l DropLink) (DropLink, error) {
	if l.ConsentID == "" {
		return l, nil
	}
	c, err := o.consentOnly(ctx, l.ConsentID)
	if errors.Is(err, ErrNotFound) {
		return l, nil
	}
	if err != nil {
		return DropLink{}, err
	}
	l.ConsentExpires, l.ConsentRevoked = c.Expires, c.Revoked
	return l, nil
}

// UsableAt reports whether the link takes a deposit at now: not revoked,
// unexpired, uses left and, for a worker's link, the consent it was made
// under live.
func (l DropLink) UsableAt(now time.Time) bool {
	if !l.Revoked.IsZero() || !now.Before(l.Expires) || l.Uses >= l.MaxUses {
		return false
	}
	if l.CreatedByKind == RecipientOwner {
		return true
	}
	return l.ConsentID != "" && l.ConsentRevoked.IsZero() && now.Before(l.ConsentExpires)
}

// InsertDropLink stores a new link. ErrConflict on a duplicate id or token
// hash; ErrNotFound when the owner (or the request) is missing.
func (o *ops) InsertDropLink(ctx context.Context, l DropLink) error {
	if l.ID == "" || l.OwnerID == "" || l.TokenHash == "" || len(l.PublicSealed) == 0 || len(l.DetailsSealed) == 0 ||
		l.CreatedByID == "" || l.MaxUses <= 0 || l.Uses != 0 {
		return errors.New("meta: insert drop link: missing or bad field")
	}
	if l.CreatedByKind != RecipientOwner && l.CreatedByKind != RecipientWorker {
		return fmt.Errorf("meta: insert drop link: bad creator kind %q", l.CreatedByKind)
	}
	if (l.CreatedByKind == RecipientWorker) != (l.ConsentID != "") {
		return errors.New("meta: insert drop link: a worker's link, and only it, names its consent")
	}
	return o.atomic(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "insert drop link",
			`INSERT INTO drop_links (id, owner_id, token_hash, public_sealed, details_sealed, created_by_kind,
			created_by_id, request_id, created_at, expires_at, max_uses, uses, revoked_at, consent_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, ?)`,
			l.ID, l.OwnerID, l.TokenHash, l.PublicSealed, l.DetailsSealed, string(l.CreatedByKind),
			l.CreatedByID, sql.NullString{String: l.RequestID, Valid: l.RequestID != ""}, toDB(l.Created), toDB(l.Expires), l.MaxUses,
			sql.NullString{String: l.ConsentID, Valid: l.ConsentID != ""}); err != nil {
			return err
		}
		return tx.reseal(ctx, dropLinkSeal, l.ID)
	})
}

// DropLink returns a link by id, or ErrNotFound (ErrTampered for a row
// failing its integrity check).
func (o *ops) DropLink(ctx context.Context, id string) (DropLink, error) {
	return o.link(ctx, `l.id = ?`, id)
}

// DropLinkByTokenHash returns a link (whatever its state) by token hash, or
// ErrNotFound (ErrTampered for a row failing its integrity check).
func (o *ops) DropLinkByTokenHash(ctx context.Context, tokenHash string) (DropLink, error) {
	return o.link(ctx, `l.token_hash = ?`, tokenHash)
}

// DropLinksOfOwner returns an owner's links, newest first (rows failing
// their integrity check are left out).
func (o *ops) DropLinksOfOwner(ctx context.Context, ownerID string) ([]DropLink, error) {
	rows, err := o.query(ctx, linkSelect+` WHERE l.owner_id = ? ORDER BY l.created_at DESC, l.id`, ownerID)
	if err != nil {
		return nil, o.wrap("drop links", err)
	}
	var out []DropLink
	for rows.Next() {
		var mac []byte
		l, err := scanLink(rows, &mac)
		if err != nil {
			rows.Close()
			return nil, o.wrap("drop links", err)
		}
		if o.intact("drop_links", l.macInput, mac) {
			out = append(out, l)
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, o.wrap("drop links", err)
	}
	for i := range out {
		if out[i], err = o.withConsent(ctx, out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// updateLink runs change on a link's row (named by where), in one
// transaction: the row is locked and read through its check first
// (ErrTampered: nothing changes), and its mac is computed again after.
func (o *ops) updateLink(ctx context.Context, col, key string, change func(tx *Tx, l DropLink) error) error {
	return o.atomic(ctx, func(tx *Tx) error {
		if err := tx.lockRow(ctx, "drop_links", col, key); err != nil {
			return err
		}
		l, err := tx.link(ctx, `l.`+col+` = ?`, key)
		if err != nil {
			return err
		}
		if err := change(tx, l); err != nil {
			return err
		}
		return tx.reseal(ctx, dropLinkSeal, l.ID)
	})
}

// RedeemDropLink takes one use of the link with this token hash, atomically:
// it succeeds only while the link is usable at now (DropLink.UsableAt:
// unrevoked, unexpired, uses left, a worker's consent live, the link and
// the consent passing their integrity check), so of N concurrent
// redemptions of a single-use link exactly one wins (the row is locked
// for the read-check-write). It returns the link after the redemption;
// ErrNotFound otherwise.
func (o *ops) RedeemDropLink(ctx context.Context, tokenHash string, now time.Time) (DropLink, error) {
	var out DropLink
	err := o.updateLink(ctx, "token_hash", tokenHash, func(tx *Tx, l DropLink) error {
		if !l.UsableAt(now) {
			return fmt.Errorf("meta: redeem drop link: %w", ErrNotFound)
		}
		if err := tx.execOne(ctx, "redeem drop link",
			`UPDATE drop_links SET uses = uses + 1 WHERE id = ? AND uses = ?`, l.ID, l.Uses); err != nil {
			return err
		}
		l.Uses++
		out = l
		return nil
	})
	return out, err
}

// ReleaseDropLinkUse gives back one use (a deposit that failed after
// redemption). ErrNotFound when the link is gone or has no use to give back.
func (o *ops) ReleaseDropLinkUse(ctx context.Context, id string) error {
	return o.updateLink(ctx, "id", id, func(tx *Tx, l DropLink) error {
		if l.Uses <= 0 {
			return fmt.Errorf("meta: release drop link use: %w", ErrNotFound)
		}
		return tx.execOne(ctx, "release drop link use", `UPDATE drop_links SET uses = uses - 1 WHERE id = ?`, id)
	})
}

// RevokeDropLink marks a link revoked at now. ErrNotFound when there is no
// such link; revoking twice keeps the first time.
func (o *ops) RevokeDropLink(ctx context.Context, id string, now time.Time) error {
	return o.updateLink(ctx, "id", id, func(tx *Tx, l DropLink) error {
		if !l.Revoked.IsZero() {
			return nil
		}
		return tx.execOne(ctx, "revoke drop link", `UPDATE drop_links SET revoked_at = ? WHERE id = ?`, toDB(now), id)
	})
}
