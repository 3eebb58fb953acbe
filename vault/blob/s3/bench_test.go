package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/vault/blob"
)

// benchSizes are the object sizes of the throughput benchmarks: a typical
// converted document and a large scan.
var benchSizes = []struct {
	name string
	n    int
}{
	{"1mb", 1_000_000},
	{"50mb", 50_000_000},
}

// streamOnly hides bytes.Reader's Seek and ReadAt, as an encrypting pipe does.
type streamOnly struct{ io.Reader }

func benchData(n int) []byte {
	b := make([]byte, n)
	x := uint64(0x9e3779b97f4a7c15)
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	return b
}

// BenchmarkRawMinIO measures plain minio-go PutObject/GetObject against a
// local MinIO: the ceiling the vault's encrypt+store path is compared with.
// "put" gives the size and a seekable reader (minio-go's best case),
// "put-stream" a plain stream of unknown size (-1), for which minio-go
// allocates a ~537 MiB part buffer per call unless PartSize is set, and
// "put-stream-16mib" the same with PartSize 16 MiB (what Store does).
func BenchmarkRawMinIO(b *testing.B) {
	srv := testenv.MinIO(b)
	client := srv.Client(b)
	bucket := srv.NewBucket(b)
	ctx := context.Background()
	for _, sz := range benchSizes {
		data := benchData(sz.n)
		key := "raw-" + sz.name
		b.Run("put/"+sz.name, func(b *testing.B) {
			b.SetBytes(int64(sz.n))
			for b.Loop() {
				if _, err := client.PutObject(ctx, bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("put-stream/"+sz.name, func(b *testing.B) {
			b.SetBytes(int64(sz.n))
			for b.Loop() {
				if _, err := client.PutObject(ctx, bucket, key, streamOnly{bytes.NewReader(data)}, -1, minio.PutObjectOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("put-stream-16mib/"+sz.name, func(b *testing.B) {
			b.SetBytes(int64(sz.n))
			opts := minio.PutObjectOptions{PartSize: DefaultPartSize}
			for b.Loop() {
				if _, err := client.PutObject(ctx, bucket, key, streamOnly{bytes.NewReader(data)}, -1, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("get/"+sz.name, func(b *testing.B) {
			b.SetBytes(int64(sz.n))
			for b.Loop() {
				obj, err := client.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, obj)
				obj.Close()
				if err != nil || n != int64(sz.n) {
					b.Fatalf("read %d bytes: %v", n, err)
				}
			}
		})
	}
}

// BenchmarkStoreMinIO is BenchmarkRawMinIO through this package's Store.
func BenchmarkStoreMinIO(b *testing.B) {
	srv := testenv.MinIO(b)
	s, err := New(context.Background(), Config{
		Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
		Bucket: srv.NewBucket(b),
	})
	if err != nil {
		b.Fatal(err)
	}
	benchStore(b, s)
}

// benchStore runs put (known size), put-stream (-1), create and get.
func benchStore(b *testing.B, s blob.Store) {
	ctx := context.Background()
	for _, sz := range benchSizes {
		data := benchData(sz.n)
		key := "store-" + sz.name
		b.Run("put/"+sz.name, func(b *testing.B) {
			b.SetBytes(int64(sz.n))
			for b.Loop() {
				if err := s.Put(ctx, key, streamOnly{bytes.NewReader(data)}, int64(len(data))); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("put-stream/"+sz.name, func(b *testing.B) {
			b.SetBytes(int64(sz.n))
			for b.Loop() {
				if err := s.Put(ctx, key, streamOnly{bytes.NewReader(data)}, -1); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("create/"+sz.name, func(b *testing.B) {
			b.SetBytes(int64(sz.n))
			i := 0
			for b.Loop() {
				i++
				if err := s.Create(ctx, fmt.Sprintf("c-%s-%d", sz.name, i), streamOnly{bytes.NewReader(data)}, -1); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("get/"+sz.name, func(b *testing.B) {
			b.SetBytes(int64(sz.n))
			for b.Loop() {
				rc, err := s.Get(ctx, key)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, rc)
				rc.Close()
				if err != nil || n != int64(sz.n) {
					b.Fatalf("read %d bytes: %v", n, err)
				}
			}
		})
	}
}
