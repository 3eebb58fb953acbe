package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrPendingFull: an upload (or the drop link it goes through) already holds
// as many pending pages as allowed.
var ErrPendingFull = errors.New("meta: too many pending pages")

// PendingUpload is a multi-page upload through a drop link, not yet sent.
// Its ID is derived from a key only the helper's browser holds; its pages
// live in the blob store, encrypted to an identity derived from that key.
type PendingUpload struct {
	ID      string
	LinkID  string
	Created time.Time
	Expires time.Time
	// Claimed is when a send began (zero when none runs); Sent when the
	// document was deposited (zero until then).
	Claimed, Sent time.Time
	// ReceiptSealed is the deposit's receipt, sealed to the upload identity.
	ReceiptSealed []byte
}

// PendingPage is one stored page of a pending upload.
type PendingPage struct {
	UploadID string
	Page     int
	BlobKey  string
	// Size is the stored (encrypted) size in bytes.
	Size    int64
	Created time.Time
}

const pendingUploadColumns = `id, link_id, created_at, expires_at, claimed_at, sent_at, receipt_sealed`

func scanPendingUpload(s scanner) (PendingUpload, error) {
	var u PendingUpload
	var created, expires int64
	var claimed, sent sql.NullInt64
	if err := s.Scan(&u.ID, &u.LinkID, &created, &expires, &claimed, &sent, &u.ReceiptSealed); err != nil {
		return PendingUpload{}, err
	}
	u.Created, u.Expires = fromDB(created), fromDB(expires)
	u.Claimed, u.Sent = fromOptTime(claimed), fromOptTime(sent)
	return u, nil
}

// EnsurePendingUpload creates the upload row unless it exists (a retried
// first page). ErrNotFound when the link is missing.
func (o *ops) EnsurePendingUpload(ctx context.Context, u PendingUpload) error {
	if u.ID == "" || u.LinkID == "" || u.Expires.IsZero() {
		return errors.New("meta: ensure pending upload: missing field")
	}
	_, err := o.exec(ctx, "ensure pending upload",
		`INSERT INTO pending_uploads (id, link_id, created_at, expires_at, claimed_at, sent_at, receipt_sealed)
		VALUES (?, ?, ?, ?, NULL, NULL, NULL) ON CONFLICT (id) DO NOTHING`,
		u.ID, u.LinkID, toDB(u.Created), toDB(u.Expires))
	return err
}

// PendingUpload returns an upload by id, or ErrNotFound.
func (o *ops) PendingUpload(ctx context.Context, id string) (PendingUpload, error) {
	u, err := scanPendingUpload(o.queryRow(ctx, `SELECT `+pendingUploadColumns+` FROM pending_uploads WHERE id = ?`, id))
	if err != nil {
		return PendingUpload{}, o.wrap("pending upload", err)
	}
	return u, nil
}

// AddPendingPage records a stored page. It returns false, without error,
// when the page is already recorded (a retry: stored once). ErrNotFound when
// the upload is missing or expired at now; ErrConflict when it is being
// sent or was sent; ErrPendingFull when the upload holds maxPerUpload pages
// or its link maxPerLink pending pages across uploads.
func (o *ops) AddPendingPage(ctx context.Context, p PendingPage, now time.Time, maxPerUpload, maxPerLink int) (bool, error) {
	if p.UploadID == "" || p.Page <= 0 || p.BlobKey == "" || p.Size < 0 {
		return false, errors.New("meta: add pending page: missing or bad field")
	}
	added := false
	err := o.atomic(ctx, func(tx *Tx) error {
		if err := tx.lockRow(ctx, "pending_uploads", "id", p.UploadID); err != nil {
			return err
		}
		u, err := scanPendingUpload(tx.queryRow(ctx, `SELECT `+pendingUploadColumns+` FROM pending_uploads WHERE id = ?`, p.UploadID))
		if err != nil {
			return tx.wrap("add pending page", err)
		}
		if err := tx.lockRow(ctx, "drop_links", "id", u.LinkID); err != nil { // the per-link count below holds across uploads
			return err
		}
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM pending_pages WHERE upload_id = ? AND page = ?`, p.UploadID, p.Page).Scan(&n); err != nil {
			return tx.wrap("add pending page", err)
		}
		switch {
		case n > 0:
			return nil // already stored
		case !u.Sent.IsZero() || !u.Claimed.IsZero():
			return fmt.Errorf("meta: add pending page: upload being sent or sent: %w", ErrConflict)
		case !u.Expires.After(now):
			return fmt.Errorf("meta: add pending page: upload expired: %w", ErrNotFound)
		}
		var inUpload, inLink int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM pending_pages WHERE upload_id = ?`, p.UploadID).Scan(&inUpload); err != nil {
			return tx.wrap("add pending page", err)
		}
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM pending_pages pp JOIN pending_uploads pu ON pu.id = pp.upload_id
			WHERE pu.link_id = ?`, u.LinkID).Scan(&inLink); err != nil {
			return tx.wrap("add pending page", err)
		}
		if inUpload >= maxPerUpload || inLink >= maxPerLink {
			return fmt.Errorf("meta: add pending page: %w", ErrPendingFull)
		}
		res, err := tx.exec(ctx, "add pending page",
			`INSERT INTO pending_pages (upload_id, page, blob_key, size, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (upload_id, page) DO NOTHING`,
			p.UploadID, p.Page, p.BlobKey, p.Size, toDB(p.Created))
		if err != nil {
			return err
		}
		k, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("meta: add pending page: %w", err)
		}
		added = k == 1
		return nil
	})
	return added, err
}

// DeletePendingPage removes the record of page page of an upload and
// returns it (the caller deletes its blob); false, without error, when the
// upload has no such page. ErrNotFound when the upload is missing;
// ErrConflict when it is being sent or was sent (its pages are no longer
// the helper's to take back).
func (o *ops) DeletePendingPage(ctx context.Context, uploadID string, page int) (PendingPage, bool, error) {
	var (
		out     PendingPage
		deleted bool
	)
	err := o.atomic(ctx, func(tx *Tx) error {
		if err := tx.lockRow(ctx, "pending_uploads", "id", uploadID); err != nil {
			return err
		}
		u, err := scanPendingUpload(tx.queryRow(ctx, `SELECT `+pendingUploadColumns+` FROM pending_uploads WHERE id = ?`, uploadID))
		if err != nil {
			return tx.wrap("delete pending page", err)
		}
		if !u.Sent.IsZero() || !u.Claimed.IsZero() {
			return fmt.Errorf("meta: delete pending page: upload being sent or sent: %w", ErrConflict)
		}
		var created int64
		err = tx.queryRow(ctx, `SELECT upload_id, page, blob_key, size, created_at FROM pending_pages
			WHERE upload_id = ? AND page = ?`, uploadID, page).Scan(&out.UploadID, &out.Page, &out.BlobKey, &out.Size, &created)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return tx.wrap("delete pending page", err)
		}
		out.Created = fromDB(created)
		if _, err := tx.exec(ctx, "delete pending page", `DELETE FROM pending_pages WHERE upload_id = ? AND page = ?`, uploadID, page); err != nil {
			return err
		}
		deleted = true
		return nil
	})
	if err != nil || !deleted {
		return PendingPage{}, false, err
	}
	return out, true, nil
}

// PendingPages returns an upload's recorded pages in page order.
func (o *ops) PendingPages(ctx context.Context, uploadID string) ([]PendingPage, error) {
	rows, err := o.query(ctx, `SELECT upload_id, page, blob_key, size, created_at FROM pending_pages
		WHERE upload_id = ? ORDER BY page`, uploadID)
	if err != nil {
		return nil, o.wrap("pending pages", err)
	}
	defer rows.Close()
	var out []PendingPage
	for rows.Next() {
		var p PendingPage
		var created int64
		if err := rows.Scan(&p.UploadID, &p.Page, &p.BlobKey, &p.Size, &created); err != nil {
			return nil, o.wrap("pending pages", err)
		}
		p.Created = fromDB(created)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap("pending pages", err)
	}
	return out, nil
}

// PendingPageByBlobKey returns the page stored under key, or ErrNotFound
// (the sweeper's check before removing a pending blob).
func (o *ops) PendingPageByBlobKey(ctx context.Context, key string) (PendingPage, error) {
	var p PendingPage
	var created int64
	err := o.queryRow(ctx, `SELECT upload_id, page, blob_key, size, created_at FROM pending_pages WHERE blob_key = ?`, key).
		Scan(&p.UploadID, &p.Page, &p.BlobKey, &p.Size, &created)
	if err != nil {
		return PendingPage{}, o.wrap("pending page", err)
	}
	p.Created = fromDB(created)
	return p, nil
}

// ClaimPendingUpload marks a send as begun, so that a concurrent or retried
// send cannot deposit the pages twice. It succeeds only for an unsent,
// unexpired upload with no claim newer than staleBefore; ErrNotFound
// otherwise (read the upload to tell why).
func (o *ops) ClaimPendingUpload(ctx context.Context, id string, now, staleBefore time.Time) error {
	return o.execOne(ctx, "claim pending upload",
		`UPDATE pending_uploads SET claimed_at = ?
		WHERE id = ? AND sent_at IS NULL AND expires_at > ? AND (claimed_at IS NULL OR claimed_at < ?)`,
		toDB(now), id, toDB(now), toDB(staleBefore))
}

// ReleasePendingUpload drops the claim of a send that failed. ErrNotFound
// when there is no unsent upload with that id.
func (o *ops) ReleasePendingUpload(ctx context.Context, id string) error {
	return o.execOne(ctx, "release pending upload",
		`UPDATE pending_uploads SET claimed_at = NULL WHERE id = ? AND sent_at IS NULL`, id)
}

// FinishPendingUpload records a deposit: the upload is marked sent with its
// sealed receipt and its page rows are removed, in one transaction.
// ErrNotFound when there is no unsent upload with that id.
func (o *ops) FinishPendingUpload(ctx context.Context, id string, receiptSealed []byte, now time.Time) error {
	return o.atomic(ctx, func(tx *Tx) error {
		if err := tx.execOne(ctx, "finish pending upload",
			`UPDATE pending_uploads SET sent_at = ?, receipt_sealed = ?, claimed_at = NULL WHERE id = ? AND sent_at IS NULL`,
			toDB(now), receiptSealed, id); err != nil {
			return err
		}
		_, err := tx.exec(ctx, "finish pending upload", `DELETE FROM pending_pages WHERE upload_id = ?`, id)
		return err
	})
}

// ExpiredPendingUploads returns up to limit uploads whose expiry is at or
// before now, oldest first.
func (o *ops) ExpiredPendingUploads(ctx context.Context, now time.Time, limit int) ([]PendingUpload, error) {
	rows, err := o.query(ctx, `SELECT `+pendingUploadColumns+` FROM pending_uploads
		WHERE expires_at <= ? ORDER BY expires_at, id LIMIT ?`, toDB(now), limit)
	if err != nil {
		return nil, o.wrap("expired pending uploads", err)
	}
	defer rows.Close()
	var out []PendingUpload
	for rows.Next() {
		u, err := scanPendingUpload(rows)
		if err != nil {
			return nil, o.wrap("expired pending uploads", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap("expired pending uploads", err)
	}
	return out, nil
}

// DeletePendingUpload removes an upload and its page rows. Deleting a
// missing upload is not an error.
func (o *ops) DeletePendingUpload(ctx context.Context, id string) error {
	return o.atomic(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "delete pending upload", `DELETE FROM pending_pages WHERE upload_id = ?`, id); err != nil {
			return err
		}
		_, err := tx.exec(ctx, "delete pending upload", `DELETE FROM pending_uploads WHERE id = ?`, id)
		return err
	})
}
