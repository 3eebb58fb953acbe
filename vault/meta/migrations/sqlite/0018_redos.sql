-- Coffre metadata, version 18: "redo this one, because…" (issue 17). A
-- worker marks a paper received for one of their requests as to be redone,
-- with a reason code (unreadable, page_missing, wrong_period, expired,
-- wrong_person, other) and, sealed to the owner and the worker like a
-- request's message, a few words (note_sealed, NULL for none). The owner
-- may forward it to her helper: link_id is then the one-item drop link she
-- made for it (status 'forwarded'); the redo closes when a replacement
-- arrives through that link and passes the readability check
-- (replacement_id, status 'closed'). document_id, link_id and
-- replacement_id name rows that may be deleted later (a paper, a link):
-- no foreign key. mac is the row's integrity mac (migration 12): a row
-- forged or edited without the pepper is treated as absent. Times are
-- BIGINT microseconds since the Unix epoch (UTC). Keep the PostgreSQL
-- migration of the same version equivalent.

CREATE TABLE redos (
	id TEXT PRIMARY KEY,
	owner_id TEXT NOT NULL REFERENCES owners (id),
	request_id TEXT NOT NULL REFERENCES requests (id),
	worker_id TEXT NOT NULL REFERENCES workers (id),
	document_id TEXT NOT NULL,
	doc_type TEXT NOT NULL,
	reason TEXT NOT NULL CHECK (reason IN ('unreadable', 'page_missing', 'wrong_period', 'expired', 'wrong_person', 'other')),
	note_sealed BLOB,
	status TEXT NOT NULL CHECK (status IN ('open', 'forwarded', 'closed')),
	link_id TEXT,
	replacement_id TEXT,
	created_at BIGINT NOT NULL,
	forwarded_at BIGINT,
	closed_at BIGINT,
	mac BLOB
);

CREATE INDEX redos_owner_idx ON redos (owner_id, created_at);
CREATE INDEX redos_worker_idx ON redos (worker_id, created_at);
CREATE INDEX redos_request_idx ON redos (request_id);
CREATE INDEX redos_link_idx ON redos (link_id);
