package local

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
)

var benchSizes = []struct {
	name string
	n    int
}{
	{"1mb", 1_000_000},
	{"50mb", 50_000_000},
}

// streamOnly hides bytes.Reader's WriterTo and Seek, as an encrypting pipe does.
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

// BenchmarkLocal measures Put (with fsync), Create and Get throughput on the
// test's temporary directory, the same shape as the s3 benchmarks.
func BenchmarkLocal(b *testing.B) {
	s := newStore(b)
	ctx := context.Background()
	for _, sz := range benchSizes {
		data := benchData(sz.n)
		key := "bench-" + sz.name
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
				k := fmt.Sprintf("c-%s-%d", sz.name, i)
				if err := s.Create(ctx, k, streamOnly{bytes.NewReader(data)}, -1); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := s.Delete(ctx, k); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
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
