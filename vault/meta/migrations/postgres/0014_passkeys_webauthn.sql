-- Coffre metadata, version 14: passkeys for owners and workers, and the
-- WebAuthn challenges kept between a ceremony's options and its answer.
-- Times are BIGINT microseconds since the Unix epoch (UTC), 0 = never.
-- Keep the other dialect's migration of the same version equivalent
-- (BYTEA for BLOB).

-- owner_passkeys (version 11) never received a row: no release had a way
-- to enrol a passkey. It becomes passkeys, one table for owners and
-- workers, so that a credential id is unique across both.
DROP TABLE owner_passkeys;

-- One WebAuthn credential of an owner or of a worker (exactly one of
-- owner_id, worker_id is set). credential_id and public_key are what the
-- browser registered (public data); sign_count is the authenticator's last
-- counter (an assertion must raise it when the authenticator counts);
-- flags keeps the registration's backup-eligible (1) and backup-state (2)
-- bits, which every assertion must match; transports is the comma list
-- the browser reported. name_sealed is the device name sealed to the
-- principal's key (only they read it). identity_by_prf is the principal's
-- identity wrapped by the PRF output of that credential through the secret
-- KDF (scrypt, pepper included); NULL when the authenticator has no PRF
-- (the passkey signs in, the secret opens the vault), or when a key
-- rotation made the wrap useless: reenrol_since then says when, and the
-- next sign-in with it asks the new secret once and wraps the new key.
-- The PRF output itself is never stored. Deleting the row destroys the
-- wrap. mac: the row's integrity (version 12, vault/meta/passkeys.go).
CREATE TABLE passkeys (
	id TEXT PRIMARY KEY,
	owner_id TEXT REFERENCES owners (id) ON DELETE CASCADE,
	worker_id TEXT REFERENCES workers (id) ON DELETE CASCADE,
	credential_id BYTEA NOT NULL UNIQUE,
	public_key BYTEA NOT NULL,
	sign_count BIGINT NOT NULL DEFAULT 0,
	flags BIGINT NOT NULL DEFAULT 0,
	transports TEXT NOT NULL DEFAULT '',
	name_sealed BYTEA NOT NULL,
	identity_by_prf BYTEA,
	reenrol_since BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	last_used_at BIGINT NOT NULL DEFAULT 0,
	mac BYTEA,
	CHECK ((owner_id IS NULL) <> (worker_id IS NULL))
);

CREATE INDEX passkeys_owner ON passkeys (owner_id);
CREATE INDEX passkeys_worker ON passkeys (worker_id);

-- A WebAuthn challenge between the options a browser got and its answer,
-- on every instance: looked up by the SHA-256 of the challenge, for one
-- binding (the session, or before signing in the browser's ceremony
-- cookie) and one purpose; taken (deleted) by the first answer, whatever
-- its outcome; expired rows are swept. data is the ceremony's state (the
-- challenge, the allowed credentials, the user handle): public values,
-- useless once taken.
CREATE TABLE webauthn_challenges (
	challenge_hash TEXT PRIMARY KEY,
	binding TEXT NOT NULL,
	purpose TEXT NOT NULL,
	data BYTEA NOT NULL,
	expires_at BIGINT NOT NULL
);

CREATE INDEX webauthn_challenges_binding ON webauthn_challenges (binding, purpose);
CREATE INDEX webauthn_challenges_expires ON webauthn_challenges (expires_at);
