-- Coffre metadata, version 4: pending multi-page uploads through drop links.
-- A helper's browser uploads the pages of one document one by one; until it
-- sends them, each page is stored in the blob store (pending/<upload>/<page>)
-- age-encrypted to an identity derived from a key only the browser keeps.
-- The id is derived from that key too (HKDF), so the database alone neither
-- opens the pages nor links them to the key. Nothing personal is in clear.
-- Times are BIGINT microseconds since the Unix epoch (UTC). Keep the
-- PostgreSQL migration of the same version equivalent (BYTEA for BLOB).

CREATE TABLE pending_uploads (
	id TEXT PRIMARY KEY,
	link_id TEXT NOT NULL REFERENCES drop_links (id) ON DELETE CASCADE,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	-- Set while one request converts and deposits the pages (a claim that
	-- a retried send cannot take twice); cleared if that fails.
	claimed_at BIGINT,
	-- Set once the document is deposited; receipt_sealed (sealed to the
	-- upload's identity) answers a retried send with the same receipt.
	sent_at BIGINT,
	receipt_sealed BLOB
);

CREATE INDEX pending_uploads_link_idx ON pending_uploads (link_id);
CREATE INDEX pending_uploads_expiry_idx ON pending_uploads (expires_at);

-- One row per stored page: a retried page (same upload, same number) is
-- stored once.
CREATE TABLE pending_pages (
	upload_id TEXT NOT NULL REFERENCES pending_uploads (id) ON DELETE CASCADE,
	page INTEGER NOT NULL CHECK (page > 0),
	blob_key TEXT NOT NULL UNIQUE,
	size BIGINT NOT NULL CHECK (size >= 0),
	created_at BIGINT NOT NULL,
	PRIMARY KEY (upload_id, page)
);
