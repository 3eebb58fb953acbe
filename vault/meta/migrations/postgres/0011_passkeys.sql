-- Coffre metadata, version 15: passkeys. An owner may enrol several
-- WebAuthn credentials (one per device). credential_id and public_key are
-- what the browser registered (public data); sign_count is the
-- authenticator's last counter (an assertion must raise it when the
-- authenticator counts). identity_by_prf is the owner's identity wrapped
-- by the PRF output of that credential through the secret KDF (scrypt,
-- pepper included); NULL when the authenticator has no PRF (the passkey
-- signs in, the secret opens the vault). The PRF output itself is never
-- stored. Deleting the row destroys the wrap. Times are BIGINT
-- microseconds since the Unix epoch (UTC), 0 = never. Keep the other
-- dialect's migration of the same version equivalent (BYTEA for BLOB).

CREATE TABLE owner_passkeys (
	id TEXT PRIMARY KEY,
	owner_id TEXT NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
	credential_id BYTEA NOT NULL UNIQUE,
	public_key BYTEA NOT NULL,
	sign_count BIGINT NOT NULL DEFAULT 0,
	name TEXT NOT NULL,
	identity_by_prf BYTEA,
	created_at BIGINT NOT NULL,
	last_used_at BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX owner_passkeys_owner ON owner_passkeys (owner_id);
