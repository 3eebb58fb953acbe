-- Coffre metadata, version 9: disabling workers, organisation key rotation
-- and requests waiting for a person who has no vault yet.
-- Times are BIGINT microseconds since the Unix epoch (UTC). Keep the
-- PostgreSQL migration of the same version equivalent (BYTEA for BLOB).

-- A disabled worker logs in nowhere and every session of theirs is refused
-- at its next request (checked in the database at every request).
ALTER TABLE workers ADD COLUMN disabled_at BIGINT;
-- During a rotation of the organisation's key: the new organisation
-- identity wrapped to the member (swapped in when the rotation finishes).
ALTER TABLE workers ADD COLUMN next_org_identity_wrap BLOB;

-- A rotation in progress: the new grantee key and its identity wrapped to
-- the organisation recovery key. NULL when no rotation is under way.
ALTER TABLE organisations ADD COLUMN next_public_key TEXT;
ALTER TABLE organisations ADD COLUMN next_identity_by_recovery BLOB;

-- The owners a rotation affects, each told once in their journal
-- (owner_id without a foreign key: deleting an account is never blocked by
-- a rotation; a deleted owner is skipped).
CREATE TABLE org_rotation_owners (
	org_id TEXT NOT NULL REFERENCES organisations (id),
	owner_id TEXT NOT NULL,
	journaled_at BIGINT,
	PRIMARY KEY (org_id, owner_id)
);

-- A request made by identifier for which no vault exists (yet): the worker
-- sees it like any request waiting for an answer; it becomes a real
-- request if a vault is created with that identifier before expires_at.
-- identifier_hash is the same HMAC as owners.identifier_hash;
-- details_sealed (purpose and message) is sealed to the worker and to the
-- pepper-derived server key (to be re-sealed to the owner on delivery).
CREATE TABLE waiting_requests (
	id TEXT PRIMARY KEY,
	worker_id TEXT NOT NULL REFERENCES workers (id),
	identifier_hash TEXT NOT NULL,
	details_sealed BLOB NOT NULL,
	types TEXT NOT NULL,
	days INTEGER NOT NULL CHECK (days > 0),
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);

CREATE INDEX waiting_requests_identifier_idx ON waiting_requests (identifier_hash, expires_at);
CREATE INDEX waiting_requests_worker_idx ON waiting_requests (worker_id, created_at);
