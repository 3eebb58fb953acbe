package vault_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/vault"
	"github.com/coffre/coffre/vault/blob"
	"github.com/coffre/coffre/vault/blob/local"
	"github.com/coffre/coffre/vault/blob/s3"
)

// Faults of the storage under the vault (issue 5): the person gets a clear
// error, nothing half-done becomes visible, and a retry succeeds once.

// stallReader yields n bytes, calling pause after the first half.
type stallReader struct {
	data  []byte
	off   int
	pause func()
	done  bool
}

func (r *stallReader) Read(p []byte) (int, error) {
	if r.off >= len(r.data) {
		return 0, io.EOF
	}
	half := len(r.data) / 2
	if !r.done && r.off >= half {
		r.done = true
		r.pause()
	}
	end := len(r.data)
	if !r.done {
		end = half
	}
	n := copy(p, r.data[r.off:min(end, r.off+len(p))])
	r.off += n
	return n, nil
}

// assertClean checks the owner sees exactly want documents, and that after
// fsck the store holds exactly their payloads.
func assertClean(t *testing.T, e *env, owner *vault.Principal, want int) {
	t.Helper()
	ctx := testCtx(t)
	docs, err := e.svc.List(ctx, owner)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(docs) != want {
		t.Fatalf("owner sees %d documents, want %d", len(docs), want)
	}
	o, err := e.svc.FindOrphans(ctx, -time.Hour) // everything counts as old
	if err != nil {
		t.Fatalf("FindOrphans: %v", err)
	}
	if _, _, err := e.svc.RemoveOrphans(ctx, o); err != nil {
		t.Fatalf("RemoveOrphans: %v", err)
	}
	if keys := blobKeys(t, e.blobs); len(keys) != want {
		t.Fatalf("after fsck the store holds %d payloads (%v), want %d", len(keys), keys, want)
	}
}

func TestFaultMinIOStoppedMidUpload(t *testing.T) {
	srv := testenv.MinIO(t)
	e := newEnv(t, s3Backend(srv), nil, nil)
	owner := e.owner(t)
	body := randomBytes(t, 40<<20) // the stop falls after the first multipart part

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := &stallReader{data: body, pause: func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("stopping MinIO: %v", err)
		}
	}}
	start := time.Now()
	_, err := e.svc.AddDocument(ctx, owner.ID(), vault.NewDocument{Category: "income", Title: "Bulletin de paie"}, r)
	if err == nil {
		t.Fatal("AddDocument succeeded with MinIO stopped")
	}
	t.Logf("MinIO stopped mid-upload: error after %v: %v", time.Since(start).Round(time.Millisecond), err)
	if errors.Is(err, vault.ErrInvalid) || errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("a storage outage reported as the person's mistake: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("restarting MinIO: %v", err)
	}
	// Nothing visible, then a retry stores the document exactly once.
	docs, err := e.svc.List(ctx, owner)
	if err != nil || len(docs) != 0 {
		t.Fatalf("after the failed upload the owner sees %d documents (err %v)", len(docs), err)
	}
	d, err := e.svc.AddDocument(ctx, owner.ID(), vault.NewDocument{Category: "income", Title: "Bulletin de paie", Size: int64(len(body))}, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("retry after restart: %v", err)
	}
	got, err := readDoc(t, e.svc, owner, d.ID)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("retried document reads back %d bytes (err %v), want %d", len(got), err, len(body))
	}
	assertClean(t, e, owner, 1)
}

// slowTransport delays every request to the S3 server.
type slowTransport struct {
	delay time.Duration
	base  http.RoundTripper
}

func (s slowTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	select {
	case <-time.After(s.delay):
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	return s.base.RoundTrip(req)
}

func TestFaultMinIOSlowContextFreesResources(t *testing.T) {
	srv := testenv.MinIO(t)
	slow := func(t testing.TB, _ string) (blob.Store, []string) {
		st, err := s3.New(testCtx(t), s3.Config{
			Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Bucket: srv.NewBucket(t),
			Transport: slowTransport{delay: 3 * time.Second, base: http.DefaultTransport.(*http.Transport).Clone()},
		})
		if err != nil {
			t.Fatalf("s3.New: %v", err)
		}
		return st, nil
	}
	e := newEnv(t, slow, nil, nil)
	owner := e.owner(t)
	before := runtime.NumGoroutine()
	body := randomBytes(t, 8<<20)
	for i := 0; i < 3; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		start := time.Now()
		_, err := e.svc.AddDocument(ctx, owner.ID(), vault.NewDocument{Category: "tax", Title: "Avis"}, bytes.NewReader(body))
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("slow store: err = %v, want the deadline", err)
		}
		took := time.Since(start)
		if took > 5*time.Second {
			t.Fatalf("AddDocument returned %v after its deadline", took)
		}
		t.Logf("slow store, 500 ms deadline: AddDocument returned after %v", took.Round(time.Millisecond))
	}
	// Every goroutine of the cancelled uploads ends.
	start := time.Now()
	deadline := start.Add(15 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines left after cancelled uploads (before: %d)\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
	t.Logf("goroutines back to %d (before: %d) after %v", runtime.NumGoroutine(), before, time.Since(start).Round(time.Millisecond))
	docs, err := e.svc.List(testCtx(t), owner)
	if err != nil || len(docs) != 0 {
		t.Fatalf("cancelled uploads visible: %d documents (err %v)", len(docs), err)
	}
}

// tinyFS mounts a 2 MiB tmpfs (root only) for a disk-full local store.
func tinyFS(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if os.Getuid() != 0 {
		testenv.Missing(t, "root, to mount a small tmpfs for the disk-full test")
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		testenv.Missing(t, "mounting a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, 0) })
	return dir
}

func TestFaultDiskFullLocal(t *testing.T) {
	dir := tinyFS(t)
	full := func(t testing.TB, _ string) (blob.Store, []string) {
		st, err := local.New(filepath.Join(dir, "blobs"))
		if err != nil {
			t.Fatalf("local.New: %v", err)
		}
		return st, []string{dir}
	}
	e := newEnv(t, full, nil, nil)
	owner := e.owner(t)
	ctx := testCtx(t)
	small := randomBytes(t, 256<<10)
	first, err := e.svc.AddDocument(ctx, owner.ID(), vault.NewDocument{Category: "bank", Title: "RIB"}, bytes.NewReader(small))
	if err != nil {
		t.Fatalf("first document: %v", err)
	}
	_, err = e.svc.AddDocument(ctx, owner.ID(), vault.NewDocument{Category: "tax", Title: "Avis"}, bytes.NewReader(randomBytes(t, 4<<20)))
	if err == nil {
		t.Fatal("a 4 MiB document fitted on a 2 MiB disk")
	}
	if !errors.Is(err, syscall.ENOSPC) && !strings.Contains(err.Error(), "no space") {
		t.Fatalf("disk full: err = %v, want ENOSPC", err)
	}
	// The earlier document is intact, the failed one left nothing, and once
	// space is back an upload succeeds.
	if got, err := readDoc(t, e.svc, owner, first.ID); err != nil || !bytes.Equal(got, small) {
		t.Fatalf("earlier document damaged by the full disk: err %v", err)
	}
	assertClean(t, e, owner, 1)
	if entries, _ := os.ReadDir(filepath.Join(dir, "blobs")); len(entries) == 0 {
		t.Fatal("blob directory vanished")
	}
	if _, err := e.svc.AddDocument(ctx, owner.ID(), vault.NewDocument{Category: "tax", Title: "Avis"}, bytes.NewReader(small)); err != nil {
		t.Fatalf("upload after the disk-full error: %v", err)
	}
	assertClean(t, e, owner, 2)
}
