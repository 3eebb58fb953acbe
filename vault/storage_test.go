package vault_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/blob"
	"github.com/coffre/coffre/vault/blob/s3"
)

// storageEnv is a vault whose storage targets open on real MinIO buckets,
// with an optional hook between the vault and each target store.
type storageEnv struct {
	*env
	srv  *testenv.MinIOServer // where "their own bucket" lives
	hook *targetHook
}

// targetHook injects failures into target stores.
type targetHook struct {
	// putFailAt: the n-th Put (1-based) fails after reading part of its
	// input; 0 never.
	putFailAt int64
	// onPut runs after each successful Put with its ordinal.
	onPut func(n int64)
	// failDelete makes Delete fail.
	failDelete atomic.Bool
	puts       atomic.Int64
}

type hookedStore struct {
	blob.Store
	h *targetHook
}

func (s hookedStore) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	n := s.h.puts.Add(1)
	if n == s.h.putFailAt {
		_, _ = io.CopyN(io.Discard, r, 100)
		return errInjected
	}
	err := s.Store.Put(ctx, key, r, size)
	if err == nil && s.h.onPut != nil {
		s.h.onPut(n)
	}
	return err
}

func (s hookedStore) Delete(ctx context.Context, key string) error {
	if s.h.failDelete.Load() {
		return errInjected
	}
	return s.Store.Delete(ctx, key)
}

// s3Opener opens targets as cmd/coffre does (minus the endpoint policy).
func s3Opener(h *targetHook) vault.StoreOpener {
	return func(ctx context.Context, t vault.StorageTarget) (blob.Store, error) {
		st, err := s3.New(ctx, s3.Config{
			Endpoint: t.Endpoint, AccessKey: t.AccessKey, SecretKey: t.SecretKey, Bucket: t.Bucket,
			UseTLS: t.UseTLS, Region: t.Region, Prefix: t.Prefix,
		})
		if err != nil {
			return nil, err
		}
		if h != nil {
			return hookedStore{Store: st, h: h}, nil
		}
		return st, nil
	}
}

// newStorageEnv builds a vault on mk with storage targets on srv (a new
// service over the same stores when called again with base).
func newStorageEnv(t *testing.T, mk backend, srv *testenv.MinIOServer, ownerBuckets bool) *storageEnv {
	t.Helper()
	dataDir := t.TempDir()
	bs, extra := envBackend(t, mk)(t, dataDir)
	ms := openMeta(t, dataDir)
	h := &targetHook{}
	svc, err := vault.New(vault.Config{Meta: ms, Blobs: bs, Pepper: testPepper, Scrypt: weakScrypt,
		OpenStore: s3Opener(h), OwnerBuckets: ownerBuckets})
	if err != nil {
		t.Fatalf("vault.New: %v", err)
	}
	return &storageEnv{env: &env{svc: svc, meta: ms, blobs: bs, dirs: append([]string{dataDir}, extra...)}, srv: srv, hook: h}
}

// twin is a second service (another instance) on the same stores.
func (e *storageEnv) twin(t *testing.T, ownerBuckets bool) *vault.Service {
	t.Helper()
	svc, err := vault.New(vault.Config{Meta: e.meta, Blobs: e.blobs, Pepper: testPepper, Scrypt: weakScrypt,
		OpenStore: s3Opener(nil), OwnerBuckets: ownerBuckets})
	if err != nil {
		t.Fatalf("vault.New: %v", err)
	}
	return svc
}

func (e *storageEnv) settings(t *testing.T) vault.StorageSettings {
	return vault.StorageSettings{Endpoint: e.srv.Endpoint, Bucket: e.srv.NewBucket(t), Prefix: "coffre/docs",
		AccessKey: e.srv.AccessKey, SecretKey: e.srv.SecretKey}
}

// targetStore opens a target's objects directly (what is in the bucket).
func (e *storageEnv) targetStore(t *testing.T, st vault.StorageSettings, info vault.StorageInfo) blob.Store {
	t.Helper()
	s, err := s3.New(testCtx(t), s3.Config{Endpoint: st.Endpoint, AccessKey: st.AccessKey, SecretKey: st.SecretKey,
		Bucket: st.Bucket, Prefix: st.Prefix + "/" + info.TargetID})
	if err != nil {
		t.Fatalf("s3.New: %v", err)
	}
	return s
}

// docSet is documents with their plaintext.
type docSet map[string][]byte

func (e *storageEnv) addDocs(t *testing.T, ownerID string, n int, into docSet) {
	t.Helper()
	for i := 0; i < n; i++ {
		content := randomBytes(t, 1000+i*40_000)
		d := e.add(t, ownerID, fmt.Sprintf("paper %d", i), content)
		into[d.ID] = content
	}
}

// checkDocs reads every document back, byte-identical.
func checkDocs(t *testing.T, svc *vault.Service, p *vault.Principal, docs docSet) {
	t.Helper()
	for id, want := range docs {
		got, err := readDoc(t, svc, p, id)
		if err != nil {
			t.Fatalf("read %s: %v", id, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("read %s: %d bytes differ from the %d added", id, len(got), len(want))
		}
	}
}

// wantKeys checks that a store holds exactly the payloads of docs (none
// when docs is nil), nothing else under doc/.
func wantKeys(t *testing.T, what string, st blob.Store, docs docSet) {
	t.Helper()
	var keys []string
	if err := st.List(testCtx(t), "doc/", func(i blob.Info) error { keys = append(keys, i.Key); return nil }); err != nil {
		t.Fatalf("%s: List: %v", what, err)
	}
	if len(keys) != len(docs) {
		t.Fatalf("%s holds %d payloads, want %d: %v", what, len(keys), len(docs), keys)
	}
	for _, k := range keys {
		if _, ok := docs[strings.TrimPrefix(k, "doc/")]; !ok {
			t.Fatalf("%s holds %s, not one of the documents", what, k)
		}
	}
}

func wantDone(t *testing.T, info vault.StorageInfo, n int) {
	t.Helper()
	p := info.Progress
	if p.Total != int64(n) || p.Placed != p.Total || !p.Done || p.PlacedBytes != p.TotalBytes {
		t.Fatalf("progress = %+v, want %d documents all placed", p, n)
	}
}

// TestStorageOrganisationRoundTripLocal: SQLite + local default store; an
// organisation's bucket on MinIO. Documents of an owner who entrusted the
// organisation move there and back, byte-identical, nothing left behind.
func TestStorageOrganisationRoundTripLocal(t *testing.T) {
	testStorageRoundTrip(t, localBackend, testenv.MinIO(t))
}

// TestStorageOrganisationRoundTripPostgresS3: PostgreSQL + MinIO default
// store; the organisation's bucket on a second MinIO server.
func TestStorageOrganisationRoundTripPostgresS3(t *testing.T) {
	pg := testenv.Postgres(t)
	def := testenv.MinIO(t)
	theirs := testenv.MinIO(t)
	testStorageRoundTrip(t, withPostgres(pg, s3Backend(def)), theirs)
}

func testStorageRoundTrip(t *testing.T, mk backend, srv *testenv.MinIOServer) {
	ctx := testCtx(t)
	e := newStorageEnv(t, mk, srv, false)
	org, _, err := e.svc.CreateOrganisation(ctx, "CCAS de Roubaix")
	if err != nil {
		t.Fatal(err)
	}
	owner := e.owner(t)
	bystander := e.owner(t)
	if err := e.svc.SetAssistedRecovery(ctx, owner, org.ID); err != nil {
		t.Fatal(err)
	}
	docs, others := docSet{}, docSet{}
	e.addDocs(t, owner.ID(), 4, docs)
	e.addDocs(t, bystander.ID(), 1, others)

	st := e.settings(t)
	start := time.Now()
	info, err := e.svc.SetOrganisationStorage(ctx, org.ID, st)
	if err != nil {
		t.Fatalf("SetOrganisationStorage: %v", err)
	}
	theirs := e.targetStore(t, st, info)
	if got, _ := e.svc.OrganisationStorage(ctx, org.ID); got.Progress.Placed != 0 || got.Progress.Total != 4 || got.Bucket != st.Bucket {
		t.Fatalf("before the move: %+v", got)
	}
	// A document added now goes straight to the bucket.
	e.addDocs(t, owner.ID(), 1, docs)
	res, err := e.svc.MoveDocuments(ctx, vault.MoveScope{OrgID: org.ID})
	if err != nil || res.Moved != 4 || res.Failed != 0 {
		t.Fatalf("MoveDocuments = %+v, %v; want 4 moved", res, err)
	}
	t.Logf("moved %d documents (%d bytes) to the organisation's bucket in %v", res.Moved, res.Bytes, time.Since(start))
	got, err := e.svc.OrganisationStorage(ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantDone(t, got, 5)
	checkDocs(t, e.svc, owner, docs)
	checkDocs(t, e.svc, bystander, others)
	wantKeys(t, "their bucket", theirs, docs)
	wantKeys(t, "the default store", e.blobs, others)

	// Export reads through the bucket too.
	var zip bytes.Buffer
	if err := e.svc.Export(ctx, owner, &zip, vault.ExportPDF, "README"); err != nil {
		t.Fatalf("Export: %v", err)
	}

	// Clear: back to the default store, and the retired target is purged.
	if err := e.svc.ClearOrganisationStorage(ctx, org.ID); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	res, purged, err := e.svc.SweepStorage(ctx)
	if err != nil || res.Moved != 5 || purged != 1 {
		t.Fatalf("SweepStorage = %+v, %d purged, %v; want 5 moved, 1 purged", res, purged, err)
	}
	t.Logf("moved %d documents back in %v", res.Moved, time.Since(start))
	checkDocs(t, e.svc, owner, docs)
	wantKeys(t, "their bucket after clearing", theirs, nil)
	all := docSet{}
	for k, v := range docs {
		all[k] = v
	}
	for k, v := range others {
		all[k] = v
	}
	wantKeys(t, "the default store after clearing", e.blobs, all)
	if o, err := e.svc.FindOrphans(ctx, 0); err != nil || len(o.Blobs)+len(o.Stale) != 0 {
		t.Fatalf("FindOrphans = %+v, %v", o, err)
	}
}

// TestStorageOwnerBucketCancelledAndResumed: an owner's own bucket; the
// move is cancelled half-way (every document stays readable), then resumed
// to completion with nothing duplicated or left over.
func TestStorageOwnerBucketCancelledAndResumed(t *testing.T) {
	testStorageCancelResume(t, localBackend, testenv.MinIO(t))
}

// TestStorageCancelledAndResumedPostgresS3: the same on PostgreSQL with
// the default store on MinIO and the owner's bucket on a second MinIO.
func TestStorageCancelledAndResumedPostgresS3(t *testing.T) {
	pg := testenv.Postgres(t)
	testStorageCancelResume(t, withPostgres(pg, s3Backend(testenv.MinIO(t))), testenv.MinIO(t))
}

func testStorageCancelResume(t *testing.T, mk backend, srv *testenv.MinIOServer) {
	ctx := testCtx(t)
	e := newStorageEnv(t, mk, srv, true)
	owner := e.owner(t)
	docs := docSet{}
	e.addDocs(t, owner.ID(), 6, docs)
	st := e.settings(t)
	info, err := e.svc.SetOwnerStorage(ctx, owner, st)
	if err != nil {
		t.Fatalf("SetOwnerStorage: %v", err)
	}
	theirs := e.targetStore(t, st, info)

	mctx, cancel := context.WithCancel(ctx)
	e.hook.onPut = func(n int64) {
		if n == 3 {
			cancel()
		}
	}
	res, err := e.svc.MoveDocuments(mctx, vault.MoveScope{OwnerID: owner.ID()})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled move: %+v, %v; want context.Canceled", res, err)
	}
	cancel()
	e.hook.onPut = nil
	mid, _ := e.svc.OwnerStorage(ctx, owner)
	if mid.Progress.Placed >= 6 || mid.Progress.Done {
		t.Fatalf("progress after cancel = %+v, want unfinished", mid.Progress)
	}
	t.Logf("after cancel: %d of %d placed (moved %d)", mid.Progress.Placed, mid.Progress.Total, res.Moved)
	checkDocs(t, e.svc, owner, docs)

	res, err = e.svc.MoveDocuments(ctx, vault.MoveScope{OwnerID: owner.ID()})
	if err != nil || res.Failed != 0 {
		t.Fatalf("resumed move = %+v, %v", res, err)
	}
	got, _ := e.svc.OwnerStorage(ctx, owner)
	wantDone(t, got, 6)
	checkDocs(t, e.svc, owner, docs)
	wantKeys(t, "their bucket", theirs, docs)
	wantKeys(t, "the default store", e.blobs, nil)

	// The change is in the owner's journal.
	entries, err := e.svc.Journal(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, en := range entries {
		found = found || en.Kind == vault.EventStorageSet
	}
	if !found {
		t.Fatal("no storage-set entry in the owner's journal")
	}
}

// TestStorageMoveStoreFails: the bucket fails one write, then every delete:
// documents stay readable, the failure is reported, and reruns finish.
func TestStorageMoveStoreFails(t *testing.T) {
	ctx := testCtx(t)
	e := newStorageEnv(t, localBackend, testenv.MinIO(t), true)
	owner := e.owner(t)
	docs := docSet{}
	e.addDocs(t, owner.ID(), 5, docs)
	st := e.settings(t)
	info, err := e.svc.SetOwnerStorage(ctx, owner, st)
	if err != nil {
		t.Fatal(err)
	}
	theirs := e.targetStore(t, st, info)
	// Puts: 1 is the probe (already done), so the 3rd document fails.
	e.hook.putFailAt = e.hook.puts.Load() + 3
	res, err := e.svc.MoveDocuments(ctx, vault.MoveScope{OwnerID: owner.ID()})
	if !errors.Is(err, errInjected) || res.Failed != 1 || res.Moved != 4 {
		t.Fatalf("move with a failing write = %+v, %v; want 4 moved, 1 failed", res, err)
	}
	checkDocs(t, e.svc, owner, docs)
	res, err = e.svc.MoveDocuments(ctx, vault.MoveScope{OwnerID: owner.ID()})
	if err != nil || res.Moved != 1 {
		t.Fatalf("rerun = %+v, %v", res, err)
	}
	wantKeys(t, "their bucket", theirs, docs)
	wantKeys(t, "the default store", e.blobs, nil)

	// Moving back while the bucket refuses deletes: switched, old copies
	// kept and marked; a rerun cleans them.
	e.hook.failDelete.Store(true)
	if err := e.svc.ClearOwnerStorage(ctx, owner); err != nil {
		t.Fatal(err)
	}
	res, err = e.svc.MoveDocuments(ctx, vault.MoveScope{OwnerID: owner.ID()})
	if !errors.Is(err, errInjected) || res.Moved != 5 {
		t.Fatalf("move back with failing deletes = %+v, %v", res, err)
	}
	checkDocs(t, e.svc, owner, docs)
	if got, _ := e.svc.OwnerStorage(ctx, owner); got.Progress.Done {
		t.Fatalf("progress done with old copies left: %+v", got.Progress)
	}
	e.hook.failDelete.Store(false)
	res, err = e.svc.MoveDocuments(ctx, vault.MoveScope{OwnerID: owner.ID()})
	if err != nil || res.Cleaned != 5 {
		t.Fatalf("cleaning rerun = %+v, %v", res, err)
	}
	got, _ := e.svc.OwnerStorage(ctx, owner)
	wantDone(t, got, 5)
	wantKeys(t, "their bucket after clearing", theirs, nil)
	wantKeys(t, "the default store", e.blobs, docs)
}

// TestStorageConcurrentMovers: two instances move the same documents at
// once; nothing is lost, duplicated or left behind.
func TestStorageConcurrentMovers(t *testing.T) {
	ctx := testCtx(t)
	e := newStorageEnv(t, localBackend, testenv.MinIO(t), true)
	other := e.twin(t, true)
	owner := e.owner(t)
	docs := docSet{}
	e.addDocs(t, owner.ID(), 12, docs)
	st := e.settings(t)
	info, err := e.svc.SetOwnerStorage(ctx, owner, st)
	if err != nil {
		t.Fatal(err)
	}
	theirs := e.targetStore(t, st, info)
	var wg sync.WaitGroup
	results := make([]vault.MoveResult, 2)
	errs := make([]error, 2)
	for i, svc := range []*vault.Service{e.svc, other} {
		wg.Add(1)
		go func(i int, svc *vault.Service) {
			defer wg.Done()
			results[i], errs[i] = svc.MoveDocuments(ctx, vault.MoveScope{})
		}(i, svc)
	}
	wg.Wait()
	t.Logf("movers: %+v, %+v", results[0], results[1])
	for i, err := range errs {
		if err != nil {
			t.Fatalf("mover %d: %v", i, err)
		}
	}
	if n := results[0].Moved + results[1].Moved; n != 12 {
		t.Fatalf("moved %d in all, want 12", n)
	}
	// A busy skip leaves work to the next sweep.
	if _, err := e.svc.MoveDocuments(ctx, vault.MoveScope{}); err != nil {
		t.Fatal(err)
	}
	got, _ := e.svc.OwnerStorage(ctx, owner)
	wantDone(t, got, 12)
	checkDocs(t, other, owner, docs)
	wantKeys(t, "their bucket", theirs, docs)
	wantKeys(t, "the default store", e.blobs, nil)
}

// TestStorageCrashedMoverTakenOver: a mover died after claiming a document
// and writing part of it; once the claim is stale the next mover removes
// the partial copy and moves the document.
func TestStorageCrashedMoverTakenOver(t *testing.T) {
	ctx := testCtx(t)
	e := newStorageEnv(t, localBackend, testenv.MinIO(t), true)
	owner := e.owner(t)
	docs := docSet{}
	e.addDocs(t, owner.ID(), 2, docs)
	st := e.settings(t)
	info, err := e.svc.SetOwnerStorage(ctx, owner, st)
	if err != nil {
		t.Fatal(err)
	}
	theirs := e.targetStore(t, st, info)
	var crashed string
	for id := range docs {
		crashed = id
		break
	}
	claimed := time.Now().Add(-time.Hour).UTC()
	if err := e.meta.ClaimMove(ctx, crashed, "", info.TargetID, claimed, claimed); err != nil {
		t.Fatal(err)
	}
	if err := theirs.Put(ctx, "doc/"+crashed, strings.NewReader("partial"), 7); err != nil {
		t.Fatal(err)
	}
	checkDocs(t, e.svc, owner, docs)
	res, err := e.svc.MoveDocuments(ctx, vault.MoveScope{OwnerID: owner.ID()})
	if err != nil || res.Moved != 2 {
		t.Fatalf("MoveDocuments = %+v, %v", res, err)
	}
	checkDocs(t, e.svc, owner, docs)
	wantKeys(t, "their bucket", theirs, docs)
	wantKeys(t, "the default store", e.blobs, nil)
}

// TestStorageDeleteInTarget: deleting a document, and the whole account,
// removes payloads from the owner's bucket, also in the middle of a move.
func TestStorageDeleteInTarget(t *testing.T) {
	ctx := testCtx(t)
	e := newStorageEnv(t, localBackend, testenv.MinIO(t), true)
	owner := e.owner(t)
	docs := docSet{}
	e.addDocs(t, owner.ID(), 3, docs)
	st := e.settings(t)
	info, err := e.svc.SetOwnerStorage(ctx, owner, st)
	if err != nil {
		t.Fatal(err)
	}
	theirs := e.targetStore(t, st, info)
	if _, err := e.svc.MoveDocuments(ctx, vault.MoveScope{OwnerID: owner.ID()}); err != nil {
		t.Fatalf("MoveDocuments: %v", err)
	}
	// Moving back while the bucket refuses deletes: every document is in
	// the default store, its old copy in the bucket still to clean.
	if err := e.svc.ClearOwnerStorage(ctx, owner); err != nil {
		t.Fatal(err)
	}
	e.hook.failDelete.Store(true)
	if _, err := e.svc.MoveDocuments(ctx, vault.MoveScope{OwnerID: owner.ID()}); !errors.Is(err, errInjected) {
		t.Fatalf("MoveDocuments back: %v", err)
	}
	e.hook.failDelete.Store(false)
	var gone string
	for id := range docs {
		gone = id
		break
	}
	if err := e.svc.Delete(ctx, owner, gone); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	delete(docs, gone)
	wantKeys(t, "their bucket (old copies)", theirs, docs)
	wantKeys(t, "the default store", e.blobs, docs)
	if err := e.svc.DeleteAccount(ctx, owner); err != nil {
		t.Fatalf("DeleteAccount: %v", err)
	}
	wantKeys(t, "their bucket after account deletion", theirs, nil)
	wantKeys(t, "the default store after account deletion", e.blobs, nil)
}
