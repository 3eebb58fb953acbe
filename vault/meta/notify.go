package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Notification storage (migration 0005, package notify). The store never
// sees plaintext: settings, addresses and payloads arrive sealed.

// Outbox row states.
const (
	OutboxQueued  = "queued"
	OutboxSent    = "sent"
	OutboxFailed  = "failed"
	OutboxDropped = "dropped"
)

// NotifyContact is where one owner or worker is reached on one channel.
type NotifyContact struct {
	ID            string
	RecipientKind RecipientKind
	RecipientID   string
	Channel       string
	// AddressHash makes (recipient, channel, address) unique without the
	// address in clear; AddressSealed is the address sealed to the server.
	AddressHash   string
	AddressSealed []byte
	Created       time.Time
	// Disabled is zero while the address is in use.
	Disabled time.Time
}

// OutboxItem is one queued notification for one channel address.
type OutboxItem struct {
	ID string
	// IdemKey is unique: queuing the same key twice stores one row.
	IdemKey       string
	RecipientKind RecipientKind
	RecipientID   string
	Channel       string
	// ContactID is the NotifyContact ("" for the inbox).
	ContactID     string
	Kind          string
	PayloadSealed []byte
	Created, Due  time.Time
	Attempts      int
	ClaimedUntil  time.Time
	ClaimID       string
	State         string
	Done          time.Time
	LastError     string
}

// InboxEntry is one in-app notification, sealed to its recipient.
type InboxEntry struct {
	ID            string
	RecipientKind RecipientKind
	RecipientID   string
	Kind          string
	EntrySealed   []byte
	Created       time.Time
	// Read is zero while unread.
	Read time.Time
}

// ExpiringDocument is a committed document with a validity end.
type ExpiringDocument struct {
	ID, OwnerID, DocType string
	Expires              time.Time
}

// EndingConsent is a live consent with its end.
type EndingConsent struct {
	ID, OwnerID string
	GranteeKind RecipientKind
	GranteeID   string
	Expires     time.Time
}

// ReminderPlanKey is the plan key of an expiry reminder of docID for one
// validity end (ExpiringDocuments skips documents whose key is planned).
func ReminderPlanKey(docID string, expires time.Time) string {
	return fmt.Sprintf("reminder:%s:%d", docID, toDB(expires))
}

// ConsentEndPlanKey is the plan key of a "consent ending soon" alert.
func ConsentEndPlanKey(consentID string, expires time.Time) string {
	return fmt.Sprintf("consent-ending:%s:%d", consentID, toDB(expires))
}

// SetNotifySettings stores (replacing) a recipient's sealed settings.
func (o *ops) SetNotifySettings(ctx context.Context, kind RecipientKind, id string, sealed []byte, at time.Time) error {
	if id == "" || len(sealed) == 0 {
		return errors.New("meta: set notify settings: missing field")
	}
	_, err := o.exec(ctx, "set notify settings",
		`INSERT INTO notify_settings (recipient_kind, recipient_id, settings_sealed, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (recipient_kind, recipient_id) DO UPDATE SET settings_sealed = excluded.settings_sealed, updated_at = excluded.updated_at`,
		string(kind), id, sealed, toDB(at))
	return err
}

// NotifySettings returns a recipient's sealed settings; ErrNotFound when
// they never changed the defaults.
func (o *ops) NotifySettings(ctx context.Context, kind RecipientKind, id string) ([]byte, error) {
	var b []byte
	err := o.queryRow(ctx, `SELECT settings_sealed FROM notify_settings WHERE recipient_kind = ? AND recipient_id = ?`,
		string(kind), id).Scan(&b)
	if err != nil {
		return nil, o.wrap("notify settings", err)
	}
	return b, nil
}

// AddNotifyContact stores a contact; ErrConflict when the recipient already
// has that address on that channel.
func (o *ops) AddNotifyContact(ctx context.Context, c NotifyContact) error {
	if c.ID == "" || c.RecipientID == "" || c.Channel == "" || c.AddressHash == "" || len(c.AddressSealed) == 0 {
		return errors.New("meta: add notify contact: missing field")
	}
	_, err := o.exec(ctx, "add notify contact",
		`INSERT INTO notify_contacts (id, recipient_kind, recipient_id, channel, address_hash, address_sealed, created_at, disabled_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, NULL)`,
		c.ID, string(c.RecipientKind), c.RecipientID, c.Channel, c.AddressHash, c.AddressSealed, toDB(c.Created))
	return err
}

const contactColumns = `id, recipient_kind, recipient_id, channel, address_hash, address_sealed, created_at, disabled_at`

func scanContact(s scanner) (NotifyContact, error) {
	var c NotifyContact
	var kind string
	var created int64
	var disabled sql.NullInt64
	if err := s.Scan(&c.ID, &kind, &c.RecipientID, &c.Channel, &c.AddressHash, &c.AddressSealed, &created, &disabled); err != nil {
		return NotifyContact{}, err
	}
	c.RecipientKind = RecipientKind(kind)
	c.Created = fromDB(created)
	c.Disabled = fromOptTime(disabled)
	return c, nil
}

// NotifyContacts returns a recipient's contacts (disabled ones too),
// oldest first.
func (o *ops) NotifyContacts(ctx context.Context, kind RecipientKind, id string) ([]NotifyContact, error) {
	rows, err := o.query(ctx, `SELECT `+contactColumns+` FROM notify_contacts
		WHERE recipient_kind = ? AND recipient_id = ? ORDER BY created_at, id`, string(kind), id)
	if err != nil {
		return nil, o.wrap("notify contacts", err)
	}
	defer rows.Close()
	var out []NotifyContact
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, o.wrap("notify contacts", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap("notify contacts", err)
	}
	return out, nil
}

// NotifyContact returns one contact; ErrNotFound.
func (o *ops) NotifyContact(ctx context.Context, id string) (NotifyContact, error) {
	c, err := scanContact(o.queryRow(ctx, `SELECT `+contactColumns+` FROM notify_contacts WHERE id = ?`, id))
	if err != nil {
		return NotifyContact{}, o.wrap("notify contact", err)
	}
	return c, nil
}

// DeleteNotifyContact removes one of a recipient's contacts; ErrNotFound.
func (o *ops) DeleteNotifyContact(ctx context.Context, kind RecipientKind, recipientID, id string) error {
	return o.execOne(ctx, "delete notify contact",
		`DELETE FROM notify_contacts WHERE id = ? AND recipient_kind = ? AND recipient_id = ?`, id, string(kind), recipientID)
}

// DisableNotifyContact marks a contact gone for good (first time wins).
func (o *ops) DisableNotifyContact(ctx context.Context, id string, at time.Time) error {
	_, err := o.exec(ctx, "disable notify contact",
		`UPDATE notify_contacts SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL`, toDB(at), id)
	return err
}

// EnqueueNotifications queues items, each at most once per IdemKey (a
// duplicate key is skipped, not an error), in one transaction. When
// planKey is not empty it is taken first: if another caller already took
// it, nothing is queued. It returns how many rows were inserted.
func (o *ops) EnqueueNotifications(ctx context.Context, planKey string, at time.Time, items []OutboxItem) (int, error) {
	n := 0
	err := o.atomic(ctx, func(tx *Tx) error {
		n = 0
		if planKey != "" {
			res, err := tx.exec(ctx, "plan notification",
				`INSERT INTO notify_planned (plan_key, planned_at) VALUES (?, ?) ON CONFLICT (plan_key) DO NOTHING`,
				planKey, toDB(at))
			if err != nil {
				return err
			}
			if k, err := res.RowsAffected(); err != nil || k == 0 {
				return err
			}
		}
		for _, it := range items {
			if it.ID == "" || it.IdemKey == "" || it.RecipientID == "" || it.Channel == "" || len(it.PayloadSealed) == 0 {
				return errors.New("meta: enqueue notification: missing field")
			}
			res, err := tx.exec(ctx, "enqueue notification",
				`INSERT INTO notify_outbox (id, idem_key, recipient_kind, recipient_id, channel, contact_id, kind, payload_sealed,
					created_at, due_at, attempts, claimed_until, claim_id, state, done_at, last_error)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, '', ?, NULL, '') ON CONFLICT (idem_key) DO NOTHING`,
				it.ID, it.IdemKey, string(it.RecipientKind), it.RecipientID, it.Channel, it.ContactID, it.Kind, it.PayloadSealed,
				toDB(it.Created), toDB(it.Due), OutboxQueued)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("meta: enqueue notification: %w", err)
			}
			n += int(k)
		}
		return nil
	})
	return n, err
}

const outboxColumns = `id, idem_key, recipient_kind, recipient_id, channel, contact_id, kind, payload_sealed,
	created_at, due_at, attempts, claimed_until, claim_id, state, done_at, last_error`

func scanOutbox(s scanner) (OutboxItem, error) {
	var it OutboxItem
	var kind string
	var created, due, claimed int64
	var done sql.NullInt64
	if err := s.Scan(&it.ID, &it.IdemKey, &kind, &it.RecipientID, &it.Channel, &it.ContactID, &it.Kind, &it.PayloadSealed,
		&created, &due, &it.Attempts, &claimed, &it.ClaimID, &it.State, &done, &it.LastError); err != nil {
		return OutboxItem{}, err
	}
	it.RecipientKind = RecipientKind(kind)
	it.Created, it.Due, it.ClaimedUntil = fromDB(created), fromDB(due), fromDB(claimed)
	it.Done = fromOptTime(done)
	return it, nil
}

func (o *ops) outboxRows(ctx context.Context, what, q string, args ...any) ([]OutboxItem, error) {
	rows, err := o.query(ctx, q, args...)
	if err != nil {
		return nil, o.wrap(what, err)
	}
	defer rows.Close()
	var out []OutboxItem
	for rows.Next() {
		it, err := scanOutbox(rows)
		if err != nil {
			return nil, o.wrap(what, err)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap(what, err)
	}
	return out, nil
}

// DueOutbox returns up to limit queued rows due at now and not claimed,
// earliest first. They still have to be claimed (ClaimOutbox).
func (o *ops) DueOutbox(ctx context.Context, now time.Time, limit int) ([]OutboxItem, error) {
	return o.outboxRows(ctx, "due outbox",
		`SELECT `+outboxColumns+` FROM notify_outbox WHERE state = ? AND due_at <= ? AND claimed_until < ?
		ORDER BY due_at, id LIMIT ?`, OutboxQueued, toDB(now), toDB(now), limit)
}

// NextOutboxDue returns the earliest due time of a queued row (zero: none).
func (o *ops) NextOutboxDue(ctx context.Context) (time.Time, error) {
	var v sql.NullInt64
	if err := o.queryRow(ctx, `SELECT MIN(due_at) FROM notify_outbox WHERE state = ?`, OutboxQueued).Scan(&v); err != nil {
		return time.Time{}, o.wrap("next outbox due", err)
	}
	return fromOptTime(v), nil
}

// OutboxOf returns a recipient's outbox rows in every state, oldest first.
func (o *ops) OutboxOf(ctx context.Context, kind RecipientKind, id string) ([]OutboxItem, error) {
	return o.outboxRows(ctx, "outbox of recipient",
		`SELECT `+outboxColumns+` FROM notify_outbox WHERE recipient_kind = ? AND recipient_id = ? ORDER BY created_at, id`,
		string(kind), id)
}

// ClaimOutbox takes a due, unclaimed queued row for one sender until
// until: exactly one of several concurrent claimers gets true.
func (o *ops) ClaimOutbox(ctx context.Context, id, claimID string, now, until time.Time) (bool, error) {
	res, err := o.exec(ctx, "claim outbox",
		`UPDATE notify_outbox SET claimed_until = ?, claim_id = ?
		WHERE id = ? AND state = ? AND due_at <= ? AND claimed_until < ?`,
		toDB(until), claimID, id, OutboxQueued, toDB(now), toDB(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("meta: claim outbox: %w", err)
	}
	return n == 1, nil
}

// FinishOutbox ends a claimed row in state (sent, failed, dropped).
// ErrNotFound when the claim was lost (another sender holds the row).
func (o *ops) FinishOutbox(ctx context.Context, id, claimID, state string, at time.Time, lastError string) error {
	return o.execOne(ctx, "finish outbox",
		`UPDATE notify_outbox SET state = ?, done_at = ?, claimed_until = 0, last_error = ?
		WHERE id = ? AND claim_id = ? AND state = ?`,
		state, toDB(at), lastError, id, claimID, OutboxQueued)
}

// RetryOutbox releases a claimed row, due again at due; attempt counts
// the failed try. ErrNotFound when the claim was lost.
func (o *ops) RetryOutbox(ctx context.Context, id, claimID string, due time.Time, attempt bool, lastError string) error {
	inc := 0
	if attempt {
		inc = 1
	}
	return o.execOne(ctx, "retry outbox",
		`UPDATE notify_outbox SET due_at = ?, attempts = attempts + ?, claimed_until = 0, claim_id = '', last_error = ?
		WHERE id = ? AND claim_id = ? AND state = ?`,
		toDB(due), inc, lastError, id, claimID, OutboxQueued)
}

// DropQueuedOutbox drops a recipient's queued rows whose idempotency key
// starts with keyPrefix and that no sender holds at at (never sent, so
// never seen): a message taken back before it went out. It returns how
// many it dropped.
func (o *ops) DropQueuedOutbox(ctx context.Context, kind RecipientKind, recipientID, keyPrefix string, at time.Time) (int, error) {
	if keyPrefix == "" {
		return 0, errors.New("meta: drop queued outbox: empty key prefix")
	}
	res, err := o.exec(ctx, "drop queued outbox",
		`UPDATE notify_outbox SET state = ?, done_at = ?, last_error = 'taken back'
		WHERE recipient_kind = ? AND recipient_id = ? AND substr(idem_key, 1, ?) = ? AND state = ? AND claimed_until < ?`,
		OutboxDropped, toDB(at), string(kind), recipientID, len(keyPrefix), keyPrefix, OutboxQueued, toDB(at))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("meta: drop queued outbox: %w", err)
	}
	return int(n), nil
}

// PutInboxEntry stores an inbox entry once per id; it reports whether
// this call stored it.
func (o *ops) PutInboxEntry(ctx context.Context, e InboxEntry) (bool, error) {
	if e.ID == "" || e.RecipientID == "" || len(e.EntrySealed) == 0 {
		return false, errors.New("meta: put inbox entry: missing field")
	}
	res, err := o.exec(ctx, "put inbox entry",
		`INSERT INTO notify_inbox (id, recipient_kind, recipient_id, kind, entry_sealed, created_at, read_at)
		VALUES (?, ?, ?, ?, ?, ?, NULL) ON CONFLICT (id) DO NOTHING`,
		e.ID, string(e.RecipientKind), e.RecipientID, e.Kind, e.EntrySealed, toDB(e.Created))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("meta: put inbox entry: %w", err)
	}
	return n == 1, nil
}

// InboxEntries returns a recipient's newest entries first, at most limit.
func (o *ops) InboxEntries(ctx context.Context, kind RecipientKind, id string, limit int) ([]InboxEntry, error) {
	rows, err := o.query(ctx, `SELECT id, recipient_kind, recipient_id, kind, entry_sealed, created_at, read_at
		FROM notify_inbox WHERE recipient_kind = ? AND recipient_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`,
		string(kind), id, limit)
	if err != nil {
		return nil, o.wrap("inbox entries", err)
	}
	defer rows.Close()
	var out []InboxEntry
	for rows.Next() {
		var e InboxEntry
		var k string
		var created int64
		var read sql.NullInt64
		if err := rows.Scan(&e.ID, &k, &e.RecipientID, &e.Kind, &e.EntrySealed, &created, &read); err != nil {
			return nil, o.wrap("inbox entries", err)
		}
		e.RecipientKind = RecipientKind(k)
		e.Created, e.Read = fromDB(created), fromOptTime(read)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap("inbox entries", err)
	}
	return out, nil
}

// MarkInboxRead marks one of a recipient's entries read (first time
// wins); ErrNotFound for an entry of someone else or none.
func (o *ops) MarkInboxRead(ctx context.Context, kind RecipientKind, recipientID, id string, at time.Time) error {
	return o.execOne(ctx, "mark inbox read",
		`UPDATE notify_inbox SET read_at = COALESCE(read_at, ?) WHERE id = ? AND recipient_kind = ? AND recipient_id = ?`,
		toDB(at), id, string(kind), recipientID)
}

// ExpiringDocuments returns up to limit committed documents whose validity
// ends in (from, to] and whose reminder for that end (ReminderPlanKey) is
// not planned yet, soonest first.
func (o *ops) ExpiringDocuments(ctx context.Context, from, to time.Time, limit int) ([]ExpiringDocument, error) {
	rows, err := o.query(ctx, `SELECT d.id, d.owner_id, d.doc_type, d.expires_at FROM documents d
		WHERE d.state = ? AND d.expires_at > ? AND d.expires_at <= ?
		AND NOT EXISTS (SELECT 1 FROM notify_planned p
			WHERE p.plan_key = 'reminder:' || d.id || ':' || CAST(d.expires_at AS TEXT))
		ORDER BY d.expires_at, d.id LIMIT ?`, string(StateCommitted), toDB(from), toDB(to), limit)
	if err != nil {
		return nil, o.wrap("expiring documents", err)
	}
	defer rows.Close()
	var out []ExpiringDocument
	for rows.Next() {
		var d ExpiringDocument
		var exp int64
		if err := rows.Scan(&d.ID, &d.OwnerID, &d.DocType, &exp); err != nil {
			return nil, o.wrap("expiring documents", err)
		}
		d.Expires = fromDB(exp)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap("expiring documents", err)
	}
	return out, nil
}

// EndingConsents returns up to limit unrevoked consents ending in
// (from, to] whose "ending soon" alert (ConsentEndPlanKey) is not planned.
func (o *ops) EndingConsents(ctx context.Context, from, to time.Time, limit int) ([]EndingConsent, error) {
	rows, err := o.query(ctx, `SELECT c.id, c.owner_id, c.grantee_kind, c.grantee_id, c.expires_at FROM consents c
		WHERE c.revoked_at IS NULL AND c.expires_at > ? AND c.expires_at <= ?
		AND NOT EXISTS (SELECT 1 FROM notify_planned p
			WHERE p.plan_key = 'consent-ending:' || c.id || ':' || CAST(c.expires_at AS TEXT))
		ORDER BY c.expires_at, c.id LIMIT ?`, toDB(from), toDB(to), limit)
	if err != nil {
		return nil, o.wrap("ending consents", err)
	}
	defer rows.Close()
	var out []EndingConsent
	for rows.Next() {
		var c EndingConsent
		var kind string
		var exp int64
		if err := rows.Scan(&c.ID, &c.OwnerID, &kind, &c.GranteeID, &exp); err != nil {
			return nil, o.wrap("ending consents", err)
		}
		c.GranteeKind, c.Expires = RecipientKind(kind), fromDB(exp)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap("ending consents", err)
	}
	return out, nil
}

// DocumentWorkers returns the workers holding a wrap of a document.
func (o *ops) DocumentWorkers(ctx context.Context, docID string) ([]string, error) {
	rows, err := o.query(ctx, `SELECT recipient_id FROM document_wraps WHERE document_id = ? AND recipient_kind = ?
		ORDER BY recipient_id`, docID, string(RecipientWorker))
	if err != nil {
		return nil, o.wrap("document workers", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, o.wrap("document workers", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap("document workers", err)
	}
	return out, nil
}

// ForgetNotifyRecipient deletes everything notifications keep about one
// owner or worker (account deletion).
func (o *ops) ForgetNotifyRecipient(ctx context.Context, kind RecipientKind, id string) error {
	return o.atomic(ctx, func(tx *Tx) error {
		for _, t := range []string{"notify_settings", "notify_contacts", "notify_outbox", "notify_inbox"} {
			if _, err := tx.exec(ctx, "forget notify recipient",
				`DELETE FROM `+t+` WHERE recipient_kind = ? AND recipient_id = ?`, string(kind), id); err != nil {
				return err
			}
		}
		return nil
	})
}

// SweepNotify deletes outbox rows finished before `before`, plan keys
// older than planBefore, and every notification row of an owner or worker
// that no longer exists (deleted accounts). It returns how many rows went.
func (o *ops) SweepNotify(ctx context.Context, before, planBefore time.Time) (int64, error) {
	var total int64
	err := o.atomic(ctx, func(tx *Tx) error {
		total = 0
		stmts := []struct {
			q    string
			args []any
		}{
			{`DELETE FROM notify_outbox WHERE state <> ? AND done_at < ?`, []any{OutboxQueued, toDB(before)}},
			{`DELETE FROM notify_planned WHERE planned_at < ?`, []any{toDB(planBefore)}},
		}
		for _, t := range []string{"notify_settings", "notify_contacts", "notify_outbox", "notify_inbox"} {
			stmts = append(stmts,
				struct {
					q    string
					args []any
				}{`DELETE FROM ` + t + ` WHERE recipient_kind = ? AND NOT EXISTS (SELECT 1 FROM owners x WHERE x.id = ` + t + `.recipient_id)`,
					[]any{string(RecipientOwner)}},
				struct {
					q    string
					args []any
				}{`DELETE FROM ` + t + ` WHERE recipient_kind = ? AND NOT EXISTS (SELECT 1 FROM workers x WHERE x.id = ` + t + `.recipient_id)`,
					[]any{string(RecipientWorker)}})
		}
		for _, s := range stmts {
			res, err := tx.exec(ctx, "sweep notify", s.q, s.args...)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("meta: sweep notify: %w", err)
			}
			total += n
		}
		return nil
	})
	return total, err
}
