package vault

// Moving documents between stores when a storage setting changes.
//
// One document moves in three steps, each leaving it readable:
//
//  1. claim (ClaimMove, one conditional write): the row records that a
//     mover copies it to the destination, and since when;
//  2. copy the payload (stream Get → Put under the same key, size checked
//     on both sides), then switch the row's store in one conditional write
//     that also records the old store as still to clean (SwitchStore);
//  3. check the new copy is there (re-copy from the old one if not),
//     delete the old copy, and clear the move (FinishMove).
//
// A failed or cancelled copy removes its partial object and releases the
// claim. A mover that crashed leaves a claim, taken over once older than
// moveClaimStale; every step of a mover on one document is bounded by
// moveDeadline, well under that, so a live mover never races the one that
// took over. Two movers never copy one document at once (the claim), a
// switched document is cleaned by whichever mover comes next, and nothing
// deletes a copy the row still names: several instances may sweep at once.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/coffre/coffre/vault/blob"
	"github.com/coffre/coffre/vault/meta"
)

const (
	// moveBatch is how many documents one query hands a mover.
	moveBatch = 100
	// moveClaimStale: a copy claimed longer ago was abandoned.
	moveClaimStale = 15 * time.Minute
	// moveDeadline bounds a mover's work on one document.
	moveDeadline = 5 * time.Minute
)

// errBusy: another mover holds the document.
var errBusy = errors.New("vault: document being moved by another mover")

// MoveScope selects the documents to move: one owner's, those of the
// owners who entrusted an organisation, or (both empty) every owner's.
type MoveScope struct {
	OwnerID, OrgID string
}

// MoveResult counts what a move did.
type MoveResult struct {
	// Moved documents switched store; Bytes is their plaintext size.
	Moved int
	Bytes int64
	// Cleaned old copies removed after an earlier switch (a resumed move).
	Cleaned int
	// Busy documents were being moved by another mover; Failed ones could
	// not be moved this time (their first error is returned).
	Busy, Failed int
}

func (s *Service) metaScope(sc MoveScope) meta.MoveScope {
	return meta.MoveScope{OwnerID: sc.OwnerID, OrgID: sc.OrgID, OwnerBuckets: s.ownerBuckets}
}

// usesStore reports whether d's row refers to store id (as its store, or
// as the other end of a move in progress).
func usesStore(d meta.Document, id string) bool {
	return d.StoreID == id || d.Move.State != "" && d.Move.Store == id
}

// newDocumentStore sets row.StoreID to the owner's effective store and
// returns that store.
func (s *Service) newDocumentStore(ctx context.Context, row *meta.Document) (blob.Store, error) {
	if s.openStore == nil {
		return s.blobs, nil
	}
	id, err := s.meta.EffectiveStore(ctx, row.OwnerID, s.ownerBuckets)
	if err != nil {
		return nil, mapMeta("add document: store", err)
	}
	st, err := s.storeFor(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("vault: add document: %w", err)
	}
	row.StoreID = id
	return st, nil
}

// getPayload opens a document's payload in the store its row names.
func (s *Service) getPayload(ctx context.Context, d meta.Document) (io.ReadCloser, error) {
	st, err := s.storeFor(ctx, d.StoreID)
	if err != nil {
		return nil, err
	}
	return st.Get(ctx, blobKey(d.ID))
}

// deletePayloads removes a document's payload from its store and, during a
// move, the copy in the other store; it returns how many objects it
// removed. Missing objects are not an error.
func (s *Service) deletePayloads(ctx context.Context, d meta.Document) (int, error) {
	ids := []string{d.StoreID}
	if d.Move.State != "" && d.Move.Store != d.StoreID {
		ids = append(ids, d.Move.Store)
	}
	n := 0
	for _, id := range ids {
		st, err := s.storeFor(ctx, id)
		if err != nil {
			return n, err
		}
		switch err := st.Delete(ctx, blobKey(d.ID)); {
		case err == nil:
			n++
		case !errors.Is(err, blob.ErrNotExist):
			return n, err
		}
	}
	return n, nil
}

// MoveDocuments moves the scope's documents whose payload is not in their
// owner's effective store, finishing moves left unfinished. It is
// resumable and safe to run from several instances at once. Documents
// another mover holds are skipped (MoveResult.Busy); a document that fails
// is skipped and the first failure returned once the others are done. A
// cancelled ctx stops it with ctx's error, every document readable.
func (s *Service) MoveDocuments(ctx context.Context, sc MoveScope) (MoveResult, error) {
	var res MoveResult
	var first error
	skip := map[string]bool{}
	for {
		batch, err := s.meta.DocumentsToMove(ctx, s.metaScope(sc), len(skip)+moveBatch)
		if err != nil {
			return res, mapMeta("move documents", err)
		}
		progressed := false
		for _, tm := range batch {
			if skip[tm.Document.ID] {
				continue
			}
			progressed = true
			skip[tm.Document.ID] = true // at most once per call, whatever happens
			err := s.moveOne(ctx, tm, &res)
			switch {
			case err == nil:
			case ctx.Err() != nil:
				return res, fmt.Errorf("vault: move documents: %w", ctx.Err())
			case errors.Is(err, errBusy):
				res.Busy++
			default:
				res.Failed++
				if first == nil {
					first = err
				}
			}
		}
		if !progressed {
			return res, first
		}
	}
}

// moveOne brings one document to its target store, or finishes its move.
func (s *Service) moveOne(ctx context.Context, tm meta.ToMove, res *MoveResult) error {
	d := tm.Document
	switch d.Move.State {
	case meta.MoveCleaning:
		if err := s.cleanMove(ctx, d); err != nil {
			return err
		}
		res.Cleaned++
		return nil
	case meta.MoveCopying:
		if s.now().Sub(d.Move.Since) < moveClaimStale {
			return errBusy
		}
		// A mover crashed: take its claim over, remove its partial copy,
		// and start afresh.
		if err := s.dropStaleCopy(ctx, d); err != nil {
			return err
		}
	}
	if d.StoreID == tm.Target {
		return nil
	}
	if err := s.copyAndSwitch(ctx, d, tm.Target); err != nil {
		return err
	}
	res.Moved++
	res.Bytes += d.Size
	// The document is readable in its new store; the old copy goes now, or
	// at the next run.
	if err := s.cleanMove(ctx, switched(d, tm.Target)); err != nil {
		return err
	}
	return nil
}

// switched is d as SwitchStore left it.
func switched(d meta.Document, to string) meta.Document {
	d.Move = meta.Move{State: meta.MoveCleaning, Store: d.StoreID}
	d.StoreID = to
	return d
}

// moveContext returns a context bounded by moveDeadline from now that keeps
// ctx's values; cancelled with ctx unless detached.
func moveContext(ctx context.Context, detached bool) (context.Context, context.CancelFunc) {
	if detached {
		ctx = context.WithoutCancel(ctx)
	}
	return context.WithTimeout(ctx, moveDeadline)
}

// dropStaleCopy takes over an abandoned copy claim and removes what it left.
func (s *Service) dropStaleCopy(ctx context.Context, d meta.Document) error {
	now := s.now().UTC()
	if err := s.meta.ClaimMove(ctx, d.ID, d.StoreID, d.Move.Store, now, now.Add(-moveClaimStale)); err != nil {
		if errors.Is(err, meta.ErrConflict) {
			return errBusy
		}
		return mapMeta("move: take over", err)
	}
	return s.abandonCopy(ctx, d, d.Move.Store, now)
}

// abandonCopy removes the (partial) copy in store to and releases the
// claim taken at since; if the removal fails the claim stays, marking the
// copy until it goes stale.
func (s *Service) abandonCopy(ctx context.Context, d meta.Document, to string, since time.Time) error {
	cctx, cancel := moveContext(ctx, true)
	defer cancel()
	dst, err := s.storeFor(cctx, to)
	if err != nil {
		return err
	}
	if err := dst.Delete(cctx, blobKey(d.ID)); err != nil && !errors.Is(err, blob.ErrNotExist) {
		return fmt.Errorf("vault: move %s: remove partial copy: %w", d.ID, err)
	}
	if err := s.meta.ReleaseMove(cctx, d.ID, to, since); err != nil && !errors.Is(err, meta.ErrConflict) {
		return mapMeta("move: release", err)
	}
	return nil
}

// copyAndSwitch claims d, copies its payload to store to and switches the
// row there.
func (s *Service) copyAndSwitch(ctx context.Context, d meta.Document, to string) error {
	now := s.now().UTC()
	if err := s.meta.ClaimMove(ctx, d.ID, d.StoreID, to, now, now.Add(-moveClaimStale)); err != nil {
		if errors.Is(err, meta.ErrConflict) {
			return errBusy
		}
		return mapMeta("move: claim", err)
	}
	mctx, cancel := moveContext(ctx, false)
	defer cancel()
	err := s.copyPayload(mctx, d, d.StoreID, to)
	if err == nil {
		err = s.meta.SwitchStore(mctx, d.ID, d.StoreID, to, now, s.now().UTC())
		if errors.Is(err, meta.ErrConflict) {
			// Deleted meanwhile: the copy is nobody's.
			err = fmt.Errorf("vault: move %s: document changed meanwhile: %w", d.ID, errBusy)
		} else if err != nil {
			err = mapMeta("move: switch", err)
		}
	}
	if err != nil {
		if aerr := s.abandonCopy(ctx, d, to, now); aerr != nil && !errors.Is(err, errBusy) {
			return errors.Join(err, aerr)
		}
		return err
	}
	return nil
}

// copyPayload streams d's payload from store from to store to (replacing a
// partial copy an earlier attempt left) and checks the stored size.
func (s *Service) copyPayload(ctx context.Context, d meta.Document, from, to string) error {
	src, err := s.storeFor(ctx, from)
	if err != nil {
		return err
	}
	dst, err := s.storeFor(ctx, to)
	if err != nil {
		return err
	}
	info, err := src.Stat(ctx, blobKey(d.ID))
	if errors.Is(err, blob.ErrNotExist) {
		return fmt.Errorf("vault: move %s: payload missing: %w: %w", d.ID, ErrCorrupt, err)
	}
	if err != nil {
		return fmt.Errorf("vault: move %s: %w", d.ID, err)
	}
	rc, err := src.Get(ctx, blobKey(d.ID))
	if err != nil {
		return fmt.Errorf("vault: move %s: read: %w", d.ID, err)
	}
	err = dst.Put(ctx, blobKey(d.ID), newAheadReader(rc), info.Size)
	_ = rc.Close()
	if err != nil {
		return fmt.Errorf("vault: move %s: write: %w", d.ID, err)
	}
	got, err := dst.Stat(ctx, blobKey(d.ID))
	if err != nil {
		return fmt.Errorf("vault: move %s: check copy: %w", d.ID, err)
	}
	if got.Size != info.Size {
		return fmt.Errorf("vault: move %s: copy has %d bytes, want %d: %w", d.ID, got.Size, info.Size, blob.ErrSizeMismatch)
	}
	return nil
}

// cleanMove finishes a switched move: it makes sure the new copy is there
// (copying again from the old one if something removed it), deletes the
// old copy and clears the move.
func (s *Service) cleanMove(ctx context.Context, d meta.Document) error {
	mctx, cancel := moveContext(ctx, false)
	defer cancel()
	old := d.Move.Store
	dst, err := s.storeFor(mctx, d.StoreID)
	if err != nil {
		return err
	}
	if _, err := dst.Stat(mctx, blobKey(d.ID)); errors.Is(err, blob.ErrNotExist) {
		if err := s.copyPayload(mctx, d, old, d.StoreID); err != nil {
			return err
		}
	} else if err != nil {
		return fmt.Errorf("vault: move %s: check copy: %w", d.ID, err)
	}
	src, err := s.storeFor(mctx, old)
	if err != nil {
		return err
	}
	if err := src.Delete(mctx, blobKey(d.ID)); err != nil && !errors.Is(err, blob.ErrNotExist) {
		return fmt.Errorf("vault: move %s: delete old copy: %w", d.ID, err)
	}
	if err := s.meta.FinishMove(mctx, d.ID, old); err != nil && !errors.Is(err, meta.ErrConflict) {
		return mapMeta("move: finish", err)
	}
	return nil
}

// SweepStorage finishes every pending move (maintenance, any instance),
// then forgets retired targets no document uses any more. It returns the
// move counts and how many targets were purged.
func (s *Service) SweepStorage(ctx context.Context) (MoveResult, int, error) {
	if s.openStore == nil {
		return MoveResult{}, 0, nil
	}
	res, err := s.MoveDocuments(ctx, MoveScope{})
	if err != nil {
		return res, 0, err
	}
	n, err := s.meta.PurgeStorageTargets(ctx)
	if err != nil {
		return res, 0, mapMeta("purge storage targets", err)
	}
	if n > 0 {
		s.forgetPurged(ctx)
	}
	return res, n, nil
}

// forgetPurged drops cached stores whose target is gone.
func (s *Service) forgetPurged(ctx context.Context) {
	rows, err := s.meta.StorageTargets(ctx)
	if err != nil {
		return
	}
	keep := map[string]bool{}
	for _, r := range rows {
		keep[r.ID] = true
	}
	s.targets.mu.Lock()
	defer s.targets.mu.Unlock()
	for id := range s.targets.stores {
		if !keep[id] {
			delete(s.targets.stores, id)
		}
	}
}
