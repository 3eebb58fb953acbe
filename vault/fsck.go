package vault

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/coffre/coffre/vault/blob"
	"github.com/coffre/coffre/vault/meta"
)

// Delete destroys one of the owner's documents: every wrap goes first (in
// one transaction that also hides the document, so it is unreadable from
// then on even by a grantee), then the payload, then the row. If removing
// the payload fails, the error is returned and the hidden row stays for
// RemoveOrphans to finish. Deletion is final: like the other acts that
// cannot be taken back, it needs the secret proved recently — a session
// alone cannot wipe the vault. Errors: ErrNotFound, ErrInvalid,
// ErrConfirmRequired.
func (s *Service) Delete(ctx context.Context, owner *Principal, docID string) error {
	if err := requireConfirmedOwner(owner); err != nil {
		return err
	}
	if !validID(docID) {
		return fmt.Errorf("vault: delete: %w", ErrNotFound)
	}
	d, err := s.meta.BeginDeleteDocument(ctx, docID, owner.id)
	if err != nil {
		return mapMeta("delete", err)
	}
	if _, err := s.deletePayloads(ctx, d); err != nil {
		return fmt.Errorf("vault: delete: payload (document hidden, fsck will finish): %w", err)
	}
	if err := s.meta.DeleteDocument(ctx, docID); err != nil && !errors.Is(err, meta.ErrNotFound) {
		return mapMeta("delete", err)
	}
	return s.record(ctx, owner.id, Event{Kind: EventDocumentDeleted, ActorKind: ActorOwner, ActorID: owner.id, DocumentID: docID, DocumentType: d.DocType})
}

// Orphans is what FindOrphans found.
type Orphans struct {
	// Blobs are payloads of the default store with no document row at all,
	// or whose row names another store (a copy a move left behind).
	Blobs []blob.Info
	// Stale are rows left pending (an add that crashed) or deleting (a
	// deletion that crashed) for longer than the grace period, with their
	// payload if present.
	Stale []StaleDocument
	// Cutoff is the instant before which things counted as stale.
	Cutoff time.Time
}

// StaleDocument is an unfinished document row.
type StaleDocument struct {
	ID      string
	OwnerID string
	State   string
	Since   time.Time
	BlobKey string
}

// FindOrphans lists payloads without a document row and document rows stuck
// in pending or deleting, both older than grace (choose it well above the
// longest upload). Nothing is changed. Committed documents are never listed.
func (s *Service) FindOrphans(ctx context.Context, grace time.Duration) (Orphans, error) {
	cutoff := s.now().Add(-grace)
	o := Orphans{Cutoff: cutoff}
	err := s.blobs.List(ctx, blobPrefix, func(info blob.Info) error {
		if !info.ModTime.Before(cutoff) {
			return nil
		}
		d, err := s.rowOfPayload(ctx, info.Key)
		switch {
		case errors.Is(err, meta.ErrNotFound), err == nil && !usesStore(d, ""):
			o.Blobs = append(o.Blobs, info)
		case err != nil:
			return mapMeta("fsck: row of "+info.Key, err)
		}
		return nil
	})
	if err != nil {
		return Orphans{}, fmt.Errorf("vault: fsck: list payloads: %w", err)
	}
	stale, err := s.meta.StaleDocuments(ctx, cutoff)
	if err != nil {
		return Orphans{}, mapMeta("fsck", err)
	}
	for _, d := range stale {
		o.Stale = append(o.Stale, StaleDocument{ID: d.ID, OwnerID: d.OwnerID, State: string(d.State), Since: d.StateSince, BlobKey: blobKey(d.ID)})
	}
	return o, nil
}

// RemoveOrphans removes what FindOrphans reported, re-checking each item so
// that nothing that changed since (an upload that finally committed) is
// touched. It returns how many payloads and rows it removed.
func (s *Service) RemoveOrphans(ctx context.Context, o Orphans) (blobs, rows int, err error) {
	for _, b := range o.Blobs {
		if d, err := s.rowOfPayload(ctx, b.Key); !errors.Is(err, meta.ErrNotFound) {
			if err != nil {
				return blobs, rows, mapMeta("fsck", err)
			}
			if usesStore(d, "") {
				continue // a row appeared, or a move brought it back: not an orphan any more
			}
		}
		switch err := s.blobs.Delete(ctx, b.Key); {
		case err == nil:
			blobs++
		case errors.Is(err, blob.ErrNotExist):
		default:
			return blobs, rows, fmt.Errorf("vault: fsck: delete payload: %w", err)
		}
	}
	for _, st := range o.Stale {
		// The row goes first and only if still stale: an upload committing
		// now then fails its commit and cleans up after itself.
		d, err := s.meta.DeleteStaleDocument(ctx, st.ID, o.Cutoff)
		if errors.Is(err, meta.ErrNotFound) || errors.Is(err, meta.ErrConflict) {
			continue
		}
		if err != nil {
			return blobs, rows, mapMeta("fsck", err)
		}
		rows++
		n, err := s.deletePayloads(ctx, d)
		blobs += n
		if err != nil {
			return blobs, rows, fmt.Errorf("vault: fsck: delete payload: %w", err)
		}
	}
	return blobs, rows, nil
}

// rowOfPayload is the document row a payload key belongs to: the row whose
// id the key names ("doc/<id>"), never the row that claims the key in its
// blob_key column, which a database writer without the pepper could move
// to make a paper's payload look orphaned (attacker's review, 12-08).
func (s *Service) rowOfPayload(ctx context.Context, key string) (meta.Document, error) {
	id, ok := strings.CutPrefix(key, blobPrefix)
	if !ok || id == "" || strings.Contains(id, "/") {
		return meta.Document{}, meta.ErrNotFound
	}
	return s.meta.Document(ctx, id)
}
