-- Coffre metadata, version 1: owners, workers, documents, document-key wraps.
-- PostgreSQL mirror of migrations/sqlite/0001_init.sql: same tables,
-- columns, keys, checks and indexes; BYTEA for BLOB. Times are BIGINT
-- microseconds since the Unix epoch (UTC).

CREATE TABLE owners (
	id TEXT PRIMARY KEY,
	public_key TEXT NOT NULL UNIQUE,
	identity_by_secret BYTEA NOT NULL,
	identity_by_recovery BYTEA NOT NULL,
	created_at BIGINT NOT NULL
);

CREATE TABLE workers (
	id TEXT PRIMARY KEY,
	public_key TEXT NOT NULL UNIQUE,
	identity_by_secret BYTEA NOT NULL,
	created_at BIGINT NOT NULL
);

CREATE TABLE documents (
	id TEXT PRIMARY KEY,
	owner_id TEXT NOT NULL REFERENCES owners (id),
	category TEXT NOT NULL,
	title_sealed BYTEA NOT NULL,
	media_type TEXT NOT NULL,
	pages INTEGER NOT NULL CHECK (pages >= 0),
	size BIGINT NOT NULL CHECK (size >= 0),
	profile TEXT NOT NULL,
	blob_key TEXT NOT NULL UNIQUE,
	state TEXT NOT NULL CHECK (state IN ('pending', 'committed', 'deleting')),
	state_since BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT
);

CREATE INDEX documents_owner_idx ON documents (owner_id, state, created_at);
CREATE INDEX documents_state_idx ON documents (state, state_since);

CREATE TABLE document_wraps (
	document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
	recipient_kind TEXT NOT NULL CHECK (recipient_kind IN ('owner', 'worker', 'organisation')),
	recipient_id TEXT NOT NULL,
	wrapped_key BYTEA NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (document_id, recipient_kind, recipient_id)
);

CREATE INDEX document_wraps_recipient_idx ON document_wraps (recipient_kind, recipient_id);
