-- Coffre metadata, version 16: papers the owner has not opened yet. A paper
-- that arrives through a drop link (or that someone else adds for the
-- owner) is "new" until the owner opens it. unread is 1 for such a paper,
-- 0 otherwise; papers from before this version are not new. It holds no
-- content and no title: whoever writes the database can only make a paper
-- look new or not (SECURITY.md). hints_sealed is, for a paper the helper
-- could not name, the document types the link asked for, sealed to the
-- document key like the title (NULL when none): the owner's page offers
-- them first to file the paper. Keep the PostgreSQL migration of the same
-- version equivalent.

ALTER TABLE documents ADD COLUMN unread INTEGER NOT NULL DEFAULT 0 CHECK (unread IN (0, 1));

ALTER TABLE documents ADD COLUMN hints_sealed BLOB;

CREATE INDEX documents_unread ON documents (owner_id) WHERE unread = 1;
