package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// JournalEntry is one stored entry of an owner's journal. The store keeps
// entries as given: the chaining (PrevHash, Hash) is computed by the caller.
type JournalEntry struct {
	OwnerID string
	// Seq numbers an owner's entries from 1, without gaps.
	Seq        int64
	At         time.Time
	Kind       string
	ActorKind  string
	ActorID    string
	DocumentID string
	// PayloadSealed holds names, titles and details, sealed to the owner.
	PayloadSealed []byte
	PrevHash      []byte
	Hash          []byte
}

// JournalHead is the last entry of a journal as recorded beside it.
type JournalHead struct {
	Seq  int64
	Hash []byte
}

const journalColumns = `j.owner_id, j.seq, j.at, j.kind, j.actor_kind, j.actor_id, j.document_id,
	j.payload_sealed, j.prev_hash, j.hash`

func scanJournal(s scanner) (JournalEntry, error) {
	var e JournalEntry
	var at int64
	if err := s.Scan(&e.OwnerID, &e.Seq, &at, &e.Kind, &e.ActorKind, &e.ActorID, &e.DocumentID,
		&e.PayloadSealed, &e.PrevHash, &e.Hash); err != nil {
		return JournalEntry{}, err
	}
	e.At = fromDB(at)
	return e, nil
}

// AppendJournal appends one entry to ownerID's journal in one transaction:
// it reads the journal head, calls build with the head (Seq 0 and a nil
// hash for an empty journal), inserts the entry build returns (which must
// have Seq = head.Seq+1) and moves the head. build may run more than once
// (transaction retries) and must have no other effect. A concurrent append
// that took the same seq makes it fail with ErrConflict: call it again.
// ErrNotFound when the owner does not exist.
func (o *ops) AppendJournal(ctx context.Context, ownerID string, build func(head JournalHead) (JournalEntry, error)) error {
	return o.atomic(ctx, func(tx *Tx) error {
		head, err := tx.JournalHead(ctx, ownerID)
		if err != nil {
			return err
		}
		e, err := build(head)
		if err != nil {
			return err
		}
		if e.OwnerID != ownerID || e.Seq != head.Seq+1 || len(e.Hash) == 0 || len(e.PayloadSealed) == 0 || e.Kind == "" {
			return errors.New("meta: append journal: entry does not follow the head")
		}
		if _, err := tx.exec(ctx, "append journal",
			`INSERT INTO journal (owner_id, seq, at, kind, actor_kind, actor_id, document_id, payload_sealed, prev_hash, hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.OwnerID, e.Seq, toDB(e.At), e.Kind, e.ActorKind, e.ActorID, e.DocumentID, e.PayloadSealed,
			nonNil(e.PrevHash), e.Hash); err != nil {
			return err
		}
		if head.Seq == 0 {
			_, err = tx.exec(ctx, "append journal: head",
				`INSERT INTO journal_heads (owner_id, seq, hash) VALUES (?, ?, ?)`, ownerID, e.Seq, e.Hash)
			return err
		}
		err = tx.execOne(ctx, "append journal: head",
			`UPDATE journal_heads SET seq = ?, hash = ? WHERE owner_id = ? AND seq = ?`, e.Seq, e.Hash, ownerID, head.Seq)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("meta: append journal: head moved: %w", ErrConflict)
		}
		return err
	})
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// JournalHead returns the recorded head of ownerID's journal; an empty
// journal has Seq 0. ErrNotFound when the owner does not exist.
func (o *ops) JournalHead(ctx context.Context, ownerID string) (JournalHead, error) {
	var h JournalHead
	err := o.queryRow(ctx, `SELECT seq, hash FROM journal_heads WHERE owner_id = ?`, ownerID).Scan(&h.Seq, &h.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := o.Owner(ctx, ownerID); err != nil {
			return JournalHead{}, err
		}
		return JournalHead{}, nil
	}
	if err != nil {
		return JournalHead{}, o.wrap("journal head", err)
	}
	return h, nil
}

// JournalEntries returns ownerID's entries as stored, ordered by seq.
func (o *ops) JournalEntries(ctx context.Context, ownerID string) ([]JournalEntry, error) {
	rows, err := o.query(ctx, `SELECT `+journalColumns+` FROM journal j WHERE j.owner_id = ? ORDER BY j.seq`, ownerID)
	if err != nil {
		return nil, o.wrap("journal", err)
	}
	defer rows.Close()
	var out []JournalEntry
	for rows.Next() {
		e, err := scanJournal(rows)
		if err != nil {
			return nil, o.wrap("journal", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, o.wrap("journal", err)
	}
	return out, nil
}

// JournalOwners returns the ids of every owner with a journal entry or a
// journal head, sorted.
func (o *ops) JournalOwners(ctx context.Context) ([]string, error) {
	return o.queryStrings(ctx, "journal owners",
		`SELECT owner_id FROM journal_heads UNION SELECT owner_id FROM journal ORDER BY 1`)
}
