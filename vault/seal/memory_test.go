package seal

import (
	"context"
	"crypto/sha256"
	"io"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// patternReader yields n bytes of a cheap non-constant pattern.
type patternReader struct {
	n, off int64
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.n-p.off)]
	for i := range b {
		x := p.off + int64(i)
		b[i] = byte(x ^ x>>8 ^ x>>17)
	}
	p.off += int64(len(b))
	return len(b), nil
}

// heapSampler records the peak of live+unswept heap objects.
type heapSampler struct {
	stop chan struct{}
	done sync.WaitGroup
	peak uint64
}

const heapMetric = "/memory/classes/heap/objects:bytes"

func heapNow() uint64 {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func startHeapSampler() *heapSampler {
	h := &heapSampler{stop: make(chan struct{})}
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			if v := heapNow(); v > h.peak {
				h.peak = v
			}
			select {
			case <-h.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return h
}

func (h *heapSampler) Stop() uint64 {
	close(h.stop)
	h.done.Wait()
	return h.peak
}

// TestStreamMemoryBounded pushes 200 MB through Encrypt → pipe → Decrypt and
// checks that the heap never grows by more than 32 MiB over the baseline.
func TestStreamMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("200 MB stream skipped in -short mode")
	}
	const size = 200 << 20
	const budget = 32 << 20
	id := mustIdentity(t)

	runtime.GC()
	base := heapNow()
	sampler := startHeapSampler()

	pr, pw := io.Pipe()
	wantSum := make(chan [32]byte, 1)
	go func() {
		w, err := Encrypt(context.Background(), pw, id.Recipient())
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		h := sha256.New()
		if _, err := io.Copy(io.MultiWriter(w, h), &patternReader{n: size}); err != nil {
			pw.CloseWithError(err)
			return
		}
		if err := w.Close(); err != nil {
			pw.CloseWithError(err)
			return
		}
		wantSum <- [32]byte(h.Sum(nil))
		pw.Close()
	}()

	r, err := Decrypt(context.Background(), pr, id)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n, err := io.Copy(h, r)
	peak := sampler.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if n != size {
		t.Fatalf("decrypted %d bytes, want %d", n, size)
	}
	if got := [32]byte(h.Sum(nil)); got != <-wantSum {
		t.Fatal("plaintext hash mismatch")
	}
	growth := int64(peak) - int64(base)
	t.Logf("200 MB stream: heap baseline %.1f MiB, peak %.1f MiB, growth %.1f MiB (budget %d MiB)",
		float64(base)/(1<<20), float64(peak)/(1<<20), float64(growth)/(1<<20), budget>>20)
	if growth > budget {
		t.Fatalf("heap grew by %d bytes, budget %d", growth, budget)
	}
}

// TestHeapSamplerSeesAllocation guards the memory test against passing
// vacuously: a 48 MiB live allocation must show up (at least 40 MiB of it) in the sampled peak.
func TestHeapSamplerSeesAllocation(t *testing.T) {
	runtime.GC()
	base := heapNow()
	s := startHeapSampler()
	buf := make([]byte, 48<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	time.Sleep(20 * time.Millisecond)
	peak := s.Stop()
	runtime.KeepAlive(buf)
	if growth := int64(peak) - int64(base); growth < 40<<20 {
		t.Fatalf("sampler saw %d bytes of growth, want at least 40 MiB", growth)
	}
}
