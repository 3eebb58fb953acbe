package vault

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"filippo.io/age"

	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// Request statuses.
const (
	RequestPending   = meta.RequestPending
	RequestAccepted  = meta.RequestAccepted
	RequestDeclined  = meta.RequestDeclined
	RequestFulfilled = "fulfilled"
)

// Limits on requests.
const (
	MaxMessageLen   = 1000 // bytes of UTF-8
	maxRequestTypes = 30
)

// NewRequest is a worker's request to an owner for documents.
type NewRequest struct {
	OwnerID string
	Purpose string
	// Types are catalogue document type ids (the checklist).
	Types []string
	// Days is the consent duration asked for: 1, 31, 182 or 365.
	Days    int
	Message string
}

// Request is a request as the owner or the worker sees it.
type Request struct {
	ID, OwnerID, WorkerID, WorkerName, OrgName, Purpose string
	Types                                               []string
	Days                                                int
	Message                                             string
	// Status is one of the Request* constants: "fulfilled" once accepted
	// and every requested type is covered by a live consented document.
	Status string
	// Fulfilled says, per requested type, whether a document of that type
	// is covered by the request's consent while it is live.
	Fulfilled map[string]bool
	Created   time.Time
	ConsentID string
	// Ended is when the request's consent stopped (zero while live or if
	// never given); EndRevoked says the owner stopped it (else it expired).
	Ended      time.Time
	EndRevoked bool
}

// RequestStore keeps requests. Contracts: AcceptRequest marks a pending
// request accepted and inserts its consent in one transaction
// (meta.ErrConflict when no longer pending); DeclineRequest likewise.
type RequestStore interface {
	InsertRequest(ctx context.Context, r meta.Request) error
	Request(ctx context.Context, id string) (meta.Request, error)
	RequestsOfOwner(ctx context.Context, ownerID string) ([]meta.Request, error)
	RequestsOfWorker(ctx context.Context, workerID string) ([]meta.Request, error)
	AcceptRequest(ctx context.Context, id, ownerID string, c meta.Consent, now time.Time) error
	DeclineRequest(ctx context.Context, id, ownerID string, now time.Time) error
}

// requestDetails is the sealed part of a request.
type requestDetails struct {
	Purpose string `json:"p,omitempty"`
	Message string `json:"m,omitempty"`
}

func (nr *NewRequest) check() error {
	if !validID(nr.OwnerID) {
		return fmt.Errorf("vault: request: owner: %w", ErrNotFound)
	}
	return nr.checkBody()
}

// checkBody checks everything but the owner.
func (nr *NewRequest) checkBody() error {
	if len(nr.Types) == 0 || len(nr.Types) > maxRequestTypes {
		return fmt.Errorf("%w: a request asks for 1 to %d document types", ErrInvalid, maxRequestTypes)
	}
	var ts []string
	for _, t := range nr.Types {
		if _, ok := DocTypeByID(t); !ok {
			return fmt.Errorf("%w: document type %q", ErrInvalid, t)
		}
		if !slices.Contains(ts, t) {
			ts = append(ts, t)
		}
	}
	nr.Types = ts
	if !slices.Contains(ConsentDays, nr.Days) {
		return fmt.Errorf("%w: consent duration %d days (1, 31, 182 or 365)", ErrInvalid, nr.Days)
	}
	if err := checkText("purpose", nr.Purpose, MaxPurposeLen); err != nil {
		return err
	}
	return checkText("message", nr.Message, MaxMessageLen)
}

// CreateRequest sends a request from a worker to an owner; it shows in the
// owner's journal. Errors: ErrInvalid (not a worker, bad checklist or
// duration), ErrNotFound (owner).
func (s *Service) CreateRequest(ctx context.Context, worker *Principal, nr NewRequest) (Request, error) {
	if !worker.valid() || worker.kind != KindWorker {
		return Request{}, fmt.Errorf("%w: worker required", ErrInvalid)
	}
	if err := nr.check(); err != nil {
		return Request{}, err
	}
	o, err := s.meta.Owner(ctx, nr.OwnerID)
	if err != nil {
		return Request{}, mapMeta("request", err)
	}
	ownerRcpt, err := seal.ParseRecipient(o.PublicKey)
	if err != nil {
		return Request{}, fmt.Errorf("vault: request: owner key: %w: %w", ErrCorrupt, err)
	}
	dj, err := json.Marshal(requestDetails{Purpose: nr.Purpose, Message: nr.Message})
	if err != nil {
		return Request{}, fmt.Errorf("vault: request: %w", err)
	}
	details, err := seal.SealString(string(dj), ownerRcpt, worker.identity.Recipient())
	if err != nil {
		return Request{}, fmt.Errorf("vault: request: seal: %w", err)
	}
	id, err := newID()
	if err != nil {
		return Request{}, err
	}
	row := meta.Request{
		ID: id, OwnerID: o.ID, WorkerID: worker.id, DetailsSealed: details, Types: nr.Types,
		Days: nr.Days, Status: meta.RequestPending, Created: s.now().UTC(),
	}
	if err := s.meta.InsertRequest(ctx, row); err != nil {
		return Request{}, mapMeta("request", err)
	}
	ev := s.actorEvent(ctx, worker, Event{Kind: EventRequestReceived, Detail: nr.Purpose})
	if err := s.record(ctx, o.ID, ev); err != nil {
		return Request{}, err
	}
	r := requestView(row, requestDetails{Purpose: nr.Purpose, Message: nr.Message})
	r.WorkerName, r.OrgName = ev.ActorName, ev.OrgName
	r.Fulfilled = map[string]bool{}
	for _, t := range r.Types {
		r.Fulfilled[t] = false
	}
	return r, nil
}

func requestView(r meta.Request, d requestDetails) Request {
	return Request{
		ID: r.ID, OwnerID: r.OwnerID, WorkerID: r.WorkerID, Purpose: d.Purpose, Message: d.Message,
		Types: r.Types, Days: r.Days, Status: r.Status, Created: r.Created, ConsentID: r.ConsentID,
	}
}

func openRequest(r meta.Request, ids ...age.Identity) (requestDetails, error) {
	var d requestDetails
	s, err := seal.OpenString(r.DetailsSealed, ids...)
	if err != nil {
		return d, fmt.Errorf("vault: request %s: %w: %w", r.ID, ErrCorrupt, err)
	}
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return d, fmt.Errorf("vault: request %s: %w: %w", r.ID, ErrCorrupt, err)
	}
	return d, nil
}

// Requests lists requests, newest first: those an owner received, or those
// a worker sent, each with its progress per type.
func (s *Service) Requests(ctx context.Context, p *Principal) ([]Request, error) {
	if !p.valid() {
		return nil, fmt.Errorf("%w: no principal", ErrInvalid)
	}
	var rs []meta.Request
	var err error
	if p.kind == KindOwner {
		s.deliverWaitingFor(ctx, p.id) // requests made with the owner's identifier
		rs, err = s.meta.RequestsOfOwner(ctx, p.id)
	} else {
		rs, err = s.meta.RequestsOfWorker(ctx, p.id)
	}
	if err != nil {
		return nil, mapMeta("requests", err)
	}
	docs := map[string][]meta.Document{} // by owner, loaded once
	out := make([]Request, 0, len(rs))
	for _, r := range rs {
		d, err := openRequest(r, p.identity)
		if err != nil {
			return nil, err
		}
		v := requestView(r, d)
		if info, err := s.WorkerInfo(ctx, r.WorkerID); err == nil {
			v.WorkerName, v.OrgName = info.Name, info.OrgName
		}
		if err := s.progress(ctx, &v, docs); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if p.kind == KindOwner {
		return out, nil
	}
	// Until the person answers, a worker's request names no vault, like a
	// request waiting for an identifier without one (requests_waiting.go).
	for i := range out {
		if out[i].Status == RequestPending {
			out[i].OwnerID = ""
		}
	}
	return s.waitingOfWorker(ctx, p, out)
}

// progress fills r.Fulfilled (and the fulfilled status) from the owner's
// documents that the request's consent covers while live. Only metadata
// in clear (type, category) is used: no key is needed.
func (s *Service) progress(ctx context.Context, r *Request, docs map[string][]meta.Document) error {
	r.Fulfilled = make(map[string]bool, len(r.Types))
	for _, t := range r.Types {
		r.Fulfilled[t] = false
	}
	if r.ConsentID == "" {
		return nil
	}
	c, err := s.meta.Consent(ctx, r.ConsentID)
	if err != nil {
		return mapMeta("request progress", err)
	}
	if !c.LiveAt(s.now()) {
		r.Ended, r.EndRevoked = consentEnd(c.Revoked, c.Expires)
		return nil
	}
	ds, ok := docs[r.OwnerID]
	if !ok {
		accs, err := s.meta.ListAccess(ctx, KindOwner, r.OwnerID)
		if err != nil {
			return mapMeta("request progress", err)
		}
		for _, a := range accs {
			ds = append(ds, a.Document)
		}
		docs[r.OwnerID] = ds
	}
	all := true
	for _, t := range r.Types {
		r.Fulfilled[t] = slices.ContainsFunc(ds, func(d meta.Document) bool { return d.DocType == t && c.Covers(d) })
		all = all && r.Fulfilled[t]
	}
	if all && r.Status == RequestAccepted {
		r.Status = RequestFulfilled
	}
	return nil
}

// Acceptance is what the owner chose on the accept screen.
type Acceptance struct {
	// Documents are the papers she ticked.
	Documents []string
	// Future are requested types whose papers she also shares as she adds
	// them, until the consent ends (never "other").
	Future []string
	// ShowName is the name the worker sees for her ("" for none).
	ShowName string
}

// AcceptRequest accepts a pending request: it grants the worker a consent
// for exactly the papers ticked and, when chosen, the papers of the
// chosen requested types the owner adds until it ends, for the request's
// duration and purpose. Nothing else: an unticked paper, another paper of
// the same category, a later paper of a type not chosen, or a paper of
// type "other" stays hers. Journaled. Errors: ErrInvalid (not an owner,
// nothing chosen, a future type not requested or "other", name too long),
// ErrNotFound (request, or a document not the owner's), ErrConflict (not
// pending), ErrConfirmRequired (accepting grants a consent: it needs a
// confirmed owner, as GrantConsent does).
func (s *Service) AcceptRequest(ctx context.Context, owner *Principal, requestID string, a Acceptance) (Consent, error) {
	if err := requireConfirmedOwner(owner); err != nil {
		return Consent{}, err
	}
	r, err := s.ownedRequest(ctx, owner, requestID)
	if err != nil {
		return Consent{}, err
	}
	if r.Status != meta.RequestPending {
		return Consent{}, fmt.Errorf("vault: accept request: %s: %w", r.Status, ErrConflict)
	}
	d, err := openRequest(r, owner.identity)
	if err != nil {
		return Consent{}, err
	}
	for _, id := range a.Documents {
		if _, err := s.ownedAccess(ctx, owner, id); err != nil {
			return Consent{}, err
		}
	}
	var future []string
	for _, t := range a.Future {
		if !slices.Contains(r.Types, t) || !meta.Scoped(t) {
			return Consent{}, fmt.Errorf("%w: papers of type %q were not asked for or cannot be shared by type", ErrInvalid, t)
		}
		if !slices.Contains(future, t) {
			future = append(future, t)
		}
	}
	if len(a.Documents)+len(future) == 0 {
		return Consent{}, fmt.Errorf("vault: accept request: %w", ErrNothingChosen)
	}
	nc := NewConsent{
		Grantee: Grantee{Kind: KindWorker, ID: r.WorkerID}, Scope: Scope{Documents: a.Documents, Types: future},
		Purpose: d.Purpose, Days: r.Days, ShowName: a.ShowName,
	}
	c, err := s.newConsent(ctx, owner, nc)
	if err != nil {
		return Consent{}, err
	}
	if err := s.meta.AcceptRequest(ctx, r.ID, owner.id, c, s.now().UTC()); err != nil {
		return Consent{}, mapMeta("accept request", err)
	}
	out, err := s.finishGrant(ctx, owner, c, nc)
	if err != nil {
		return Consent{}, err
	}
	return out, s.record(ctx, owner.id, Event{
		Kind: EventRequestAccepted, ActorKind: ActorOwner, ActorID: owner.id, Target: out.GranteeName, Detail: d.Purpose,
	})
}

func (s *Service) ownedRequest(ctx context.Context, owner *Principal, id string) (meta.Request, error) {
	if !validID(id) {
		return meta.Request{}, fmt.Errorf("vault: request: %w", ErrNotFound)
	}
	r, err := s.meta.Request(ctx, id)
	if err != nil || r.OwnerID != owner.id {
		return meta.Request{}, fmt.Errorf("vault: request: %w", ErrNotFound)
	}
	return r, nil
}

// DeclineRequest declines a pending request. Journaled. Errors:
// ErrInvalid, ErrNotFound, ErrConflict (not pending).
func (s *Service) DeclineRequest(ctx context.Context, owner *Principal, requestID string) error {
	if err := requireOwner(owner); err != nil {
		return err
	}
	r, err := s.ownedRequest(ctx, owner, requestID)
	if err != nil {
		return err
	}
	if err := s.meta.DeclineRequest(ctx, r.ID, owner.id, s.now().UTC()); err != nil {
		return mapMeta("decline request", err)
	}
	d, _ := openRequest(r, owner.identity)
	return s.record(ctx, owner.id, Event{
		Kind: EventRequestDeclined, ActorKind: ActorOwner, ActorID: owner.id,
		Target: s.granteeName(ctx, Grantee{Kind: KindWorker, ID: r.WorkerID}), Detail: d.Purpose,
	})
}
