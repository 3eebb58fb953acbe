-- Coffre metadata, version 7: a consent covers what the owner saw and
-- ticked. Keep the SQLite and PostgreSQL migrations of this version
-- equivalent.
--
-- A consent's scope is now its chosen documents plus, as a separate and
-- explicit choice, document *types* ("also share the papers of type X that
-- I add before <expiry>"): a type covers the owner's papers of that type
-- created after the consent, while it is live. New consents never name a
-- category; the categories of consents granted before this version stay
-- (they keep covering what they covered, and are shown as such), except that
-- neither a type nor a category ever covers a paper of type 'other' or
-- without a type (the read check says so), and a category 'other' covered
-- only such papers: it is removed.
CREATE TABLE consent_types (
	consent_id TEXT NOT NULL REFERENCES consents (id) ON DELETE CASCADE,
	doc_type TEXT NOT NULL CHECK (doc_type <> '' AND doc_type <> 'other'),
	PRIMARY KEY (consent_id, doc_type)
);

CREATE INDEX consent_types_type_idx ON consent_types (doc_type);

DELETE FROM consent_categories WHERE category = 'other';

-- The consent a worker's drop link was made under: the link works only
-- while that consent is live. NULL for the owner's own links.
ALTER TABLE drop_links ADD COLUMN consent_id TEXT REFERENCES consents (id) ON DELETE CASCADE;

-- Links made by workers before this version: the consent they were made
-- under is the one from the link's owner to that worker (or to the
-- worker's organisation) live when the link was made, the longest-lasting
-- if several. A link for which none is found no longer works.
UPDATE drop_links SET consent_id = (
	SELECT c.id FROM consents c
	WHERE c.owner_id = drop_links.owner_id
		AND c.created_at <= drop_links.created_at
		AND c.expires_at > drop_links.created_at
		AND (c.revoked_at IS NULL OR c.revoked_at > drop_links.created_at)
		AND (c.grantee_kind = 'worker' AND c.grantee_id = drop_links.created_by_id
			OR c.grantee_kind = 'organisation' AND c.grantee_id IN
				(SELECT w.org_id FROM workers w WHERE w.id = drop_links.created_by_id AND w.org_id IS NOT NULL))
	ORDER BY c.expires_at DESC, c.id LIMIT 1)
WHERE created_by_kind = 'worker';
