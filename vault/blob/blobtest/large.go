package blobtest

import (
	"bytes"
	"crypto/sha256"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/coffre/coffre/vault/blob"
)

const (
	// LargeSize is the size of the object testLarge streams through the
	// store: far above any buffer a backend may legitimately hold.
	LargeSize = 200 * mib
	// MaxHeapGrowth is how far above its baseline the test process heap may
	// grow while the large object goes in and out.
	MaxHeapGrowth = 64 * mib
)

// testLarge streams a LargeSize object of unknown size in and out, hashing it
// on both sides, and checks that the heap stays far below the object size.
func testLarge(t *testing.T, s blob.Store) {
	ctx := testCtx(t)
	const key = "large/object"
	src := newGenReader(42, LargeSize)

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	baseline := ms.HeapAlloc
	peak := watchHeap()

	in := sha256.New()
	start := time.Now()
	if err := s.Put(ctx, key, io.TeeReader(src, in), -1); err != nil {
		peak()
		t.Fatalf("Put of %d bytes: %v", LargeSize, err)
	}
	putTime := time.Since(start)

	rc, err := s.Get(ctx, key)
	if err != nil {
		peak()
		t.Fatalf("Get: %v", err)
	}
	out := sha256.New()
	start = time.Now()
	n, err := io.Copy(out, rc)
	rc.Close()
	getTime := time.Since(start)
	maxHeap := peak()
	if err != nil {
		t.Fatalf("Get: read after %d bytes: %v", n, err)
	}
	if n != LargeSize {
		t.Fatalf("Get returned %d bytes, want %d", n, LargeSize)
	}
	if !bytes.Equal(in.Sum(nil), out.Sum(nil)) {
		t.Fatalf("SHA-256 of what came out differs from what went in")
	}
	info, err := s.Stat(ctx, key)
	if err != nil || info.Size != LargeSize {
		t.Fatalf("Stat = %+v, %v; want Size %d", info, err, LargeSize)
	}

	var growth uint64
	if maxHeap > baseline {
		growth = maxHeap - baseline
	}
	t.Logf("%d MiB: put %v (%.0f MB/s), get %v (%.0f MB/s), heap peak %.1f MiB above baseline",
		LargeSize/mib, putTime.Round(time.Millisecond), mbps(LargeSize, putTime),
		getTime.Round(time.Millisecond), mbps(LargeSize, getTime), float64(growth)/mib)
	if growth > MaxHeapGrowth {
		t.Errorf("heap grew by %d MiB while streaming %d MiB, limit %d MiB", growth/mib, LargeSize/mib, MaxHeapGrowth/mib)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
}

func mbps(n int64, d time.Duration) float64 {
	return float64(n) / 1e6 / d.Seconds()
}

// watchHeap samples the heap until the returned function is called, which
// returns the highest HeapAlloc seen.
func watchHeap() func() uint64 {
	var (
		wg   sync.WaitGroup
		stop = make(chan struct{})
		peak uint64
	)
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				sample()
				return
			case <-tick.C:
				sample()
			}
		}
	}()
	return func() uint64 {
		close(stop)
		wg.Wait()
		return peak
	}
}

// genReader yields n deterministic bytes by cycling through a pattern of odd
// length (1 MiB + 17), which never lines up with power-of-two part sizes, so
// that a reordered, repeated or dropped part changes the stream's hash. It never buffers more
// than the pattern.
type genReader struct {
	pat  []byte
	off  int
	left int64
}

func newGenReader(seed int, n int64) *genReader {
	return &genReader{pat: payload(seed, mib+17), left: n}
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > g.left {
		p = p[:g.left]
	}
	n := 0
	for n < len(p) {
		c := copy(p[n:], g.pat[g.off:])
		n += c
		g.off = (g.off + c) % len(g.pat)
	}
	g.left -= int64(n)
	return n, nil
}
