package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/vault/blob"
	"github.com/coffre/coffre/vault/blob/blobtest"
)

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// config returns a Config for a fresh bucket on srv.
func config(t testing.TB, srv *testenv.MinIOServer) Config {
	return Config{
		Endpoint:  srv.Endpoint,
		AccessKey: srv.AccessKey,
		SecretKey: srv.SecretKey,
		Bucket:    srv.NewBucket(t),
	}
}

func newStore(t testing.TB, cfg Config) *Store {
	t.Helper()
	s, err := New(testCtx(t), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// TestS3Conformance runs the blob.Store conformance suite against a real
// MinIO server, one fresh bucket per subtest.
func TestS3Conformance(t *testing.T) {
	srv := testenv.MinIO(t)
	blobtest.Run(t, func(t *testing.T) blob.Store {
		return newStore(t, config(t, srv))
	})
}

// TestS3ConformancePrefix runs the suite again on a store confined to a
// prefix of a bucket shared with another store's objects.
func TestS3ConformancePrefix(t *testing.T) {
	srv := testenv.MinIO(t)
	blobtest.Run(t, func(t *testing.T) blob.Store {
		cfg := config(t, srv)
		neighbour := newStore(t, cfg)
		// Objects around the prefix that the store must never see. (Not
		// "tenant" itself: see the blob package on keys that prefix others.)
		for _, k := range []string{"tenant-b/x", "tenanta", "tenant0/y", "other/z", "t"} {
			if err := neighbour.Put(testCtx(t), k, bytes.NewReader([]byte("n")), 1); err != nil {
				t.Fatalf("neighbour Put: %v", err)
			}
		}
		cfg.Prefix = "tenant"
		return newStore(t, cfg)
	})
}

// TestS3MultipartCreateRace races Creates that all take the multipart path:
// the condition must hold at completion, not only at initiation.
func TestS3MultipartCreateRace(t *testing.T) {
	srv := testenv.MinIO(t)
	cfg := config(t, srv)
	cfg.PartSize = MinPartSize
	s := newStore(t, cfg)
	ctx := testCtx(t)
	const racers = 4
	datas := make([][]byte, racers)
	for i := range datas {
		datas[i] = bytes.Repeat([]byte{byte('a' + i)}, MinPartSize+1<<20+i*4096)
	}
	errs := make([]error, racers)
	start := make(chan struct{})
	done := make(chan int)
	for i := range racers {
		go func() {
			<-start
			errs[i] = s.Create(ctx, "race", bytes.NewReader(datas[i]), -1)
			done <- i
		}()
	}
	close(start)
	for range racers {
		<-done
	}
	winners := 0
	var winner []byte
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
			winner = datas[i]
		case !errors.Is(err, blob.ErrExist):
			t.Errorf("racer %d: %v", i, err)
		}
	}
	if winners != 1 {
		t.Fatalf("%d winners, want 1 (errors %v)", winners, errs)
	}
	rc, err := s.Get(ctx, "race")
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	_, err = got.ReadFrom(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got.Bytes(), winner) {
		t.Fatalf("stored object is not the winner's payload (err %v)", err)
	}
	wantNoUploads(t, srv, cfg.Bucket)
}

// TestS3FailedWritesLeaveNoUploads checks that size mismatches and
// cancellations in the middle of a multipart upload abort it on the server.
func TestS3FailedWritesLeaveNoUploads(t *testing.T) {
	srv := testenv.MinIO(t)
	cfg := config(t, srv)
	cfg.PartSize = MinPartSize
	s := newStore(t, cfg)
	ctx := testCtx(t)
	data := make([]byte, 3*MinPartSize)

	err := s.Put(ctx, "short", bytes.NewReader(data[:2*MinPartSize+7]), int64(len(data)))
	if !errors.Is(err, blob.ErrSizeMismatch) {
		t.Errorf("short Put = %v, want ErrSizeMismatch", err)
	}
	err = s.Put(ctx, "long", bytes.NewReader(data), 2*MinPartSize+7)
	if !errors.Is(err, blob.ErrSizeMismatch) {
		t.Errorf("long Put = %v, want ErrSizeMismatch", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	r := &cancelAfter{data: data, after: 2 * MinPartSize, cancel: cancel}
	err = s.Create(cctx, "cancelled", r, -1)
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Create = %v, want context.Canceled", err)
	}
	wantNoUploads(t, srv, cfg.Bucket)
	var keys []string
	if err := s.List(ctx, "", func(i blob.Info) error { keys = append(keys, i.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Fatalf("objects left: %q", keys)
	}
}

type cancelAfter struct {
	data   []byte
	off    int
	after  int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n := copy(p, c.data[c.off:])
	c.off += n
	if c.off >= c.after {
		c.cancel()
	}
	return n, nil // endless: the store must stop on ctx
}

func wantNoUploads(t *testing.T, srv *testenv.MinIOServer, bucket string) {
	t.Helper()
	for up := range srv.Client(t).ListIncompleteUploads(testCtx(t), bucket, "", true) {
		if up.Err != nil {
			t.Fatalf("list incomplete uploads: %v", up.Err)
		}
		t.Errorf("incomplete upload left on the server: %s (%s)", up.Key, up.UploadID)
	}
}

// TestS3Prefix checks that stores with different prefixes in one bucket
// do not see each other's objects.
func TestS3Prefix(t *testing.T) {
	srv := testenv.MinIO(t)
	cfg := config(t, srv)
	ctx := testCtx(t)
	a, b, root := cfg, cfg, cfg
	a.Prefix, b.Prefix = "a", "b/"
	sa, sb, sroot := newStore(t, a), newStore(t, b), newStore(t, root)
	if sa.Prefix() != "a/" || sb.Prefix() != "b/" || sroot.Prefix() != "" {
		t.Fatalf("prefixes %q %q %q", sa.Prefix(), sb.Prefix(), sroot.Prefix())
	}
	for _, s := range []*Store{sa, sb} {
		if err := s.Put(ctx, "k", bytes.NewReader([]byte(s.Prefix())), 2); err != nil {
			t.Fatal(err)
		}
	}
	list := func(s *Store) []string {
		var ks []string
		if err := s.List(ctx, "", func(i blob.Info) error { ks = append(ks, i.Key); return nil }); err != nil {
			t.Fatal(err)
		}
		return ks
	}
	if got := list(sa); !slices.Equal(got, []string{"k"}) {
		t.Errorf("store a lists %q", got)
	}
	if got := list(sroot); !slices.Equal(got, []string{"a/k", "b/k"}) {
		t.Errorf("unprefixed store lists %q", got)
	}
	if err := sa.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Stat(ctx, "k"); err != nil {
		t.Errorf("deleting a/k touched b/k: %v", err)
	}
}

// TestS3ServerRestart stops MinIO under the store: calls fail (within their
// ctx) instead of hanging, and work again once the server is back.
func TestS3ServerRestart(t *testing.T) {
	srv := testenv.MinIO(t)
	s := newStore(t, config(t, srv))
	ctx := testCtx(t)
	if err := s.Put(ctx, "k", bytes.NewReader([]byte("v")), 1); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 3*time.Second)
	err := s.Put(short, "k2", bytes.NewReader([]byte("v")), 1)
	cancel()
	if err == nil {
		t.Fatal("Put succeeded with the server down")
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if info, err := s.Stat(ctx, "k"); err != nil || info.Size != 1 {
		t.Fatalf("Stat after restart = %+v, %v", info, err)
	}
	if _, err := s.Stat(ctx, "k2"); !errors.Is(err, blob.ErrNotExist) {
		t.Fatalf("failed Put left an object: %v", err)
	}
}

func TestS3New(t *testing.T) {
	srv := testenv.MinIO(t)
	ctx := testCtx(t)
	base := Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey}

	missing := base
	missing.Bucket = "no-such-bucket"
	if _, err := New(ctx, missing); !errors.Is(err, ErrNoBucket) {
		t.Errorf("New on a missing bucket = %v, want ErrNoBucket", err)
	}
	create := missing
	create.CreateBucket = true
	if _, err := New(ctx, create); err != nil {
		t.Errorf("New with CreateBucket: %v", err)
	}
	if _, err := New(ctx, create); err != nil {
		t.Errorf("New with CreateBucket on an existing bucket: %v", err)
	}
	if _, err := New(ctx, missing); err != nil {
		t.Errorf("New after the bucket was created: %v", err)
	}

	bad := []struct {
		name string
		edit func(*Config)
	}{
		{"no endpoint", func(c *Config) { c.Endpoint = "" }},
		{"no bucket", func(c *Config) { c.Bucket = "" }},
		{"scheme", func(c *Config) { c.Endpoint = "http://" + c.Endpoint }},
		{"part too small", func(c *Config) { c.PartSize = MinPartSize - 1 }},
		{"part too large", func(c *Config) { c.PartSize = MaxPartSize + 1 }},
		{"bad prefix", func(c *Config) { c.Prefix = "../x" }},
		{"wrong secret", func(c *Config) { c.SecretKey += "x" }},
	}
	for _, tc := range bad {
		cfg := missing
		tc.edit(&cfg)
		if _, err := New(ctx, cfg); err == nil {
			t.Errorf("%s: New succeeded", tc.name)
		}
	}
}

func TestTranslate(t *testing.T) {
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	cases := []struct {
		name string
		ctx  context.Context
		err  error
		want error
	}{
		{"no such key", ctx, minio.ErrorResponse{Code: "NoSuchKey", StatusCode: 404}, blob.ErrNotExist},
		{"HEAD 404", ctx, minio.ErrorResponse{StatusCode: http.StatusNotFound}, blob.ErrNotExist},
		{"precondition", ctx, minio.ErrorResponse{Code: "PreconditionFailed", StatusCode: 412}, blob.ErrExist},
		{"no bucket", ctx, minio.ErrorResponse{Code: "NoSuchBucket", StatusCode: 404}, ErrNoBucket},
		{"cancelled", cancelled, errors.New("net/http: request canceled"), context.Canceled},
		{"cancelled S3 error", cancelled, minio.ErrorResponse{Code: "NoSuchKey"}, context.Canceled},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := translate(tc.ctx, tc.err)
			if !errors.Is(got, tc.want) {
				t.Fatalf("translate(%v) = %v, want %v", tc.err, got, tc.want)
			}
			var resp minio.ErrorResponse
			if errors.As(tc.err, &resp) && !errors.As(got, &resp) {
				t.Fatalf("translate lost the S3 error: %v", got)
			}
		})
	}
	denied := minio.ErrorResponse{Code: "AccessDenied", StatusCode: 403}
	if got := translate(ctx, denied); errors.Is(got, blob.ErrNotExist) || errors.Is(got, blob.ErrExist) {
		t.Fatalf("AccessDenied translated to %v", got)
	}
}

// TestS3UnknownSizeBufferGrows: a write of unknown size holds a buffer the
// size of what arrived, not a whole part (16 MiB each, which 300 slow
// page uploads in flight would turn into 4.8 GiB); a stream longer than a
// part still goes up whole, in parts.
func TestS3UnknownSizeBufferGrows(t *testing.T) {
	srv := testenv.MinIO(t)
	s := newStore(t, config(t, srv))
	ctx := testCtx(t)
	data := bytes.Repeat([]byte("coffre "), 40<<10/7) // ≈ 40 KB
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const n = 8
	for i := range n {
		if err := s.Create(ctx, fmt.Sprintf("small-%d", i), struct{ io.Reader }{bytes.NewReader(data)}, -1); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / n; per > 2<<20 {
		t.Fatalf("a %d-byte write of unknown size allocated %d bytes", len(data), per)
	} else {
		t.Logf("a %d-byte write of unknown size allocated %d bytes", len(data), per)
	}
	big := bytes.Repeat([]byte{7, 1, 3}, (MinPartSize+MinPartSize/2)/3)
	cfg := config(t, srv)
	cfg.PartSize = MinPartSize
	sm := newStore(t, cfg)
	if err := sm.Create(ctx, "big", struct{ io.Reader }{bytes.NewReader(big)}, -1); err != nil {
		t.Fatal(err)
	}
	rc, err := sm.Get(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("read back %d bytes (err %v), want %d", len(got), err, len(big))
	}
}
