-- PostgreSQL mirror of migrations/sqlite/0003_sharing.sql (kept equivalent: same
-- tables, columns, keys, checks and indexes; BYTEA for BLOB).
--
-- Coffre metadata, version 3: document types, consents, drop links,
-- requests and the owners' hash-chained journals.
-- Nothing personal is in clear: purposes, labels, messages, names and
-- journal details are sealed (age) to the people who may read them; drop
-- link tokens are stored only as SHA-256 hashes.
-- Times are BIGINT microseconds since the Unix epoch (UTC).

-- The catalogue type of a document (carte-identite, avis-impot, ...), '' if none.
ALTER TABLE documents ADD COLUMN doc_type TEXT NOT NULL DEFAULT '';

-- A consent: an owner lets a worker or an organisation read chosen
-- documents and whole categories until expires_at, unless revoked first.
-- grantee_public_key lets a relay (which knows no secret) wrap documents
-- added later in a covered category. details_sealed holds the purpose and
-- the name the owner chose to show, sealed to the owner and the grantee.
CREATE TABLE consents (
	id TEXT PRIMARY KEY,
	owner_id TEXT NOT NULL REFERENCES owners (id),
	grantee_kind TEXT NOT NULL CHECK (grantee_kind IN ('worker', 'organisation')),
	grantee_id TEXT NOT NULL,
	grantee_public_key TEXT NOT NULL,
	details_sealed BYTEA NOT NULL,
	days INTEGER NOT NULL CHECK (days > 0),
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	revoked_at BIGINT,
	-- When the sweeper handled the consent's expiry (journaled once).
	swept_at BIGINT
);

CREATE INDEX consents_owner_idx ON consents (owner_id, created_at);
CREATE INDEX consents_grantee_idx ON consents (grantee_kind, grantee_id, expires_at);
CREATE INDEX consents_sweep_idx ON consents (expires_at, swept_at);

CREATE TABLE consent_documents (
	consent_id TEXT NOT NULL REFERENCES consents (id) ON DELETE CASCADE,
	document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
	PRIMARY KEY (consent_id, document_id)
);

CREATE INDEX consent_documents_document_idx ON consent_documents (document_id);

CREATE TABLE consent_categories (
	consent_id TEXT NOT NULL REFERENCES consents (id) ON DELETE CASCADE,
	category TEXT NOT NULL,
	PRIMARY KEY (consent_id, category)
);

-- A worker's request to an owner for a checklist of document types.
-- details_sealed holds the purpose and message, sealed to owner and worker.
CREATE TABLE requests (
	id TEXT PRIMARY KEY,
	owner_id TEXT NOT NULL REFERENCES owners (id),
	worker_id TEXT NOT NULL REFERENCES workers (id),
	details_sealed BYTEA NOT NULL,
	-- Catalogue type ids, comma-separated.
	types TEXT NOT NULL,
	days INTEGER NOT NULL CHECK (days > 0),
	status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined')),
	consent_id TEXT REFERENCES consents (id),
	created_at BIGINT NOT NULL,
	decided_at BIGINT
);

CREATE INDEX requests_owner_idx ON requests (owner_id, created_at);
CREATE INDEX requests_worker_idx ON requests (worker_id, created_at);

-- A drop link: only the SHA-256 of its token is stored. public_sealed (label
-- and requested types) is sealed to an identity derived from the token, so
-- only the token holder opens it; details_sealed is the same sealed to the
-- owner and the creating worker.
CREATE TABLE drop_links (
	id TEXT PRIMARY KEY,
	owner_id TEXT NOT NULL REFERENCES owners (id),
	token_hash TEXT NOT NULL UNIQUE,
	public_sealed BYTEA NOT NULL,
	details_sealed BYTEA NOT NULL,
	created_by_kind TEXT NOT NULL CHECK (created_by_kind IN ('owner', 'worker')),
	created_by_id TEXT NOT NULL,
	request_id TEXT REFERENCES requests (id),
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	max_uses INTEGER NOT NULL CHECK (max_uses > 0),
	uses INTEGER NOT NULL CHECK (uses >= 0 AND uses <= max_uses),
	revoked_at BIGINT
);

CREATE INDEX drop_links_owner_idx ON drop_links (owner_id, created_at);

-- The journal: per owner, seq 1, 2, 3, ... without gaps; hash chains each
-- entry to the previous one (see vault.journalHash). payload_sealed (names,
-- titles, details) is sealed to the owner.
CREATE TABLE journal (
	owner_id TEXT NOT NULL REFERENCES owners (id),
	seq BIGINT NOT NULL CHECK (seq > 0),
	at BIGINT NOT NULL,
	kind TEXT NOT NULL,
	actor_kind TEXT NOT NULL,
	actor_id TEXT NOT NULL,
	document_id TEXT NOT NULL,
	payload_sealed BYTEA NOT NULL,
	prev_hash BYTEA NOT NULL,
	hash BYTEA NOT NULL,
	PRIMARY KEY (owner_id, seq)
);

-- The last entry of each journal, written with it: a removed tail shows.
CREATE TABLE journal_heads (
	owner_id TEXT PRIMARY KEY REFERENCES owners (id),
	seq BIGINT NOT NULL,
	hash BYTEA NOT NULL
);
