-- Coffre metadata, version 17: what undoing a stop gives back. When the
-- owner stops sharing, the grantee's wraps are deleted at once; for the
-- minute she may take the stop back, consent_undo_wraps lists the papers
-- the grantee held a wrap of at that moment (their ids only: no key).
-- Undoing wraps those papers again, and only those: a paper filed under
-- one of the consent's types after it was added, which the grantee never
-- held, is not handed over by a stop and its undo. Each row carries a mac
-- (version 12) over the consent and the paper, so that a database writer
-- without the pepper cannot add a paper to an undo. The rows go with the
-- undo, the next stop of the consent, or the consent.
-- Keep the other dialect's migration of the same version equivalent.

CREATE TABLE consent_undo_wraps (
	consent_id TEXT NOT NULL REFERENCES consents (id) ON DELETE CASCADE,
	document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
	mac BYTEA,
	PRIMARY KEY (consent_id, document_id)
);
