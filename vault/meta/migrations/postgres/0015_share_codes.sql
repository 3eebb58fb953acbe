-- PostgreSQL mirror of migrations/sqlite/0015_share_codes.sql (kept
-- equivalent: same table, columns, keys and indexes).
--
-- Coffre metadata, version 15: share codes. A worker shows a short code
-- (and its QR code); an owner who types or scans it shares papers with
-- that worker, or the worker's organisation, without waiting for a
-- request. The code itself is nowhere: code_hash is an HMAC of it keyed by
-- the pepper, so the table alone finds no code (8 characters, 40 bits: a
-- plain hash would be reversed by trying them all). bind is another
-- pepper-keyed HMAC over the code and the row's worker, keys, organisation
-- and expiry: a row edited without the pepper (another worker, a later
-- expiry) no longer opens with its code. worker_key and org_key are the
-- public keys the worker's session held when the code was made: a share
-- goes to them, never to a key swapped in the workers table since. used_by
-- is an HMAC of the owner who used the code (a second tap of hers finds
-- her share made). Times are BIGINT microseconds since the Unix epoch
-- (UTC). Keep the other dialect's migration of the same version
-- equivalent.

CREATE TABLE share_codes (
	code_hash TEXT PRIMARY KEY,
	worker_id TEXT NOT NULL REFERENCES workers (id),
	worker_key TEXT NOT NULL,
	org_id TEXT NOT NULL DEFAULT '',
	org_key TEXT NOT NULL DEFAULT '',
	bind TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at BIGINT,
	used_by TEXT
);

CREATE INDEX share_codes_worker_idx ON share_codes (worker_id, used_at);
CREATE INDEX share_codes_expires_idx ON share_codes (expires_at);
