package converter

import (
	"container/list"
	"context"
	"sync"
)

// semaphore is a FIFO weighted semaphore (after golang.org/x/sync/semaphore):
// Acquire blocks until n units are free or ctx ends; requests larger than
// the capacity are clamped to it so they run alone instead of deadlocking.
type semaphore struct {
	mu      sync.Mutex
	size    int64
	cur     int64
	waiters list.List // of *waiter
}

type waiter struct {
	n     int64
	ready chan struct{}
}

func newSemaphore(size int64) *semaphore { return &semaphore{size: max(size, 1)} }

// acquire takes n units and returns the amount to release.
func (s *semaphore) acquire(ctx context.Context, n int64) (int64, error) {
	n = min(max(n, 1), s.size)
	s.mu.Lock()
	if s.size-s.cur >= n && s.waiters.Len() == 0 {
		s.cur += n
		s.mu.Unlock()
		return n, nil
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	elem := s.waiters.PushBack(w)
	s.mu.Unlock()
	select {
	case <-ctx.Done():
		s.mu.Lock()
		select {
		case <-w.ready:
			// Acquired just as ctx ended: give it back.
			s.cur -= n
			s.notify()
		default:
			front := s.waiters.Front() == elem
			s.waiters.Remove(elem)
			if front && s.size > s.cur {
				s.notify()
			}
		}
		s.mu.Unlock()
		return 0, ctx.Err()
	case <-w.ready:
		return n, nil
	}
}

func (s *semaphore) release(n int64) {
	s.mu.Lock()
	s.cur -= n
	if s.cur < 0 {
		s.mu.Unlock()
		panic("converter: semaphore released more than held")
	}
	s.notify()
	s.mu.Unlock()
}

// notify wakes waiters in order while they fit. Caller holds s.mu.
func (s *semaphore) notify() {
	for {
		next := s.waiters.Front()
		if next == nil {
			return
		}
		w := next.Value.(*waiter)
		if s.size-s.cur < w.n {
			return
		}
		s.cur += w.n
		s.waiters.Remove(next)
		close(w.ready)
	}
}
