// Package metatest is the conformance suite of Coffre's metadata store: every
// backend (SQLite and PostgreSQL) runs metatest.Run against a fresh,
// migrated, empty store.
package metatest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coffre/coffre/vault/meta"
)

// Store is the metadata store under test.
type Store interface {
	CreateOwner(ctx context.Context, o meta.Owner) error
	Owner(ctx context.Context, id string) (meta.Owner, error)
	SetOwnerIdentityBySecret(ctx context.Context, id string, wrapped []byte) error
	CreateWorker(ctx context.Context, w meta.Worker) error
	Worker(ctx context.Context, id string) (meta.Worker, error)
	InsertDocument(ctx context.Context, d meta.Document) error
	CommitDocument(ctx context.Context, id string, size int64, wraps []meta.Wrap) error
	Document(ctx context.Context, id string) (meta.Document, error)
	DocumentByBlobKey(ctx context.Context, key string) (meta.Document, error)
	DocumentAccess(ctx context.Context, docID string, kind meta.RecipientKind, recipientID string) (meta.Access, error)
	ListAccess(ctx context.Context, kind meta.RecipientKind, recipientID string) ([]meta.Access, error)
	StaleDocuments(ctx context.Context, before time.Time) ([]meta.Document, error)
	BeginDeleteDocument(ctx context.Context, id, ownerID string) (meta.Document, error)
	DeleteDocument(ctx context.Context, id string) error
	DeleteStaleDocument(ctx context.Context, id string, before time.Time) (meta.Document, error)
	AddWrap(ctx context.Context, w meta.Wrap) error
	DeleteWrap(ctx context.Context, docID string, kind meta.RecipientKind, recipientID string) error
	Wraps(ctx context.Context, docID string) ([]meta.Wrap, error)
	Tx(ctx context.Context, fn func(*meta.Tx) error) error
	SchemaVersion(ctx context.Context) (int, error)
	Ping(ctx context.Context) error
}

// Run runs the suite. newStore returns a fresh, empty store; the suite does
// not close it (register cleanup in newStore).
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"Schema", testSchema},
		{"Owners", testOwners},
		{"Workers", testWorkers},
		{"DocumentLifecycle", testDocumentLifecycle},
		{"InsertDocumentErrors", testInsertDocumentErrors},
		{"CommitIsAtomic", testCommitAtomic},
		{"Wraps", testWraps},
		{"Delete", testDelete},
		{"Stale", testStale},
		{"ListOrder", testListOrder},
		{"Tx", testTx},
		{"ConcurrentWriters", testConcurrentWriters},
		{"ConcurrentAddWrap", testConcurrentAddWrap},
		{"ContextCancelled", testCancelled},
		{"OwnerAccounts", testOwnerAccounts},
		{"OwnerRecovery", testOwnerRecovery},
		{"WorkerAccounts", testWorkerAccounts},
		{"Sessions", testSessions},
		{"SessionConfirm", testSessionConfirm},
		{"KeyRotation", testKeyRotation},
		{"Throttle", testThrottle},
		{"ThrottleConcurrent", testThrottleConcurrent},
		{"ConsentScope", sharing(testConsentScope)},
		{"ConsentTypes", sharing(testConsentTypes)},
		{"WorkerLinkEndsWithConsent", sharing(testWorkerLinkEndsWithConsent)},
		{"ConsentRevoke", sharing(testConsentRevoke)},
		{"ConsentSweep", sharing(testConsentSweep)},
		{"DropLinks", sharing(testDropLinks)},
		{"DropLinkRace", sharing(testDropLinkRace)},
		{"Requests", sharing(testRequests)},
		{"Journal", sharing(testJournal)},
		{"DocumentEdits", sharing(testDocumentEdits)},
		{"UnreadAndFiling", sharing(testUnreadAndFiling)},
		{"DeleteOwnerData", sharing(testDeleteOwnerData)},
		{"PendingUploads", pending(testPendingUploads)},
		{"StorageTargets", storage(testStorageTargets)},
		{"EffectiveStore", storage(testEffectiveStore)},
		{"Moves", storage(testMoves)},
		{"MoveClaimRace", storage(testMoveClaimRace)},
		{"WorkerAdmin", workerAdmin(testWorkerAdmin)},
		{"WaitingRequests", workerAdmin(testWaitingRequests)},
		{"Passkeys", testPasskeys},
		{"Challenges", testChallenges},
		{"ShareCodes", shareCodes(testShareCodes)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

var seq atomic.Int64

func uniq(prefix string) string { return fmt.Sprintf("%s%d", prefix, seq.Add(1)) }

// at is a fixed instant with microsecond precision (the stored resolution).
var at = time.Date(2026, 3, 3, 14, 2, 0, 123456000, time.UTC)

func newOwner(t *testing.T, s Store) meta.Owner {
	t.Helper()
	o := meta.Owner{
		ID: uniq("owner"), PublicKey: uniq("age1pub"),
		IdentityBySecret: []byte{1, 2, 3, 0, 255}, IdentityByRecovery: []byte("recovery-wrap"), Created: at,
	}
	if err := s.CreateOwner(context.Background(), o); err != nil {
		t.Fatalf("CreateOwner: %v", err)
	}
	return o
}

func newDoc(ownerID string, state meta.State) meta.Document {
	id := uniq("doc")
	return meta.Document{
		ID: id, OwnerID: ownerID, Category: "income", TitleSealed: []byte("sealed\x00title"),
		MediaType: "application/pdf", Pages: 3, Profile: "caf", BlobKey: "doc/" + id,
		State: state, Created: at, Expires: time.Time{},
	}
}

func ownerWrap(d meta.Document) meta.Wrap {
	return meta.Wrap{DocumentID: d.ID, RecipientKind: meta.RecipientOwner, RecipientID: d.OwnerID, WrappedKey: []byte("wrapped-for-owner"), Created: at}
}

// committedDoc inserts and commits a document with its owner wrap.
func committedDoc(t *testing.T, s Store, ownerID string) meta.Document {
	t.Helper()
	ctx := context.Background()
	d := newDoc(ownerID, meta.StatePending)
	if err := s.InsertDocument(ctx, d); err != nil {
		t.Fatalf("InsertDocument: %v", err)
	}
	if err := s.CommitDocument(ctx, d.ID, 1234, []meta.Wrap{ownerWrap(d)}); err != nil {
		t.Fatalf("CommitDocument: %v", err)
	}
	d.State, d.Size = meta.StateCommitted, 1234
	return d
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: err = %v, want %v", what, err, target)
	}
}

func testSchema(t *testing.T, s Store) {
	ctx := context.Background()
	v, err := s.SchemaVersion(ctx)
	if err != nil || v < 1 {
		t.Fatalf("SchemaVersion = %d, %v; want >= 1", v, err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func testOwners(t *testing.T, s Store) {
	ctx := context.Background()
	o := newOwner(t, s)
	got, err := s.Owner(ctx, o.ID)
	if err != nil {
		t.Fatalf("Owner: %v", err)
	}
	if got.ID != o.ID || got.PublicKey != o.PublicKey || !bytes.Equal(got.IdentityBySecret, o.IdentityBySecret) ||
		!bytes.Equal(got.IdentityByRecovery, o.IdentityByRecovery) || !got.Created.Equal(o.Created) {
		t.Fatalf("Owner round trip: got %+v, want %+v", got, o)
	}
	cases := []struct {
		name string
		o    meta.Owner
	}{
		{"duplicate id", meta.Owner{ID: o.ID, PublicKey: uniq("age1"), IdentityBySecret: []byte{1}, IdentityByRecovery: []byte{1}}},
		{"duplicate public key", meta.Owner{ID: uniq("o"), PublicKey: o.PublicKey, IdentityBySecret: []byte{1}, IdentityByRecovery: []byte{1}}},
	}
	for _, c := range cases {
		wantErr(t, c.name, s.CreateOwner(ctx, c.o), meta.ErrConflict)
	}
	if err := s.CreateOwner(ctx, meta.Owner{ID: uniq("o"), PublicKey: uniq("k")}); err == nil {
		t.Fatal("CreateOwner without wraps succeeded")
	}
	_, err = s.Owner(ctx, "nobody")
	wantErr(t, "Owner(missing)", err, meta.ErrNotFound)

	if err := s.SetOwnerIdentityBySecret(ctx, o.ID, []byte("new-wrap")); err != nil {
		t.Fatalf("SetOwnerIdentityBySecret: %v", err)
	}
	got, _ = s.Owner(ctx, o.ID)
	if string(got.IdentityBySecret) != "new-wrap" || !bytes.Equal(got.IdentityByRecovery, o.IdentityByRecovery) {
		t.Fatalf("after SetOwnerIdentityBySecret: %+v", got)
	}
	wantErr(t, "SetOwnerIdentityBySecret(missing)", s.SetOwnerIdentityBySecret(ctx, "nobody", []byte("x")), meta.ErrNotFound)
}

func testWorkers(t *testing.T, s Store) {
	ctx := context.Background()
	w := meta.Worker{ID: uniq("worker"), PublicKey: uniq("age1w"), IdentityBySecret: []byte("w-wrap"), Created: at}
	if err := s.CreateWorker(ctx, w); err != nil {
		t.Fatalf("CreateWorker: %v", err)
	}
	got, err := s.Worker(ctx, w.ID)
	if err != nil || got.PublicKey != w.PublicKey || string(got.IdentityBySecret) != "w-wrap" || !got.Created.Equal(at) {
		t.Fatalf("Worker = %+v, %v", got, err)
	}
	wantErr(t, "duplicate worker", s.CreateWorker(ctx, w), meta.ErrConflict)
	_, err = s.Worker(ctx, "nobody")
	wantErr(t, "Worker(missing)", err, meta.ErrNotFound)
}

func testDocumentLifecycle(t *testing.T, s Store) {
	ctx := context.Background()
	o := newOwner(t, s)
	d := newDoc(o.ID, meta.StatePending)
	d.Expires = time.Date(2031, 1, 2, 0, 0, 0, 0, time.UTC)
	if err := s.InsertDocument(ctx, d); err != nil {
		t.Fatalf("InsertDocument: %v", err)
	}
	got, err := s.Document(ctx, d.ID)
	if err != nil {
		t.Fatalf("Document: %v", err)
	}
	if got.State != meta.StatePending || got.OwnerID != o.ID || got.Category != "income" || got.Pages != 3 ||
		got.Profile != "caf" || got.MediaType != "application/pdf" || !bytes.Equal(got.TitleSealed, d.TitleSealed) ||
		!got.Created.Equal(at) || !got.Expires.Equal(d.Expires) || got.StateSince.IsZero() {
		t.Fatalf("pending Document = %+v", got)
	}
	// A pending document is invisible.
	if l, err := s.ListAccess(ctx, meta.RecipientOwner, o.ID); err != nil || len(l) != 0 {
		t.Fatalf("ListAccess with pending only = %v, %v", l, err)
	}
	_, err = s.DocumentAccess(ctx, d.ID, meta.RecipientOwner, o.ID)
	wantErr(t, "DocumentAccess(pending)", err, meta.ErrNotFound)
	wantErr(t, "AddWrap(pending)", s.AddWrap(ctx, meta.Wrap{DocumentID: d.ID, RecipientKind: meta.RecipientWorker, RecipientID: "w", WrappedKey: []byte{1}}), meta.ErrNotFound)

	if err := s.CommitDocument(ctx, d.ID, 98765, []meta.Wrap{ownerWrap(d)}); err != nil {
		t.Fatalf("CommitDocument: %v", err)
	}
	wantErr(t, "second CommitDocument", s.CommitDocument(ctx, d.ID, 1, []meta.Wrap{ownerWrap(d)}), meta.ErrConflict)
	wantErr(t, "CommitDocument(missing)", s.CommitDocument(ctx, "nodoc", 1, []meta.Wrap{{DocumentID: "nodoc", RecipientKind: meta.RecipientOwner, RecipientID: "x", WrappedKey: []byte{1}}}), meta.ErrNotFound)

	acc, err := s.DocumentAccess(ctx, d.ID, meta.RecipientOwner, o.ID)
	if err != nil {
		t.Fatalf("DocumentAccess: %v", err)
	}
	if acc.Document.State != meta.StateCommitted || acc.Document.Size != 98765 || string(acc.Wrap.WrappedKey) != "wrapped-for-owner" ||
		acc.Wrap.RecipientKind != meta.RecipientOwner || acc.Wrap.RecipientID != o.ID || !acc.Wrap.Created.Equal(at) {
		t.Fatalf("DocumentAccess = %+v", acc)
	}
	l, err := s.ListAccess(ctx, meta.RecipientOwner, o.ID)
	if err != nil || len(l) != 1 || l[0].Document.ID != d.ID {
		t.Fatalf("ListAccess = %+v, %v", l, err)
	}
	byKey, err := s.DocumentByBlobKey(ctx, d.BlobKey)
	if err != nil || byKey.ID != d.ID {
		t.Fatalf("DocumentByBlobKey = %+v, %v", byKey, err)
	}
	_, err = s.DocumentByBlobKey(ctx, "doc/none")
	wantErr(t, "DocumentByBlobKey(missing)", err, meta.ErrNotFound)
	// Another owner sees nothing of it.
	other := newOwner(t, s)
	_, err = s.DocumentAccess(ctx, d.ID, meta.RecipientOwner, other.ID)
	wantErr(t, "DocumentAccess(other owner)", err, meta.ErrNotFound)
}

func testInsertDocumentErrors(t *testing.T, s Store) {
	ctx := context.Background()
	o := newOwner(t, s)
	d := newDoc(o.ID, meta.StatePending)
	if err := s.InsertDocument(ctx, d); err != nil {
		t.Fatalf("InsertDocument: %v", err)
	}
	dupKey := newDoc(o.ID, meta.StatePending)
	dupKey.BlobKey = d.BlobKey
	noOwner := newDoc("ghost", meta.StatePending)
	badState := newDoc(o.ID, "weird")
	noTitle := newDoc(o.ID, meta.StatePending)
	noTitle.TitleSealed = nil
	cases := []struct {
		name string
		d    meta.Document
		want error // nil: any error
	}{
		{"duplicate id", d, meta.ErrConflict},
		{"duplicate blob key", dupKey, meta.ErrConflict},
		{"missing owner", noOwner, meta.ErrNotFound},
		{"bad state", badState, nil},
		{"no title", noTitle, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.InsertDocument(ctx, c.d)
			if err == nil {
				t.Fatal("InsertDocument succeeded")
			}
			if c.want != nil {
				wantErr(t, c.name, err, c.want)
			}
		})
	}
}

func testCommitAtomic(t *testing.T, s Store) {
	ctx := context.Background()
	o := newOwner(t, s)
	d := newDoc(o.ID, meta.StatePending)
	if err := s.InsertDocument(ctx, d); err != nil {
		t.Fatal(err)
	}
	// The second wrap duplicates the first: the commit must fail as a whole.
	err := s.CommitDocument(ctx, d.ID, 10, []meta.Wrap{ownerWrap(d), ownerWrap(d)})
	wantErr(t, "CommitDocument(duplicate wraps)", err, meta.ErrConflict)
	got, err := s.Document(ctx, d.ID)
	if err != nil || got.State != meta.StatePending || got.Size != 0 {
		t.Fatalf("after failed commit: %+v, %v", got, err)
	}
	if ws, err := s.Wraps(ctx, d.ID); err != nil || len(ws) != 0 {
		t.Fatalf("wraps after failed commit: %v, %v", ws, err)
	}
	bad := ownerWrap(d)
	bad.RecipientKind = "stranger"
	if err := s.CommitDocument(ctx, d.ID, 10, []meta.Wrap{ownerWrap(d), bad}); err == nil {
		t.Fatal("commit with a bad recipient kind succeeded")
	}
	if got, _ := s.Document(ctx, d.ID); got.State != meta.StatePending {
		t.Fatalf("state after bad commit = %s", got.State)
	}
}

func testWraps(t *testing.T, s Store) {
	ctx := context.Background()
	o := newOwner(t, s)
	d1 := committedDoc(t, s, o.ID)
	d2 := committedDoc(t, s, o.ID)
	w := meta.Wrap{DocumentID: d1.ID, RecipientKind: meta.RecipientWorker, RecipientID: "w1", WrappedKey: []byte("for-w1"), Created: at}
	if err := s.AddWrap(ctx, w); err != nil {
		t.Fatalf("AddWrap: %v", err)
	}
	wantErr(t, "AddWrap(duplicate)", s.AddWrap(ctx, w), meta.ErrConflict)
	missing := w
	missing.DocumentID = "nodoc"
	wantErr(t, "AddWrap(missing doc)", s.AddWrap(ctx, missing), meta.ErrNotFound)
	bad := w
	bad.RecipientKind = ""
	if err := s.AddWrap(ctx, bad); err == nil {
		t.Fatal("AddWrap with empty kind succeeded")
	}
	// The worker sees d1 only.
	l, err := s.ListAccess(ctx, meta.RecipientWorker, "w1")
	if err != nil || len(l) != 1 || l[0].Document.ID != d1.ID || string(l[0].Wrap.WrappedKey) != "for-w1" {
		t.Fatalf("worker ListAccess = %+v, %v", l, err)
	}
	_, err = s.DocumentAccess(ctx, d2.ID, meta.RecipientWorker, "w1")
	wantErr(t, "DocumentAccess(not granted)", err, meta.ErrNotFound)
	// Same id, other kind: no access.
	_, err = s.DocumentAccess(ctx, d1.ID, meta.RecipientOrganisation, "w1")
	wantErr(t, "DocumentAccess(other kind)", err, meta.ErrNotFound)
	ws, err := s.Wraps(ctx, d1.ID)
	if err != nil || len(ws) != 2 || ws[0].RecipientKind != meta.RecipientOwner || ws[1].RecipientKind != meta.RecipientWorker {
		t.Fatalf("Wraps = %+v, %v", ws, err)
	}
	if err := s.DeleteWrap(ctx, d1.ID, meta.RecipientWorker, "w1"); err != nil {
		t.Fatalf("DeleteWrap: %v", err)
	}
	wantErr(t, "DeleteWrap(again)", s.DeleteWrap(ctx, d1.ID, meta.RecipientWorker, "w1"), meta.ErrNotFound)
	_, err = s.DocumentAccess(ctx, d1.ID, meta.RecipientWorker, "w1")
	wantErr(t, "DocumentAccess(revoked)", err, meta.ErrNotFound)
	if l, _ := s.ListAccess(ctx, meta.RecipientWorker, "w1"); len(l) != 0 {
		t.Fatalf("ListAccess after revoke = %+v", l)
	}
	if _, err := s.DocumentAccess(ctx, d1.ID, meta.RecipientOwner, o.ID); err != nil {
		t.Fatalf("owner access after revoke: %v", err)
	}
}

func testDelete(t *testing.T, s Store) {
	ctx := context.Background()
	o := newOwner(t, s)
	other := newOwner(t, s)
	d := committedDoc(t, s, o.ID)
	if err := s.AddWrap(ctx, meta.Wrap{DocumentID: d.ID, RecipientKind: meta.RecipientWorker, RecipientID: "w", WrappedKey: []byte{9}, Created: at}); err != nil {
		t.Fatal(err)
	}
	_, err := s.BeginDeleteDocument(ctx, d.ID, other.ID)
	wantErr(t, "BeginDeleteDocument(other owner)", err, meta.ErrNotFound)
	_, err = s.BeginDeleteDocument(ctx, "nodoc", o.ID)
	wantErr(t, "BeginDeleteDocument(missing)", err, meta.ErrNotFound)
	got, err := s.BeginDeleteDocument(ctx, d.ID, o.ID)
	if err != nil || got.BlobKey != d.BlobKey {
		t.Fatalf("BeginDeleteDocument = %+v, %v", got, err)
	}
	_, err = s.BeginDeleteDocument(ctx, d.ID, o.ID)
	wantErr(t, "BeginDeleteDocument(twice)", err, meta.ErrNotFound)
	if ws, _ := s.Wraps(ctx, d.ID); len(ws) != 0 {
		t.Fatalf("wraps after BeginDelete: %+v", ws)
	}
	if l, _ := s.ListAccess(ctx, meta.RecipientOwner, o.ID); len(l) != 0 {
		t.Fatalf("listed while deleting: %+v", l)
	}
	if dd, _ := s.Document(ctx, d.ID); dd.State != meta.StateDeleting {
		t.Fatalf("state = %s, want deleting", dd.State)
	}
	wantErr(t, "AddWrap(deleting)", s.AddWrap(ctx, ownerWrap(d)), meta.ErrNotFound)
	if err := s.DeleteDocument(ctx, d.ID); err != nil {
		t.Fatalf("DeleteDocument: %v", err)
	}
	_, err = s.Document(ctx, d.ID)
	wantErr(t, "Document(deleted)", err, meta.ErrNotFound)
	wantErr(t, "DeleteDocument(twice)", s.DeleteDocument(ctx, d.ID), meta.ErrNotFound)
	// A pending row can be deleted directly (abandoned upload).
	p := newDoc(o.ID, meta.StatePending)
	if err := s.InsertDocument(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDocument(ctx, p.ID); err != nil {
		t.Fatalf("DeleteDocument(pending): %v", err)
	}
}

func testStale(t *testing.T, s Store) {
	ctx := context.Background()
	o := newOwner(t, s)
	p := newDoc(o.ID, meta.StatePending)
	if err := s.InsertDocument(ctx, p); err != nil {
		t.Fatal(err)
	}
	c := committedDoc(t, s, o.ID)
	del := committedDoc(t, s, o.ID)
	if _, err := s.BeginDeleteDocument(ctx, del.ID, o.ID); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Hour)
	got, err := s.StaleDocuments(ctx, future)
	if err != nil {
		t.Fatalf("StaleDocuments: %v", err)
	}
	ids := map[string]meta.State{}
	for _, d := range got {
		ids[d.ID] = d.State
	}
	if ids[p.ID] != meta.StatePending || ids[del.ID] != meta.StateDeleting {
		t.Fatalf("StaleDocuments missing pending/deleting rows: %v", ids)
	}
	if _, ok := ids[c.ID]; ok {
		t.Fatal("StaleDocuments lists a committed document")
	}
	past := time.Now().Add(-time.Hour)
	got, err = s.StaleDocuments(ctx, past)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range got {
		if d.ID == p.ID || d.ID == del.ID {
			t.Fatalf("fresh row %s reported stale an hour ago", d.ID)
		}
	}

	// DeleteStaleDocument refuses committed and fresh rows.
	_, err = s.DeleteStaleDocument(ctx, c.ID, future)
	wantErr(t, "DeleteStaleDocument(committed)", err, meta.ErrConflict)
	_, err = s.DeleteStaleDocument(ctx, p.ID, past)
	wantErr(t, "DeleteStaleDocument(fresh)", err, meta.ErrConflict)
	_, err = s.DeleteStaleDocument(ctx, "nodoc", future)
	wantErr(t, "DeleteStaleDocument(missing)", err, meta.ErrNotFound)
	for _, id := range []string{p.ID, del.ID} {
		d, err := s.DeleteStaleDocument(ctx, id, future)
		if err != nil || d.ID != id {
			t.Fatalf("DeleteStaleDocument(%s) = %+v, %v", id, d, err)
		}
		_, err = s.Document(ctx, id)
		wantErr(t, "Document after DeleteStaleDocument", err, meta.ErrNotFound)
	}
	if _, err := s.Document(ctx, c.ID); err != nil {
		t.Fatalf("committed document gone: %v", err)
	}
}

func testListOrder(t *testing.T, s Store) {
	ctx := context.Background()
	o := newOwner(t, s)
	var want []string
	for i := range 5 {
		d := newDoc(o.ID, meta.StatePending)
		d.Created = at.Add(time.Duration(5-i) * time.Minute) // inserted newest first
		if err := s.InsertDocument(ctx, d); err != nil {
			t.Fatal(err)
		}
		if err := s.CommitDocument(ctx, d.ID, int64(i), []meta.Wrap{ownerWrap(d)}); err != nil {
			t.Fatal(err)
		}
		want = append([]string{d.ID}, want...)
	}
	l, err := s.ListAccess(ctx, meta.RecipientOwner, o.ID)
	if err != nil || len(l) != len(want) {
		t.Fatalf("ListAccess = %d entries, %v", len(l), err)
	}
	for i := range l {
		if l[i].Document.ID != want[i] {
			t.Fatalf("ListAccess[%d] = %s, want %s (oldest first)", i, l[i].Document.ID, want[i])
		}
	}
}

func testTx(t *testing.T, s Store) {
	ctx := context.Background()
	o := newOwner(t, s)
	d := newDoc(o.ID, meta.StatePending)
	boom := errors.New("boom")
	err := s.Tx(ctx, func(tx *meta.Tx) error {
		if err := tx.InsertDocument(ctx, d); err != nil {
			return err
		}
		if err := tx.CommitDocument(ctx, d.ID, 5, []meta.Wrap{ownerWrap(d)}); err != nil {
			return err
		}
		// Reads inside the transaction see its writes.
		if _, err := tx.DocumentAccess(ctx, d.ID, meta.RecipientOwner, o.ID); err != nil {
			return fmt.Errorf("read own write: %w", err)
		}
		return boom
	})
	wantErr(t, "Tx", err, boom)
	_, err = s.Document(ctx, d.ID)
	wantErr(t, "Document after rolled-back Tx", err, meta.ErrNotFound)

	err = s.Tx(ctx, func(tx *meta.Tx) error {
		if err := tx.InsertDocument(ctx, d); err != nil {
			return err
		}
		return tx.CommitDocument(ctx, d.ID, 5, []meta.Wrap{ownerWrap(d)})
	})
	if err != nil {
		t.Fatalf("Tx: %v", err)
	}
	if _, err := s.DocumentAccess(ctx, d.ID, meta.RecipientOwner, o.ID); err != nil {
		t.Fatalf("after committed Tx: %v", err)
	}
}

func testConcurrentWriters(t *testing.T, s Store) {
	ctx := context.Background()
	o := newOwner(t, s)
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for range workers {
		wg.Go(func() {
			for range each {
				d := newDoc(o.ID, meta.StatePending)
				if err := s.InsertDocument(ctx, d); err != nil {
					errs <- err
					continue
				}
				if err := s.CommitDocument(ctx, d.ID, 1, []meta.Wrap{ownerWrap(d)}); err != nil {
					errs <- err
				}
				if _, err := s.ListAccess(ctx, meta.RecipientOwner, o.ID); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent write: %v", err)
	}
	l, err := s.ListAccess(ctx, meta.RecipientOwner, o.ID)
	if err != nil || len(l) != workers*each {
		t.Fatalf("ListAccess = %d, %v; want %d", len(l), err, workers*each)
	}
}

func testConcurrentAddWrap(t *testing.T, s Store) {
	ctx := context.Background()
	o := newOwner(t, s)
	d := committedDoc(t, s, o.ID)
	const n = 8
	var ok, conflict atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			err := s.AddWrap(ctx, meta.Wrap{DocumentID: d.ID, RecipientKind: meta.RecipientWorker, RecipientID: "same", WrappedKey: []byte{7}, Created: at})
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, meta.ErrConflict):
				conflict.Add(1)
			default:
				t.Errorf("AddWrap: %v", err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 || conflict.Load() != n-1 {
		t.Fatalf("racing AddWrap: %d ok, %d conflicts; want 1 and %d", ok.Load(), conflict.Load(), n-1)
	}
}

func testCancelled(t *testing.T, s Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Owner(ctx, "x")
	wantErr(t, "Owner(cancelled)", err, context.Canceled)
	err = s.CreateOwner(ctx, meta.Owner{ID: uniq("o"), PublicKey: uniq("k"), IdentityBySecret: []byte{1}, IdentityByRecovery: []byte{1}})
	wantErr(t, "CreateOwner(cancelled)", err, context.Canceled)
	err = s.Tx(ctx, func(*meta.Tx) error { return nil })
	wantErr(t, "Tx(cancelled)", err, context.Canceled)
}
