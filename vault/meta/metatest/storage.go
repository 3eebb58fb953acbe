package metatest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/coffre/coffre/vault/meta"
)

// StorageStore is the part of the store behind storage targets and
// document moves (migration 6).
type StorageStore interface {
	AccountStore
	SetStorageTarget(ctx context.Context, t meta.StorageTarget) error
	StorageTarget(ctx context.Context, id string) (meta.StorageTarget, error)
	ActiveStorageTarget(ctx context.Context, scope, scopeID string) (meta.StorageTarget, error)
	StorageTargets(ctx context.Context) ([]meta.StorageTarget, error)
	RetireStorageTarget(ctx context.Context, scope, scopeID string) error
	PurgeStorageTargets(ctx context.Context) (int, error)
	EffectiveStore(ctx context.Context, ownerID string, ownerBuckets bool) (string, error)
	DocumentsToMove(ctx context.Context, scope meta.MoveScope, limit int) ([]meta.ToMove, error)
	StorageProgress(ctx context.Context, scope meta.MoveScope) (meta.StorageProgress, error)
	ClaimMove(ctx context.Context, docID, from, to string, now, staleBefore time.Time) error
	SwitchStore(ctx context.Context, docID, from, to string, since, now time.Time) error
	ReleaseMove(ctx context.Context, docID, to string, since time.Time) error
	FinishMove(ctx context.Context, docID, old string) error
	DeleteOwnerData(ctx context.Context, ownerID string) error
}

func storage(fn func(t *testing.T, s StorageStore)) func(t *testing.T, s Store) {
	return func(t *testing.T, s Store) {
		ss, ok := s.(StorageStore)
		if !ok {
			t.Fatalf("%T does not implement the storage store (migration 6)", s)
		}
		fn(t, ss)
	}
}

func newTarget(t *testing.T, s StorageStore, scope, scopeID string) meta.StorageTarget {
	t.Helper()
	tg := meta.StorageTarget{ID: uniq("target"), Scope: scope, ScopeID: scopeID, ConfigSealed: []byte("sealed\x00config"), Created: at}
	if err := s.SetStorageTarget(context.Background(), tg); err != nil {
		t.Fatalf("SetStorageTarget: %v", err)
	}
	return tg
}

func effective(t *testing.T, s StorageStore, ownerID string, ownerBuckets bool) string {
	t.Helper()
	id, err := s.EffectiveStore(context.Background(), ownerID, ownerBuckets)
	if err != nil {
		t.Fatalf("EffectiveStore: %v", err)
	}
	return id
}

// testStorageTargets: one active target per scope, replacing retires the
// previous one, retired targets stay readable until purged, and purge keeps
// every target a document row still names.
func testStorageTargets(t *testing.T, s StorageStore) {
	ctx := context.Background()
	org := newOrg(t, s)
	t1 := newTarget(t, s, meta.ScopeOrganisation, org.ID)
	got, err := s.ActiveStorageTarget(ctx, meta.ScopeOrganisation, org.ID)
	if err != nil || got.ID != t1.ID || string(got.ConfigSealed) != string(t1.ConfigSealed) || !got.Created.Equal(at) || !got.Retired.IsZero() {
		t.Fatalf("ActiveStorageTarget = %+v, %v", got, err)
	}
	t2 := newTarget(t, s, meta.ScopeOrganisation, org.ID)
	if got, _ := s.ActiveStorageTarget(ctx, meta.ScopeOrganisation, org.ID); got.ID != t2.ID {
		t.Fatalf("active after replace = %s, want %s", got.ID, t2.ID)
	}
	if old, err := s.StorageTarget(ctx, t1.ID); err != nil || old.Retired.IsZero() {
		t.Fatalf("replaced target = %+v, %v; want retired", old, err)
	}
	wantErr(t, "duplicate id", s.SetStorageTarget(ctx, t1), meta.ErrConflict)
	if err := s.SetStorageTarget(ctx, meta.StorageTarget{ID: uniq("t"), Scope: "planet", ScopeID: "x", ConfigSealed: []byte{1}}); err == nil {
		t.Fatal("bad scope accepted")
	}
	_, err = s.StorageTarget(ctx, "missing")
	wantErr(t, "StorageTarget(missing)", err, meta.ErrNotFound)
	_, err = s.ActiveStorageTarget(ctx, meta.ScopeOwner, "nobody")
	wantErr(t, "ActiveStorageTarget(none)", err, meta.ErrNotFound)

	// A document in t2 keeps t2 after it is retired; t1 is purged.
	o := newOwner(t, s)
	d := newDoc(o.ID, meta.StatePending)
	d.StoreID = t2.ID
	if err := s.InsertDocument(ctx, d); err != nil {
		t.Fatalf("InsertDocument in a target: %v", err)
	}
	if got, _ := s.Document(ctx, d.ID); got.StoreID != t2.ID || got.Move.State != "" {
		t.Fatalf("document store = %q (move %+v), want %q", got.StoreID, got.Move, t2.ID)
	}
	bad := newDoc(o.ID, meta.StatePending)
	bad.StoreID = "no-such-target"
	wantErr(t, "document in a missing target", s.InsertDocument(ctx, bad), meta.ErrNotFound)
	if err := s.RetireStorageTarget(ctx, meta.ScopeOrganisation, org.ID); err != nil {
		t.Fatalf("RetireStorageTarget: %v", err)
	}
	wantErr(t, "retire twice", s.RetireStorageTarget(ctx, meta.ScopeOrganisation, org.ID), meta.ErrNotFound)
	n, err := s.PurgeStorageTargets(ctx)
	if err != nil || n != 1 {
		t.Fatalf("PurgeStorageTargets = %d, %v; want 1 (t1)", n, err)
	}
	if _, err := s.StorageTarget(ctx, t2.ID); err != nil {
		t.Fatalf("t2 purged while a document lives in it: %v", err)
	}
	if err := s.DeleteDocument(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PurgeStorageTargets(ctx); err != nil || n != 1 {
		t.Fatalf("PurgeStorageTargets after the document left = %d, %v; want 1", n, err)
	}
	all, err := s.StorageTargets(ctx)
	if err != nil || len(all) != 0 {
		t.Fatalf("StorageTargets = %+v, %v; want none", all, err)
	}

	// An owner's own target goes with the owner's data.
	ot := newTarget(t, s, meta.ScopeOwner, o.ID)
	if err := s.DeleteOwnerData(ctx, o.ID); err != nil {
		t.Fatalf("DeleteOwnerData: %v", err)
	}
	_, err = s.StorageTarget(ctx, ot.ID)
	wantErr(t, "owner target after account deletion", err, meta.ErrNotFound)
}

// testEffectiveStore: the owner's own target (when allowed) wins over the
// entrusted organisation's, which wins over the default store.
func testEffectiveStore(t *testing.T, s StorageStore) {
	ctx := context.Background()
	org := newOrg(t, s)
	o := newOwner(t, s)
	if got := effective(t, s, o.ID, true); got != "" {
		t.Fatalf("no target: effective = %q, want default", got)
	}
	ot := newTarget(t, s, meta.ScopeOrganisation, org.ID)
	if got := effective(t, s, o.ID, true); got != "" {
		t.Fatalf("organisation not entrusted: effective = %q, want default", got)
	}
	if err := s.SetOwnerAssistedRecovery(ctx, o.ID, org.ID, []byte("by-org")); err != nil {
		t.Fatal(err)
	}
	if got := effective(t, s, o.ID, true); got != ot.ID {
		t.Fatalf("entrusted: effective = %q, want %q", got, ot.ID)
	}
	own := newTarget(t, s, meta.ScopeOwner, o.ID)
	if got := effective(t, s, o.ID, true); got != own.ID {
		t.Fatalf("own target allowed: effective = %q, want %q", got, own.ID)
	}
	if got := effective(t, s, o.ID, false); got != ot.ID {
		t.Fatalf("own target not allowed: effective = %q, want %q", got, ot.ID)
	}
	_, err := s.EffectiveStore(ctx, "nobody", true)
	wantErr(t, "EffectiveStore(missing)", err, meta.ErrNotFound)
}

// testMoves: documents out of place are listed with their target; a move
// is claimed once, switched only by its claim, finished once; progress
// counts settled documents; a stale claim is taken over.
func testMoves(t *testing.T, s StorageStore) {
	ctx := context.Background()
	org := newOrg(t, s)
	o := newOwner(t, s)
	if err := s.SetOwnerAssistedRecovery(ctx, o.ID, org.ID, []byte("by-org")); err != nil {
		t.Fatal(err)
	}
	other := newOwner(t, s)
	d1 := committedDoc(t, s, o.ID)
	d2 := committedDoc(t, s, o.ID)
	committedDoc(t, s, other.ID)
	scope := meta.MoveScope{OrgID: org.ID, OwnerBuckets: true}
	if p, err := s.StorageProgress(ctx, scope); err != nil || p.Total != 2 || p.Placed != 2 || p.TotalBytes != 2468 || p.PlacedBytes != 2468 {
		t.Fatalf("progress before = %+v, %v", p, err)
	}
	tg := newTarget(t, s, meta.ScopeOrganisation, org.ID)
	tms, err := s.DocumentsToMove(ctx, scope, 10)
	if err != nil || len(tms) != 2 || tms[0].Target != tg.ID || tms[0].Document.ID != d1.ID || tms[1].Document.ID != d2.ID {
		t.Fatalf("DocumentsToMove = %+v, %v", tms, err)
	}
	if all, _ := s.DocumentsToMove(ctx, meta.MoveScope{}, 10); len(all) != 2 {
		t.Fatalf("DocumentsToMove(all) = %d, want 2 (the other owner's document is in place)", len(all))
	}
	if one, _ := s.DocumentsToMove(ctx, scope, 1); len(one) != 1 {
		t.Fatalf("limit 1 gave %d", len(one))
	}
	if p, _ := s.StorageProgress(ctx, scope); p.Total != 2 || p.Placed != 0 || p.PlacedBytes != 0 {
		t.Fatalf("progress after setting the target = %+v", p)
	}

	now := at.Add(time.Hour)
	if err := s.ClaimMove(ctx, d1.ID, "", tg.ID, now, now.Add(-time.Minute)); err != nil {
		t.Fatalf("ClaimMove: %v", err)
	}
	wantErr(t, "second claim", s.ClaimMove(ctx, d1.ID, "", tg.ID, now, now.Add(-time.Minute)), meta.ErrConflict)
	wantErr(t, "claim from the wrong store", s.ClaimMove(ctx, d2.ID, tg.ID, "", now, now), meta.ErrConflict)
	got, _ := s.Document(ctx, d1.ID)
	if got.Move.State != meta.MoveCopying || got.Move.Store != tg.ID || !got.Move.Since.Equal(now) || got.StoreID != "" {
		t.Fatalf("claimed document = %+v", got)
	}
	wantErr(t, "switch with another claim", s.SwitchStore(ctx, d1.ID, "", tg.ID, now.Add(time.Second), now), meta.ErrConflict)
	if err := s.SwitchStore(ctx, d1.ID, "", tg.ID, now, now.Add(time.Second)); err != nil {
		t.Fatalf("SwitchStore: %v", err)
	}
	wantErr(t, "switch twice", s.SwitchStore(ctx, d1.ID, "", tg.ID, now, now), meta.ErrConflict)
	got, _ = s.Document(ctx, d1.ID)
	if got.StoreID != tg.ID || got.Move.State != meta.MoveCleaning || got.Move.Store != "" {
		t.Fatalf("switched document = %+v", got)
	}
	if p, _ := s.StorageProgress(ctx, scope); p.Placed != 0 {
		t.Fatalf("a document still cleaning counted as placed: %+v", p)
	}
	if tms, _ := s.DocumentsToMove(ctx, scope, 10); len(tms) != 2 || tms[0].Document.Move.State != meta.MoveCleaning {
		t.Fatalf("a cleaning document must stay listed: %+v", tms)
	}
	wantErr(t, "finish another store", s.FinishMove(ctx, d1.ID, tg.ID), meta.ErrConflict)
	if err := s.FinishMove(ctx, d1.ID, ""); err != nil {
		t.Fatalf("FinishMove: %v", err)
	}
	wantErr(t, "finish twice", s.FinishMove(ctx, d1.ID, ""), meta.ErrConflict)
	if p, _ := s.StorageProgress(ctx, scope); p.Placed != 1 || p.PlacedBytes != 1234 {
		t.Fatalf("progress after one move = %+v", p)
	}

	// A claim is released by its holder only; a stale one is taken over.
	if err := s.ClaimMove(ctx, d2.ID, "", tg.ID, now, now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "release another claim", s.ReleaseMove(ctx, d2.ID, tg.ID, now.Add(time.Second)), meta.ErrConflict)
	later := now.Add(30 * time.Minute)
	if err := s.ClaimMove(ctx, d2.ID, "", tg.ID, later, later.Add(-15*time.Minute)); err != nil {
		t.Fatalf("take over a stale claim: %v", err)
	}
	wantErr(t, "switch by the stale claim", s.SwitchStore(ctx, d2.ID, "", tg.ID, now, later), meta.ErrConflict)
	if err := s.ReleaseMove(ctx, d2.ID, tg.ID, later); err != nil {
		t.Fatalf("ReleaseMove: %v", err)
	}
	if got, _ := s.Document(ctx, d2.ID); got.Move.State != "" || got.StoreID != "" {
		t.Fatalf("released document = %+v", got)
	}

	// A deleting document is neither listed nor claimed nor switched.
	if _, err := s.BeginDeleteDocument(ctx, d2.ID, o.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "claim a deleting document", s.ClaimMove(ctx, d2.ID, "", tg.ID, later, later), meta.ErrConflict)
	if tms, _ := s.DocumentsToMove(ctx, scope, 10); len(tms) != 0 {
		t.Fatalf("DocumentsToMove after moves and deletion = %+v", tms)
	}
	// Clearing the target makes the moved document due back.
	if err := s.RetireStorageTarget(ctx, meta.ScopeOrganisation, org.ID); err != nil {
		t.Fatal(err)
	}
	if tms, _ := s.DocumentsToMove(ctx, scope, 10); len(tms) != 1 || tms[0].Document.ID != d1.ID || tms[0].Target != "" {
		t.Fatalf("DocumentsToMove after clearing = %+v", tms)
	}
}

// testMoveClaimRace: of many concurrent claims of one document exactly one
// wins.
func testMoveClaimRace(t *testing.T, s StorageStore) {
	ctx := context.Background()
	org := newOrg(t, s)
	o := newOwner(t, s)
	tg := newTarget(t, s, meta.ScopeOrganisation, org.ID)
	d := committedDoc(t, s, o.ID)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			now := at.Add(time.Duration(i) * time.Millisecond)
			err := s.ClaimMove(ctx, d.ID, "", tg.ID, now, at.Add(-time.Hour))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, meta.ErrConflict):
				conflicts++
			default:
				t.Errorf("ClaimMove: %v", err)
			}
		}(i)
	}
	wg.Wait()
	if wins != 1 || conflicts != 7 {
		t.Fatalf("claims: %d won, %d conflicts; want 1 and 7", wins, conflicts)
	}
}
