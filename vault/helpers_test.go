package vault_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/blob"
	"github.com/coffre/coffre/vault/blob/local"
	"github.com/coffre/coffre/vault/blob/s3"
	"github.com/coffre/coffre/vault/meta"
)

// The SQLite store is what the service consumes.
var _ vault.MetaStore = (*meta.SQLite)(nil)
var _ vault.MetaStore = (*meta.Postgres)(nil)

// env is a service on real stores.
type env struct {
	svc   *vault.Service
	meta  *meta.DB // SQLite, or PostgreSQL (withPostgres)
	blobs blob.Store
	// dirs hold every byte the stores keep on disk (marker test).
	dirs []string
}

// backend makes the blob store of an env.
type backend func(t testing.TB, dataDir string) (blob.Store, []string)

func localBackend(t testing.TB, dataDir string) (blob.Store, []string) {
	st, err := local.New(filepath.Join(dataDir, "blobs"))
	if err != nil {
		t.Fatalf("local.New: %v", err)
	}
	return st, nil
}

// s3Backend returns a backend on srv, one fresh bucket per env.
func s3Backend(srv *testenv.MinIOServer) backend {
	return func(t testing.TB, _ string) (blob.Store, []string) {
		st, err := s3.New(testCtx(t), s3.Config{
			Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Bucket: srv.NewBucket(t),
		})
		if err != nil {
			t.Fatalf("s3.New: %v", err)
		}
		return st, []string{srv.DataDir}
	}
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

var testPepper = bytes.Repeat([]byte{0x42}, 32)

// newEnv builds a service; wrapBlobs and wrapMeta (optional) interpose
// failure-injecting stores.
func newEnv(t testing.TB, mk backend, wrapBlobs func(blob.Store) blob.Store, wrapMeta func(vault.MetaStore) vault.MetaStore) *env {
	t.Helper()
	dataDir := t.TempDir()
	bs, extra := envBackend(t, mk)(t, dataDir)
	ms := openMeta(t, dataDir)
	var useBlobs blob.Store = bs
	if wrapBlobs != nil {
		useBlobs = wrapBlobs(bs)
	}
	var useMeta vault.MetaStore = ms
	if wrapMeta != nil {
		useMeta = wrapMeta(ms)
	}
	svc, err := vault.New(vault.Config{Meta: useMeta, Blobs: useBlobs, Pepper: testPepper, Scrypt: weakScrypt})
	if err != nil {
		t.Fatalf("vault.New: %v", err)
	}
	return &env{svc: svc, meta: ms, blobs: bs, dirs: append([]string{dataDir}, extra...)}
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// owner creates and unlocks an owner.
func (e *env) owner(t testing.TB) *vault.Principal {
	t.Helper()
	ctx := testCtx(t)
	id, _, err := e.svc.CreateOwner(ctx, []byte("correct horse"))
	if err != nil {
		t.Fatalf("CreateOwner: %v", err)
	}
	p, err := e.svc.Unlock(ctx, id, []byte("correct horse"))
	if err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	return p
}

func (e *env) worker(t *testing.T) *vault.Principal {
	t.Helper()
	ctx := testCtx(t)
	id, err := e.svc.CreateWorker(ctx, []byte("worker secret"))
	if err != nil {
		t.Fatalf("CreateWorker: %v", err)
	}
	p, err := e.svc.UnlockWorker(ctx, id, []byte("worker secret"))
	if err != nil {
		t.Fatalf("UnlockWorker: %v", err)
	}
	return p
}

func (e *env) add(t *testing.T, ownerID string, title string, content []byte) vault.Document {
	t.Helper()
	d, err := e.svc.AddDocument(testCtx(t), ownerID, vault.NewDocument{
		Category: "income", Title: title, Pages: 1, Profile: "caf", Size: int64(len(content)),
	}, bytes.NewReader(content))
	if err != nil {
		t.Fatalf("AddDocument: %v", err)
	}
	return d
}

func readDoc(t *testing.T, svc *vault.Service, p *vault.Principal, id string) ([]byte, error) {
	t.Helper()
	rc, _, err := svc.OpenDocument(testCtx(t), p, id)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// blobKeys lists every payload key.
func blobKeys(t *testing.T, bs blob.Store) []string {
	t.Helper()
	var keys []string
	if err := bs.List(testCtx(t), "", func(i blob.Info) error { keys = append(keys, i.Key); return nil }); err != nil {
		t.Fatalf("List: %v", err)
	}
	return keys
}

var errInjected = errors.New("injected failure")

// crashSwitch simulates a process dying: once tripped, every operation of
// the wrapped stores fails, so no clean-up can run.
type crashSwitch struct{ dead atomic.Bool }

func (c *crashSwitch) check() error {
	if c.dead.Load() {
		return errInjected
	}
	return nil
}

// faultyBlobs wraps a blob.Store with injectable failures.
type faultyBlobs struct {
	blob.Store
	crash *crashSwitch
	// createAfter, if >= 0, makes Create read that many bytes then fail
	// (and crash, if crashOnCreate).
	createAfter int64
	// crashAfterCreate: Create succeeds, then the process "dies".
	crashAfterCreate bool
	// failDelete makes Delete fail.
	failDelete bool
}

func (f *faultyBlobs) Create(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := f.crash.check(); err != nil {
		return err
	}
	if f.createAfter >= 0 {
		_, _ = io.CopyN(io.Discard, r, f.createAfter)
		f.crash.dead.Store(true)
		return errInjected
	}
	err := f.Store.Create(ctx, key, r, size)
	if err == nil && f.crashAfterCreate {
		f.crash.dead.Store(true)
		return errInjected
	}
	return err
}

func (f *faultyBlobs) Delete(ctx context.Context, key string) error {
	if err := f.crash.check(); err != nil {
		return err
	}
	if f.failDelete {
		return errInjected
	}
	return f.Store.Delete(ctx, key)
}

func (f *faultyBlobs) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := f.crash.check(); err != nil {
		return nil, err
	}
	return f.Store.Get(ctx, key)
}

// faultyMeta wraps the metadata store with injectable failures.
type faultyMeta struct {
	vault.MetaStore
	crash *crashSwitch
	// crashAfterInsert: InsertDocument succeeds, then the process dies.
	crashAfterInsert bool
	// failCommit makes CommitDocument fail (a failing transaction).
	failCommit bool
	// crashAfterBeginDelete: BeginDeleteDocument succeeds, then death.
	crashAfterBeginDelete bool
}

func (f *faultyMeta) InsertDocument(ctx context.Context, d meta.Document) error {
	if err := f.crash.check(); err != nil {
		return err
	}
	err := f.MetaStore.InsertDocument(ctx, d)
	if err == nil && f.crashAfterInsert {
		f.crash.dead.Store(true)
	}
	return err
}

func (f *faultyMeta) CommitDocument(ctx context.Context, id string, size int64, wraps []meta.Wrap) error {
	if err := f.crash.check(); err != nil {
		return err
	}
	if f.failCommit {
		return errInjected
	}
	return f.MetaStore.CommitDocument(ctx, id, size, wraps)
}

func (f *faultyMeta) DeleteDocument(ctx context.Context, id string) error {
	if err := f.crash.check(); err != nil {
		return err
	}
	return f.MetaStore.DeleteDocument(ctx, id)
}

func (f *faultyMeta) BeginDeleteDocument(ctx context.Context, id, ownerID string) (meta.Document, error) {
	if err := f.crash.check(); err != nil {
		return meta.Document{}, err
	}
	d, err := f.MetaStore.BeginDeleteDocument(ctx, id, ownerID)
	if err == nil && f.crashAfterBeginDelete {
		f.crash.dead.Store(true)
	}
	return d, err
}
