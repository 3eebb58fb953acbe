package notify

import (
	"context"
	"slices"

	"github.com/coffre/coffre/vault"
)

var _ vault.EventSink = (*Service)(nil)

// JournalEvent turns a stored journal event into alerts (vault.EventSink):
//   - a worker viewed or downloaded a document → the owner (access);
//   - a drop link was used → the owner (access);
//   - a consent ended → the owner (access);
//   - a worker's request arrived → the owner (access);
//   - the owner shared papers with a worker (accepting a request, of her
//     own accord, or taking a stop back) → that worker (request);
//   - the owner stopped sharing with a worker → that worker (request),
//     once the minute in which she can take it back has passed; a stop
//     taken back within it tells the worker nothing, nor does its undo;
//   - access restored by assisted recovery → the owner (access);
//   - a document arrived (by link or added) that workers may read under a
//     consent → each of those workers (request);
//   - a worker asked her to redo a paper, or its replacement is still
//     unreadable → the owner (access); the redo forwarded to her helper,
//     or its replacement arrived → the worker who asked (request).
//
// It only queues (one small transaction) and wakes the scheduler; failures
// go to OnError and never to the vault.
func (s *Service) JournalEvent(ctx context.Context, ownerID string, e vault.Event) {
	eventID, err := newID()
	if err != nil {
		s.report(err)
		return
	}
	owner := Recipient{Kind: vault.KindOwner, ID: ownerID}
	p := payload{Subject: e.Kind, DocType: e.DocumentType, Title: e.DocumentTitle, At: e.At}
	toOwner := false
	switch e.Kind {
	case vault.EventDocumentViewed, vault.EventDocumentDownload:
		toOwner = e.ActorKind == vault.ActorWorker
		p.Actor, p.Org = e.ActorName, e.OrgName
		// A worker's reads of one paper in one day make one message.
		p.Group = "read:" + e.Kind + ":" + e.DocumentID + ":" + e.ActorID + ":" + dayKey(e.At)
	case vault.EventUploadViaLink:
		toOwner = true
	case vault.EventConsentExpired:
		toOwner = true
		p.Target = e.Target
		p.DocType, p.Title = "", ""
	case vault.EventAlertContactAdded, vault.EventAlertTitlesOn:
		// A new address or titles in the alerts: the addresses she had
		// learn of it (a thief's address would not be hers).
		toOwner = true
		p.Target = e.Detail
		p.DocType, p.Title = "", ""
	case vault.EventAssistedRecovery:
		toOwner = true
		p.Actor, p.Org = e.ActorName, e.OrgName
		p.DocType, p.Title = "", ""
	case vault.EventRequestReceived, vault.EventRequestWaited:
		// A worker's request reaches the owner where she looks (inbox)
		// and on the channels she chose for access alerts.
		toOwner = true
		p.Actor, p.Org = e.ActorName, e.OrgName
		p.DocType, p.Title = "", ""
	case vault.EventRedoAsked, vault.EventRedoFailed:
		// A worker asks her to redo a paper, or what came back for it is
		// still unreadable: where she looks, as a request does.
		toOwner = true
		p.Actor, p.Org, p.Title = e.ActorName, e.OrgName, ""
	case vault.EventRedoForwarded, vault.EventRedoSelf, vault.EventRedoClosed:
		s.redoMoved(ctx, e, eventID)
	case vault.EventConsentRevoked:
		s.sharingStopped(ctx, e, eventID)
	case vault.EventConsentGranted:
		if !s.stopTakenBack(ctx, e) {
			s.sharingStarted(ctx, e, eventID)
		}
	}
	if toOwner {
		p.Journal = e.Checkpoint
		if _, err := s.queue(ctx, notice{to: owner, kind: KindAccess, key: "event:" + eventID, p: p}); err != nil {
			s.report(err)
		}
	}
	if (e.Kind == vault.EventUploadViaLink || e.Kind == vault.EventDocumentAdded || e.Kind == vault.EventDocumentShared) && e.DocumentID != "" {
		workers, err := s.store.DocumentWorkers(ctx, e.DocumentID)
		if err != nil {
			s.report(err)
			return
		}
		wp := payload{Subject: subjectDocsArrived, DocType: e.DocumentType, At: e.At}
		for _, w := range workers {
			if e.ActorKind == vault.ActorWorker && e.ActorID == w {
				continue
			}
			// Keyed by document: a document announced by two events
			// (added, then deposited) is announced once.
			n := notice{to: Recipient{Kind: vault.KindWorker, ID: w}, kind: KindRequest, key: "arrived:" + e.DocumentID + ":" + w, p: wp}
			if _, err := s.queue(ctx, n); err != nil {
				s.report(err)
			}
		}
	}
}

// redoMoved tells the worker who asked for a redo that it is on its way
// (the owner forwarded it to her helper) or done (the replacement
// arrived), naming no one and only the paper's type (a message may travel
// by e-mail).
func (s *Service) redoMoved(ctx context.Context, e vault.Event, eventID string) {
	if e.Grantee.Kind != vault.KindWorker || e.Grantee.ID == "" {
		return
	}
	p := payload{Subject: e.Kind, DocType: e.DocumentType, At: e.At}
	n := notice{to: Recipient{Kind: vault.KindWorker, ID: e.Grantee.ID}, kind: KindRequest, key: "redo:" + eventID, p: p}
	if _, err := s.queue(ctx, n); err != nil {
		s.report(err)
	}
}

// alertKinds lists the journal kinds that alert someone (for docs and tests).
var alertKinds = []string{
	vault.EventDocumentViewed, vault.EventDocumentDownload, vault.EventUploadViaLink,
	vault.EventConsentExpired, vault.EventAssistedRecovery, vault.EventDocumentAdded, vault.EventDocumentShared,
	vault.EventRequestReceived, vault.EventRequestWaited, vault.EventConsentRevoked, vault.EventConsentGranted,
	vault.EventRedoAsked, vault.EventRedoFailed, vault.EventRedoForwarded, vault.EventRedoSelf, vault.EventRedoClosed,
	vault.EventAlertContactAdded, vault.EventAlertTitlesOn,
}

// sharingStopped tells the worker an owner stopped sharing with (a consent
// to an organisation tells no one: its members are many).
func (s *Service) sharingStopped(ctx context.Context, e vault.Event, eventID string) {
	if e.Grantee.Kind != vault.KindWorker || e.Grantee.ID == "" {
		return
	}
	p := payload{Subject: subjectSharingStopped, Actor: e.ShownName, At: e.At}
	// Held back while the owner can still take the stop back: a stop and
	// its undo tell the worker nothing (stopTakenBack).
	n := notice{to: Recipient{Kind: vault.KindWorker, ID: e.Grantee.ID}, kind: KindRequest,
		key: stopKey(e) + eventID, p: p, due: s.now().UTC().Add(vault.UndoWindow)}
	if _, err := s.queue(ctx, n); err != nil {
		s.report(err)
	}
}

// stopKey starts the idempotency keys of a stop's messages: by consent,
// so that its undo finds them.
func stopKey(e vault.Event) string { return "stopped:" + e.ConsentID + ":" }

// stopTakenBack drops the messages of the stop an undo takes back, while
// none went out yet, and reports whether it did: the worker, never told
// of the stop, is not told of the undo either. An undo after the stop's
// message went out is told like any share.
func (s *Service) stopTakenBack(ctx context.Context, e vault.Event) bool {
	if !e.Undo || e.ConsentID == "" || e.Grantee.Kind != vault.KindWorker || e.Grantee.ID == "" {
		return false
	}
	n, err := s.store.DropQueuedOutbox(ctx, vault.KindWorker, e.Grantee.ID, stopKey(e), s.now().UTC())
	if err != nil {
		s.report(err)
		return false
	}
	return n > 0
}

// sharingStarted tells the worker someone shared papers with them, naming
// no one (their page says who); a consent to an organisation tells no one,
// as when it ends.
func (s *Service) sharingStarted(ctx context.Context, e vault.Event, eventID string) {
	if e.Grantee.Kind != vault.KindWorker || e.Grantee.ID == "" {
		return
	}
	p := payload{Subject: subjectSharingStarted, At: e.At}
	n := notice{to: Recipient{Kind: vault.KindWorker, ID: e.Grantee.ID}, kind: KindRequest, key: "shared:" + eventID, p: p}
	if _, err := s.queue(ctx, n); err != nil {
		s.report(err)
	}
}

// Alerts reports whether a journal event kind can produce a notification.
func Alerts(kind string) bool { return slices.Contains(alertKinds, kind) }
