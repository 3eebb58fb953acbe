-- The journal becomes a verifiable log per owner (vault/journal_log.go):
-- a Merkle tree over the entries (golang.org/x/mod/sumdb/tlog) whose root
-- is signed as a checkpoint (C2SP signed note) by a key derived from the
-- pepper. Keep the PostgreSQL migration of the same version equivalent.

-- The tree's stored hashes, per owner, at tlog.StoredHashIndex positions.
-- They are a cache of what the entries determine: the verifier recomputes
-- them from the entries.
CREATE TABLE journal_hashes (
	owner_id TEXT NOT NULL REFERENCES owners (id),
	idx BIGINT NOT NULL CHECK (idx >= 0),
	hash BLOB NOT NULL,
	PRIMARY KEY (owner_id, idx)
);

-- journal_heads.seq is the tree size and journal_heads.hash its root;
-- tree_size is the number of entries the stored hashes cover (0 until a
-- journal of the hash-chain era is converted) and checkpoint the signed
-- note of the latest tree.
ALTER TABLE journal_heads ADD COLUMN tree_size BIGINT NOT NULL DEFAULT 0;
ALTER TABLE journal_heads ADD COLUMN checkpoint TEXT NOT NULL DEFAULT '';
