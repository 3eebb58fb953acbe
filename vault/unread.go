package vault

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/coffre/coffre/vault/seal"
)

// A paper that arrives from someone else (a helper's drop link) is "new"
// until the owner opens it; she can file it under a type in one step.
//
// The mark is a plain flag on the document row (meta: documents.unread):
// it holds no content and no title, and whoever can write the database
// could only make a paper look new or not — never read or change what it
// says. Filing changes the row's category and type, and the title sealed
// to the document key like a rename. Filing never widens access: no
// grantee gets a key because of it (a consent that covers the new type sees
// only papers it already held a key for; one that covered the old type
// stops listing it). Opening shares no more than she consented to: an
// arrived paper is shared with the consents to "the papers of this type you
// add" once she opened it (Deposit shares it at once only with the worker
// who asked for it); a database writer who marks a paper new again gets
// nothing those consents did not already cover.

// MarkOpened records that the owner opened one of her papers: it is no
// longer new, and, if it was, the live consents to the papers of its type
// she adds now share it (best effort). Errors: ErrInvalid (not an owner),
// ErrNotFound.
func (s *Service) MarkOpened(ctx context.Context, owner *Principal, docID string) error {
	if err := requireOwner(owner); err != nil {
		return err
	}
	if !validID(docID) {
		return fmt.Errorf("vault: mark opened: %w", ErrNotFound)
	}
	acc, err := s.ownedAccess(ctx, owner, docID)
	if err != nil {
		return err
	}
	if err := s.meta.SetDocumentUnread(ctx, docID, owner.id, false); err != nil {
		return mapMeta("mark opened", err)
	}
	// Seen, an arrived paper is hers: the consents that share the papers
	// of its type she adds now share it (Deposit left them), each told in
	// her journal (and to the worker, by the notifications).
	if !acc.Document.Unread {
		return nil
	}
	ident, err := seal.UnwrapIdentity(acc.Wrap.WrappedKey, owner.identity)
	if err != nil {
		return nil // best effort: it stays unshared
	}
	shared := s.wrapLateConsents(ctx, acc.Document, ident, nil, func(Grantee) bool { return true })
	if len(shared) == 0 {
		return nil
	}
	title, _ := seal.OpenString(acc.Document.TitleSealed, ident)
	var errs []error
	for _, g := range shared {
		errs = append(errs, s.record(ctx, owner.id, Event{
			Kind: EventDocumentShared, ActorKind: ActorOwner, ActorID: owner.id, Target: s.granteeName(ctx, g),
			DocumentID: docID, DocumentType: acc.Document.DocType, DocumentTitle: title, Grantee: g,
		}))
	}
	return errors.Join(errs...)
}

// NewPapers counts the owner's papers not opened yet. Errors: ErrInvalid
// (not an owner).
func (s *Service) NewPapers(ctx context.Context, owner *Principal) (int, error) {
	if err := requireOwner(owner); err != nil {
		return 0, err
	}
	n, err := s.meta.CountUnread(ctx, owner.id)
	if err != nil {
		return 0, mapMeta("new papers", err)
	}
	return n, nil
}

// FileDocument files one of the owner's papers under a catalogue type (its
// category follows), or under no type ("": the category "other") to undo
// a filing; a non-empty title replaces the paper's title in the same step
// (sealed to the document key), "" keeps it. Journaled ("you filed …").
// Errors: ErrInvalid (not an owner, unknown type, title too long),
// ErrNotFound.
func (s *Service) FileDocument(ctx context.Context, owner *Principal, docID, docType, title string) error {
	category := "other"
	if docType != "" {
		t, ok := DocTypeByID(docType)
		if !ok {
			return fmt.Errorf("%w: document type %q", ErrInvalid, docType)
		}
		category = t.Category
	}
	if len(title) > MaxTitleLen || !utf8.ValidString(title) {
		return fmt.Errorf("%w: title too long or not UTF-8", ErrInvalid)
	}
	acc, err := s.ownedAccess(ctx, owner, docID)
	if err != nil {
		return err
	}
	ident, err := seal.UnwrapIdentity(acc.Wrap.WrappedKey, owner.identity)
	if err != nil {
		return fmt.Errorf("vault: file: document key: %w: %w", ErrCorrupt, err)
	}
	var sealed []byte
	if title != "" {
		if sealed, err = seal.SealString(title, ident.Recipient()); err != nil {
			return fmt.Errorf("vault: file: seal title: %w", err)
		}
	} else if title, err = seal.OpenString(acc.Document.TitleSealed, ident); err != nil {
		return fmt.Errorf("vault: file: title: %w: %w", ErrCorrupt, err)
	}
	if err := s.meta.SetDocumentType(ctx, docID, owner.id, category, docType, sealed); err != nil {
		return mapMeta("file", err)
	}
	return s.record(ctx, owner.id, Event{
		Kind: EventDocumentFiled, ActorKind: ActorOwner, ActorID: owner.id,
		DocumentID: docID, DocumentType: docType, DocumentTitle: title,
	})
}
