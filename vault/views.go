package vault

import (
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// An owner looking at her own paper opens it once per page preview (the
// paper's page shows every page as an image): journaling each opening
// filled her journal with identical lines ("Vous avez ouvert votre RIB"
// three times a second). Her own view is journaled once per session and
// paper within viewQuiet; a worker's read, a download, and a view from
// another session are journaled every time. The memory is per instance
// (another instance journals its own first view) and bounded (an LRU).

// viewQuiet is how long an owner's view of a paper in one session stands
// for the next ones.
const viewQuiet = 2 * time.Minute

// recentViews maps "session|paper" to when the view was journaled.
type recentViews struct {
	mu  sync.Mutex
	lru *simplelru.LRU[string, time.Time]
}

// seen reports whether key was journaled within viewQuiet before now, and
// if not records now for it.
func (r *recentViews) seen(key string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lru == nil {
		r.lru, _ = simplelru.NewLRU[string, time.Time](10000, nil)
	}
	if at, ok := r.lru.Get(key); ok && now.Sub(at) < viewQuiet && !now.Before(at) {
		return true
	}
	r.lru.Add(key, now)
	return false
}

// forget drops key (its journaling failed: the next view tries again).
func (r *recentViews) forget(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lru != nil {
		r.lru.Remove(key)
	}
}
