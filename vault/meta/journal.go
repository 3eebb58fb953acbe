package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
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

// JournalHead is the state of a journal as recorded beside it. Seq is the
// number of entries (the tree size) and Hash the tree's root hash;
// TreeSize is how many entries the stored tree hashes cover (it equals Seq
// once a journal of the hash-chain era has been converted) and Checkpoint
// the signed note of the latest tree (empty before conversion).
type JournalHead struct {
	Seq        int64
	Hash       []byte
	TreeSize   int64
	Checkpoint []byte
}

// JournalHash is one stored hash of an owner's tree, at its
// tlog.StoredHashIndex position.
type JournalHash struct {
	Index int64
	Hash  []byte
}

// JournalAppend is what an append writes: the entry, the tree hashes it
// adds, and the new head (Seq = Entry.Seq, TreeSize = Entry.Seq).
type JournalAppend struct {
	Entry  JournalEntry
	Hashes []JournalHash
	Head   JournalHead
}

// JournalReader reads an owner's stored tree inside the append's
// transaction.
type JournalReader interface {
	// ReadJournalHashes returns the hashes at indexes, in that order;
	// ErrNotFound if one is missing.
	ReadJournalHashes(ctx context.Context, ownerID string, indexes []int64) ([][]byte, error)
	// JournalEntries returns the entries as stored, ordered by seq.
	JournalEntries(ctx context.Context, ownerID string) ([]JournalEntry, error)
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
// it takes the owner's row lock (appends to one journal are serialised
// across instances), reads the head, calls build with the head and a reader
// of the stored tree, then inserts the entry and the hashes build returns
// and moves the head to the one it returns. build may run more than once
// (transaction retries) and must have no other effect. When the head's
// TreeSize is below its Seq (a journal not yet converted), build must
// return the hashes of every entry, which replace the stored ones. A
// concurrent append that took the same seq makes it fail with ErrConflict:
// call it again. ErrNotFound when the owner does not exist.
func (o *ops) AppendJournal(ctx context.Context, ownerID string, build func(head JournalHead, r JournalReader) (JournalAppend, error)) error {
	return o.atomic(ctx, func(tx *Tx) error {
		if err := tx.lockRow(ctx, "owners", "id", ownerID); err != nil {
			return err
		}
		head, err := tx.JournalHead(ctx, ownerID)
		if err != nil {
			return err
		}
		a, err := build(head, tx)
		if err != nil {
			return err
		}
		e := a.Entry
		if e.OwnerID != ownerID || e.Seq != head.Seq+1 || len(e.Hash) == 0 || len(e.PayloadSealed) == 0 || e.Kind == "" ||
			a.Head.Seq != e.Seq || a.Head.TreeSize != e.Seq || len(a.Head.Hash) == 0 || len(a.Head.Checkpoint) == 0 {
			return errors.New("meta: append journal: entry does not follow the head")
		}
		if _, err := tx.exec(ctx, "append journal",
			`INSERT INTO journal (owner_id, seq, at, kind, actor_kind, actor_id, document_id, payload_sealed, prev_hash, hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.OwnerID, e.Seq, toDB(e.At), e.Kind, e.ActorKind, e.ActorID, e.DocumentID, e.PayloadSealed,
			nonNil(e.PrevHash), e.Hash); err != nil {
			return err
		}
		if head.TreeSize != head.Seq {
			if _, err := tx.exec(ctx, "append journal: hashes", `DELETE FROM journal_hashes WHERE owner_id = ?`, ownerID); err != nil {
				return err
			}
		}
		if err := tx.insertJournalHashes(ctx, ownerID, a.Hashes); err != nil {
			return err
		}
		return tx.moveJournalHead(ctx, ownerID, head, a.Head)
	})
}

func (tx *Tx) insertJournalHashes(ctx context.Context, ownerID string, hs []JournalHash) error {
	for _, h := range hs {
		if _, err := tx.exec(ctx, "journal hashes",
			`INSERT INTO journal_hashes (owner_id, idx, hash) VALUES (?, ?, ?)`, ownerID, h.Index, h.Hash); err != nil {
			return err
		}
	}
	return nil
}

// moveJournalHead replaces head by next, on condition that the head did
// not move meanwhile (ErrConflict).
func (tx *Tx) moveJournalHead(ctx context.Context, ownerID string, head, next JournalHead) error {
	if head.Seq == 0 && head.TreeSize == 0 && len(head.Checkpoint) == 0 {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM journal_heads WHERE owner_id = ?`, ownerID).Scan(&n); err != nil {
			return tx.wrap("journal head", err)
		}
		if n == 0 {
			_, err := tx.exec(ctx, "journal head",
				`INSERT INTO journal_heads (owner_id, seq, hash, tree_size, checkpoint) VALUES (?, ?, ?, ?, ?)`,
				ownerID, next.Seq, next.Hash, next.TreeSize, string(next.Checkpoint))
			return err
		}
	}
	err := tx.execOne(ctx, "journal head",
		`UPDATE journal_heads SET seq = ?, hash = ?, tree_size = ?, checkpoint = ? WHERE owner_id = ? AND seq = ? AND tree_size = ?`,
		next.Seq, next.Hash, next.TreeSize, string(next.Checkpoint), ownerID, head.Seq, head.TreeSize)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("meta: journal head moved: %w", ErrConflict)
	}
	return err
}

// ConvertJournal gives a journal of the hash-chain era its tree, in one
// transaction: under the owner's row lock it reads the head and the
// entries, and when the head's TreeSize is below its Seq it calls build
// with them and stores the hashes and the head build returns (replacing
// any stored hash). It reports whether it converted. ErrNotFound when the
// owner does not exist.
func (o *ops) ConvertJournal(ctx context.Context, ownerID string, build func(head JournalHead, es []JournalEntry) ([]JournalHash, JournalHead, error)) (bool, error) {
	done := false
	err := o.atomic(ctx, func(tx *Tx) error {
		done = false
		if err := tx.lockRow(ctx, "owners", "id", ownerID); err != nil {
			return err
		}
		head, err := tx.JournalHead(ctx, ownerID)
		if err != nil || head.TreeSize == head.Seq {
			return err
		}
		es, err := tx.JournalEntries(ctx, ownerID)
		if err != nil {
			return err
		}
		hs, next, err := build(head, es)
		if err != nil {
			return err
		}
		if next.Seq != head.Seq || next.TreeSize != head.Seq || len(next.Checkpoint) == 0 {
			return errors.New("meta: convert journal: head does not match")
		}
		if _, err := tx.exec(ctx, "convert journal", `DELETE FROM journal_hashes WHERE owner_id = ?`, ownerID); err != nil {
			return err
		}
		if err := tx.insertJournalHashes(ctx, ownerID, hs); err != nil {
			return err
		}
		done = true
		return tx.moveJournalHead(ctx, ownerID, head, next)
	})
	return done, err
}

// ReadJournalHashes returns ownerID's stored tree hashes at indexes, in
// that order; ErrNotFound if one is missing.
func (o *ops) ReadJournalHashes(ctx context.Context, ownerID string, indexes []int64) ([][]byte, error) {
	out := make([][]byte, len(indexes))
	const batch = 200
	for start := 0; start < len(indexes); start += batch {
		part := indexes[start:min(start+batch, len(indexes))]
		args := make([]any, 0, len(part)+1)
		args = append(args, ownerID)
		for _, idx := range part {
			args = append(args, idx)
		}
		rows, err := o.query(ctx, `SELECT idx, hash FROM journal_hashes WHERE owner_id = ? AND idx IN (?`+
			strings.Repeat(", ?", len(part)-1)+`)`, args...)
		if err != nil {
			return nil, o.wrap("journal hashes", err)
		}
		got := make(map[int64][]byte, len(part))
		for rows.Next() {
			var idx int64
			var h []byte
			if err := rows.Scan(&idx, &h); err != nil {
				rows.Close()
				return nil, o.wrap("journal hashes", err)
			}
			got[idx] = h
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, o.wrap("journal hashes", err)
		}
		for i, idx := range part {
			h, ok := got[idx]
			if !ok {
				return nil, fmt.Errorf("meta: journal hash %d of %s: %w", idx, ownerID, ErrNotFound)
			}
			out[start+i] = h
		}
	}
	return out, nil
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
	var cp string
	err := o.queryRow(ctx, `SELECT seq, hash, tree_size, checkpoint FROM journal_heads WHERE owner_id = ?`, ownerID).
		Scan(&h.Seq, &h.Hash, &h.TreeSize, &cp)
	if cp != "" {
		h.Checkpoint = []byte(cp)
	}
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

// JournalOwners returns the ids of every owner in the owners table and of
// every owner with a journal entry, head or tree hash (left behind by a
// removed owner row), sorted.
func (o *ops) JournalOwners(ctx context.Context) ([]string, error) {
	return o.queryStrings(ctx, "journal owners",
		`SELECT id FROM owners UNION SELECT owner_id FROM journal_heads UNION SELECT owner_id FROM journal
		UNION SELECT owner_id FROM journal_hashes ORDER BY 1`)
}
