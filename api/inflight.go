package api

import "sync"

// inFlight bounds requests in progress: at most max in all, and at most
// perKey for any one key (a drop link, a client address). A request over
// either bound is turned away at once (503 with Retry-After) rather than
// queued: the page's script retries.
type inFlight struct {
	mu     sync.Mutex
	max    int
	perKey int
	total  int
	byKey  map[string]int
}

func newInFlight(max, perKey int) *inFlight {
	return &inFlight{max: max, perKey: perKey, byKey: map[string]int{}}
}

// acquire takes a place for keys, or reports false; release gives it back.
func (f *inFlight) acquire(keys ...string) (release func(), ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.total >= f.max {
		return nil, false
	}
	for _, k := range keys {
		if f.byKey[k] >= f.perKey {
			return nil, false
		}
	}
	f.total++
	for _, k := range keys {
		f.byKey[k]++
	}
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.total--
		for _, k := range keys {
			if f.byKey[k]--; f.byKey[k] <= 0 {
				delete(f.byKey, k)
			}
		}
	}, true
}
