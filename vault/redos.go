package vault

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// "Redo this one, because…" (issue 17). A worker who received a paper for
// one of their requests and cannot use it marks it to be redone, with a
// reason from a short list and, for "other", a few words. The owner sees
// it (Redos) and may forward it to her helper (ForwardRedo): that makes a
// one-item drop link for the paper's type, answering the request, whose
// label she chooses (the api writes the reason in her words). The redo
// closes when a replacement arrives through that link and passes the
// readability check (no NewDocument.Checks); one that does not pass
// puts the redo back to open, for the owner to forward again. Every step
// is journaled in the owner's journal (and so notified, EventSink). The
// replacement is shared with the worker only as the request's consent
// shares papers of its type the owner adds: forwarding a redo shares
// nothing by itself.

// Redo reasons (codes: the api says them in the person's language).
const (
	RedoUnreadable  = "unreadable"
	RedoPageMissing = "page_missing"
	RedoWrongPeriod = "wrong_period"
	RedoExpired     = "expired"
	RedoWrongPerson = "wrong_person"
	RedoOther       = "other"
)

// RedoReasons lists the reasons, in the order the worker sees them.
var RedoReasons = []string{RedoUnreadable, RedoPageMissing, RedoWrongPeriod, RedoExpired, RedoWrongPerson, RedoOther}

// Redo statuses.
const (
	RedoOpen      = meta.RedoOpen
	RedoForwarded = meta.RedoForwarded
	RedoClosed    = meta.RedoClosed
)

// MaxRedoNoteLen bounds the worker's few words (bytes of UTF-8).
const MaxRedoNoteLen = 200

// RedoLinkTTL is how long the link a redo is forwarded through lives.
const RedoLinkTTL = 7 * 24 * time.Hour

// Journal event kinds of the redo loop.
const (
	EventRedoAsked     = "redo-asked"
	EventRedoForwarded = "redo-forwarded"
	// EventRedoSelf: the owner redoes it herself (the same one-item link,
	// opened on her own phone).
	EventRedoSelf   = "redo-self"
	EventRedoClosed = "redo-closed"
	EventRedoFailed = "redo-failed"
)

// ErrRedoNote: the reason "other" needs a few words.
var ErrRedoNote = fmt.Errorf("%w: the reason \"other\" needs a few words", ErrInvalid)

// Redo is a redo as the owner or the worker sees it.
type Redo struct {
	ID, OwnerID, RequestID, WorkerID string
	WorkerName, OrgName              string
	// DocumentID is the paper to redo; DocType its type (the request's item).
	DocumentID, DocType string
	Reason, Note        string
	Status              string
	// LinkID is the drop link it was forwarded through ("" before).
	LinkID string
	// ReplacementID is the paper that closed it.
	ReplacementID              string
	Created, Forwarded, Closed time.Time
}

// RedoStore keeps redos. Contracts: InsertRedo refuses (ErrConflict) a
// second redo not closed for the same request and type; ForwardRedo,
// CloseRedo and ReopenRedo change a redo through its integrity check and
// refuse (ErrConflict) a status they do not start from; ForwardRedo revokes
// the link the row held, in the same transaction (of racing forwards, the
// last link alone stays live); RedoByLink finds
// the forwarded redo of a link (ErrNotFound for none).
type RedoStore interface {
	InsertRedo(ctx context.Context, r meta.Redo) error
	Redo(ctx context.Context, id string) (meta.Redo, error)
	RedosOfOwner(ctx context.Context, ownerID string) ([]meta.Redo, error)
	RedosOfWorker(ctx context.Context, workerID string) ([]meta.Redo, error)
	RedoByLink(ctx context.Context, linkID string) (meta.Redo, error)
	ForwardRedo(ctx context.Context, id, linkID string, now time.Time) error
	CloseRedo(ctx context.Context, id, replacementID string, now time.Time) error
	ReopenRedo(ctx context.Context, id string) error
}

// NewRedo is a worker's redo.
type NewRedo struct {
	RequestID, DocumentID string
	Reason                string
	// Note is a few words (needed for RedoOther).
	Note string
}

func (nr *NewRedo) check() error {
	if !validID(nr.RequestID) || !validID(nr.DocumentID) {
		return fmt.Errorf("vault: redo: %w", ErrNotFound)
	}
	if !slices.Contains(RedoReasons, nr.Reason) {
		return fmt.Errorf("%w: redo reason %q", ErrInvalid, nr.Reason)
	}
	nr.Note = strings.TrimSpace(nr.Note)
	if err := checkText("note", nr.Note, MaxRedoNoteLen); err != nil {
		return err
	}
	if strings.ContainsFunc(nr.Note, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return fmt.Errorf("%w: control characters in the note", ErrInvalid)
	}
	if nr.Reason == RedoOther && nr.Note == "" {
		return ErrRedoNote
	}
	return nil
}

// AskRedo marks a paper the worker received for their request as to be
// redone. The paper must be the owner's, of a type the request asked for,
// and readable by the worker under the request's live consent. Journaled
// in the owner's journal. Errors: ErrInvalid (not a worker, reason, note),
// ErrRedoNote, ErrNotFound (request not theirs, paper not received for
// it, consent ended), ErrConflict (a redo of that type is not closed yet).
func (s *Service) AskRedo(ctx context.Context, worker *Principal, nr NewRedo) (Redo, error) {
	if !worker.valid() || worker.kind != KindWorker {
		return Redo{}, fmt.Errorf("%w: worker required", ErrInvalid)
	}
	if err := nr.check(); err != nil {
		return Redo{}, err
	}
	now := s.now().UTC()
	r, err := s.meta.Request(ctx, nr.RequestID)
	if err != nil || r.WorkerID != worker.id || r.ConsentID == "" {
		return Redo{}, fmt.Errorf("vault: redo: request: %w", ErrNotFound)
	}
	c, err := s.meta.Consent(ctx, r.ConsentID)
	if err != nil || !c.LiveAt(now) {
		return Redo{}, fmt.Errorf("vault: redo: consent: %w", ErrNotFound)
	}
	d, err := s.meta.Document(ctx, nr.DocumentID)
	if err != nil || d.OwnerID != r.OwnerID || !slices.Contains(r.Types, d.DocType) || !c.Covers(d) {
		return Redo{}, fmt.Errorf("vault: redo: paper: %w", ErrNotFound)
	}
	o, err := s.meta.Owner(ctx, r.OwnerID)
	if err != nil {
		return Redo{}, mapMeta("redo", err)
	}
	var note []byte
	if nr.Note != "" {
		ownerRcpt, err := seal.ParseRecipient(o.PublicKey)
		if err != nil {
			return Redo{}, fmt.Errorf("vault: redo: owner key: %w: %w", ErrCorrupt, err)
		}
		if note, err = seal.SealString(nr.Note, ownerRcpt, worker.identity.Recipient()); err != nil {
			return Redo{}, fmt.Errorf("vault: redo: seal: %w", err)
		}
	}
	id, err := newID()
	if err != nil {
		return Redo{}, err
	}
	row := meta.Redo{
		ID: id, OwnerID: r.OwnerID, RequestID: r.ID, WorkerID: worker.id, DocumentID: d.ID, DocType: d.DocType,
		Reason: nr.Reason, NoteSealed: note, Status: RedoOpen, Created: now,
	}
	if err := s.meta.InsertRedo(ctx, row); err != nil {
		return Redo{}, mapMeta("redo", err)
	}
	ev := s.actorEvent(ctx, worker, Event{Kind: EventRedoAsked, DocumentID: d.ID, DocumentType: d.DocType, Detail: nr.Reason})
	if err := s.record(ctx, r.OwnerID, ev); err != nil {
		return Redo{}, err
	}
	out := redoView(row, nr.Note)
	out.WorkerName, out.OrgName = ev.ActorName, ev.OrgName
	return out, nil
}

func redoView(r meta.Redo, note string) Redo {
	return Redo{
		ID: r.ID, OwnerID: r.OwnerID, RequestID: r.RequestID, WorkerID: r.WorkerID, DocumentID: r.DocumentID,
		DocType: r.DocType, Reason: r.Reason, Note: note, Status: r.Status, LinkID: r.LinkID,
		ReplacementID: r.ReplacementID, Created: r.Created, Forwarded: r.Forwarded, Closed: r.Closed,
	}
}

// Redos lists the redos an owner was asked, or those a worker asked,
// newest first, with the worker's name and the note opened.
func (s *Service) Redos(ctx context.Context, p *Principal) ([]Redo, error) {
	if !p.valid() {
		return nil, fmt.Errorf("%w: no principal", ErrInvalid)
	}
	var rs []meta.Redo
	var err error
	if p.kind == KindOwner {
		rs, err = s.meta.RedosOfOwner(ctx, p.id)
	} else {
		rs, err = s.meta.RedosOfWorker(ctx, p.id)
	}
	if err != nil {
		return nil, mapMeta("redos", err)
	}
	out := make([]Redo, 0, len(rs))
	for _, r := range rs {
		note := ""
		if len(r.NoteSealed) > 0 {
			if note, err = seal.OpenString(r.NoteSealed, p.identity); err != nil {
				return nil, fmt.Errorf("vault: redo %s: %w: %w", r.ID, ErrCorrupt, err)
			}
		}
		v := redoView(r, note)
		if info, err := s.WorkerInfo(ctx, r.WorkerID); err == nil {
			v.WorkerName, v.OrgName = info.Name, info.OrgName
		}
		out = append(out, v)
	}
	return out, nil
}

// RedoLink is the owner's choice when she forwards a redo.
type RedoLink struct {
	// Label is what the helper reads (the reason, in the owner's words).
	Label string
	// From is the name shown to the helper ("" for none).
	From string
	// Self: the owner redoes it herself (journaled as EventRedoSelf; the
	// worker is told the same, that the person is seeing to it).
	Self bool
}

// ForwardRedo makes the one-item drop link through which the owner's
// helper sends a replacement: the paper's type only, one use, RedoLinkTTL,
// answering the request (so a deposit is shared with the worker exactly as
// the request's consent shares papers of that type). A redo forwarded
// again gets a new link; the previous one is stopped. It returns the
// token (shown once) and the link. Journaled. Errors: ErrInvalid (not an
// owner, label), ErrNotFound (not her redo), ErrConflict (closed).
func (s *Service) ForwardRedo(ctx context.Context, owner *Principal, redoID string, rl RedoLink) (string, DropLink, error) {
	if err := requireOwner(owner); err != nil {
		return "", DropLink{}, err
	}
	if !validID(redoID) {
		return "", DropLink{}, fmt.Errorf("vault: redo: %w", ErrNotFound)
	}
	r, err := s.meta.Redo(ctx, redoID)
	if err != nil || r.OwnerID != owner.id {
		return "", DropLink{}, fmt.Errorf("vault: redo: %w", ErrNotFound)
	}
	if r.Status == RedoClosed {
		return "", DropLink{}, fmt.Errorf("vault: redo: closed: %w", ErrConflict)
	}
	token, link, err := s.CreateDropLink(ctx, owner, owner.id, NewDropLink{
		Label: rl.Label, From: rl.From, Requested: []string{r.DocType}, TTL: RedoLinkTTL, MaxUses: 1, RequestID: r.RequestID,
	})
	if err != nil {
		return "", DropLink{}, err
	}
	now := s.now().UTC()
	if err := s.meta.ForwardRedo(ctx, r.ID, link.ID, now); err != nil {
		_ = s.meta.RevokeDropLink(context.WithoutCancel(ctx), link.ID, now)
		return "", DropLink{}, mapMeta("forward redo", err)
	}
	// The previous link takes nothing more: meta.ForwardRedo revoked it in
	// its transaction.
	kind := EventRedoForwarded
	if rl.Self {
		kind = EventRedoSelf
	}
	err = s.record(ctx, owner.id, Event{
		Kind: kind, ActorKind: ActorOwner, ActorID: owner.id, DocumentID: r.DocumentID,
		DocumentType: r.DocType, Detail: r.Reason, Grantee: Grantee{Kind: KindWorker, ID: r.WorkerID},
		Target: s.granteeName(ctx, Grantee{Kind: KindWorker, ID: r.WorkerID}),
	})
	return token, link, err
}

// redoArrived closes (or reopens) the redo a drop link was forwarded for,
// once a paper arrived through it: closed when it passed the check,
// reopened otherwise. A link made for no redo does nothing.
func (s *Service) redoArrived(ctx context.Context, linkID string, doc Document, unreadable bool) error {
	r, err := s.meta.RedoByLink(ctx, linkID)
	if errors.Is(err, meta.ErrNotFound) {
		return nil
	}
	if err != nil {
		return mapMeta("redo", err)
	}
	ev := Event{
		ActorKind: ActorHelper, DocumentID: doc.ID, DocumentType: r.DocType, Detail: r.Reason,
		Grantee: Grantee{Kind: KindWorker, ID: r.WorkerID}, Target: s.granteeName(ctx, Grantee{Kind: KindWorker, ID: r.WorkerID}),
	}
	if unreadable {
		if err := s.meta.ReopenRedo(ctx, r.ID); err != nil {
			return mapMeta("redo", err)
		}
		ev.Kind = EventRedoFailed
	} else {
		if err := s.meta.CloseRedo(ctx, r.ID, doc.ID, s.now().UTC()); err != nil {
			return mapMeta("redo", err)
		}
		ev.Kind = EventRedoClosed
	}
	return s.record(ctx, r.OwnerID, ev)
}
