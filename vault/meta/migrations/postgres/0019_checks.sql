-- Coffre metadata, version 19: the pages a helper sent although the
-- readability check asked for them to be taken again. checks_sealed is,
-- for such a paper, each page's number and the check's finding codes
-- (blurry, dark, small_text, ...), sealed to the document key like the
-- title (NULL when every page passed): the owner's page tells her which
-- page may be hard to read before she gives it to a portal. It holds no
-- content; whoever writes the database without the keys can only remove
-- it, not forge or move it (SECURITY.md). Keep the SQLite migration of
-- the same version equivalent.

ALTER TABLE documents ADD COLUMN checks_sealed BYTEA;
