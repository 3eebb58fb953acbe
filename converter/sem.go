package converter

import (
	"context"

	"golang.org/x/sync/semaphore"
)

// weighted bounds the converter's concurrent work (slots) and memory
// (bytes). It is golang.org/x/sync/semaphore's Weighted — FIFO, so a large
// request is not starved by small ones, and context-aware — used instead of
// a hand-written copy; this wrapper only adds the clamping: a request
// larger than the capacity is clamped to it, so it runs alone instead of
// waiting forever.
type weighted struct {
	sem  *semaphore.Weighted
	size int64
}

func newSemaphore(size int64) *weighted {
	size = max(size, 1)
	return &weighted{sem: semaphore.NewWeighted(size), size: size}
}

// acquire takes n units (at least 1, at most the capacity) and returns the
// amount to release; it fails with ctx's error if ctx ends first.
func (s *weighted) acquire(ctx context.Context, n int64) (int64, error) {
	n = min(max(n, 1), s.size)
	if err := s.sem.Acquire(ctx, n); err != nil {
		return 0, err
	}
	return n, nil
}

// release gives back what acquire returned.
func (s *weighted) release(n int64) { s.sem.Release(n) }
