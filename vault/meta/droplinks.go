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

// linkSelect reads links with the liveness of the consent they were made
// under.
const linkSelect = `SELECT l.id, l.owner_id, l.token_hash, l.public_sealed, l.details_sealed, l.created_by_kind,
	l.created_by_id, l.request_id, l.created_at, l.expires_at, l.max_uses, l.uses, l.revoked_at,
	l.consent_id, lc.expires_at, lc.revoked_at
	FROM drop_links l LEFT JOIN consents lc ON lc.id = l.consent_id`

func scanLink(s scanner) (DropLink, error) {
	var l DropLink
	var kind string
	var req, consent sql.NullString
	var created, expires int64
	var revoked, cExpires, cRevoked sql.NullInt64
	if err := s.Scan(&l.ID, &l.OwnerID, &l.TokenHash, &l.PublicSealed, &l.DetailsSealed, &kind,
		&l.CreatedByID, &req, &created, &expires, &l.MaxUses, &l.Uses, &revoked,
		&consent, &cExpires, &cRevoked); err != nil {
		return DropLink{}, err
	}
	l.CreatedByKind = RecipientKind(kind)
	l.RequestID, l.ConsentID = req.String, consent.String
	l.Created, l.Expires, l.Revoked = fromDB(created), fromDB(expires), fromOptTime(revoked)
	l.ConsentExpires, l.ConsentRevoked = fromOptTime(cExpires), fromOptTime(cRevoked)
	return l, nil
}

// UsableAt reports whether the link takes a deposit at now: not revoked,
// unexpired, uses left and, for a worker's link, the consent it was made
// under live. Keep in step with linkUsable.
func (l DropLink) UsableAt(now time.Time) bool {
	if !l.Revoked.IsZero() || !now.Before(l.Expires) || l.Uses >= l.MaxUses {
		return false
	}
	if l.CreatedByKind == RecipientOwner {
		return true
	}
	return l.ConsentID != "" && l.ConsentRevoked.IsZero() && now.Before(l.ConsentExpires)
}

// linkUsable is UsableAt as SQL on drop_links (two ? for now).
const linkUsable = `drop_links.uses < drop_links.max_uses AND drop_links.expires_at > ? AND drop_links.revoked_at IS NULL
	AND (drop_links.created_by_kind = 'owner' OR EXISTS (SELECT 1 FROM consents uc WHERE uc.id = drop_links.consent_id
		AND uc.revoked_at IS NULL AND uc.expires_at > ?))`

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
	_, err := o.exec(ctx, "insert drop link",
		`INSERT INTO drop_links (id, owner_id, token_hash, public_sealed, details_sealed, created_by_kind,
			created_by_id, request_id, created_at, expires_at, max_uses, uses, revoked_at, consent_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, ?)`,
		l.ID, l.OwnerID, l.TokenHash, l.PublicSealed, l.DetailsSealed, string(l.CreatedByKind),
		l.CreatedByID, sql.NullString{String: l.RequestID, Valid: l.RequestID != ""}, toDB(l.Created), toDB(l.Expires), l.MaxUses,
		sql.NullString{String: l.ConsentID, Valid: l.ConsentID != ""})
	return err
}

// DropLink returns a link by id, or ErrNotFound.
func (o *ops) DropLink(ctx context.Context, id string) (DropLink, error) {
	l, err := scanLink(o.queryRow(ctx, linkSelect+` WHERE l.id = ?`, id))
	if err != nil {
		return DropLink{}, o.wrap("drop link", err)
	}
	return l, nil
}

// DropLinkByTokenHash returns a link (whatever its state) by token hash, or
// ErrNotFound.
func (o *ops) DropLinkByTokenHash(ctx context.Context, tokenHash string) (DropLink, error) {
	l, err := scanLink(o.queryRow(ctx, linkSelect+` WHERE l.token_hash = ?`, tokenHash))
	if err != nil {
		return DropLink{}, o.wrap("drop link", err)
	}
	return l, nil
}

// DropLinksOfOwner returns an owner's links, newest first.
func (o *ops) DropLinksOfOwner(ctx context.Context, ownerID string) ([]DropLink, error) {
	rows, err := o.query(ctx, linkSelect+` WHERE l.owner_id = ? ORDER BY l.created_at DESC, l.id`, ownerID)
	if err != nil {
		return nil, o.wrap("drop links", err)
	}
	defer rows.Close()
	var out []DropLink
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, o.wrap("drop links", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap("drop links", err)
	}
	return out, nil
}

// RedeemDropLink takes one use of the link with this token hash, atomically:
// it succeeds only while the link is usable at now (DropLink.UsableAt:
// unrevoked, unexpired, uses left, a worker's consent live), so of N concurrent redemptions of a single-use link exactly one
// wins. It returns the link after the redemption; ErrNotFound otherwise.
func (o *ops) RedeemDropLink(ctx context.Context, tokenHash string, now time.Time) (DropLink, error) {
	var l DropLink
	err := o.atomic(ctx, func(tx *Tx) error {
		if err := tx.execOne(ctx, "redeem drop link",
			`UPDATE drop_links SET uses = uses + 1 WHERE token_hash = ? AND `+linkUsable,
			tokenHash, toDB(now), toDB(now)); err != nil {
			return err
		}
		var err error
		l, err = scanLink(tx.queryRow(ctx, linkSelect+` WHERE l.token_hash = ?`, tokenHash))
		if err != nil {
			return tx.wrap("redeem drop link", err)
		}
		return nil
	})
	return l, err
}

// ReleaseDropLinkUse gives back one use (a deposit that failed after
// redemption). ErrNotFound when the link is gone or has no use to give back.
func (o *ops) ReleaseDropLinkUse(ctx context.Context, id string) error {
	return o.execOne(ctx, "release drop link use",
		`UPDATE drop_links SET uses = uses - 1 WHERE id = ? AND uses > 0`, id)
}

// RevokeDropLink marks a link revoked at now. ErrNotFound when there is no
// such link; revoking twice keeps the first time.
func (o *ops) RevokeDropLink(ctx context.Context, id string, now time.Time) error {
	if _, err := o.DropLink(ctx, id); err != nil {
		return err
	}
	_, err := o.exec(ctx, "revoke drop link",
		`UPDATE drop_links SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, toDB(now), id)
	return err
}
