package metatest

import (
	"context"
	"testing"
	"time"

	"github.com/coffre/coffre/vault/meta"
)

// WorkerAdminStore is the part of the store behind disabling workers,
// removing members, rotating an organisation's key and requests waiting
// for an identifier (migration 9).
type WorkerAdminStore interface {
	AccountStore
	SharingStore
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

// workerAdmin adapts a migration-9 test to Run's signature.
func workerAdmin(fn func(t *testing.T, s WorkerAdminStore)) func(t *testing.T, s Store) {
	return func(t *testing.T, s Store) {
		ws, ok := s.(WorkerAdminStore)
		if !ok {
			t.Fatalf("%T does not implement the worker administration store (migration 9)", s)
		}
		fn(t, ws)
	}
}

func testWorkerAdmin(t *testing.T, s WorkerAdminStore) {
	ctx := context.Background()
	org := newOrg(t, s)
	mk := func(orgID string) meta.Worker {
		w := meta.Worker{ID: uniq("w"), PublicKey: uniq("age1w"), IdentityBySecret: []byte("w-wrap"), Created: at}
		if err := s.CreateWorkerAccount(ctx, w, meta.WorkerAccount{OrgID: orgID, EmailHash: uniq("mail"), EmailSealed: []byte("e"), NameSealed: []byte("n")}); err != nil {
			t.Fatal(err)
		}
		return w
	}
	w1, w2, loner := mk(org.ID), mk(org.ID), mk("")
	for _, w := range []meta.Worker{w1, w2} {
		if err := s.SetMemberOrgIdentity(ctx, w.ID, org.ID, []byte("old-wrap-"+w.ID)); err != nil {
			t.Fatal(err)
		}
	}
	if rows, err := s.WorkerAccounts(ctx, org.ID); err != nil || len(rows) != 2 || rows[0].ID != w1.ID {
		t.Fatalf("WorkerAccounts(org) = %+v, %v", rows, err)
	}
	if rows, err := s.WorkerAccounts(ctx, ""); err != nil || len(rows) != 3 {
		t.Fatalf("WorkerAccounts(all) = %d, %v", len(rows), err)
	}

	// Disabling and enabling.
	if err := s.SetWorkerDisabled(ctx, loner.ID, at); err != nil {
		t.Fatal(err)
	}
	if _, a, err := s.WorkerAccount(ctx, loner.ID); err != nil || !a.Disabled.Equal(at) {
		t.Fatalf("disabled at %v, %v", a.Disabled, err)
	}
	if err := s.SetWorkerDisabled(ctx, loner.ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, a, _ := s.WorkerAccount(ctx, loner.ID); !a.Disabled.IsZero() {
		t.Fatalf("still disabled at %v", a.Disabled)
	}
	wantErr(t, "disable a missing worker", s.SetWorkerDisabled(ctx, "nobody", at), meta.ErrNotFound)

	// A rotation: begun once, members given the next key, wraps and
	// consents swapped by compare-and-swap, owners journaled once.
	o := newOwner(t, s)
	d := committedDoc(t, s, o.ID)
	if err := s.AddWrap(ctx, meta.Wrap{DocumentID: d.ID, RecipientKind: meta.RecipientOrganisation, RecipientID: org.ID, WrappedKey: []byte("doc-old"), Created: at}); err != nil {
		t.Fatal(err)
	}
	c := newConsent(o.ID, org.ID, []string{d.ID}, nil)
	c.GranteeKind, c.GranteePublicKey = meta.RecipientOrganisation, org.PublicKey
	if err := s.InsertConsent(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.BeginOrgRotation(ctx, org.ID, org.PublicKey, "age1next", []byte("next-by-recovery"), []string{o.ID}); err != nil {
		t.Fatalf("BeginOrgRotation: %v", err)
	}
	wantErr(t, "begin twice", s.BeginOrgRotation(ctx, org.ID, org.PublicKey, "age1other", []byte("x"), nil), meta.ErrConflict)
	wantErr(t, "begin a missing org", s.BeginOrgRotation(ctx, "nope", "k", "age1other", []byte("x"), nil), meta.ErrNotFound)
	if got, _ := s.Organisation(ctx, org.ID); got.NextPublicKey != "age1next" || string(got.NextIdentityByRecovery) != "next-by-recovery" || got.PublicKey != org.PublicKey {
		t.Fatalf("organisation during rotation = %+v", got)
	}
	if err := s.SetMemberNextOrgIdentity(ctx, w1.ID, org.ID, []byte("next-wrap")); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "next key twice", s.SetMemberNextOrgIdentity(ctx, w1.ID, org.ID, []byte("again")), meta.ErrNotFound)
	if ms, err := s.MembersWithoutNext(ctx, org.ID); err != nil || len(ms) != 1 || ms[0].ID != w2.ID {
		t.Fatalf("MembersWithoutNext = %+v, %v", ms, err)
	}
	wantErr(t, "replace a changed wrap", s.ReplaceWrap(ctx, d.ID, meta.RecipientOrganisation, org.ID, []byte("not it"), []byte("doc-new")), meta.ErrNotFound)
	if err := s.ReplaceWrap(ctx, d.ID, meta.RecipientOrganisation, org.ID, []byte("doc-old"), []byte("doc-new")); err != nil {
		t.Fatal(err)
	}
	if acc, err := s.DocumentAccess(ctx, d.ID, meta.RecipientOrganisation, org.ID); err != nil || string(acc.Wrap.WrappedKey) != "doc-new" {
		t.Fatalf("wrap after replace = %q, %v", acc.Wrap.WrappedKey, err)
	}
	if err := s.RekeyConsent(ctx, c.ID, org.PublicKey, "age1next", []byte("new-details")); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "rekey twice", s.RekeyConsent(ctx, c.ID, org.PublicKey, "age1next", []byte("x")), meta.ErrNotFound)
	if got, _ := s.Consent(ctx, c.ID); got.GranteePublicKey != "age1next" || string(got.DetailsSealed) != "new-details" {
		t.Fatalf("consent after rekey = %+v", got)
	}
	if err := s.AddRotationOwner(ctx, org.ID, o.ID); err != nil { // again: no change
		t.Fatal(err)
	}
	if os, err := s.RotationOwners(ctx, org.ID); err != nil || len(os) != 1 || os[0] != o.ID {
		t.Fatalf("RotationOwners = %v, %v", os, err)
	}
	if err := s.MarkRotationOwnerJournaled(ctx, org.ID, o.ID, at); err != nil {
		t.Fatal(err)
	}
	if os, _ := s.RotationOwners(ctx, org.ID); len(os) != 0 {
		t.Fatalf("RotationOwners after journaling = %v", os)
	}
	wantErr(t, "finish another rotation", s.FinishOrgRotation(ctx, org.ID, "age1other"), meta.ErrNotFound)
	if err := s.FinishOrgRotation(ctx, org.ID, "age1next"); err != nil {
		t.Fatalf("FinishOrgRotation: %v", err)
	}
	got, _ := s.Organisation(ctx, org.ID)
	if got.PublicKey != "age1next" || string(got.IdentityByRecovery) != "next-by-recovery" || got.NextPublicKey != "" || got.NextIdentityByRecovery != nil {
		t.Fatalf("organisation after rotation = %+v", got)
	}
	if _, a, _ := s.WorkerAccount(ctx, w1.ID); string(a.OrgIdentityWrap) != "next-wrap" || a.NextOrgIdentityWrap != nil {
		t.Fatalf("rotated member holds %q / next %q", a.OrgIdentityWrap, a.NextOrgIdentityWrap)
	}
	if _, a, _ := s.WorkerAccount(ctx, w2.ID); a.OrgIdentityWrap != nil { // had no next key: pending again
		t.Fatalf("member without the next key still holds %q", a.OrgIdentityWrap)
	}

	// Removing a member.
	if err := s.RemoveMember(ctx, w1.ID, org.ID); err != nil {
		t.Fatal(err)
	}
	if _, a, _ := s.WorkerAccount(ctx, w1.ID); a.OrgID != "" || a.OrgIdentityWrap != nil {
		t.Fatalf("removed member = %+v", a)
	}
	wantErr(t, "remove twice", s.RemoveMember(ctx, w1.ID, org.ID), meta.ErrNotFound)
	wantErr(t, "remove from no organisation", s.RemoveMember(ctx, loner.ID, ""), meta.ErrNotFound)
}

func testWaitingRequests(t *testing.T, s WorkerAdminStore) {
	ctx := context.Background()
	w := newWorker(t, s)
	hash := uniq("idhash")
	mk := func(created time.Time) meta.WaitingRequest {
		r := meta.WaitingRequest{ID: uniq("wait"), WorkerID: w.ID, IdentifierHash: hash, DetailsSealed: []byte("sealed"),
			Types: []string{"rib", "avis-impot"}, Days: 31, Created: created, Expires: created.Add(31 * 24 * time.Hour)}
		if err := s.InsertWaitingRequest(ctx, r); err != nil {
			t.Fatalf("InsertWaitingRequest: %v", err)
		}
		return r
	}
	old, fresh := mk(at), mk(at.Add(time.Hour))
	wantErr(t, "duplicate", s.InsertWaitingRequest(ctx, fresh), meta.ErrConflict)
	bad := fresh
	bad.ID, bad.WorkerID = uniq("wait"), "nobody"
	wantErr(t, "unknown worker", s.InsertWaitingRequest(ctx, bad), meta.ErrNotFound)
	if ws, err := s.WaitingRequestsOfWorker(ctx, w.ID, at); err != nil || len(ws) != 2 || ws[0].ID != fresh.ID || len(ws[0].Types) != 2 {
		t.Fatalf("WaitingRequestsOfWorker = %+v, %v", ws, err)
	}
	if ws, err := s.WaitingRequestsFor(ctx, hash, at.Add(31*24*time.Hour)); err != nil || len(ws) != 1 || ws[0].ID != fresh.ID {
		t.Fatalf("WaitingRequestsFor after the first expired = %+v, %v", ws, err)
	}
	if ws, owners, err := s.WaitingForOwners(ctx, at, 10); err != nil || len(ws) != 0 || len(owners) != 0 {
		t.Fatalf("WaitingForOwners without a vault = %+v, %v", ws, err)
	}
	// A vault with that identifier appears.
	o := meta.Owner{ID: uniq("owner"), PublicKey: uniq("age1"), IdentityBySecret: []byte{1}, IdentityByRecovery: []byte{2}, Created: at}
	if err := s.CreateOwnerAccount(ctx, o, meta.OwnerAccount{IdentifierHash: hash, IdentifierSealed: []byte("i"), Lang: "fr"}); err != nil {
		t.Fatal(err)
	}
	ws, owners, err := s.WaitingForOwners(ctx, at, 10)
	if err != nil || len(ws) != 2 || owners[0] != o.ID || ws[0].ID != old.ID {
		t.Fatalf("WaitingForOwners = %+v %v, %v", ws, owners, err)
	}
	r := meta.Request{ID: old.ID, OwnerID: o.ID, WorkerID: w.ID, DetailsSealed: []byte("to owner"), Types: old.Types,
		Days: old.Days, Status: meta.RequestPending, Created: old.Created}
	if err := s.DeliverWaitingRequest(ctx, r); err != nil {
		t.Fatalf("DeliverWaitingRequest: %v", err)
	}
	wantErr(t, "deliver twice", s.DeliverWaitingRequest(ctx, r), meta.ErrNotFound)
	if got, err := s.Request(ctx, old.ID); err != nil || got.OwnerID != o.ID || !got.Created.Equal(old.Created) || got.Status != meta.RequestPending {
		t.Fatalf("delivered request = %+v, %v", got, err)
	}
	if n, err := s.DeleteExpiredWaitingRequests(ctx, at.Add(40*24*time.Hour)); err != nil || n != 1 {
		t.Fatalf("DeleteExpiredWaitingRequests = %d, %v", n, err)
	}
	if ws, _ := s.WaitingRequestsOfWorker(ctx, w.ID, at); len(ws) != 0 {
		t.Fatalf("waiting after the sweep: %+v", ws)
	}
}
