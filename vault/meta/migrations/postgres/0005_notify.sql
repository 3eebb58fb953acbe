-- PostgreSQL mirror of migrations/sqlite/0005_notify.sql (kept equivalent: same
-- tables, columns, keys, checks and indexes; BYTEA for BLOB).
--
-- Coffre metadata, version 5: notifications (package notify).
-- Nothing personal is in clear: settings, contact addresses (e-mail, Web
-- Push subscriptions, phone numbers) and queued notifications are sealed
-- (age) to a server identity derived from the pepper; inbox entries are
-- sealed to their recipient. Addresses are made unique by an HMAC, never
-- stored in clear. Times are BIGINT microseconds since the Unix epoch
-- (UTC).

-- One row per owner or worker who changed the defaults: channels per kind,
-- quiet hours, titles allowed, language (sealed JSON).
CREATE TABLE notify_settings (
	recipient_kind TEXT NOT NULL CHECK (recipient_kind IN ('owner', 'worker')),
	recipient_id TEXT NOT NULL,
	settings_sealed BYTEA NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (recipient_kind, recipient_id)
);

-- Where to reach someone on a channel (email, push, sms, ...).
CREATE TABLE notify_contacts (
	id TEXT PRIMARY KEY,
	recipient_kind TEXT NOT NULL CHECK (recipient_kind IN ('owner', 'worker')),
	recipient_id TEXT NOT NULL,
	channel TEXT NOT NULL,
	address_hash TEXT NOT NULL,
	address_sealed BYTEA NOT NULL,
	created_at BIGINT NOT NULL,
	-- Set when the channel said the address is gone for good (a Web Push
	-- subscription answered 404/410): nothing more is sent there.
	disabled_at BIGINT,
	UNIQUE (recipient_kind, recipient_id, channel, address_hash)
);

CREATE INDEX notify_contacts_recipient_idx ON notify_contacts (recipient_kind, recipient_id);

-- The outbox: one row per notification and channel address. idem_key
-- (e.g. reminder:<document>:email.<contact>:<due date>) is unique, so
-- that instances planning the same notification insert it once. A sender
-- claims a due row by moving claimed_until forward under the condition
-- claimed_until < now (UPDATE ... WHERE), so only one instance sends it.
CREATE TABLE notify_outbox (
	id TEXT PRIMARY KEY,
	idem_key TEXT NOT NULL UNIQUE,
	recipient_kind TEXT NOT NULL CHECK (recipient_kind IN ('owner', 'worker')),
	recipient_id TEXT NOT NULL,
	channel TEXT NOT NULL,
	contact_id TEXT NOT NULL,
	kind TEXT NOT NULL,
	payload_sealed BYTEA NOT NULL,
	created_at BIGINT NOT NULL,
	due_at BIGINT NOT NULL,
	attempts INTEGER NOT NULL CHECK (attempts >= 0),
	claimed_until BIGINT NOT NULL,
	claim_id TEXT NOT NULL,
	state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed', 'dropped')),
	done_at BIGINT,
	-- A classification only ("temporary", "permanent", "disabled"): a
	-- channel's error text could quote an address.
	last_error TEXT NOT NULL
);

CREATE INDEX notify_outbox_due_idx ON notify_outbox (state, due_at);
CREATE INDEX notify_outbox_recipient_idx ON notify_outbox (recipient_kind, recipient_id);

-- The in-app inbox: entries sealed to the recipient's public key. id is the
-- outbox row delivered, so a retried delivery stores one entry.
CREATE TABLE notify_inbox (
	id TEXT PRIMARY KEY,
	recipient_kind TEXT NOT NULL CHECK (recipient_kind IN ('owner', 'worker')),
	recipient_id TEXT NOT NULL,
	kind TEXT NOT NULL,
	entry_sealed BYTEA NOT NULL,
	created_at BIGINT NOT NULL,
	read_at BIGINT
);

CREATE INDEX notify_inbox_recipient_idx ON notify_inbox (recipient_kind, recipient_id, created_at);

-- Expiry reminders look for committed documents by validity end.
CREATE INDEX notify_documents_expiry_idx ON documents (state, expires_at);

-- Notifications planned from the database (expiry reminders, consents
-- ending soon): one row per subject and due date, taken by exactly one
-- instance (INSERT ... ON CONFLICT DO NOTHING), which then queues it.
CREATE TABLE notify_planned (
	plan_key TEXT PRIMARY KEY,
	planned_at BIGINT NOT NULL
);
