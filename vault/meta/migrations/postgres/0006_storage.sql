-- PostgreSQL mirror of migrations/sqlite/0006_storage.sql (kept equivalent: same
-- tables, columns, keys, checks and indexes; BYTEA for BLOB).
--
-- Coffre metadata, version 6: bring your own bucket. An organisation, or an
-- owner where the operator allows it, points its documents at its own S3
-- bucket (a storage target). The target's whole configuration (endpoint,
-- bucket, region, TLS, prefix, credentials) is sealed (age) to a server
-- identity derived from the pepper: the database alone opens nothing. At
-- most one active target per scope; a replaced or cleared target is retired
-- and kept until no document lives in it any more. Times are BIGINT
-- microseconds since the Unix epoch (UTC).

CREATE TABLE storage_targets (
	id TEXT PRIMARY KEY,
	scope TEXT NOT NULL CHECK (scope IN ('organisation', 'owner')),
	scope_id TEXT NOT NULL,
	config_sealed BYTEA NOT NULL,
	created_at BIGINT NOT NULL,
	retired_at BIGINT
);

CREATE UNIQUE INDEX storage_targets_active_idx ON storage_targets (scope, scope_id) WHERE retired_at IS NULL;

-- Where a document's payload lives: NULL is the server's default store.
ALTER TABLE documents ADD COLUMN store_id TEXT REFERENCES storage_targets (id);
-- A move in progress: 'copying' (move_store is the destination, claimed by
-- a mover since move_since) or 'cleaning' (store_id already switched;
-- move_store is the old store whose copy is still to delete). move_store ''
-- is the default store.
ALTER TABLE documents ADD COLUMN move_state TEXT CHECK (move_state IN ('copying', 'cleaning'));
ALTER TABLE documents ADD COLUMN move_store TEXT;
ALTER TABLE documents ADD COLUMN move_since BIGINT;

CREATE INDEX documents_store_idx ON documents (store_id);
