package vault

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/coffre/coffre/vault/meta"
)

// Administration of workers (coffre admin): listing, disabling, and taking
// a worker out of their organisation. Every decision lives in the database
// and is read at every request (ResumeSession), so it holds on every
// instance from the next request on; nothing is cached per process.

// Journal events of worker and organisation administration.
const (
	EventWorkerDisabled = "worker-disabled"
	EventWorkerEnabled  = "worker-enabled"
	EventMemberRemoved  = "member-removed"
	EventOrgKeyRotated  = "org-key-rotated"
)

// WorkerAdminStore is what worker and organisation administration needs
// from the metadata store (*meta.SQLite and *meta.Postgres provide it).
// Contracts: SetWorkerDisabled, RemoveMember, MarkRotationOwnerJournaled,
// SetMemberNextOrgIdentity, ReplaceWrap, RekeyConsent, FinishOrgRotation
// and DeliverWaitingRequest are meta.ErrNotFound when the row is missing or
// no longer in the expected state (a compare-and-swap lost);
// BeginOrgRotation is meta.ErrConflict when a rotation is under way.
type WorkerAdminStore interface {
	WorkerAccounts(ctx context.Context, orgID string) ([]meta.WorkerRow, error)
	SetWorkerDisabled(ctx context.Context, id string, at time.Time) error
	RemoveMember(ctx context.Context, workerID, orgID string) error

	BeginOrgRotation(ctx context.Context, orgID, currentPublic, nextPublic string, nextByRecovery []byte, ownerIDs []string) error
	AddRotationOwner(ctx context.Context, orgID, ownerID string) error
	RotationOwners(ctx context.Context, orgID string) ([]string, error)
	MarkRotationOwnerJournaled(ctx context.Context, orgID, ownerID string, at time.Time) error
	MembersWithoutNext(ctx context.Context, orgID string) ([]meta.Worker, error)
	SetMemberNextOrgIdentity(ctx context.Context, workerID, orgID string, wrapped []byte) error
	ReplaceWrap(ctx context.Context, docID string, kind meta.RecipientKind, recipientID string, old, wrapped []byte) error
	RekeyConsent(ctx context.Context, id, oldPublic, newPublic string, details []byte) error
	FinishOrgRotation(ctx context.Context, orgID, nextPublic string) error

	InsertWaitingRequest(ctx context.Context, w meta.WaitingRequest) error
	WaitingRequestsOfWorker(ctx context.Context, workerID string, now time.Time) ([]meta.WaitingRequest, error)
	WaitingRequestsFor(ctx context.Context, identifierHash string, now time.Time) ([]meta.WaitingRequest, error)
	DeliverWaitingRequest(ctx context.Context, r meta.Request) error
	WaitingForOwners(ctx context.Context, now time.Time, limit int) ([]meta.WaitingRequest, []string, error)
	DeleteExpiredWaitingRequests(ctx context.Context, now time.Time) (int, error)
}

// Worker statuses (WorkerSummary.Status).
const (
	WorkerActive   = "active"   // member holding the organisation's key, or worker of no organisation
	WorkerPending  = "pending"  // member waiting for the organisation's key
	WorkerDisabled = "disabled" // refused everywhere
)

// WorkerSummary is what an administrator sees of a worker.
type WorkerSummary struct {
	ID, Email, Name, OrgID, Status string
	TOTP                           bool
}

// Workers lists the workers of an organisation (every worker for "").
func (s *Service) Workers(ctx context.Context, orgID string) ([]WorkerSummary, error) {
	rows, err := s.meta.WorkerAccounts(ctx, orgID)
	if err != nil {
		return nil, mapMeta("workers", err)
	}
	out := make([]WorkerSummary, 0, len(rows))
	for _, r := range rows {
		email, err := s.openServer(r.Account.EmailSealed)
		if err != nil {
			return nil, fmt.Errorf("vault: worker e-mail: %w", err)
		}
		name, err := s.openServer(r.Account.NameSealed)
		if err != nil {
			return nil, fmt.Errorf("vault: worker name: %w", err)
		}
		st := WorkerActive
		switch {
		case !r.Account.Disabled.IsZero():
			st = WorkerDisabled
		case r.Account.OrgID != "" && len(r.Account.OrgIdentityWrap) == 0:
			st = WorkerPending
		}
		out = append(out, WorkerSummary{ID: r.ID, Email: email, Name: name, OrgID: r.Account.OrgID, Status: st, TOTP: len(r.Account.TOTPSealed) > 0})
	}
	return out, nil
}

// FindWorker resolves a worker's id or e-mail address to their id.
// Errors: ErrNotFound, ErrInvalid (neither an id nor an e-mail address).
func (s *Service) FindWorker(ctx context.Context, idOrEmail string) (string, error) {
	v := strings.TrimSpace(idOrEmail)
	if strings.Contains(v, "@") {
		em, err := normEmail(v)
		if err != nil {
			return "", err
		}
		w, _, err := s.meta.WorkerAccountByEmail(ctx, s.emailHash(em))
		if err != nil {
			return "", mapMeta("find worker", err)
		}
		return w.ID, nil
	}
	if !validID(v) {
		return "", fmt.Errorf("%w: not a worker id or e-mail address", ErrInvalid)
	}
	if _, _, err := s.meta.WorkerAccount(ctx, v); err != nil {
		return "", mapMeta("find worker", err)
	}
	return v, nil
}

// DisableWorker refuses a worker everywhere from their next request on:
// their sessions end on every instance, logging in fails like a wrong
// secret, and nothing they were given is readable while disabled. The
// owners who gave them (or their organisation) a live consent are told in
// their journal. Errors: ErrNotFound, ErrConflict (already disabled).
func (s *Service) DisableWorker(ctx context.Context, workerID string) error {
	return s.setDisabled(ctx, workerID, true)
}

// EnableWorker lifts DisableWorker. Errors: ErrNotFound, ErrConflict (not
// disabled).
func (s *Service) EnableWorker(ctx context.Context, workerID string) error {
	return s.setDisabled(ctx, workerID, false)
}

func (s *Service) setDisabled(ctx context.Context, workerID string, disable bool) error {
	_, a, err := s.meta.WorkerAccount(ctx, workerID)
	if err != nil {
		return mapMeta("disable worker", err)
	}
	if disable == !a.Disabled.IsZero() {
		return fmt.Errorf("vault: disable worker: already %s: %w", map[bool]string{true: "disabled", false: "enabled"}[disable], ErrConflict)
	}
	at, kind := s.now().UTC(), EventWorkerDisabled
	if !disable {
		at, kind = time.Time{}, EventWorkerEnabled
	}
	if err := s.meta.SetWorkerDisabled(ctx, workerID, at); err != nil {
		return mapMeta("disable worker", err)
	}
	if disable {
		if _, err := s.meta.DeleteSessions(ctx, KindWorker, workerID); err != nil {
			return mapMeta("disable worker", err)
		}
	}
	owners, err := s.ownersSharingWith(ctx, workerID, a.OrgID)
	if err != nil {
		return err
	}
	target := s.granteeName(ctx, Grantee{Kind: KindWorker, ID: workerID})
	for _, o := range owners {
		if err := s.recordOrErr(ctx, o, Event{Kind: kind, ActorKind: ActorSystem, Target: target}); err != nil {
			return err
		}
	}
	return nil
}

// ownersSharingWith lists the owners holding a live consent to the worker
// or to orgID ("" for none).
func (s *Service) ownersSharingWith(ctx context.Context, workerID, orgID string) ([]string, error) {
	now := s.now().UTC()
	cs, err := s.meta.LiveConsentsFor(ctx, KindWorker, workerID, now)
	if err != nil {
		return nil, mapMeta("consents", err)
	}
	if orgID != "" {
		oc, err := s.meta.LiveConsentsFor(ctx, KindOrganisation, orgID, now)
		if err != nil {
			return nil, mapMeta("consents", err)
		}
		cs = append(cs, oc...)
	}
	var out []string
	for _, c := range cs {
		if !slices.Contains(out, c.OwnerID) {
			out = append(out, c.OwnerID)
		}
	}
	return out, nil
}

// RemoveMember takes a worker out of their organisation. From their next
// request on, on every instance, they read nothing: they no longer hold
// the organisation's key (ResumeSession reads the membership from the
// database at every request), their sessions end, and the live consents
// given to them by name, which owners gave to a member of that
// organisation, end too (revoked as by the owner, wraps deleted). Each
// affected owner is told in their journal. The organisation's key itself
// is unchanged: a worker who could have copied it while a member is
// locked out for good by RotateOrganisationKey. Errors: ErrNotFound,
// ErrInvalid (the worker belongs to no organisation).
func (s *Service) RemoveMember(ctx context.Context, workerID string) error {
	_, a, err := s.meta.WorkerAccount(ctx, workerID)
	if err != nil {
		return mapMeta("remove member", err)
	}
	if a.OrgID == "" {
		return fmt.Errorf("%w: this worker belongs to no organisation", ErrInvalid)
	}
	target := s.granteeName(ctx, Grantee{Kind: KindWorker, ID: workerID})
	orgName := ""
	if org, err := s.organisation(ctx, a.OrgID); err == nil {
		orgName = org.Name
	}
	owners, err := s.ownersSharingWith(ctx, workerID, a.OrgID)
	if err != nil {
		return err
	}
	if err := s.meta.RemoveMember(ctx, workerID, a.OrgID); err != nil {
		return mapMeta("remove member", err)
	}
	if _, err := s.meta.DeleteSessions(ctx, KindWorker, workerID); err != nil {
		return mapMeta("remove member", err)
	}
	now := s.now().UTC()
	own, err := s.meta.LiveConsentsFor(ctx, KindWorker, workerID, now)
	if err != nil {
		return mapMeta("remove member", err)
	}
	for _, c := range own {
		if _, err := s.meta.RevokeConsent(ctx, c.ID, c.OwnerID, now); err != nil && !errors.Is(err, meta.ErrConflict) {
			return mapMeta("remove member", err)
		}
	}
	for _, o := range owners {
		err := s.recordOrErr(ctx, o, Event{Kind: EventMemberRemoved, ActorKind: ActorSystem, Target: target, Detail: orgName})
		if err != nil {
			return err
		}
	}
	return nil
}
