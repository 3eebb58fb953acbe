package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"filippo.io/age"

	"github.com/coffre/coffre/vault/meta"
	"github.com/coffre/coffre/vault/seal"
)

// Requests by identifier. A worker asking for papers by a phone number or
// pseudonym learns nothing about whether a vault has that identifier: the
// answer is the same request, "waiting for the person", in both cases, and
// it is made by the same work (no vault is even looked up): the request is
// stored as waiting for the identifier's keyed hash. It is delivered to the
// vault that has (or gets) that identifier, and journaled there, when the
// owner opens their requests, when such a vault is created, or by the
// maintenance sweep (SweepAccounts, every few minutes), whichever comes
// first; unclaimed, it expires after WaitingDays. Until the person
// answers, the worker's view of any request names no vault (OwnerID is
// empty). Lookups are counted per worker in the database (across
// instances): past lookupFree a day they are slowed, past lookupLockAfter
// refused for an hour.

// WaitingDays is how long a request for an identifier without a vault
// waits for a vault to be created with it.
const WaitingDays = 31

// Throttling of lookups by identifier, per worker.
const (
	lookupFree      = 30
	lookupLockAfter = 60
	scopeLookup     = "identifier-lookup"
)

func lookupBlock(n int) time.Duration {
	switch {
	case n >= lookupLockAfter:
		return throttleLock
	case n >= lookupFree:
		return growing((n - lookupFree) / 2)
	}
	return 0
}

// EventRequestWaited: a request a worker made with the owner's identifier
// was delivered (the event's time is the delivery's; the request keeps its
// own date).
const EventRequestWaited = "request-waited"

// CreateRequestByIdentifier sends a request to the person known by
// identifier (see the top of this file): the answer is the same whether
// or not a vault has that identifier. Errors: ErrInvalid (not a worker,
// malformed identifier, bad checklist or duration), ErrThrottled.
func (s *Service) CreateRequestByIdentifier(ctx context.Context, worker *Principal, identifier string, nr NewRequest) (Request, error) {
	if !worker.valid() || worker.kind != KindWorker {
		return Request{}, fmt.Errorf("%w: worker required", ErrInvalid)
	}
	if err := nr.checkBody(); err != nil {
		return Request{}, err
	}
	ident, err := NormalizeIdentifier(identifier)
	if err != nil {
		return Request{}, err
	}
	if err := s.countLookup(ctx, worker.id); err != nil {
		return Request{}, err
	}
	hash := s.identifierHash(ident)
	dj, err := json.Marshal(requestDetails{Purpose: nr.Purpose, Message: nr.Message})
	if err != nil {
		return Request{}, fmt.Errorf("vault: request: %w", err)
	}
	details, err := seal.SealString(string(dj), worker.identity.Recipient(), s.serverIdentity().Recipient())
	if err != nil {
		return Request{}, fmt.Errorf("vault: request: seal: %w", err)
	}
	id, err := newID()
	if err != nil {
		return Request{}, err
	}
	now := s.now().UTC()
	row := meta.WaitingRequest{
		ID: id, WorkerID: worker.id, IdentifierHash: hash, DetailsSealed: details, Types: nr.Types, Days: nr.Days,
		Created: now, Expires: now.Add(WaitingDays * 24 * time.Hour),
	}
	if err := s.meta.InsertWaitingRequest(ctx, row); err != nil {
		return Request{}, mapMeta("request", err)
	}
	ev := s.actorEvent(ctx, worker, Event{Kind: EventRequestReceived, Detail: nr.Purpose})
	r := waitingView(row, requestDetails{Purpose: nr.Purpose, Message: nr.Message})
	r.WorkerName, r.OrgName = ev.ActorName, ev.OrgName
	return r, nil
}

// countLookup counts one lookup by identifier for the worker, or fails
// with a *ThrottledError without counting.
func (s *Service) countLookup(ctx context.Context, workerID string) error {
	now := s.now()
	ok, until, err := s.meta.BeginAttempt(ctx, now, meta.ThrottleRule{
		Key: "l:" + s.keyedHash(infoThrottle, scopeLookup, workerID), Window: throttleWindow, Block: lookupBlock,
	})
	if err != nil {
		return fmt.Errorf("vault: throttle: %w", err)
	}
	if !ok {
		wait := max(until.Sub(now), time.Second)
		return &ThrottledError{RetryAfter: wait.Round(time.Second)}
	}
	return nil
}

// waitingView is the worker's view of a waiting request: a pending request
// naming no vault.
func waitingView(w meta.WaitingRequest, d requestDetails) Request {
	r := Request{
		ID: w.ID, WorkerID: w.WorkerID, Purpose: d.Purpose, Message: d.Message, Types: w.Types, Days: w.Days,
		Status: RequestPending, Created: w.Created, Fulfilled: make(map[string]bool, len(w.Types)),
	}
	for _, t := range w.Types {
		r.Fulfilled[t] = false
	}
	return r
}

// waitingOfWorker adds the worker's waiting requests to rs (newest first).
func (s *Service) waitingOfWorker(ctx context.Context, p *Principal, rs []Request) ([]Request, error) {
	ws, err := s.meta.WaitingRequestsOfWorker(ctx, p.id, s.now().UTC())
	if err != nil {
		return nil, mapMeta("requests", err)
	}
	if len(ws) == 0 {
		return rs, nil
	}
	info, _ := s.WorkerInfo(ctx, p.id)
	for _, w := range ws {
		d, err := openWaiting(w, p.identity)
		if err != nil {
			return nil, err
		}
		r := waitingView(w, d)
		r.WorkerName, r.OrgName = info.Name, info.OrgName
		rs = append(rs, r)
	}
	slices.SortStableFunc(rs, func(a, b Request) int { return b.Created.Compare(a.Created) })
	return rs, nil
}

func openWaiting(w meta.WaitingRequest, id age.Identity) (requestDetails, error) {
	return openRequest(meta.Request{ID: w.ID, DetailsSealed: w.DetailsSealed}, id)
}

// DeliverWaitingRequests delivers every waiting request whose identifier
// has a vault (the maintenance sweep) and returns how many it delivered.
func (s *Service) DeliverWaitingRequests(ctx context.Context) (int, error) {
	n := 0
	for {
		ws, owners, err := s.meta.WaitingForOwners(ctx, s.now().UTC(), 100)
		if err != nil {
			return n, mapMeta("deliver waiting requests", err)
		}
		progress := false
		for i, w := range ws {
			o, err := s.meta.Owner(ctx, owners[i])
			if err != nil {
				continue
			}
			rcpt, err := seal.ParseRecipient(o.PublicKey)
			if err != nil {
				continue
			}
			if s.deliverOne(ctx, o.ID, rcpt, w) == nil {
				n++
				progress = true
			}
		}
		if len(ws) < 100 || !progress {
			return n, nil
		}
	}
}

// deliverWaitingFor delivers the requests waiting for an owner's
// identifier (best effort).
func (s *Service) deliverWaitingFor(ctx context.Context, ownerID string) {
	_, a, err := s.meta.OwnerAccount(ctx, ownerID)
	if err != nil || a.IdentifierHash == "" {
		return
	}
	s.deliverWaiting(ctx, ownerID, a.IdentifierHash)
}

// deliverWaiting turns the requests waiting for an identifier into
// requests to the vault that has it, each journaled in its journal. Best
// effort for each: one that fails stays waiting.
func (s *Service) deliverWaiting(ctx context.Context, ownerID, identifierHash string) {
	ws, err := s.meta.WaitingRequestsFor(ctx, identifierHash, s.now().UTC())
	if err != nil {
		return
	}
	o, err := s.meta.Owner(ctx, ownerID)
	if err != nil {
		return
	}
	ownerRcpt, err := seal.ParseRecipient(o.PublicKey)
	if err != nil {
		return
	}
	for _, w := range ws {
		_ = s.deliverOne(ctx, ownerID, ownerRcpt, w)
	}
}

func (s *Service) deliverOne(ctx context.Context, ownerID string, ownerRcpt age.Recipient, w meta.WaitingRequest) error {
	wk, a, err := s.meta.WorkerAccount(ctx, w.WorkerID)
	if err != nil || !a.Disabled.IsZero() {
		return ErrNoAccess
	}
	d, err := openWaiting(w, s.serverIdentity())
	if err != nil {
		return err
	}
	workerRcpt, err := seal.ParseRecipient(wk.PublicKey)
	if err != nil {
		return err
	}
	dj, err := json.Marshal(d)
	if err != nil {
		return err
	}
	details, err := seal.SealString(string(dj), ownerRcpt, workerRcpt)
	if err != nil {
		return err
	}
	err = s.meta.DeliverWaitingRequest(ctx, meta.Request{
		ID: w.ID, OwnerID: ownerID, WorkerID: w.WorkerID, DetailsSealed: details, Types: w.Types, Days: w.Days,
		Status: meta.RequestPending, Created: w.Created,
	})
	if errors.Is(err, meta.ErrNotFound) {
		return err // delivered meanwhile by another instance
	}
	if err != nil {
		return err
	}
	ev := Event{Kind: EventRequestWaited, ActorKind: ActorWorker, ActorID: w.WorkerID, Detail: d.Purpose}
	if info, err := s.WorkerInfo(ctx, w.WorkerID); err == nil {
		ev.ActorName, ev.OrgName = info.Name, info.OrgName
	}
	return s.record(ctx, ownerID, ev)
}
