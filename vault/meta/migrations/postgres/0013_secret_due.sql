-- Coffre metadata, version 13: a secret someone else saw is changed first.
-- When a worker created the vault (or reset its secret in an assisted
-- recovery), the worker was there when the secret was typed: each session
-- the owner starts until she changes it is marked secret_due (1), and such
-- a session may do nothing but change the secret or sign out. The mark is
-- among the session's decisive fields (its mac, migration 12), so that
-- clearing it without the pepper ends the session instead. Keep the other
-- dialect's migration of the same version equivalent.

ALTER TABLE sessions ADD COLUMN secret_due INTEGER NOT NULL DEFAULT 0;
