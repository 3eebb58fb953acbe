-- Coffre metadata, version 8: a stolen session cannot take the vault.
-- A session remembers when its owner last proved they hold the secret or
-- the recovery code (confirmed_at, 0 = never): sensitive actions need a
-- recent proof. An owner's key rotation in progress is kept in
-- owner_key_rotations so that a crash midway can be finished by a rerun:
-- carried_identity_wrap holds the identity the owner does not hold yet or
-- any more (the new one wrapped to the old while phase is 'adding', the
-- old one wrapped to the new while 'removing'), so that whichever key the
-- owner opens with, every document stays readable and a rerun finishes. Times are BIGINT microseconds since the Unix
-- epoch (UTC). Keep the PostgreSQL migration of the same version
-- equivalent (BYTEA for BLOB).

ALTER TABLE sessions ADD COLUMN confirmed_at BIGINT NOT NULL DEFAULT 0;

-- The identities an owner rotated away from, sealed to the current one:
-- kept only to read the journal entries and inbox messages sealed before
-- a rotation (append-only records that are never rewritten). No document
-- key, secret, recovery or consent wrap is left for them.
ALTER TABLE owners ADD COLUMN retired_identities BLOB;

CREATE TABLE owner_key_rotations (
	owner_id TEXT PRIMARY KEY REFERENCES owners (id) ON DELETE CASCADE,
	old_public_key TEXT NOT NULL,
	new_public_key TEXT NOT NULL,
	carried_identity_wrap BLOB NOT NULL,
	phase TEXT NOT NULL CHECK (phase IN ('adding', 'removing')),
	started_at BIGINT NOT NULL
);
