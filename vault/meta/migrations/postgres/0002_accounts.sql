-- PostgreSQL mirror of migrations/sqlite/0002_accounts.sql (kept equivalent: same
-- tables, columns, keys, checks and indexes; BYTEA for BLOB).
--
-- Coffre metadata, version 2: owner accounts (identifier, profile, assisted
-- recovery), organisations, worker accounts (e-mail, TOTP, organisation
-- membership), server-side sessions and login throttling.
-- Nothing personal is in clear: identifiers and e-mails are HMAC-SHA256
-- under a pepper-derived key, names are sealed (owners' to the owner's key,
-- workers' and organisations' to a pepper-derived server key).
-- Times are BIGINT microseconds since the Unix epoch (UTC).

CREATE TABLE organisations (
	id TEXT PRIMARY KEY,
	name_sealed BYTEA NOT NULL,
	-- The organisation's grantee identity: public key, and the identity
	-- wrapped to the organisation recovery key (held offline by the
	-- organisation). Members hold it wrapped to their own key.
	public_key TEXT NOT NULL UNIQUE,
	identity_by_recovery BYTEA NOT NULL,
	recovery_public_key TEXT NOT NULL UNIQUE,
	created_at BIGINT NOT NULL
);

ALTER TABLE owners ADD COLUMN identifier_hash TEXT;
ALTER TABLE owners ADD COLUMN identifier_sealed BYTEA;
ALTER TABLE owners ADD COLUMN name_sealed BYTEA;
ALTER TABLE owners ADD COLUMN lang TEXT NOT NULL DEFAULT 'fr';
ALTER TABLE owners ADD COLUMN assisted_org_id TEXT REFERENCES organisations (id);
ALTER TABLE owners ADD COLUMN identity_by_org BYTEA;
CREATE UNIQUE INDEX owners_identifier_idx ON owners (identifier_hash);

ALTER TABLE workers ADD COLUMN org_id TEXT REFERENCES organisations (id);
ALTER TABLE workers ADD COLUMN email_hash TEXT;
ALTER TABLE workers ADD COLUMN email_sealed BYTEA;
ALTER TABLE workers ADD COLUMN name_sealed BYTEA;
ALTER TABLE workers ADD COLUMN org_identity_wrap BYTEA;
ALTER TABLE workers ADD COLUMN totp_sealed BYTEA;
ALTER TABLE workers ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX workers_email_idx ON workers (email_hash);
CREATE INDEX workers_org_idx ON workers (org_id);

-- A session row holds only the SHA-256 of the cookie token and the
-- principal's identity wrapped to a key derived from the token and the
-- pepper: the table alone opens nothing.
CREATE TABLE sessions (
	token_hash TEXT PRIMARY KEY,
	principal_kind TEXT NOT NULL CHECK (principal_kind IN ('owner', 'worker')),
	principal_id TEXT NOT NULL,
	identity_wrap BYTEA NOT NULL,
	org_identity_wrap BYTEA,
	created_at BIGINT NOT NULL,
	last_seen BIGINT NOT NULL,
	idle_expires BIGINT NOT NULL,
	absolute_expires BIGINT NOT NULL
);

CREATE INDEX sessions_principal_idx ON sessions (principal_kind, principal_id);
CREATE INDEX sessions_expiry_idx ON sessions (idle_expires);

-- Failed-login counters, keyed by an HMAC of the account or client address.
CREATE TABLE login_throttle (
	throttle_key TEXT PRIMARY KEY,
	failures INTEGER NOT NULL CHECK (failures >= 0),
	blocked_until BIGINT NOT NULL,
	last_attempt BIGINT NOT NULL
);

CREATE INDEX login_throttle_last_idx ON login_throttle (last_attempt);
