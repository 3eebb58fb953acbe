package vault

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/coffre/coffre/vault/meta"
)

// JournalCheckpoint returns the signed checkpoint of the owner's log as it
// stands. An owner whose journal is still of the hash-chain era gets it
// converted first. Errors: ErrInvalid (not an owner), ErrCorrupt (no
// checkpoint: the journal is empty or its head is missing).
func (s *Service) JournalCheckpoint(ctx context.Context, owner *Principal) (Checkpoint, error) {
	if err := requireOwner(owner); err != nil {
		return Checkpoint{}, err
	}
	return s.currentCheckpoint(ctx, owner.id)
}

func (s *Service) currentCheckpoint(ctx context.Context, ownerID string) (Checkpoint, error) {
	head, err := s.meta.JournalHead(ctx, ownerID)
	if err != nil {
		return Checkpoint{}, mapMeta("journal", err)
	}
	if head.TreeSize != head.Seq {
		if _, err := s.meta.ConvertJournal(ctx, ownerID, s.convertBuild(ownerID)); err != nil {
			return Checkpoint{}, mapMeta("journal", err)
		}
		if head, err = s.meta.JournalHead(ctx, ownerID); err != nil {
			return Checkpoint{}, mapMeta("journal", err)
		}
	}
	if len(head.Checkpoint) == 0 {
		return Checkpoint{}, fmt.Errorf("vault: journal of %s has no checkpoint: %w", ownerID, ErrCorrupt)
	}
	c, err := s.OpenCheckpoint(head.Checkpoint)
	if err != nil || c.OwnerID != ownerID || c.Size != head.Seq {
		return Checkpoint{}, fmt.Errorf("vault: journal of %s: stored checkpoint: %w", ownerID, ErrCorrupt)
	}
	return c, nil
}

// convertBuild is ConvertJournal's build for ownerID: it signs a tree of
// the entries only when they are an intact chain of the hash-chain era
// (verifyChain finds nothing), else ErrCorrupt. A database writer who marks
// a journal "not converted" (its head's tree size rewound) after removing,
// changing or adding entries gets a refusal, not a checkpoint signed over
// what is left: without the pepper, the chain's keyed hashes cannot be made
// to fit.
func (s *Service) convertBuild(ownerID string) func(meta.JournalHead, []meta.JournalEntry) ([]meta.JournalHash, meta.JournalHead, error) {
	return func(head meta.JournalHead, es []meta.JournalEntry) ([]meta.JournalHash, meta.JournalHead, error) {
		if int64(len(es)) != head.Seq {
			return nil, meta.JournalHead{}, fmt.Errorf("vault: convert journal of %s: %d entries for a head at %d: %w", ownerID, len(es), head.Seq, ErrCorrupt)
		}
		if ps := verifyChain(s.journalKey(), ownerID, es, head); len(ps) > 0 {
			return nil, meta.JournalHead{}, fmt.Errorf("vault: convert journal of %s: not an intact chain (%s): %w", ownerID, ps[0].Reason, ErrCorrupt)
		}
		m, err := treeOf(es)
		if err != nil {
			return nil, meta.JournalHead{}, err
		}
		root, err := tlog.TreeHash(int64(len(es)), m)
		if err != nil {
			return nil, meta.JournalHead{}, err
		}
		cp, err := s.signCheckpoint(ownerID, int64(len(es)), root)
		if err != nil {
			return nil, meta.JournalHead{}, err
		}
		return toJournalHashes(0, m.hashes), meta.JournalHead{Seq: head.Seq, Hash: bytes.Clone(root[:]), TreeSize: head.Seq, Checkpoint: cp}, nil
	}
}

// JournalProof is the answer to "does the log still extend the checkpoint
// I kept?". The tree is the one the entries make now, recomputed from them
// (not the stored hashes): Size entries, root Hash. Signed says whether the
// service's signed checkpoint (Checkpoint) states exactly that tree; when
// From ≤ Size, Proof is the consistency proof from the tree of size From
// (RFC 6962; empty when From equals Size).
type JournalProof struct {
	Size       int64
	Hash       tlog.Hash
	Signed     bool
	Checkpoint []byte
	From       int64
	Proof      tlog.TreeProof
}

// JournalConsistency answers an owner who kept the checkpoint of a log of
// from entries (from ≥ 1): the log as its entries make it now, whether the
// signed checkpoint matches it, and the proof that it extends the tree of
// size from. When from is larger than the log there is no proof: the log
// went back, and the caller says so. Errors: ErrInvalid (not an owner,
// from < 1).
func (s *Service) JournalConsistency(ctx context.Context, owner *Principal, from int64) (JournalProof, error) {
	if err := requireOwner(owner); err != nil {
		return JournalProof{}, err
	}
	if from < 1 {
		return JournalProof{}, fmt.Errorf("%w: a proof starts from a log of at least one entry", ErrInvalid)
	}
	if _, err := s.currentCheckpoint(ctx, owner.id); err != nil && !errors.Is(err, ErrCorrupt) {
		return JournalProof{}, err // converts a journal of the hash-chain era
	}
	es, err := s.meta.JournalEntries(ctx, owner.id)
	if err != nil {
		return JournalProof{}, mapMeta("journal", err)
	}
	tree, err := treeOf(es)
	if err != nil {
		return JournalProof{}, fmt.Errorf("vault: journal proof: %w", err)
	}
	p := JournalProof{Size: int64(len(es)), From: from}
	if p.Size > 0 {
		if p.Hash, err = tlog.TreeHash(p.Size, tree); err != nil {
			return JournalProof{}, fmt.Errorf("vault: journal proof: %w", err)
		}
	}
	if head, err := s.meta.JournalHead(ctx, owner.id); err == nil && len(head.Checkpoint) > 0 {
		p.Checkpoint = head.Checkpoint
		c, err := s.OpenCheckpoint(head.Checkpoint)
		p.Signed = err == nil && c.OwnerID == owner.id && c.Size == p.Size && c.Hash == p.Hash
	}
	if from > p.Size {
		return p, nil
	}
	if p.Proof, err = tlog.ProveTree(p.Size, from, tree); err != nil {
		return JournalProof{}, fmt.Errorf("vault: journal proof: %w", err)
	}
	return p, nil
}

// VerifyJournal checks ownerID's log ("" = every owner of the owners table
// and every owner id found in the journal tables) against its signed
// checkpoint: it recomputes the tree from the entries and reports a missing
// or empty journal, entries removed (a gap, or fewer entries than the
// checkpoint covers), entries altered, inserted or reordered (the root does
// not match), a checkpoint not signed by the service's key, and stored tree
// hashes that do not match the entries. It needs the pepper (the key that
// signs checkpoints) but no owner key. What it cannot see alone is a
// rollback to an older genuine checkpoint with the entries after it
// removed: VerifyJournalCheckpoint, given a checkpoint the owner kept, does.
// The error is for failures to read; defects are in the report.
func (s *Service) VerifyJournal(ctx context.Context, ownerID string) (JournalReport, error) {
	return s.verifyJournals(ctx, ownerID, nil)
}

// VerifyJournalCheckpoint is VerifyJournal for the owner a kept checkpoint
// names, which also proves that the current log extends that checkpoint:
// it reports a log that went back (fewer entries than the kept checkpoint
// covers) or does not extend it (an entry it covers was altered, removed or
// reordered). ErrCheckpoint when kept is not a checkpoint signed by this
// service.
func (s *Service) VerifyJournalCheckpoint(ctx context.Context, kept []byte) (JournalReport, error) {
	c, err := s.OpenCheckpoint(kept)
	if err != nil {
		return JournalReport{}, err
	}
	return s.verifyJournals(ctx, c.OwnerID, &c)
}

func (s *Service) verifyJournals(ctx context.Context, ownerID string, kept *Checkpoint) (JournalReport, error) {
	var owners []string
	if ownerID != "" {
		owners = []string{ownerID}
	} else {
		var err error
		if owners, err = s.meta.JournalOwners(ctx); err != nil {
			return JournalReport{}, mapMeta("verify journal", err)
		}
	}
	var r JournalReport
	for _, id := range owners {
		ps, n, err := s.verifyLog(ctx, id, kept)
		if err != nil {
			return r, err
		}
		r.Owners++
		r.Entries += n
		r.Problems = append(r.Problems, ps...)
	}
	return r, nil
}

// verifyLog checks one owner's log; kept, when set, is a checkpoint the
// owner kept. It returns the problems and the number of entries.
func (s *Service) verifyLog(ctx context.Context, id string, kept *Checkpoint) ([]JournalProblem, int, error) {
	var ps []JournalProblem
	bad := func(seq int64, format string, args ...any) {
		ps = append(ps, JournalProblem{OwnerID: id, Seq: seq, Reason: fmt.Sprintf(format, args...)})
	}
	head, err := s.meta.JournalHead(ctx, id)
	if errors.Is(err, meta.ErrNotFound) {
		head = meta.JournalHead{}
		bad(0, "journal of an owner that does not exist")
	} else if err != nil {
		return nil, 0, mapMeta("verify journal", err)
	}
	es, err := s.meta.JournalEntries(ctx, id)
	if err != nil {
		return nil, 0, mapMeta("verify journal", err)
	}
	if len(es) == 0 {
		bad(0, "missing or empty journal: no entry at all (every vault has at least its creation): entries removed")
	}
	// Numbering: 1, 2, 3, … without gaps.
	want := int64(1)
	for _, e := range es {
		if e.Seq != want {
			bad(e.Seq, "entry %d expected here: entries %d to %d removed or reordered", want, want, e.Seq-1)
			want = e.Seq
		}
		want++
	}
	tree, err := treeOf(es)
	if err != nil {
		return nil, 0, fmt.Errorf("vault: verify journal: %w", err)
	}
	n := int64(len(es))
	rootAt := func(size int64) tlog.Hash {
		h, err := tlog.TreeHash(size, tree)
		if err != nil {
			return tlog.Hash{}
		}
		return h
	}
	switch {
	case head.TreeSize != head.Seq || (len(head.Checkpoint) == 0 && head.Seq > 0):
		bad(0, "journal not converted to the verifiable log yet (coffre serve converts it at start)")
		ps = append(ps, verifyChain(s.journalKey(), id, es, head)...)
	case len(head.Checkpoint) == 0:
		if n > 0 {
			bad(0, "journal without a signed checkpoint (head removed)")
		}
	default:
		c, err := s.OpenCheckpoint(head.Checkpoint)
		switch {
		case err != nil:
			bad(0, "stored checkpoint not signed by this service's journal key (forged or altered)")
		case c.OwnerID != id:
			bad(0, "stored checkpoint is another owner's")
		case c.Size > n:
			bad(c.Size, "the signed checkpoint covers %d entries but only %d remain: entries removed", c.Size, n)
		case c.Size < n:
			bad(c.Size+1, "entries %d to %d are not covered by the signed checkpoint: inserted without the key, or altered", c.Size+1, n)
		case n > 0 && rootAt(n) != c.Hash:
			bad(0, "entries do not match the signed checkpoint: altered, replaced or reordered")
		}
		if err == nil && (c.Size != head.Seq || !bytes.Equal(c.Hash[:], head.Hash)) {
			bad(0, "journal head does not match its signed checkpoint (altered)")
		}
		// The stored tree serves proofs: it must be the entries' tree.
		if head.TreeSize == n && n > 0 {
			cnt := tlog.StoredHashCount(n)
			idx := make([]int64, cnt)
			for i := range idx {
				idx[i] = int64(i)
			}
			stored, err := s.meta.ReadJournalHashes(ctx, id, idx)
			mismatch := err != nil
			for i := 0; !mismatch && i < len(stored); i++ {
				mismatch = !bytes.Equal(stored[i], tree.hashes[i][:])
			}
			if mismatch {
				bad(0, "stored tree hashes do not match the entries (proofs would fail): altered")
			}
		}
	}
	if kept != nil {
		switch {
		case kept.Size > n:
			bad(kept.Size, "the journal went back: the kept checkpoint covers %d entries, only %d remain (entries removed)", kept.Size, n)
		case kept.Size > 0 && rootAt(kept.Size) != kept.Hash:
			bad(0, "the journal does not extend the kept checkpoint of %d entries: an entry it covers was altered, removed or reordered", kept.Size)
		}
	}
	return ps, len(es), nil
}
