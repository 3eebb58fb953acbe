-- Coffre metadata, version 12: rows that decide access carry a MAC.
-- Someone who can write the database but does not hold the pepper could
-- otherwise extend a session, confirm it, re-enable a disabled worker,
-- push a consent's expiry later or widen its scope, raise a drop link's
-- uses, and so on, undetected. Each such row now carries mac: an
-- HMAC-SHA256, under a key derived from the pepper (never stored), of the
-- table's name, the row's key and its decisive fields (vault/meta/
-- integrity.go lists them per table). A row whose mac does not verify is
-- treated as absent; it is counted, never rewritten.
--
-- The macs of rows written before this version are computed in Go when
-- the store is first opened with the key (it needs the pepper), in
-- batches that a rerun resumes. row_macs records that sealing (started_at,
-- then sealed_at once every older row has its mac), itself under a mac:
-- from then on a row without a mac fails its check like a forged one, and
-- a record removed or altered while sealed rows exist is reported, not
-- taken as a reason to seal again.
-- Keep the PostgreSQL migration of the same version equivalent (BLOB here).

ALTER TABLE sessions ADD COLUMN mac BLOB;
ALTER TABLE owners ADD COLUMN mac BLOB;
ALTER TABLE workers ADD COLUMN mac BLOB;
ALTER TABLE organisations ADD COLUMN mac BLOB;
ALTER TABLE documents ADD COLUMN mac BLOB;
ALTER TABLE consents ADD COLUMN mac BLOB;
ALTER TABLE consent_documents ADD COLUMN mac BLOB;
ALTER TABLE consent_types ADD COLUMN mac BLOB;
ALTER TABLE consent_categories ADD COLUMN mac BLOB;
ALTER TABLE drop_links ADD COLUMN mac BLOB;
ALTER TABLE requests ADD COLUMN mac BLOB;
ALTER TABLE waiting_requests ADD COLUMN mac BLOB;
ALTER TABLE owner_passkeys ADD COLUMN mac BLOB;
ALTER TABLE storage_targets ADD COLUMN mac BLOB;
ALTER TABLE owner_key_rotations ADD COLUMN mac BLOB;

-- The sealing of the rows older than this version (one row, id 1).
CREATE TABLE row_macs (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	started_at BIGINT NOT NULL,
	sealed_at BIGINT,
	mac BLOB NOT NULL
);
