package vault_test

import (
	"crypto/rand"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coffre/coffre/internal/testenv"
	"github.com/coffre/coffre/vault"
)

// Sizes measured by the benchmarks (BENCHMARKS.md).
var benchSizes = []struct {
	name string
	n    int64
}{
	{"1MB", 1 << 20},
	{"50MB", 50 << 20},
}

// patternReader yields n bytes by repeating a random 1 MiB block: a large
// plaintext without holding it in memory.
type patternReader struct {
	block []byte
	off   int64
	n     int64
}

var benchBlock = func() []byte {
	b := make([]byte, 1<<20)
	_, _ = rand.Read(b)
	return b
}()

func newPattern(n int64) *patternReader { return &patternReader{block: benchBlock, n: n} }

func (p *patternReader) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	i := p.off % int64(len(p.block))
	m := copy(b, p.block[i:])
	if rem := p.n - p.off; int64(m) > rem {
		m = int(rem)
	}
	p.off += int64(m)
	return m, nil
}

// heapPeak samples HeapInuse while running, for a "peak-heap-MB" metric.
type heapPeak struct {
	peak atomic.Uint64
	stop chan struct{}
	wg   sync.WaitGroup
}

func startHeapPeak() *heapPeak {
	runtime.GC()
	h := &heapPeak{stop: make(chan struct{})}
	h.sample()
	h.wg.Go(func() {
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-t.C:
				h.sample()
			}
		}
	})
	return h
}

func (h *heapPeak) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	for {
		old := h.peak.Load()
		if ms.HeapInuse <= old || h.peak.CompareAndSwap(old, ms.HeapInuse) {
			return
		}
	}
}

func (h *heapPeak) report(b *testing.B) {
	close(h.stop)
	h.wg.Wait()
	h.sample()
	b.ReportMetric(float64(h.peak.Load())/(1<<20), "peak-heap-MB")
}

// benchBackends returns the backends to measure; MinIO is started once.
func benchBackends(b *testing.B) []struct {
	name string
	mk   backend
} {
	out := []struct {
		name string
		mk   backend
	}{{"local", localBackend}}
	if testenv.LookTool("minio") != "" || testenv.InCI() {
		srv := testenv.MinIO(b)
		out = append(out, struct {
			name string
			mk   backend
		}{"minio", s3Backend(srv)})
	}
	return out
}

// BenchmarkAddDocument: encrypt + store, plaintext streamed from memory.
func BenchmarkAddDocument(b *testing.B) {
	for _, be := range benchBackends(b) {
		for _, sz := range benchSizes {
			b.Run(be.name+"/"+sz.name, func(b *testing.B) {
				e := newEnv(b, be.mk, nil, nil)
				ctx := testCtx(b)
				owner := e.owner(b)
				b.SetBytes(sz.n)
				h := startHeapPeak()
				b.ResetTimer()
				for range b.N {
					d, err := e.svc.AddDocument(ctx, owner.ID(), vault.NewDocument{Category: "income", Title: "bench", Size: sz.n}, newPattern(sz.n))
					if err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					if err := e.svc.Delete(ctx, owner, d.ID); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				b.StopTimer()
				h.report(b)
			})
		}
	}
}

// BenchmarkOpenDocument: fetch + decrypt, plaintext discarded.
func BenchmarkOpenDocument(b *testing.B) {
	for _, be := range benchBackends(b) {
		for _, sz := range benchSizes {
			b.Run(be.name+"/"+sz.name, func(b *testing.B) {
				e := newEnv(b, be.mk, nil, nil)
				ctx := testCtx(b)
				owner := e.owner(b)
				d, err := e.svc.AddDocument(ctx, owner.ID(), vault.NewDocument{Category: "income", Title: "bench", Size: sz.n}, newPattern(sz.n))
				if err != nil {
					b.Fatal(err)
				}
				buf := make([]byte, 256<<10)
				b.SetBytes(sz.n)
				h := startHeapPeak()
				b.ResetTimer()
				for range b.N {
					rc, _, err := e.svc.OpenDocument(ctx, owner, d.ID)
					if err != nil {
						b.Fatal(err)
					}
					n, err := io.CopyBuffer(io.Discard, rc, buf)
					_ = rc.Close()
					if err != nil || n != sz.n {
						b.Fatalf("read %d, %v", n, err)
					}
				}
				b.StopTimer()
				h.report(b)
			})
		}
	}
}

// BenchmarkRawBlob measures the bare blob store on the same backends and
// sizes (no encryption, no metadata), as the reference for the two above.
func BenchmarkRawBlob(b *testing.B) {
	for _, be := range benchBackends(b) {
		for _, sz := range benchSizes {
			for _, op := range []string{"put", "get"} {
				b.Run(fmt.Sprintf("%s/%s/%s", be.name, op, sz.name), func(b *testing.B) {
					bs, _ := be.mk(b, b.TempDir())
					ctx := testCtx(b)
					buf := make([]byte, 256<<10)
					if op == "get" {
						if err := bs.Create(ctx, "raw/get", newPattern(sz.n), sz.n); err != nil {
							b.Fatal(err)
						}
					}
					b.SetBytes(sz.n)
					h := startHeapPeak()
					b.ResetTimer()
					for i := range b.N {
						switch op {
						case "put":
							key := fmt.Sprintf("raw/put-%d", i)
							if err := bs.Create(ctx, key, newPattern(sz.n), sz.n); err != nil {
								b.Fatal(err)
							}
							b.StopTimer()
							if err := bs.Delete(ctx, key); err != nil {
								b.Fatal(err)
							}
							b.StartTimer()
						case "get":
							rc, err := bs.Get(ctx, "raw/get")
							if err != nil {
								b.Fatal(err)
							}
							n, err := io.CopyBuffer(io.Discard, rc, buf)
							_ = rc.Close()
							if err != nil || n != sz.n {
								b.Fatalf("read %d, %v", n, err)
							}
						}
					}
					b.StopTimer()
					h.report(b)
				})
			}
		}
	}
}
